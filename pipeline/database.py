"""The data package as one SQLite database (``datasets/reports.db``), with full-text search.

Every resource of the package is a table with its types, primary key and foreign keys (from
``schema.yml``); ``texts`` holds each report's cleaned text in Simplified script; views join
what a reader asks for most. ``datasette datasets/reports.db`` serves it as it is: datasette
finds ``texts_fts`` (``content="texts"``) and puts a search box on ``texts``.

Chinese has no spaces, so FTS5's default tokenizer would index a whole clause as one word. Two
indexes, both built by SQLite itself or from plain Python, no segmenter's dictionary:

* ``texts_fts`` uses FTS5's ``trigram`` tokenizer: any run of 3 or more characters is found
  where it occurs (岳塘区, 政府信息公开), with ``snippet()`` and ``highlight()``; this is what
  datasette's search box uses. A trigram index cannot find a 2-character word (复议).
* ``texts_bigrams`` holds the same texts as overlapping character pairs (岳塘区 → 岳塘 塘区) for
  FTS5's ``ascii`` tokenizer (words split at spaces and ASCII punctuation, ASCII letters folded
  to lower case; the pairs and words are already split, so it needs no more, and it took half
  the CPU ``unicode61`` took: 1.2 s against 2.0 s for 5,000 texts, the same matches): a
  2-character word is one token, a longer one a phrase of pairs (``"岳塘 塘区"``;
  ``bigram_query`` writes it). Contentless: it holds only the index, joined to ``texts`` by
  rowid.

A dictionary segmenter (jieba) was not used: it reads 0.4–1.5 MB of text per second in Python
(a national corpus would add minutes to every build), and a word it cuts differently in the
text and in the query (place names outside its dictionary) is not found at all.

The file is written the same way on every build (same statements in the same order), so two
builds of the same sources give the same bytes. The texts and their indexes are the costly part
(at 100,000 reports some 110 s of the database's 130 s of one core): they are kept between
builds in a database of their own beside the package's segments (``FullText``), where a build
that changed a few texts updates the indexes for those alone, and copied into the file at the
end as a build from nothing would have written them.
"""

from __future__ import annotations

import contextlib
import hashlib
import operator
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from pipeline import package
from pipeline.executor import end_waiting, name_process, reply
from pipeline.fileio import stamp
from pipeline.records import Report

_SQL_TYPES = {
    "string": "TEXT",
    "integer": "INTEGER",
    "number": "REAL",
    "date": "TEXT",
    "boolean": "INTEGER",
}
_HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[^\W_\u3400-\u9fff\uf900-\ufaff]+")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

VIEWS = {
    "whole_body_figures": """
        SELECT s.report_id, r.title_hans AS title, r.issuer, r.issuer_id, r.year,
               r.admin_level, r.province, s.indicator, s.value, s.unit, s.qualifier,
               s.check_failed, s.method, s.evidence, r.page || '#' || s.anchor AS evidence_link
        FROM statistics AS s JOIN reports AS r USING (report_id)
        WHERE s.scope IS NULL""",
    "issuer_years": """
        SELECT i.issuer_id, i.name AS issuer, r.year, r.report_id, r.title_hans AS title,
               r.reuse_previous_share, s.indicator, s.value, s.unit, s.check_failed
        FROM issuers AS i
        JOIN reports AS r USING (issuer_id)
        LEFT JOIN statistics AS s ON s.report_id = r.report_id AND s.scope IS NULL""",
    "most_copied": """
        SELECT r.report_id, r.title_hans AS title, r.issuer, r.year, r.reuse_sentences,
               r.reuse_previous_share, r.reuse_previous_report_id,
               r.reuse_other_share, r.reuse_other_report_id
        FROM reports AS r
        WHERE r.reuse_previous_share IS NOT NULL
        ORDER BY r.reuse_previous_share DESC, r.report_id""",
}
"""Views a reader needs: each figure with its report, an issuer's figures by year, the reports
that repeat most of their previous one."""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def bigrams(text: str) -> str:
    """Text as the ``texts_bigrams`` index holds it: every Han run as overlapping pairs (a lone
    character as itself), other words as they are, separated by spaces."""
    out: list[str] = []
    for run in _HAN_RUN.findall(text):
        if len(run) > 1 and _HAN.match(run):
            # Pairs made by C-level string addition: this runs over every character of the corpus.
            out.append(" ".join(map(operator.add, run[:-1], run[1:])))
        else:
            out.append(run)
    return " ".join(out)


def bigram_query(*words: str) -> str:
    """An FTS5 query for ``texts_bigrams`` finding texts that contain every word: each word a
    phrase of its character pairs (复议 → ``"复议"``, 岳塘区 → ``"岳塘 塘区"``)."""
    phrases = []
    for word in words:
        tokens = bigrams(word)
        if tokens:
            phrases.append('"' + tokens.replace('"', "") + '"')
    return " AND ".join(phrases)


def _create_table(name: str, schema: package.ResourceSchema) -> str:
    cols = []
    for f in schema.fields:
        col = f"{_quote(f.name)} {_SQL_TYPES[f.type]}"
        if f.constraints.get("required") and f.name not in schema.primary_key:
            col += " NOT NULL"
        cols.append(col)
    cols.append(f"PRIMARY KEY ({', '.join(_quote(k) for k in schema.primary_key)})")
    for a, table, b in schema.foreign_keys:
        cols.append(f"FOREIGN KEY ({_quote(a)}) REFERENCES {_quote(table)} ({_quote(b)})")
    # Rows stored in primary-key order with no separate key index: the keys are text, and a
    # rowid table would hold each key twice (a third of template_cells' size).
    return f"CREATE TABLE {_quote(name)} (\n  " + ",\n  ".join(cols) + "\n) WITHOUT ROWID"


def _value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "boolean":
        return int(bool(value))
    if kind == "number":
        return float(value)
    return value


def _insert(
    con: sqlite3.Connection, name: str, schema: package.ResourceSchema, rows: Iterable[dict]
) -> None:
    names = [f.name for f in schema.fields]
    sql = (
        f"INSERT INTO {_quote(name)} ({', '.join(map(_quote, names))}) "
        f"VALUES ({', '.join('?' for _ in names)})"
    )
    kinds = [f.type for f in schema.fields]
    con.executemany(
        sql, ([_value(row.get(n), k) for n, k in zip(names, kinds, strict=True)] for row in rows)
    )


def text_row(r: Report) -> tuple[str, str, str, str, str | None]:
    """A report's row of ``texts``: id, title, script, Simplified text, original text."""
    return (
        r.report_id,
        r.metadata.title_hans or r.metadata.display_title,
        r.metadata.script,
        r.text_hans if r.text_hans is not None else r.cleaned.text,
        r.cleaned.text if r.text_hans is not None else None,
    )


def text_digest(row: tuple[Any, ...]) -> tuple[str, bytes]:
    """A ``text_row``'s id and the SHA-256 of the rest (title, script, text, original text):
    what the full-text store compares (``FullText``) instead of the texts themselves."""
    h = hashlib.sha256()
    for value in row[1:]:
        data = b"\x00" if value is None else b"\x01" + value.encode()
        h.update(len(data).to_bytes(8, "big") + data)
    return row[0], h.digest()


