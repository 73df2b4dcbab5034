"""Scenarios: a TOML file that names a game, its parameters, the device's design, the seeds
and a sweep.

A scenario is data, validated before anything runs::

    name = "toy-sweep"             # optional; the file's stem by default (runs/<name>/)
    description = "tips and ordering rules"
    game = "toy"                   # a registered game (accord.games.base.register_game)
    seed = 0                       # root entropy of every run's seed (default 0)
    seeds = 10                     # replicates 0..9 per grid point, or a list: [0, 3, 7]
    common_random_numbers = false  # true: every grid point gets the same seeds

    [params]                       # the game's parameters, checked by its Params model
    agents = 6

    [device]                       # accord.device.DeviceConfig
    block_gas_limit = 150_000

    [sweep]                        # dotted keys -> lists; the grid is their product
    "device.ordering" = ["fcfs", "priority", "random", "batch"]
    "device.mempool" = ["public", "private"]
    "params.agents" = [4, 8]

    [baseline]                     # the report's paired differences start from this design
    "device.ordering" = "fcfs"     # (every swept key; default: the first grid point)
    "device.mempool" = "public"
    "params.agents" = 4

Sweep keys start with ``params.`` or ``device.`` and name a field of the game's
``Params`` or of ``DeviceConfig``; deeper keys reach into dict fields
(``"device.latency_ms.alice" = [0, 15000]``). The grid is the cartesian product of the
lists in the order the file gives them (the last key varies fastest); every grid point is
validated when the scenario is loaded, so a bad value anywhere stops the sweep before any
run starts.

Every problem is a :class:`ScenarioError` (a ``ValueError``) whose message starts with
the file and names the key and why: malformed TOML (with its line and column), an
unknown key, a value of the wrong type, an unknown game, a sweep key that does not exist.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from accord.device.config import DeviceConfig
from accord.games.base import Game, get_game

__all__ = [
    "GridPoint",
    "Scenario",
    "ScenarioError",
    "canonical_json",
    "load_scenario",
    "parse_scenario",
]

SECTIONS = ("params", "device")
"""The tables a sweep key may reach into."""
MAX_RUNS = 1_000_000
"""The most runs one sweep may hold (grid points × seeds): a sweep is expanded into its
runs before any starts, so a typo such as ``seeds = 100000000000`` is refused by name
instead of exhausting memory."""

_TOP_LEVEL = {
    "name": "the run's name (a directory under --out)",
    "description": "free text for the report",
    "game": "a registered game",
    "seed": "root entropy of the runs' seeds",
    "seeds": "replicates per grid point: a count or a list of replicate numbers",
    "common_random_numbers": "whether every grid point gets the same seeds",
    "params": "the game's parameters",
    "device": "the device's design (DeviceConfig)",
    "sweep": "dotted keys mapped to lists of values",
    "baseline": "the design the report's paired differences start from (swept key -> value)",
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class ScenarioError(ValueError):
    """A scenario that cannot run; the message names the file, the key and why.

    ``key`` is the dotted key at fault (``"device.ordering"``, ``"sweep"``), or ``None``
    for a file that is not TOML at all.
    """

    def __init__(self, source: str, key: str | None, reason: str) -> None:
        self.source = source
        self.key = key
        self.reason = reason
        where = f"{key}: " if key else ""
        super().__init__(f"{source}: {where}{reason}")


Fail = Callable[[str | None, str], "ScenarioError"]


@dataclass(frozen=True)
class GridPoint:
    """One point of the sweep: the swept values and the validated models they give."""

    index: int
    values: Mapping[str, Any]
    """Swept key -> value, in the sweep's key order (empty without a sweep)."""
    params: BaseModel
    device: DeviceConfig

    def label(self) -> str:
        """``ordering=fcfs, mempool=public``: the swept values, by their last key part."""
        if not self.values:
            return "all runs"
        shorts = [short_key(k) for k in self.values]
        names = shorts if len(set(shorts)) == len(shorts) else list(self.values)
        return ", ".join(
            f"{n}={plain(v)}" for n, v in zip(names, self.values.values(), strict=True)
        )


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: the game, the base design, the grid and the seeds."""

    name: str
    game: str
    game_class: type[Game]
    description: str
    seed: int
    replicates: tuple[int, ...]
    common_random_numbers: bool
    params: BaseModel
    device: DeviceConfig
    sweep: tuple[tuple[str, tuple[Any, ...]], ...]
    points: tuple[GridPoint, ...]
    source: str
    """The TOML text the scenario was read from (stored beside the results)."""

    @property
    def swept_keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.sweep)

    @property
    def n_runs(self) -> int:
        return len(self.points) * len(self.replicates)

    def with_seeds(self, count: int) -> Scenario:
        """The same scenario with replicates ``0..count-1`` (``accord run --seeds N``)."""
        if type(count) is not int or count < 1:
            raise ScenarioError(self.name, "seeds", f"must be a positive int, got {count!r}")
        if count * len(self.points) > MAX_RUNS:
            raise ScenarioError(
                self.name,
                "seeds",
                f"{len(self.points):,} grid points × {count:,} seeds = "
                f"{count * len(self.points):,} runs, more than the {MAX_RUNS:,} one sweep may hold",
            )
        return replace(self, replicates=tuple(range(count)))

    def with_name(self, name: str) -> Scenario:
        if not _NAME.match(name):
            raise ScenarioError(self.name, "name", _name_reason(name))
        return replace(self, name=name)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (its name defaults to the file's stem)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(str(path), None, "no such scenario file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), None, f"cannot read it: {exc}") from None
    return parse_scenario(text, source=str(path), default_name=path.stem)


def parse_scenario(
    text: str, *, source: str = "<scenario>", default_name: str = "scenario"
) -> Scenario:
    """Validate a scenario given as TOML text."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, None, f"malformed TOML: {exc}") from None
    return _build(raw, text, source, default_name)


