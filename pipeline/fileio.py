"""Writing many small output files quickly."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def write_files(files: list[tuple[Path, bytes]]) -> None:
    """Write many small files. Creating a file costs far more than its bytes on most disks and
    the cost is waiting, not computing, so a few threads write them side by side."""
    for folder in sorted({p.parent for p, _ in files}):
        folder.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda item: item[0].write_bytes(item[1]), files))


def link_or_copy(src: Path, dest: Path) -> None:
    """A hard link where the filesystem allows (no bytes copied), else a copy."""
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)


def link_files(pairs: list[tuple[Path, Path]]) -> None:
    """``link_or_copy`` for many (source, destination) pairs, a few at a time."""
    for folder in sorted({dest.parent for _, dest in pairs}):
        folder.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda pair: link_or_copy(*pair), pairs))