def bigram_row(row: tuple[Any, ...]) -> tuple[str, str, str]:
    """A ``text_row``'s id, title and text as ``texts_bigrams`` indexes them."""
    return (row[0], bigrams(row[1]), bigrams(row[3]))


SEGMENT_TABLES = ("reports", "statistics", "template_cells", "checks")
"""The tables whose rows a segment (``pipeline.segments``) brings, in the order they are copied."""
BASE_DATABASE = "base.db"
"""A segment's other database, beside the one named to ``add_segment`` (``pipeline.segments``)."""

PAGE_SIZE = 65536
"""``reports.db``'s page size, SQLite's largest. Copying the texts and the full-text indexes
out of the store (``FullText.copy_into_main``) at 100,000 reports took 2.4 s and 5.7 s with
SQLite's default (4,096 bytes), 0.9 s and 3.3 s with this, for a file 2.5 % larger."""

SEGMENT_CHECKED = ("statistics", "template_cells", "checks")
"""Tables whose only foreign key is their ``report_id`` and whose rows come only from the
segments' ``base.db``: each row refers to a report of its own segment, checked as the segment
is made (``segments.check_references``), and every segment's reports are in the database.
``PRAGMA foreign_key_check`` over their 8 million rows took 6.4 s of every build at 100,000
reports; the other tables' keys are checked by SQLite at ``close``."""


def write_segment(
    path: Path,
    rows: dict[str, Sequence[dict[str, Any]]],
    texts: Sequence[tuple[Any, ...]] | None,
) -> None:
    """Part of a segment's share of ``reports.db`` as a database of its own: its rows of the
    tables of ``SEGMENT_TABLES`` in ``rows`` and, unless None, its ``texts`` rows, their
    character pairs (``bigrams``) and their ``digests`` (``text_digest``), so that the database
    process copies them with one statement each (``_Database.add_segment``)."""
    _, schemas = package.schemas()
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        con.execute("BEGIN")
        for name in SEGMENT_TABLES:
            if name in rows:
                con.execute(_create_table(name, schemas[name]))
                _insert(con, name, schemas[name], rows[name])
        if texts is not None:
            con.execute(
                "CREATE TABLE texts (report_id TEXT PRIMARY KEY, title TEXT NOT NULL, "
                "script TEXT NOT NULL, text TEXT NOT NULL, text_original TEXT) WITHOUT ROWID"
            )
            con.executemany("INSERT INTO texts VALUES (?, ?, ?, ?, ?)", texts)
            con.execute(
                "CREATE TABLE bigrams (report_id TEXT PRIMARY KEY, title TEXT NOT NULL, "
                "text TEXT NOT NULL) WITHOUT ROWID"
            )
            con.executemany("INSERT INTO bigrams VALUES (?, ?, ?)", map(bigram_row, texts))
            con.execute(
                "CREATE TABLE digests (report_id TEXT PRIMARY KEY, digest BLOB NOT NULL) "
                "WITHOUT ROWID"
            )
            con.executemany("INSERT INTO digests VALUES (?, ?)", map(text_digest, texts))
        con.execute("COMMIT")
    finally:
        con.close()


FTS_TABLES = ("texts_fts", "texts_bigrams")
AUTOMERGE = 16
"""FTS5's ``automerge`` while the texts are added: each segment of reports adds a b-tree to
both indexes, and with FTS5's default (4) their entries were merged again every few segments;
with 16 fewer times, and ``close`` merges each block's index into one b-tree (``optimize``).
Measured at 10,000 reports: 20.0 s of CPU before, 15.4 s with both (the file 0.5 % larger)."""

INDEX_EVERY = 8
"""Segments whose texts are added to the full-text indexes in one transaction: FTS5 writes a
new b-tree of each index at the end of every transaction that added to it (a segment's ``ATTACH``
ends one), and merges those b-trees again as they pile up. With 8 segments at a time (and room
for them, ``HASHSIZE``) the database took 22 % less time over 300 segments of the 100,000
benchmark (16.1 → 12.4 s; the database process's memory 123 → 148 MB)."""

HASHSIZE = 16 << 20
"""FTS5's ``hashsize``: the bytes of index entries an index holds before writing a b-tree
(1 MiB by default, about one segment's texts)."""


def _create_indexes(con: sqlite3.Connection, schema: str, suffix: str = "") -> None:
    """Both full-text indexes over the ``texts`` of ``schema`` (``""``: the main database,
    ``"ft."``: the store, where each block's are named with its ``suffix``), with their
    settings: made the same way in each, so that one's index is the other's."""
    con.execute(
        f'CREATE VIRTUAL TABLE {schema}texts_fts{suffix} USING fts5(title, text, content="texts", '
        "content_rowid=rowid, tokenize='trigram')"
    )
    con.execute(
        f"CREATE VIRTUAL TABLE {schema}texts_bigrams{suffix} USING fts5(title, text, content='', "
        "tokenize='ascii')"
    )
    for fts in FTS_TABLES:
        table = f"{schema}{fts}{suffix}"
        con.execute(f"INSERT INTO {table} ({fts}{suffix}, rank) VALUES ('automerge', {AUTOMERGE})")
        con.execute(f"INSERT INTO {table} ({fts}{suffix}, rank) VALUES ('hashsize', {HASHSIZE})")


FULLTEXT = "fulltext.db"
"""Beside the package's segments: the texts and both full-text indexes as the last build left
them (``FullText``)."""

BLOCK_SEGMENTS = 64
"""Segments of the package whose texts make one b-tree of each full-text index (``FullText``):
some 4,000 texts, 26 b-trees at 100,000 reports. A changed text has its block's b-trees merged
again, not the whole index: at 100,000 reports merging each index into one b-tree took some
21 s of a one-report change. A query reads one b-tree a block."""

_STRUCTURE_ROWID = 10
"""FTS5's row of ``<index>_data`` holding the index's structure: its segments (b-trees)."""
_AVERAGES_ROWID = 1
"""FTS5's row of ``<index>_data`` holding the number of rows and each column's tokens."""
_SEGMENT_SHIFT = 37
"""A row of ``<index>_data`` holding a page of a segment has the segment's id times 2**37 in its
id (the page number and doclist-index bits below)."""


def _varint(value: int) -> bytes:
    """SQLite's variable-length integer (7 bits a byte, most significant first), below 2**56."""
    groups = [value & 0x7F]
    value >>= 7
    while value:
        groups.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes(reversed(groups))


def _read_varint(data: bytes, i: int) -> tuple[int, int]:
    value = 0
    for k in range(9):
        b = data[i + k]
        if k == 8:
            return value << 8 | b, i + 9
        value = value << 7 | b & 0x7F
        if not b & 0x80:
            return value, i + k + 1
    raise AssertionError("unreachable")


