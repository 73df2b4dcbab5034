"""Scripted negotiators for Deal or No Deal: time-dependent, tit-for-tat, Pareto-aware.

Each speaks the SAO interface of :mod:`accord.agents.bargaining.sao` (``propose`` /
``respond``), so they play each other, a researcher's own negotiators, the PettingZoo env
``accord.envs.bargaining_v0`` and, through the ``deal_or_no_deal`` game, the device.
All are deterministic: the same instance and opponent give the same negotiation.

**Time-dependent concession** (Faratin, Sierra & Jennings, "Negotiation decision
functions for autonomous agents", Robotics and Autonomous Systems 24, 1998, §4.2.1, the
polynomial family). At relative time ``t`` the negotiator demands the utility::

    α(t)      = k + (1 - k) t^(1/e)
    target(t) = u_min + (1 - α(t)) (u_max - u_min)

with ``u_max`` its best outcome's utility and ``u_min`` its reserved value. ``e < 1`` is
**Boulware** (holds firm, concedes near the deadline; ``e = 0.2`` by default),
``e = 1`` **Linear**, ``e > 1`` **Conceder** (concedes early; ``e = 2``), the defaults of
Genius's time-dependent agents (Baarslag et al., "Evaluating practical negotiating
agents", Computational Intelligence 2013). It offers the outcome whose utility is the
smallest at or above its target (ties: the opponent's best under its belief, then the
first outcome) and accepts an offer worth at least what it would demand at its next turn
(the ``AC_next`` acceptance condition; Baarslag, Hindriks & Jonker, "Effective acceptance
conditions in multi-issue negotiation", AAMAS 2013).

**Relative tit-for-tat** (Faratin et al. 1998, §4.2.3, with ``δ = 1``): it reproduces, in
proportion, the concession its opponent just made. If the opponent's last two offers are
worth ``x_old`` and ``x_new`` to it, its next target is ``target × x_old / x_new``
(unchanged while either is 0, kept within ``[u_min, u_max]``). It opens at ``u_max``.

**Pareto-aware** concession: a time-dependent negotiator that offers only outcomes on
the Pareto frontier of (its utility, the opponent's utility under its belief), so every
offer it makes is efficient if its belief is right. Its belief of the opponent's values
is, by default, the mean over every opponent value vector the game's rules allow given
the pool and its own values (:func:`opponent_types`: a uniform prior, not updated during
the negotiation); an exact belief can be given instead.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from fractions import Fraction

from accord.agents.bargaining.sao import NMI, ResponseType, SAOState
from accord.mechanisms.bargaining.deal_or_no_deal import Division, valid_instances
from accord.mechanisms.bargaining.solutions import pareto_frontier

__all__ = [
    "NEGOTIATORS",
    "Boulware",
    "Conceder",
    "Linear",
    "ParetoAware",
    "TimeDependent",
    "TitForTat",
    "believed_values",
    "faratin_target",
    "opponent_types",
]

Values = tuple[int, int, int]
Real = Fraction | int | float
"""A belief's number: exact (int, Fraction) for the prior, float for a learned posterior."""


def faratin_target(t: float, e: float, u_min: float, u_max: float, k: float = 0.0) -> float:
    """Faratin et al.'s (1998) polynomial time-dependent target utility at time ``t``.

    ``e`` must be positive and finite, ``k`` in ``[0, 1]`` (Faratin's ``κ``, the share of
    the range conceded at ``t = 0``) and ``u_min <= u_max`` finite; else ValueError."""
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"t must be in [0, 1], got {t!r}")
    e = _check_e(e)
    if isinstance(k, bool) or not isinstance(k, int | float) or not 0.0 <= k <= 1.0:
        raise ValueError(f"k must be in [0, 1], got {k!r}")
    if not (math.isfinite(u_min) and math.isfinite(u_max) and u_min <= u_max):
        raise ValueError(f"need finite u_min <= u_max, got {u_min!r} and {u_max!r}")
    alpha = k + (1.0 - k) * math.pow(t, 1.0 / e)
    return u_min + (1.0 - alpha) * (u_max - u_min)


