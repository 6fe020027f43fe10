"""The texts and full-text indexes of ``reports.db`` kept from one build to the next
(``database.FullText``): a build that changed a few texts indexes those alone, and the file is
the same bytes as one built from nothing, whatever the store held before."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pipeline import database, package
from pipeline.database import bigram_query

WORDS = ["岳塘区", "雨湖区", "芙蓉区", "天心区", "开福区", "望城区", "浏阳市", "宁乡市", "韶山市"]


def _report_row(rid: str) -> dict:
    """A ``reports`` row with every required field (what these tests need of it)."""
    _, schemas = package.schemas()
    dummy = {"string": "x", "integer": 0, "number": 0.0, "boolean": False, "date": "2020-01-01"}
    row = {
        f.name: dummy[f.type] for f in schemas["reports"].fields if f.constraints.get("required")
    }
    return {**row, "report_id": rid}


def _segments(root: Path, texts: list[list[tuple[str, str]]]) -> list[str]:
    """One segment per list of (report id, text), written as the package writes them
    (``database.write_segment``); returns the paths ``_Database.add_texts`` and
    ``add_segment`` take."""
    paths = []
    for n, segment in enumerate(texts):
        folder = root / f"s{n}"
        folder.mkdir(parents=True)
        rows = [_report_row(rid) for rid, _ in segment]
        database.write_segment(folder / "segment.db", {"reports": rows}, None)
        others = {name: [] for name in database.SEGMENT_TABLES[1:]}
        text_rows = [(rid, f"{rid}的报告", "hans", text, None) for rid, text in segment]
        database.write_segment(folder / database.BASE_DATABASE, others, text_rows)
        paths.append(str(folder / "segment.db"))
    return paths


def _filler(seed: int) -> str:
    """Some 600 characters of Han text, the same for a seed, and a phrase 800 times: a term's
    positions in one text span pages, where a b-tree written from memory and one written by a
    merge lay them out differently (in an index of short texts they are the same)."""
    return "".join(chr(0x4E00 + (seed * 7919 + i * i * 31) % 40) for i in range(600)) + (
        "政府信息公开" * 800
    )


def _corpus(changed: dict[str, str] | None = None, extra: int = 0, at: int = 0) -> list[list]:
    """Nine segments of two reports each, every text with its own place name; ``changed``
    gives some reports another text, ``extra`` adds reports to the segment ``at``."""
    changed = changed or {}
    out = []
    for n, word in enumerate(WORDS):
        segment = []
        for k in "ab":
            rid = f"r{n}{k}"
            text = f"{word}第{k}份报告，政府信息公开。{_filler(2 * n + (k == 'b'))}"
            segment.append((rid, changed.get(rid, text)))
        out.append(segment)
    out[at] += [(f"r{at}c{i}", f"新增报告{i}。") for i in range(extra)]
    return out


def fill(db: database._Database, paths: list[str]) -> None:
    """The segments at ``paths`` into ``db`` as the build gives them: every segment's texts,
    their copy, then every segment's rows and theirs."""
    for path in paths:
        db.add_texts(path)
    db.copy_texts()
    for path in paths:
        db.add_segment(path)
    db.copy_rows()


def _build(root: Path, corpus: list[list], store: Path | None) -> tuple[Path, database._Database]:
    """``reports.db`` of ``corpus`` under ``root`` (its segments beside it), with the store
    ``store`` (None: one of its own, removed at the end)."""
    root.mkdir(parents=True)
    db = database._Database(root / "reports.db", store)
    fill(db, _segments(root / "segments", corpus))
    db.close()
    return root / "reports.db", db


