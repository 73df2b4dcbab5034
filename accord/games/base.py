"""What a game is, to the lab: typed parameters in, one seeded run, metrics out.

A game is a scenario as code (who plays, on which contracts, what is measured). The lab
(:mod:`accord.lab`) reads a scenario file, validates the game's parameters with the
game's own pydantic model, sweeps them over seeds and grids, and stores each run's
:class:`GameResult`. Games register themselves by name with :func:`register_game`, so a
scenario file can say ``game = "defi_routing"``.

A run must be a pure function of ``(params, device config, seed)``: the same inputs give
the same metrics and the same final state hash (``DESIGN.md``: determinism).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar

from pydantic import BaseModel

from accord.device.config import DeviceConfig
from accord.games.glossary import Glossary


@dataclass(frozen=True)
class GameResult:
    """One run's outcome.

    ``metrics`` are the scalar figures a sweep compares (user surplus, MEV, price of
    anarchy, failed transactions …); ``tables`` are optional long-form rows (per agent,
    per block) that the lab stores beside them; ``state_hash`` is the device's final
    state hash in hex, the run's fingerprint.
    """

    metrics: Mapping[str, float | int]
    state_hash: str
    blocks: int
    tables: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)


class Game(Protocol):
    """A runnable scenario. ``Params`` is its pydantic parameter model; ``glossary``
    declares every metric its runs report (:mod:`accord.games.glossary`), which the
    lab's report renders and uses for each metric's support and direction."""

    name: ClassVar[str]
    Params: ClassVar[type[BaseModel]]
    glossary: ClassVar[Glossary]

    def run(self, params: BaseModel, device: DeviceConfig, seed: int) -> GameResult: ...


GAMES: dict[str, type[Game]] = {}
G = TypeVar("G", bound=type[Any])


def register_game(cls: G) -> G:
    """Class decorator: make a game available to scenarios under ``cls.name``."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name:
        raise TypeError(f"{cls.__name__} needs a class attribute `name`")
    if name in GAMES and GAMES[name] is not cls:
        raise ValueError(f"a different game is already registered as {name!r}")
    GAMES[name] = cls
    return cls


def game_glossary(name: str) -> Glossary:
    """The glossary of the registered game ``name``; empty for an unknown game or one
    that declares none (a run directory written by a game this installation lacks)."""
    try:
        game = get_game(name)
    except KeyError:
        return {}
    declared: Glossary = getattr(game, "glossary", {})
    return declared


def get_game(name: str) -> type[Game]:
    """The registered game called ``name`` (importing the built-in games first)."""
    _import_builtin_games()
    try:
        return GAMES[name]
    except KeyError:
        known = ", ".join(sorted(GAMES)) or "none"
        raise KeyError(f"unknown game {name!r} (known: {known})") from None


BUILTIN_GAME_MODULES: tuple[str, ...] = (
    "accord.games.toy",
    "accord.games.defi.routing",
    "accord.games.llm_defi",
    "accord.games.futarchy",
    "accord.games.emissions",
    "accord.games.deal_or_no_deal",
    "accord.games.arbitration",
    "accord.games.bilateral_trade",
    "accord.games.fishery",
    "accord.games.fishery_llm",
    "accord.games.social_dilemma",
    "accord.games.commitment_race",
    "accord.games.extortion",
    "accord.games.coase",
    "accord.games.latency_race",
    "accord.games.congestion",
    "accord.games.congestion_device",
    "accord.games.time_bandit",
)
"""Modules imported by :func:`get_game` so their ``@register_game`` classes exist."""


def _import_builtin_games() -> None:
    import importlib

    for module in BUILTIN_GAME_MODULES:
        importlib.import_module(module)
