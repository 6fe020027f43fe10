"""Two builds of the same outputs: the second waits for the first or stops naming it; a lock
left by a build that died is taken over."""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipeline.lock import LOCK_NAME, BuildLock, BuildLocked
from tests.conftest import build_into
from tests.tools.synth import generate


def _write_lock(folder: Path, pid: int) -> Path:
    path = folder / LOCK_NAME
    path.write_text(json.dumps({"pid": pid, "host": socket.gethostname(), "started": time.time()}))
    return path


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("lock") / "src"
    generate(6, src, seed=11)
    return src


def test_a_live_lock_stops_the_second_build_with_a_message_naming_the_first(small, tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _write_lock(tmp_path, holder.pid)
        with pytest.raises(BuildLocked) as err:
            build_into(small, tmp_path)
        assert f"pid {holder.pid}" in str(err.value)
        assert str(tmp_path) in str(err.value)
        assert not (tmp_path / "datasets.new").exists() and not (tmp_path / "datasets").exists()
    finally:
        holder.kill()
        holder.wait()


def test_a_stale_lock_is_taken_over(small, tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    _write_lock(tmp_path, dead.pid)
    result = build_into(small, tmp_path)
    assert len(result.reports) == 6
    assert not (tmp_path / LOCK_NAME).exists()  # released at the end


def test_a_waiting_build_starts_when_the_first_releases(tmp_path):
    first = BuildLock(tmp_path)
    first.acquire()
    threading.Timer(0.5, first.release).start()
    t0 = time.monotonic()
    with BuildLock(tmp_path, wait=30, poll=0.05):
        assert time.monotonic() - t0 > 0
        info = json.loads((tmp_path / LOCK_NAME).read_text())
        assert info["pid"] == os.getpid()
    assert not (tmp_path / LOCK_NAME).exists()


def test_the_lock_is_released_when_a_build_fails(tmp_path):
    with pytest.raises(RuntimeError), BuildLock(tmp_path):
        raise RuntimeError("a stage failed")
    assert not (tmp_path / LOCK_NAME).exists()


def _build_in_process(args: tuple[str, str]) -> str:
    src, out = args
    try:
        result = build_into(Path(src), Path(out), with_site=False, workers=1)
    except BuildLocked as exc:
        return f"locked: {exc}"
    return f"built {len(result.reports)}"


@pytest.mark.slow
def test_two_builds_at_once_never_share_a_staging_folder(small, tmp_path):
    """Two processes build the same outputs at once: never a FileNotFoundError from a staging
    folder the other removed; with no wait, one builds and the other is told who holds it."""
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        outcomes = pool.map(_build_in_process, [(str(small), str(tmp_path))] * 2)
    assert sorted(o.split(":")[0].split()[0] for o in outcomes) in (
        ["built", "built"],  # the first had finished before the second started
        ["built", "locked"],
    )
    assert all("FileNotFoundError" not in o for o in outcomes)
    assert (
        json.loads((tmp_path / "datasets" / "build_report.json").read_text())["reports_published"]
        == 6
    )


def _gone(folder: Path, pattern: str, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while list(folder.glob(pattern)):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_replaced_output_folder_is_swapped_out_and_removed_in_the_background(tmp_path):
    from pipeline.build import TRASH_PREFIX, remove_replaced, swap_in

    final = tmp_path / "datasets"
    (final / "texts").mkdir(parents=True)
    (final / "texts" / "a.txt").write_text("old", encoding="utf-8")
    new = tmp_path / "datasets.new"
    new.mkdir()
    (new / "b.txt").write_text("new", encoding="utf-8")
    swap_in(new, final)
    assert (final / "b.txt").read_text(encoding="utf-8") == "new" and not new.exists()
    assert _gone(tmp_path, TRASH_PREFIX + "*")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["datasets"]
    # A removal cut short leaves its folder: the next build removes it.
    stale = tmp_path / f"{TRASH_PREFIX}datasets.1.2" / "texts"
    stale.mkdir(parents=True)
    (stale / "c.txt").write_text("x", encoding="utf-8")
    remove_replaced(tmp_path)
    assert _gone(tmp_path, TRASH_PREFIX + "*")
    assert (final / "b.txt").exists()