def _build(raw: dict[str, Any], text: str, source: str, default_name: str) -> Scenario:
    def fail(key: str | None, reason: str) -> ScenarioError:
        return ScenarioError(source, key, reason)

    for key in raw:
        if key not in _TOP_LEVEL:
            known = ", ".join(_TOP_LEVEL)
            raise fail(key, f"unknown key (a scenario has: {known})")

    name = raw.get("name", default_name)
    if not isinstance(name, str) or not _NAME.match(name):
        raise fail("name", _name_reason(name))
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise fail("description", f"must be a string, got {_type(description)}")

    if "game" not in raw:
        raise fail("game", 'missing: name the game to run (e.g. game = "toy")')
    game = raw["game"]
    if not isinstance(game, str):
        raise fail("game", f"must be a string, got {_type(game)}")
    try:
        game_class = get_game(game)
    except KeyError as exc:
        raise fail("game", str(exc.args[0])) from None

    seed = raw.get("seed", 0)
    if type(seed) is not int or seed < 0:
        raise fail("seed", f"must be a non-negative int, got {seed!r}")
    replicates = _replicates(raw.get("seeds", 1), fail)
    crn = raw.get("common_random_numbers", False)
    if not isinstance(crn, bool):
        raise fail("common_random_numbers", f"must be true or false, got {crn!r}")

    tables: dict[str, dict[str, Any]] = {}
    for section in SECTIONS:
        table = raw.get(section, {})
        if not isinstance(table, dict):
            raise fail(section, f"must be a table ([{section}]), got {_type(table)}")
        tables[section] = table
    models: dict[str, type[BaseModel]] = {"params": game_class.Params, "device": DeviceConfig}
    for section, table in tables.items():
        for key in table:
            _check_field(models[section], section, key, game, fail)

    sweep = _sweep(raw.get("sweep", {}), models, game, fail)
    _check_baseline(raw.get("baseline", {}), sweep, fail)
    base_params = _validate(models["params"], tables["params"], "params", None, fail)
    base_device = _validate(DeviceConfig, tables["device"], "device", None, fail)
    assert isinstance(base_device, DeviceConfig)

    grid = math.prod(len(values) for _, values in sweep)
    if grid * len(replicates) > MAX_RUNS:
        raise fail(
            "sweep" if grid > MAX_RUNS else "seeds",
            f"{grid:,} grid points × {len(replicates):,} seeds = "
            f"{grid * len(replicates):,} runs, more than the {MAX_RUNS:,} one sweep may hold",
        )
    points: list[GridPoint] = []
    keys = [key for key, _ in sweep]
    for index, combo in enumerate(itertools.product(*(values for _, values in sweep))):
        values = dict(zip(keys, combo, strict=True))
        merged = copy.deepcopy(tables)
        for key, value in values.items():
            section, *path = key.split(".")
            _set(merged[section], path, value)
        where = ", ".join(f"{k} = {_show(v)}" for k, v in values.items())
        params = _validate(models["params"], merged["params"], "params", where, fail)
        device = _validate(DeviceConfig, merged["device"], "device", where, fail)
        assert isinstance(device, DeviceConfig)
        points.append(GridPoint(index, values, params, device))

    return Scenario(
        name=name,
        game=game,
        game_class=game_class,
        description=description,
        seed=seed,
        replicates=replicates,
        common_random_numbers=crn,
        params=base_params,
        device=base_device,
        sweep=tuple(sweep),
        points=tuple(points),
        source=text,
    )


def _check_baseline(
    value: object, sweep: Sequence[tuple[str, tuple[Any, ...]]], fail: Fail
) -> None:
    """``baseline`` must name exactly one grid point: swept keys, each with one of its
    values, and every swept key when the sweep has several (the report pairs designs
    with it, :mod:`accord.lab.paired`)."""
    if not isinstance(value, dict):
        raise fail("baseline", f"must be a table of swept keys to values, got {_type(value)}")
    values = dict(sweep)
    for key, chosen in value.items():
        if key not in values:
            known = ", ".join(values) or "none"
            raise fail(f"baseline.{key}", f"not a swept key (swept: {known})")
        if chosen not in values[key]:
            shown = ", ".join(_show(v) for v in values[key])
            raise fail(f"baseline.{key}", f"{_show(chosen)} is not one of the swept values {shown}")
    if value and len(value) != len(values):
        missing = ", ".join(k for k in values if k not in value)
        raise fail("baseline", f"names one design: give every swept key (missing {missing})")


