"""n-player binary social dilemmas and the transfer that makes cooperation pay.

Each of ``n`` symmetric players cooperates (C) or defects (D). A player's payoff depends
only on its own choice and on ``k``, the number of *other* players who cooperate: this is
Schelling's binary-choice game with externalities (Schelling, "Hockey helmets, concealed
weapons, and daylight saving", J. Conflict Resolution 17(3), 1973, whose "Schelling
diagram" plots exactly these two curves). A :class:`Dilemma` holds the two curves as exact
rationals: ``cooperate[k]`` and ``defect[k]`` for ``k = 0 .. n-1``.

**The four games.** Prisoner's dilemma, stag hunt and chicken interpolate the 2x2 matrix
(``R`` both cooperate, ``S`` the lone cooperator, ``T`` the lone defector, ``P`` both
defect) linearly in the share of others who cooperate (the linear n-person dilemma of
Dawes, "Social dilemmas", Annual Review of Psychology 31, 1980):

    C(k) = S + (R − S)·k/(n−1),        D(k) = P + (T − P)·k/(n−1),

so that with ``n = 2`` they are the matrix itself. The orderings name the games
(Rapoport & Chammah, *Prisoner's Dilemma*, 1965; Skyrms, *The Stag Hunt*, 2004):
``T > R > P > S`` the prisoner's dilemma, ``R > T ≥ P > S`` the stag hunt, ``T > R > S >
P`` chicken. The linear public goods game (Isaac & Walker, QJE 1988; Ledyard, "Public
goods: a survey", Handbook of Experimental Economics, 1995): each cooperator contributes
``c``, the pot is multiplied by ``r`` (``1 < r < n``) and shared equally:

    C(k) = r·c·(k+1)/n − c,            D(k) = r·c·k/n.

**Equilibria and optimum.** By symmetry a pure profile is determined, up to who is who,
by its number ``m`` of cooperators. It is a Nash equilibrium iff no cooperator gains by
defecting and no defector by cooperating:

    (m = 0 or C(m−1) ≥ D(m−1))  and  (m = n or D(m) ≥ C(m)).

Welfare is ``W(m) = m·C(m−1) + (n−m)·D(m)``; the social optimum maximises it over ``m``.

**The contract** (Haupt, Christoffersen, Damani & Hadfield-Menell, "Formal contracts
mitigate social dilemmas in multi-agent RL", AAMAS journal 2024, their static games):
every defector pays ``θ``, and what the defectors pay is split equally among the
cooperators; when nobody cooperates nobody pays (there is no one to pay). Transfers sum to
zero, so welfare is unchanged and only incentives move. With ``k`` others cooperating:

    C_θ(k) = C(k) + θ·(n−1−k)/(k+1),   D_θ(k) = D(k) − θ·[k ≥ 1].

The gain from cooperating is then ``C(k) − D(k) + θ·w(k)`` with ``w(0) = n − 1`` (a lone
cooperator collects from all others; defecting instead leaves no one to pay) and ``w(k) =
n/(k+1)`` for ``k ≥ 1`` (collect a share, and no longer pay θ). Hence, in closed form:

- all-cooperate is an equilibrium iff ``θ ≥ θ_eq = D(n−1) − C(n−1)`` (``w(n−1) = 1``):
  ``T − R`` for the three matrix games, ``c·(1 − r/n)`` for public goods;
- cooperating is strictly dominant iff ``θ > θ_dom = max_k (D(k) − C(k))/w(k)``. For the
  2-player matrix games this is ``max(P − S, T − R)``: with ``T=5, R=3, P=1, S=0`` the
  prisoner's dilemma needs ``θ > 2`` (``θ > 1`` against a defector, ``θ > 2`` against a
  cooperator); the stag hunt ``R=4, T=P=3, S=0`` needs ``θ > 3``. For public goods the
  gap is the constant ``c·(1 − r/n)`` and ``min_k w(k) = 1``, so ``θ_dom = θ_eq``.

The device splits an integer amount among ``m`` cooperators exactly (``amount // m`` each,
the first ``amount % m`` one unit more: ``accord.mechanisms.contracting``); the analysis
here uses the mean share, from which any party's share differs by less than one base unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

__all__ = [
    "Dilemma",
    "chicken",
    "equilibria",
    "equilibrium_payoff",
    "gain_from_cooperating",
    "matrix_game",
    "optimal_cooperators",
    "optimal_welfare",
    "payoff",
    "prisoners_dilemma",
    "public_goods",
    "stag_hunt",
    "theta_dominant",
    "theta_equilibrium",
    "welfare",
    "with_transfer",
]

Number = int | Fraction


def _exact(name: str, value: object) -> Fraction:
    """``value`` as a Fraction; floats, bools and non-numbers are refused (exactness)."""
    if isinstance(value, bool) or not isinstance(value, int | Fraction):
        raise TypeError(f"{name} must be an int or a Fraction, got {value!r}")
    return Fraction(value)


@dataclass(frozen=True)
class Dilemma:
    """A symmetric n-player binary game: payoffs by the number of *other* cooperators.

    ``cooperate[k]`` (``defect[k]``) is a cooperator's (defector's) payoff when ``k``
    others cooperate, ``k = 0 .. n-1``.
    """

    name: str
    cooperate: tuple[Fraction, ...]
    defect: tuple[Fraction, ...]

    def __post_init__(self) -> None:
        if len(self.cooperate) < 1 or len(self.cooperate) != len(self.defect):
            raise ValueError(
                f"{self.name}: cooperate and defect need the same length n - 1 + 1 >= 2, "
                f"got {len(self.cooperate)} and {len(self.defect)}"
            )
        if len(self.cooperate) < 2:
            raise ValueError(f"{self.name}: a dilemma needs at least 2 players")
        object.__setattr__(self, "cooperate", tuple(_exact("cooperate", x) for x in self.cooperate))
        object.__setattr__(self, "defect", tuple(_exact("defect", x) for x in self.defect))

    @property
    def n(self) -> int:
        """The number of players."""
        return len(self.cooperate)


def payoff(game: Dilemma, cooperates: bool, others: int) -> Fraction:
    """One player's payoff when it cooperates (or not) and ``others`` others cooperate."""
    if type(others) is not int or not 0 <= others < game.n:
        raise ValueError(f"others must be an int in [0, {game.n - 1}], got {others!r}")
    return game.cooperate[others] if cooperates else game.defect[others]


