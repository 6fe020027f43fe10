"""Parquet files joined by copying their row groups (pipeline.parquetjoin)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline import parquetjoin
from pipeline.package import _parquet_writer

SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("value", pa.float64()),
        ("count", pa.int64()),
        ("ok", pa.bool_()),
        ("day", pa.date32()),
    ]
)


def _table(start: int, n: int) -> pa.Table:
    return pa.table(
        {
            "id": [f"报告_{i:05d}" for i in range(start, start + n)],
            "value": [None if i % 7 == 0 else i * 1.5 for i in range(start, start + n)],
            "count": [i % 5 for i in range(start, start + n)],
            "ok": [i % 2 == 0 for i in range(start, start + n)],
            "day": pa.array([19000 + i for i in range(start, start + n)], pa.date32()),
        },
        schema=SCHEMA,
    )


def _write(path, table: pa.Table, **options) -> str:
    writer = (
        _parquet_writer(path, SCHEMA) if not options else pq.ParquetWriter(path, SCHEMA, **options)
    )
    writer.write_table(table, row_group_size=max(table.num_rows, 1))
    writer.close()
    return str(path)


def test_joined_files_read_as_their_tables_one_after_another(tmp_path):
    tables = [_table(0, 40), _table(40, 1), _table(41, 300)]
    parts = [_write(tmp_path / f"p{i}.parquet", t) for i, t in enumerate(tables)]
    out = tmp_path / "all.parquet"
    parquetjoin.join(parts, out)
    assert pq.read_table(out).equals(pa.concat_tables(tables))
    meta = pq.ParquetFile(out).metadata
    assert meta.num_rows == 341 and meta.num_row_groups == 3
    # Each row group is found where its footer says, with its own statistics.
    for g, table in enumerate(tables):
        assert pq.ParquetFile(out).read_row_group(g).equals(table)
        stats = meta.row_group(g).column(0).statistics
        assert (stats.min, stats.max) == (table["id"][0].as_py(), table["id"][-1].as_py())
    # Joining the joined file with another gives the same rows as joining the parts.
    again = tmp_path / "again.parquet"
    parquetjoin.join([str(out), _write(tmp_path / "p3.parquet", _table(341, 5))], again)
    assert pq.read_table(again).equals(pa.concat_tables([*tables, _table(341, 5)]))
    assert [pq.ParquetFile(again).metadata.row_group(g).num_rows for g in range(4)] == [
        40,
        1,
        300,
        5,
    ]


def test_a_footer_is_written_back_byte_for_byte(tmp_path):
    path = _write(tmp_path / "p.parquet", _table(0, 20))
    data = Path(path).read_bytes()
    meta, start = parquetjoin.footer(path)
    length = int.from_bytes(data[-8:-4], "little")
    assert start == len(data) - 8 - length
    assert parquetjoin.write_struct(meta) == data[start:-8]
    # A struct with a field id that jumps more than 15 and a long list.
    fields = [[1, 5, -3], [40, 8, b"x" * 3], [41, 9, (5, list(range(20)))], [42, 1, True]]
    assert parquetjoin.read_struct(parquetjoin.write_struct(fields)) == fields


def test_files_that_cannot_be_joined_are_refused(tmp_path):
    good = _write(tmp_path / "good.parquet", _table(0, 10))
    # A page index is written after the row groups, with offsets of its own.
    indexed = _write(
        tmp_path / "indexed.parquet", _table(10, 10), compression="zstd", write_page_index=True
    )
    with pytest.raises(ValueError, match="index"):
        parquetjoin.join([good, indexed], tmp_path / "out.parquet")
    with pytest.raises(ValueError, match="index"):  # refused when its footer is read
        parquetjoin.footer(indexed)
    other = tmp_path / "other.parquet"
    pq.write_table(pa.table({"x": [1, 2]}), other)
    with pytest.raises(ValueError, match="schema or metadata differ"):
        parquetjoin.join([good, str(other)], tmp_path / "out.parquet")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(ValueError, match="not a Parquet file"):
        parquetjoin.join([str(broken)], tmp_path / "out.parquet")
    with pytest.raises(ValueError, match="no Parquet files"):
        parquetjoin.join([], tmp_path / "out.parquet")


def test_footers_read_before_are_not_read_again(tmp_path, monkeypatch):
    tables = [_table(0, 30), _table(30, 7)]
    parts = [_write(tmp_path / f"p{i}.parquet", t) for i, t in enumerate(tables)]
    footers = {p: parquetjoin.footer(p) for p in parts}
    parquetjoin.join(parts, tmp_path / "read.parquet")

    def not_again(path):
        raise AssertionError(f"{path} read again")

    monkeypatch.setattr(parquetjoin, "footer", not_again)
    parquetjoin.join(parts, tmp_path / "given.parquet", footers)
    assert (tmp_path / "given.parquet").read_bytes() == (tmp_path / "read.parquet").read_bytes()
    with pytest.raises(AssertionError, match="read again"):
        parquetjoin.join(parts, tmp_path / "half.parquet", {parts[0]: footers[parts[0]]})
