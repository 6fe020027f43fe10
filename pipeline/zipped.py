"""Zips of many files, each member compressed once and kept between builds.

``corpus.zip`` and ``report-json.zip`` hold every source, cleaned text and report document,
and are written again on every build. Two things keep that from costing a full compression
(or even a read of every member) each time:

* A member's compressed bytes are kept in a folder named by the SHA-256 of what they compress,
  so a build compresses only what it has not seen (on threads: zlib lets go of the interpreter
  while it works) and copies the rest, once it has checked that it inflates to the member's
  bytes.
* The zip a build wrote is kept beside them (a hard link) with a record of each member: the
  size, modification time and inode of the file it came from, where it starts in the zip and
  its CRC and sizes. The next build copies a member whose file has the recorded size, time and
  inode straight from the kept zip (its local header checked against the one it would write),
  without opening the file: a one-report change at 10,000 reports reads a few hundred files,
  not 30,000. Members that follow each other in the kept zip are copied in one go from file to
  file (``os.copy_file_range``), so their bytes never pass through the interpreter. The record
  also names the kept zip's own size, time and inode; a kept zip that was changed since is not
  read.
* A member read from a folder whose files are never written into once made (the package's
  cache: ``MemberCache(…, made=)``), from the same path the record names for it, is taken as
  recorded without a look at its file: at 100,000 reports the ``stat`` of 300,000 members took
  4 s of the zips' 10.

The zip is the one ``zipfile`` writes for the same members (DEFLATE at level 6, the same
headers): ``zipfile`` writes the headers and the central directory, this module the members'
bytes (``tests/test_zipped.py`` checks every path gives the same bytes)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import marshal
import os
import threading
import zipfile
import zlib
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pipeline.fileio import stamp
from pipeline.gcpause import paused_gc

RECORD = ".members"
"""The record of a kept zip's members, beside it: ``corpus.zip.members`` (``read_record``)."""
RECORD_VERSION = 3
_JSON_RECORD = ".members.json"
"""Where records were kept before ``RECORD_VERSION`` 3 (removed when a zip is kept)."""

LEVEL = 6
DATE_TIME = (2008, 1, 1, 0, 0, 0)
"""Fixed timestamps: the same members give the same bytes."""


def deflate(data: bytes) -> bytes:
    """``data`` as ``zipfile`` stores it with DEFLATE at ``LEVEL`` (raw stream, no header)."""
    c = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def read_record(path: Path) -> dict[str, Any]:
    """A kept zip's record as ``write_record`` wrote it. In ``marshal``'s format (a cache, read
    by the Python that wrote it; another one's bytes fail a check and the zip is compressed
    from its members): at 100,000 reports its 300,000 members took 1.4 s to read and 0.9 s to
    write as JSON, 0.6 s and 0.1 s so."""
    record = marshal.loads(path.read_bytes())
    if not isinstance(record, dict) or record.get("version") != RECORD_VERSION:
        raise ValueError(f"{path}: not a record of version {RECORD_VERSION}")
    return record


