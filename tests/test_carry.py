"""The site's carried folders: moved from the last site at the swap, only the groups of files
that changed unlinked and linked, and everything linked when the last site is not the one
recorded."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from pipeline.build import swap_in
from pipeline.site.carry import MANIFEST, Changes, Links, unit_of


def _cached(root: Path, name: str, files: dict[str, str]) -> str:
    """A folder of the cache whose files never change (``name``: as if a hash of them)."""
    for rel, text in files.items():
        p = root / name / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return str(root / name)


def _shard(out: str) -> list[tuple[str, str]]:
    """A shard's pages: (file in its output, place in the site)."""
    return sorted(
        (f"{out}/{rel}", rel)
        for rel in (p.relative_to(out).as_posix() for p in Path(out).rglob("*") if p.is_file())
    )


def _tree(site: Path) -> dict[str, str]:
    return {
        p.relative_to(site).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }


def _build(tmp: Path, stamp: str, groups: list[tuple[str | None, list]], manifest: bool = True):
    """A new site with ``groups`` of carried files (a hub page outside them), swapped in."""
    new = tmp / "site.new"
    new.mkdir()
    (new / "index.html").write_text(f"home {stamp}", encoding="utf-8")
    links = Links(new, tmp / "cache-site" / MANIFEST if manifest else None)
    (tmp / "cache-site").mkdir(exist_ok=True)
    for key, pairs in groups:
        links.add(key, pairs)
    (new / ".fingerprint").write_text(stamp)
    swap_in(new, tmp / "site", links.place if manifest else None)
    return links


def test_the_last_sites_folders_are_carried_and_only_changed_groups_linked(tmp_path):
    cache = tmp_path / "cache"
    a = _cached(cache, "a", {"reports/x/index.html": "x1", "issuers/i/index.html": "i1"})
    b = _cached(cache, "b", {"reports/y/index.html": "y1"})
    c = _cached(cache, "c", {"reports/z/index.html": "z1"})
    part = _cached(cache, "p", {"fragment/f1": "f", "pagefind-entry.json": "{}"})
    schema = _cached(cache, "d1", {"schema.json": "s1"})

    def part_files(out: str, g: int) -> list[tuple[str, str]]:
        return [(src, f"pagefind/part-{g}/{rel}") for src, rel in _shard(out)]

    first = _build(
        tmp_path,
        "one",
        [
            (a, lambda: _shard(a)),
            (b, _shard(b)),
            (part, part_files(part, 0)),
            (None, [(f"{schema}/schema.json", "reports/report.schema.json")]),
        ],
    )
    site = tmp_path / "site"
    assert first.placed == {"carried": 0, "unlinked": 0, "linked": 6}
    assert _tree(site)["reports/y/index.html"] == "y1"
    x = site / "reports/x/index.html"
    assert os.path.samefile(x, f"{a}/reports/x/index.html")
    record = json.loads((tmp_path / "cache-site" / MANIFEST).read_text())
    assert record["site"] == "one" and sorted(record["groups"]) == sorted([a, b, part, "~0"])

    # b is gone and c is new: the folders are moved over, b's page and the group without a
    # name are unlinked (and b's folder removed), c's page and the new schema linked.
    schema2 = _cached(cache, "d2", {"schema.json": "s2"})
    called = []

    def shard_a() -> list[tuple[str, str]]:
        called.append(a)
        return _shard(a)

    second = _build(
        tmp_path,
        "two",
        [
            (a, shard_a),
            (c, _shard(c)),
            (part, part_files(part, 0)),
            (None, [(f"{schema2}/schema.json", "reports/report.schema.json")]),
        ],
    )
    assert second.placed == {"carried": 3, "unlinked": 2, "linked": 2}
    assert not called  # a kept group is not even listed
    tree = _tree(site)
    assert not (site / "reports" / "y").exists()
    assert tree["reports/z/index.html"] == "z1" and tree["reports/report.schema.json"] == "s2"
    assert tree["index.html"] == "home two"
    assert os.path.samefile(x, f"{a}/reports/x/index.html")  # the same file, carried

    # The same site linked whole (no record) has the same files.
    whole = tmp_path / "whole"
    whole.mkdir()
    _build(
        whole,
        "two",
        [
            (a, _shard(a)),
            (c, _shard(c)),
            (part, part_files(part, 0)),
            (None, [(f"{schema2}/schema.json", "reports/report.schema.json")]),
        ],
        manifest=False,
    )
    assert _tree(whole / "site") == tree

    # A site that is not the recorded one (edited, or another build's) is not carried: every
    # group is linked into a new site, and nothing of the last one is kept.
    (site / ".fingerprint").write_text("someone else's")
    (site / "reports" / "stray.html").write_text("stray", encoding="utf-8")
    third = _build(tmp_path, "three", [(a, _shard(a)), (part, part_files(part, 1))])
    assert third.placed == {"carried": 0, "unlinked": 0, "linked": 4}
    assert sorted(_tree(site)) == [
        ".fingerprint",
        "index.html",
        "issuers/i/index.html",
        "pagefind/part-1/fragment/f1",
        "pagefind/part-1/pagefind-entry.json",
        "reports/x/index.html",
    ]

    # An index part fewer: its folder goes with its files.
    fourth = _build(tmp_path, "four", [(a, _shard(a))])
    assert fourth.placed == {"carried": 3, "unlinked": 2, "linked": 0}
    assert not (site / "pagefind").exists()
    assert sorted(_tree(site)) == [
        ".fingerprint",
        "index.html",
        "issuers/i/index.html",
        "reports/x/index.html",
    ]