@functools.cache
def _types_index() -> dict[tuple[Values, Values, int], tuple[Values, ...]]:
    """Every valid instance's opponent values, by (pool, own values, own seat)."""
    index: dict[tuple[Values, Values, int], list[Values]] = {}
    for inst in valid_instances():
        for p in (0, 1):
            index.setdefault((inst.pool, inst.values[p], p), []).append(inst.values[1 - p])
    return {k: tuple(v) for k, v in index.items()}


def opponent_types(pool: Values, own: Values, player: int) -> tuple[Values, ...]:
    """Every opponent value vector the rules allow given the pool and ``player``'s values."""
    return _types_index().get((pool, own, player), ())


@functools.cache
def _belief_totals(pool: Values, own: Values, player: int) -> tuple[tuple[int, int, int], int]:
    """The summed opponent value vectors and their number (the mean, kept in integers)."""
    types = opponent_types(pool, own, player)
    a, b, c = (sum(t[i] for t in types) for i in range(3))
    return (a, b, c), len(types)


def believed_values(nmi: NMI) -> tuple[Fraction, Fraction, Fraction]:
    """The mean opponent value vector under the uniform prior of :func:`opponent_types`."""
    totals, n = _belief_totals(nmi.pool, nmi.values, nmi.player)
    if n == 0:  # an instance outside the rules: believe the opponent values all alike
        share = Fraction(10, sum(nmi.pool))
        return (share, share, share)
    a, b, c = (Fraction(t, n) for t in totals)
    return (a, b, c)


def _belief_weights(nmi: NMI) -> tuple[int, int, int]:
    """Weights proportional to :func:`believed_values` (the totals: same order, integers)."""
    totals, n = _belief_totals(nmi.pool, nmi.values, nmi.player)
    return totals if n else (1, 1, 1)


def _check_e(e: float) -> float:
    if isinstance(e, bool) or not isinstance(e, int | float) or not 0 < e < float("inf"):
        raise ValueError(f"e must be a positive finite number, got {e!r}")
    return float(e)


class TimeDependent:
    """Faratin et al.'s time-dependent negotiator with concession exponent ``e``."""

    name = "TimeDependent"

    def __init__(
        self,
        e: float,
        k: float = 0.0,
        belief: Sequence[Fraction | int] | None = None,
    ) -> None:
        self.e = _check_e(e)
        if isinstance(k, bool) or not isinstance(k, int | float) or not 0.0 <= k <= 1.0:
            raise ValueError(f"k must be in [0, 1], got {k!r}")
        self.k = float(k)
        self._fixed_belief = None if belief is None else _belief(belief)
        self._nmi: NMI | None = None

    # -- setup -----------------------------------------------------------------------------

    def on_negotiation_start(self, nmi: NMI) -> None:
        self._nmi = nmi
        self._mine = [nmi.utility(o) for o in nmi.outcomes]
        self.u_max = max(self._mine)
        self.u_min = nmi.reserved_value
        self._rebuild(self._fixed_belief or _belief_weights(nmi))

    def _rebuild(self, belief: Sequence[Real]) -> None:
        """Order the candidate outcomes for a belief of the opponent's values."""
        nmi, mine = self.nmi, self._mine
        theirs = [_their_value(nmi, tuple(belief), o) for o in nmi.outcomes]
        order = self._candidates(nmi, mine, theirs)
        # ascending own utility; ties: the opponent's best first, then the first outcome
        self._ladder = sorted(order, key=lambda i: (mine[i], -theirs[i], i))

    def _candidates(self, nmi: NMI, mine: list[int], theirs: list[Real]) -> list[int]:
        return list(range(len(nmi.outcomes)))

    @property
    def nmi(self) -> NMI:
        if self._nmi is None:
            raise RuntimeError(f"{self.name}: on_negotiation_start was not called")
        return self._nmi

    # -- the tactic ------------------------------------------------------------------------

    def target(self, t: float) -> float:
        """The utility demanded at relative time ``t``."""
        self.nmi  # noqa: B018 (refuses before on_negotiation_start)
        # a reserved value above its best outcome: it demands that best throughout
        low = min(self.u_min, self.u_max)
        return faratin_target(min(max(t, 0.0), 1.0), self.e, low, self.u_max, self.k)

    def _outcome_for(self, target: float) -> Division:
        for i in self._ladder:
            if self._mine[i] >= target:
                return self.nmi.outcomes[i]
        return self.nmi.outcomes[self._ladder[-1]]

    def _next_target(self, state: SAOState) -> float:
        return self.target((state.step + 1) / state.n_steps)

    def propose(self, state: SAOState) -> Division:
        return self._outcome_for(self.target(state.relative_time))

    def respond(self, state: SAOState, offer: Division) -> ResponseType:
        value = self.nmi.utility(offer)
        if value >= self.u_min and value >= self._demand_after(state, offer):
            return ResponseType.ACCEPT_OFFER
        return ResponseType.REJECT_OFFER

    def _demand_after(self, state: SAOState, offer: Division) -> float:
        """What it would ask for at its next turn (``AC_next``): its own next offer's value."""
        return float(self.nmi.utility(self._outcome_for(self._next_target(state))))

    def __repr__(self) -> str:
        return f"{self.name}(e={self.e:g})"


