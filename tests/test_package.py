"""The data package: valid, CSV and Parquet agree, partitions readable in place, reproducible."""

from __future__ import annotations

import csv
import hashlib
import json

import duckdb
import pyarrow.parquet as pq
import pytest
from frictionless import Package, validate

from pipeline import package, paths


def test_package_validates(seed_build):
    report = validate(str(seed_build["datasets"] / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_every_field_has_titles_and_descriptions_in_both_languages(seed_build):
    descriptor = json.loads(
        (seed_build["datasets"] / "datapackage.json").read_text(encoding="utf-8")
    )
    assert {r["name"] for r in descriptor["resources"]} == set(package.RESOURCES)
    for resource in descriptor["resources"]:
        assert resource["schema"]["primaryKey"]
        for field in resource["schema"]["fields"]:
            for key in ("title", "description", "title_zh", "description_zh"):
                assert field.get(key), (resource["name"], field["name"], key)


def test_contract_field_names_are_present(seed_build):
    pkg = Package(str(seed_build["datasets"] / "datapackage.json"))
    names = {r.name: [f.name for f in r.schema.fields] for r in pkg.resources}
    assert names["reports"][:3] == ["report_id", "source_file", "source_sha256"]
    for field in [
        "title",
        "title_hans",
        "issuer",
        "issuer_type",
        "admin_level",
        "province",
        "prefecture",
        "county",
        "division_code",
        "year",
        "published_date",
        "doc_number",
        "document_type",
        "report_format",
        "script",
        "char_count",
        "page",
    ]:
        assert field in names["reports"]
    for field in [
        "report_id",
        "indicator",
        "value",
        "unit",
        "qualifier",
        "scope",
        "evidence",
        "anchor",
    ]:
        assert field in names["statistics"]
    assert names["template_cells"] == [
        "report_id",
        "table",
        "row_key",
        "row_label",
        "column_key",
        "column_label",
        "value",
    ]
    assert names["checks"] == ["report_id", "check", "status", "detail"]


@pytest.mark.parametrize("name", package.RESOURCES)
def test_csv_and_parquet_hold_the_same_rows(seed_build, name):
    d = seed_build["datasets"]
    with (d / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        csv_rows = list(csv.DictReader(f))
    table = pq.read_table(d / f"{name}.parquet").to_pylist()
    assert len(csv_rows) == len(table)
    for c, p in zip(csv_rows, table, strict=True):
        for key, value in p.items():
            assert c[key] == _as_csv(value), (name, key, c[key], value)


def _as_csv(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def test_csv_format(seed_build):
    raw = (seed_build["datasets"] / "statistics.csv").read_bytes()
    assert b"\r\n" not in raw and raw.decode("utf-8")
    assert raw.splitlines()[0].decode().startswith("report_id,year,indicator,value")


def test_parquet_types_are_real(seed_build):
    schema = pq.read_schema(seed_build["datasets"] / "reports.parquet")
    assert str(schema.field("year").type) == "int64"
    assert str(schema.field("published_date").type) == "date32[day]"
    assert (
        str(pq.read_schema(seed_build["datasets"] / "statistics.parquet").field("value").type)
        == "double"
    )


def test_partitioned_parquet_reads_in_place_with_duckdb(seed_build):
    d = seed_build["datasets"]
    whole = duckdb.sql(f"SELECT count(*) FROM '{d}/statistics.parquet'").fetchall()[0][0]
    parts = duckdb.sql(
        f"SELECT year, count(*) FROM read_parquet('{d}/parquet/statistics/*/*.parquet', hive_partitioning=true) "
        "GROUP BY year ORDER BY year"
    ).fetchall()
    assert sum(n for _, n in parts) == whole
    assert [y for y, _ in parts] == sorted(
        {r.metadata.year for r in seed_build["result"].reports if r.statistics}
    )


def test_texts_and_archive(seed_build):
    d = seed_build["datasets"]
    for r in seed_build["result"].reports:
        assert (d / "texts" / f"{r.report_id}.txt").read_text(encoding="utf-8") == r.cleaned.text
        archived = d / "archive" / r.archived.sha256[:2] / r.archived.sha256
        assert archived.read_bytes() == (paths.SOURCE_DIR / r.archived.source_file).read_bytes()
    manifest = list(csv.DictReader((d / "archive.csv").open(encoding="utf-8")))
    assert {m["status"] for m in manifest} == {"published"}
    assert all(len(m["sha256"]) == 64 and m["encoding"] for m in manifest)


def _series_rows(n: int, start: int = 0) -> list[dict]:
    return [
        {"series_id": f"s{i:04d}", "issuer_id": f"i{i % 7}", "year": 2019 + i % 5}
        for i in range(start, start + n)
    ]


def test_csv_lines_are_written_in_order_by_the_copier_thread(tmp_path):
    """A table's CSV is written by the package's copier thread in the order the lines and
    files came: the same bytes as written at once."""
    from concurrent.futures import ThreadPoolExecutor

    schema = package.schemas()[1]["series"]
    parts = []
    for i in range(3):
        path = tmp_path / f"part{i}.csv"
        path.write_text(package.csv_text("series", _series_rows(50, 50 * i)), encoding="utf-8")
        parts.append(path)
    outs = []
    for copier in (None, ThreadPoolExecutor(1)):
        out = tmp_path / f"series-{'thread' if copier else 'now'}.csv"
        table = package._Table(out, None, schema, copier)
        table.add_csv_file(str(parts[0]))
        table.add(_series_rows(5, 1000))
        table.add_csv_file(str(parts[1]))
        table.add_csv_file(str(parts[2]))
        if copier is not None:
            assert table.copies, "nothing was given to the copier"
        table.close()
        outs.append(out.read_bytes())
        # Hashed as written: the descriptor's hash is the file's, without reading it again.
        assert package._HASHED[package._file_key(out)] == hashlib.sha256(outs[-1]).hexdigest()
        assert package.sha256_file(out) == hashlib.sha256(outs[-1]).hexdigest()
        assert table.csv_seconds > 0
    lines = outs[0].decode("utf-8").split("\n")
    assert lines[0] == ",".join(f.name for f in schema.fields)
    assert len(lines) == 1 + 155 + 1  # header, rows, the last newline
    assert outs[1] == outs[0]


def test_an_error_of_the_copier_is_raised_when_the_table_is_closed(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as copier:
        table = package._Table(
            tmp_path / "series.csv", None, package.schemas()[1]["series"], copier
        )
        table.add_csv_file(str(tmp_path / "missing.csv"))
        with pytest.raises(FileNotFoundError, match=r"missing\.csv"):
            table.close()
        assert table.csv.closed