def _tmp_beside(path: Path) -> Path:
    """Where a file for ``path`` is written before it is renamed into place: a name of this
    process and thread alone (the zips' threads compress members at once, and two members of
    the same bytes are one file: with one name for both, one thread renamed the other's file
    away before it could, and the build stopped)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def write_record(path: Path, record: dict[str, Any]) -> None:
    """``record`` kept at ``path``, written beside and renamed."""
    tmp = _tmp_beside(path)
    tmp.write_bytes(marshal.dumps(record))
    tmp.replace(path)


def _stamp(path: Path | str) -> list[int]:
    return stamp(os.stat(path))


class _KeptZip:
    """The zip a build kept and the record of its members (``MemberCache.keep_zip``)."""

    def __init__(self, path: Path, members: dict[str, list], folders: list[str]) -> None:
        self.path = path
        self.members = members
        self.folders = folders
        self.fd = -1

    def __enter__(self) -> _KeptZip:
        self.fd = os.open(self.path, os.O_RDONLY)
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)

    def entry(self, name: str, stamp: list[int]) -> list | None:
        """The record of member ``name`` when its file is the one it was made from."""
        entry = self.members.get(name)
        return entry if entry is not None and entry[:3] == stamp else None

    def made_entry(self, name: str, folder: str) -> list | None:
        """The record of member ``name`` when it was read from ``folder`` (the path its name
        follows) last time too."""
        entry = self.members.get(name)
        if entry is None or entry[7] < 0 or self.folders[entry[7]] != folder:
            return None
        return entry

    def places(
        self, items: Sequence[tuple[str, list]]
    ) -> list[tuple[int, int, zipfile.ZipInfo] | None]:
        """For each member ``(name, record)``: where its local header and compressed bytes are
        in the kept zip (start, length) and its ``ZipInfo``; None unless the header there is
        the one ``_write_member`` writes for it (a record that does not match its zip). Only
        the headers are read, those near each other in one read (at 100,000 reports a read per
        member was 300,000 reads); the bytes after them are copied from file to file by the
        writer."""
        wanted = []
        for i, (name, entry) in enumerate(items):
            size, _, _, _, crc, compress_size, offset, _ = entry
            info = _info(name, size, crc, compress_size)
            wanted.append((offset, info.FileHeader(_zip64(size)), compress_size, info, i))
        wanted.sort(key=lambda w: w[0])
        out: list[tuple[int, int, zipfile.ZipInfo] | None] = [None] * len(items)
        start = 0
        while start < len(wanted):
            first = wanted[start][0]
            end = start + 1  # the headers that end within SPAN of the first: one read
            while end < len(wanted) and wanted[end][0] + len(wanted[end][1]) - first <= SPAN:
                end += 1
            last = wanted[end - 1]
            data = os.pread(self.fd, last[0] + len(last[1]) - first, first)
            for offset, header, compress_size, info, i in wanted[start:end]:
                at = offset - first
                if data[at : at + len(header)] == header:
                    out[i] = (offset, len(header) + compress_size, info)
            start = end
        return out


SPAN = 1 << 20
"""The most bytes of a kept zip read at once to check the headers in them (``places``)."""


PRUNING = ".pruning"
"""In a ``MemberCache``'s folder while a build may write members into it (``begin``)."""


class MemberCache:
    """Compressed members by the SHA-256 of their bytes, in ``folder`` (or nowhere). ``used``
    names what this build read or wrote, for ``prune``. ``made``: a folder whose files are
    never written into once made (a file there is made whole and renamed into place, and its
    path names its bytes: the package's cache, whose segment folders are named by what they
    are made of and whose archive names a file by its SHA-256): a member read from there, from
    the path it was read from when the kept zip was written, is copied from that zip without
    a look at its file."""

    def __init__(self, folder: Path | None, made: Path | str | None = None) -> None:
        self.folder = folder
        self.made = f"{os.fspath(made).rstrip('/')}/" if made is not None else None
        self.used: set[str] = set()
        self.recorded: set[str] = set()
        """The members the records of the zips kept last time name (``kept_zip``)."""
        self.whole = True
        """Whether those records name every member kept (else ``prune`` looks at them all)."""
        self.begun = False
        self._lock = threading.Lock()  # members are compressed by several threads

    def _path(self, digest: str) -> Path:
        assert self.folder is not None
        return self.folder / digest[:2] / digest

    def __getstate__(self) -> dict[str, Any]:
        """Picklable (the zips are written in a process given them pickled): no lock."""
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def begin(self) -> None:
        """Mark the folder as being written into (``PRUNING``) before the first member is:
        a build stopped before ``prune`` leaves the mark, and the next build's ``prune`` then
        looks at every member, as members no record names may have been left."""
        if self.folder is None or self.begun:
            return
        with self._lock:
            if self.begun:
                return
            mark = self.folder / PRUNING
            if mark.exists():
                self.whole = False
            else:
                self.folder.mkdir(parents=True, exist_ok=True)
                mark.write_bytes(b"")
            self.begun = True

    def get_digest(self, data: bytes) -> tuple[str, bytes]:
        """The SHA-256 (hex) of ``data`` (empty without a folder) and its compressed bytes."""
        if self.folder is None:
            return "", deflate(data)
        self.begin()
        digest = hashlib.sha256(data).hexdigest()
        self.used.add(digest)
        path = self._path(digest)
        try:
            blob = path.read_bytes()
            # Inflating costs a tenth of deflating: a damaged kept member is never copied.
            if zlib.decompress(blob, -15) == data:
                return digest, blob
        except (OSError, zlib.error):
            pass
        blob = deflate(data)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = _tmp_beside(path)
        tmp.write_bytes(blob)
        tmp.replace(path)
        return digest, blob

    def kept_zip(self, name: str) -> _KeptZip | None:
        """The zip called ``name`` this cache kept last time, when it is as it was written."""
        if self.folder is None:
            return None
        self.begin()
        path = self.folder / name
        try:
            with paused_gc():  # some 3 million objects made
                record = read_record(self.folder / (name + RECORD))
            if record["zip"] != _stamp(path):
                raise ValueError("not the zip recorded")
            kept = _KeptZip(path, record["members"], record["folders"])
        except (OSError, ValueError, KeyError, TypeError, EOFError):
            self.whole = False  # members of a zip no record names may be kept
            return None
        self.recorded.update(entry[3] for entry in kept.members.values())
        return kept

    def keep_zip(self, dest: Path, members: dict[str, list], folders: list[str]) -> None:
        """Keep the zip just written at ``dest`` (a hard link) and the record of its members
        (``name: [size, mtime_ns, inode, sha256, crc, compressed size, offset, folder]``:
        ``folder`` the place in ``folders`` of the path the member was read from, less its
        name, when that is in ``made``; else -1)."""
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        kept = self.folder / dest.name
        record_path = self.folder / (dest.name + RECORD)
        record_path.unlink(missing_ok=True)  # no record of a zip that is not the one kept
        (self.folder / (dest.name + _JSON_RECORD)).unlink(missing_ok=True)
        tmp = _tmp_beside(kept)
        tmp.unlink(missing_ok=True)
        try:
            os.link(dest, tmp)
        except OSError:  # another file system: the next build compresses from the members
            kept.unlink(missing_ok=True)
            return
        tmp.replace(kept)
        record = {
            "version": RECORD_VERSION,
            "zip": _stamp(kept),
            "members": members,
            "folders": folders,
        }
        write_record(record_path, record)
        for entry in members.values():
            self.used.add(entry[3])

    def prune(self) -> None:
        """Remove the compressed members this build did not use (and what a stopped build left
        half-written); the kept zips and their records stay. When the records of the zips kept
        last time name every member kept (``whole``), only those they name and this build did
        not use are removed: at 100,000 reports, listing the 300,000 members took 0.3 s of a
        core, 1.5-5.6 s of the zips' process (at its low priority) before the build could have
        their checksums."""
        if self.folder is None or not self.folder.is_dir():
            return
        if self.whole and self.begun:
            for digest in self.recorded - self.used:
                self._path(digest).unlink(missing_ok=True)
        else:
            for sub in self.folder.iterdir():
                if not sub.is_dir():
                    continue
                for path in sub.iterdir():
                    if path.name not in self.used:
                        path.unlink(missing_ok=True)
        (self.folder / PRUNING).unlink(missing_ok=True)
        self.begun = False