def _replicates(value: object, fail: Fail) -> tuple[int, ...]:
    if type(value) is int:
        if not 1 <= value <= MAX_RUNS:
            raise fail("seeds", f"must be a count in [1, {MAX_RUNS:,}], got {value:,}")
        return tuple(range(value))
    if isinstance(value, list):
        if not value:
            raise fail("seeds", "the list of replicates is empty")
        for i, v in enumerate(value):
            if type(v) is not int or v < 0:
                raise fail(f"seeds[{i}]", f"must be a non-negative int, got {v!r}")
        if len(set(value)) != len(value):
            raise fail("seeds", f"lists a replicate twice: {value}")
        return tuple(value)
    raise fail("seeds", f"must be a count (int) or a list of ints, got {_type(value)}")


def _check_field(
    model: type[BaseModel], section: str, key: str, game: str, fail: Fail, where: str = ""
) -> None:
    if key not in model.model_fields:
        owner = f"the {game} game's params" if section == "params" else "DeviceConfig"
        known = ", ".join(model.model_fields) or "none"
        raise fail(f"{where}{section}.{key}", f"unknown key ({owner} has: {known})")


def _sweep(
    table: object, models: Mapping[str, type[BaseModel]], game: str, fail: Fail
) -> list[tuple[str, tuple[Any, ...]]]:
    if not isinstance(table, dict):
        raise fail("sweep", f"must be a table ([sweep]), got {_type(table)}")
    sweep: list[tuple[str, tuple[Any, ...]]] = []
    for key, values in table.items():
        if isinstance(values, dict):  # [sweep] device.ordering = [...] without quotes
            raise fail(
                f"sweep.{key}",
                f'quote dotted sweep keys ("{key}.…" = [...]); TOML read this as a table',
            )
        section, _, rest = key.partition(".")
        if section not in SECTIONS or not rest:
            raise fail(
                f"sweep.{key}",
                "a sweep key starts with 'params.' or 'device.' and names a field "
                '(e.g. "device.ordering")',
            )
        path = rest.split(".")
        if any(not part for part in path):
            raise fail(f"sweep.{key}", "has an empty part")
        _check_field(models[section], section, path[0], game, fail, where="sweep.")
        if not isinstance(values, list):
            raise fail(f"sweep.{key}", f"must be a list of values, got {_type(values)}")
        if not values:
            raise fail(f"sweep.{key}", "the list is empty: a sweep needs at least one value")
        seen: set[str] = set()
        for value in values:
            canon = canonical_json(value)
            if canon in seen:
                raise fail(f"sweep.{key}", f"lists {_show(value)} twice")
            seen.add(canon)
        sweep.append((key, tuple(values)))
    return sweep


def _set(table: dict[str, Any], path: Sequence[str], value: Any) -> None:
    for part in path[:-1]:
        inner = table.get(part)
        if inner is None:
            inner = table[part] = {}
        if not isinstance(inner, dict):
            raise TypeError(f"{part} is not a table")
        table = inner
    table[path[-1]] = value


def _validate(
    model: type[BaseModel],
    table: dict[str, Any],
    section: str,
    where: str | None,
    fail: Fail,
) -> BaseModel:
    try:
        return model.model_validate(table)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(part) for part in (section, *first["loc"]))
        reason = _reason(first)
        if len(exc.errors()) > 1:
            reason += f" (and {len(exc.errors()) - 1} more)"
        if where:
            reason += f" [at the grid point {where}]"
        raise fail(loc, reason) from None


def _reason(error: Mapping[str, Any]) -> str:
    kind, message = error["type"], str(error["msg"])
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "missing: required"
    message = message.removeprefix("Value error, ")
    return f"{message} (got {_show(error.get('input'))})"


def _name_reason(name: object) -> str:
    return (
        "must be a non-empty name of letters, digits, '.', '_' or '-' (it names the run's "
        f"directory), got {name!r}"
    )


def _type(value: object) -> str:
    return {
        bool: "a boolean",
        int: "an int",
        float: "a float",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _show(value: object) -> str:
    return json.dumps(value) if isinstance(value, str) else canonical_json(value)


def plain(value: object) -> str:
    """A value as a label shows it: strings bare, everything else as canonical JSON."""
    return value if isinstance(value, str) else canonical_json(value)


def canonical_json(value: object) -> str:
    """Compact JSON with sorted keys: the canonical text of a value (TOML dates as text)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def short_key(key: str) -> str:
    """``device.ordering`` -> ``ordering`` (the last part of a dotted key)."""
    return key.rsplit(".", 1)[-1]
