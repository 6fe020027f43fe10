"""Where the build's tasks run: this machine's process pool, or an existing Dask cluster.

A task is a top-level function of the pipeline and one picklable argument; it returns a
picklable result. Results come back in the order of the arguments, so the build's output does
not depend on where or in which order tasks ran. Tasks that read or write folders (the site
shards, the search index parts) need those folders at the same path on every worker: a Dask
cluster must share the project checkout and the output folders (see the README, *Cluster*)."""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


WORKER_NAME = "build-worker"

PRELOAD = ["pipeline.build", "pipeline.pages", "pipeline.site"]
"""What the server of the pools' processes imports once, so that each worker starts with it."""


def pool_context() -> Any:
    """Where the pools' processes come from: forked from a small server process started once
    (``forkserver``, with ``PRELOAD`` imported), not from the build. A worker forked from the
    build shares the build's memory as it was, page by page, and keeps each page the build
    writes to afterwards: the build goes on touching its reports while the workers run (the
    package's and the pages' tasks are made from them), so two workers came to hold a stale
    copy of most of the build's memory (at 100,000 reports, 3.7 GB). A task brings all it
    needs with it (pickled), so a worker needs nothing of the build's objects. Where the
    platform has no ``forkserver``, its default."""
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context()
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


@contextlib.contextmanager
def frozen() -> Iterator[None]:
    """The objects this process holds left out of the garbage collector's passes while the
    block runs (``gc.freeze``), and put back after it unless they were frozen already: the
    build freezes what it keeps after each step (``build._settled``), and a pool or a process
    started by a step that gave everything back put some 2.6 million objects of a
    100,000-report build back into the full passes (at 100,000 reports, 4-8 s of each
    one-report change went to those passes)."""
    outer = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not outer:
            gc.unfreeze()


def can_fork() -> bool:
    """Whether this process may fork one beside it (``Beside``, ``Early``): not a daemonic pool
    worker, nor where processes are not started by forking."""
    import multiprocessing

    return (
        multiprocessing.get_context().get_start_method() == "fork"
        and not multiprocessing.current_process().daemon
    )


def name_process(name: str) -> None:
    """Give this process ``name`` where the system shows it (``ps``, ``top``; Linux keeps 15
    bytes), so that the build's processes can be told apart; nothing where it cannot."""
    with contextlib.suppress(OSError), open("/proc/self/comm", "w", encoding="utf-8") as f:
        f.write(name.encode()[:15].decode(errors="ignore"))


class Executor:
    """Runs ``fn`` over ``items``; ``workers`` is how many run at once."""

    workers: int = 1

    def map(
        self, fn: Callable[[T], R], items: Iterable[T], chunksize: int = 1, local_below: int = 2
    ) -> list[R]:
        raise NotImplementedError

    def imap(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        ahead: int,
        chunksize: int = 1,
        local_below: int = 2,
    ) -> Iterator[R]:
        """``map``, lazily: ``items`` are taken as tasks finish (``chunksize`` to a task), at
        most ``ahead`` tasks sent and not yet returned, and the results come back one at a time
        in the order of ``items``. The caller works on each result while the next tasks run
        (and ``items`` may be a generator doing its own share of the work)."""
        for x in items:
            yield fn(x)

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
        # Where the workers are forked from this process (no ``forkserver``: ``pool_context``)
        # they share its memory until a page is written. The garbage collector's full passes
        # write to every object they visit, so over a long stage a worker's copy of the build's
        # objects would become its own. Frozen objects are left out of collection, in this
        # process and in the forked ones.
        with (
            frozen(),
            ProcessPoolExecutor(
                max_workers=min(self.workers, len(items)),
                mp_context=pool_context(),
                initializer=name_process,
                initargs=(WORKER_NAME,),
            ) as pool,
        ):
            return list(pool.map(fn, items, chunksize=chunksize))

    def imap(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        ahead: int,
        chunksize: int = 1,
        local_below: int = 2,
    ) -> Iterator[R]:
        it = iter(items)
        # Fewer than ``local_below`` tasks' worth (a one-report change) is not worth starting
        # processes for.
        few = (local_below - 1) * chunksize
        first = list(itertools.islice(it, few + 1))
        if self.workers <= 1 or len(first) <= few:
            for x in itertools.chain(first, it):
                yield fn(x)
            return
        with frozen():  # as in ``map``
            pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=pool_context(),
                initializer=name_process,
                initargs=(WORKER_NAME,),
            )
            try:
                batches = _batches(itertools.chain(first, it), chunksize)
                yield from _in_order(lambda b: pool.submit(_run_batch, fn, b), batches, ahead)
            finally:
                # Also when the caller stops early (an error): what was not started is dropped.
                pool.shutdown(wait=True, cancel_futures=True)


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

    def imap(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        ahead: int,
        chunksize: int = 1,
        local_below: int = 2,
    ) -> Iterator[R]:
        submit = self.client.submit
        batches = _batches(iter(items), chunksize)
        yield from _in_order(lambda b: submit(_run_batch, fn, b, pure=False), batches, ahead)

    def close(self) -> None:
        if self._own:
            self.client.close()


def _run_batch(fn: Callable[[Any], Any], batch: list[Any]) -> list[Any]:
    return [fn(x) for x in batch]