def _found(path: Path, word: str) -> tuple[set[str], set[str]]:
    con = sqlite3.connect(path)
    try:
        for fts in database.FTS_TABLES:  # the copied indexes are whole and readable
            con.execute(f"INSERT INTO {fts} ({fts}) VALUES ('integrity-check')")
        # Their rows and tokens (what ``bm25`` ranks by) are those of one index of every text.
        con.create_function("bigrams", 1, database.bigrams)
        con.execute("ATTACH DATABASE ':memory:' AS one")
        con.execute("CREATE VIRTUAL TABLE one.t USING fts5(title, text, tokenize='trigram')")
        con.execute("CREATE VIRTUAL TABLE one.b USING fts5(title, text, tokenize='ascii')")
        con.execute("INSERT INTO one.t SELECT title, text FROM texts")
        con.execute("INSERT INTO one.b SELECT bigrams(title), bigrams(text) FROM texts")
        for fts, one in zip(database.FTS_TABLES, ("t", "b"), strict=True):
            averages = "SELECT block FROM {}_data WHERE id = 1"
            assert (
                con.execute(averages.format(fts)).fetchone()
                == con.execute(averages.format(f"one.{one}")).fetchone()
            )
        trigram = (
            "SELECT t.report_id FROM texts_fts JOIN texts AS t "
            "ON t.rowid = texts_fts.rowid WHERE texts_fts MATCH ?"
        )
        pairs = (
            "SELECT t.report_id FROM texts_bigrams JOIN texts AS t "
            "ON t.rowid = texts_bigrams.rowid WHERE texts_bigrams MATCH ?"
        )
        return (
            {r[0] for r in con.execute(trigram, (word,))},
            {r[0] for r in con.execute(pairs, (bigram_query(word),))},
        )
    finally:
        con.close()


