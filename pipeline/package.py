"""Package stage: reports → rows → a Frictionless Data Package of CSV and Parquet files."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from pipeline.paths import DATA_DIR
from pipeline.records import Report

RESOURCES = (
    "reports",
    "statistics",
    "template_cells",
    "checks",
    "archive",
    "issuers",
    "reuse",
    "series",
)
_ARROW_TYPES = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "date": pa.date32(),
    "boolean": pa.bool_(),
}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    title: str
    title_zh: str
    description: str
    description_zh: str
    constraints: dict[str, Any]


@dataclass(frozen=True)
class ResourceSchema:
    name: str
    title: str
    title_zh: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[tuple[str, str, str], ...]


@lru_cache(maxsize=1)
def schemas() -> tuple[dict[str, Any], dict[str, ResourceSchema]]:
    """The package descriptor head and every resource's schema, from ``schema.yml``."""
    data = yaml.safe_load((DATA_DIR / "schema.yml").read_text(encoding="utf-8"))
    out: dict[str, ResourceSchema] = {}
    for name, spec in data["resources"].items():
        fields = tuple(Field(*f) for f in spec["fields"])
        out[name] = ResourceSchema(
            name=name,
            title=spec["title"],
            title_zh=spec["title_zh"],
            description=spec["description"],
            fields=fields,
            primary_key=tuple(spec["primary_key"]),
            foreign_keys=tuple(tuple(fk) for fk in spec.get("foreign_keys", ())),
        )
    return data["package"], out


