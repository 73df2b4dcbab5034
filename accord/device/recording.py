"""Recording every device a piece of code creates: how ``accord run --logs`` keeps logs.

A game builds its own :class:`~accord.device.device.Device` (usually with no ``store``),
so the lab cannot hand it a log file through the game's API. Instead the lab runs the
game inside :func:`recording`, with a factory that makes one event log per device; a
device created with ``store=None`` while a factory is set writes its log there instead
of keeping it in memory. A device given an explicit ``store`` keeps it. The factory is
called with the device being built (its ``config`` and ``keyring`` already set, so
that, under the MAC, the lab can keep the key file the log needs for replay).

The factory lives in a :class:`contextvars.ContextVar`, so it is per thread and per
task, and it is set only inside the ``with`` block: nothing outside a recording run
changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from accord.device.store import EventLog

LogFactory = Callable[[Any], EventLog]
"""Called with the :class:`~accord.device.device.Device` being created."""

_FACTORY: ContextVar[LogFactory | None] = ContextVar("accord_log_factory", default=None)


def recorded_log(device: Any) -> EventLog | None:
    """A fresh log for ``device`` from the current factory, or ``None`` outside
    :func:`recording`."""
    factory = _FACTORY.get()
    return None if factory is None else factory(device)


@contextmanager
def recording(factory: LogFactory) -> Iterator[None]:
    """Inside the block, every device created with ``store=None`` logs to
    ``factory(device)``."""
    token = _FACTORY.set(factory)
    try:
        yield
    finally:
        _FACTORY.reset(token)