def write_zip(
    dest: Path,
    members: Sequence[tuple[str, Path | str]],
    cache: MemberCache | None = None,
    threads: int = 2,
) -> None:
    """``dest`` holding each ``(name, path)`` of ``members`` in order: a member whose file is
    unchanged copied from the zip ``cache`` kept last time, the others' compressed bytes taken
    from ``cache`` where it has them; the zip is then kept for next time."""
    cache = cache or MemberCache(None)
    batch = 64  # members read and compressed by one thread at a time: memory stays small
    kept = cache.kept_zip(dest.name)
    record: dict[str, list] = {}
    folders: dict[str, int] = {}  # the folders members were read from, in ``made``

    def folder_of(name: str, path: str) -> str | None:
        """The folder of ``made`` the member was read from (its path less its name)."""
        if cache.made is None or not path.startswith(cache.made) or not path.endswith(name):
            return None
        head = path[: len(path) - len(name)]
        return head if head.endswith("/") else None

    def compressed(part: Sequence[tuple[str, Path | str]]) -> list[tuple[int, int, Any, list]]:
        """Each member's size, CRC, compressed bytes (or where they are in the kept zip) and
        what the record keeps of it."""
        found = []
        for name, path in part:
            path = os.fspath(path)
            folder = folder_of(name, path)
            entry = None
            if kept is not None and folder is not None:
                entry = kept.made_entry(name, folder)
            if entry is not None:
                stamp = entry[:3]
            else:
                stamp = _stamp(path)
                entry = kept.entry(name, stamp) if kept is not None else None
            found.append((name, path, folder, entry, stamp))
        listed = [(name, entry) for name, _, _, entry, _ in found if entry is not None]
        places = iter(kept.places(listed) if kept is not None and listed else ())
        out = []
        for _, path, folder, entry, stamp in found:
            where = next(places) if entry is not None else None
            if entry is not None and where is not None:
                size, crc, digest, blob = entry[0], entry[4], entry[3], (*where, entry[5])
            else:
                with open(path, "rb") as f:
                    data = f.read()
                size, crc = len(data), zlib.crc32(data)
                digest, blob = cache.get_digest(data)
            out.append((size, crc, blob, [*stamp, digest, folder]))
        return out

    parts = [members[i : i + batch] for i in range(0, len(members), batch)]
    with (
        kept if kept is not None else contextlib.nullcontext(),
        ThreadPoolExecutor(max(1, threads)) as pool,
        zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=LEVEL) as z,
    ):
        run = _Run(z, kept)
        # At most two batches per thread ahead of the writer.
        ahead = max(1, threads) * 2
        pending = deque(pool.submit(compressed, part) for part in parts[:ahead])
        for i, part in enumerate(parts):
            done = pending.popleft().result()
            if i + ahead < len(parts):
                pending.append(pool.submit(compressed, parts[i + ahead]))
            for (name, _), (size, crc, blob, seen) in zip(part, done, strict=True):
                if isinstance(blob, bytes):
                    run.flush()
                    offset = _write_member(z, name, size, crc, blob)
                    compress_size = len(blob)
                else:
                    start, length, info, compress_size = blob
                    offset = run.add(info, start, length)
                folder = seen[4]
                place = -1 if folder is None else folders.setdefault(folder, len(folders))
                record[name] = [*seen[:3], seen[3], crc, compress_size, offset, place]
        run.flush()
    if cache.folder is not None:
        cache.keep_zip(dest, record, list(folders))


