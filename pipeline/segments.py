"""The data package's per-report part, made a segment (a run of reports) at a time and kept.

Most of the package is rows of one report each (``reports``, ``statistics``,
``template_cells``, ``checks``), its texts, its Markdown, its JSON document and its rows of
``reports.db``. The reports, in the order of their ids, are dealt into segments; a segment's
outputs are made by one task on the build's executor (``make``) into a folder of their own:

* ``<resource>.csv`` — the resource's CSV lines (no header) and ``<resource>.arrow`` — the same
  rows as an Arrow table, for the Parquet files;
* ``texts/``, ``markdown/``, ``json/`` — the files each report publishes;
* ``counts.json`` — each report's year and number of rows of each resource;
* ``segment.db`` — the rows and texts as ``reports.db`` holds them, with each text's character
  pairs already made for its full-text index (``database.write_segment``): the ``reports`` rows
  in ``segment.db``, the rest in ``base.db``.

The build then puts the package together from the segments in order (``package.PackageWriter.
add_segment``, ``database.DatabaseWriter.add_segment``, links for the files): the rows come out
in primary-key order, as a build from nothing would write them.

A segment's folder is named by a hash of everything its outputs are made from (``plan``): each
report's per-report cache key, the checks the cross-report stage added, its duplicates, its
cross-report fields, who its issuer is (``reportjson.issuer_part``) and its copied-text rows, and
the code. A build that finds the folder uses it as it is, so a one-report change remakes the
segments whose reports changed: its own, and those of the reports whose cross-report fields it
moved (a new text changes which sentences other reports share with it, so a change often moves
the copied-text fields of dozens of reports).

Most of a segment's work does not depend on the cross-report fields: reading the whole reports
back, the texts and their character pairs, the figures' rows. That part is made once into a
base folder of its own (``b-`` and a hash of the same inputs without the cross-report ones) and
linked into every segment folder made from it; a segment whose reports only had their
cross-report fields moved is made from its base, without reading a whole report: its
``reports`` rows, JSON documents and ``segment.db``. Segments end after a
report whose id hashes to 0 modulo ``SEGMENT`` (or after ``MAX_SEGMENT`` reports): adding or
removing a report moves no other segment's boundaries."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow as pa

from pipeline import package
from pipeline.database import BASE_DATABASE, text_row, write_segment
from pipeline.fileio import link_files, write_files
from pipeline.records import Report
from pipeline.reportjson import JSON_DIR, document_bytes_from, own_parts_text
from pipeline.store import Kept, from_task

SEGMENT = 64
"""Reports in a segment on average."""

MAX_SEGMENT = 4 * SEGMENT
"""No segment holds more (a run of ids none of which ends a segment is cut here)."""

RESOURCES = package.PER_REPORT
"""The resources whose rows are each one report's."""

FILE_FOLDERS = ("texts", "markdown", JSON_DIR)
"""The folders of per-report files a segment makes, as named in ``datasets/``."""

DATABASE = "segment.db"
COUNTS = "counts.json"
ROWS = "rows.jsonl"
"""In a base folder: for each report, two lines: its ``reports`` row before the cross-report
fields, and its JSON document's own parts as written (``reportjson.own_parts_text``)."""
DONE = ".done"
BASE_PREFIX = "b-"


@dataclass(frozen=True)
class Segment:
    """Reports ``start:end`` of the build's (sorted) reports, made into ``folder``."""

    start: int
    end: int
    folder: str
    ids: tuple[str, ...]
    base: str
    """The folder of the part made without the cross-report fields."""


class Inputs(NamedTuple):
    """What the cross-report stage knows of a report that its files show: its ``reports``
    row's fields, who its issuer is (``reportjson.issuer_part``) and its copied-text rows."""

    fields: dict[str, Any]
    issuer: dict[str, Any] | None
    reuse: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Task:
    """What ``make`` needs: the whole reports of a segment (or where to read them back,
    ``store.Kept``) and each one's ``Inputs``."""

    folder: str
    reports: tuple[Report | Kept, ...]
    inputs: tuple[Inputs, ...]
    base: str


def _ends_segment(report_id: str) -> bool:
    digest = hashlib.sha256(report_id.encode()).digest()
    return int.from_bytes(digest[:4], "big") % SEGMENT == 0


def bounds(ids: Sequence[str]) -> list[tuple[int, int]]:
    """The segments of ``ids`` (sorted) as index ranges."""
    out: list[tuple[int, int]] = []
    start = 0
    for i, rid in enumerate(ids):
        if _ends_segment(rid) or i + 1 - start >= MAX_SEGMENT:
            out.append((start, i + 1))
            start = i + 1
    if start < len(ids):
        out.append((start, len(ids)))
    return out