def welfare(game: Dilemma, cooperators: int) -> Fraction:
    """``W(m) = m·C(m−1) + (n−m)·D(m)``: the sum of payoffs with ``m`` cooperators."""
    n = game.n
    if type(cooperators) is not int or not 0 <= cooperators <= n:
        raise ValueError(f"cooperators must be an int in [0, {n}], got {cooperators!r}")
    m = cooperators
    total = Fraction(0)
    if m > 0:
        total += m * game.cooperate[m - 1]
    if m < n:
        total += (n - m) * game.defect[m]
    return total


def optimal_welfare(game: Dilemma) -> Fraction:
    """The social optimum: ``max_m W(m)``."""
    return max(welfare(game, m) for m in range(game.n + 1))


def optimal_cooperators(game: Dilemma) -> tuple[int, ...]:
    """Every number of cooperators ``m`` whose welfare is the optimum, increasing."""
    best = optimal_welfare(game)
    return tuple(m for m in range(game.n + 1) if welfare(game, m) == best)


def equilibria(game: Dilemma) -> tuple[int, ...]:
    """The numbers of cooperators ``m`` of the pure Nash equilibria (weak: ties allowed).

    A profile with ``m`` cooperators is an equilibrium iff ``(m = 0 or C(m−1) ≥ D(m−1))``
    and ``(m = n or D(m) ≥ C(m))`` (module docstring).
    """
    n, c, d = game.n, game.cooperate, game.defect
    return tuple(
        m for m in range(n + 1) if (m == 0 or c[m - 1] >= d[m - 1]) and (m == n or d[m] >= c[m])
    )


def equilibrium_payoff(game: Dilemma, theta: Number = 0) -> Fraction:
    """Each player's payoff, before anyone knows its role, in the *worst* pure equilibrium
    of the game under the contract ``θ``: ``min_m W(m)/n`` over the equilibria ``m``.

    A symmetric game with two strategies always has a pure equilibrium (Cheng, Reeves,
    Vorobeychik & Wellman, "Notes on equilibria in symmetric games", 2004, Theorem 1).
    The worst one is the cautious forecast of play: the stag hunt without a contract is
    all-hare (the risk-dominant equilibrium too, Harsanyi & Selten 1988, with the
    default payoffs), and with ``θ > θ_dom`` the only equilibrium is all-cooperate. In an
    asymmetric equilibrium (chicken's) each player is a cooperator with probability
    ``m/n``, so its expected payoff is ``W(m)/n``. Transfers are zero-sum, so this is
    also the contracted game's welfare per player.
    """
    contracted = with_transfer(game, theta)
    return min(welfare(contracted, m) for m in equilibria(contracted)) / game.n


def with_transfer(game: Dilemma, theta: Number) -> Dilemma:
    """The game under the contract: each defector pays ``θ``, split among the cooperators.

    ``C_θ(k) = C(k) + θ·(n−1−k)/(k+1)`` and ``D_θ(k) = D(k) − θ·[k ≥ 1]`` (module
    docstring); transfers sum to zero in every profile, so welfare is unchanged.
    """
    t = _exact("theta", theta)
    if t < 0:
        raise ValueError(f"theta must be >= 0, got {theta!r}")
    n = game.n
    coop = tuple(game.cooperate[k] + t * Fraction(n - 1 - k, k + 1) for k in range(n))
    dfct = tuple(game.defect[k] - (t if k >= 1 else 0) for k in range(n))
    return Dilemma(f"{game.name}+θ={t}", coop, dfct)


def _weight(n: int, k: int) -> Fraction:
    """``w(k)``: how much one unit of θ adds to the gain from cooperating with ``k``
    others cooperating (``n − 1`` for ``k = 0``, ``n/(k+1)`` otherwise)."""
    return Fraction(n - 1) if k == 0 else Fraction(n, k + 1)