def _num(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def report_rows(report: Report) -> dict[str, list[dict[str, Any]]]:
    """The rows one report contributes to each resource (archive rows excepted)."""
    m = report.metadata
    page = f"reports/{report.report_id}/"
    rows: dict[str, list[dict[str, Any]]] = {
        "reports": [],
        "statistics": [],
        "template_cells": [],
        "checks": [],
    }
    rows["reports"].append(
        {
            "report_id": report.report_id,
            "source_file": report.archived.source_file,
            "source_sha256": report.archived.sha256,
            "title": m.title,
            "title_hans": m.title_hans,
            "issuer": m.issuer,
            "issuer_type": m.issuer_type,
            "admin_level": m.admin_level,
            "province": m.region.province,
            "prefecture": m.region.prefecture,
            "county": m.region.county,
            "division_code": m.region.division_code,
            "year": m.year,
            "published_date": m.published_date,
            "doc_number": m.doc_number,
            "document_type": m.document_type,
            "report_format": m.report_format,
            "script": m.script,
            "char_count": len(report.cleaned.text),
            "page": page,
            "url": m.url,
            "duplicate_files": "|".join(report.duplicates) or None,
        }
    )
    for s in report.statistics:
        rows["statistics"].append(
            {
                "report_id": report.report_id,
                "year": m.year,
                "indicator": s.indicator,
                "value": _num(s.value),
                "unit": s.unit,
                "qualifier": s.qualifier,
                "scope": s.scope,
                "scope_key": s.scope or "*",
                "method": s.method,
                "evidence": s.evidence,
                "anchor": s.anchor or None,
                "section": s.section,
                "check_failed": s.check_failed,
                "page": s.page,
            }
        )
    for c in report.cells:
        rows["template_cells"].append(
            {
                "report_id": report.report_id,
                "table": c.table,
                "row_key": c.row_key,
                "row_label": c.row_label,
                "column_key": c.column_key,
                "column_label": c.column_label,
                "value": _num(c.value),
            }
        )
    for c in report.checks:
        rows["checks"].append(
            {
                "report_id": report.report_id,
                "check": c.check,
                "status": c.status,
                "detail": c.detail,
            }
        )
    return rows


def sort_rows(name: str, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    _, all_schemas = schemas()
    key = all_schemas[name].primary_key
    return sorted(rows, key=lambda r: tuple("" if r.get(k) is None else str(r.get(k)) for k in key))


_HASHED: dict[tuple[str, int, int, int], str] = {}
"""The SHA-256 of files this process hashed or was told of (``remember_sha256``), by path, size,
modification time and inode: the datasets page and its JSON-LD both give every download's
checksum (some 650 MB at 10,000 reports, ``reports.db`` most of it), read once."""


def _file_key(path: Path) -> tuple[str, int, int, int]:
    st = path.stat()
    return (str(path), st.st_size, st.st_mtime_ns, st.st_ino)


def sha256_file(path: Path) -> str:
    key = _file_key(path)
    if key in _HASHED:
        return _HASHED[key]
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    _HASHED[key] = h.hexdigest()
    return _HASHED[key]


def remember_sha256(path: Path, digest: str) -> None:
    """Tell ``sha256_file`` the hash of ``path`` as it is now (computed where it was written)."""
    _HASHED[_file_key(path)] = digest


def _field_descriptor(f: Field) -> dict[str, Any]:
    d: dict[str, Any] = {
        "name": f.name,
        "type": f.type,
        "title": f.title,
        "description": f.description,
        "title_zh": f.title_zh,
        "description_zh": f.description_zh,
    }
    if f.type == "number":
        d["bareNumber"] = True
    if f.constraints:
        d["constraints"] = f.constraints
    return d


def descriptor(out_dir: Path) -> dict[str, Any]:
    """The datapackage.json descriptor for the files already written in ``out_dir``."""
    head, all_schemas = schemas()
    resources = []
    for name in RESOURCES:
        s = all_schemas[name]
        schema: dict[str, Any] = {
            "fields": [_field_descriptor(f) for f in s.fields],
            "primaryKey": list(s.primary_key),
            "missingValues": [""],
        }
        if s.foreign_keys:
            schema["foreignKeys"] = [
                {"fields": [a], "reference": {"resource": b, "fields": [c]}}
                for a, b, c in s.foreign_keys
            ]
        path = out_dir / f"{name}.csv"
        resources.append(
            {
                "name": name,
                "path": f"{name}.csv",
                "title": s.title,
                "title_zh": s.title_zh,
                "description": s.description,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "bytes": path.stat().st_size,
                "hash": "sha256:" + sha256_file(path),
                "dialect": {"delimiter": ",", "lineTerminator": "\n", "header": True},
                "schema": schema,
            }
        )
    return {
        "profile": "tabular-data-package",
        **head,
        "resources": resources,
    }


PARTITIONED = ("statistics", "template_cells")
"""Resources also written as Parquet partitioned by year (hive style: ``year=2019/``)."""


ROW_GROUP = 100_000
"""Rows a streamed table holds before writing them as one Parquet row group."""


def _arrow_schema(schema: ResourceSchema) -> pa.Schema:
    return pa.schema([pa.field(f.name, _ARROW_TYPES[f.type], nullable=True) for f in schema.fields])


def _arrow_table(schema: ResourceSchema, rows: Sequence[dict[str, Any]]) -> pa.Table:
    columns = []
    for f in schema.fields:
        values = [row.get(f.name) for row in rows]
        if f.type == "date":
            values = [date.fromisoformat(v) if v else None for v in values]
        elif f.type == "number":
            values = [float(v) if v is not None else None for v in values]
        columns.append(pa.array(values, type=_ARROW_TYPES[f.type]))
    return pa.Table.from_arrays(columns, schema=_arrow_schema(schema))


def arrow_table(name: str, rows: Sequence[dict[str, Any]]) -> pa.Table:
    """Rows of the resource ``name`` as an Arrow table of its Parquet types."""
    return _arrow_table(schemas()[1][name], rows)


def csv_text(name: str, rows: Iterable[dict[str, Any]]) -> str:
    """Rows of the resource ``name`` as the lines of its CSV file (no header)."""
    names = [f.name for f in schemas()[1][name].fields]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    # The csv module writes None as an empty cell, a float as its repr and anything else as str.
    writer.writerows([row.get(n) for n in names] for row in rows)
    return out.getvalue()


def partition_name(year: Any) -> str:
    """The ``year=`` folder of a year (Hive's name for a missing one)."""
    return "__HIVE_DEFAULT_PARTITION__" if year is None else str(year)


class _Table:
    """One resource written as it comes: CSV lines at once, Parquet a row group at a time."""

    def __init__(self, csv_path: Path | None, parquet_path: Path, schema: ResourceSchema) -> None:
        self.schema = schema
        self.names = [f.name for f in schema.fields]
        self.csv = None
        if csv_path is not None:
            self.csv = csv_path.open("wb")
            self.csv.write((",".join(self.names) + "\n").encode("utf-8"))
        parquet_path.parent.mkdir(parents=True, exist_ok=True)
        self.parquet = pq.ParquetWriter(
            parquet_path,
            _arrow_schema(schema),
            compression="zstd",
            use_dictionary=True,
            write_statistics=True,
            store_schema=False,
            data_page_version="2.0",
        )
        self.buffer: list[pa.Table] = []
        self.buffered = 0

    def add(self, rows: Sequence[dict[str, Any]]) -> None:
        if self.csv is not None:
            self.csv.write(csv_text(self.schema.name, rows).encode("utf-8"))
        if rows:
            self.add_arrow(_arrow_table(self.schema, rows))

    def add_csv(self, data: bytes) -> None:
        """CSV lines made beforehand (``csv_text``, encoded as UTF-8)."""
        if self.csv is not None:
            self.csv.write(data)

    def add_arrow(self, table: pa.Table) -> None:
        """Rows as an Arrow table of this resource's schema; a row group is written once
        ``ROW_GROUP`` rows are waiting."""
        if table.num_rows:
            self.buffer.append(table)
            self.buffered += table.num_rows
        if self.buffered >= ROW_GROUP:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            table = pa.concat_tables(self.buffer).combine_chunks()
            self.parquet.write_table(table, row_group_size=max(table.num_rows, 1))
            self.buffer = []
            self.buffered = 0

    def close(self) -> None:
        self.flush()
        self.parquet.close()
        if self.csv is not None:
            self.csv.close()


class PackageWriter:
    """The data package written a run of reports at a time, so no table is ever held whole:
    ``add_segment`` the segments of reports (``pipeline.segments``) in the order of their ids
    (rows are then in primary-key order, as ``sort_rows`` would put them), ``add_archive`` the
    archive rows and ``add_rows`` those of the other resources, then ``close``."""

    def __init__(self, out_dir: Path) -> None:
        _, self.schemas = schemas()
        self.out_dir = out_dir
        _HASHED.clear()  # what an earlier build hashed is not this one's
        self.tables = {
            name: _Table(out_dir / f"{name}.csv", out_dir / f"{name}.parquet", self.schemas[name])
            for name in RESOURCES
        }
        self.parts: dict[tuple[str, str], _Table] = {}
        self.last_id = ""

    def _part(self, name: str, year: str) -> _Table:
        key = (name, year)
        if key not in self.parts:
            schema = self.schemas[name]
            fields = tuple(f for f in schema.fields if f.name != "year")
            part_schema = ResourceSchema(
                name,
                schema.title,
                schema.title_zh,
                schema.description,
                fields,
                schema.primary_key,
                schema.foreign_keys,
            )
            folder = self.out_dir / "parquet" / name / f"year={year}"
            self.parts[key] = _Table(None, folder / "part-0.parquet", part_schema)
        return self.parts[key]

    def add_segment(
        self,
        first_id: str,
        last_id: str,
        csv_of: Callable[[str], bytes],
        arrow_of: Callable[[str], pa.Table],
        names: Sequence[str],
        counts: Sequence[tuple[int | None, dict[str, int]]],
    ) -> None:
        """The rows of the reports ``first_id`` … ``last_id``, for each resource in ``names``:
        its CSV lines (``csv_of``) and Arrow table (``arrow_of``). ``counts`` gives each
        report's year and its number of rows of each resource, in the tables' order (the
        partitions by year are cut by them)."""
        if first_id <= self.last_id or last_id < first_id:
            raise ValueError("segments must be added in the order of their reports' ids")
        self.last_id = last_id
        for name in names:
            self.tables[name].add_csv(csv_of(name))
            table = arrow_of(name)
            self.tables[name].add_arrow(table)
            if name not in PARTITIONED or not table.num_rows:
                continue
            if "year" in table.column_names:
                table = table.drop_columns(["year"])
            offset = 0
            for year, n in counts:
                rows = n.get(name, 0)
                if rows:
                    self._part(name, partition_name(year)).add_arrow(table.slice(offset, rows))
                offset += rows
            if offset != table.num_rows:
                raise ValueError(f"{name}: {table.num_rows} rows, counted {offset}")

    def add_rows(self, name: str, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Rows of a resource that is not one report's (issuers, series, …); returns them sorted."""
        rows = sort_rows(name, rows)
        self.tables[name].add(rows)
        return rows

    def add_archive(self, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        return self.add_rows("archive", rows)

    def close(self) -> None:
        for table in [*self.tables.values(), *(self.parts[k] for k in sorted(self.parts))]:
            table.close()
        text = json.dumps(descriptor(self.out_dir), ensure_ascii=False, indent=2, sort_keys=False)
        (self.out_dir / "datapackage.json").write_text(text + "\n", encoding="utf-8")
