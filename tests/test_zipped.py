"""Zips written from kept compressed members are the zips ``zipfile`` writes, byte for byte."""

from __future__ import annotations

import errno
import hashlib
import marshal
import os
import pickle
import threading
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest

from pipeline import zipped

TEXTS = {
    "texts/a.txt": "一、概述\n本机关主动公开政府信息 125 条。\n".encode() * 40,
    "texts/b.txt": b"",
    "archive/00/ab": bytes(range(256)) * 7,
    "json/\u5cb3\u5858.json": '{"title": "岳塘区"}'.encode(),
}


def _files(tmp_path: Path) -> list[tuple[str, Path]]:
    members = []
    for name, data in TEXTS.items():
        path = tmp_path / "in" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        members.append((name, path))
    return members


def _blobs(cache: Path) -> list[Path]:
    """The compressed members kept in ``cache`` (the kept zips and records are beside them)."""
    return sorted(p for sub in cache.iterdir() if sub.is_dir() for p in sub.iterdir())


def _by_zipfile(dest: Path, members: list[tuple[str, Path]]) -> None:
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, path in members:
            info = zipfile.ZipInfo(name, zipped.DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, path.read_bytes())


def test_same_bytes_as_zipfile_with_and_without_kept_members(tmp_path: Path) -> None:
    members = _files(tmp_path)
    _by_zipfile(tmp_path / "expected.zip", members)
    expected = (tmp_path / "expected.zip").read_bytes()

    zipped.write_zip(tmp_path / "plain.zip", members)
    assert (tmp_path / "plain.zip").read_bytes() == expected

    cache = zipped.MemberCache(tmp_path / "cache")
    zipped.write_zip(tmp_path / "first.zip", members, cache)
    assert len(_blobs(tmp_path / "cache")) == len(TEXTS)
    assert (tmp_path / "first.zip").read_bytes() == expected

    # Second time every member comes from the cache: same bytes, and it reads back.
    zipped.write_zip(tmp_path / "second.zip", members, zipped.MemberCache(tmp_path / "cache"))
    assert (tmp_path / "second.zip").read_bytes() == expected
    with zipfile.ZipFile(tmp_path / "second.zip") as z:
        assert z.testzip() is None
        assert {n: z.read(n) for n in z.namelist()} == TEXTS


def test_a_kept_member_is_used_only_for_the_same_bytes_and_unused_ones_are_pruned(
    tmp_path: Path,
) -> None:
    members = _files(tmp_path)
    zipped.write_zip(tmp_path / "first.zip", members, zipped.MemberCache(tmp_path / "cache"))
    members[0][1].write_bytes("改过的文本".encode())
    cache = zipped.MemberCache(tmp_path / "cache")
    zipped.write_zip(tmp_path / "second.zip", members, cache)
    with zipfile.ZipFile(tmp_path / "second.zip") as z:
        assert z.read(members[0][0]) == "改过的文本".encode()
    cache.prune()
    assert len(_blobs(tmp_path / "cache")) == len(TEXTS)


