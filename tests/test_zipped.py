"""Zips written from kept compressed members are the zips ``zipfile`` writes, byte for byte."""

from __future__ import annotations

import zipfile
from pathlib import Path

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
    kept = sorted(p for p in (tmp_path / "cache").rglob("*") if p.is_file())
    assert len(kept) == len(TEXTS)
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
    assert len([p for p in (tmp_path / "cache").rglob("*") if p.is_file()]) == len(TEXTS)


def test_a_damaged_kept_member_is_not_what_the_zip_holds(tmp_path: Path) -> None:
    """A kept member whose bytes were damaged on disk is compressed again, not copied."""
    members = _files(tmp_path)
    cache = zipped.MemberCache(tmp_path / "cache")
    zipped.write_zip(tmp_path / "first.zip", members, cache)
    for p in (tmp_path / "cache").rglob("*"):
        if p.is_file():
            p.write_bytes(b"\x00garbage")
    zipped.write_zip(tmp_path / "second.zip", members, zipped.MemberCache(tmp_path / "cache"))
    assert (tmp_path / "second.zip").read_bytes() == (tmp_path / "first.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "second.zip") as z:
        assert {n: z.read(n) for n in z.namelist()} == TEXTS
