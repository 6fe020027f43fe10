"""The per-report cache loads only entries this checkout wrote, and is keyed on the versions of
the libraries that shape outputs."""

from __future__ import annotations

import os
import pickle
import shutil
import stat
from pathlib import Path

import pytest

from pipeline import cache as cache_module
from pipeline.build import run_stages
from pipeline.cache import Cache, environment_fingerprint
from pipeline.records import Source

TEXT = "2012年岳塘区政府信息公开工作年度报告\n\n一、概述\n全年主动公开政府信息120条。\n"


class _Planted:
    """Unpickling this writes a file: proof that an entry was unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "ran"))


def _entry(cache: Cache, source: Source) -> Path:
    key = cache.key(source, "r1")
    return cache.root / key[:2] / key


def test_an_entry_round_trips(tmp_path):
    c = Cache(tmp_path / "cache", "code")
    source = Source("a.txt", TEXT.encode())
    key = c.key(source, "r1")
    c.put(key, {"report": [1, 2, 3]})
    assert Cache(tmp_path / "cache", "code").get(key) == {"report": [1, 2, 3]}


def test_the_secret_is_private_to_its_owner(tmp_path):
    c = Cache(tmp_path / "cache", "code")
    c.put(c.key(Source("a.txt", b"x"), "r1"), 1)
    mode = stat.S_IMODE(os.stat(tmp_path / "cache" / cache_module.SECRET_NAME).st_mode)
    assert mode == 0o600
    assert len(c.secret()) == cache_module.SECRET_BYTES


def test_an_entry_of_another_checkout_is_never_unpickled(tmp_path):
    source = Source("a.txt", TEXT.encode())
    ours = Cache(tmp_path / "ours", "code")
    theirs = Cache(tmp_path / "theirs", "code")
    marker = tmp_path / "unpickled"
    # Signed by another checkout's secret, with a payload that runs code when unpickled.
    theirs.put(theirs.key(source, "r1"), _Planted(marker))
    assert not marker.exists()
    planted = _entry(theirs, source)
    dest = _entry(ours, source)
    ours.secret()  # this checkout has its own secret
    dest.parent.mkdir(parents=True)
    shutil.copyfile(planted, dest)
    assert ours.get(ours.key(source, "r1")) is None
    assert not marker.exists()
    # A bare pickle (as the cache wrote before entries were signed) is not loaded either.
    dest.write_bytes(pickle.dumps(_Planted(marker)))
    assert ours.get(ours.key(source, "r1")) is None
    assert not marker.exists()


def test_an_entry_moved_under_another_key_is_refused(tmp_path):
    c = Cache(tmp_path / "cache", "code")
    a, b = Source("a.txt", b"a"), Source("b.txt", b"b")
    c.put(c.key(a, "r1"), "report of a")
    target = _entry(c, b)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_entry(c, a), target)
    assert c.get(c.key(b, "r1")) is None


def test_a_secret_others_can_read_is_replaced(tmp_path):
    c = Cache(tmp_path / "cache", "code")
    key = c.key(Source("a.txt", b"a"), "r1")
    c.put(key, "value")
    secret = tmp_path / "cache" / cache_module.SECRET_NAME
    old = secret.read_bytes()
    secret.chmod(0o644)
    fresh = Cache(tmp_path / "cache", "code")
    assert fresh.get(key) is None  # signed with the old secret, which is no longer trusted
    assert fresh.secret() != old
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600


def test_library_versions_are_part_of_the_key(monkeypatch):
    before = environment_fingerprint("code")
    versions = cache_module.library_versions()
    assert set(versions) == set(cache_module.LIBRARIES)
    assert versions["opencc"] is not None and versions["lxml"] is not None
    real = cache_module.metadata.version

    def newer_opencc(name: str) -> str:
        return "99.0" if name == "opencc" else real(name)

    monkeypatch.setattr(cache_module.metadata, "version", newer_opencc)
    assert environment_fingerprint("code") != before
    assert environment_fingerprint("other code") != environment_fingerprint("code")


def test_a_missing_library_counts_as_absent(monkeypatch):
    def missing(name: str) -> str:
        raise cache_module.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(cache_module.metadata, "version", missing)
    assert set(cache_module.library_versions().values()) == {None}


def test_a_build_ignores_a_planted_entry(tmp_path):
    """End to end: a planted entry where the build would look is a miss, and is replaced."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text(TEXT, encoding="utf-8")
    cache_dir = tmp_path / "cache"
    first = run_stages(src, workers=1, cache_dir=cache_dir, progress=lambda m: None)
    assert first.cache_hits == 0 and len(first.reports) == 1
    entries = [p for p in cache_dir.rglob("*") if p.is_file() and p.name != "secret.key"]
    # The whole report, its light copy, and the pack of the build's light copies.
    kinds = sorted("pack" if p.parent.name == "light-pack" else p.suffix for p in entries)
    assert kinds == ["", ".light", "pack"]
    marker = tmp_path / "unpickled"
    for entry in entries:
        entry.write_bytes(pickle.dumps(_Planted(marker)))
    again = run_stages(src, workers=1, cache_dir=cache_dir, progress=lambda m: None)
    assert again.cache_hits == 0 and not marker.exists()
    assert again.reports[0].markdown == first.reports[0].markdown
    third = run_stages(src, workers=1, cache_dir=cache_dir, progress=lambda m: None)
    assert third.cache_hits == 1