def test_a_damaged_kept_member_is_not_what_the_zip_holds(tmp_path: Path) -> None:
    """A kept member whose bytes were damaged on disk is compressed again, not copied."""
    members = _files(tmp_path)
    cache = zipped.MemberCache(tmp_path / "cache")
    zipped.write_zip(tmp_path / "first.zip", members, cache)
    for p in _blobs(tmp_path / "cache"):
        p.write_bytes(b"\x00garbage")
    (tmp_path / "cache" / ("first.zip" + zipped.RECORD)).unlink()  # no kept zip to copy from
    zipped.write_zip(tmp_path / "second.zip", members, zipped.MemberCache(tmp_path / "cache"))
    assert (tmp_path / "second.zip").read_bytes() == (tmp_path / "first.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "second.zip") as z:
        assert {n: z.read(n) for n in z.namelist()} == TEXTS


class _Counting(zipped.MemberCache):
    """A member cache that counts the members it was asked to compress (or find)."""

    def __init__(self, folder: Path, made: Path | None = None) -> None:
        super().__init__(folder, made)
        self.asked: list[int] = []

    def get_digest(self, data: bytes) -> tuple[str, bytes]:
        self.asked.append(len(data))
        return super().get_digest(data)


def _rewrite(
    members: list[tuple[str, Path]], dest: Path, cache: Path, made: Path | None = None
) -> _Counting:
    counting = _Counting(cache, made)
    dest.parent.mkdir(parents=True, exist_ok=True)
    zipped.write_zip(dest, members, counting)
    return counting


def test_unchanged_members_are_copied_from_the_kept_zip_without_reading_their_files(
    tmp_path: Path,
) -> None:
    members = _files(tmp_path)
    _by_zipfile(tmp_path / "expected.zip", members)
    cache = tmp_path / "cache"
    first = _rewrite(members, tmp_path / "out" / "corpus.zip", cache)
    assert len(first.asked) == len(TEXTS)
    assert (cache / "corpus.zip").samefile(tmp_path / "out" / "corpus.zip")

    # The next build writes its zip elsewhere (a new staging folder): every member is copied.
    second = _rewrite(members, tmp_path / "next" / "corpus.zip", cache)
    assert second.asked == []
    assert (tmp_path / "next" / "corpus.zip").read_bytes() == (
        tmp_path / "expected.zip"
    ).read_bytes()

    # One member changed: only it is read and compressed; the zip is a fresh zip's bytes.
    members[0][1].write_bytes("改过的文本".encode() * 9)
    third = _rewrite(members, tmp_path / "third" / "corpus.zip", cache)
    assert third.asked == [len("改过的文本".encode() * 9)]
    _by_zipfile(tmp_path / "expected3.zip", members)
    assert (tmp_path / "third" / "corpus.zip").read_bytes() == (
        tmp_path / "expected3.zip"
    ).read_bytes()
    # The copied members' compressed bytes are still in use: pruning keeps them.
    third.prune()
    assert len(_blobs(cache)) == len(TEXTS)


def test_members_read_again_from_a_folder_of_made_files_are_taken_as_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A member read from a folder whose files are never written into (``made``), from the path
    the kept zip's record names, is copied without a look at its file; one read from another
    folder there (a segment made again under another name) is looked at, and read when it is
    not the file recorded. Either way the zip is ``zipfile``'s."""
    made = tmp_path / "made"
    old = [(name, made / "s1" / name) for name in TEXTS]
    for (_, path), data in zip(old, TEXTS.values(), strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    cache = tmp_path / "cache"
    first = _rewrite(old, tmp_path / "out" / "corpus.zip", cache, made)
    assert len(first.asked) == len(TEXTS)

    looked: list[str] = []
    stamp = zipped._stamp
    monkeypatch.setattr(zipped, "_stamp", lambda p: looked.append(str(p)) or stamp(p))
    again = _rewrite(old, tmp_path / "again" / "corpus.zip", cache, made)
    assert again.asked == [] and not [p for p in looked if p.startswith(str(made))]
    _by_zipfile(tmp_path / "expected.zip", old)
    assert (tmp_path / "again" / "corpus.zip").read_bytes() == (
        tmp_path / "expected.zip"
    ).read_bytes()

    new = [(name, made / "s2" / name) for name in TEXTS]
    for (_, src), (_, dest) in zip(old, new, strict=True):
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(src.read_bytes())
    new[0][1].write_bytes("改过的文本".encode() * 9)
    looked.clear()
    moved = _rewrite(new, tmp_path / "moved" / "corpus.zip", cache, made)
    assert sorted(p for p in looked if p.startswith(str(made))) == sorted(str(p) for _, p in new)
    assert len(moved.asked) == len(TEXTS)  # other files (other inodes): each one read
    _by_zipfile(tmp_path / "expected2.zip", new)
    assert (tmp_path / "moved" / "corpus.zip").read_bytes() == (
        tmp_path / "expected2.zip"
    ).read_bytes()

    # Without ``made`` every member is looked at, as a file anywhere else is.
    looked.clear()
    _rewrite(new, tmp_path / "plain" / "corpus.zip", cache)
    assert sorted(p for p in looked if p.startswith(str(made))) == sorted(str(p) for _, p in new)


def test_a_kept_zip_changed_since_it_was_written_is_not_read(tmp_path: Path) -> None:
    members = _files(tmp_path)
    _by_zipfile(tmp_path / "expected.zip", members)
    cache = tmp_path / "cache"
    _rewrite(members, tmp_path / "first" / "corpus.zip", cache)
    kept = cache / "corpus.zip"
    kept.unlink()  # replaced by a file of the same size: not the zip the record describes
    kept.write_bytes(b"\x00" * (tmp_path / "first" / "corpus.zip").stat().st_size)
    again = _rewrite(members, tmp_path / "second" / "corpus.zip", cache)
    assert len(again.asked) == len(TEXTS)
    assert (tmp_path / "second" / "corpus.zip").read_bytes() == (
        tmp_path / "expected.zip"
    ).read_bytes()


def test_a_record_that_does_not_match_its_zip_is_not_trusted(tmp_path: Path) -> None:
    """Each copied member's local header must be the one the writer would write: a record whose
    places are wrong gives the member compressed again, not bytes from the wrong place."""
    members = _files(tmp_path)
    _by_zipfile(tmp_path / "expected.zip", members)
    cache = tmp_path / "cache"
    _rewrite(members, tmp_path / "first" / "corpus.zip", cache)
    record_path = cache / ("corpus.zip" + zipped.RECORD)
    record = zipped.read_record(record_path)
    name_a, name_b = members[0][0], members[2][0]
    record["members"][name_a][6], record["members"][name_b][6] = (
        record["members"][name_b][6],
        record["members"][name_a][6],
    )
    zipped.write_record(record_path, record)
    again = _rewrite(members, tmp_path / "second" / "corpus.zip", cache)
    assert sorted(again.asked) == sorted([len(TEXTS[name_a]), len(TEXTS[name_b])])
    assert (tmp_path / "second" / "corpus.zip").read_bytes() == (
        tmp_path / "expected.zip"
    ).read_bytes()


def test_unchanged_members_are_copied_file_to_file_in_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Members copied from the kept zip are not written through the process: their local
    headers are read (those within ``SPAN`` bytes of each other in one read, up to the last
    header), and consecutive members are copied in one call; a member changed in the middle
    splits the run and the zip is still ``zipfile``'s bytes."""
    members = _files(tmp_path)
    cache = tmp_path / "cache"
    _rewrite(members, tmp_path / "first" / "corpus.zip", cache)
    read: list[int] = []
    copies: list[int] = []
    pread, copy_file_range = os.pread, os.copy_file_range

    def counted_pread(fd: int, n: int, offset: int) -> bytes:
        read.append(n)
        return pread(fd, n, offset)

    def counted_copy(src: int, dst: int, count: int, *args: int) -> int:
        copies.append(count)
        return copy_file_range(src, dst, count, *args)

    monkeypatch.setattr(zipped.os, "pread", counted_pread)
    monkeypatch.setattr(zipped.os, "copy_file_range", counted_copy)
    again = _rewrite(members, tmp_path / "second" / "corpus.zip", cache)
    assert again.asked == []
    assert copies == [(tmp_path / "first" / "corpus.zip").stat().st_size - _central(tmp_path)]
    assert len(read) == 1 and read[0] < copies[0]  # not the last member's bytes
    read.clear()
    monkeypatch.setattr(zipped, "SPAN", 1)
    _rewrite(members, tmp_path / "apart" / "corpus.zip", cache)
    assert len(read) == len(TEXTS) and max(read) < 100  # a header a read
    assert (tmp_path / "apart" / "corpus.zip").read_bytes() == (
        tmp_path / "second" / "corpus.zip"
    ).read_bytes()

    members[1][1].write_bytes("改过的文本".encode() * 9)
    copies.clear()
    third = _rewrite(members, tmp_path / "third" / "corpus.zip", cache)
    assert len(third.asked) == 1 and len(copies) == 2
    _by_zipfile(tmp_path / "expected3.zip", members)
    assert (tmp_path / "third" / "corpus.zip").read_bytes() == (
        tmp_path / "expected3.zip"
    ).read_bytes()


def _central(tmp_path: Path) -> int:
    """Bytes of the first zip after its last member (central directory and end records)."""
    with zipfile.ZipFile(tmp_path / "first" / "corpus.zip") as z:
        return (tmp_path / "first" / "corpus.zip").stat().st_size - z.start_dir


def test_members_are_copied_through_a_buffer_where_the_file_system_cannot_copy_ranges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = _files(tmp_path)
    _by_zipfile(tmp_path / "expected.zip", members)
    cache = tmp_path / "cache"
    _rewrite(members, tmp_path / "first" / "corpus.zip", cache)

    def cannot(*args: int) -> int:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(zipped.os, "copy_file_range", cannot)
    again = _rewrite(members, tmp_path / "second" / "corpus.zip", cache)
    assert again.asked == []
    assert (tmp_path / "second" / "corpus.zip").read_bytes() == (
        tmp_path / "expected.zip"
    ).read_bytes()


def test_a_record_not_of_this_version_is_not_read(tmp_path: Path) -> None:
    """A record of another version, damaged or cut short is no record: every member is
    compressed again, and the zip is still ``zipfile``'s bytes; the record's JSON form of
    earlier versions is removed when the zip is kept."""
    members = _files(tmp_path)
    _by_zipfile(tmp_path / "expected.zip", members)
    cache = tmp_path / "cache"
    _rewrite(members, tmp_path / "first" / "corpus.zip", cache)
    record_path = cache / ("corpus.zip" + zipped.RECORD)
    whole = record_path.read_bytes()
    record = zipped.read_record(record_path)
    damaged = [
        marshal.dumps({**record, "version": zipped.RECORD_VERSION - 1}),
        whole[: len(whole) // 2],
        b"not a record",
    ]
    for i, data in enumerate(damaged):
        record_path.write_bytes(data)
        with pytest.raises((ValueError, EOFError, TypeError)):
            zipped.read_record(record_path)
        (cache / ("corpus.zip.members.json")).write_text("{}", encoding="utf-8")
        again = _rewrite(members, tmp_path / f"again{i}" / "corpus.zip", cache)
        assert len(again.asked) == len(TEXTS)
        assert (tmp_path / f"again{i}" / "corpus.zip").read_bytes() == (
            tmp_path / "expected.zip"
        ).read_bytes()
        assert zipped.read_record(record_path)["version"] == zipped.RECORD_VERSION
        assert not (cache / "corpus.zip.members.json").exists()


def test_pruning_removes_what_the_kept_records_name_unused_and_all_after_a_stopped_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the kept zips' records naming every member, ``prune`` removes only the members they
    name that this build did not use, without listing the folder; a member no record names
    (left by a build stopped before its ``prune``, which leaves the ``PRUNING`` mark) is removed
    by the next build, which then looks at every member."""
    members = _files(tmp_path)
    cache = tmp_path / "cache"
    first = _rewrite(members, tmp_path / "out" / "corpus.zip", cache)
    first.prune()
    assert not (cache / zipped.PRUNING).exists() and len(_blobs(cache)) == len(TEXTS)

    # One member changed: its old compressed bytes go, without a look at the folder.
    members[0][1].write_bytes("改过的文本".encode() * 5)
    second = _rewrite(members, tmp_path / "second" / "corpus.zip", cache)
    assert second.whole and (cache / zipped.PRUNING).exists()
    stray = cache / "ff" / ("f" * 64)  # named by no record: not looked for
    stray.parent.mkdir(exist_ok=True)
    stray.write_bytes(b"left")
    listed: list[Path] = []
    iterdir = Path.iterdir
    monkeypatch.setattr(Path, "iterdir", lambda self: listed.append(self) or iterdir(self))
    second.prune()
    monkeypatch.undo()
    assert listed == [] and stray.exists()
    assert len(_blobs(cache)) == len(TEXTS) + 1 and not (cache / zipped.PRUNING).exists()

    # A build stopped after writing a member and before its prune: the mark stays, and the
    # next build looks at every member (the stray one and the stopped build's go).
    members[1][1].write_bytes("又改了".encode() * 5)
    _rewrite(members, tmp_path / "stopped" / "corpus.zip", cache)  # no prune
    members[1][1].write_bytes("再改一次".encode() * 5)
    third = _rewrite(members, tmp_path / "third" / "corpus.zip", cache)
    assert not third.whole
    third.prune()
    assert not stray.exists() and len(_blobs(cache)) == len(TEXTS)
    assert not (cache / zipped.PRUNING).exists()
    with zipfile.ZipFile(tmp_path / "third" / "corpus.zip") as z:
        assert z.read(members[1][0]) == "再改一次".encode() * 5


def test_a_member_cache_travels_pickled(tmp_path: Path) -> None:
    """The zips are written in a process given them pickled (``executor.Early``)."""
    cache = zipped.MemberCache(tmp_path / "cache", made=tmp_path)
    cache.used.add("ab")
    again = pickle.loads(pickle.dumps(cache))
    assert (again.folder, again.made, again.used) == (cache.folder, cache.made, {"ab"})
    zipped.write_zip(tmp_path / "a.zip", _files(tmp_path), again)
    again.prune()
    assert len(_blobs(tmp_path / "cache")) == len(TEXTS)


def test_one_member_compressed_by_two_threads_at_once_is_kept_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The zips' threads compress members at once; two members of the same bytes (the same
    # file in two zips, two reports of the same text) are one kept file. Each thread's file is
    # written beside it and renamed: here both threads have written theirs before either
    # renames it (the order that lost one of them when the two had the same name).
    cache = zipped.MemberCache(tmp_path / "members")
    data = "同一份报告的正文。".encode() * 200
    written = threading.Barrier(2, timeout=10)
    rename = Path.replace

    def replace_together(self: Path, target: Any) -> Any:
        if self.name.endswith(".tmp") and self.parent.parent == cache.folder:
            written.wait()
        return rename(self, target)

    monkeypatch.setattr(Path, "replace", replace_together)
    results: list[Any] = []

    def compress() -> None:
        try:
            results.append(cache.get_digest(data))
        except Exception as exc:  # noqa: BLE001 - the test's finding
            results.append(exc)

    threads = [threading.Thread(target=compress) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    digest = hashlib.sha256(data).hexdigest()
    assert results == [(digest, zipped.deflate(data))] * 2
    path = tmp_path / "members" / digest[:2] / digest
    assert zlib.decompress(path.read_bytes(), -15) == data
    assert [p.name for p in path.parent.iterdir()] == [digest]  # nothing left beside it