@pytest.mark.parametrize(("every", "blocks"), [(len(WORDS), 64), (2, 64), (2, 2), (1, 4)])
def test_a_kept_store_indexes_only_the_changed_text_and_gives_the_bytes_of_a_fresh_build(
    tmp_path, monkeypatch, every, blocks
):
    """With every text in one index run (the index one b-tree written from memory) and in
    several (b-trees merged), in one block and in several: a store kept from the last build
    takes the changed text alone, merges its block's b-trees alone, and ``reports.db`` is the
    bytes of a build from nothing of the new texts, with a b-tree a block."""
    monkeypatch.setattr(database, "INDEX_EVERY", every)
    monkeypatch.setattr(database, "BLOCK_SEGMENTS", blocks)
    store = tmp_path / "cache" / database.FULLTEXT
    store.parent.mkdir()
    first, db = _build(tmp_path / "first", _corpus(), store)
    assert not db.fulltext.kept and store.exists()
    assert first.read_bytes() == _build(tmp_path / "fresh1", _corpus(), None)[0].read_bytes()
    assert _found(first, "天心区") == ({"r3a", "r3b"}, {"r3a", "r3b"})

    new = _corpus({"r3b": "复议机关改为橘子洲街道。"})
    second, db = _build(tmp_path / "second", new, store)
    assert db.fulltext.kept and db.fulltext.changed == [8]  # r3b: the 8th text
    assert db.fulltext.changed_blocks == {3 // blocks}  # in the 4th segment
    con = sqlite3.connect(second)
    for fts in database.FTS_TABLES:  # a b-tree a block, ids 1, 2, …
        (structure,) = con.execute(f"SELECT block FROM {fts}_data WHERE id = 10").fetchone()
        trees = database.index_segments(structure)
        assert [t[0] for t in trees] == list(range(1, -(-len(WORDS) // blocks) + 1))
    con.close()
    summary = db.summary()  # what the build says of it
    assert summary["kept"] and summary["changed"] == 1
    assert set(summary["timings"]) == {
        "database_texts",
        "database_merge",
        "database_copy",
        "database_rows",
        "database_rows_copy",
    }
    fresh, fresh_db = _build(tmp_path / "fresh2", new, None)
    assert not fresh_db.fulltext.kept and not fresh_db.summary()["kept"]
    assert second.read_bytes() == fresh.read_bytes()
    assert _found(second, "天心区") == ({"r3a"}, {"r3a"})
    assert _found(second, "橘子洲") == ({"r3b"}, {"r3b"})
    assert _found(second, "复议") == (set(), {"r3b"})  # two characters: the pairs' index
    assert list(tmp_path.glob("*/reports.db.fulltext")) == []  # own stores removed

    # Nothing changed: the store is kept as it is, and gives the same bytes again.
    third, db = _build(tmp_path / "third", new, store)
    assert db.fulltext.kept and db.fulltext.changed == []
    assert third.read_bytes() == fresh.read_bytes()


@pytest.mark.parametrize("blocks", [64, 2])
@pytest.mark.parametrize("how", ["added", "removed", "stopped", "other sqlite", "blocks"])
def test_a_store_that_does_not_fit_is_made_again_from_nothing(tmp_path, monkeypatch, how, blocks):
    """Reports added (every later text's rowid moves: the segments before are read again) or
    removed at the end, a store left by a build stopped part-way, or one made by another
    version of SQLite: the store is made again, and the file is still the bytes of a build
    from nothing."""
    monkeypatch.setattr(database, "BLOCK_SEGMENTS", blocks)
    store = tmp_path / database.FULLTEXT
    _build(tmp_path / "first", _corpus(extra=2 if how == "removed" else 0, at=8), store)
    if how == "blocks":  # the same texts in the same order, in blocks of another size
        monkeypatch.setattr(database, "BLOCK_SEGMENTS", 3)
    if how == "stopped":
        con = sqlite3.connect(store)
        con.execute("UPDATE state SET value = '0' WHERE key = 'whole'")
        con.commit()
        con.close()
    if how == "other sqlite":
        con = sqlite3.connect(store)
        con.execute("UPDATE state SET value = value || '.0' WHERE key = 'stamp'")
        con.commit()
        con.close()
    corpus = _corpus(extra=1 if how == "added" else 0, at=4)
    path, db = _build(tmp_path / "second", corpus, store)
    assert not db.fulltext.kept
    assert path.read_bytes() == _build(tmp_path / "fresh", corpus, None)[0].read_bytes()
    every = {
        rid for segment in corpus for rid, _ in segment if rid.startswith("r") and rid[2] in "ab"
    }
    assert _found(path, "政府信息")[0] == every
    # The store made again is kept by the next build.
    _, db = _build(tmp_path / "third", corpus, store)
    assert db.fulltext.kept


def test_a_structure_record_not_understood_makes_the_store_anew_each_time(tmp_path, monkeypatch):
    """Where SQLite writes a structure record ``index_segments`` does not read, nothing is
    kept or rewritten: each build makes the store from nothing and copies it as it is."""

    def refuse(structure: bytes) -> list:
        raise ValueError("not understood")

    monkeypatch.setattr(database, "index_segments", refuse)
    store = tmp_path / database.FULLTEXT
    a, db = _build(tmp_path / "a", _corpus(), store)
    b, db = _build(tmp_path / "b", _corpus(), store)
    assert not db.fulltext.kept
    assert a.read_bytes() == b.read_bytes()
    assert _found(b, "岳塘区") == ({"r0a", "r0b"}, {"r0a", "r0b"})


def test_structure_records_are_read_and_written_as_fts5_does(tmp_path):
    """``index_segments`` reads what SQLite wrote (a fresh index of several b-trees, and the
    one an optimize leaves); ``canonical_structure`` is read back as one b-tree, id 1;
    a record of the second version or cut short is refused."""
    con = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    con.execute("CREATE VIRTUAL TABLE t USING fts5(a)")
    for k in range(3):  # a b-tree a transaction
        con.execute("INSERT INTO t (a) VALUES (?)", (f"word{k} common",))

    def structure() -> bytes:
        return con.execute("SELECT block FROM t_data WHERE id = 10").fetchone()[0]

    assert [s[0] for s in database.index_segments(structure())] == [1, 2, 3]
    con.execute("INSERT INTO t (t) VALUES ('optimize')")
    ((segid, first, last),) = database.index_segments(structure())
    assert segid == 4 and first == 1 and last >= first
    assert database.index_segments(database.canonical_structure((1, 300))) == [(1, 1, 300)]
    assert database.index_segments(database.canonical_structure((1, 3), (1, 200))) == [
        (1, 1, 3),
        (2, 1, 200),
    ]
    two = database._varint(2) + database._varint(300) + database._varint(2**30)
    three = database._varint(3) + database._varint(5) + database._varint(7)
    assert database.sum_averages([two, three]) == b"".join(
        map(database._varint, (5, 305, 2**30 + 7))
    )
    for value in (0, 1, 127, 128, 300, 16383, 16384, 2**40):
        assert database._read_varint(database._varint(value), 0) == (
            value,
            len(database._varint(value)),
        )
    with pytest.raises(ValueError, match="second version"):
        database.index_segments(b"\x00\x00\x00\x01\xff\x00\x00\x01\x01\x01\x00")
    with pytest.raises(ValueError, match="cut short"):
        database.index_segments(structure()[:-1])


def test_no_text_comes_after_the_texts_were_copied(tmp_path):
    """The texts and their indexes are copied into ``reports.db`` once, before the segments'
    rows: a segment's texts given after that would be left out of the file, so they are refused,
    naming the segment."""
    paths = _segments(tmp_path / "segments", [[("r1", "报告一")], [("r2", "报告二")]])
    db = database._Database(tmp_path / "reports.db")
    try:
        db.add_texts(paths[0])
        db.copy_texts()
        with pytest.raises(ValueError, match=f"{paths[1]}: texts added after"):
            db.add_texts(paths[1])
    finally:
        db.abort()
