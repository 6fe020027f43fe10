"""The downloads of a file per report staged in the docs folder (``stage_downloads``): brought
up to date from the last staging's record, checked file by file where the record cannot tell."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipeline import fileio
from pipeline.package import RESOURCES
from pipeline.site.extras import STAGED_RECORD, stage_downloads


def _report(sha: str) -> SimpleNamespace:
    return SimpleNamespace(archived=SimpleNamespace(sha256=sha, media_type="text/plain"))


class Package:
    """A data package's per-report files in content-named cache folders (groups), as
    ``carry.Links.files`` and ``keys`` give them: path in datasets/: source, and path: group key."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sources: dict[str, str] = {}
        self.keys: dict[str, str] = {}
        self.shas: list[str] = []

    def group(
        self, key: str, texts: dict[str, str], originals: dict[str, str] | None = None
    ) -> None:
        folder = self.root / "cache" / key.replace("/", "_").replace(":", "_")
        for name, text in texts.items():
            for sub in ("texts", "markdown"):
                p = folder / sub / name
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(text, encoding="utf-8")
                self.sources[f"{sub}/{name}"] = str(p)
                self.keys[f"{sub}/{name}"] = key
        for sha, text in (originals or {}).items():
            p = folder / "archive" / sha
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
            self.sources[f"archive/{sha[:2]}/{sha}"] = str(p)
            self.keys[f"archive/{sha[:2]}/{sha}"] = key
            self.shas.append(sha)

    def stage(self, docs: Path, keys: bool = True) -> dict[str, int]:
        datasets = self.root / "datasets.new"
        datasets.mkdir(exist_ok=True)
        names = ["datapackage.json", "build_report.json", "report.schema.json"]
        names += [f"{n}.{e}" for n in RESOURCES for e in ("csv", "parquet")]
        for name in names:
            (datasets / name).write_text("{}", encoding="utf-8")
        self.staged = stage_downloads(
            [_report(sha) for sha in self.shas],
            datasets,
            docs,
            late=False,
            sources=self.sources,
            groups=self.keys if keys else None,
        )
        return {"removed": self.staged.removed, "linked": self.staged.linked}


def _check(docs: Path, package: Package) -> dict[str, str]:
    """Every staged file is a link to its source, and nothing else is staged; returns the
    staged files' text by path."""
    dl = docs / "downloads"
    wanted = {
        **{f"{dl}/{rel}": src for rel, src in package.sources.items() if not rel.startswith("a")},
        **{
            f"{dl}/originals/{sha}.txt": package.sources[f"archive/{sha[:2]}/{sha}"]
            for sha in package.shas
        },
    }
    staged = {
        str(p)
        for sub in ("texts", "markdown", "originals")
        if (dl / sub).is_dir()
        for p in (dl / sub).iterdir()
    }
    assert staged == set(wanted)
    for dest, src in wanted.items():
        assert os.path.samefile(dest, src), dest
    return {p[len(str(dl)) + 1 :]: Path(p).read_text(encoding="utf-8") for p in sorted(staged)}


def _sha(n: int) -> str:
    return f"{n:02d}" + "a" * 62


