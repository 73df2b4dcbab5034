"""When a time-bandit fork pays: MEV in the reorged range against the rewards a lost race forgoes.

A builder (or coalition) with share ``α`` of block production sees MEV ``V`` it could
capture by replacing the last ``d`` blocks, which others built (a "time-bandit attack":
Daian et al., "Flash Boys 2.0", IEEE S&P 2020, §6; Qin, Zhou & Gervais, "Quantifying
Blockchain Extractable Value: How dark is the forest?", IEEE S&P 2022, weigh such MEV
against the block rewards a fork puts at risk). Each block pays its builder ``R``.

**The race.** From the fork point the attacker builds only on its fork, everyone else on
the public chain. Each new block is the attacker's with probability ``α``, independently.
Let the deficit ``D`` be how many blocks the attacker must still build to be one block
ahead: it starts at ``d + 1`` (the device's fork choice, ``longest``, keeps the chain in
place on a tie, :func:`accord.device.forks.fork_wins`), falls by one with each of the
attacker's blocks and rises by one with each public block. The attacker wins at ``D = 0``
(its fork is adopted, its blocks and ``V`` are its own) and gives up at
``D = d + 1 + g``: once the public chain has gained ``g`` blocks on it (its blocks are
then orphaned). This is the gambler's ruin (Feller, *An Introduction to Probability
Theory and Its Applications*, vol. 1, ch. XIV.2): with ``ρ = α / (1 − α)`` and
``N = d + 1 + g``::

    P_win = (ρ^(d+1) − ρ^N) / (1 − ρ^N)            (ρ ≠ 1; (N − d − 1) / N at ρ = 1)

which tends to Nakamoto's ``ρ^(d+1)`` as ``g → ∞`` ("Bitcoin", 2008, §11).

**What it costs.** Had the attacker built honestly, the blocks it built during the race
would have paid ``R`` each on the public chain (the same luck: the same blocks). Won, its
fork pays them too; lost, they are orphaned. So forking beats honest building by::

    gain = P_win · V − R · E[A ; lost]

where ``A`` is how many blocks the attacker built in the race. ``E[A ; lost]`` solves
the linear recurrence ``F(D) = α (F(D−1) + L(D−1)) + (1 − α) F(D+1)`` with ``F(0) =
F(N) = 0`` and ``L = 1 − P_win`` from ``D`` (:func:`race`), solved exactly in fractions.
The fork is rational when ``V`` exceeds the threshold ``V* = R · E[A ; lost] / P_win``
(:func:`threshold`); ``V*`` is in units of ``R`` when ``R = 1``. Deeper finality helps
only by refusing the fork (``d`` beyond ``finality_depth``); a deeper fork's threshold
grows roughly by the factor ``(1 − α) / α`` per block.

The model leaves out: uncle rewards, the public builders reacting (they could join a
fork that pays them), network delay (the attacker's blocks arrive at once), and MEV the
public chain would have given the attacker anyway.
The literature's own threshold (Gervais et al.'s mining MDP, 4 block rewards at
α = 10 %) is :mod:`accord.mechanisms.bandit_mdp`; ``docs/finality.md`` compares the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

__all__ = [
    "MAX_BLOCKS",
    "Race",
    "capped_race",
    "race",
    "rational",
    "threshold",
    "win_probability",
]

MAX_BLOCKS = 256
"""The largest ``d + 1 + g`` the model solves (the recurrence is solved exactly)."""


@dataclass(frozen=True, slots=True)
class Race:
    """A race's outcome probabilities and expectations from the fork point."""

    win: Fraction
    """The probability that the fork is adopted."""
    blocks_lost: Fraction
    """``E[A ; lost]``: the attacker's blocks orphaned, in expectation."""


def _share(alpha: object) -> Fraction:
    if type(alpha) is bool or not isinstance(alpha, (int, Fraction)):
        raise TypeError(f"alpha must be an int or Fraction, got {type(alpha).__name__}")
    share = Fraction(alpha)
    if not 0 < share < 1:
        raise ValueError(f"alpha must be in (0, 1), got {share}")
    return share


def _blocks(depth: object, give_up: object) -> int:
    for name, value in (("depth", depth), ("give_up", give_up)):
        if type(value) is not int:
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    total = depth + 1 + give_up  # type: ignore[operator]
    if total > MAX_BLOCKS:
        raise ValueError(f"depth + 1 + give_up must be <= {MAX_BLOCKS}, got {total}")
    return int(total)


def win_probability(alpha: int | Fraction, depth: int, give_up: int) -> Fraction:
    """``P_win`` in closed form (module docstring)."""
    a, n = _share(alpha), _blocks(depth, give_up)
    start = depth + 1
    rho = a / (1 - a)
    if rho == 1:
        return Fraction(n - start, n)
    return (rho**start - rho**n) / (1 - rho**n)


