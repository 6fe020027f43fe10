"""Package stage: reports → rows → a Frictionless Data Package of CSV and Parquet files."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from pipeline import parquetjoin
from pipeline.fileio import link_or_copy
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

PER_REPORT = ("reports", "statistics", "template_cells", "checks")
"""The resources whose rows are each one report's: given a segment at a time (``add_segment``)
and kept as Parquet a block of segments at a time."""

BLOCK = 16
"""Segments in a block, on average (about 1,000 reports; a one-report change at 100,000 moved
the rows of 9 segments in 4 blocks of 64, whose 256 segments' rows were read and encoded again
in 37 s, mostly reading them from the disk). A block's rows of each per-report resource are one row
group, kept as a small Parquet file (and one per year for the partitioned resources) under a
hash of its segments; the whole files are those row groups joined (``parquetjoin``): a
one-report change encodes one block again, not the whole table."""

_JOIN_CODE = hashlib.sha256(Path(parquetjoin.__file__).read_bytes()).hexdigest()
"""The joining code, part of a kept joined file's name (``PackageWriter._join``)."""

MAX_BLOCK = 4 * BLOCK
"""No block holds more segments."""

BLOCK_FOOTERS = "footers-checked.pickle"
"""In a block's folder: the footers of its Parquet files, read (and checked joinable) when the
block was made (``parquetjoin.footer``), so that joining does not read, parse and check them
again (at 100,000 reports some 3,400 files). A block made before footers were checked when
read has them under another name: they are read again."""


