"""Jurors of the court: honest readers of noisy evidence, lazy voters, bribed voters.

Each is an :class:`~accord.agents.base.Agent` for :class:`accord.contracts.court.Court`.
Its observation's ``private["summons"]`` holds the :class:`Summons` es it must answer now
(a dispute it was drawn in, the period, its private reading of the evidence, any bribe);
for each it signs one ``commit`` (in the commit period) or ``reveal`` (in the vote
period), nothing else. The salt of each commitment comes from the juror's own seeded
generator and stays with it until it reveals (``docs/arbitration.md``, "Court").
:func:`summons` builds the summons from the court's ``duty`` view.

* :class:`HonestJuror` votes its **signal**: the true verdict with probability
  ``accuracy`` (:func:`accord.agents.arbitration.evidence.signal`, the noisy evidence of
  Condorcet's jury theorem).
* :class:`LazyJuror` does not read: it votes a uniformly random choice in ``1 ..
  choices``, and reveals only with probability ``reveal_rate`` (a juror that does not
  reveal is incoherent and loses its stake at risk).
* :class:`BribedJuror` votes the briber's choice whenever a bribe of at least ``price``
  is on offer, else its signal (a juror that sells its vote: the bribery that the
  court's appeals and coherence penalties are there to make unprofitable).

:class:`HonestyMix` is the population's make-up and :func:`make_jurors` builds it.
:func:`vote_accuracy` and :func:`jury_accuracy` give the closed forms the tests check
simulations against: a drawn juror votes the truth with probability ``p = h·a + l/k``
(``h``, ``l`` the honest and lazy shares, ``a`` the accuracy, ``k`` the number of
choices; bribed jurors vote for the briber, who is on the wrong side), and with draws
independent (drawn by stake, with replacement) a round of ``n`` rules the truth when
more than half of it does: Condorcet's ``P(n, p)``, exactly so for two choices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from accord.agents.arbitration.evidence import majority_accuracy
from accord.agents.base import Action, Observation
from accord.device import Account
from accord.mechanisms.commit_reveal import MIN_SALT_BYTES, commitment_hash

__all__ = [
    "JUROR_KINDS",
    "VOTE_GAS",
    "BribedJuror",
    "HonestJuror",
    "HonestyMix",
    "Juror",
    "LazyJuror",
    "Summons",
    "jury_accuracy",
    "make_jurors",
    "summons",
    "vote_accuracy",
]

VOTE_GAS = 300_000
"""Gas limit of a juror's commit or reveal."""


@dataclass(frozen=True, slots=True)
class Summons:
    """One thing a juror must do now: ``period`` is ``"commit"`` or ``"vote"``;
    ``signal`` is its private reading of the evidence (a choice); ``bribe`` is
    ``(choice, amount)`` if someone pays for a vote."""

    dispute: int
    round: int
    period: str
    choices: int
    signal: int
    bribe: tuple[int, int] | None = None


class Juror:
    """Shared plumbing: decide a choice at commit time, keep its salt, reveal it later."""

    kind: ClassVar[str] = "juror"

    def __init__(self, account: Account, court: str, rng: np.random.Generator) -> None:
        self.account = account
        self.name = account.address
        self.court = court
        self.rng = rng
        self.sealed: dict[tuple[int, int], tuple[int, bytes]] = {}
        self.votes = self.reveals = 0

    def decide(self, summons: Summons) -> int:
        raise NotImplementedError

    def will_reveal(self, summons: Summons) -> bool:
        return True

    def act(self, obs: Observation) -> Sequence[Action]:
        out: list[Action] = []
        nonce = obs.nonce
        for s in obs.private.get("summons", ()):
            key = (s.dispute, s.round)
            if s.period == "commit" and key not in self.sealed:
                choice = self.decide(s)
                salt = self.rng.bytes(MIN_SALT_BYTES)
                self.sealed[key] = (choice, salt)
                sealed = commitment_hash((s.dispute, s.round, choice), salt, self.name)
                args: tuple[Any, ...] = ("commit", s.dispute, sealed)
                self.votes += 1
            elif s.period == "vote" and key in self.sealed and self.will_reveal(s):
                choice, salt = self.sealed.pop(key)
                args = ("reveal", s.dispute, choice, salt)
                self.reveals += 1
            else:
                continue
            out.append(
                self.account.sign(
                    nonce, self.court, *args, gas_limit=VOTE_GAS, max_fee=obs.max_fee(0)
                )
            )
            nonce += 1
        return out


class HonestJuror(Juror):
    """Votes its signal."""

    kind = "honest"

    def decide(self, summons: Summons) -> int:
        return summons.signal


