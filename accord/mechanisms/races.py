"""Commitment races: who binds first in Chicken and the ultimatum game, and what it is worth.

Two players may each bind an action before play. The first commitment to bind fixes
that player's action; the other then best-responds (Schelling, *The Strategy of
Conflict*, 1960, ch. 2; Kokotajlo, "The commitment races problem", 2019). Winning the
race is worth ``V = u(win) − u(lose)`` to each player, and since committing is weakly
dominant (it binds when alone, and loses nothing when it does not), both race.

**The games.** Actions are ints, payoffs non-negative base units paid from a pot.

* *Chicken* (``0`` swerve, ``1`` straight), ``T > R > S > P ≥ 0``: swerve/swerve pays
  ``R`` each, straight against swerve ``T`` and ``S``, a crash ``P`` each. The winner
  commits to straight and the other swerves: ``V = T − S``.
* *Ultimatum* over a pie ``π`` (Güth, Schmittberger & Schwarze, JEBO 1982), in the
  strategy method: the proposer's action is its offer ``x``, the responder's its
  threshold ``y``; if ``x ≥ y`` the proposer gets ``π − x`` and the responder ``x``,
  else both get 0. A responder accepts only a positive offer, so the subgame-perfect
  play without commitments is ``x = 1`` accepted: ``(π − 1, 1)``. The proposer's
  commitment is that offer; the responder's is the threshold ``π − 1``, to which the
  proposer best-responds with ``x = π − 1``: ``(1, π − 1)``. ``V = π − 2``.

**The fee war.** Under priority-fee ordering both commitments land in one block, both
pay their fees (the loser's commitment is included and void), and the higher tip binds:
a first-price *all-pay* auction for a prize ``V`` both value alike. Its unique
equilibrium (Hillman & Riley, "Politically contestable rents and transfers", Econ. &
Politics 1989; Baye, Kovenock & de Vries, "The all-pay auction with complete
information", Econ. Theory 1996) has each player bid uniformly on ``[0, V]``: each pays
``V/2`` on average, the tips add up to ``V``, and each player's expected gain from the
race is zero. The race's rent is fully dissipated (:func:`all_pay`).

**Defusing it.** Where simultaneous commitments cancel (a commit-reveal window, or the
batch rule's one settlement per block), no order is left to buy: nobody bids, and with
both committing (still weakly dominant) neither binds, so play falls back to the game
without commitments: Chicken's symmetric mixed equilibrium (:func:`chicken_mixed`) and
the ultimatum game's own order (the proposer moves first).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

__all__ = [
    "AllPay",
    "RaceGame",
    "all_pay",
    "bid_per_gas",
    "chicken_mixed",
    "extortion",
]

SWERVE, STRAIGHT = 0, 1
Kind = Literal["chicken", "ultimatum"]


@dataclass(frozen=True)
class RaceGame:
    """One of the two games (module docstring), with its payoffs in base units.

    Chicken reads ``T, R, S, P``; the ultimatum game reads ``pie``. ``check`` validates
    them; :meth:`payoffs` maps an action pair to the two payoffs."""

    kind: Kind
    T: int = 0
    R: int = 0
    S: int = 0
    P: int = 0
    pie: int = 0

    def check(self) -> RaceGame:
        """``self``, or ``ValueError`` naming what is wrong."""
        if self.kind == "chicken":
            for name in ("T", "R", "S", "P"):
                v = getattr(self, name)
                if type(v) is not int or v < 0:
                    raise ValueError(f"chicken's {name} must be a non-negative int, got {v!r}")
            if not self.T > self.R > self.S > self.P:
                raise ValueError(
                    f"chicken needs T > R > S > P, got {self.T}, {self.R}, {self.S}, {self.P}"
                )
        elif self.kind == "ultimatum":
            if type(self.pie) is not int or self.pie < 3:
                raise ValueError(f"the ultimatum pie must be an int >= 3, got {self.pie!r}")
        else:
            raise ValueError(f"kind must be chicken or ultimatum, got {self.kind!r}")
        return self

    @property
    def top(self) -> int:
        """The largest action a player may take (its range is ``0..top``)."""
        return STRAIGHT if self.kind == "chicken" else self.pie

    @property
    def pot(self) -> int:
        """The most any action pair pays out in total: what the pot must hold."""
        if self.kind == "chicken":
            return max(2 * self.R, self.T + self.S, 2 * self.P)
        return self.pie

    def payoffs(self, a0: int, a1: int) -> tuple[int, int]:
        """The two players' payoffs for actions ``(a0, a1)``."""
        if self.kind == "chicken":
            table = {
                (SWERVE, SWERVE): (self.R, self.R),
                (STRAIGHT, SWERVE): (self.T, self.S),
                (SWERVE, STRAIGHT): (self.S, self.T),
                (STRAIGHT, STRAIGHT): (self.P, self.P),
            }
            return table[(a0, a1)]
        return (self.pie - a0, a0) if a0 >= a1 else (0, 0)

    def commitment(self, player: int) -> int:
        """The action ``player`` binds when it wins the race."""
        if self.kind == "chicken":
            return STRAIGHT
        return 1 if player == 0 else self.pie - 1

    def best_response(self, player: int, other: int) -> int:
        """``player``'s best reply to the other's bound action ``other``."""
        if self.kind == "chicken":
            return SWERVE if other == STRAIGHT else STRAIGHT
        if player == 0:  # proposer against a threshold: meet it exactly
            return other
        return other if other >= 1 else 1  # responder: accept any positive offer

    def winner_loser(self) -> tuple[int, int]:
        """What the race's winner and loser earn (the same for either player)."""
        bound = self.commitment(0)
        reply = self.best_response(1, bound)
        return self.payoffs(bound, reply)

    @property
    def prize(self) -> int:
        """``V``: how much more winning the race pays than losing it."""
        win, lose = self.winner_loser()
        return win - lose

    def fallback(self) -> tuple[Fraction, Fraction]:
        """Each player's expected payoff when no commitment binds."""
        if self.kind == "chicken":
            value = chicken_mixed(self).value
            return value, value
        return Fraction(self.pie - 1), Fraction(1)


