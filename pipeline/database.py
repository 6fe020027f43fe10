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

The file is written the same way on every build (same statements in the same order, in one
transaction), so two builds of the same sources give the same bytes.
"""

from __future__ import annotations

import operator
import re
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pipeline import package
from pipeline.executor import end_waiting, name_process, reply
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


def bigram_row(row: tuple[Any, ...]) -> tuple[str, str, str]:
    """A ``text_row``'s id, title and text as ``texts_bigrams`` indexes them."""
    return (row[0], bigrams(row[1]), bigrams(row[3]))


SEGMENT_TABLES = ("reports", "statistics", "template_cells", "checks")
"""The tables whose rows a segment (``pipeline.segments``) brings, in the order they are copied."""
BASE_DATABASE = "base.db"
"""A segment's other database, beside the one named to ``add_segment`` (``pipeline.segments``)."""


def write_segment(
    path: Path,
    rows: dict[str, Sequence[dict[str, Any]]],
    texts: Sequence[tuple[Any, ...]] | None,
) -> None:
    """Part of a segment's share of ``reports.db`` as a database of its own: its rows of the
    tables of ``SEGMENT_TABLES`` in ``rows`` and, unless None, its ``texts`` rows and their
    character pairs (``bigrams``), so that the database process copies them with one statement
    each (``_Database.add_segment``)."""
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
        con.execute("COMMIT")
    finally:
        con.close()


FTS_TABLES = ("texts_fts", "texts_bigrams")
AUTOMERGE = 16
"""FTS5's ``automerge`` while the texts are added: each segment of reports adds a b-tree to
both indexes, and with FTS5's default (4) their entries were merged again every few segments;
with 16 fewer times, and ``close`` merges each index into one b-tree (``optimize``). Measured
at 10,000 reports: 20.0 s of CPU before, 15.4 s with both (the file 0.5 % larger)."""

INDEX_EVERY = 8
"""Segments whose texts are added to the full-text indexes in one transaction: FTS5 writes a
new b-tree of each index at the end of every transaction that added to it (a segment's ``ATTACH``
ends one), and merges those b-trees again as they pile up. With 8 segments at a time (and room
for them, ``HASHSIZE``) the database took 22 % less time over 300 segments of the 100,000
benchmark (16.1 → 12.4 s; the database process's memory 123 → 148 MB)."""

HASHSIZE = 16 << 20
"""FTS5's ``hashsize``: the bytes of index entries an index holds before writing a b-tree
(1 MiB by default, about one segment's texts)."""


class _Database:
    """The statements that write ``reports.db``, in the one order that gives the same bytes
    every time: tables, then rows and texts as they come (the texts added to both full-text
    indexes ``INDEX_EVERY`` segments at a time), then (``close``) the views and the foreign-key
    check. Written to a temporary file beside ``path`` and renamed at the end."""

    def __init__(self, path: Path) -> None:
        _, self.schemas = package.schemas()
        self.path = path
        self.tmp = path.with_name(path.name + ".tmp")
        self.tmp.unlink(missing_ok=True)
        # Transactions as the statements say (``add_segment`` attaches a file between two).
        self.con = sqlite3.connect(self.tmp, isolation_level=None)
        con = self.con
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
        con.execute(
            'CREATE VIRTUAL TABLE texts_fts USING fts5(title, text, content="texts", '
            "content_rowid=rowid, tokenize='trigram')"
        )
        con.execute(
            "CREATE VIRTUAL TABLE texts_bigrams USING fts5(title, text, content='', "
            "tokenize='ascii')"
        )
        for fts in FTS_TABLES:
            con.execute(f"INSERT INTO {fts} ({fts}, rank) VALUES ('automerge', {AUTOMERGE})")
            con.execute(f"INSERT INTO {fts} ({fts}, rank) VALUES ('hashsize', {HASHSIZE})")
        # The bigram rows of the segments copied since the texts were last indexed (``_index``).
        con.execute("COMMIT")
        con.execute("PRAGMA temp_store = MEMORY")
        con.execute("CREATE TEMP TABLE pending_bigrams (report_id TEXT, title TEXT, text TEXT)")
        con.execute("BEGIN")
        self.indexed = 0
        """The last ``texts`` rowid in both full-text indexes."""
        self.unindexed = 0
        """Segments copied since."""

    def add(self, name: str, rows: Sequence[dict[str, Any]]) -> None:
        _insert(self.con, name, self.schemas[name], rows)

    def add_segment(self, path: str) -> None:
        """A segment's rows and texts, copied by SQLite itself: its ``reports`` rows from the
        database at ``path``, its other rows and its texts from ``base.db`` beside it (both
        written by ``write_segment``)."""
        con = self.con
        con.execute("COMMIT")
        con.execute("ATTACH DATABASE ? AS segment", (path,))
        con.execute("ATTACH DATABASE ? AS base", (str(Path(path).with_name(BASE_DATABASE)),))
        con.execute("BEGIN")
        for name in SEGMENT_TABLES:
            cols = ", ".join(_quote(f.name) for f in self.schemas[name].fields)
            source = "segment" if name == "reports" else "base"
            con.execute(
                f"INSERT INTO main.{_quote(name)} ({cols}) SELECT {cols} FROM {source}.{_quote(name)}"
            )
        con.execute(
            "INSERT INTO main.texts (report_id, title, script, text, text_original) "
            "SELECT report_id, title, script, text, text_original FROM base.texts "
            "ORDER BY report_id"
        )
        con.execute(
            "INSERT INTO temp.pending_bigrams (report_id, title, text) "
            "SELECT report_id, title, text FROM base.bigrams"
        )
        self.unindexed += 1
        if self.unindexed >= INDEX_EVERY:
            self._index()
        con.execute("COMMIT")
        con.execute("DETACH DATABASE segment")
        con.execute("DETACH DATABASE base")
        con.execute("BEGIN")

    def _index(self) -> None:
        """Add the texts copied since the last call to both full-text indexes, in one
        transaction (FTS5 writes what it holds as a new b-tree when a transaction ends)."""
        con = self.con
        con.execute(
            "INSERT INTO main.texts_fts (rowid, title, text) "
            "SELECT rowid, title, text FROM main.texts WHERE rowid > ? ORDER BY rowid",
            (self.indexed,),
        )
        con.execute(
            "INSERT INTO main.texts_bigrams (rowid, title, text) "
            "SELECT t.rowid, b.title, b.text FROM temp.pending_bigrams AS b "
            "JOIN main.texts AS t ON t.report_id = b.report_id AND t.rowid > ? ORDER BY t.rowid",
            (self.indexed,),
        )
        con.execute("DELETE FROM temp.pending_bigrams")
        self.indexed = con.execute("SELECT coalesce(max(rowid), 0) FROM main.texts").fetchone()[0]
        self.unindexed = 0

    def apply(self, call: tuple[Any, ...]) -> None:
        """One ``DatabaseWriter`` call: ``("rows", name, rows)`` or ``("segment", path)``."""
        if call[0] == "rows":
            self.add(call[1], call[2])
        else:
            self.add_segment(call[1])

    def close(self) -> None:
        con = self.con
        try:
            self._index()
            for fts in FTS_TABLES:  # each index one b-tree: what a query reads least of
                con.execute(f"INSERT INTO {fts} ({fts}) VALUES ('optimize')")
            for name, sql in VIEWS.items():
                con.execute(f"CREATE VIEW {_quote(name)} AS {sql.strip()}")
            problems = con.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise ValueError(f"reports.db: foreign keys do not hold: {problems[:3]}")
            con.execute("COMMIT")
        finally:
            con.close()
        self.tmp.replace(self.path)

    def abort(self) -> None:
        self.con.close()
        self.tmp.unlink(missing_ok=True)