class LazyJuror(Juror):
    """Votes at random and reveals with probability ``reveal_rate``."""

    kind = "lazy"

    def __init__(
        self, account: Account, court: str, rng: np.random.Generator, reveal_rate: float = 1.0
    ) -> None:
        super().__init__(account, court, rng)
        if not 0.0 <= reveal_rate <= 1.0:
            raise ValueError(f"reveal_rate must be in [0, 1], got {reveal_rate!r}")
        self.reveal_rate = reveal_rate

    def decide(self, summons: Summons) -> int:
        return int(self.rng.integers(1, summons.choices + 1))

    def will_reveal(self, summons: Summons) -> bool:
        return bool(self.rng.random() < self.reveal_rate)


class BribedJuror(Juror):
    """Votes for a briber that offers at least ``price``; otherwise its signal."""

    kind = "bribed"

    def __init__(
        self, account: Account, court: str, rng: np.random.Generator, price: int = 0
    ) -> None:
        super().__init__(account, court, rng)
        self.price = price
        self.bribed = 0

    def decide(self, summons: Summons) -> int:
        if summons.bribe is not None and summons.bribe[1] >= self.price:
            self.bribed += 1
            return summons.bribe[0]
        return summons.signal


JUROR_KINDS: dict[str, type[Juror]] = {
    "honest": HonestJuror,
    "lazy": LazyJuror,
    "bribed": BribedJuror,
}


@dataclass(frozen=True, slots=True)
class HonestyMix:
    """Shares of honest, lazy and bribed jurors (non-negative, summing to 1)."""

    honest: float = 1.0
    lazy: float = 0.0
    bribed: float = 0.0

    def __post_init__(self) -> None:
        shares = (self.honest, self.lazy, self.bribed)
        if any(not 0.0 <= s <= 1.0 for s in shares) or abs(sum(shares) - 1.0) > 1e-9:
            raise ValueError(f"honesty mix shares must be in [0, 1] and sum to 1, got {shares}")

    def counts(self, n: int) -> dict[str, int]:
        """``n`` jurors split by the largest-remainder rule (Hamilton's method): exact
        counts whose shares are as close to the mix as integers allow."""
        shares = {"honest": self.honest, "lazy": self.lazy, "bribed": self.bribed}
        floor = {k: int(v * n) for k, v in shares.items()}
        left = n - sum(floor.values())
        by_rest = sorted(shares, key=lambda k: (-(shares[k] * n - floor[k]), k))
        for k in by_rest[:left]:
            floor[k] += 1
        return floor


def make_jurors(
    accounts: Sequence[Account],
    court: str,
    mix: HonestyMix,
    rng: np.random.Generator,
    *,
    reveal_rate: float = 1.0,
    price: int = 0,
) -> list[Juror]:
    """One juror per account, kinds in :meth:`HonestyMix.counts` proportions, assigned
    to the accounts in an order shuffled by ``rng``; each juror gets its own generator
    spawned from ``rng``."""
    counts = mix.counts(len(accounts))
    kinds = [k for k in ("honest", "lazy", "bribed") for _ in range(counts[k])]
    order = rng.permutation(len(accounts))
    children = rng.spawn(len(accounts))
    out: list[Juror] = []
    for i, account in enumerate(accounts):
        kind, child = kinds[int(order[i])], children[i]
        if kind == "lazy":
            out.append(LazyJuror(account, court, child, reveal_rate))
        elif kind == "bribed":
            out.append(BribedJuror(account, court, child, price))
        else:
            out.append(HonestJuror(account, court, child))
    return out


def summons(
    view: Any,
    court: str,
    juror: str,
    disputes: Sequence[int],
    signal_of: Any,
    bribe_of: Any = None,
) -> list[Summons]:
    """The summons of ``juror`` for ``disputes``, read through ``view`` (a device's
    ``view``): one per dispute in which it was drawn in the current round and still
    owes a commit (commit period) or a reveal (vote period). ``signal_of(dispute)`` is
    its reading of that dispute's evidence; ``bribe_of(dispute)`` the bribe on offer."""
    out: list[Summons] = []
    for d in disputes:
        period, r, draws, committed, revealed = view(court, "duty", d, juror)
        if draws == 0:
            continue
        owes = (period == "commit" and not committed) or (
            period == "vote" and committed and not revealed
        )
        if owes:
            choices = view(court, "dispute", d)[1]
            bribe = bribe_of(d) if bribe_of is not None else None
            out.append(Summons(d, r, period, choices, signal_of(d), bribe))
    return out


def vote_accuracy(mix: HonestyMix, accuracy: float, choices: int = 2) -> float:
    """Chance that one drawn juror votes the truth: ``h·a + l/k`` (bribed jurors vote
    for the briber, on the wrong side; a lazy one hits the truth once in ``k``)."""
    return mix.honest * accuracy + mix.lazy / choices


def jury_accuracy(jurors: int, mix: HonestyMix, accuracy: float) -> float:
    """Chance that a round of ``jurors`` (odd), drawn independently, rules the truth in
    a two-choice dispute: Condorcet's ``P(n, p)`` with ``p`` = :func:`vote_accuracy`."""
    return majority_accuracy(jurors, vote_accuracy(mix, accuracy))
