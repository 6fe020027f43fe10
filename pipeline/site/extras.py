"""What the site holds besides MkDocs' pages: the downloads staged beside the pages, the
Traditional→Simplified character map of the search page, and the generated docs to clear."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline import package, pages
from pipeline.fileio import link_files, sync_links
from pipeline.readers import original_suffix
from pipeline.records import Report
from pipeline.site.carry import Changes, folder_stamp

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
    groups: Mapping[str, str] | None = None,
) -> Staged:
    """Put the files the pages offer for download under ``docs_dir/downloads`` (those of
    ``LATE_DOWNLOADS`` too unless ``late`` is False). ``sources``: the data package's files of
    a report not yet in ``datasets_dir`` (placed at its swap), by their paths there; ``groups``:
    of those, the ones in a group named by what it holds (the same key, the same files), that
    group's key (``carry.Links.files`` and ``keys``). The folders of a file per report are
    brought up to date (``_sync_staged``), and what changed in them told (``Staged``)."""
    dl = docs_dir / "downloads"
    names = [
        "datapackage.json",
        "build_report.json",
        "report.schema.json",
        *(LATE_DOWNLOADS if late else ()),
    ] + [f"{n}.{e}" for n in package.RESOURCES for e in ("csv", "parquet")]
    link_files([(f"{datasets_dir}/{name}", f"{dl}/{name}") for name in names])
    found = sources or {}
    keys = groups or {}
    staged: dict[str, Grouped] = {sub: {} for sub in STAGED}
    for rel, src in found.items():
        sub, _, name = rel.partition("/")
        if sub == "texts" or sub == "markdown":
            staged[sub].setdefault(keys.get(rel), []).append((name, src))
    for sub in ("texts", "markdown"):
        if not found and (datasets_dir / sub).is_dir():
            listed = os.listdir(datasets_dir / sub)
            staged[sub] = {None: [(n, f"{datasets_dir}/{sub}/{n}") for n in listed]}
    for r in reports:
        # A saved web page is offered as .txt so that it is never served as live HTML.
        ext = original_suffix(r.archived.media_type)
        sha = r.archived.sha256
        rel = f"archive/{sha[:2]}/{sha}"
        staged["originals"].setdefault(keys.get(rel), []).append(
            (f"{sha}.{ext}", found.get(rel, f"{datasets_dir}/{rel}"))
        )
    for grouped in staged.values():
        for files in grouped.values():
            files.sort()
    return _sync_staged(docs_dir, staged)


Grouped = dict[str | None, list[tuple[str, str]]]
"""A staged folder's files by the key of the group they come from (None: from no named group):
(file name, source), in the order of their names."""


STAGED_RECORD = ".staged-downloads.json"
"""In the docs folder: what the last ``stage_downloads`` left in each ``STAGED`` folder: the
folder's inode and modification time after it, and the files it linked from each group named by
what it holds (by the group's key)."""


@dataclass(frozen=True)
class Staged:
    """What ``stage_downloads`` did to the folders of a file per report: files removed and
    linked, and for each folder the state it is now in and, when it was brought up to date from
    the last staging's record, what changed in it since that one's state (``carry.Changes``,
    whose ``since`` is otherwise empty; by its path in the site: ``downloads/<sub>``)."""

    removed: int
    linked: int
    changes: dict[str, Changes]


def _sync_staged(docs_dir: Path, staged: Mapping[str, Grouped]) -> Staged:
    """``sync_links`` for each folder of ``staged`` (``downloads/<sub>``: its files by group),
    file by file only where the last staging's record (``STAGED_RECORD``) does not tell. The
    files of a group whose key and names the record shows, in a folder no one changed since
    (its inode and modification time those recorded), are that group's files already: the
    trust ``carry.Links`` places the data package's carried folders with. At 100,000 reports a
    one-report change then links the files of a few groups instead of checking 300,000 (3.5-6.9
    s). Any other file (of a group that changed, or of none) is checked as ever. Each record
    names the state it describes (a hash of it and of the last one's): the files that may
    differ from the last state are told with it (``Staged.changes``), for the site's copy of
    the folders to follow."""
    dl = docs_dir / "downloads"
    record = docs_dir / STAGED_RECORD
    try:
        last = json.loads(record.read_text(encoding="utf-8"))
        since, described = str(last["state"]), last["record"]
        folders, keys = dict(described["folders"]), dict(described["keys"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        folders, keys, since = {}, {}, ""
    record.unlink(missing_ok=True)  # no record survives a staging cut short
    removed = linked = 0
    now_folders: dict[str, list[int]] = {}
    now_keys: dict[str, dict[str, list[str]]] = {}
    changed: dict[str, frozenset[str]] = {}
    for sub, grouped in staged.items():
        folder = f"{dl}/{sub}"
        known = keys.get(sub) if folder_stamp(folder) == folders.get(sub) else None
        if isinstance(known, dict) and folders.get(sub) is not None:
            counts, names = _sync_known(grouped, folder, known)
            changed[sub] = names
        else:
            pairs = [(src, f"{folder}/{n}") for files in grouped.values() for n, src in files]
            counts = sync_links(pairs, [folder])
        removed += counts["removed"]
        linked += counts["linked"]
        stamp = folder_stamp(folder)
        if stamp is not None:
            now_folders[sub] = stamp
        now_keys[sub] = {key: [n for n, _ in files] for key, files in grouped.items() if key}
    text = json.dumps({"folders": now_folders, "keys": now_keys}, sort_keys=True)
    now = hashlib.sha256(f"{since}\n{text}".encode()).hexdigest()
    tmp = record.with_name(record.name + ".tmp")
    tmp.write_text(f'{{"state": "{now}", "record": {text}}}', encoding="utf-8")
    tmp.replace(record)
    changes = {
        f"downloads/{sub}": Changes(
            f"{dl}/{sub}", since if sub in changed else "", now, changed.get(sub, frozenset())
        )
        for sub in staged
    }
    return Staged(removed, linked, changes)


def _sync_known(
    grouped: Grouped, folder: str, known: Mapping[str, list[str]]
) -> tuple[dict[str, int], frozenset[str]]:
    """``sync_links`` into ``folder``, as the last staging left it, whose files from each named
    group are ``known`` (the group's key: its files' names). Returns the files removed and
    linked, and the names of those that may have changed (every one checked or removed)."""
    present = set(os.listdir(folder))  # files only: a folder made in it changed its stamp
    wanted: set[str] = set()
    check = []
    for key, files in grouped.items():
        names = [n for n, _ in files]
        wanted.update(names)
        if key is None or known.get(key) != names:
            check += [(src, f"{folder}/{n}") for n, src in files]
    gone = sorted(present - wanted)
    for name in gone:
        os.unlink(f"{folder}/{name}")
    counts = {"removed": len(gone), "linked": sync_links(check, [])["linked"]}
    return counts, frozenset([*gone, *(dest.rpartition("/")[2] for _, dest in check)])


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
        (docs_dir / STAGED_RECORD).unlink(missing_ok=True)


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
