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
  pairs already made for its full-text index (``database.write_segment``).

The build then puts the package together from the segments in order (``package.PackageWriter.
add_segment``, ``database.DatabaseWriter.add_segment``, links for the files): the rows come out
in primary-key order, as a build from nothing would write them.

A segment's folder is named by a hash of everything its outputs are made from (``plan``): each
report's per-report cache key, the checks the cross-report stage added, its duplicates, its
cross-report fields, who its issuer is (``reportjson.issuer_part``) and its copied-text rows, and
the code. A build that finds
the folder uses it as it is, so a one-report change remakes the segments whose reports changed
(its own, and those of the reports whose cross-report fields it moved). Segments end after a
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
from pipeline.database import text_row, write_segment
from pipeline.fileio import write_files
from pipeline.records import Report
from pipeline.reportjson import JSON_DIR, document_bytes
from pipeline.store import Kept, from_task

SEGMENT = 64
"""Reports in a segment on average."""

MAX_SEGMENT = 4 * SEGMENT
"""No segment holds more (a run of ids none of which ends a segment is cut here)."""

RESOURCES = ("reports", "statistics", "template_cells", "checks")
"""The resources whose rows are each one report's."""

FILE_FOLDERS = ("texts", "markdown", JSON_DIR)
"""The folders of per-report files a segment makes, as named in ``datasets/``."""

DATABASE = "segment.db"
COUNTS = "counts.json"
DONE = ".done"


@dataclass(frozen=True)
class Segment:
    """Reports ``start:end`` of the build's (sorted) reports, made into ``folder``."""

    start: int
    end: int
    folder: str
    ids: tuple[str, ...]


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
    (JSON-serialisable)."""
    out = []
    for n, (start, end) in enumerate(bounds([r.report_id for r in reports])):
        h = hashlib.sha256(salt.encode())
        keyed = True
        for r in reports[start:end]:
            key = key_of(r)
            keyed = keyed and key is not None
            h.update(
                json.dumps(
                    [key, repr(r.checks), list(r.duplicates), inputs(r)],
                    ensure_ascii=False,
                    sort_keys=True,
                    default=str,
                ).encode()
            )
            h.update(b"\0")
        name = h.hexdigest()[:32] if keyed else f"build-{n:06d}"
        ids = tuple(r.report_id for r in reports[start:end])
        out.append(Segment(start, end, str(root / name), ids))
    return out


def is_made(segment: Segment) -> bool:
    """Whether the segment's folder is complete (a kept one, or one made in this build)."""
    return (Path(segment.folder) / DONE).exists()


def make(task: Task) -> str:
    """Make one segment's outputs (a task of the build's executor). Written into a folder
    beside the final one and renamed, so a segment folder is whole or absent."""
    folder = Path(task.folder)
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in RESOURCES}
    counts: list[tuple[int | None, dict[str, int]]] = []
    files: list[tuple[Path, bytes]] = []
    texts = []
    for item, (fields, issuer, reuse) in zip(task.reports, task.inputs, strict=True):
        r = from_task(item)
        of = {name: package.sort_rows(name, rs) for name, rs in package.report_rows(r).items()}
        for row in of["reports"]:
            row.update(fields)
        for name in RESOURCES:
            rows[name].extend(of[name])
        counts.append((r.metadata.year, {name: len(of[name]) for name in RESOURCES}))
        rid = r.report_id
        files.append(
            (
                tmp / JSON_DIR / f"{rid}.json",
                document_bytes(of["reports"][0], issuer, {**of, "reuse": list(reuse)}),
            )
        )
        files.append((tmp / "texts" / f"{rid}.txt", r.cleaned.text.encode()))
        if r.text_hans is not None:
            files.append((tmp / "texts" / f"{rid}.hans.txt", r.text_hans.encode()))
        files.append((tmp / "markdown" / f"{rid}.md", r.markdown.encode()))
        texts.append(text_row(r))
    for name in RESOURCES:
        files.append((tmp / f"{name}.csv", package.csv_text(name, rows[name]).encode()))
        sink = pa.BufferOutputStream()
        table = package.arrow_table(name, rows[name])
        with pa.ipc.new_file(sink, table.schema) as w:
            w.write_table(table)
        files.append((tmp / f"{name}.arrow", sink.getvalue().to_pybytes()))
    files.append((tmp / COUNTS, json.dumps(counts).encode()))
    tmp.mkdir(parents=True)
    write_files(files)
    write_segment(tmp / DATABASE, rows, texts)
    (tmp / DONE).write_bytes(b"")
    try:
        tmp.rename(folder)
    except OSError:  # made meanwhile by another task with the same inputs
        shutil.rmtree(tmp, ignore_errors=True)
        if not (folder / DONE).exists():
            raise
    return str(folder)


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


def read_csv(segment: Segment, name: str) -> str:
    """The segment's CSV lines of ``name``."""
    return (Path(segment.folder) / f"{name}.csv").read_text(encoding="utf-8")


def read_arrow(segment: Segment, name: str) -> pa.Table:
    """The segment's rows of ``name`` as an Arrow table."""
    data = (Path(segment.folder) / f"{name}.arrow").read_bytes()
    return pa.ipc.open_file(pa.BufferReader(data)).read_all()
