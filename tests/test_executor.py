"""The local process pool: results in the order of the arguments, and workers that start
without the build's objects (forked from a small server process, not from the build)."""

from __future__ import annotations

import gc
import os
from pathlib import Path

from pipeline.executor import Beside, LocalExecutor, executor_for


def _square_and_pid(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


HELD: list[list[int]] = []
"""Filled by a test in the build's process only."""


def _what_a_worker_holds(_: int) -> tuple[int, str, int]:
    with open("/proc/self/comm", encoding="utf-8") as f:
        name = f.read().strip()
    return len(HELD), name, os.getppid()


def test_the_pool_returns_results_in_the_order_of_the_arguments_from_other_processes():
    out = LocalExecutor(2).map(_square_and_pid, range(20))
    assert [r for r, _ in out] == [x * x for x in range(20)]
    assert {pid for _, pid in out} - {os.getpid()}, "no task ran in a worker process"


def test_one_worker_or_one_task_runs_in_this_process():
    assert LocalExecutor(1).map(_square_and_pid, [3]) == [(9, os.getpid())]
    assert LocalExecutor(2).map(_square_and_pid, [4]) == [(16, os.getpid())]
    assert isinstance(executor_for(2), LocalExecutor)


def test_imap_takes_the_items_as_tasks_finish_and_returns_results_in_their_order():
    taken: list[int] = []

    def items():
        for x in range(40):
            taken.append(x)
            yield x

    results = LocalExecutor(2).imap(_square_and_pid, items(), ahead=3)
    first = next(results)
    # Only what the pool may hold was taken: the first result and at most ``ahead`` sent.
    assert first[0] == 0 and len(taken) <= 4, taken
    rest = list(results)
    assert [r for r, _ in [first, *rest]] == [x * x for x in range(40)]
    assert {pid for _, pid in rest} - {os.getpid()}, "no task ran in a worker process"
    assert gc.get_freeze_count() == 0
    chunked = list(LocalExecutor(2).imap(_square_and_pid, iter(range(50)), ahead=2, chunksize=7))
    assert [r for r, _ in chunked] == [x * x for x in range(50)]


def test_imap_of_one_task_or_one_worker_runs_here_and_an_early_stop_ends_the_pool():
    assert list(LocalExecutor(2).imap(_square_and_pid, iter([5]), ahead=4)) == [(25, os.getpid())]
    assert list(LocalExecutor(1).imap(_square_and_pid, range(3), ahead=1)) == [
        (x * x, os.getpid()) for x in range(3)
    ]
    results = LocalExecutor(2).imap(_square_and_pid, range(1000), ahead=2)
    assert next(results)[0] == 0
    results.close()  # the caller stops (an error): the pool is shut, nothing is left frozen
    assert gc.get_freeze_count() == 0


def test_workers_hold_none_of_the_builds_objects_and_are_named():
    # A worker forked from the build would share its memory and keep a stale copy of each page
    # the build writes to while it runs: the workers come from the forkserver, which imported
    # the pipeline's modules and nothing the build made since.
    HELD[:] = [[i] for i in range(100_000)]
    try:
        out = LocalExecutor(2).map(_what_a_worker_holds, range(4))
        assert {held for held, _, _ in out} == {0}
        assert {name for _, name, _ in out} == {"build-worker"}
        assert os.getpid() not in {parent for _, _, parent in out}
        out = list(LocalExecutor(2).imap(_what_a_worker_holds, range(6), ahead=2))
        assert {held for held, _, _ in out} == {0}
    finally:
        HELD.clear()
    assert gc.get_freeze_count() == 0


def test_work_beside_the_build_runs_in_another_process_and_brings_back_its_result_or_error(
    tmp_path,
):
    import time

    import pytest

    from pipeline.executor import Beside

    marker = tmp_path / "written"

    def work() -> tuple[int, str]:
        marker.write_text("by the other process")
        return os.getpid(), "done"

    pid, word = Beside(work, "work").result()
    assert pid != os.getpid() and word == "done" and marker.read_text() == "by the other process"

    def fails() -> None:
        raise ValueError("corpus.zip: disk full")

    with pytest.raises(RuntimeError, match=r"zips: ValueError: corpus.zip: disk full"):
        Beside(fails, "zips").result()

    def dies() -> None:
        os._exit(3)

    with pytest.raises(RuntimeError, match=r"zips: stopped \(exit code 3\)"):
        Beside(dies, "zips").result()

    # A failed build stops it: what it would have written later never appears.
    late = tmp_path / "late"

    def slow() -> None:
        time.sleep(30)
        late.write_text("too late")

    beside = Beside(slow, "zips")
    t = time.perf_counter()
    beside.cancel()
    assert time.perf_counter() - t < 10 and not late.exists()


def _pid_and(x: int) -> tuple[int, int, int]:
    if x < 0:
        raise ValueError("negative")
    return os.getpid(), 2 * x, len(HELD)


def test_an_early_process_runs_the_function_given_later_and_one_not_given_any_ends():
    import functools

    import pytest

    from pipeline.executor import Beside, Early

    early = Early("zips")
    pid = early.proc.pid
    HELD[:] = [[i] for i in range(1000)]  # made after the fork: not in the early process
    try:
        assert Beside(functools.partial(_pid_and, 21), "zips", early).result() == (pid, 42, 0)
    finally:
        HELD.clear()
    assert early.taken and not early.proc.is_alive()
    # Once taken, a Beside forks its own process; an error comes back named.
    failing = Early("zips")
    with pytest.raises(RuntimeError, match="zips: ValueError: negative"):
        Beside(functools.partial(_pid_and, -1), "zips", failing).result()
    unused = Early("zips")
    unused.stop()
    assert not unused.proc.is_alive() and unused.proc.exitcode == 0


def test_a_function_an_early_process_cannot_be_sent_runs_in_a_process_forked_for_it():
    """A local function cannot be pickled to the early process: it runs in one forked now (the
    early one ends) rather than leaving both waiting for ever."""
    import threading

    from pipeline.executor import Early

    early = Early("zips")
    offset = 5

    def local() -> tuple[int, int]:
        return os.getpid(), offset * 2

    got: list[tuple[int, int]] = []
    runner = threading.Thread(
        target=lambda: got.append(Beside(local, "zips", early).result()), daemon=True
    )
    runner.start()
    runner.join(timeout=60)
    assert got, "the function never ran"
    pid, value = got[0]
    assert value == 10 and pid not in (os.getpid(), early.proc.pid)
    early.proc.join(timeout=30)
    assert early.taken and not early.proc.is_alive()


def test_a_pool_leaves_the_builds_frozen_objects_frozen_and_undoes_only_its_own_freeze():
    gc.unfreeze()
    try:
        # Nothing frozen before: the pool's freeze is undone when it ends.
        LocalExecutor(2).map(_square_and_pid, range(4))
        assert gc.get_freeze_count() == 0
        list(LocalExecutor(2).imap(_square_and_pid, range(4), ahead=2))
        assert gc.get_freeze_count() == 0
        # The build's freeze (``build._settled``) outlives a pool and a process beside it.
        kept = [[i] for i in range(1000)]
        gc.freeze()
        frozen = gc.get_freeze_count()
        LocalExecutor(2).map(_square_and_pid, range(4))
        list(LocalExecutor(2).imap(_square_and_pid, range(4), ahead=2))
        Beside(lambda: 1, "beside-test").result()
        assert gc.get_freeze_count() >= frozen
        assert kept  # held while the pools ran
    finally:
        gc.unfreeze()


def _build_in(tmp_path: Path, build_all, **kwargs) -> None:
    """``build_all`` of the sources in ``tmp_path/src``, everything it writes in ``tmp_path``."""
    build_all(
        source_dir=tmp_path / "src",
        datasets_dir=tmp_path / "datasets",
        docs_dir=tmp_path / "docs",
        site_dir=tmp_path / "site",
        workers=1,
        cache_dir=tmp_path / "cache",
        **kwargs,
    )


def test_a_build_makes_full_passes_rare_while_it_runs_and_puts_the_collector_back(tmp_path):
    from pipeline.build import FULL_PASS_EVERY, build_all
    from tests.tools.synth import generate

    generate(3, tmp_path / "src", seed=5)
    before = gc.get_threshold()
    seen: list[tuple[tuple[int, int, int], int]] = []
    _build_in(
        tmp_path,
        build_all,
        with_site=False,
        progress=lambda _: seen.append((gc.get_threshold(), gc.get_freeze_count())),
    )
    assert seen and all(t[2] == max(before[2], FULL_PASS_EVERY) for t, _ in seen)
    assert seen[-1][1] > 0, "what the build keeps is out of the full passes while it runs"
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


ZIPS_NOTED: dict[str, object] = {}
"""For ``_zips_noting_priority``: the build's own ``write_zips`` and the file to note in."""


def _zips_noting_priority(*args, **kwargs):
    """The build's zips, written after noting the nice value of the process they run in."""
    Path(ZIPS_NOTED["file"]).write_text(str(os.getpriority(os.PRIO_PROCESS, 0)))
    return ZIPS_NOTED["write_zips"](*args, **kwargs)


def test_the_zips_process_runs_at_a_lower_priority_than_the_build(tmp_path, monkeypatch):
    """The zips are wanted only at the end: their process yields the CPU to the build's own,
    whose steps are the longest path of a rebuild (``build.ZIPS_NICENESS``)."""
    from pipeline import build
    from pipeline.executor import Early
    from tests.conftest import copy_docs_assets
    from tests.tools.synth import generate

    mine = os.getpriority(os.PRIO_PROCESS, 0)
    early = Early("zips")
    try:
        build.lower_priority(early.proc, 3)
        assert os.getpriority(os.PRIO_PROCESS, early.proc.pid) == min(19, mine + 3)
        build.lower_priority(early.proc, 30)  # at most the lowest
        assert os.getpriority(os.PRIO_PROCESS, early.proc.pid) == 19
    finally:
        early.stop()
    build.lower_priority(early.proc, 3)  # ended: nothing to lower, no error
    build.lower_priority(None, 3)
    # The build's zips, in the process they are written in (the function is sent by name).
    monkeypatch.setitem(ZIPS_NOTED, "file", str(tmp_path / "nice"))
    monkeypatch.setitem(ZIPS_NOTED, "write_zips", build.write_zips)
    monkeypatch.setattr(build, "write_zips", _zips_noting_priority)
    generate(3, tmp_path / "src", seed=5)
    copy_docs_assets(tmp_path / "docs")
    _build_in(tmp_path, build.build_all)  # with the site: the zips are written beside it
    assert int((tmp_path / "nice").read_text()) == min(19, mine + build.ZIPS_NICENESS)
    assert os.getpriority(os.PRIO_PROCESS, 0) == mine  # the build's own is as it was


def test_the_first_pages_and_reports_db_run_at_a_lower_priority_than_the_build(
    tmp_path, monkeypatch
):
    """The first pages (written beside the copied text and the data package) and
    ``reports.db`` are wanted long after they could be done: their processes yield the CPU to
    the build's own (``build.BESIDE_NICENESS``); the copied text, which the build waits for,
    does not."""
    from pipeline import build, database
    from tests.conftest import copy_docs_assets
    from tests.tools.synth import generate

    mine = os.getpriority(os.PRIO_PROCESS, 0)
    lowered: list[tuple[str, int]] = []
    lower_priority = build.lower_priority

    def noting(proc, by):
        lowered.append((proc.name, by))
        lower_priority(proc, by)

    def closing(db):
        # In the database process, once the build has sent it its work.
        (tmp_path / "db-nice").write_text(str(os.getpriority(os.PRIO_PROCESS, 0)))
        return close(db)

    close = database._Database.close
    monkeypatch.setattr(build, "lower_priority", noting)
    monkeypatch.setattr(database._Database, "close", closing)
    generate(3, tmp_path / "src", seed=5)
    copy_docs_assets(tmp_path / "docs")
    _build_in(tmp_path, build.build_all)
    assert build.BESIDE_NICENESS > 0
    assert sorted(lowered) == sorted(
        [
            ("zips", build.ZIPS_NICENESS),
            ("reports.db", build.BESIDE_NICENESS),
            ("pages", build.BESIDE_NICENESS),
        ]
    )
    assert int((tmp_path / "db-nice").read_text()) == min(19, mine + build.BESIDE_NICENESS)
    assert os.getpriority(os.PRIO_PROCESS, 0) == mine