def index_segments(structure: bytes) -> list[tuple[int, int, int]]:
    """The segments (id, first page, last page) an FTS5 structure record lists: a 4-byte cookie,
    the number of levels, of segments and the write counter, then each level's merge count,
    segment count and segments. Raises ValueError on any other layout, such as the second
    version SQLite 3.43 on writes for a table made with ``contentless_delete=1`` (these are
    not; see ``FullText``)."""
    try:
        if structure[4:8] == b"\xff\x00\x00\x01":
            raise ValueError("FTS5 structure record of the second version")
        levels, i = _read_varint(structure, 4)
        count, i = _read_varint(structure, i)
        _, i = _read_varint(structure, i)  # write counter
        segments = []
        for _ in range(levels):
            _, i = _read_varint(structure, i)  # segments being merged
            n, i = _read_varint(structure, i)
            for _ in range(n):
                segid, i = _read_varint(structure, i)
                first, i = _read_varint(structure, i)
                last, i = _read_varint(structure, i)
                segments.append((segid, first, last))
    except IndexError:
        raise ValueError("FTS5 structure record cut short") from None
    if i != len(structure) or len(segments) != count:
        raise ValueError("FTS5 structure record not understood")
    return segments


def canonical_structure(*pages: tuple[int, int]) -> bytes:
    """The structure record of an index of the b-trees whose (first, last) pages are ``pages``,
    ids 1, 2, … on the first level, as a build from nothing writes it whatever came before: no
    cookie, no write counter."""
    n = len(pages)
    ints = [1, n, 0, 0, n] + [v for segid, (a, b) in enumerate(pages, 1) for v in (segid, a, b)]
    return bytes(4) + b"".join(map(_varint, ints))


def sum_averages(records: Sequence[bytes]) -> bytes:
    """FTS5's averages records (the number of rows, then each column's tokens, as varints) of
    several b-trees added up: the record of one index holding them all."""
    totals: list[int] = []
    for record in records:
        values, i = [], 0
        while i < len(record):
            value, i = _read_varint(record, i)
            values.append(value)
        if totals and len(values) != len(totals):
            raise ValueError("FTS5 averages records of different lengths")
        totals = [a + b for a, b in zip(totals, values, strict=True)] if totals else values
    return b"".join(map(_varint, totals))


def _no_journal(con: sqlite3.Connection, alias: str) -> None:
    """A store attached as ``alias`` written as ``reports.db`` is, with no journal: a store left
    part-way is not whole (its ``state``), and made again. (Nor is there a journal file in the
    package's cache, which the zips' process prunes meanwhile.)"""
    con.execute(f"PRAGMA {alias}.journal_mode = OFF")
    con.execute(f"PRAGMA {alias}.synchronous = OFF")


def _open_store(
    con: sqlite3.Connection, alias: str, path: Path, stamp: str, read: Callable[[], None]
) -> bool:
    """Attach the last build's store at ``path`` as ``alias`` if its ``state`` says it is whole
    and of ``stamp``: ``read`` takes what it holds (raising ``sqlite3.Error``, ``ValueError``
    or ``TypeError`` where it cannot), and the store is marked not whole until the build ends
    (``_mark_whole``); True. Else the file is removed and nothing attached: False. Outside a
    transaction."""
    if not path.exists():
        return False
    try:
        con.execute(f"ATTACH DATABASE ? AS {alias}", (str(path),))
        _no_journal(con, alias)
        state = dict(con.execute(f"SELECT key, value FROM {alias}.state"))
        if state.get("stamp") == stamp and state.get("whole") == "1":
            read()
            _mark_whole(con, alias, False)
            return True
    except (sqlite3.Error, ValueError, TypeError):
        pass
    with contextlib.suppress(sqlite3.Error):
        con.execute(f"DETACH DATABASE {alias}")
    path.unlink(missing_ok=True)
    return False