class Boulware(TimeDependent):
    """Faratin's Boulware tactic: ``e < 1``, firm until close to the deadline."""

    name = "Boulware"

    def __init__(
        self, e: float = 0.2, k: float = 0.0, belief: Sequence[Fraction | int] | None = None
    ) -> None:
        if not _check_e(e) < 1:
            raise ValueError(f"Boulware needs e < 1, got {e!r}")
        super().__init__(e, k, belief)


class Linear(TimeDependent):
    """Faratin's linear tactic: ``e = 1``, the same concession every step."""

    name = "Linear"

    def __init__(self, k: float = 0.0, belief: Sequence[Fraction | int] | None = None) -> None:
        super().__init__(1.0, k, belief)


class Conceder(TimeDependent):
    """Faratin's Conceder tactic: ``e > 1``, concedes early."""

    name = "Conceder"

    def __init__(
        self, e: float = 2.0, k: float = 0.0, belief: Sequence[Fraction | int] | None = None
    ) -> None:
        if not _check_e(e) > 1:
            raise ValueError(f"Conceder needs e > 1, got {e!r}")
        super().__init__(e, k, belief)


class TitForTat(TimeDependent):
    """Faratin's relative tit-for-tat (module docstring): concedes as much as it is conceded to."""

    name = "TitForTat"

    def __init__(self, belief: Sequence[Fraction | int] | None = None) -> None:
        super().__init__(1.0, belief=belief)

    def on_negotiation_start(self, nmi: NMI) -> None:
        super().on_negotiation_start(nmi)
        self.demand = float(self.u_max)

    def _mirrored(self, state: SAOState, offer: Division | None = None) -> float:
        """The target after mirroring the opponent's last relative concession.

        ``offer``: an offer being responded to, counted if the history does not end with it.
        """
        me = self.nmi.player
        theirs = [o.outcome for o in state.history if o.proposer != me]
        last = state.history[-1] if state.history else None
        if offer is not None and (last is None or last.proposer == me or last.outcome != offer):
            theirs.append(offer)
        target = self.demand
        if len(theirs) >= 2:
            old, new = self.nmi.utility(theirs[-2]), self.nmi.utility(theirs[-1])
            if old > 0 and new > 0:
                target = target * old / new
        return min(max(target, float(self.u_min)), float(self.u_max))

    def propose(self, state: SAOState) -> Division:
        self.demand = self._mirrored(state)
        return self._outcome_for(self.demand)

    def _demand_after(self, state: SAOState, offer: Division) -> float:
        return float(self.nmi.utility(self._outcome_for(self._mirrored(state, offer))))

    def __repr__(self) -> str:
        return "TitForTat()"


