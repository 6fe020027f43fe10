"""Writing and linking many small output files quickly."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable
from pathlib import Path


def write_files(files: list[tuple[Path, bytes]]) -> None:
    """Write many small files, one after the other, each a new file: a file already there is
    unlinked first, not rewritten, as it may be hard-linked elsewhere (a page or download of the
    docs folder is, into the site being served until the swap). (Threads were measured slower
    here: the 10,000 texts of the benchmark's corpus took 3.3 s with eight threads, 0.5-1.0 s in
    a loop; the system calls are short and the threads contend for the interpreter.)"""
    for folder in sorted({p.parent for p, _ in files}):
        folder.mkdir(parents=True, exist_ok=True)
    for path, data in files:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        with open(path, "wb") as f:
            f.write(data)


def stamp(st: os.stat_result) -> list[int]:
    """What tells that a file is the one seen before without reading it: its size,
    modification time and inode (as recorded for sources, kept zips and their members)."""
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def link_or_copy(src: Path | str, dest: Path | str) -> None:
    """A hard link where the filesystem allows (no bytes copied), else a copy. A file already at
    ``dest`` is replaced, not written into (it may be hard-linked elsewhere), unless it is
    ``src`` itself."""
    try:
        os.link(src, dest)
    except FileExistsError:
        if os.path.samefile(src, dest):
            return
        os.unlink(dest)
        link_or_copy(src, dest)
    except OSError:
        shutil.copyfile(src, dest)


def link_files(pairs: list[tuple[Path, Path]] | list[tuple[str, str]]) -> None:
    """``link_or_copy`` for many (source, destination) pairs (in a loop: a link is one short
    system call, 10-20 µs, less than handing it to a thread). Paths may be given as strings,
    which a national site's hundreds of thousands of files make faster to handle."""
    for folder in sorted({os.path.dirname(dest) for _, dest in pairs}):
        os.makedirs(folder, exist_ok=True)
    for src, dest in pairs:
        link_or_copy(src, dest)


def listed_inodes(paths: Iterable[str]) -> dict[str, tuple[int, int]]:
    """The device and inode of each of ``paths`` (absolute, as strings) that is in its folder
    and no symbolic link, from one listing of each folder (a directory entry gives its inode,
    the folder its device) rather than a ``stat`` of each file: at 100,000 reports the
    downloads' sources were some 400,000 calls of a one-report change (4 s)."""
    by_folder: dict[str, set[str]] = {}
    for path in paths:
        head, _, name = path.rpartition("/")
        if head:
            by_folder.setdefault(head, set()).add(name)
    found: dict[str, tuple[int, int]] = {}
    for folder, names in by_folder.items():
        try:
            device = os.stat(folder).st_dev
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name in names and not entry.is_symlink():
                        found[f"{folder}/{entry.name}"] = (device, entry.inode())
        except (FileNotFoundError, NotADirectoryError):
            continue
    return found


def sync_links(pairs: list[tuple[str, str]], folders: list[str]) -> dict[str, int]:
    """Make the flat ``folders`` hold exactly the destinations of ``pairs`` (source,
    destination), each a link to its source: a destination that already is one (the same
    file: device and inode) is left, any other is replaced, and files of the folders that are
    no destination are removed. A destination's inode comes with its folder's listing, and so
    does a source's (``listed_inodes``; a ``stat`` only for one not found so), against a link
    and a folder entry written anew (and removed later) for every file. Returns the files
    removed and linked."""
    wanted = {dest for _, dest in pairs}
    removed = linked = 0
    present: dict[str, tuple[int, int]] = {}
    for folder in folders:
        if os.path.isdir(folder):
            device = os.stat(folder).st_dev
            for entry in os.scandir(folder):
                if entry.is_dir(follow_symlinks=False):
                    continue
                if entry.path in wanted:
                    present[entry.path] = (device, entry.inode())
                else:
                    os.unlink(entry.path)
                    removed += 1
    made: set[str] = set()
    sources = listed_inodes(src for src, dest in pairs if dest in present)
    for src, dest in pairs:
        try:
            have = present.get(dest)
            if have is None:  # outside the folders listed
                st = os.stat(dest)
                have = (st.st_dev, st.st_ino)
            want = sources.get(src)
            if want is None:
                st = os.stat(src)
                want = (st.st_dev, st.st_ino)
            if have == want:
                continue
            os.unlink(dest)
        except FileNotFoundError:
            pass
        folder = os.path.dirname(dest)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        link_or_copy(src, dest)
        linked += 1
    return {"removed": removed, "linked": linked}


def files_under(top: Path | str, skip: tuple[str, ...] = ()) -> list[str]:
    """Every file under ``top`` as a path relative to it (``a/b.md``), sorted, leaving out the
    top-level entries named in ``skip``."""
    top = str(top)
    out = []
    for root, dirs, files in os.walk(top):
        rel = os.path.relpath(root, top).replace(os.sep, "/")
        if rel == ".":
            dirs[:] = [d for d in dirs if d not in skip]
            out += [f for f in files if f not in skip]
        else:
            out += [f"{rel}/{f}" for f in files]
    out.sort()
    return out