def _in_order(
    submit: Callable[[list[Any]], Any], batches: Iterator[list[Any]], ahead: int
) -> Iterator[Any]:
    """The results of ``submit`` (a future, local or Dask) for each batch, one at a time in the
    order of the batches, with at most ``ahead`` submitted and not yet returned; what was
    submitted and not returned is cancelled when the caller stops early."""
    pending: deque[Any] = deque()
    try:
        for batch in batches:
            while len(pending) >= ahead:
                yield from pending.popleft().result()
            pending.append(submit(batch))
        while pending:
            yield from pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()


def _batches(items: Iterator[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last may be shorter), taken as they are asked for."""
    while batch := list(itertools.islice(items, size)):
        yield batch


def executor_for(workers: int = 0, scheduler: str | Any | None = None) -> Executor:
    """The Dask cluster at ``scheduler`` when one is given, else the local process pool."""
    if scheduler:
        return DaskExecutor(scheduler)
    return LocalExecutor(workers)


class Early:
    """A process forked now, while the build's memory is small, that waits to run one function
    given later (``Beside(fn, name, early)``; ``fn`` then travels pickled). Forked once the
    build holds its reports, the process would share the build's memory page by page and keep
    every page the build writes to afterwards as it was: the build goes on touching its
    reports, so the process comes to hold a stale copy of most of it. ``proc`` is None where
    this process may not fork (as ``Beside``)."""

    def __init__(self, name: str) -> None:
        import multiprocessing

        self.name = name
        self.proc: Any = None
        self.taken = False
        if not can_fork():
            return
        ctx = multiprocessing.get_context()
        self.inbox = ctx.Queue()
        self.outbox = ctx.Queue()
        # Daemonic: ended with the build, should it stop without giving it a function.
        self.proc = ctx.Process(
            target=_early, args=(self.inbox, self.outbox, name), name=name, daemon=True
        )
        self.proc.start()

    def stop(self) -> None:
        """End the process if no function was given to it (a build that stopped before)."""
        if self.proc is not None and not self.taken:
            self.taken = True
            end_waiting(self.proc, self.inbox)


class Beside:
    """``fn()`` run beside the build: in a forked process, which holds no share of this
    interpreter's lock (the zips written in a thread slowed the pages made meanwhile by as much
    as they gained), or in a thread where this process may not fork one (a daemonic pool
    worker, a platform without ``fork``). With ``early`` (not yet used), in that process,
    forked earlier, ``fn`` sent to it pickled; a function that cannot be pickled (a local one)
    runs in a process forked now instead, and the early one ends (put on the queue, it would
    have failed in the queue's thread, and both processes waited for ever). ``result`` waits
    and returns what ``fn`` returned (picklable), or raises what it raised."""

    def __init__(self, fn: Callable[[], Any], name: str, early: Early | None = None) -> None:
        import multiprocessing
        import pickle

        self.name = name
        self.future: Future[Any] | None = None
        self.proc: Any = None
        if early is not None and early.proc is not None and not early.taken:
            try:
                sent = pickle.dumps(fn, protocol=pickle.HIGHEST_PROTOCOL)
            except (pickle.PicklingError, AttributeError, TypeError):
                early.stop()
            else:
                early.taken = True
                self.proc, self.outbox = early.proc, early.outbox
                early.inbox.put(sent)
                return
        if not can_fork():
            pool = ThreadPoolExecutor(1, thread_name_prefix=name)
            self.future = pool.submit(fn)
            pool.shutdown(wait=False)
            return
        ctx = multiprocessing.get_context()
        self.outbox = ctx.Queue()
        with frozen():  # shared with the child until either writes (as the pool's workers)
            self.proc = ctx.Process(target=_beside, args=(fn, self.outbox, name), name=name)
            self.proc.start()

    def result(self) -> Any:
        if self.future is not None:
            return self.future.result()
        came, message = reply(self.proc, self.outbox)
        ok, value = message if came else (False, f"stopped (exit code {message})")
        if not ok:
            raise RuntimeError(f"{self.name}: {value}")
        return value

    def cancel(self) -> None:
        """Stop it (a process) or wait for it (a thread), whatever it raises."""
        if self.proc is not None:
            if self.proc.is_alive():
                self.proc.terminate()
            self.proc.join()
        elif self.future is not None:
            with contextlib.suppress(BaseException):
                self.future.result()


def reply(proc: Any, outbox: Any) -> tuple[bool, Any]:
    """Wait for the one message the process ``proc`` puts on ``outbox`` while it lives, then
    join it: ``(True, message)``, or ``(False, exit code)`` when it ended without one."""
    import queue

    while True:
        try:
            message = outbox.get(timeout=1)
            break
        except queue.Empty:
            if not proc.is_alive():
                proc.join()
                return False, proc.exitcode
    proc.join()
    return True, message


def end_waiting(proc: Any, inbox: Any) -> None:
    """End a process started early that waits on ``inbox`` for its work (``Early``,
    ``database.Standby``) and was never given any: told to stop, else terminated."""
    inbox.put(None)
    proc.join(timeout=30)
    if proc.is_alive():
        proc.terminate()
        proc.join()


def _early(inbox: Any, outbox: Any, name: str) -> None:
    import pickle

    sent = inbox.get()
    if sent is not None:
        _beside(pickle.loads(sent), outbox, name)


def _beside(fn: Callable[[], Any], outbox: Any, name: str) -> None:
    name_process(name)
    try:
        outbox.put((True, fn()))
    except Exception as exc:  # noqa: BLE001 - reported to the build, which raises it
        outbox.put((False, f"{type(exc).__name__}: {exc}"))