class ParetoAware(TimeDependent):
    """Time-dependent concession along the frontier it believes in (module docstring).

    With ``learn=True`` its belief is Bayesian: the posterior mean over the opponent
    types the rules allow (:func:`opponent_types`, uniform prior), updated after each
    opponent offer ``o`` with the likelihood of a Boltzmann-rational proposer,
    ``P(o | v) = 2^u_v(o) / Σ_o' 2^u_v(o')`` (``u_v``: the opponent's value of its share
    under type ``v``; the logit choice of McKelvey & Palfrey, "Quantal Response
    Equilibria for Normal Form Games", GEB 10, 1995, with precision ``ln 2``). The
    posterior is kept in floats, but only by ``+``, ``×`` and ``÷`` of doubles (powers of
    2 are exact; no ``exp``/``log``), which IEEE 754 rounds the same on every platform:
    the same offers give the same belief everywhere.
    """

    name = "ParetoAware"

    def __init__(
        self,
        e: float = 0.5,
        belief: Sequence[Fraction | int] | None = None,
        learn: bool = False,
    ) -> None:
        if learn is not True and learn is not False:
            raise ValueError(f"learn must be a bool, got {learn!r}")
        if learn and belief is not None:
            raise ValueError("learn=True starts from the rules' prior: give no belief")
        super().__init__(e, belief=belief)
        self.learn = learn
        if learn:
            self.name = "ParetoAwareLearner"

    def on_negotiation_start(self, nmi: NMI) -> None:
        super().on_negotiation_start(nmi)
        if not self.learn:
            return
        self._types = opponent_types(nmi.pool, nmi.values, nmi.player)
        shares = [_opponent_share(nmi, o) for o in nmi.outcomes]
        self._z = [float(sum(2 ** _dot(v, sh) for sh in shares)) for v in self._types]
        self.posterior = [1.0 / len(self._types)] * len(self._types) if self._types else []
        self._seen = 0

    def _observe(self, state: SAOState) -> None:
        """Fold the opponent's new offers into the posterior; rebuild on a change."""
        if not self.learn or not self._types:
            return
        me = self.nmi.player
        theirs = [o.outcome for o in state.history if o.proposer != me]
        if len(theirs) <= self._seen:
            return
        post = list(self.posterior)
        for outcome in theirs[self._seen :]:
            share = _opponent_share(self.nmi, outcome)
            post = [
                p * (float(2 ** _dot(v, share)) / z)
                for p, v, z in zip(post, self._types, self._z, strict=True)
            ]
            total = 0.0
            for p in post:  # a fixed order: the same rounding everywhere
                total += p
            post = [p / total for p in post]
        self._seen = len(theirs)
        self.posterior = post
        mean = [0.0, 0.0, 0.0]
        for p, v in zip(post, self._types, strict=True):
            for i in range(3):
                mean[i] += p * v[i]
        self._rebuild(mean)

    def propose(self, state: SAOState) -> Division:
        self._observe(state)
        return super().propose(state)

    def respond(self, state: SAOState, offer: Division) -> ResponseType:
        self._observe(state)
        return super().respond(state, offer)

    def _candidates(self, nmi: NMI, mine: list[int], theirs: list[Real]) -> list[int]:
        return list(pareto_frontier(list(zip(mine, theirs, strict=True))))

    def __repr__(self) -> str:
        return f"{self.name}(e={self.e:g})"


def _opponent_share(nmi: NMI, outcome: Division) -> Values:
    if nmi.player == 0:
        a, b, c = (n - q for n, q in zip(nmi.pool, outcome, strict=True))
        return (a, b, c)
    return outcome


def _dot(v: Values, q: Values) -> int:
    return v[0] * q[0] + v[1] * q[1] + v[2] * q[2]


def _belief(values: Sequence[Fraction | int]) -> tuple[Fraction, Fraction, Fraction]:
    if len(values) != 3:
        raise ValueError(f"a belief is three per-item values, got {values!r}")
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | Fraction) or v < 0:
            raise ValueError(f"a belief's values must be non-negative ints or Fractions, got {v!r}")
        out.append(Fraction(v))
    return (out[0], out[1], out[2])


def _their_value(nmi: NMI, belief: tuple[Real, ...], outcome: Division) -> Real:
    """The opponent's utility of ``outcome`` under ``belief`` (up to a positive factor)."""
    if nmi.player == 0:
        theirs = tuple(n - q for n, q in zip(nmi.pool, outcome, strict=True))
    else:
        theirs = outcome
    total: Real = 0
    for b, q in zip(belief, theirs, strict=True):
        total += b * q
    return total


NEGOTIATORS: dict[str, Callable[[], TimeDependent]] = {
    "Boulware": Boulware,
    "Linear": Linear,
    "Conceder": Conceder,
    "TitForTat": TitForTat,
    "ParetoAware": ParetoAware,
    "ParetoAwareLearner": lambda: ParetoAware(learn=True),
}
"""The scripted negotiators by name, each with its default parameters."""