_NO_COPY_RANGE = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EPERM}
"""What ``os.copy_file_range`` raises where a file system cannot copy between the files."""


class _Run:
    """Members copied from the kept zip: consecutive ones there are copied in one go, from file
    to file (``os.copy_file_range``: the bytes never pass through this process), and only
    their entries of the central directory are made here. At 100,000 reports a one-report
    change copied 300,000 members one by one through the interpreter: 12 s of a core."""

    def __init__(self, z: zipfile.ZipFile, kept: _KeptZip | None) -> None:
        self.z = z
        self.kept = kept
        self.start = self.end = 0  # the run's bytes in the kept zip

    def add(self, info: zipfile.ZipInfo, start: int, length: int) -> int:
        """The member of the kept zip ``info`` describes (``_info``, its ``FileHeader`` made),
        whose header and bytes are ``length`` bytes from ``start`` there, appended to the zip;
        returns where it starts in the zip."""
        if start != self.end or self.end == self.start:
            self.flush()
            self.start = self.end = start
        z = self.z
        info.header_offset = z.start_dir + (self.end - self.start)
        z._writecheck(info)
        z.filelist.append(info)
        z.NameToInfo[info.filename] = info
        self.end += length
        return info.header_offset

    def flush(self) -> None:
        """Copy the run's bytes into the zip after what it holds."""
        count = self.end - self.start
        if count == 0:
            return
        assert self.kept is not None
        z = self.z
        fp = z.fp
        assert fp is not None
        fp.flush()
        src, dst = self.start, z.start_dir
        while count:
            try:
                n = os.copy_file_range(self.kept.fd, fp.fileno(), count, src, dst)
            except OSError as exc:  # not between these files here: through a buffer
                if exc.errno not in _NO_COPY_RANGE:
                    raise
                n = os.pwrite(fp.fileno(), os.pread(self.kept.fd, min(count, 1 << 24), src), dst)
            if n == 0:
                raise OSError(f"{self.kept.path}: ended before the member at {src}")
            src, dst, count = src + n, dst + n, count - n
        z.start_dir = dst
        z._didModify = True
        fp.seek(dst)
        self.start = self.end = 0


def _zip64(size: int) -> bool:
    return size * 1.05 > zipfile.ZIP64_LIMIT


def _info(name: str, size: int, crc: int, compress_size: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.file_size = size
    info.compress_size = compress_size
    info.CRC = crc
    info.flag_bits = 0
    return info


def _write_member(z: zipfile.ZipFile, name: str, size: int, crc: int, blob: bytes) -> int:
    """What ``ZipFile.writestr`` does for a member whose compressed bytes are known (the file is
    only appended to, so the member starts where the last one ended); returns where it starts."""
    info = _info(name, size, crc, len(blob))
    fp = z.fp
    assert fp is not None
    info.header_offset = z.start_dir
    z._writecheck(info)  # the checks writestr makes (duplicate names, sizes)
    z._didModify = True
    header = info.FileHeader(_zip64(size))
    fp.write(header)
    fp.write(blob)
    z.start_dir += len(header) + len(blob)
    z.filelist.append(info)
    z.NameToInfo[name] = info
    return info.header_offset
