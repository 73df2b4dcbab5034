"""A unilateral stake in a matrix dilemma: exact payoffs, equilibria, iterated dominance.

A *unilateral commitment* (issue 14's variant; Haupt, Christoffersen, Damani &
Hadfield-Menell, "Formal Contracts Mitigate Social Dilemmas in Multi-Agent RL", 2024,
discuss contracts that bind one side only) is a contract only the committer can owe on:
it stakes ``θ`` on its own defection, paid to the others in equal shares, and needs
nobody's acceptance (``unilateral_space`` with threshold 0, feature 1 = defect). Unlike
the mutual contract (:func:`accord.mechanisms.dilemmas.with_transfer`) it breaks the
game's symmetry, so the functions here work on *profiles*: one bool per player, ``True``
for cooperate.

- the committer's defection costs it ``θ`` whatever the others do, so cooperating is
  strictly dominant for it iff ``θ > θ_commit = max_k (D(k) − C(k))``
  (:func:`theta_commit`): ``max(T − R, P − S)`` with two players, 2 in the textbook
  prisoner's dilemma (5/3/1/0), 3 in the stag hunt (R=4, T=P=3, S=0);
- the others' incentives do not change (what they receive does not depend on their own
  move), so a stake cannot make a defector cooperate in the prisoner's dilemma: with
  ``θ > 2`` the only equilibrium is (C, D), welfare ``S + T = 5`` of the optimum 6;
  in the stag hunt, where the other's best reply to a stag hunter is stag (R > T),
  ``θ > 3`` leaves (stag, stag) as the only strategy profile to survive iterated strict
  dominance, hence the only Nash equilibrium, pure or mixed (Fudenberg & Tirole, *Game
  Theory*, 1991, §2.1: iterated strict dominance never removes an equilibrium strategy).

Exact rationals throughout; the device splits ``θ`` in integers (the first ``θ mod (n−1)``
receivers one unit more), which the mean share here differs from by less than one unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from itertools import product

from accord.mechanisms.dilemmas import Dilemma, Number, payoff

__all__ = [
    "MAX_PLAYERS",
    "Profile",
    "pure_equilibria",
    "stake_payoffs",
    "surviving",
    "theta_commit",
]

Profile = tuple[bool, ...]
"""One move per player: ``True`` cooperates."""

MAX_PLAYERS = 12
"""Most players the enumerations here take (they visit all ``2**n`` profiles)."""


def _stake(game: Dilemma, theta: Number, committer: int) -> Fraction:
    if isinstance(theta, bool) or not isinstance(theta, int | Fraction):
        raise TypeError(f"theta must be an int or a Fraction, got {theta!r}")
    if theta < 0:
        raise ValueError(f"theta must be >= 0, got {theta!r}")
    if type(committer) is not int or not 0 <= committer < game.n:
        raise ValueError(f"committer must be a player index < {game.n}, got {committer!r}")
    if game.n > MAX_PLAYERS:
        raise ValueError(f"at most {MAX_PLAYERS} players, got {game.n}")
    return Fraction(theta)


def _profile(game: Dilemma, profile: Sequence[bool]) -> Profile:
    if not isinstance(profile, tuple | list) or len(profile) != game.n:
        raise ValueError(f"profile must be {game.n} bools, got {profile!r}")
    if any(type(c) is not bool for c in profile):
        raise ValueError(f"profile must hold bools (True cooperates), got {profile!r}")
    return tuple(profile)


def _payoffs(
    game: Dilemma, stake: Fraction, committer: int, moves: Profile
) -> tuple[Fraction, ...]:
    total = sum(moves)
    out = [payoff(game, c, total - c) for c in moves]
    if not moves[committer]:
        share = stake / (game.n - 1)
        out = [x - stake if i == committer else x + share for i, x in enumerate(out)]
    return tuple(out)


def stake_payoffs(
    game: Dilemma, theta: Number, profile: Sequence[bool], committer: int = 0
) -> tuple[Fraction, ...]:
    """Each player's payoff plus transfer in ``profile`` when ``committer`` stakes ``θ``
    on its own defection (paid to the others in equal shares); they sum to the game's
    welfare (the transfer is zero-sum)."""
    stake = _stake(game, theta, committer)
    return _payoffs(game, stake, committer, _profile(game, profile))


def theta_commit(game: Dilemma) -> Fraction:
    """``θ_commit = max_k (D(k) − C(k))``: cooperating is strictly dominant for the
    committer iff its stake ``θ > θ_commit`` (negative when it already is)."""
    return max(d - c for c, d in zip(game.cooperate, game.defect, strict=True))


def pure_equilibria(game: Dilemma, theta: Number, committer: int = 0) -> tuple[Profile, ...]:
    """Every pure Nash equilibrium (weak: ties allowed) of the game under the stake, in
    the order of :func:`itertools.product` over ``(True, False)``."""
    stake = _stake(game, theta, committer)
    found = []
    for moves in product((True, False), repeat=game.n):
        mine = _payoffs(game, stake, committer, moves)
        if all(
            mine[i] >= _payoffs(game, stake, committer, _flip(moves, i))[i] for i in range(game.n)
        ):
            found.append(moves)
    return tuple(found)


def _flip(moves: Profile, i: int) -> Profile:
    return tuple(not c if j == i else c for j, c in enumerate(moves))


def surviving(game: Dilemma, theta: Number, committer: int = 0) -> tuple[tuple[bool, ...], ...]:
    """The moves each player keeps after iterated elimination of strictly dominated
    strategies (by pure strategies, all players at once each pass, until nothing
    changes): ``((True,), (True,))`` is "both cooperate, and nothing else survives"."""
    stake = _stake(game, theta, committer)
    n = game.n
    left: list[tuple[bool, ...]] = [(True, False)] * n
    while True:
        changed = False
        new = list(left)
        for i in range(n):
            if len(left[i]) < 2:
                continue
            for mine, other in ((True, False), (False, True)):
                if _dominates(game, stake, committer, left, i, other, mine):
                    new[i] = (other,)
                    changed = True
                    break
        left = new
        if not changed:
            return tuple(left)


def _dominates(
    game: Dilemma,
    stake: Fraction,
    committer: int,
    left: Sequence[tuple[bool, ...]],
    i: int,
    better: bool,
    worse: bool,
) -> bool:
    """Whether ``better`` strictly beats ``worse`` for player ``i`` against every
    surviving profile of the others."""
    others = [left[j] for j in range(len(left)) if j != i]
    for rest in product(*others):
        a = (*rest[:i], better, *rest[i:])
        b = (*rest[:i], worse, *rest[i:])
        if _payoffs(game, stake, committer, a)[i] <= _payoffs(game, stake, committer, b)[i]:
            return False
    return True