def _solve(alpha: Fraction, n: int, rhs: list[Fraction]) -> list[Fraction]:
    """``x`` on ``0..n`` with ``x[0] = x[n] = 0`` and, for ``0 < i < n``,
    ``x[i] − α x[i−1] − (1 − α) x[i+1] = rhs[i]`` (Thomas's tridiagonal algorithm)."""
    beta = 1 - alpha
    c = [Fraction(0)] * (n + 1)
    d = [Fraction(0)] * (n + 1)
    for i in range(1, n):
        denominator = 1 + alpha * c[i - 1]  # b_i − a_i c'_{i−1}, with a_i = −α, b_i = 1
        c[i] = -beta / denominator
        d[i] = (rhs[i] + alpha * d[i - 1]) / denominator
    x = [Fraction(0)] * (n + 1)
    for i in range(n - 1, 0, -1):
        x[i] = d[i] - c[i] * x[i + 1]
    return x


def race(alpha: int | Fraction, depth: int, give_up: int) -> Race:
    """The race from the fork point (deficit ``depth + 1``), solved exactly."""
    a, n = _share(alpha), _blocks(depth, give_up)
    # P(D): win from D. P(0) = 1 enters row 1's right-hand side as α · 1.
    rhs = [Fraction(0)] * (n + 1)
    rhs[1] = a
    p = _solve(a, n, rhs)
    p[0] = Fraction(1)
    lost = [1 - x for x in p]
    # F(D) = α (F(D−1) + L(D−1)) + (1 − α) F(D+1): the α L(D−1) term is known.
    rhs = [Fraction(0)] + [a * lost[i - 1] for i in range(1, n)] + [Fraction(0)]
    f = _solve(a, n, rhs)
    return Race(p[depth + 1], f[depth + 1])


def threshold(alpha: int | Fraction, depth: int, give_up: int, reward: int = 1) -> Fraction:
    """``V*``: the MEV above which forking ``depth`` blocks beats building honestly."""
    if type(reward) is not int or reward < 0:
        raise ValueError(f"reward must be a non-negative int, got {reward!r}")
    outcome = race(alpha, depth, give_up)
    return reward * outcome.blocks_lost / outcome.win


def rational(alpha: int | Fraction, depth: int, give_up: int, reward: int, mev: int) -> bool:
    """Whether forking for ``mev`` beats building honestly (strictly)."""
    if type(mev) is not int or mev < 0:
        raise ValueError(f"mev must be a non-negative int, got {mev!r}")
    return mev > threshold(alpha, depth, give_up, reward)


def capped_race(alpha: int | Fraction, depth: int, give_up: int, cap: int) -> Race:
    """The race when the device refuses a fork deeper than ``depth + cap`` blocks.

    With ``finality_depth = k`` a fork that replaces ``depth`` blocks plus the ``j``
    public blocks built during the race is refused once ``depth + j > k``: the race is
    lost at the ``(cap + 1)``-th public block, ``cap = k - depth``, whatever the gap.
    (The gambler's-ruin barrier of :func:`race` bounds the *net* gap, not the public
    blocks, so it cannot express this.) Solved exactly by a forward pass over the
    states ``(public blocks, bandit blocks)``: each step adds the bandit's block with
    probability ``α``, else a public one; absorbing when the bandit is one block ahead
    (won), the public chain ``give_up`` ahead, or the fork too deep (lost). With a cap
    large enough never to bind, this is :func:`race` (the tests compare them).
    """
    a = _share(alpha)
    _blocks(depth, give_up)
    if type(cap) is not int:
        raise TypeError(f"cap must be an int, got {type(cap).__name__}")
    if not 0 <= cap <= MAX_BLOCKS:
        raise ValueError(f"cap must be in 0..{MAX_BLOCKS}, got {cap}")
    win = Fraction(0)
    lost_blocks = Fraction(0)
    live = {(0, 0): Fraction(1)}  # (public, own) -> probability, not absorbed
    while live:
        nxt: dict[tuple[int, int], Fraction] = {}
        for (public, own), prob in live.items():
            for step_prob, state in ((a, (public, own + 1)), (1 - a, (public + 1, own))):
                q = prob * step_prob
                pub, mine = state
                if mine - pub == depth + 1:
                    win += q
                elif pub - mine >= give_up or pub > cap:
                    lost_blocks += q * mine
                else:
                    nxt[state] = nxt.get(state, Fraction(0)) + q
        live = nxt
    return Race(win, lost_blocks)