def ends_block(last_id: str) -> bool:
    """Whether a block ends with the segment whose last report is ``last_id``: by a hash of the
    id, so that adding or removing reports moves no other block's boundaries."""
    digest = hashlib.sha256(f"block\0{last_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % BLOCK == 0


def _parquet_writer(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
    return pq.ParquetWriter(
        path,
        schema,
        compression="zstd",
        use_dictionary=True,
        write_statistics=True,
        store_schema=False,
        data_page_version="2.0",
    )


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


def _write_parquet(path: Path, schema: pa.Schema, table: pa.Table | None = None) -> None:
    """One Parquet file: ``table`` as one row group, or no rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = _parquet_writer(path, schema)
    if table is not None and table.num_rows:
        writer.write_table(table, row_group_size=table.num_rows)
    writer.close()


class _Table:
    """One resource written as it comes: CSV lines at once, Parquet (when ``parquet_path`` is
    given) a row group at a time."""

    def __init__(
        self,
        csv_path: Path | None,
        parquet_path: Path | None,
        schema: ResourceSchema,
        copier: ThreadPoolExecutor | None = None,
    ) -> None:
        self.schema = schema
        self.names = [f.name for f in schema.fields]
        self.copier = copier
        self.copies: list[Future[None]] = []
        self.csv = None
        self.csv_path = csv_path
        self.sha = hashlib.sha256()
        """Of the CSV file's bytes as they are written (``descriptor`` does not read it again)."""
        self.csv_seconds = 0.0
        """Spent writing the CSV file (in the copier's thread, when there is one)."""
        if csv_path is not None:
            # Unbuffered: written in whole chunks.
            self.csv = csv_path.open("wb", buffering=0)
            self._write_csv((",".join(self.names) + "\n").encode("utf-8"))
        self.parquet = None
        if parquet_path is not None:
            parquet_path.parent.mkdir(parents=True, exist_ok=True)
            self.parquet = _parquet_writer(parquet_path, _arrow_schema(schema))
        self.buffer: list[pa.Table] = []
        self.buffered = 0

    def add(self, rows: Sequence[dict[str, Any]]) -> None:
        if self.csv is not None:
            self._write_csv(csv_text(self.schema.name, rows).encode("utf-8"))
        if rows:
            self.add_arrow(_arrow_table(self.schema, rows))

    def _csv_step(self, step: Callable[[Any], None], arg: Any) -> None:
        """``step(arg)``, in the copier's thread when there is one (in the order given: it has
        one thread), else now."""
        if self.copier is None:
            self._timed(step, arg)
        else:
            self.copies.append(self.copier.submit(self._timed, step, arg))

    def _timed(self, step: Callable[[Any], None], arg: Any) -> None:
        t = time.perf_counter()
        step(arg)
        self.csv_seconds += time.perf_counter() - t

    def _write(self, data: bytes) -> None:
        """``data`` at the end of the CSV file, and hashed."""
        self.sha.update(data)
        _write_all(data, self.csv)

    def _append(self, path: str) -> None:
        """The whole file ``path`` at the end of the CSV file, a chunk at a time."""
        with open(path, "rb", buffering=0) as src:
            while chunk := src.read(CSV_CHUNK):
                self._write(chunk)

    def _write_csv(self, data: bytes) -> None:
        self._csv_step(self._write, data)

    def add_csv_file(self, path: str) -> None:
        """The CSV lines in the file ``path`` (made beforehand by ``csv_text``, as UTF-8): at
        100,000 reports the files are 1.2 GB, read, hashed and written by the copier's thread."""
        if self.csv is not None:
            self._csv_step(self._append, path)

    def add_arrow(self, table: pa.Table) -> None:
        """Rows as an Arrow table of this resource's schema; a row group is written once
        ``ROW_GROUP`` rows are waiting."""
        if table.num_rows:
            self.buffer.append(table)
            self.buffered += table.num_rows
        if self.buffered >= ROW_GROUP:
            self.flush()

    def flush(self) -> None:
        if self.buffer and self.parquet is not None:
            table = pa.concat_tables(self.buffer).combine_chunks()
            self.parquet.write_table(table, row_group_size=max(table.num_rows, 1))
        self.buffer = []
        self.buffered = 0

    def close(self) -> None:
        self.flush()
        if self.parquet is not None:
            self.parquet.close()
        if self.csv is not None:
            try:
                for copy in self.copies:
                    copy.result()  # the copier's error, if any, raised here
            finally:
                self.copies = []
                self.csv.close()
            assert self.csv_path is not None
            remember_sha256(self.csv_path, self.sha.hexdigest())


CSV_CHUNK = 1 << 20
"""Bytes of a segment's CSV file read at a time (``_Table.add_csv_file``)."""


def _write_all(data: bytes, dest: Any) -> None:
    """``data`` written whole to the unbuffered file ``dest``."""
    view = memoryview(data)
    while view:
        view = view[dest.write(view) :]


def _part_schema(schema: ResourceSchema) -> pa.Schema:
    """A partitioned resource's schema in its ``year=`` files (without the year)."""
    return pa.schema(
        [
            pa.field(f.name, _ARROW_TYPES[f.type], nullable=True)
            for f in schema.fields
            if f.name != "year"
        ]
    )


class _Segment(NamedTuple):
    key: str | None
    arrow_of: Callable[[str], pa.Table]
    counts_of: Callable[[], Sequence[tuple[int | None, dict[str, int]]]]


class PackageWriter:
    """The data package written a run of reports at a time, so no table is ever held whole:
    ``add_segment`` the segments of reports (``pipeline.segments``) in the order of their ids
    (rows are then in primary-key order, as ``sort_rows`` would put them), ``add_archive`` the
    archive rows and ``add_rows`` those of the other resources, then ``close``.

    The per-report resources' Parquet is kept in ``blocks`` (a folder of the package's cache, or
    a temporary one), a block of segments at a time (``BLOCK``) under a hash of the segments'
    keys; a block whose segments all have keys and whose folder is there is not made again.
    ``close`` joins the blocks' files into the package's and removes the blocks' folders this
    build did not use."""

    def __init__(self, out_dir: Path, blocks: Path | None = None) -> None:
        _, self.schemas = schemas()
        self.out_dir = out_dir
        _HASHED.clear()  # what an earlier build hashed is not this one's
        # The CSV files are written by a thread of their own, in order: the segments' lines
        # (1.2 GB at 100,000 reports), copied by the kernel in this thread, took 3-4 s of it.
        self.copier = ThreadPoolExecutor(1, thread_name_prefix="csv")
        self.tables = {
            name: _Table(
                out_dir / f"{name}.csv",
                None if name in PER_REPORT else out_dir / f"{name}.parquet",
                self.schemas[name],
                self.copier,
            )
            for name in RESOURCES
        }
        self.own_blocks = blocks is None
        self.blocks = blocks or Path(tempfile.mkdtemp(prefix=".blocks-", dir=out_dir.parent))
        self.blocks.mkdir(parents=True, exist_ok=True)
        self.block: list[_Segment] = []
        self.made: list[tuple[str, list[str]]] = []
        """Each block's folder and its Parquet files, in order."""
        self.footers: dict[str, parquetjoin.Footer] = {}
        """The blocks' files' footers, by path, as read when each block was made."""
        self.joined: set[str] = set()
        """The joined files kept in ``blocks`` that this build used (``_join``)."""
        self.blocks_made = 0
        self.last_id = ""

    def add_segment(
        self,
        first_id: str,
        last_id: str,
        csv_of: Callable[[str], str],
        arrow_of: Callable[[str], pa.Table],
        names: Sequence[str],
        counts: Callable[[], Sequence[tuple[int | None, dict[str, int]]]],
        key: str | None = None,
    ) -> None:
        """The rows of the reports ``first_id`` … ``last_id``, for each resource in ``names``
        (``PER_REPORT``): the file of its CSV lines (``csv_of``) and Arrow table (``arrow_of``, read only
        when its block is made). ``counts`` gives each report's year and its number of rows of
        each resource, in the tables' order (the partitions by year are cut by them). ``key``
        names what the segment is made from (its folder in the package's cache), None if
        nothing does."""
        if first_id <= self.last_id or last_id < first_id:
            raise ValueError("segments must be added in the order of their reports' ids")
        if tuple(names) != PER_REPORT:
            raise ValueError(f"a segment gives the rows of {PER_REPORT}, not {tuple(names)}")
        self.last_id = last_id
        for name in names:
            self.tables[name].add_csv_file(csv_of(name))
        self.block.append(_Segment(key, arrow_of, counts))
        if ends_block(last_id) or len(self.block) >= MAX_BLOCK:
            self._end_block()

    def _end_block(self) -> None:
        block, self.block = self.block, []
        if not block:
            return
        keys = [seg.key for seg in block]
        if all(keys):
            name = hashlib.sha256("\0".join(keys).encode()).hexdigest()[:32]  # type: ignore[arg-type]
        else:  # made again every build
            name = f"build-{len(self.made)}"
            shutil.rmtree(self.blocks / name, ignore_errors=True)
        folder = self.blocks / name
        if not folder.is_dir():
            self._make_block(block, folder)
            self.blocks_made += 1
        footers: dict[str, parquetjoin.Footer] = {}
        with contextlib.suppress(OSError, ValueError, pickle.UnpicklingError, EOFError):
            footers = pickle.loads((folder / BLOCK_FOOTERS).read_bytes())
        files = sorted(f for f in os.listdir(folder) if f.endswith(".parquet"))
        if sorted(footers) != files:  # not as this code writes it: read again when joined
            footers = {}
        self.footers.update({f"{folder}/{f}": footer for f, footer in footers.items()})
        self.made.append((name, files))

    def _make_block(self, block: Sequence[_Segment], folder: Path) -> None:
        """The block's rows of each per-report resource as one Parquet file (none when it has
        none), and of the partitioned ones one more file per year, written beside and renamed
        (a block's folder is whole or absent)."""
        tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        counts = [seg.counts_of() for seg in block] if set(PARTITIONED) & set(PER_REPORT) else []
        for name in PER_REPORT:
            schema = self.schemas[name]
            tables = [seg.arrow_of(name) for seg in block]
            table = pa.concat_tables(tables).combine_chunks()
            if table.num_rows:
                _write_parquet(tmp / f"{name}.parquet", _arrow_schema(schema), table)
            if name not in PARTITIONED or not table.num_rows:
                continue
            years: dict[str, list[pa.Table]] = {}
            for seg_table, seg_counts in zip(tables, counts, strict=True):
                if "year" in seg_table.column_names:
                    seg_table = seg_table.drop_columns(["year"])
                offset = 0
                for year, n in seg_counts:
                    rows = n.get(name, 0)
                    if rows:
                        years.setdefault(partition_name(year), []).append(
                            seg_table.slice(offset, rows)
                        )
                    offset += rows
                if offset != seg_table.num_rows:
                    raise ValueError(f"{name}: {seg_table.num_rows} rows, counted {offset}")
            for year, parts in years.items():
                _write_parquet(
                    tmp / f"{name}.year={year}.parquet",
                    _part_schema(schema),
                    pa.concat_tables(parts).combine_chunks(),
                )
        footers = {f: parquetjoin.footer(tmp / f) for f in sorted(os.listdir(tmp))}
        (tmp / BLOCK_FOOTERS).write_bytes(pickle.dumps(footers, protocol=5))
        tmp.rename(folder)

    def _join_blocks(self) -> None:
        """The per-report resources' Parquet files, whole and by year: the blocks' joined."""
        self._end_block()
        for name in PER_REPORT:
            schema = self.schemas[name]
            whole = [
                f"{self.blocks}/{b}/{name}.parquet"
                for b, files in self.made
                if f"{name}.parquet" in files
            ]
            out = self.out_dir / f"{name}.parquet"
            if whole:
                self._join(whole, out)
            else:
                _write_parquet(out, _arrow_schema(schema))
            if name not in PARTITIONED:
                continue
            by_year: dict[str, list[str]] = {}
            prefix = f"{name}.year="
            for b, files in self.made:
                for f in files:
                    if f.startswith(prefix):
                        year = f[len(prefix) : -len(".parquet")]
                        by_year.setdefault(year, []).append(f"{self.blocks}/{b}/{f}")
            for year in sorted(by_year):
                folder = self.out_dir / "parquet" / name / f"year={year}"
                folder.mkdir(parents=True, exist_ok=True)
                self._join(by_year[year], folder / "part-0.parquet")

    def _join(self, parts: list[str], out: Path) -> None:
        """``out``: the files ``parts`` joined, or the same join kept from an earlier build,
        linked. Blocks are named by what they are made of, so the same parts give the same
        file; at 100,000 reports a change touches one year's file of each resource, and joining
        the others again (their footers moved row group by row group) took some 3 s. Parts of
        blocks made again on every build (``build-…``) are joined every time."""
        if self.own_blocks or any(f"{self.blocks}/build-" in part for part in parts):
            parquetjoin.join(parts, out, self.footers)
            return
        key = hashlib.sha256("\0".join([_JOIN_CODE, *parts]).encode()).hexdigest()[:32]
        name = f"joined-{key}.parquet"
        kept = self.blocks / name
        self.joined.add(name)
        if not kept.is_file():
            tmp = self.blocks / f".{name}.{os.getpid()}.tmp"
            parquetjoin.join(parts, tmp, self.footers)
            tmp.replace(kept)
        link_or_copy(kept, out)

    def add_rows(self, name: str, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Rows of a resource that is not one report's (issuers, series, …); returns them sorted."""
        rows = sort_rows(name, rows)
        self.tables[name].add(rows)
        return rows

    def add_archive(self, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        return self.add_rows("archive", rows)

    @property
    def csv_seconds(self) -> float:
        """Spent writing the CSV files, in the copier's thread (for the benchmark)."""
        return sum(t.csv_seconds for t in self.tables.values())

    def close(self) -> None:
        self._join_blocks()
        try:
            for table in self.tables.values():
                table.close()
        finally:
            self.copier.shutdown()
        if self.own_blocks:
            shutil.rmtree(self.blocks, ignore_errors=True)
        else:  # the blocks this build did not use
            used = {b for b, _ in self.made} | self.joined
            for entry in os.listdir(self.blocks):
                if entry not in used:
                    if (self.blocks / entry).is_dir():
                        shutil.rmtree(self.blocks / entry, ignore_errors=True)
                    else:  # a joined file, or one left by a stopped build
                        (self.blocks / entry).unlink(missing_ok=True)
        text = json.dumps(descriptor(self.out_dir), ensure_ascii=False, indent=2, sort_keys=False)
        (self.out_dir / "datapackage.json").write_text(text + "\n", encoding="utf-8")