def _new_store(
    con: sqlite3.Connection, alias: str, path: Path, stamp: str, tables: Iterable[str]
) -> None:
    """A new store at ``path`` attached as ``alias``: its ``state`` (``stamp``, not whole) and
    ``tables`` (``CREATE TABLE`` statements naming it). Outside a transaction."""
    con.execute(f"ATTACH DATABASE ? AS {alias}", (str(path),))
    _no_journal(con, alias)
    con.execute("BEGIN")
    con.execute(f"CREATE TABLE {alias}.state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    con.execute(f"INSERT INTO {alias}.state VALUES ('stamp', ?), ('whole', '0')", (stamp,))
    for sql in tables:
        con.execute(sql)
    con.execute("COMMIT")


def _mark_whole(con: sqlite3.Connection, alias: str, whole: bool) -> None:
    """Whether the store attached as ``alias`` is whole, in its ``state``."""
    con.execute(f"UPDATE {alias}.state SET value = ? WHERE key = 'whole'", ("1" if whole else "0",))


class FullText:
    """The texts and both full-text indexes, made in a database of their own (the store, kept
    beside the package's segments from one build to the next) and copied into ``reports.db`` at
    the end, so that a build that changed a few texts updates the indexes for those texts alone
    instead of indexing every text again (at 100,000 reports some 110 s of the database's
    130 s of CPU).

    In the store, each block of ``BLOCK_SEGMENTS`` segments has both indexes of its own
    (``texts_fts_<n>``, ``texts_bigrams_<n>``), each merged into one b-tree (``optimize``);
    ``reports.db``'s index is their b-trees side by side, one a block, copied in order: a
    changed text has its block's b-trees merged again, not the whole index.

    ``reports.db`` must still be the same bytes as a build from nothing. The texts keep their
    rowids (their place in the build's order): the store is used only when the reports come in
    the same order and blocks as it holds them; otherwise (a report added or removed) it is
    made again from nothing. A changed text is deleted from its block's indexes and added
    again, and these are then merged into one b-tree. What FTS5 wrote then depends only on the
    block's texts, except in three places, all rewritten in the copy: each b-tree's id (the
    lowest one not in use), the structure record (a cookie and a write counter that count
    every change) and the averages record (written here as the sum of the blocks'). And a
    b-tree written from memory is laid out otherwise than one written by a merge: a block made
    from nothing whose texts fit in one b-tree has one text written again before it is merged,
    so that every copy is of a merged b-tree.

    The store holds a ``state`` table: the version of this file and of SQLite it was made with,
    and whether it is whole (it is marked not whole before any change, so a build stopped
    part-way leaves a store that the next build makes again). Where a structure record is not
    one ``index_segments`` reads, the store is made from nothing on every build and
    ``reports.db``'s indexes are written from its texts, as FTS5 writes them."""

    def __init__(self, con: sqlite3.Connection, path: Path) -> None:
        self.con = con
        self.path = path
        self.stamp = (
            f"{hashlib.sha256(Path(__file__).read_bytes()).hexdigest()} {sqlite3.sqlite_version}"
        )
        self.bases: list[str] = []
        """The segments' databases added, in order (read again if the store is made anew)."""
        self.count = 0
        """Texts added by this build."""
        self.firsts: dict[int, int] = {}
        """Each block's first rowid, as this build found them."""
        self.held: dict[int, int] = {}
        """Each block's first rowid, as the kept store holds them."""
        self.changed: list[int] = []
        """Rowids of the texts this build changed in a store it kept."""
        self.changed_blocks: set[int] = set()
        """Their blocks."""
        self.indexed = 0
        """The last ``texts`` rowid in both full-text indexes (a store made anew)."""
        self.unindexed = 0
        """Segments added since (a store made anew)."""
        # For ``_index_in_main`` (a function is added while no statement is open).
        con.create_function("bigrams", 1, bigrams, deterministic=True)
        self.kept = self._open()
        """Whether the store is the last build's, being updated (else made anew)."""
        con.execute("PRAGMA temp_store = MEMORY")
        # The bigram rows of the segments copied since the texts were last indexed (``_index``).
        con.execute("CREATE TEMP TABLE pending_bigrams (report_id TEXT, title TEXT, text TEXT)")

    def _open(self) -> bool:
        """Attach the last build's store if it is whole and made by this file and SQLite, and
        mark it not whole; else a new, empty one. Outside a transaction."""

        def read() -> None:
            held = dict(self.con.execute("SELECT block, first FROM ft.blocks"))
            for block in held:
                for fts in FTS_TABLES:
                    index_segments(self._structure(f"{fts}_{block}"))
            self.held = held

        if _open_store(self.con, "ft", self.path, self.stamp, read):
            return True
        self._create()
        return False

    def _create(self) -> None:
        _new_store(
            self.con,
            "ft",
            self.path,
            self.stamp,
            [
                "CREATE TABLE ft.texts (report_id TEXT PRIMARY KEY, title TEXT NOT NULL, "
                "script TEXT NOT NULL, text TEXT NOT NULL, text_original TEXT)",
                # Each text's id and digest by its rowid: what a build compares, without
                # reading texts.
                "CREATE TABLE ft.rows (rowid INTEGER PRIMARY KEY, report_id TEXT NOT NULL, "
                "digest BLOB NOT NULL)",
                # Each block of segments (its indexes ``<index>_<block>``) by its first text's
                # rowid.
                "CREATE TABLE ft.blocks (block INTEGER PRIMARY KEY, first INTEGER NOT NULL)",
            ],
        )

    def _structure(self, table: str) -> bytes:
        row = self.con.execute(
            f"SELECT block FROM ft.{table}_data WHERE id = ?", (_STRUCTURE_ROWID,)
        ).fetchone()
        if row is None or not isinstance(row[0], bytes):
            raise ValueError(f"{table}: no structure record")
        return row[0]

    def _block(self) -> int:
        """The block of the segment added last; its first rowid noted when it begins it."""
        position = len(self.bases) - 1
        block = position // BLOCK_SEGMENTS
        if position % BLOCK_SEGMENTS == 0:
            self.firsts[block] = self.count + 1
        return block

    def add(self, base: str) -> None:
        """The texts of the segment attached as ``base`` (``write_segment``: its ``texts`` and
        ``bigrams``), the next in order. Inside a transaction, left open."""
        con = self.con
        self.bases.append(next(r[2] for r in con.execute("PRAGMA database_list") if r[1] == base))
        block = self._block()
        if not self.kept:
            self._add_new(base, block)
            return
        ids = [r[0] for r in con.execute(f"SELECT report_id FROM {base}.digests ORDER BY 1")]
        first = self.count
        self.count += len(ids)
        held = con.execute(
            "SELECT report_id FROM ft.rows WHERE rowid > ? AND rowid <= ? ORDER BY rowid",
            (first, self.count),
        )
        if [r[0] for r in held] != ids or self.held.get(block) != self.firsts[block]:
            self._anew(base)
            return
        # The digests compared, not the texts: a one-report change read every text of the
        # store and of the segments (some 2 GB at 100,000 reports) while the package was put
        # together, which then waited on the disk. The store's rows by their rowids, each
        # joined to the segment's own (a join left to SQLite went over the whole store).
        changed = con.execute(
            f"SELECT r.rowid, s.title, s.text FROM ft.rows AS r CROSS JOIN {base}.digests AS d "
            "ON d.report_id = r.report_id JOIN ft.texts AS s ON s.rowid = r.rowid "
            "WHERE r.rowid > ? AND r.rowid <= ? AND r.digest IS NOT d.digest ORDER BY r.rowid",
            (first, self.count),
        ).fetchall()
        fts, pairs = (f"{name}_{block}" for name in FTS_TABLES)
        for rowid, title, text in changed:
            con.execute(
                f"INSERT INTO ft.{fts} ({fts}, rowid, title, text) VALUES ('delete', ?, ?, ?)",
                (rowid, title, text),
            )
            con.execute(
                f"INSERT INTO ft.{pairs} ({pairs}, rowid, title, text) VALUES ('delete', ?, ?, ?)",
                (rowid, bigrams(title), bigrams(text)),
            )
            con.execute(
                "UPDATE ft.texts SET (title, script, text, text_original) = "
                f"(SELECT title, script, text, text_original FROM {base}.texts AS b "
                "WHERE b.report_id = ft.texts.report_id) WHERE rowid = ?",
                (rowid,),
            )
            con.execute(
                f"UPDATE ft.rows SET digest = (SELECT digest FROM {base}.digests AS d "
                "WHERE d.report_id = ft.rows.report_id) WHERE rowid = ?",
                (rowid,),
            )
            con.execute(
                f"INSERT INTO ft.{fts} (rowid, title, text) "
                "SELECT rowid, title, text FROM ft.texts WHERE rowid = ?",
                (rowid,),
            )
            con.execute(
                f"INSERT INTO ft.{pairs} (rowid, title, text) "
                f"SELECT s.rowid, b.title, b.text FROM {base}.bigrams AS b "
                "JOIN ft.texts AS s ON s.report_id = b.report_id WHERE s.rowid = ?",
                (rowid,),
            )
            self.changed.append(rowid)
            self.changed_blocks.add(block)

    def _add_new(self, base: str, block: int) -> None:
        con = self.con
        if block not in self.held:  # the block's first segment: its indexes
            if self.unindexed:  # the texts waiting are the last block's
                self._index(block - 1)
            con.execute("INSERT INTO ft.blocks VALUES (?, ?)", (block, self.firsts[block]))
            _create_indexes(con, "ft.", f"_{block}")
            self.held[block] = self.firsts[block]
        self.count += con.execute(
            "INSERT INTO ft.texts (report_id, title, script, text, text_original) "
            f"SELECT report_id, title, script, text, text_original FROM {base}.texts "
            "ORDER BY report_id"
        ).rowcount
        con.execute(
            "INSERT INTO ft.rows (rowid, report_id, digest) "
            f"SELECT t.rowid, d.report_id, d.digest FROM {base}.digests AS d "
            "CROSS JOIN ft.texts AS t ON t.report_id = d.report_id ORDER BY t.rowid"
        )
        con.execute(
            "INSERT INTO temp.pending_bigrams (report_id, title, text) "
            f"SELECT report_id, title, text FROM {base}.bigrams"
        )
        self.unindexed += 1
        if self.unindexed >= INDEX_EVERY:
            self._index(block)

    def _index(self, block: int | None = None) -> None:
        """Add the texts copied since the last call to both full-text indexes of ``block``
        (the last one by default), in one transaction (FTS5 writes what it holds as a new
        b-tree when a transaction ends)."""
        con = self.con
        if block is None:
            block = max(self.held, default=0)
        if block not in self.held:
            return  # no segment at all
        fts, pairs = (f"{name}_{block}" for name in FTS_TABLES)
        con.execute(
            f"INSERT INTO ft.{fts} (rowid, title, text) "
            "SELECT rowid, title, text FROM ft.texts WHERE rowid > ? ORDER BY rowid",
            (self.indexed,),
        )
        con.execute(
            f"INSERT INTO ft.{pairs} (rowid, title, text) "
            "SELECT t.rowid, b.title, b.text FROM temp.pending_bigrams AS b "
            "JOIN ft.texts AS t ON t.report_id = b.report_id AND t.rowid > ? ORDER BY t.rowid",
            (self.indexed,),
        )
        con.execute("DELETE FROM temp.pending_bigrams")
        self.indexed = con.execute("SELECT coalesce(max(rowid), 0) FROM ft.texts").fetchone()[0]
        self.unindexed = 0

    def _anew(self, attached: str | None = None) -> None:
        """The store made from nothing: the reports do not come as it holds them. The segments
        added so far are read again (the last one from the schema ``attached`` when it still
        is). Inside a transaction, left open."""
        con = self.con
        con.execute("COMMIT")
        con.execute("DETACH DATABASE ft")
        self.path.unlink()
        self._create()
        self.kept, self.count, self.changed = False, 0, []
        self.changed_blocks, self.held, self.firsts = set(), {}, {}
        bases, self.bases = self.bases, []
        con.execute("BEGIN")
        for path in bases[:-1] if attached else bases:
            con.execute("COMMIT")
            con.execute("ATTACH DATABASE ? AS earlier", (path,))
            con.execute("BEGIN")
            self.bases.append(path)
            self._add_new("earlier", self._block())
            con.execute("COMMIT")
            con.execute("DETACH DATABASE earlier")
            con.execute("BEGIN")
        if attached:
            self.bases.append(bases[-1])
            self._add_new(attached, self._block())

    def finish(self) -> None:
        """Index what is left, merge each changed block's indexes into one b-tree each, and
        mark the store whole. Outside a transaction."""
        con = self.con
        con.execute("BEGIN")
        if self.kept and (
            self.count != con.execute("SELECT count(*) FROM ft.rows").fetchone()[0]
            or self.held != self.firsts
        ):
            self._anew()  # reports were removed at the end
        if not self.kept:
            self._index()
        con.execute("COMMIT")
        for block in sorted(self.changed_blocks if self.kept else self.held):
            for fts in FTS_TABLES:
                table = f"{fts}_{block}"
                try:
                    segments = index_segments(self._structure(table))
                except ValueError:
                    segments = []
                if len(segments) == 1 and not self.kept:
                    # A b-tree written from memory: one text written again, in a transaction
                    # of its own, so that the index is merged (see the class).
                    self._rewrite_first(fts, block)
                con.execute(f"INSERT INTO ft.{table} ({table}) VALUES ('optimize')")
        _mark_whole(con, "ft", True)

    def _rewrite_first(self, fts: str, block: int) -> None:
        con = self.con
        table = f"{fts}_{block}"
        rowid, title, text = con.execute(
            "SELECT rowid, title, text FROM ft.texts WHERE rowid >= ? ORDER BY rowid LIMIT 1",
            (self.held[block],),
        ).fetchone()
        if fts == "texts_bigrams":
            title, text = bigrams(title), bigrams(text)
        con.execute("BEGIN")
        con.execute(
            f"INSERT INTO ft.{table} ({table}, rowid, title, text) VALUES ('delete', ?, ?, ?)",
            (rowid, title, text),
        )
        con.execute(
            f"INSERT INTO ft.{table} (rowid, title, text) VALUES (?, ?, ?)", (rowid, title, text)
        )
        con.execute("COMMIT")

    def copy_into_main(self) -> None:
        """The texts and both indexes into ``reports.db`` (its tables made empty as FTS5 made
        them): each block's one b-tree under the next id, 1, 2, …, with the structure and
        averages records a build from nothing writes. Inside a transaction."""
        con = self.con
        con.execute(
            "INSERT INTO main.texts (rowid, report_id, title, script, text, text_original) "
            "SELECT rowid, report_id, title, script, text, text_original FROM ft.texts "
            "ORDER BY rowid"
        )
        for fts in FTS_TABLES:
            trees: list[tuple[str, tuple[int, int, int]]] = []
            averages: list[bytes] = []
            try:
                for block in sorted(self.held):
                    table = f"{fts}_{block}"
                    segments = index_segments(self._structure(table))
                    if len(segments) > 1:
                        raise ValueError(f"{table}: not merged")
                    trees += [(table, segments[0])] if segments else []
                    row = con.execute(
                        f"SELECT block FROM ft.{table}_data WHERE id = ?", (_AVERAGES_ROWID,)
                    ).fetchone()
                    averages += [row[0]] if row else []
                if not trees:
                    continue  # no text: the index as FTS5 made it
                structure = canonical_structure(*((first, last) for _, (_, first, last) in trees))
                totals = sum_averages(averages)
            except ValueError:
                self._index_in_main(fts)
                continue
            con.execute(f"DELETE FROM main.{fts}_data")
            con.execute(
                f"INSERT INTO main.{fts}_data (id, block) VALUES (?, ?), (?, ?)",
                (_AVERAGES_ROWID, totals, _STRUCTURE_ROWID, structure),
            )
            for new, (table, (segid, _, _)) in enumerate(trees, 1):
                con.execute(
                    f"INSERT INTO main.{fts}_data (id, block) SELECT id - ?, block "
                    f"FROM ft.{table}_data WHERE id >= {1 << _SEGMENT_SHIFT} ORDER BY id",
                    ((segid - new) << _SEGMENT_SHIFT,),
                )
                con.execute(
                    f"INSERT INTO main.{fts}_idx (segid, term, pgno) "
                    f"SELECT ?, term, pgno FROM ft.{table}_idx ORDER BY term",
                    (new,),
                )
                con.execute(
                    f"INSERT INTO main.{fts}_docsize SELECT * FROM ft.{table}_docsize ORDER BY id"
                )

    def _index_in_main(self, fts: str) -> None:
        """``fts`` of ``reports.db`` written from its texts as FTS5 writes it, and merged: where
        the store's b-trees cannot be read (a structure record ``index_segments`` refuses)."""
        con = self.con
        pairs = fts == "texts_bigrams"
        con.execute(
            f"INSERT INTO main.{fts} (rowid, title, text) SELECT rowid, "
            + ("bigrams(title), bigrams(text)" if pairs else "title, text")
            + " FROM main.texts ORDER BY rowid"
        )
        con.execute(f"INSERT INTO main.{fts} ({fts}) VALUES ('optimize')")


ROWS = "rows.db"
"""Beside the full-text store: the segments' rows as the last build left them (``RowStore``)."""


class RowStore:
    """The segments' rows (``SEGMENT_TABLES``) kept from one build to the next, in a database
    of their own beside the full-text store, and copied into ``reports.db``'s empty tables at
    the end, a table at a time.

    Copied row by row from each segment's files (``INSERT … SELECT``, each row a seek in its
    table's b-tree), the 8 million rows of 100,000 reports took some 13 s of every build. A
    statement ``INSERT INTO t SELECT * FROM s`` between two tables of the same definition,
    into an empty table and with foreign keys not enforced, is one SQLite copies record by
    record in key order (its "transfer optimisation"): 2.3 s for the same rows. The tables are
    ``WITHOUT ROWID``, so what the copy writes depends on the rows alone, not on the order the
    store got them in: a build with a kept store writes the bytes of a build from nothing.

    A segment is known by its files (name, inode, size and modification time of both): one the
    store holds is taken as it is; another has its reports' rows deleted from the store (they
    may be those of an older segment) and its own put in; at the end the rows of the reports
    of no segment of this build are deleted. Like ``FullText``'s, the store has a ``state``
    table (the version of this file, of SQLite and of the tables' definitions, and whether it
    is whole: it is marked not whole before any change, so a build stopped part-way leaves a
    store that the next build makes again)."""

    def __init__(
        self, con: sqlite3.Connection, path: Path, schemas: dict[str, package.ResourceSchema]
    ) -> None:
        self.con = con
        self.path = path
        self.tables = {n: _create_table(n, schemas[n]) for n in SEGMENT_TABLES}
        """Each table's ``CREATE TABLE`` statement, as ``reports.db`` has it."""
        self.columns = {
            n: ", ".join(_quote(f.name) for f in schemas[n].fields) for n in SEGMENT_TABLES
        }
        definitions = hashlib.sha256("\n".join(self.tables.values()).encode()).hexdigest()
        self.stamp = (
            f"{hashlib.sha256(Path(__file__).read_bytes()).hexdigest()} "
            f"{sqlite3.sqlite_version} {definitions}"
        )
        self.held: set[str] = set()
        """The segments the store held when this build opened it."""
        self.seen: list[str] = []
        """The segments of this build, in order."""
        self.added = 0
        """Segments this build put into the store (the others were held)."""
        self.kept = self._open()
        """Whether the store is the last build's (else made anew)."""

    def _open(self) -> bool:
        """Attach the last build's store if it is whole and made by this file, SQLite and table
        definitions, and mark it not whole; else a new, empty one. Outside a transaction."""

        def read() -> None:
            self.held = {r[0] for r in self.con.execute("SELECT segment FROM rs.segments")}

        if _open_store(self.con, "rs", self.path, self.stamp, read):
            return True
        _new_store(
            self.con,
            "rs",
            self.path,
            self.stamp,
            [
                "CREATE TABLE rs.segments (segment TEXT PRIMARY KEY) WITHOUT ROWID",
                # Which segment each report's rows came with.
                "CREATE TABLE rs.owners (report_id TEXT PRIMARY KEY, segment TEXT NOT NULL) "
                "WITHOUT ROWID",
                *(
                    sql.replace("CREATE TABLE ", "CREATE TABLE rs.", 1)
                    for sql in self.tables.values()
                ),
            ],
        )
        return False

    @staticmethod
    def segment_key(path: str) -> str:
        """What names the segment whose database is at ``path``: its folder's name, and both of
        its files' inodes, sizes and modification times."""
        files = (Path(path), Path(path).with_name(BASE_DATABASE))
        stamps = [stamp(os.stat(f)) for f in files]
        return f"{Path(path).parent.name} {stamps}"

    def add(self, path: str) -> None:
        """The segment whose database is at ``path`` (``write_segment``: its ``reports`` rows
        there, its other rows in ``base.db`` beside it), the next in order: nothing to do when
        the store holds it. Outside a transaction."""
        key = self.segment_key(path)
        self.seen.append(key)
        if key in self.held:
            return
        self.added += 1
        con = self.con
        con.execute("ATTACH DATABASE ? AS segment", (path,))
        con.execute("ATTACH DATABASE ? AS base", (str(Path(path).with_name(BASE_DATABASE)),))
        try:
            con.execute("BEGIN")
            ids = "SELECT report_id FROM segment.reports"
            for name in SEGMENT_TABLES:
                con.execute(f"DELETE FROM rs.{_quote(name)} WHERE report_id IN ({ids})")
            con.execute(
                f"INSERT OR REPLACE INTO rs.owners SELECT report_id, ? FROM ({ids})", (key,)
            )
            con.execute("INSERT INTO rs.segments VALUES (?)", (key,))
            for name in SEGMENT_TABLES:
                source = "segment" if name == "reports" else "base"
                cols = self.columns[name]
                con.execute(
                    f"INSERT INTO rs.{_quote(name)} ({cols}) "
                    f"SELECT {cols} FROM {source}.{_quote(name)}"
                )
            con.execute("COMMIT")
        finally:
            con.execute("DETACH DATABASE segment")
            con.execute("DETACH DATABASE base")

    def copy_into_main(self) -> None:
        """The rows of reports of no segment of this build deleted from the store, which is then
        whole, and every table copied into ``reports.db``'s (empty). Inside a transaction."""
        con = self.con
        con.execute("CREATE TEMP TABLE seen (segment TEXT PRIMARY KEY) WITHOUT ROWID")
        con.executemany("INSERT INTO temp.seen VALUES (?)", [(k,) for k in self.seen])
        gone = (
            "SELECT segment FROM rs.segments WHERE segment NOT IN (SELECT segment FROM temp.seen)"
        )
        orphans = f"SELECT report_id FROM rs.owners WHERE segment IN ({gone})"
        for name in SEGMENT_TABLES:
            con.execute(f"DELETE FROM rs.{_quote(name)} WHERE report_id IN ({orphans})")
        con.execute(f"DELETE FROM rs.owners WHERE segment IN ({gone})")
        con.execute(f"DELETE FROM rs.segments WHERE segment IN ({gone})")
        con.execute("DROP TABLE temp.seen")
        for name in SEGMENT_TABLES:
            con.execute(f"INSERT INTO main.{_quote(name)} SELECT * FROM rs.{_quote(name)}")
        _mark_whole(con, "rs", True)


class _Database:
    """The statements that write ``reports.db``, in the one order that gives the same bytes
    every time: tables; each segment's texts, to the store (``FullText``, at ``fulltext`` or,
    without one, beside ``path`` for this build only: ``add_texts``); the texts and both
    full-text indexes copied from the store (``copy_texts``); then the segments' rows, to
    their store (``RowStore``, beside the full-text one: ``add_segment``), copied from there
    once the last is in (``copy_rows``); then the other tables' rows as they come; and at
    ``close`` the views and the foreign-key check. Written to a temporary file beside ``path``
    and renamed at the end."""

    def __init__(self, path: Path, fulltext: Path | None = None) -> None:
        _, self.schemas = package.schemas()
        self.path = path
        self.tmp = path.with_name(path.name + ".tmp")
        self.tmp.unlink(missing_ok=True)
        # Transactions as the statements say (``add_segment`` attaches a file between two).
        self.con = sqlite3.connect(self.tmp, isolation_level=None)
        con = self.con
        con.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        con.execute("BEGIN")
        # Referenced tables first; the foreign keys are checked once, at the end.
        order = ["issuers", "reports"] + [
            n for n in package.RESOURCES if n not in ("issuers", "reports")
        ]
        for name in order:
            con.execute(_create_table(name, self.schemas[name]))
        con.execute(
            "CREATE TABLE texts (\n  report_id TEXT PRIMARY KEY REFERENCES reports (report_id),"
            "\n  title TEXT NOT NULL,\n  script TEXT NOT NULL,\n  text TEXT NOT NULL,"
            "\n  text_original TEXT\n)"
        )
        _create_indexes(con, "")
        con.execute("COMMIT")
        # The texts and their indexes are made in the store (``FullText``) and copied at the end.
        self.fulltext = FullText(con, fulltext or path.with_name(path.name + ".fulltext"))
        self.own_store = fulltext is None  # a store of this build only, removed at the end
        self.rows = RowStore(
            con,
            fulltext.with_name(ROWS) if fulltext else path.with_name(path.name + ".rows"),
            self.schemas,
        )
        self.checked = [n for n in (*order, "texts") if self._checked_here(n)]
        """The tables whose foreign keys SQLite checks at ``close`` (the rest are checked as
        their segments are made)."""
        self.timings: dict[str, float] = {"database_texts": 0.0}
        """Seconds spent on the texts as segments came, merging and copying (``summary``)."""
        self.copied = False
        """Whether the texts and their indexes are in (``copy_texts``): once, after the last
        segment's texts and before any segment's rows."""
        self.rows_copied = False
        """Whether the segments' rows are in (``copy_rows``): once, after the last segment's."""
        con.execute("BEGIN")

    def _checked_here(self, name: str) -> bool:
        """Whether table ``name`` has a foreign key not checked as the segments are made."""
        keys = self.con.execute(f"PRAGMA foreign_key_list({_quote(name)})").fetchall()
        return any(name not in SEGMENT_CHECKED or key[2] != "reports" for key in keys)

    def add(self, name: str, rows: Sequence[dict[str, Any]]) -> None:
        _insert(self.con, name, self.schemas[name], rows)

    def add_texts(self, path: str) -> None:
        """A segment's texts, the next in order, into the store (``FullText.add``): from the
        ``base.db`` beside the segment's database at ``path`` (``write_segment``)."""
        if self.copied:
            raise ValueError(f"{path}: texts added after the texts were copied")
        con = self.con
        t = time.perf_counter()
        con.execute("COMMIT")
        con.execute("ATTACH DATABASE ? AS base", (str(Path(path).with_name(BASE_DATABASE)),))
        con.execute("BEGIN")
        self.fulltext.add("base")
        con.execute("COMMIT")
        con.execute("DETACH DATABASE base")
        con.execute("BEGIN")
        self.timings["database_texts"] += time.perf_counter() - t

    def copy_texts(self) -> None:
        """Once every segment's texts are in the store: its changed indexes merged, and the texts
        and both indexes copied into ``reports.db`` (``FullText.copy_into_main``), before the
        segments' rows, so that the copy (at 100,000 reports some 20 s) does not wait for the
        package to be put together."""
        if self.copied:
            return
        self.copied = True
        con = self.con
        con.execute("COMMIT")
        t = time.perf_counter()
        self.fulltext.finish()
        self.timings["database_merge"] = time.perf_counter() - t
        t = time.perf_counter()
        con.execute("BEGIN")
        self.fulltext.copy_into_main()
        self.timings["database_copy"] = time.perf_counter() - t

    def add_segment(self, path: str) -> None:
        """A segment's rows, into the row store (``RowStore.add``; its texts come by
        ``add_texts``): copied into ``reports.db`` by ``copy_rows``."""
        if self.rows_copied:
            raise ValueError(f"{path}: a segment added after the segments' rows were copied")
        con = self.con
        t = time.perf_counter()
        con.execute("COMMIT")
        self.rows.add(path)
        con.execute("BEGIN")
        self.timings["database_rows"] = self.timings.get("database_rows", 0.0) + (
            time.perf_counter() - t
        )

    def copy_rows(self) -> None:
        """Once every segment is added: their rows copied into ``reports.db`` from the row
        store (``RowStore.copy_into_main``), and the foreign keys of the texts checked, while
        the build still puts the package together (at 100,000 reports some 2.5 s of the
        database's work, which the build waited for at the end when it was left to ``close``)."""
        if self.rows_copied:
            return
        self.copy_texts()  # when no call asked for it (a database of no segment)
        self.rows_copied = True
        t = time.perf_counter()
        self.rows.copy_into_main()
        if "texts" in self.checked:
            self.checked.remove("texts")
            self._check_keys(["texts"])
        self.timings["database_rows_copy"] = time.perf_counter() - t

    def _check_keys(self, names: Sequence[str]) -> None:
        problems = [
            row
            for name in names
            for row in self.con.execute(f"PRAGMA foreign_key_check({_quote(name)})")
        ]
        if problems:
            raise ValueError(f"reports.db: foreign keys do not hold: {problems[:3]}")

    def apply(self, call: tuple[Any, ...]) -> None:
        """One ``DatabaseWriter`` call: ``("rows", name, rows)``, ``("texts", path)``,
        ``("copy",)``, ``("segment", path)`` or ``("segments done",)``."""
        if call[0] == "rows":
            self.add(call[1], call[2])
        elif call[0] == "texts":
            self.add_texts(call[1])
        elif call[0] == "copy":
            self.copy_texts()
        elif call[0] == "segments done":
            self.copy_rows()
        else:
            self.add_segment(call[1])

    def close(self) -> None:
        con = self.con
        try:
            self.copy_rows()  # when no call asked for it
            for name, sql in VIEWS.items():
                con.execute(f"CREATE VIEW {_quote(name)} AS {sql.strip()}")
            self._check_keys(self.checked)
            con.execute("COMMIT")
        finally:
            con.close()
            if self.own_store:
                self.fulltext.path.unlink(missing_ok=True)
                self.rows.path.unlink(missing_ok=True)
        self.tmp.replace(self.path)

    def abort(self) -> None:
        self.con.close()
        self.tmp.unlink(missing_ok=True)
        if self.own_store:
            self.fulltext.path.unlink(missing_ok=True)
            self.rows.path.unlink(missing_ok=True)

    def summary(self) -> dict[str, Any]:
        """What the build reports of it: whether the full-text store was the last build's, the
        texts it changed there, and the seconds of each part."""
        return {
            "kept": self.fulltext.kept and not self.own_store,
            "changed": len(self.fulltext.changed),
            "rows": {"kept": self.rows.kept and not self.own_store, "added": self.rows.added},
            "timings": dict(self.timings),
        }


INBOX = 1 << 17
"""Batches of calls the database process may have waiting. Most are one segment's file name
(a few bytes; two calls a segment: its texts, its rows), so the build never waits for the
database while it has other work: it goes on to the archive, the zips and the pages while the
database copies and indexes. The bound is above the calls of 4 million reports (64 a segment):
at 100,000 reports (1,654 segments, ~63 ms each in the database) a bound of 512 had a one-report
rebuild put the package together at the database's pace, 75.8 s where the same work alone takes
17 s (and a bound of 8 had a 10,000 one waiting some 20 s). Batches of rows are 200 calls at
most, and come only at the end."""

_FAILURES = (sqlite3.Error, ValueError, TypeError, OSError)
"""What a bad row or a full disk raises in the database process (anything else ends it, which
the writer reports with its exit code)."""


def _serve(inbox: Any, outbox: Any) -> None:
    """The database process: apply each batch of ``DatabaseWriter`` calls until ``None``, then
    close and hash the file; report the error (or ``None``) and the hash (the datasets page gives
    it: computed here, beside the build's other work). After an error it still empties ``inbox`` (so that the
    writer never waits on a full queue) and leaves no file."""
    name_process("reports.db")
    named = inbox.get()  # by the writer that takes the process (None: not needed)
    if named is None:
        return
    path, fulltext = named
    db: _Database | None = None
    error: str | None = None
    try:
        db = _Database(Path(path), Path(fulltext) if fulltext else None)
    except _FAILURES as exc:  # reported to the writer, which raises it
        error = f"{type(exc).__name__}: {exc}"
    while (batch := inbox.get()) is not None:
        if error is not None or db is None:
            continue
        try:
            for call in batch:
                db.apply(call)
        except _FAILURES as exc:
            error = f"{type(exc).__name__}: {exc}"
            db.abort()
    digest = summary = None
    if error is None and db is not None:
        try:
            db.close()
            t = time.perf_counter()
            digest = package.sha256_file(Path(path))  # here, beside the build's work
            db.timings["database_hash"] = time.perf_counter() - t
            summary = db.summary()
        except _FAILURES as exc:
            error = f"{type(exc).__name__}: {exc}"
            Path(path + ".tmp").unlink(missing_ok=True)
    outbox.put((error, digest, summary))


class Standby:
    """A database process started before the build loads its reports, waiting for the
    ``DatabaseWriter`` that takes it. A process is forked: it starts at once and shares the
    memory the build had then, page by page, until either writes to a page; a page the build
    writes afterwards is copied, and the process keeps the old one. Forked once the reports
    were loaded (as it was), the database process ended up holding a stale copy of most of
    the build's memory, since making the pages touches every report (their reference counts):
    forked before, it shares only what the interpreter had at the start."""

    def __init__(self) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context()
        self.inbox = ctx.Queue(maxsize=INBOX)
        self.outbox = ctx.Queue()
        # Daemonic: ended with the build, should it stop without taking or stopping it.
        self.proc = ctx.Process(
            target=_serve, args=(self.inbox, self.outbox), name="reports.db", daemon=True
        )
        self.proc.start()
        self.taken = False

    def take(self) -> tuple[Any, Any, Any]:
        """The process and its queues, for one writer."""
        if self.taken:
            raise RuntimeError("a database process serves one writer")
        self.taken = True
        return self.proc, self.inbox, self.outbox

    def stop(self) -> None:
        """End the process if no writer took it (a build that stopped before its package)."""
        if not self.taken:
            self.taken = True
            end_waiting(self.proc, self.inbox)


class DatabaseWriter:
    """``reports.db`` written as the package is: segments of reports' rows and texts
    (``add_segment``) and the other resources' rows (``add``) as they come, the views and the
    foreign-key check at ``close``.

    The statements run in a process of their own, fed in batches through a bounded queue: the
    database (SQLite's inserts, two full-text indexes) is about half of the package's time, and
    the other half (CSV, Parquet, JSON documents, the archive) goes on beside it on the other
    core. One process runs every statement in the same order, so the bytes are the same. It is
    the ``standby`` process when one is given (started early, ``Standby``), else one started
    now."""

    BATCH = 200
    """Calls sent at a time."""

    def __init__(
        self, path: Path, standby: Standby | None = None, fulltext: Path | None = None
    ) -> None:
        import multiprocessing

        self.path = path
        self.batch: list[tuple[Any, ...]] = []
        self.local: _Database | None = None
        self.done = False
        self.summary: dict[str, Any] | None = None
        """Once closed: ``_Database.summary`` (None when the database failed)."""
        self.finished = False
        if multiprocessing.current_process().daemon:
            # A daemonic process (a pool's worker running a build) may not start one: the
            # statements then run here, in the same order.
            self.local = _Database(path, fulltext)
            return
        standby = standby or Standby()
        self.proc, self.inbox, self.outbox = standby.take()
        self._send((str(path), str(fulltext) if fulltext else None))

    def _send(self, item: list[tuple[Any, ...]] | tuple[str, str | None] | None) -> None:
        import queue

        while True:
            try:
                self.inbox.put(item, timeout=1)
                return
            except queue.Full:
                if not self.proc.is_alive():
                    raise RuntimeError(
                        f"{self.path.name}: the database process stopped "
                        f"(exit code {self.proc.exitcode})"
                    ) from None

    def _queue(self, call: tuple[Any, ...]) -> None:
        if self.local is not None:
            self.local.apply(call)
            return
        self.batch.append(call)
        if len(self.batch) >= self.BATCH:
            self._send(self.batch)
            self.batch = []

    def add(self, name: str, rows: Sequence[dict[str, Any]]) -> None:
        """Rows of one resource (in the order of its primary key)."""
        if rows:
            self._queue(("rows", name, list(rows)))

    def _now(self, call: tuple[Any, ...]) -> None:
        """``call`` sent at once: the database process works on it meanwhile."""
        self._queue(call)
        if self.local is None:
            self._send(self.batch)
            self.batch = []

    def add_texts(self, path: Path) -> None:
        """A segment's texts, from its database (``write_segment``): every segment's, in order,
        before ``copy_texts``. The file must stay until ``close`` returns."""
        self._now(("texts", str(path)))

    def copy_texts(self) -> None:
        """The texts are all given: the database process copies them and their indexes into
        the file while the rows still come (``_Database.copy_texts``)."""
        self._now(("copy",))

    def add_segment(self, path: Path) -> None:
        """A segment's rows, from its database (``write_segment``), after ``copy_texts``; the
        file must stay until ``close`` returns."""
        self._now(("segment", str(path)))

    def segments_done(self) -> None:
        """Every segment is added: the database process copies their rows into the file while
        the other rows still come (``_Database.copy_rows``)."""
        self._now(("segments done",))

    def finish(self) -> None:
        """Send the last calls: the database process then makes the views, checks the foreign
        keys and puts the file in place by itself, while the build goes on (``close`` waits for
        it). Nothing may be added after."""
        if self.local is not None or self.finished:
            return
        self.finished = True
        if self.batch:
            self._send(self.batch)
            self.batch = []
        self._send(None)

    def close(self) -> None:
        """Finish the database; raise what went wrong in it, naming the file. Once closed
        (or aborted), ``close`` and ``abort`` do nothing."""
        if self.done:
            return
        self.done = True
        if self.local is not None:
            self.local.close()
            self.summary = self.local.summary()
            return
        self.finish()
        came, message = reply(self.proc, self.outbox)
        error, digest, summary = (
            message if came else (f"the database process stopped (exit code {message})", None, None)
        )
        if error is not None:
            raise RuntimeError(f"{self.path.name}: {error}")
        if digest is not None:
            package.remember_sha256(self.path, digest)
        self.summary = summary

    def abort(self) -> None:
        """Stop without a database (a failed build): the process ends, no file is left."""
        if self.done:
            return
        self.done = True
        if self.local is not None:
            self.local.abort()
            return
        if self.proc.is_alive():
            self.proc.terminate()
        self.proc.join()
        self.path.with_name(self.path.name + ".tmp").unlink(missing_ok=True)
        if self.finished:  # the process may have put the file in place already
            self.path.unlink(missing_ok=True)
