"""Which installation produced a run: the versions of everything that can change a result.

A run is a pure function of its scenario and seed *on a given installation*; the device
itself keeps floats out of state (integer money, the exact LMSR, hash-based random
ordering), but the agents off the device plan with NumPy, SciPy (HiGHS for the LP/MILP)
and the router's kernels (Numba or NumPy, :mod:`accord.mechanisms.routing.kernels`), and
their float choices decide which transactions are sent. A log replays on any
installation (it holds the transactions); re-running a scenario from scratch reproduces
it bit for bit only where these match. So every run records them:

* the lab's results (``results.parquet`` column ``versions``, ``meta.json`` key
  ``versions``), via :func:`library_versions`;
* each event log written by ``accord run --logs``, in its own table ``versions``
  (:func:`write_log_versions`), which the device's replay does not read; ``accord
  replay`` compares them with its own and prints one warning line when they differ
  (:func:`version_warning`).
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
import sqlite3
from pathlib import Path

from accord.device.store import open_readonly

__all__ = [
    "LIBRARIES",
    "library_versions",
    "read_log_versions",
    "version_warning",
    "write_log_versions",
]

LIBRARIES = ("accord", "numpy", "scipy", "numba", "llvmlite", "pydantic")
"""Distributions whose version can change a run's numbers (``None`` when absent)."""


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def library_versions() -> dict[str, str | None]:
    """Python, the platform's machine, each of :data:`LIBRARIES`, and the routing
    kernels actually in use (``numba`` or ``numpy``; ``ACCORD_KERNELS`` can force it)."""
    from accord.mechanisms.routing.kernels import COMPILED

    versions: dict[str, str | None] = {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "machine": platform.machine(),
    }
    for name in LIBRARIES:
        versions[name] = _version(name)
    versions["kernels"] = "numba" if COMPILED else "numpy"
    return versions


def write_log_versions(path: str | Path, versions: dict[str, str | None]) -> None:
    """Store ``versions`` in the event log at ``path`` (table ``versions``)."""
    db = sqlite3.connect(str(path), isolation_level=None)
    try:
        db.execute("CREATE TABLE IF NOT EXISTS versions(key TEXT PRIMARY KEY, value TEXT)")
        db.execute("BEGIN")
        db.executemany(
            "INSERT OR REPLACE INTO versions(key, value) VALUES (?, ?)",
            [(key, json.dumps(value)) for key, value in versions.items()],
        )
        db.execute("COMMIT")
    finally:
        db.close()


def read_log_versions(path: str | Path) -> dict[str, str | None] | None:
    """The versions a log recorded, or ``None`` (no such table, or not a readable log)."""
    try:
        db = open_readonly(path, warn=False)  # creates no -wal/-shm beside the log
    except sqlite3.Error:
        return None
    try:
        rows = db.execute("SELECT key, value FROM versions").fetchall()
        out: dict[str, str | None] = {}
        for key, value in rows:
            decoded = json.loads(value)
            out[str(key)] = None if decoded is None else str(decoded)
        return out
    except (sqlite3.Error, ValueError, TypeError):
        return None
    finally:
        db.close()


def version_warning(
    recorded: dict[str, str | None], current: dict[str, str | None] | None = None
) -> str | None:
    """One line naming what differs between the recording's versions and ours, or
    ``None`` when nothing does."""
    current = library_versions() if current is None else current
    keys = [k for k in dict.fromkeys([*recorded, *current]) if recorded.get(k) != current.get(k)]
    if not keys:
        return None
    diffs = ", ".join(
        f"{k} {recorded.get(k) or 'absent'} -> {current.get(k) or 'absent'}" for k in keys
    )
    return f"warning: recorded on another installation ({diffs}); the state hashes decide"