@dataclass(frozen=True)
class Mixed:
    """Chicken's symmetric mixed equilibrium: the probability of straight and each
    player's expected payoff."""

    straight: Fraction
    value: Fraction


def chicken_mixed(game: RaceGame) -> Mixed:
    """Straight with ``q = (T − R) / ((T − R) + (S − P))`` makes the other indifferent;
    each then expects ``(1 − q) R + q S``."""
    q = Fraction(game.T - game.R, (game.T - game.R) + (game.S - game.P))
    return Mixed(q, (1 - q) * game.R + q * game.S)


@dataclass(frozen=True)
class AllPay:
    """The two-player complete-information all-pay auction for a common prize ``V``."""

    prize: int
    mean_bid: Fraction
    total_bids: Fraction
    dissipation: Fraction
    win_share: Fraction


def all_pay(prize: int) -> AllPay:
    """Both bid uniformly on ``[0, V]`` (Hillman & Riley 1989; Baye, Kovenock & de Vries
    1996): mean bid ``V/2``, expected total ``V``, rent dissipation 1, each wins half."""
    if type(prize) is not int or prize <= 0:
        raise ValueError(f"prize must be a positive int, got {prize!r}")
    return AllPay(prize, Fraction(prize, 2), Fraction(prize), Fraction(1), Fraction(1, 2))


def bid_per_gas(u: float, prize: int, win_gas: int, lose_gas: int) -> int:
    """The all-pay equilibrium bid, per gas, at quantile ``u ∈ [0, 1)``, when the winner's
    commitment uses ``win_gas`` and the void loser's ``lose_gas``.

    A tip per gas ``b`` ranks the commitment; it costs ``b · win_gas`` if it binds and
    ``b · lose_gas`` if it is void. With the rival's bid distribution ``F``, a bid's
    expected gain ``F(b) (V − b G_w) − (1 − F(b)) b G_l`` must equal that of bidding 0,
    which is 0, so ``F(b) = b G_l / (V − b (G_w − G_l))`` on ``[0, V / G_w]``; its inverse
    is ``b = u V / (G_l + u (G_w − G_l))``. Each player's expected gain over losing is 0,
    so the expected tips add up to ``V`` whatever the two gases (with ``G_w = G_l`` this is
    the uniform bid of :func:`all_pay`). Rounded down to an int tip per gas.
    """
    if not 0 <= u < 1:
        raise ValueError(f"u must be in [0, 1), got {u!r}")
    if win_gas <= 0 or lose_gas <= 0:
        raise ValueError(f"gases must be positive, got {win_gas}, {lose_gas}")
    return int(u * prize / (lose_gas + u * (win_gas - lose_gas)))


@dataclass(frozen=True)
class Extortion:
    """The extortion game's subgame-perfect outcome: whether the extorter threatens, the
    demand, whether the target pays, and each side's gain over no threat."""

    threatens: bool
    demand: int
    pays: bool
    extorter_gain: int
    target_gain: int


def extortion(harm: int, cost: int, *, committed: bool, pledged: bool) -> Extortion:
    """An extorter threatens harm ``h`` (costing it ``c`` to carry out) unless the target
    pays a demand ``x`` (Schelling 1960, ch. 2; Ellsberg, "The theory and practice of
    blackmail", 1968).

    * An uncommitted threat is empty: once refused, carrying it out only costs ``c``, so
      the target refuses and the extorter gains nothing.
    * A *committed* threat binds execution: the target pays iff ``x < h`` (paying costs
      ``x``, refusing ``h``), so the extorter demands ``x* = h − 1`` and gains it.
    * A target that has *pledged* first never to yield to a conditioned threat (commit
      not to commit: the device refuses threats conditioned on its actions) leaves
      nothing to gain: a threat, if it could be made, would be carried out at cost ``c``
      for nothing, so the extorter does not threaten; both gain 0.
    """
    for name, v in (("harm", harm), ("cost", cost)):
        if type(v) is not int or v <= 0:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    if pledged or not committed or harm < 2:
        return Extortion(False, 0, False, 0, 0)
    demand = harm - 1
    return Extortion(True, demand, True, demand, -demand)