def test_a_second_staging_links_only_the_files_of_groups_that_changed(tmp_path, monkeypatch):
    from pipeline.site import extras

    docs = tmp_path / "docs"
    package = Package(tmp_path)
    package.group("seg-1", {"r1.txt": "one"}, {_sha(1): "o1"})
    package.group("seg-2", {"r2.txt": "two", "r3.txt": "three"}, {_sha(3): "o3"})
    assert package.stage(docs) == {"removed": 0, "linked": 8}
    assert (docs / STAGED_RECORD).exists()
    # No record before: what changed is not known, only the state the folders are now in.
    first = package.staged.changes["downloads/texts"]
    assert first.since == "" and first.now and first.names == frozenset()
    _check(docs, package)

    # r3 changed and r4 is new (their segment has a new key), r2 is gone with its old segment:
    # only their files are touched; r1 (and its original) are left as they are, not even
    # compared.
    later = Package(tmp_path)
    later.group("seg-1", {"r1.txt": "one"}, {_sha(1): "o1"})
    later.group("seg-3", {"r3.txt": "three, changed", "r4.txt": "four"}, {_sha(3): "o3"})
    r1 = docs / "downloads/texts/r1.txt"
    inode = r1.stat().st_ino
    compared: list[str] = []

    def sync_links(pairs, folders):
        compared.extend(Path(dest).name for _, dest in pairs)
        return fileio.sync_links(pairs, folders)

    monkeypatch.setattr(extras, "sync_links", sync_links)
    assert later.stage(docs) == {"removed": 2, "linked": 5}
    # (texts and Markdown here named alike)
    assert sorted(compared) == [f"{_sha(3)}.txt", "r3.txt", "r3.txt", "r4.txt", "r4.txt"]
    files = _check(docs, later)
    assert files["texts/r3.txt"] == "three, changed" and "texts/r2.txt" not in files
    assert r1.stat().st_ino == inode
    # What changed, told for the site's copies to follow: the names, since the last state.
    changes = later.staged.changes
    assert sorted(changes) == ["downloads/markdown", "downloads/originals", "downloads/texts"]
    texts = changes["downloads/texts"]
    assert texts.names == {"r2.txt", "r3.txt", "r4.txt"}
    assert texts.folder == f"{docs}/downloads/texts" and texts.since == first.now != texts.now
    assert changes["downloads/originals"].names == {f"{_sha(3)}.txt"}

    # Nothing changed: nothing linked, nothing told, and the next state follows this one.
    assert later.stage(docs) == {"removed": 0, "linked": 0}
    again = later.staged.changes["downloads/texts"]
    assert again.names == frozenset() and again.since == texts.now
    _check(docs, later)


def test_a_folder_changed_since_the_record_is_checked_file_by_file(tmp_path):
    docs = tmp_path / "docs"
    package = Package(tmp_path)
    package.group("seg-1", {"r1.txt": "one", "r2.txt": "two"})
    package.stage(docs)
    # Someone replaces a staged file and adds another: the folder is no longer the recorded
    # one, so every file is compared with its source again.
    texts = docs / "downloads/texts"
    (texts / "r1.txt").unlink()
    (texts / "r1.txt").write_text("edited", encoding="utf-8")
    (texts / "stray.txt").write_text("stray", encoding="utf-8")
    assert package.stage(docs) == {"removed": 1, "linked": 1}
    assert _check(docs, package)["texts/r1.txt"] == "one"


def test_without_a_record_or_group_keys_every_file_is_compared(tmp_path):
    docs = tmp_path / "docs"
    package = Package(tmp_path)
    package.group("seg-1", {"r1.txt": "one", "r2.txt": "two"})
    package.stage(docs)
    (docs / STAGED_RECORD).write_text("not json", encoding="utf-8")
    assert package.stage(docs) == {"removed": 0, "linked": 0}  # all the same files
    _check(docs, package)

    # A source replaced by a new file at the same path under the same key is caught only
    # when no key is given (then every file is compared by inode), as a kept archive file
    # found damaged and written again: its group's key then changes (it names the inodes).
    src = Path(package.sources["texts/r1.txt"])
    src.unlink()
    src.write_text("one again", encoding="utf-8")
    assert package.stage(docs, keys=False) == {"removed": 0, "linked": 1}
    assert _check(docs, package)["texts/r1.txt"] == "one again"
    record = json.loads((docs / STAGED_RECORD).read_text(encoding="utf-8"))
    assert record["record"]["keys"]["texts"] == {}  # files staged without a key are never trusted


def test_a_staging_cut_short_leaves_no_record(tmp_path, monkeypatch):
    from pipeline.site import extras

    docs = tmp_path / "docs"
    package = Package(tmp_path)
    package.group("seg-1", {"r1.txt": "one"})
    package.stage(docs)
    later = Package(tmp_path)
    later.group("seg-2", {"r1.txt": "one, changed"})

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(extras, "sync_links", stop)
    with pytest.raises(KeyboardInterrupt):
        later.stage(docs)
    assert not (docs / STAGED_RECORD).exists()
    monkeypatch.undo()
    assert later.stage(docs)["linked"] == 2
    _check(docs, later)
