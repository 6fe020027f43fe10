"""The big folders of the site and of ``datasets/`` carried over from the last build instead
of linked again.

A national site is hundreds of thousands of files, each a hard link to a cached file; linking
them all into every new output (about 160,000 links at 10,000 reports: the site's pages, index
parts and downloads, the downloads staged in the docs folder, the data package's per-report
files) took about 6 s of a one-report change, the 13,000 report and issuer folders the most,
and ten times that at 100,000. Yet a small change alters a few of them. So the files of the
*carried* folders (the site's ``reports/``, ``issuers/``, ``browse/`` and each
``pagefind/part-<g>/``: ``unit_of``; ``datasets/``'s ``archive/``, ``texts/``, ``markdown/``,
``json/``) are not linked while the new output is made: they are given to ``Links`` in
groups, each named by where its files come from, which never change once written (a shard's
output, an index part, a package segment, an archive folder). At the swap (``Links.place``),
the last output's carried folders are moved into the new one with one rename each, and only
the groups that differ from the last build's are unlinked or linked. The groups the last
output holds are recorded beside its cache (``MANIFEST``) with its fingerprint: an output that
is not the one recorded (no record, another build's, a build stopped during the swap) has every
group linked, as one built from nothing.
The site's downloads of a file per report (``SYNCED``) are carried over from any last site and
checked file by file instead (``Links.sync``). The carried output is the one the build would
link whole (checked in the tests); like the kept files, the published folders are trusted to be
as the last build left them."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.fileio import link_files, link_or_copy, sync_links

CARRIED = ("reports", "issuers", "browse")
"""Top folders of the site carried whole (those of ``shards.SHARDED``); and every
``pagefind/part-<g>/``."""

SYNCED = ("originals", "texts", "markdown", "reports")
"""Folders of ``downloads/`` (a file per report) carried over and brought up to date file by
file (``Links.sync``): their sources, in the docs folder, are kept between builds as links to
the same files, so a download that did not change is the same file (inode) as before."""

MANIFEST = "site-links.json"
"""Beside the site's cache: the last site's fingerprint and the paths of its carried groups'
files (their sources are not needed: a group kept is a group already in place)."""

Pairs = list[tuple[str, str]]
"""(source file, path relative to the site)."""


@dataclass(frozen=True)
class Changes:
    """What changed in the sources of a synced folder (``Links.sync``) between two states of
    them, each named by a string: the files of ``folder`` named ``names`` may differ (be new,
    replaced or gone) from the state ``since`` (empty: not known); every other file is as it
    was then. The state a site's folder is made from (``now``) is recorded with it, so that the
    next site, when told what changed since that state, brings only ``names`` up to date."""

    folder: str
    since: str
    now: str
    names: frozenset[str]


def folder_stamp(folder: str | Path) -> list[int] | None:
    """A folder's inode and modification time (which a file added, removed or renamed in it
    changes), or None when there is no such folder."""
    try:
        st = os.stat(folder)
    except FileNotFoundError:
        return None
    return [st.st_ino, st.st_mtime_ns]


def unit_of(rel: str) -> str | None:
    """The carried folder holding the site path ``rel`` (None: not carried)."""
    top, _, rest = rel.partition("/")
    if top in CARRIED and rest:
        return top
    if top == "downloads" and "/" in rest and rest.split("/", 1)[0] in SYNCED:
        return f"downloads/{rest.split('/', 1)[0]}"
    if top == "pagefind" and rest.startswith("part-") and "/" in rest:
        return f"pagefind/{rest.split('/', 1)[0]}"
    return None


class Links:
    """The files of the new site's carried folders, in groups, placed at the swap (``place``).
    Without a ``manifest`` (a build with no cache: the sources are removed with it) every group
    is linked at once. ``units`` tells the carried folder of a path (the site's, ``unit_of``,
    by default; the data package's big folders are carried the same way)."""

    def __init__(
        self,
        site_dir: Path,
        manifest: Path | None,
        units: Callable[[str], str | None] = unit_of,
    ) -> None:
        self.site_dir = site_dir
        self.manifest = manifest
        self.unit_of = units
        self.groups: dict[str, Callable[[], Pairs]] = {}
        self.fresh = 0
        self.synced: dict[str, tuple[Callable[[], Pairs], Changes | None]] = {}
        self.placed: dict[str, int] = {}
        self._files: dict[str, str] | None = None
        self._keys: dict[str, str] = {}
        """What ``place`` did: folders carried, files unlinked and linked."""
        self._lock = threading.Lock()
        """Groups are given from two threads (the search index's parts, the reports' JSON)."""

    def add(self, key: str | None, pairs: Callable[[], Pairs] | Pairs) -> None:
        """A group of files, every one in a carried folder. ``key`` names what the files are:
        the same key, the same files with the same bytes (a folder of the cache named by a hash
        of its content); None for a group that is linked again every build. ``pairs`` may be a
        function, called only when the group must be linked."""
        make = pairs if callable(pairs) else (lambda p=pairs: p)
        if self.manifest is None:
            self._link(make())
            return
        with self._lock:
            if key is None:
                key = f"~{self.fresh}"
                self.fresh += 1
            if key in self.groups:
                raise ValueError(f"two groups of site files named {key}")
            self.groups[key] = make
            self._files = None

    def sync(
        self,
        unit: str,
        pairs: Callable[[], Pairs] | Pairs,
        changes: Changes | None = None,
    ) -> None:
        """The files of the carried folder ``unit`` (one of ``SYNCED``), none of them in a
        group: at the swap, the last site's folder is carried over and made to hold exactly
        these files, each checked to be the same file as its source (``sync_links``). With
        ``changes`` (of the sources' folder since a state), a last site's folder made from that
        state, and untouched since, has only the files they name brought up to date (``pairs``,
        which may be a function, is then not even called)."""
        if self.unit_of(f"{unit}/x") != unit:
            raise ValueError(f"{unit} is not a carried folder")
        make = pairs if callable(pairs) else (lambda p=pairs: p)
        if self.manifest is None:
            self._link(make())
            return
        self.synced[unit] = (make, changes)

    def files(self) -> dict[str, str]:
        """Every file still to be placed: its path in the site and its source (listed once
        until a group is added)."""
        if self._files is None:
            self._files, self._keys = {}, {}
            for key, make in self.groups.items():
                named = not key.startswith("~")
                for src, rel in make():
                    self._files[rel] = src
                    if named:
                        self._keys[rel] = key
        return self._files

    def keys(self) -> dict[str, str]:
        """Of the files still to be placed, those of a group named by what it holds (not linked
        again every build): its key, by the file's path (listed with ``files``)."""
        self.files()
        return self._keys

    def _link(self, pairs: Pairs, root: Path | None = None, replace: bool = False) -> None:
        root = root or self.site_dir
        for _, rel in pairs:
            if self.unit_of(rel) is None:
                raise ValueError(f"{rel} is not in a carried folder")
            if replace:  # never a copy over a file that is a link to a cached one
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{root}/{rel}")
        link_files([(src, f"{root}/{rel}") for src, rel in pairs])

    def place(self, site_dir: Path, old: Path | None) -> dict[str, int]:
        """Put the carried folders into ``site_dir`` (the new site, whose ``.fingerprint`` is
        written): moved from ``old`` (the last site, renamed aside) when the manifest describes
        it, with only the groups that changed unlinked and linked; else every group linked.
        Records the new site's groups in the manifest. Returns the folders carried and the
        files unlinked and linked (also kept in ``placed``)."""
        if self.manifest is None:
            return self.placed
        record = self._record(old)
        last = record.get("groups", {})
        last = last if isinstance(last, dict) else {}
        last_states = record.get("synced", {})
        last_states = last_states if isinstance(last_states, dict) else {}
        # No record survives a swap cut short: the site it described is being changed.
        self.manifest.unlink(missing_ok=True)
        units = {k: {self.unit_of(rel) for rel in rels} for k, rels in last.items()}
        moved: set[str | None] = set()
        unlinked = linked = 0
        if old is not None and last:
            for unit in sorted(set().union(*units.values()) - {None}):
                src, dest = old / unit, site_dir / unit
                _clear_empty(dest)
                if src.is_dir():
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    src.rename(dest)
                    moved.add(unit)
        # A group is kept when the last site had it, in the folders carried over.
        kept = {k for k in self.groups if not k.startswith("~") and units.get(k, {None}) <= moved}
        entries: dict[str, list[str]] = {}
        if last:
            gone = [rel for k, rels in last.items() if k not in kept for rel in rels]
            for rel in gone:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{site_dir}/{rel}")
            unlinked = len(gone)
            _remove_empty_folders(site_dir, gone)
        for key, make in sorted(self.groups.items()):
            if key in kept:
                entries[key] = last[key]
                continue
            pairs = make()
            self._link(pairs, site_dir, replace=bool(last))
            linked += len(pairs)
            entries[key] = [rel for _, rel in pairs]
        # The downloads' folders check every file, so any last site's may be carried over:
        # only the files changed since its state when it is the recorded one, untouched since.
        synced = {"removed": 0, "linked": 0}
        states: dict[str, list] = {}
        for unit, (make, changes) in sorted(self.synced.items()):
            src, dest = (old / unit if old else None), site_dir / unit
            _clear_empty(dest)
            known = (
                changes is not None
                and bool(changes.since)
                and src is not None
                and last_states.get(unit) == [folder_stamp(src), changes.since]
            )
            if src is not None and src.is_dir():
                dest.parent.mkdir(parents=True, exist_ok=True)
                src.rename(dest)
                moved.add(unit)
            if known and changes is not None:
                done = _sync_changed(changes, str(dest))
            else:
                pairs = make()
                done = sync_links([(s, f"{site_dir}/{rel}") for s, rel in pairs], [str(dest)])
            for k in synced:
                synced[k] += done[k]
            states[unit] = [folder_stamp(dest), changes.now if changes else None]
        stamp = (site_dir / ".fingerprint").read_text()
        tmp = self.manifest.with_name(self.manifest.name + ".tmp")
        tmp.write_text(
            json.dumps({"site": stamp, "groups": entries, "synced": states}, ensure_ascii=False)
        )
        tmp.replace(self.manifest)
        self.placed = {
            "carried": len(moved),
            "unlinked": unlinked + synced["removed"],
            "linked": linked + synced["linked"],
        }
        return self.placed

    def _record(self, old: Path | None) -> dict[str, Any]:
        """The manifest's record (the last site's groups, and the state each synced folder was
        made from with its stamp after), when it describes ``old`` (else an empty one)."""
        if old is None or self.manifest is None:
            return {}
        try:
            data = json.loads(self.manifest.read_text(encoding="utf-8"))
            if data["site"] != (old / ".fingerprint").read_text():
                return {}
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError, KeyError, TypeError):
            return {}


