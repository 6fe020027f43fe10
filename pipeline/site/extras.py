"""What the site holds besides MkDocs' pages: the downloads staged beside the pages, the
Traditional→Simplified character map of the search page, and the generated docs to clear."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from pipeline import package, pages
from pipeline.fileio import link_files, sync_links
from pipeline.readers import original_suffix
from pipeline.records import Report

# What the page kinds write (pipeline.pages.PAGE_KINDS), and the downloads staged beside them.
GENERATED_DOCS = (*pages.generated_docs(), "downloads")

T2S_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0x20000, 0x2FA1F))
"""CJK unified ideographs (and extensions); compatibility ideographs are left to NFKC in the browser."""


DATABASE = "reports.db"
LATE_DOWNLOADS = (DATABASE, "corpus.zip", "report-json.zip")
"""Downloads a build may still be writing while the pages are made (``reports.db`` in its own
process, the zips in a thread): ``stage_downloads(late=False)`` leaves them out and
``stage_late_downloads`` links them once whole."""


STAGED = ("originals", "texts", "markdown")
"""Folders of ``downloads/`` with a file per report: kept from one build to the next and
brought up to date (``sync_links``), not linked again whole."""


def stage_downloads(
    reports: Sequence[Report],
    datasets_dir: Path,
    docs_dir: Path,
    late: bool = True,
    sources: Mapping[str, str] | None = None,
) -> None:
    """Put the files the pages offer for download under ``docs_dir/downloads`` (those of
    ``LATE_DOWNLOADS`` too unless ``late`` is False). ``sources``: the data package's files of
    a report not yet in ``datasets_dir`` (placed at its swap), by their paths there."""
    dl = docs_dir / "downloads"
    names = [
        "datapackage.json",
        "build_report.json",
        "report.schema.json",
        *(LATE_DOWNLOADS if late else ()),
    ] + [f"{n}.{e}" for n in package.RESOURCES for e in ("csv", "parquet")]
    link_files([(f"{datasets_dir}/{name}", f"{dl}/{name}") for name in names])
    found = sources or {}
    staged: dict[str, list[tuple[str, str]]] = {sub: [] for sub in STAGED}
    for sub in ("texts", "markdown"):
        names = [rel[len(sub) + 1 :] for rel in found if rel.startswith(f"{sub}/")]
        if not found and (datasets_dir / sub).is_dir():
            names = os.listdir(datasets_dir / sub)
        staged[sub] = [
            (found.get(f"{sub}/{n}", f"{datasets_dir}/{sub}/{n}"), f"{dl}/{sub}/{n}")
            for n in sorted(names)
        ]
    for r in reports:
        # A saved web page is offered as .txt so that it is never served as live HTML.
        ext = original_suffix(r.archived.media_type)
        sha = r.archived.sha256
        rel = f"archive/{sha[:2]}/{sha}"
        staged["originals"].append(
            (found.get(rel, f"{datasets_dir}/{rel}"), f"{dl}/originals/{sha}.{ext}")
        )
    for sub, pairs in staged.items():
        sync_links(pairs, [f"{dl}/{sub}"])


def stage_late_downloads(datasets_dir: Path, docs_dir: Path) -> None:
    """The downloads that ``stage_downloads(late=False)`` left out."""
    dl = docs_dir / "downloads"
    link_files([(datasets_dir / name, dl / name) for name in LATE_DOWNLOADS])


def clear_generated_docs(docs_dir: Path, keep: Sequence[str] = ()) -> None:
    """Remove what the last build generated in ``docs_dir``, except the folders in ``keep``
    (``pages.KEPT_FOLDERS``: the page stage keeps the report and issuer pages that have not changed)."""
    keep_set = set(keep)

    def clear(p: Path, rel: str) -> None:
        if rel in keep_set:
            return
        if p.is_dir() and any(k.startswith(rel + "/") for k in keep_set):
            for child in sorted(p.iterdir()):
                clear(child, f"{rel}/{child.name}")
        elif p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()

    for rel in GENERATED_DOCS:
        clear(docs_dir / rel, rel)
    if not keep:
        (docs_dir / pages.KEYS_FILE).unlink(missing_ok=True)


def t2s_map() -> dict[str, str]:
    """Every character OpenCC's ``t2s`` changes on its own, mapped to its Simplified form."""
    from pipeline.script import converter

    t2s = converter("t2s")
    out: dict[str, str] = {}
    for low, high in T2S_RANGES:
        for cp in range(low, high + 1):
            ch = chr(cp)
            simplified = t2s.convert(ch)
            if simplified != ch and len(simplified) == 1:
                out[ch] = simplified
    return out


def write_t2s_map(dest: Path) -> None:
    """The character map as ``{"t": "…", "s": "…"}``: the i-th character of ``t`` becomes the i-th of ``s``."""
    pairs = t2s_map()
    dest.parent.mkdir(parents=True, exist_ok=True)
    data = {"t": "".join(pairs), "s": "".join(pairs.values())}
    dest.write_text(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
