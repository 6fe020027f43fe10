"""The segments' rows of ``reports.db`` kept from one build to the next (``database.RowStore``):
a build puts in the store only the segments it does not hold, removes the rows of reports no
segment brings any more, and ``reports.db`` is the same bytes as one built from nothing."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from pipeline import database, package

_, SCHEMAS = package.schemas()
DUMMY = {"string": "x", "integer": 0, "number": 0.0, "boolean": False, "date": "2020-01-01"}


def _row(table: str, **given: object) -> dict:
    """A row of ``table`` with every required field (what these tests need of it)."""
    fields = SCHEMAS[table].fields
    row = {f.name: DUMMY[f.type] for f in fields if f.constraints.get("required")}
    return {**row, **given}


Corpus = list[list[tuple[str, dict[str, float]]]]
"""Segments of reports, each with its figures (indicator: value)."""


def _corpus() -> Corpus:
    return [
        [(f"r{n}{k}", {"a": n + 0.5, "b": 10.0 * n, f"c{k}": 1.0}) for k in "ab"] for n in range(5)
    ]


def _segments(folder: Path, corpus: Corpus) -> list[str]:
    """One segment per list, in a folder named by its contents under ``folder`` and kept there
    (as the package's cache keeps them): a segment a later build has again is the same files."""
    paths = []
    for segment in corpus:
        name = hashlib.sha256(json.dumps(segment, sort_keys=True).encode()).hexdigest()[:16]
        seg = folder / name
        if not seg.exists():
            seg.mkdir(parents=True)
            reports = [_row("reports", report_id=rid) for rid, _ in segment]
            database.write_segment(seg / "segment.db", {"reports": reports}, None)
            figures = [
                _row("statistics", report_id=rid, indicator=ind, scope_key="", value=value)
                for rid, values in segment
                for ind, value in sorted(values.items())
            ]
            checks = [_row("checks", report_id=rid, check="sum") for rid, _ in segment]
            texts = [(rid, f"{rid}的报告", "hans", f"{rid}的正文。", None) for rid, _ in segment]
            others = {"statistics": figures, "template_cells": [], "checks": checks}
            database.write_segment(seg / database.BASE_DATABASE, others, texts)
        paths.append(str(seg / "segment.db"))
    return paths


def _build(root: Path, segments: Path, corpus: Corpus, cache: Path | None) -> database._Database:
    """``reports.db`` of ``corpus`` at ``root/reports.db``, with the stores in ``cache`` (None:
    stores of its own, removed at the end)."""
    root.mkdir(parents=True)
    db = database._Database(root / "reports.db", cache / database.FULLTEXT if cache else None)
    paths = _segments(segments, corpus)
    for path in paths:
        db.add_texts(path)
    db.copy_texts()
    for path in paths:
        db.add_segment(path)
    db.copy_rows()
    db.close()
    return db


def _figures(path: Path) -> dict[str, dict[str, float]]:
    con = sqlite3.connect(path)
    try:
        out: dict[str, dict[str, float]] = {}
        for rid, ind, value in con.execute("SELECT report_id, indicator, value FROM statistics"):
            out.setdefault(rid, {})[ind] = value
        return out
    finally:
        con.close()


def test_a_kept_row_store_takes_only_the_new_segments_and_gives_the_bytes_of_a_fresh_build(
    tmp_path,
):
    cache, segments = tmp_path / "cache", tmp_path / "segments"
    cache.mkdir()

    def same_as_fresh(name: str, corpus: Corpus) -> database._Database:
        db = _build(tmp_path / name, segments, corpus, cache)
        fresh = _build(tmp_path / f"{name}-fresh", tmp_path / f"{name}-segs", corpus, None)
        assert not fresh.summary()["rows"]["kept"]
        assert (tmp_path / name / "reports.db").read_bytes() == (
            tmp_path / f"{name}-fresh" / "reports.db"
        ).read_bytes()
        figures = _figures(tmp_path / name / "reports.db")
        assert figures == {rid: values for seg in corpus for rid, values in seg}
        return db

    first = _corpus()
    db = same_as_fresh("first", first)
    assert (cache / database.ROWS).exists() and not db.rows.kept and db.rows.added == 5
    assert db.summary()["rows"] == {"kept": False, "added": 5}

    # A figure changed and one gone in segment 1; a report gone from segment 3.
    second = _corpus()
    second[1][0] = ("r1a", {"a": 99.0, "ca": 1.0})
    del second[3][1]
    db = same_as_fresh("second", second)
    assert db.rows.kept and db.rows.added == 2
    assert "r3b" not in _figures(tmp_path / "second" / "reports.db")

    # Nothing changed: nothing put in, the same bytes.
    db = same_as_fresh("third", second)
    assert db.rows.kept and db.rows.added == 0

    # A whole segment gone, and its reports dealt into another: their rows move with them.
    fourth = [second[0] + second[2], second[1], second[3], second[4]]
    db = same_as_fresh("fourth", fourth)
    assert db.rows.kept and db.rows.added == 1

    # A segment gone with its reports: their rows go too.
    db = same_as_fresh("fifth", fourth[1:])
    assert db.rows.kept and db.rows.added == 0
    assert not {"r0a", "r2b"} & set(_figures(tmp_path / "fifth" / "reports.db"))
    assert list(tmp_path.glob("*/reports.db.rows")) == []  # own stores removed


def test_a_row_store_left_part_way_or_of_other_tables_is_made_again(tmp_path):
    """A store a build left part-way (not whole) or made for other table definitions is made
    again from nothing; the file is still the bytes of a build from nothing."""
    cache, segments = tmp_path / "cache", tmp_path / "segments"
    cache.mkdir()
    corpus = _corpus()
    _build(tmp_path / "first", segments, corpus, cache)
    store = cache / database.ROWS
    for n, change in enumerate(
        [
            "UPDATE state SET value = '0' WHERE key = 'whole'",
            "UPDATE state SET value = value || ' other' WHERE key = 'stamp'",
        ]
    ):
        con = sqlite3.connect(store)
        con.execute(change)
        con.execute("DELETE FROM statistics WHERE report_id = 'r0a'")  # what it held is not used
        con.commit()
        con.close()
        db = _build(tmp_path / f"again{n}", segments, corpus, cache)
        assert not db.rows.kept and db.rows.added == len(corpus)
        assert (tmp_path / f"again{n}" / "reports.db").read_bytes() == (
            tmp_path / "first" / "reports.db"
        ).read_bytes()
    db = _build(tmp_path / "kept", segments, corpus, cache)
    assert db.rows.kept and db.rows.added == 0


def test_the_segments_rows_are_copied_once_the_last_segment_is_in(tmp_path):
    """``copy_rows`` (the build's ``segments_done``) copies the segments' rows and checks the
    texts' foreign keys while the other rows still come; a segment after it is refused, naming
    it; ``close`` copies them when no call asked for it, and both give the same bytes."""
    segments = _segments(tmp_path / "segments", _corpus())

    def build(name: str, early: bool) -> Path:
        (tmp_path / name).mkdir()
        db = database._Database(tmp_path / name / "reports.db")
        for path in segments:
            db.add_texts(path)
        db.copy_texts()
        for path in segments:
            db.add_segment(path)
        if early:
            db.copy_rows()
            assert db.rows_copied and "texts" not in db.checked
            with pytest.raises(ValueError, match=f"{segments[0]}: a segment added after"):
                db.add_segment(segments[0])
            assert db.con.execute("SELECT count(*) FROM statistics").fetchone()[0] > 0
        db.add("issuers", [])
        db.close()
        return tmp_path / name / "reports.db"

    early, late = build("early", True), build("late", False)
    assert early.read_bytes() == late.read_bytes()
    assert _figures(early) == {rid: values for seg in _corpus() for rid, values in seg}
