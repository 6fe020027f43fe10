"""Zips of many files, each member compressed once and kept between builds.

``corpus.zip`` and ``report-json.zip`` hold every source, cleaned text and report document,
and are written again on every build (about 4 s each at 10,000 reports). A member's compressed bytes are kept in a folder named by the SHA-256 of what they
compress, so a build compresses only what it has not seen (on threads: zlib lets go of the
interpreter while it works) and copies the rest, once it has checked that it inflates to
the member's bytes.

The zip is the one ``zipfile`` writes for the same members (DEFLATE at level 6, the same
headers): ``zipfile`` writes the headers and the central directory, this module the members'
bytes (``tests/test_zipped.py`` checks both give the same bytes)."""

from __future__ import annotations

import hashlib
import os
import zipfile
import zlib
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

LEVEL = 6
DATE_TIME = (2008, 1, 1, 0, 0, 0)
"""Fixed timestamps: the same members give the same bytes."""


def deflate(data: bytes) -> bytes:
    """``data`` as ``zipfile`` stores it with DEFLATE at ``LEVEL`` (raw stream, no header)."""
    c = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


class MemberCache:
    """Compressed members by the SHA-256 of their bytes, in ``folder`` (or nowhere). ``used``
    names what this build read or wrote, for ``prune``."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.used: set[str] = set()

    def _path(self, digest: str) -> Path:
        assert self.folder is not None
        return self.folder / digest[:2] / digest

    def get(self, data: bytes) -> bytes:
        if self.folder is None:
            return deflate(data)
        digest = hashlib.sha256(data).hexdigest()
        self.used.add(digest)
        path = self._path(digest)
        try:
            blob = path.read_bytes()
            # Inflating costs a tenth of deflating: a damaged kept member is never copied.
            if zlib.decompress(blob, -15) == data:
                return blob
        except (OSError, zlib.error):
            pass
        blob = deflate(data)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{digest}.{os.getpid()}.tmp")
        tmp.write_bytes(blob)
        tmp.replace(path)
        return blob

    def prune(self) -> None:
        """Remove what this build did not use (and what a stopped build left half-written)."""
        if self.folder is None or not self.folder.is_dir():
            return
        for sub in self.folder.iterdir():
            if not sub.is_dir():
                continue
            for path in sub.iterdir():
                if path.name not in self.used:
                    path.unlink(missing_ok=True)


def write_zip(
    dest: Path,
    members: Sequence[tuple[str, Path]],
    cache: MemberCache | None = None,
    threads: int = 2,
) -> None:
    """``dest`` holding each ``(name, path)`` of ``members`` in order, compressed members taken
    from ``cache`` where it has them."""
    cache = cache or MemberCache(None)
    batch = 64  # members read and compressed by one thread at a time: memory stays small

    def compressed(part: Sequence[tuple[str, Path]]) -> list[tuple[int, int, bytes]]:
        out = []
        for _, path in part:
            data = path.read_bytes()
            out.append((len(data), zlib.crc32(data), cache.get(data)))
        return out

    parts = [members[i : i + batch] for i in range(0, len(members), batch)]
    with (
        ThreadPoolExecutor(max(1, threads)) as pool,
        zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=LEVEL) as z,
    ):
        # At most two batches per thread ahead of the writer.
        ahead = max(1, threads) * 2
        pending = deque(pool.submit(compressed, part) for part in parts[:ahead])
        for i, part in enumerate(parts):
            done = pending.popleft().result()
            if i + ahead < len(parts):
                pending.append(pool.submit(compressed, parts[i + ahead]))
            for (name, _), (size, crc, blob) in zip(part, done, strict=True):
                _write_member(z, name, size, crc, blob)


def _write_member(z: zipfile.ZipFile, name: str, size: int, crc: int, blob: bytes) -> None:
    """What ``ZipFile.writestr`` does for a member whose compressed bytes are known (the file is
    only appended to, so the member starts where the last one ended)."""
    info = zipfile.ZipInfo(name, date_time=DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.file_size = size
    info.compress_size = len(blob)
    info.CRC = crc
    info.flag_bits = 0
    zip64 = size * 1.05 > zipfile.ZIP64_LIMIT
    fp = z.fp
    assert fp is not None
    info.header_offset = z.start_dir
    z._writecheck(info)  # the checks writestr makes (duplicate names, sizes)
    z._didModify = True
    header = info.FileHeader(zip64)
    fp.write(header)
    fp.write(blob)
    z.start_dir += len(header) + len(blob)
    z.filelist.append(info)
    z.NameToInfo[name] = info
