"""The garbage collector paused around a block that makes millions of objects and keeps them."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """The collector off while the block runs, as it was after. Its passes would walk the new
    objects again and again as they come, and with them everything the build holds: at 100,000
    reports, decoding the site's 80 MB of page facts took 1.5 s with it and 0.4 s without."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