def test_a_swap_cut_short_leaves_no_record_and_the_next_site_is_linked_whole(tmp_path):
    cache = tmp_path / "cache"
    a = _cached(cache, "a", {"reports/x/index.html": "x1"})
    _build(tmp_path, "one", [(a, _shard(a))])
    manifest = tmp_path / "cache-site" / MANIFEST
    assert manifest.exists()

    new = tmp_path / "site.new"
    new.mkdir()
    links = Links(new, manifest)
    links.add(f"{a}-2", lambda: [(f"{a}/missing.html", "reports/m/index.html")])
    (new / ".fingerprint").write_text("two")
    with pytest.raises(OSError):
        swap_in(new, tmp_path / "site", links.place)
    # The last site was renamed aside, and its record removed: nothing describes a site now.
    assert not manifest.exists() and not (tmp_path / "site").exists()
    shutil.rmtree(new)  # as the next build does with what a failed one left
    later = _build(tmp_path, "three", [(a, _shard(a))])
    assert later.placed == {"carried": 0, "unlinked": 0, "linked": 1}
    assert _tree(tmp_path / "site")["reports/x/index.html"] == "x1"


def test_files_outside_the_carried_folders_are_refused():
    assert unit_of("reports/x/index.html") == "reports"
    assert unit_of("issuers/i/index.html") == "issuers"
    assert unit_of("pagefind/part-12/fragment/a") == "pagefind/part-12"
    assert unit_of("browse/year/2020/index.html") == "browse"
    assert unit_of("reports") is None and unit_of("pagefind/parts.json") is None
    assert unit_of("datasets/index.html") is None and unit_of("index.html") is None
    links = Links(Path("/nonexistent"), None)
    with pytest.raises(ValueError, match="not in a carried folder"):
        links.add("k", [("/x", "datasets/index.html")])