def plan(
    reports: Sequence[Report],
    root: Path,
    salt: str,
    key_of: Callable[[Report], str | None],
    inputs: Callable[[Report], Inputs],
) -> list[Segment]:
    """The segments of ``reports`` (light copies, in the order of their ids) under ``root``.
    ``key_of`` gives a report's per-report cache key (None: not kept, so its segment is made
    under a name of its place and never reused); ``inputs`` what else its outputs are made of
    (plain values: strings, numbers, None, lists, tuples and dicts made in a fixed order).

    Both are named by their ``repr``, which is the same for the same values made the same way
    (a dict's keys in the order they were put in): at 100,000 reports ``json.dumps`` with
    sorted keys took 1.5 s of the build's thread, ``repr`` a third of it."""
    out = []
    for n, (start, end) in enumerate(bounds([r.report_id for r in reports])):
        h = hashlib.sha256(salt.encode())
        base = hashlib.sha256(salt.encode())
        keyed = True
        for r in reports[start:end]:
            key = key_of(r)
            keyed = keyed and key is not None
            own = repr((key, r.checks, r.duplicates)).encode()
            base.update(own + b"\0")
            h.update(own + repr(inputs(r)).encode())
            h.update(b"\0")
        name = h.hexdigest()[:32] if keyed else f"build-{n:06d}"
        base_name = BASE_PREFIX + (base.hexdigest()[:32] if keyed else f"build-{n:06d}")
        ids = tuple(r.report_id for r in reports[start:end])
        out.append(Segment(start, end, str(root / name), ids, str(root / base_name)))
    return out


def is_made(segment: Segment) -> bool:
    """Whether the segment's folder is complete (a kept one, or one made in this build)."""
    return (Path(segment.folder) / DONE).exists()


def make(task: Task) -> str:
    """Make one segment's outputs (a task of the build's executor): its base first when there
    is none (``make_base``), then what the cross-report fields go into. Written into a folder
    beside the final one and renamed, so a segment folder is whole or absent."""
    base = Path(task.base)
    if not (base / DONE).exists():
        make_base(task)
    folder = Path(task.folder)
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    # The base's files, linked: texts, Markdown, the other resources' rows and base.db.
    pairs = [
        (str(base / COUNTS), str(tmp / COUNTS)),
        (str(base / BASE_DATABASE), str(tmp / BASE_DATABASE)),
    ]
    for name in RESOURCES[1:]:
        pairs += [
            (str(base / f"{name}.{ext}"), str(tmp / f"{name}.{ext}")) for ext in ("csv", "arrow")
        ]
    for sub in ("texts", "markdown"):
        pairs += [(f"{base}/{sub}/{n}", f"{tmp}/{sub}/{n}") for n in sorted(os.listdir(base / sub))]
    link_files(pairs)
    report_rows: list[dict[str, Any]] = []
    files: list[tuple[Path, bytes]] = []
    lines = (base / ROWS).read_text(encoding="utf-8").split("\n")
    if len(lines) != 2 * len(task.inputs) + 1:
        raise ValueError(f"{base / ROWS}: {len(lines) // 2} reports, {len(task.inputs)} expected")
    for i, (rid, (fields, issuer, reuse)) in enumerate(zip(_ids(task), task.inputs, strict=True)):
        row = json.loads(lines[2 * i])
        if row["report_id"] != rid:
            raise ValueError(f"{base}: the rows of {row['report_id']} where {rid} was expected")
        row.update(fields)
        report_rows.append(row)
        files.append(
            (
                tmp / JSON_DIR / f"{rid}.json",
                document_bytes_from(row, issuer, lines[2 * i + 1], list(reuse)),
            )
        )
    files.append((tmp / "reports.csv", package.csv_text("reports", report_rows).encode()))
    files.append((tmp / "reports.arrow", _arrow_bytes("reports", report_rows)))
    write_files(files)
    write_segment(tmp / DATABASE, {"reports": report_rows}, None)
    (tmp / DONE).write_bytes(b"")
    return _rename(tmp, folder)


