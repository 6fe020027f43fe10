"""One build at a time per output area: a lock file holding the builder's pid.

Two builds writing the same staging folders (``datasets.new``, ``site.new``) would each delete
what the other is writing. The first build takes ``.build.lock`` beside its outputs (linked
into place whole, so only one can); a second one waits for it or stops with a message naming it. A
lock whose process is gone (a build killed with SIGKILL, a machine restarted) is stale and is
taken over."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from pathlib import Path

LOCK_NAME = ".build.lock"


class BuildLocked(RuntimeError):
    """Another build holds the lock of this output area."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _holder(path: Path) -> dict | None:
    """What the lock file says (pid, host, started), or None when it is gone or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _stale(info: dict) -> bool:
    """A lock of this machine whose process has ended (or that holds no pid at all)."""
    pid = info.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return True
    return info.get("host") == socket.gethostname() and not _alive(pid)


def describe(info: dict) -> str:
    started = info.get("started")
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)) if started else "?"
    return f"pid {info.get('pid')} on {info.get('host', '?')}, started {when}"


class BuildLock:
    """``with BuildLock(folder, wait=60):`` holds ``folder/.build.lock`` for the block.

    ``wait`` is how many seconds to wait for another build to finish (0: stop at once)."""

    def __init__(self, folder: Path, wait: float = 0, poll: float = 0.5) -> None:
        self.path = Path(folder) / LOCK_NAME
        self.wait = wait
        self.poll = poll
        self._held = False

    def _try(self) -> bool:
        """Make the lock with its contents in one step: written aside, then linked to its name
        (a link fails when the name exists), so no build ever reads a half-written lock."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
        tmp = self.path.with_name(f"{LOCK_NAME}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(info), encoding="utf-8")
        try:
            os.link(tmp, self.path)
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)
        return True

    def acquire(self) -> None:
        deadline = time.monotonic() + self.wait
        while not self._try():
            info = _holder(self.path)
            if info is None:  # released between our attempt and our look
                continue
            if _stale(info):
                # Take over a dead build's lock: rename first, so two builds that both find it
                # stale cannot both remove a lock the other has just made.
                grave = self.path.with_name(f"{LOCK_NAME}.stale-{os.getpid()}")
                try:
                    self.path.rename(grave)
                except FileNotFoundError:
                    continue
                if _holder(grave) != info:
                    # Another build took the stale lock over and made its own just now: give
                    # that one back (a link fails if a third build holds the name meanwhile).
                    with contextlib.suppress(FileExistsError):
                        os.link(grave, self.path)
                grave.unlink(missing_ok=True)
                continue
            if time.monotonic() >= deadline:
                raise BuildLocked(
                    f"another build is writing to {self.path.parent} ({describe(info)}); "
                    f"wait for it to finish, or remove {self.path} if that process is gone"
                )
            time.sleep(self.poll)
        self._held = True

    def release(self) -> None:
        if self._held:
            info = _holder(self.path)
            if info and info.get("pid") == os.getpid():
                self.path.unlink(missing_ok=True)
            self._held = False

    def __enter__(self) -> BuildLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
