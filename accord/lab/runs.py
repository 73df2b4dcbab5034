"""One run of a sweep: its spec, its outcome, and the function that executes it.

:class:`RunSpec` is everything a worker needs (a grid point, a replicate, its derived
seed, the game's configuration); :func:`execute_run` runs it in whatever process it is
sent to (this one, a pool worker, a Ray task) and returns a :class:`RunOutcome`: the
game's result, or the error that stopped the run. The executors
(:mod:`accord.lab.runner`, :mod:`accord.lab.ray_backend`) import this module; it imports
neither.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from accord.device.config import DeviceConfig
from accord.device.recording import recording
from accord.device.store import EventLog, SqliteLog
from accord.games.base import GAMES, GameResult, get_game
from accord.lab.provenance import library_versions, write_log_versions

__all__ = ["RunOutcome", "RunSpec", "describe_error", "execute_run"]

_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class RunSpec:
    """One run: a grid point, a replicate and its derived seed; everything a worker needs."""

    index: int
    run_id: str
    point: int
    values: Mapping[str, Any]
    replicate: int
    seed: int
    game: str
    game_module: str
    """The module that registers the game, imported by a worker that lacks it."""
    params: BaseModel
    device: DeviceConfig
    logs: str | None = None
    """The directory to write this run's event logs to (``None``: no logs)."""


@dataclass(frozen=True)
class RunOutcome:
    """What became of a run: its :class:`GameResult`, or the error that stopped it."""

    spec: RunSpec
    status: Literal["ok", "error"]
    result: GameResult | None
    error: str | None = None
    versions: Mapping[str, str | None] | None = None
    """The installation's library versions where the run executed (provenance)."""
    logs: tuple[str, ...] = ()
    """The event logs the run wrote (paths), with ``logs`` set in its spec."""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def execute_run(spec: RunSpec) -> RunOutcome:
    """Run one game and check what it returns; any exception becomes an error outcome."""
    versions = dict(_versions())
    logs: list[SqliteLog] = []
    try:
        if spec.game not in GAMES:
            importlib.import_module(spec.game_module)
        game = get_game(spec.game)()
        if spec.logs is None:
            result = game.run(spec.params, spec.device, spec.seed)
        else:
            with recording(_log_factory(Path(spec.logs), spec.run_id, logs)):
                result = game.run(spec.params, spec.device, spec.seed)
        _check_result(result)
    except Exception as exc:  # one run's failure is data, not the sweep's end
        return RunOutcome(
            spec, "error", None, describe_error(exc), versions, _close(logs, versions)
        )
    return RunOutcome(spec, "ok", result, None, versions, _close(logs, versions))


@functools.cache
def _versions() -> dict[str, str | None]:
    """This process's library versions, read once: they cannot change while it runs, and
    reading the installed packages' metadata costs tens of milliseconds per run."""
    return library_versions()


def _log_factory(directory: Path, run_id: str, made: list[SqliteLog]) -> Callable[[Any], EventLog]:
    """Event logs ``<run-id>.db``, then ``<run-id>-2.db`` …, one per device created;
    under the MAC also the device's key file, ``<run-id>.keys`` (replay checks MACs with
    it: ``accord replay LOG --keys KEYS``). ed25519 logs need none: they hold the
    public keys."""

    def make(device: Any) -> EventLog:
        suffix = f"-{len(made) + 1}" if made else ""
        path = directory / f"{run_id}{suffix}.db"
        if device.config.signatures == "mac":
            device.keyring.save(path.with_suffix(".keys"))
        made.append(SqliteLog(path))
        return made[-1]

    return make


def _close(logs: list[SqliteLog], versions: dict[str, str | None]) -> tuple[str, ...]:
    """Close the run's logs (so SQLite checkpoints each WAL into its ``.db``: the file
    alone is the whole log) and record the versions in each."""
    for log in logs:
        log.close()
        write_log_versions(log.path, versions)
    return tuple(str(log.path) for log in logs)


def _check_result(result: object) -> None:
    if not isinstance(result, GameResult):
        raise TypeError(f"the game returned {type(result).__name__}, not a GameResult")
    for name, value in result.metrics.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"metric name {name!r} is not a non-empty string")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"metric {name!r} is {type(value).__name__}, not an int or float")
    if not isinstance(result.state_hash, str):
        raise TypeError("state_hash must be the final state hash in hex (a str)")
    for table, rows in result.tables.items():
        if not isinstance(table, str) or not _TABLE_NAME.match(table) or table == "results":
            raise TypeError(f"table name {table!r} must be an identifier other than results")
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise TypeError(f"table {table!r} must be a list of dicts")


def describe_error(exc: BaseException) -> str:
    """``"ValueError: what went wrong"``: how an outcome records the exception that ended it."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
