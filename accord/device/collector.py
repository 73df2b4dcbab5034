"""Pausing Python's cyclic garbage collector around the device's hot loops.

Executing a block or resolving commitments allocates many small containers (receipts,
journal entries, contexts, compiled conditions). CPython's collector runs a generation-0
pass every 700 net container allocations and, as survivors accumulate, passes over the
older generations that rescan the whole device heap (the state, the block history, the
mempool); measured on the device benchmark that is about 10% of a block's time, and 40%
of resolving 10,000 commitments. Neither loop creates reference cycles that outlive it
and no result depends on when collection runs, so the collector is paused for the loop
and resumed after (the allocations it skipped count towards the next automatic pass).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block; re-enable it after if it was on
    (so nesting, or a caller that disabled it, is respected)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