def gain_from_cooperating(game: Dilemma, theta: Number = 0) -> tuple[Fraction, ...]:
    """``C_θ(k) − D_θ(k)`` for ``k = 0 .. n−1``: ``C(k) − D(k) + θ·w(k)``."""
    t = _exact("theta", theta)
    if t < 0:
        raise ValueError(f"theta must be >= 0, got {theta!r}")
    n = game.n
    return tuple(game.cooperate[k] - game.defect[k] + t * _weight(n, k) for k in range(n))


def theta_equilibrium(game: Dilemma) -> Fraction:
    """``θ_eq = D(n−1) − C(n−1)``: all-cooperate is an equilibrium iff ``θ ≥ θ_eq``.

    Negative when all-cooperate is an equilibrium without a contract (every ``θ ≥ 0``
    keeps it one).
    """
    return game.defect[-1] - game.cooperate[-1]


def theta_dominant(game: Dilemma) -> Fraction:
    """``θ_dom = max_k (D(k) − C(k))/w(k)``: cooperating is strictly dominant iff
    ``θ > θ_dom`` (negative when it already is without a contract)."""
    n = game.n
    return max((game.defect[k] - game.cooperate[k]) / _weight(n, k) for k in range(n))


def matrix_game(name: str, n: int, R: Number, S: Number, T: Number, P: Number) -> Dilemma:
    """The n-player linear extension of the 2x2 game ``(R, S, T, P)`` (module docstring):
    ``C(k) = S + (R − S)·k/(n−1)``, ``D(k) = P + (T − P)·k/(n−1)``."""
    _players(n)
    r, s, t, p = (_exact(x, v) for x, v in (("R", R), ("S", S), ("T", T), ("P", P)))
    coop = tuple(s + (r - s) * Fraction(k, n - 1) for k in range(n))
    dfct = tuple(p + (t - p) * Fraction(k, n - 1) for k in range(n))
    return Dilemma(name, coop, dfct)


def _players(n: object) -> int:
    if type(n) is not int or n < 2:
        raise ValueError(f"n (players) must be an int >= 2, got {n!r}")
    return n


def _order(name: str, values: Sequence[tuple[str, Fraction]], rule: str, ok: bool) -> None:
    if not ok:
        got = ", ".join(f"{k}={v}" for k, v in values)
        raise ValueError(f"{name} needs {rule}, got {got}")


def prisoners_dilemma(
    n: int = 2, T: Number = 5, R: Number = 3, P: Number = 1, S: Number = 0
) -> Dilemma:
    """The n-player prisoner's dilemma: ``T > R > P > S`` (defecting strictly dominant)."""
    t, r, p, s = (_exact(x, v) for x, v in (("T", T), ("R", R), ("P", P), ("S", S)))
    _order(
        "prisoners_dilemma",
        [("T", t), ("R", r), ("P", p), ("S", s)],
        "T > R > P > S",
        t > r > p > s,
    )
    return matrix_game("prisoners_dilemma", n, r, s, t, p)


def stag_hunt(n: int = 2, R: Number = 4, T: Number = 3, P: Number = 3, S: Number = 0) -> Dilemma:
    """The n-player stag hunt: ``R > T ≥ P > S`` (both all-stag and all-hare are
    equilibria; all-stag is optimal)."""
    r, t, p, s = (_exact(x, v) for x, v in (("R", R), ("T", T), ("P", P), ("S", S)))
    _order("stag_hunt", [("R", r), ("T", t), ("P", p), ("S", s)], "R > T >= P > S", r > t >= p > s)
    return matrix_game("stag_hunt", n, r, s, t, p)


def chicken(n: int = 2, T: Number = 5, R: Number = 3, S: Number = 1, P: Number = 0) -> Dilemma:
    """The n-player game of chicken: ``T > R > S > P`` (C is "swerve"; the equilibria mix
    swervers and drivers, and mutual defection is the worst outcome)."""
    t, r, s, p = (_exact(x, v) for x, v in (("T", T), ("R", R), ("S", S), ("P", P)))
    _order("chicken", [("T", t), ("R", r), ("S", s), ("P", p)], "T > R > S > P", t > r > s > p)
    return matrix_game("chicken", n, r, s, t, p)


def public_goods(n: int = 4, r: Number = 2, c: Number = 1) -> Dilemma:
    """The linear public goods game: ``C(k) = r·c·(k+1)/n − c``, ``D(k) = r·c·k/n``,
    with ``1 < r < n`` (contributing is dominated, yet all-contribute is optimal)."""
    _players(n)
    mult, cost = _exact("r", r), _exact("c", c)
    if not 1 < mult < n:
        raise ValueError(f"public_goods needs 1 < r < n = {n}, got r={mult}")
    if cost <= 0:
        raise ValueError(f"public_goods needs a contribution c > 0, got c={cost}")
    coop = tuple(mult * cost * Fraction(k + 1, n) - cost for k in range(n))
    dfct = tuple(mult * cost * Fraction(k, n) for k in range(n))
    return Dilemma("public_goods", coop, dfct)