def make_base(task: Task) -> str:
    """The part of a segment that its reports alone give (read back whole, one at a time):
    texts, Markdown, the rows of every resource but ``reports``, ``base.db``, and each report's
    rows before the cross-report fields (``ROWS``), for ``make``."""
    folder = Path(task.base)
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in RESOURCES}
    counts: list[tuple[int | None, dict[str, int]]] = []
    files: list[tuple[Path, bytes]] = []
    texts = []
    own: list[str] = []
    for item in task.reports:
        r = from_task(item)
        of = {name: package.sort_rows(name, rs) for name, rs in package.report_rows(r).items()}
        check_references(r.report_id, of, folder)
        own.append(json.dumps(of["reports"][0], ensure_ascii=False))
        own.append(own_parts_text(of))
        for name in RESOURCES:
            rows[name].extend(of[name])
        counts.append((r.metadata.year, {name: len(of[name]) for name in RESOURCES}))
        rid = r.report_id
        files.append((tmp / "texts" / f"{rid}.txt", r.cleaned.text.encode()))
        if r.text_hans is not None:
            files.append((tmp / "texts" / f"{rid}.hans.txt", r.text_hans.encode()))
        files.append((tmp / "markdown" / f"{rid}.md", r.markdown.encode()))
        texts.append(text_row(r))
    for name in RESOURCES[1:]:
        files.append((tmp / f"{name}.csv", package.csv_text(name, rows[name]).encode()))
        files.append((tmp / f"{name}.arrow", _arrow_bytes(name, rows[name])))
    files.append((tmp / COUNTS, json.dumps(counts).encode()))
    files.append((tmp / ROWS, ("\n".join(own) + "\n").encode()))
    tmp.mkdir(parents=True)
    (tmp / "texts").mkdir()
    (tmp / "markdown").mkdir()
    write_files(files)
    write_segment(tmp / BASE_DATABASE, {name: rows[name] for name in RESOURCES[1:]}, texts)
    (tmp / DONE).write_bytes(b"")
    return _rename(tmp, folder)


def check_references(report_id: str, rows: dict[str, list[dict[str, Any]]], where: Path) -> None:
    """That each row of ``rows`` (one report's, ``package.report_rows``) that refers to a report
    refers to this one: what ``reports.db``'s foreign keys to ``reports`` say of them, checked
    here once per report made rather than by SQLite over every row of the database on every
    build (``database.SEGMENT_CHECKED``). Raises ``ValueError`` naming the segment's folder."""
    _, schemas = package.schemas()
    for name, its_rows in rows.items():
        columns = [a for a, table, _ in schemas[name].foreign_keys if table == "reports"]
        for row in its_rows:
            for column in columns:
                if row[column] != report_id:
                    raise ValueError(
                        f"{where}: a {name} row of {report_id} refers to the report "
                        f"{row[column]!r} ({column})"
                    )


def _ids(task: Task) -> list[str]:
    return [item.report_id for item in task.reports]


def _arrow_bytes(name: str, rows: Sequence[dict[str, Any]]) -> bytes:
    sink = pa.BufferOutputStream()
    table = package.arrow_table(name, rows)
    with pa.ipc.new_file(sink, table.schema) as w:
        w.write_table(table)
    return sink.getvalue().to_pybytes()


def _rename(tmp: Path, folder: Path) -> str:
    try:
        tmp.rename(folder)
    except OSError:  # made meanwhile by another task with the same inputs
        shutil.rmtree(tmp, ignore_errors=True)
        if not (folder / DONE).exists():
            raise
    return str(folder)


def keyed(segment: Segment) -> bool:
    """Whether the segment's folder is named by a hash of what it is made from (else by its
    place in the build, ``build-…``: a report not kept in the per-report cache)."""
    return not Path(segment.folder).name.startswith("build-")


def files_of(segment: Segment, out_dir: Path) -> list[tuple[str, str]]:
    """(kept file, place in ``out_dir``) for each per-report file of the segment."""
    pairs = []
    for sub in FILE_FOLDERS:
        src = f"{segment.folder}/{sub}"
        if os.path.isdir(src):
            pairs += [(f"{src}/{n}", f"{out_dir}/{sub}/{n}") for n in sorted(os.listdir(src))]
    return pairs


def counts(segment: Segment) -> list[tuple[int | None, dict[str, int]]]:
    """Each report's year and number of rows of each resource, in order."""
    data = json.loads((Path(segment.folder) / COUNTS).read_text(encoding="utf-8"))
    return [(year, n) for year, n in data]


def csv_path(segment: Segment, name: str) -> str:
    """The file of the segment's CSV lines of ``name`` (UTF-8), copied into the package's file
    as they are."""
    return f"{segment.folder}/{name}.csv"


def read_arrow(segment: Segment, name: str) -> pa.Table:
    """The segment's rows of ``name`` as an Arrow table."""
    data = (Path(segment.folder) / f"{name}.arrow").read_bytes()
    return pa.ipc.open_file(pa.BufferReader(data)).read_all()
