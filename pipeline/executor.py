"""Where the build's tasks run: this machine's process pool, or an existing Dask cluster.

A task is a top-level function of the pipeline and one picklable argument; it returns a
picklable result. Results come back in the order of the arguments, so the build's output does
not depend on where or in which order tasks ran. Tasks that read or write folders (the site
shards, the search index parts) need those folders at the same path on every worker: a Dask
cluster must share the project checkout and the output folders (see the README, *Cluster*)."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Executor:
    """Runs ``fn`` over ``items``; ``workers`` is how many run at once."""

    workers: int = 1

    def map(
        self, fn: Callable[[T], R], items: Iterable[T], chunksize: int = 1, local_below: int = 2
    ) -> list[R]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalExecutor(Executor):
    """A process pool on this machine (``workers`` processes; 1: in this process)."""

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers or (os.cpu_count() or 1)

    def map(
        self, fn: Callable[[T], R], items: Iterable[T], chunksize: int = 1, local_below: int = 2
    ) -> list[R]:
        items = list(items)
        if self.workers <= 1 or len(items) < local_below:
            return [fn(x) for x in items]
        # The workers are forked from this process and share its memory until a page is written.
        # The garbage collector's full passes write to every object they visit, so over a long
        # stage a worker's copy of the build's objects would become its own. Frozen objects are
        # left out of collection, in this process and in the forked ones.
        gc.freeze()
        try:
            with ProcessPoolExecutor(max_workers=min(self.workers, len(items))) as pool:
                return list(pool.map(fn, items, chunksize=chunksize))
        finally:
            gc.unfreeze()


class DaskExecutor(Executor):
    """Tasks sent to the Dask scheduler at ``address`` (``tcp://host:8786``), or to a
    ``distributed.Client`` given directly (tests use a ``LocalCluster``)."""

    def __init__(self, address: str | Any) -> None:
        from distributed import Client

        if isinstance(address, str):
            self.client = Client(address)
            self._own = True
        else:
            self.client = address
            self._own = False
        self.workers = max(1, sum(self.client.nthreads().values()))

    def map(
        self, fn: Callable[[T], R], items: Iterable[T], chunksize: int = 1, local_below: int = 2
    ) -> list[R]:
        items = list(items)
        if not items:
            return []
        if chunksize > 1:
            batches = [items[i : i + chunksize] for i in range(0, len(items), chunksize)]
            futures = self.client.map(_run_batch, [fn] * len(batches), batches, pure=False)
            return [r for batch in self.client.gather(futures) for r in batch]
        futures = self.client.map(fn, items, pure=False)
        return list(self.client.gather(futures))

    def close(self) -> None:
        if self._own:
            self.client.close()


def _run_batch(fn: Callable[[Any], Any], batch: list[Any]) -> list[Any]:
    return [fn(x) for x in batch]


def executor_for(workers: int = 0, scheduler: str | Any | None = None) -> Executor:
    """The Dask cluster at ``scheduler`` when one is given, else the local process pool."""
    if scheduler:
        return DaskExecutor(scheduler)
    return LocalExecutor(workers)