def _sync_changed(changes: Changes, dest: str) -> dict[str, int]:
    """Bring the folder ``dest``, which mirrored ``changes.folder`` as it was in the state
    ``changes.since``, up to date: each file ``changes`` names is linked again from the folder
    when the folder has it (and is not that file already), else removed. Returns the files
    removed and linked."""
    removed = linked = 0
    for name in sorted(changes.names):
        target, source = f"{dest}/{name}", f"{changes.folder}/{name}"
        wanted = os.path.isfile(source)
        try:
            if wanted and os.path.samefile(source, target):
                continue
            os.unlink(target)
            removed += not wanted
        except FileNotFoundError:
            pass
        if wanted:
            link_or_copy(source, target)
            linked += 1
    return {"removed": removed, "linked": linked}


def _clear_empty(folder: Path) -> None:
    """Make room for a carried folder: an empty one made meanwhile is removed; anything else
    there is a mistake of the build's."""
    if folder.exists():
        try:
            folder.rmdir()
        except OSError as exc:
            raise RuntimeError(
                f"{folder} was written before the carried folders were placed"
            ) from exc


def _remove_empty_folders(site_dir: Path, rels: Iterable[str]) -> None:
    """Remove the folders the files ``rels`` leave empty (a report gone, an index part fewer)."""
    folders = {os.path.dirname(rel) for rel in rels}
    for folder in sorted(folders, key=lambda f: -f.count("/")):
        while folder:
            try:
                os.rmdir(f"{site_dir}/{folder}")
            except OSError:  # not empty (or gone already)
                break
            folder = os.path.dirname(folder)