def test_sync_links_keeps_the_same_files_and_replaces_or_removes_the_others(tmp_path):
    from pipeline.fileio import sync_links

    src = tmp_path / "src"
    src.mkdir()
    for name in ("a", "b", "c"):
        (src / name).write_text(name, encoding="utf-8")
    folder = tmp_path / "dl"
    pairs = [(f"{src}/{n}", f"{folder}/{n}.txt") for n in ("a", "b")]
    assert sync_links(pairs, [str(folder)]) == {"removed": 0, "linked": 2}
    a_before = os.stat(folder / "a.txt").st_ino
    # b's source is now another file, c is new, a stray file is there: a is left as it is.
    (src / "b").unlink()
    (src / "b").write_text("b2", encoding="utf-8")
    (folder / "stray.txt").write_text("x", encoding="utf-8")
    pairs.append((f"{src}/c", f"{folder}/c.txt"))
    assert sync_links(pairs, [str(folder)]) == {"removed": 1, "linked": 2}
    assert os.stat(folder / "a.txt").st_ino == a_before
    assert {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()} == {
        "a.txt": "a",
        "b.txt": "b2",
        "c.txt": "c",
    }
    assert all(os.path.samefile(dest, s) for s, dest in pairs)


def test_sync_links_finds_the_sources_inodes_in_their_folders_listing(tmp_path, monkeypatch):
    from pipeline import fileio

    src = tmp_path / "src"
    src.mkdir()
    for name in ("a", "b", "real"):
        (src / name).write_text(name, encoding="utf-8")
    (src / "l").symlink_to(src / "real")  # a link's own inode is not its file's
    folder = tmp_path / "dl"
    pairs = [(f"{src}/{n}", f"{folder}/{n}.txt") for n in ("a", "b")]
    assert fileio.sync_links(pairs, [str(folder)]) == {"removed": 0, "linked": 2}
    stats: list[str] = []
    real_stat = os.stat
    monkeypatch.setattr(
        fileio.os, "stat", lambda p, *a, **k: stats.append(str(p)) or real_stat(p, *a, **k)
    )
    assert fileio.sync_links(pairs, [str(folder)]) == {"removed": 0, "linked": 0}
    assert not set(stats) & {f"{src}/a", f"{src}/b"}, "sources listed, not stat'ed"
    # A source written again is another file: found so in the listing, and linked again.
    (src / "b").unlink()
    (src / "b").write_text("b2", encoding="utf-8")
    assert fileio.sync_links(pairs, [str(folder)]) == {"removed": 0, "linked": 1}
    assert (folder / "b.txt").read_text(encoding="utf-8") == "b2"
    # Only files that are in their folder and not symbolic links are listed.
    wanted = [f"{src}/a", f"{src}/l", f"{tmp_path}/none/x", "rel"]
    st = real_stat(src / "a")
    assert fileio.listed_inodes(wanted) == {f"{src}/a": (st.st_dev, st.st_ino)}


def test_a_file_written_again_leaves_its_hard_links_as_they_were(tmp_path):
    """A page or download of the docs folder is hard-linked into the site being served: writing
    it again makes a new file, and the served one changes only when the new site is swapped in."""
    from pipeline.fileio import write_files

    page = tmp_path / "docs" / "a.md"
    write_files([(page, b"old")])
    served = tmp_path / "site" / "a.md"
    served.parent.mkdir()
    os.link(page, served)
    write_files([(page, b"new")])
    assert page.read_bytes() == b"new" and served.read_bytes() == b"old"
    assert not os.path.samefile(page, served)
    # Linked over a file that is there: that file is replaced, its other links left alone.
    from pipeline.fileio import link_or_copy

    other = tmp_path / "other.md"
    other.write_bytes(b"other")
    link_or_copy(other, page)
    assert os.path.samefile(other, page) and served.read_bytes() == b"old"
    link_or_copy(page, page)  # a file linked onto itself stays
    assert page.read_bytes() == b"other"


