"""One JSON document per report (``/reports/<id>/report.json`` beside its page): its metadata,
its issuer (who it is: ``ISSUER_FIELDS``), figures with their evidence, the mandated tables' cells, the checks and its copied
sentences — the rows of every resource that are about it — and the JSON Schema they follow
(``/reports/report.schema.json``), generated from the same table schemas as the package.

Written into ``datasets/json/`` with the package (and as ``report-json.zip``), then linked into
the built site next to each page. Keys keep the schema's order and the bytes depend only on the
rows, so two builds give the same files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline import package, zipped
from pipeline.fileio import link_files

if TYPE_CHECKING:
    from pipeline.site.carry import Links

SCHEMA_NAME = "report.schema.json"
JSON_DIR = "json"
ZIP_NAME = "report-json.zip"
# Resource → key in the document; resources with one row per report are an object.
PARTS = (
    ("statistics", "statistics"),
    ("template_cells", "template_cells"),
    ("checks", "checks"),
    ("reuse", "reuse"),
)
_JSON_TYPES = {
    "string": "string",
    "integer": "integer",
    "number": "number",
    "date": "string",
    "boolean": "boolean",
}


def _field_schema(f: package.Field, required: bool) -> dict[str, Any]:
    kind: Any = _JSON_TYPES[f.type]
    out: dict[str, Any] = {"title": f.title, "description": f.description}
    if f.type == "date":
        out["format"] = "date"
    c = f.constraints or {}
    if "enum" in c:
        out["enum"] = list(c["enum"]) + ([] if required else [None])
    if "pattern" in c:
        out["pattern"] = f"^(?:{c['pattern']})$"
    if "minimum" in c:
        out["minimum"] = c["minimum"]
    if "maximum" in c:
        out["maximum"] = c["maximum"]
    out["type"] = kind if required else [kind, "null"]
    return out


def _row_schema(name: str, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    _, schemas = package.schemas()
    s = schemas[name]
    fields = [f for f in s.fields if f.name not in drop]
    return {
        "type": "object",
        "title": s.title,
        "description": s.description,
        "properties": {
            f.name: _field_schema(f, bool(f.constraints.get("required")) or f.name in s.primary_key)
            for f in fields
        },
        "required": [f.name for f in fields],
        "additionalProperties": False,
    }


ISSUER_FIELDS = (
    "issuer_id",
    "name",
    "issuer_type",
    "admin_level",
    "province",
    "prefecture",
    "county",
    "division_code",
    "page",
)
"""What a report's document says of its issuer: who it is, not what the corpus holds of it. The
number of its reports, its years and the names it was written under change with any of its
reports (they are in ``issuers`` and on its page); left out, a change to one report leaves the
documents of the issuer's other reports as they were."""


def issuer_part(issuer_row: dict[str, Any] | None) -> dict[str, Any] | None:
    """The ``issuer`` object of a report's document, from its ``issuers`` row."""
    return None if issuer_row is None else {f: issuer_row.get(f) for f in ISSUER_FIELDS}


def json_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of a report document."""
    head, schemas = package.schemas()
    issuer = _row_schema(
        "issuers",
        drop=tuple(f.name for f in schemas["issuers"].fields if f.name not in ISSUER_FIELDS),
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Report (政府信息公开工作年度报告)",
        "description": (
            "One report of the data package "
            f"'{head['name']}': its reports row, its issuer, and its rows of the other "
            "resources (the report_id column left out). Field meanings as in datapackage.json."
        ),
        "type": "object",
        "properties": {
            "report_id": {"type": "string"},
            "report": _row_schema("reports"),
            "issuer": {"anyOf": [issuer, {"type": "null"}]},
            **{
                key: {"type": "array", "items": _row_schema(name, drop=("report_id",))}
                for name, key in PARTS
            },
        },
        "required": ["report_id", "report", "issuer", *[key for _, key in PARTS]],
        "additionalProperties": False,
    }


def _dumps(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def document(
    report_row: dict[str, Any],
    issuer_row: dict[str, Any] | None,
    parts: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """One report's document from its ``reports`` row, its issuer's row and its rows of the
    other resources (by resource name)."""
    out = _head(report_row, issuer_row)
    for name, key in PARTS:
        out[key] = _part(name, parts)
    return out


def _head(report_row: dict[str, Any], issuer_row: dict[str, Any] | None) -> dict[str, Any]:
    _, schemas = package.schemas()
    return {
        "report_id": report_row["report_id"],
        "report": {f.name: report_row.get(f.name) for f in schemas["reports"].fields},
        "issuer": issuer_part(issuer_row) if issuer_row else None,
    }


def _part(name: str, parts: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    _, schemas = package.schemas()
    names = [f.name for f in schemas[name].fields if f.name != "report_id"]
    return [{n: row.get(n) for n in names} for row in package.sort_rows(name, parts.get(name, []))]


def document_bytes(
    report_row: dict[str, Any],
    issuer_row: dict[str, Any] | None,
    parts: dict[str, list[dict[str, Any]]],
) -> bytes:
    """The file ``json/<id>.json`` of ``document``."""
    return _dumps(document(report_row, issuer_row, parts))


OWN_PARTS = tuple(name for name, _ in PARTS if name != "reuse")
"""The parts a report's own rows give (``reuse`` comes from the cross-report stage)."""


