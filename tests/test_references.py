"""The foreign keys of ``reports.db``: those of the per-report tables are checked as each
segment is made (``segments.check_references``), the others by SQLite when the database is
closed; together they are every key the schema declares."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import database, package, segments
from tests.test_fulltext import _report_row, _segments, fill


def test_a_row_that_refers_to_another_report_stops_its_segment(tmp_path):
    rows = {
        "reports": [_report_row("r1")],
        "statistics": [{"report_id": "r1"}, {"report_id": "r2"}],
        "checks": [],
    }
    with pytest.raises(ValueError, match=r"b-1234: a statistics row of r1 refers to .*'r2'"):
        segments.check_references("r1", rows, tmp_path / "b-1234")
    rows["statistics"] = [{"report_id": "r1"}]
    segments.check_references("r1", rows, tmp_path / "b-1234")  # its own report: fine


def test_every_foreign_key_is_checked_in_one_place_or_the_other(tmp_path):
    db = database._Database(tmp_path / "reports.db")
    try:
        _, schemas = package.schemas()
        for name in package.RESOURCES:
            keys = schemas[name].foreign_keys
            if name in database.SEGMENT_CHECKED:
                # Only their report: what the segment checks, and they come only from segments.
                assert keys and all(table == "reports" for _, table, _ in keys)
                assert name in database.SEGMENT_TABLES
                assert name not in db.checked
            else:
                assert (name in db.checked) == bool(keys)
        assert "texts" in db.checked
    finally:
        db.abort()


def _closed_with(tmp_path: Path, reuse_of: str) -> None:
    tmp_path.mkdir()
    db = database._Database(tmp_path / "reports.db")
    try:
        fill(db, _segments(tmp_path / "segments", [[("r1", "报告一"), ("r2", "报告二")]]))
        _, schemas = package.schemas()
        row = {f.name: None for f in schemas["reuse"].fields}
        row.update(
            report_id="r1",
            other_report_id=reuse_of,
            kind="same_body",
            anchor="p1-s1",
            other_anchor="p1-s1",
        )
        db.add("reuse", [row])
    except BaseException:
        db.abort()
        raise
    db.close()


def test_sqlite_still_checks_the_keys_of_the_other_tables(tmp_path):
    _closed_with(tmp_path / "ok", "r2")
    assert (tmp_path / "ok" / "reports.db").exists()
    with pytest.raises(ValueError, match="foreign keys do not hold"):
        _closed_with(tmp_path / "bad", "r9")
    assert not (tmp_path / "bad" / "reports.db").exists()