def test_a_downloads_folder_is_carried_from_any_last_site_and_checked_file_by_file(tmp_path):
    docs = tmp_path / "docs" / "downloads" / "texts"
    docs.mkdir(parents=True)
    for name in ("a", "b"):
        (docs / f"{name}.txt").write_text(name, encoding="utf-8")

    def texts() -> list[tuple[str, str]]:
        return [(str(p), f"downloads/texts/{p.name}") for p in sorted(docs.iterdir())]

    def build(stamp: str) -> Links:
        new = tmp_path / "site.new"
        new.mkdir()
        (tmp_path / "cache-site").mkdir(exist_ok=True)
        links = Links(new, tmp_path / "cache-site" / MANIFEST)
        links.sync("downloads/texts", texts())
        (new / ".fingerprint").write_text(stamp)
        swap_in(new, tmp_path / "site", links.place)
        return links

    assert build("one").placed == {"carried": 0, "unlinked": 0, "linked": 2}
    (docs / "b.txt").unlink()
    (docs / "c.txt").write_text("c", encoding="utf-8")
    # Even a site the record does not describe: every file is checked against its source.
    (tmp_path / "site" / ".fingerprint").write_text("edited")
    (tmp_path / "site" / "downloads" / "texts" / "a.txt").unlink()
    (tmp_path / "site" / "downloads" / "texts" / "a.txt").write_text("edited", encoding="utf-8")
    assert build("two").placed == {"carried": 1, "unlinked": 1, "linked": 2}
    out = tmp_path / "site" / "downloads" / "texts"
    assert {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()} == {
        "a.txt": "a",
        "c.txt": "c",
    }
    with pytest.raises(ValueError, match="not a carried folder"):
        Links(tmp_path, None).sync("downloads", [])


def test_a_downloads_folder_made_from_a_known_state_follows_only_what_changed_since(tmp_path):
    docs = tmp_path / "docs" / "downloads" / "texts"
    docs.mkdir(parents=True)
    for name in ("a", "b", "c"):
        (docs / f"{name}.txt").write_text(name, encoding="utf-8")
    listed: list[int] = []

    def texts() -> list[tuple[str, str]]:
        listed.append(1)
        return [(str(p), f"downloads/texts/{p.name}") for p in sorted(docs.iterdir())]

    def build(stamp: str, changes: Changes | None) -> Links:
        new = tmp_path / "site.new"
        new.mkdir()
        (tmp_path / "cache-site").mkdir(exist_ok=True)
        links = Links(new, tmp_path / "cache-site" / MANIFEST)
        links.sync("downloads/texts", texts, changes)
        (new / ".fingerprint").write_text(stamp)
        swap_in(new, tmp_path / "site", links.place)
        return links

    out = tmp_path / "site" / "downloads" / "texts"

    def served() -> dict[str, str]:
        return {p.name: p.read_text(encoding="utf-8") for p in sorted(out.iterdir())}

    assert build("one", Changes(str(docs), "s0", "s1", frozenset())).placed["linked"] == 3
    assert len(listed) == 1  # no record of the last site's state: every file, listed
    # The sources change in the state s2: b replaced, c gone, d new. The site made from s1
    # follows the three names alone (its a is not even compared).
    (docs / "b.txt").unlink()
    (docs / "b.txt").write_text("b2", encoding="utf-8")
    (docs / "c.txt").unlink()
    (docs / "d.txt").write_text("d", encoding="utf-8")
    change = Changes(str(docs), "s1", "s2", frozenset({"b.txt", "c.txt", "d.txt"}))
    placed = build("two", change).placed
    assert placed == {"carried": 1, "unlinked": 1, "linked": 2} and len(listed) == 1
    assert served() == {"a.txt": "a", "b.txt": "b2", "d.txt": "d"}
    for p in out.iterdir():
        assert os.path.samefile(p, docs / p.name)

    # Told changes since a state the last site was not made from: every file is checked.
    (docs / "a.txt").unlink()
    (docs / "a.txt").write_text("a3", encoding="utf-8")
    assert build("three", Changes(str(docs), "s9", "s3", frozenset())).placed["linked"] == 1
    assert len(listed) == 2 and served()["a.txt"] == "a3"

    # The last site's folder changed since it was made (a file removed by hand): checked too.
    (out / "d.txt").unlink()
    placed = build("four", Changes(str(docs), "s3", "s4", frozenset())).placed
    assert placed["linked"] == 1 and len(listed) == 3 and served()["d.txt"] == "d"

    # A site the record does not describe is never trusted either.
    (tmp_path / "site" / ".fingerprint").write_text("edited")
    build("five", Changes(str(docs), "s4", "s5", frozenset()))
    assert len(listed) == 4