def own_parts_text(parts: dict[str, list[dict[str, Any]]]) -> str:
    """The document's ``OWN_PARTS`` as they stand in its file, between the head and ``reuse``
    (one line: JSON escapes line breaks), for ``document_bytes_from``."""
    text = _dumps({key: _part(name, parts) for name, key in PARTS if name in OWN_PARTS})
    return text.decode("utf-8")[1:-2]  # without the braces and the line break


def document_bytes_from(
    report_row: dict[str, Any],
    issuer_row: dict[str, Any] | None,
    own_text: str,
    reuse: list[dict[str, Any]],
) -> bytes:
    """``document_bytes`` of a report whose own parts were written beforehand
    (``own_parts_text``): the same bytes, without serialising its figures again."""
    head = _dumps(_head(report_row, issuer_row))[:-2]  # without "}" and the line break
    tail = _dumps({"reuse": _part("reuse", {"reuse": reuse})})[1:]
    return head + b"," + own_text.encode("utf-8") + b"," + tail


class JsonWriter:
    """The documents' schema and zip: ``json/<id>.json`` are put there beforehand (by the
    build, from its segments) and named with ``add_written``; ``close`` writes the schema and the
    zip of them all."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.ids: list[str] = []
        self.sources: dict[str, str] = {}

    def add_written(self, report_id: str, source: str | None = None) -> None:
        """A document already in ``json/``, or to be placed there from ``source`` (the same
        bytes, read from there for the zip)."""
        self.ids.append(report_id)
        if source is not None:
            self.sources[report_id] = source

    def write_schema(self) -> None:
        """The documents' JSON Schema beside them (before ``close``, which zips it: the build
        writes it before the zips are written beside the pages, which offer it at once)."""
        (self.out_dir / SCHEMA_NAME).write_bytes(_dumps_pretty(json_schema()))

    def close(self, cache: zipped.MemberCache | None = None) -> list[str]:
        """Write the zip (members compressed before taken from ``cache``), with the schema
        (written now if ``write_schema`` was not called); returns the report ids, sorted."""
        if not (self.out_dir / SCHEMA_NAME).is_file():
            self.write_schema()
        ids = sorted(self.ids)
        # Paths as strings: 100,000 of them as Path objects cost the zips' process 0.9 s.
        members: list[tuple[str, Path | str]] = [(SCHEMA_NAME, self.out_dir / SCHEMA_NAME)]
        members += [
            (
                f"{JSON_DIR}/{rid}.json",
                self.sources.get(rid, f"{self.out_dir}/{JSON_DIR}/{rid}.json"),
            )
            for rid in ids
        ]
        zipped.write_zip(self.out_dir / ZIP_NAME, members, cache)
        return ids


def _dumps_pretty(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def publish(
    datasets_dir: Path,
    docs_dir: Path,
    site_dir: Path,
    documents: Sequence[tuple[str | None, Sequence[str]]],
    links: Links | None = None,
    sources: Mapping[str, str] | None = None,
) -> None:
    """Link each report's JSON beside its built page (the reports with a page in ``docs_dir``),
    and the schema into ``reports/``. ``documents``: the reports' ids in groups, each with a
    name for what its documents are (``BuildResult.json_documents``). With ``links`` (the site's
    carried folders, ``pipeline.site.carry``), given to it a group at a time. ``sources``: where
    a document not yet in ``datasets_dir`` is (its path there, ``json/<id>.json``, mapped to
    it)."""
    folder = docs_dir / "reports"
    paged = {n[: -len(".md")] for n in os.listdir(folder)} if folder.is_dir() else set()

    def pairs(ids: Iterable[str]) -> list[tuple[str, str]]:
        found = sources or {}
        return [
            (
                found.get(f"{JSON_DIR}/{rid}.json", f"{datasets_dir}/{JSON_DIR}/{rid}.json"),
                f"reports/{rid}/report.json",
            )
            for rid in ids
        ]

    groups = [(None, [(f"{datasets_dir}/{SCHEMA_NAME}", f"reports/{SCHEMA_NAME}")])]
    for key, ids in documents:
        have = [rid for rid in ids if rid in paged]
        groups.append((key if len(have) == len(ids) else None, pairs(have)))
    if links is None:
        link_files([(src, f"{site_dir}/{rel}") for _, group in groups for src, rel in group])
        return
    for key, group in groups:
        links.add(key, group)
