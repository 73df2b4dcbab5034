"""What one fisher sees and may decide: the fishery's small decision API.

Each decision is one call with one answer, so that a small language model can make it
(issue 14: short names, choices to pick from, one decision per call):

* :meth:`Fisher.catch` → how many tons to ask for this round (an ``int >= 0``);
* :meth:`Fisher.propose` → a quota contract :class:`Terms` (or ``None``: propose none);
* :meth:`Fisher.accept` → ``True``/``False`` to a proposed :class:`Terms`.

:class:`FisherView` is all a fisher is told (GovSim's observation: the stock, the
sustainability threshold, the month, and the others' catches when they are public),
plus the quota contract in force and, while one is being negotiated, the proposal. The
game (:class:`accord.games.fishery_session.FisherySession`) builds it and checks every
answer before it reaches the device.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol, runtime_checkable

__all__ = ["PHASES", "Fisher", "FisherView", "Terms"]

PHASES = ("propose", "accept", "harvest", "over")
"""A season's phases: a proposal may open it, the others respond, then the rounds."""

_EMPTY: Mapping[str, int] = MappingProxyType({})


@dataclass(frozen=True, slots=True, order=True)
class Terms:
    """A quota contract: each party may catch ``quota`` tons a round; each ton above it
    costs ``penalty`` fish, split equally among the other parties (exact split:
    :mod:`accord.mechanisms.contracting`). ``deposit`` is what each party locks to back
    its penalties (the game sets it to cover the largest one-round excess)."""

    quota: int
    penalty: int
    deposit: int = 0

    def __post_init__(self) -> None:
        for name in ("quota", "penalty", "deposit"):
            value = getattr(self, name)
            if type(value) is not int or value < 0:
                raise ValueError(f"{name} must be a non-negative int, got {value!r}")

    def fine(self, catch: int) -> int:
        """What a catch of ``catch`` costs its catcher under these terms."""
        return self.penalty * max(0, catch - self.quota)


@dataclass(frozen=True, slots=True)
class FisherView:
    """One fisher's observation (module docstring). Amounts are tons (= base units of the
    fish asset); ``last_catches`` is every licensed fisher's catch in the previous round
    (empty in round 1), ``others_last`` the same without this fisher."""

    fisher: str
    fishers: tuple[str, ...]
    phase: str
    round: int
    rounds: int
    stock: int
    threshold: int
    capacity: int
    collapse_below: int
    growth: int
    last_catches: Mapping[str, int] = field(default_factory=lambda: _EMPTY)
    caught: int = 0
    """What this fisher has caught so far this season."""
    balance: int = 0
    """This fisher's free balance of the fish asset (its catches, endowment, transfers)."""
    contract: Terms | None = None
    """The quota contract in force (all accepted), or ``None``."""
    proposal: Terms | None = None
    """While responding: the terms proposed."""
    proposer: str = ""
    menu: tuple[Terms, ...] = ()
    """The contracts that may be proposed (the discretised contract space)."""
    collapsed: bool = False

    @property
    def others_last(self) -> dict[str, int]:
        return {k: v for k, v in self.last_catches.items() if k != self.fisher}

    @property
    def fair_share(self) -> int:
        """This fisher's equal share of the stock: ``stock // fishers``."""
        return self.stock // len(self.fishers)


@runtime_checkable
class Fisher(Protocol):
    """A fisher: one decision per call (module docstring)."""

    name: str

    def catch(self, view: FisherView) -> int: ...

    def propose(self, view: FisherView) -> Terms | None: ...

    def accept(self, view: FisherView, terms: Terms) -> bool: ...
