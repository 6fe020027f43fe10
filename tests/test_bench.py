"""The bench's own measures: memory and CPU time of a build's processes."""

from __future__ import annotations

import multiprocessing
import multiprocessing.synchronize
import time

from pipeline.executor import name_process
from tests.tools.bench import CpuTimes, MemorySampler

BURN_S = 0.8


def _burn(seconds: float, done: multiprocessing.synchronize.Event) -> None:
    """A process named ``burner`` that keeps one core busy for ``seconds`` of CPU time, then
    waits to be told to end (so the sampler sees it after its work)."""
    name_process("burner")
    start = time.process_time()
    while time.process_time() - start < seconds:
        sum(i * i for i in range(10_000))
    done.wait(30)


def test_cpu_time_is_counted_for_the_machine_and_by_process():
    ctx = multiprocessing.get_context("fork")
    done = ctx.Event()
    # CPU this process spent before the sampling is not the sampled work's.
    start = time.process_time()
    while time.process_time() - start < BURN_S:
        sum(i * i for i in range(10_000))
    with MemorySampler() as mem, CpuTimes() as cpu:
        proc = ctx.Process(target=_burn, args=(BURN_S, done))
        proc.start()
        # Long enough for the burn and for one sample after it (the sampler waits ten times as
        # long as a sample takes, 50 ms at least).
        deadline = time.monotonic() + 20
        while mem.cpu_by_process.get("burner", 0.0) < BURN_S and time.monotonic() < deadline:
            time.sleep(0.1)
        done.set()
        proc.join()
    assert proc.exitcode == 0
    # The child's own CPU time, as the sampler last read it, under its name.
    assert mem.cpu_by_process["burner"] >= BURN_S - 0.05
    assert mem.cpu_by_process["burner"] < BURN_S + 2
    # This process's own share is its sampling only (a tenth of a core at most while it ran).
    assert 0 <= mem.cpu_by_process.get("bench", 0.0) < BURN_S / 2
    # The machine's counters hold at least the child's work, and the floor is that spread over
    # every core.
    summary = cpu.summary()
    assert cpu.user_s + cpu.system_s >= BURN_S - 0.05
    assert summary["cores"] >= 1
    assert summary["floor_s"] * summary["cores"] >= (cpu.user_s + cpu.system_s) - 0.2
    assert summary["floor_s"] <= cpu.user_s + cpu.system_s + 0.1
    assert mem.peak_mb > 0
