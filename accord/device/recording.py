"""Recording every device a piece of code creates: how ``accord run --logs`` keeps logs.

A game builds its own :class:`~accord.device.device.Device` (usually with no ``store``),
so the lab cannot hand it a log file through the game's API. Instead the lab runs the
game inside :func:`recording`, with a factory that makes one event log per device; a
device created with ``store=None`` while a factory is set writes its log there instead
of keeping it in memory. A device given an explicit ``store`` keeps it.

The factory lives in a :class:`contextvars.ContextVar`, so it is per thread and per
task, and it is set only inside the ``with`` block: nothing outside a recording run
changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from accord.device.store import EventLog

LogFactory = Callable[[], EventLog]

_FACTORY: ContextVar[LogFactory | None] = ContextVar("accord_log_factory", default=None)


def recorded_log() -> EventLog | None:
    """A fresh log from the current factory, or ``None`` outside :func:`recording`."""
    factory = _FACTORY.get()
    return None if factory is None else factory()


@contextmanager
def recording(factory: LogFactory) -> Iterator[None]:
    """Inside the block, every device created with ``store=None`` logs to ``factory()``."""
    token = _FACTORY.set(factory)
    try:
        yield
    finally:
        _FACTORY.reset(token)