INBOX = 1 << 16
"""Batches of calls the database process may have waiting. Most are one segment's file name
(a few bytes), so the build never waits for the database while it has other work: it goes on
to the archive, the zips and the pages while the database copies and indexes. The bound is
above the segments of 4 million reports (64 a segment): at 100,000 reports (1,654 segments, ~63 ms each in the
database) a bound of 512 had a one-report rebuild put the package together at the database's
pace, 75.8 s where the same work alone takes 17 s (and a bound of 8 had a 10,000 one waiting
some 20 s). Batches of rows are 200 calls at most, and come only at the end."""

_FAILURES = (sqlite3.Error, ValueError, TypeError, OSError)
"""What a bad row or a full disk raises in the database process (anything else ends it, which
the writer reports with its exit code)."""


def _serve(inbox: Any, outbox: Any) -> None:
    """The database process: apply each batch of ``DatabaseWriter`` calls until ``None``, then
    close and hash the file; report the error (or ``None``) and the hash (the datasets page gives
    it: computed here, beside the build's other work). After an error it still empties ``inbox`` (so that the
    writer never waits on a full queue) and leaves no file."""
    name_process("reports.db")
    path = inbox.get()  # named by the writer that takes the process (None: not needed)
    if path is None:
        return
    db: _Database | None = None
    error: str | None = None
    try:
        db = _Database(Path(path))
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
    digest = None
    if error is None and db is not None:
        try:
            db.close()
            digest = package.sha256_file(Path(path))  # here, beside the build's work
        except _FAILURES as exc:
            error = f"{type(exc).__name__}: {exc}"
            Path(path + ".tmp").unlink(missing_ok=True)
    outbox.put((error, digest))


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

    def __init__(self, path: Path, standby: Standby | None = None) -> None:
        import multiprocessing

        self.path = path
        self.batch: list[tuple[Any, ...]] = []
        self.local: _Database | None = None
        self.done = False
        self.finished = False
        if multiprocessing.current_process().daemon:
            # A daemonic process (a pool's worker running a build) may not start one: the
            # statements then run here, in the same order.
            self.local = _Database(path)
            return
        standby = standby or Standby()
        self.proc, self.inbox, self.outbox = standby.take()
        self._send(str(path))

    def _send(self, item: list[tuple[Any, ...]] | str | None) -> None:
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

    def add_segment(self, path: Path) -> None:
        """A segment's rows and texts, from its database (``write_segment``); the file must
        stay until ``close`` returns."""
        self._queue(("segment", str(path)))
        if self.local is None:  # sent at once: the database process copies it meanwhile
            self._send(self.batch)
            self.batch = []

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
            return
        self.finish()
        came, message = reply(self.proc, self.outbox)
        error, digest = (
            message if came else (f"the database process stopped (exit code {message})", None)
        )
        if error is not None:
            raise RuntimeError(f"{self.path.name}: {error}")
        if digest is not None:
            package.remember_sha256(self.path, digest)

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