def test_a_whole_report_whose_entry_went_bad_is_made_again(tmp_path):
    """A build starts from the light copies; a whole report read back later whose entry is gone
    or does not verify is made again from its source (and kept again), not lost."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text(TEXT, encoding="utf-8")
    cache_dir = tmp_path / "cache"
    first = run_stages(src, workers=1, cache_dir=cache_dir, progress=lambda m: None)
    whole = [p for p in cache_dir.rglob("*") if p.is_file() and len(p.name) == 64]
    assert len(whole) == 1
    marker = tmp_path / "unpickled"
    whole[0].write_bytes(pickle.dumps(_Planted(marker)))
    again = run_stages(src, workers=1, cache_dir=cache_dir, progress=lambda m: None)
    assert again.cache_hits == 1  # from the light copy
    assert again.reports[0].markdown == first.reports[0].markdown and not marker.exists()
    whole[0].unlink()
    third = run_stages(src, workers=1, cache_dir=cache_dir, progress=lambda m: None)
    assert third.reports[0].cleaned.text == first.reports[0].cleaned.text
    assert whole[0].exists()  # kept again


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="needs root to chown")
def test_a_secret_of_another_user_is_not_trusted(tmp_path):
    c = Cache(tmp_path / "cache", "code")
    c.secret()
    secret = tmp_path / "cache" / cache_module.SECRET_NAME
    os.chown(secret, 12345, -1)
    assert cache_module._read_private(secret) is None


def test_a_pack_writes_only_the_groups_that_changed(tmp_path):
    c = Cache(tmp_path / "cache", "code")
    entries = {f"{i:02x}{i:062x}.light": ("report", i) for i in range(0, 40, 2)}
    entries["0a" + "f" * 62 + ".light"] = ("report", "second of its group")
    c.write_pack("light-pack", entries, {})
    folder = c.root / "light-pack"
    assert len(list(folder.iterdir())) == 20  # one file per group of keys
    kept = Cache(tmp_path / "cache", "code").read_pack("light-pack")
    assert kept == entries
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    changed = dict(entries)
    del changed["0a" + "f" * 62 + ".light"], changed[f"{4:02x}{4:062x}.light"]
    changed["ff" + "0" * 62 + ".light"] = ("report", "new")
    c.write_pack("light-pack", changed, kept)
    after = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert after.keys() == before.keys() - {"04"} | {"ff"}
    assert [g for g in after if g in before and after[g] != before[g]] == ["0a"]
    assert c.read_pack("light-pack") == changed


def test_a_pack_group_not_signed_here_is_not_unpickled(tmp_path):
    c = Cache(tmp_path / "cache", "code")
    ours = {"ab" + "0" * 62: 1, "cd" + "0" * 62: 2}
    c.write_pack("light-pack", ours, {})
    marker = tmp_path / "unpickled"
    theirs = Cache(tmp_path / "theirs", "code")
    theirs.write_pack("light-pack", {"ab" + "1" * 62: _Planted(marker)}, {})
    folder = c.root / "light-pack"
    shutil.copyfile(theirs.root / "light-pack" / "ab", folder / "ab")
    assert c.read_pack("light-pack") == {"cd" + "0" * 62: 2} and not marker.exists()
    # Signed here, but moved to another group's file: refused too.
    (folder / "ab").unlink()
    (folder / "cd").rename(folder / "ef")
    assert c.read_pack("light-pack") == {}
    (folder / "ef").write_bytes(b"GDRC1\n" + b"x" * 10)  # cut short
    assert c.read_pack("light-pack") == {}


def test_a_kept_build_reads_no_source_and_no_entry(tmp_path, monkeypatch):
    """With the sources' hashes recorded and the last build's pack, a build whose reports are all
    kept reads neither a source nor a per-report entry; a source changed since is read again."""
    from pipeline.build import input_fingerprint, sources_record

    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text(TEXT, encoding="utf-8")
    (src / "b.txt").write_text(TEXT.replace("120", "121"), encoding="utf-8")
    cache_dir = tmp_path / "cache"
    docs = tmp_path / "docs"
    input_fingerprint(src, docs, False, sources_record(cache_dir))
    first = run_stages(src, workers=1, cache_dir=cache_dir, progress=lambda m: None)
    for p in cache_dir.rglob("*.light"):
        p.unlink()
    read = []
    real_read_bytes = Path.read_bytes
    real_get = Cache.get

    def read_bytes(self: Path) -> bytes:
        if self.parent == src:
            read.append(self.name)
        return real_read_bytes(self)

    def get(self: Cache, key: str):
        read.append(key)
        return real_get(self, key)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr(Cache, "get", get)
    again = run_stages(src, workers=1, cache_dir=cache_dir, progress=lambda m: None)
    assert again.cache_hits == 2 and read == []
    assert [r.markdown for r in again.reports] == [r.markdown for r in first.reports]
    (src / "b.txt").write_text(TEXT.replace("120", "122"), encoding="utf-8")
    input_fingerprint(src, docs, False, sources_record(cache_dir))
    read.clear()
    third = run_stages(src, workers=1, cache_dir=cache_dir, progress=lambda m: None)
    assert third.cache_hits == 1 and "b.txt" in read and "a.txt" not in read
    assert "122" in third.reports[1].markdown


def test_light_copies_hold_only_the_checks_the_build_adds_and_whole_ones_get_both(tmp_path):
    """A light copy keeps none of a report's own checks (its whole report has them); the
    checks across years the build adds go on the light copy, and a whole report read back,
    here or by a task (``Kept``), has its own and then those."""
    from types import SimpleNamespace

    from pipeline.crossreport import with_checks
    from pipeline.records import Check
    from pipeline.store import Kept, for_task, from_task
    from tests.tools.synth import generate

    src = tmp_path / "src"
    generate(6, src, seed=7)
    plain = run_stages(src, workers=1, cache_dir=None, progress=lambda m: None)
    own = {r.report_id: r.checks for r in plain.reports}
    ids = list(own)
    checked = next(i for i, rid in enumerate(ids) if own[rid])  # a report with checks
    kept = run_stages(src, workers=1, cache_dir=tmp_path / "cache", progress=lambda m: None)
    assert [r.report_id for r in kept.reports.light] == ids
    assert all(r.checks == () for r in kept.reports.light)
    added = Check("Y1_applications_received", "fail", "上年 120，本年 121")
    reports = with_checks(kept.reports, SimpleNamespace(checks={ids[checked]: [added]}))
    assert [r.checks for r in reports.light] == [
        (added,) if i == checked else () for i in range(len(ids))
    ]
    assert [r.checks for r in reports] == [
        (*own[rid], added) if i == checked else own[rid] for i, rid in enumerate(ids)
    ]
    item = for_task(reports, reports.light[checked])
    assert isinstance(item, Kept) and item.checks == (added,)
    assert from_task(item).checks == (*own[ids[checked]], added)


def test_a_published_build_removes_other_versions_results_only(tmp_path):
    """Once a build has published, the per-report results of other code or library versions
    (a folder per environment fingerprint) are removed; this version's, the secret and anything
    not named like a fingerprint stay."""
    from pipeline import codehash
    from tests.conftest import build_into

    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text(TEXT, encoding="utf-8")
    cache_dir = tmp_path / "cache"
    older = cache_dir / "0123456789abcdef"
    (older / "ab").mkdir(parents=True)
    (older / "ab" / "entry").write_bytes(b"x")
    kept = [cache_dir / "notes", cache_dir / "0123456789abcdeg", cache_dir / "0123"]
    for folder in kept:
        folder.mkdir()
    build_into(src, tmp_path / "out", cache=cache_dir)
    current = Cache(cache_dir, codehash.fingerprint(codehash.STAGES)).root
    assert not older.exists()
    assert current.is_dir() and any(current.rglob("*.light"))
    assert all(folder.is_dir() for folder in kept)
    assert (cache_dir / "secret.key").is_file()
