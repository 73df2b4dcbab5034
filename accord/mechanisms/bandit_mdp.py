"""When forking for MEV pays, as the literature's MDP says: Gervais et al.'s mining MDP with
the MEV in the place of the double-spend value.

**What the papers report.** Zhou, Qin, Cully, Livshits & Gervais, "On the Just-In-Time
Discovery of Profit-Generating Transactions in DeFi Protocols" (IEEE S&P 2021, §VII.B,
eqs. 12-13, Fig. 14) take "the state transition and reward matrix of the PoW
double-spending MDP of Gervais et al." ("On the Security and Performance of Proof of
Work Blockchains", ACM CCS 2016, §4), with the MEV as the double-spend value, and find
the least MEV ``MEV_v`` for which an optimal policy forks rather than mines honestly.
Parameters: hash share α, γ = 0 (the adversary's weakest propagation), no eclipse
(ω = 0), Ethereum's stale block rate ``r_s = 5.72 %`` (uncles of blocks 9.1M-10.5M),
``k = 1``, mining cost ``c_m = α``, chains cut off at 20 blocks, a binary search "given a
margin of error of 0.1". Result: "for an MEV miner with 10% hash rate, on Ethereum
(stale block rate of 5.72%), MEV_v equals to 4" block rewards (the same paragraph then
says "at least ... 3 times higher", the caption and abstract "more than 4" / "exceeds 4x").
Qin, Zhou & Gervais, "Quantifying Blockchain Extractable Value: How dark is the forest?"
(IEEE S&P 2022) quote it in their abstract ("a rational miner with a 10% hashrate will
fork Ethereum if a BEV opportunity exceeds 4x the block reward"): the number is that
model's, reused. No other point of Fig. 14 is printed in the text we could read.

**The model** (Sapirshtein, Sompolinsky & Zohar, "Optimal Selfish Mining Strategies in
Bitcoin", FC 2016, §3, extended by Gervais et al. with stale blocks and the exit). A
state is ``(a, h, fork)``: the adversary's private blocks and the public blocks since
the last common block, and whether a tie could be matched (``relevant``: the last block
was public), is being raced (``active``) or not (``irrelevant``). Each step one block is
found: the adversary's with probability ``α``, a public block on the public chain with
``(1 − α)(1 − r_s)``, a stale public block (nothing moves) with ``(1 − α) r_s``.

* ``adopt``: give up the private chain, take the public one (credits ``h`` to the others);
* ``override`` (``a > h``): publish ``h + 1`` blocks, which replace the public ``h``
  (credits ``h + 1`` to the adversary);
* ``match`` (``relevant``, ``a ≥ h ≥ 1``): publish ``h`` blocks, a tie; the next public
  block lands on the adversary's branch with probability ``γ`` (credits it ``h``);
* ``wait``: keep mining in private (in an ``active`` race it continues the race);
* ``exit`` (``a > k`` and ``a > h``): publish and take the MEV: ``a + V`` once, and from
  then on honest mining (``α`` a step) for ever.

Every step costs ``c_m``. At the cutoff only adopt, override and exit are left. The
objective is the discounted sum at ``β = 0.999``, solved exactly by policy iteration
(Howard, *Dynamic Programming and Markov Processes*, 1960; a sparse solve per policy).
``V*`` (:func:`threshold`) is the least ``V`` at which the optimal policy, started from
``(0, 0, irrelevant)``, can reach ``exit``: Gervais et al.'s published criterion, found
by bisection to ``tol`` block rewards. :func:`solve` also reports the optimal and the
honest policy's values there, eq. 13's ``R(π, P, V) > R(h, P)``.

The same state space, without the exit and with Sapirshtein's reward
``(1 − ρ) · (adversary's blocks) − ρ · (others' blocks)``, gives the adversary's share of
the main chain (:func:`optimal_revenue`): Dinkelbach's iteration ("On nonlinear
fractional programming", Management Science 13(7), 1967) on ``ρ``, each policy's share
computed exactly from its stationary distribution (:func:`policy_revenue`). With the
honest policy that share is ``α / (α + (1 − α)(1 − r_s))``, ``α`` without stale blocks;
with Eyal and Sirer's SM1 it is their closed form ("Majority is not Enough", FC 2014).
How this model and :mod:`accord.mechanisms.time_bandit`'s gambler's ruin differ:
``docs/finality.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

__all__ = [
    "ACTIONS",
    "DISCOUNT",
    "MAX_CUTOFF",
    "MAX_GRID",
    "BanditSolution",
    "Chain",
    "honest_policy",
    "optimal_revenue",
    "policy_revenue",
    "sm1_policy",
    "sm1_revenue",
    "solve",
    "threshold",
    "threshold_grid",
]

ACTIONS = ("wait", "adopt", "override", "match", "exit")
WAIT, ADOPT, OVERRIDE, MATCH, EXIT = range(5)
IRRELEVANT, RELEVANT, ACTIVE = range(3)
DISCOUNT = 0.999
"""Gervais et al.'s discount for the MEV/double-spend objective."""
MAX_CUTOFF = 60
"""The longest chain the model keeps (``3 (cutoff + 1)² + 1`` states)."""
MAX_GRID = 64
"""The most points :func:`threshold_grid` solves in one call."""
_RATIO_DISCOUNT = 1.0 - 1e-6  # a near-average-reward surrogate for the ratio objective


def _number(name: str, value: object, low: float, high: float, *, open_low: bool) -> float:
    if type(value) is bool or not isinstance(value, (int, float, Fraction)):
        raise ValueError(f"{name} must be a number, got {type(value).__name__}")
    x = float(value)
    if not math.isfinite(x) or x > high or (x <= low if open_low else x < low):
        bracket = "(" if open_low else "["
        raise ValueError(f"{name} must be in {bracket}{low}, {high}], got {value!r}")
    return x


def _integer(name: str, value: object, low: int, high: int) -> int:
    if type(value) is not int:
        raise ValueError(f"{name} must be an int, got {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be in {low}..{high}, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class Chain:
    """The chain and the adversary: Gervais et al.'s ``P = (α, γ, r_s, k, ω = 0, c_m)``.

    ``cost`` ``None`` is ``α`` (Zhou et al.'s ``c_m = α``). Bad values raise one-line
    ``ValueError`` naming the field.
    """

    alpha: float
    gamma: float = 0.0
    stale: float = 0.0
    confirmations: int = 1
    cost: float | None = None
    cutoff: int = 20
    displace: int = 0
    """The fewest public blocks an exit must replace (``h >= displace``); 0 in the papers."""

    def __post_init__(self) -> None:
        alpha = _number("alpha", self.alpha, 0.0, 1.0, open_low=True)
        if alpha >= 1.0:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha!r}")
        object.__setattr__(self, "alpha", alpha)
        object.__setattr__(self, "gamma", _number("gamma", self.gamma, 0.0, 1.0, open_low=False))
        stale = _number("stale", self.stale, 0.0, 1.0, open_low=False)
        if stale >= 1.0:
            raise ValueError(f"stale must be in [0, 1), got {self.stale!r}")
        object.__setattr__(self, "stale", stale)
        cutoff = _integer("cutoff", self.cutoff, 2, MAX_CUTOFF)
        _integer("confirmations", self.confirmations, 0, cutoff - 1)
        _integer("displace", self.displace, 0, cutoff - 1)
        cost = alpha if self.cost is None else self.cost
        object.__setattr__(self, "cost", _number("cost", cost, 0.0, 1e9, open_low=False))

    @property
    def states(self) -> int:
        """How many states, the exit included."""
        return 3 * (self.cutoff + 1) ** 2 + 1


@dataclass(frozen=True, slots=True)
class _Model:
    """Transitions and expected credits of every action, for one :class:`Chain`."""

    chain: Chain
    matrices: tuple[sp.csr_matrix, ...]  # one (n × n) per action
    adversary: np.ndarray  # (actions, n): expected blocks credited to the adversary
    others: np.ndarray  # (actions, n): expected blocks credited to the others
    allowed: np.ndarray  # (actions, n) bool
    lead: np.ndarray  # (n,): a, the private chain's length (the exit's payout)

    def index(self, a: int, h: int, fork: int) -> int:
        return (a * (self.chain.cutoff + 1) + h) * 3 + fork

    @property
    def exit(self) -> int:
        return self.chain.states - 1

    @property
    def start(self) -> int:
        return self.index(0, 0, IRRELEVANT)


def _build(chain: Chain) -> _Model:
    c, n = chain.cutoff, chain.states
    alpha = chain.alpha
    honest = (1 - alpha) * (1 - chain.stale)
    stale = (1 - alpha) * chain.stale
    gamma = chain.gamma
    model = _Model(
        chain, (), np.zeros((5, n)), np.zeros((5, n)), np.zeros((5, n), bool), np.zeros(n)
    )
    idx = model.index
    rows: list[list[int]] = [[] for _ in ACTIONS]
    cols: list[list[int]] = [[] for _ in ACTIONS]
    vals: list[list[float]] = [[] for _ in ACTIONS]

    def add(action: int, s: int, moves: list[tuple[float, int, int, int]]) -> None:
        model.allowed[action, s] = True
        for p, t, mine, theirs in moves:
            if p > 0:
                rows[action].append(s)
                cols[action].append(t)
                vals[action].append(p)
                model.adversary[action, s] += p * mine
                model.others[action, s] += p * theirs

    for a in range(c + 1):
        for h in range(c + 1):
            for fork in (IRRELEVANT, RELEVANT, ACTIVE):
                s = idx(a, h, fork)
                model.lead[s] = a
                fresh = [(alpha, idx(1, 0, IRRELEVANT)), (honest, idx(0, 1, RELEVANT))]
                fresh.append((stale, idx(0, 0, IRRELEVANT)))
                add(ADOPT, s, [(p, t, 0, h) for p, t in fresh])
                if a > h:
                    r = a - h
                    add(
                        OVERRIDE,
                        s,
                        [
                            (alpha, idx(r, 0, IRRELEVANT), h + 1, 0),
                            (honest, idx(r - 1, 1, RELEVANT), h + 1, 0),
                            (stale, idx(r - 1, 0, IRRELEVANT), h + 1, 0),
                        ],
                    )
                if a > chain.confirmations and a > h >= chain.displace:
                    model.allowed[EXIT, s] = True
                if a == c or h == c:
                    continue
                race = [
                    (alpha, idx(a + 1, h, ACTIVE), 0, 0),
                    (gamma * honest, idx(a - h, 1, RELEVANT), h, 0),
                    ((1 - gamma) * honest, idx(a, h + 1, RELEVANT), 0, 0),
                    (stale, idx(a, h, ACTIVE), 0, 0),
                ]
                if a >= h >= 1 and fork == RELEVANT:
                    add(MATCH, s, race)
                if a >= h >= 1 and fork == ACTIVE:
                    add(WAIT, s, race)
                else:
                    add(
                        WAIT,
                        s,
                        [
                            (alpha, idx(a + 1, h, IRRELEVANT), 0, 0),
                            (honest, idx(a, h + 1, RELEVANT), 0, 0),
                            (stale, idx(a, h, IRRELEVANT), 0, 0),
                        ],
                    )
    e = n - 1
    for action in range(len(ACTIONS)):
        if action == EXIT:  # exit moves to the exit state; the exit state only loops
            targets = np.nonzero(model.allowed[EXIT])[0]
            rows[action] = [*targets.tolist(), e]
            cols[action] = [e] * (len(targets) + 1)
            vals[action] = [1.0] * (len(targets) + 1)
    model.allowed[EXIT, e] = True
    matrices = tuple(
        sp.csr_matrix((vals[i], (rows[i], cols[i])), shape=(n, n)) for i in range(len(ACTIONS))
    )
    object.__setattr__(model, "matrices", matrices)
    return model


def _improve(
    model: _Model, rewards: np.ndarray, beta: float, policy: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Howard's policy iteration: (optimal policy, its discounted values)."""
    n = model.chain.states
    if policy is None:
        policy = np.where(model.allowed[ADOPT], ADOPT, EXIT)
    stack = sp.vstack(model.matrices, format="csr")
    flat = rewards.reshape(-1)
    here = np.arange(n)
    identity = sp.identity(n, format="csc")
    for _ in range(200):
        chosen = policy * n + here
        values = np.asarray(spsolve((identity - beta * stack[chosen]).tocsc(), flat[chosen]))
        q = (flat + beta * (stack @ values)).reshape(len(ACTIONS), n)
        q[~model.allowed] = -np.inf
        best = q.max(axis=0)
        current = q[policy, here]
        keep = current >= best - 1e-10 * (1.0 + np.abs(best))
        new = np.where(keep, policy, q.argmax(axis=0))
        if np.array_equal(new, policy):
            return policy, values
        policy = new
    raise RuntimeError("policy iteration did not converge in 200 steps")  # pragma: no cover


def _mev_rewards(model: _Model, mev: float) -> np.ndarray:
    chain = model.chain
    cost = float(chain.cost)  # type: ignore[arg-type]
    rewards = model.adversary - cost
    rewards[EXIT] = model.lead + mev - cost
    rewards[:, model.exit] = chain.alpha - cost
    return rewards


def _reachable(model: _Model, policy: np.ndarray) -> np.ndarray:
    """The states the policy can visit from the start (breadth first)."""
    n = model.chain.states
    seen = np.zeros(n, bool)
    frontier = [model.start]
    seen[model.start] = True
    while frontier:
        nxt: list[int] = []
        for s in frontier:
            row = model.matrices[policy[s]].getrow(s)
            for t in row.indices[row.data > 0]:
                if not seen[t]:
                    seen[t] = True
                    nxt.append(int(t))
        frontier = nxt
    return seen


@dataclass(frozen=True, slots=True)
class BanditSolution:
    """The optimal policy for one MEV value, from the start ``(0, 0, irrelevant)``."""

    mev: float
    forks: bool
    """Whether the optimal policy can reach ``exit`` (Gervais et al.'s criterion)."""
    value: float
    """The optimal discounted value at the start."""
    honest_value: float
    """The honest policy's discounted value at the start (eq. 13's ``R(h, P)``)."""
    policy: tuple[str, ...]
    """The optimal action in each state, by index ``(a (cutoff + 1) + h) 3 + fork``."""


def _mev(value: object) -> float:
    return _number("mev", value, 0.0, 1e12, open_low=False)


def _chain(chain: object) -> Chain:
    if not isinstance(chain, Chain):
        raise ValueError(f"chain must be a Chain, got {type(chain).__name__}")
    return chain


def _forks(model: _Model, mev: float, start: np.ndarray | None) -> tuple[bool, np.ndarray]:
    policy, _ = _improve(model, _mev_rewards(model, mev), DISCOUNT, start)
    return bool(_reachable(model, policy)[model.exit]), policy


def solve(chain: Chain, mev: float) -> BanditSolution:
    """The optimal policy when forking pays ``mev`` block rewards."""
    model = _build(_chain(chain))
    value_of_mev = _mev(mev)
    rewards = _mev_rewards(model, value_of_mev)
    policy, values = _improve(model, rewards, DISCOUNT, None)
    honest = _honest(model)
    _, honest_values = _evaluate(model, rewards, honest, DISCOUNT)
    return BanditSolution(
        mev=value_of_mev,
        forks=bool(_reachable(model, policy)[model.exit]),
        value=float(values[model.start]),
        honest_value=float(honest_values[model.start]),
        policy=tuple(ACTIONS[i] for i in policy),
    )


def _evaluate(
    model: _Model, rewards: np.ndarray, policy: np.ndarray, beta: float
) -> tuple[np.ndarray, np.ndarray]:
    n = model.chain.states
    chosen = policy * n + np.arange(n)
    stack = sp.vstack(model.matrices, format="csr")
    matrix = (sp.identity(n, format="csc") - beta * stack[chosen]).tocsc()
    return policy, np.asarray(spsolve(matrix, rewards.reshape(-1)[chosen]))


def threshold(chain: Chain, tol: float = 0.01, ceiling: float = 1e6) -> float:
    """``V*``: the least MEV (in block rewards, to ``tol``) at which the optimal policy
    forks; ``inf`` if it does not fork below ``ceiling``."""
    model = _build(_chain(chain))
    tol = _number("tol", tol, 0.0, 1e6, open_low=True)
    ceiling = _number("ceiling", ceiling, 1.0, 1e12, open_low=False)
    low, high = 0.0, 1.0
    forks, policy = _forks(model, high, None)
    while not forks:
        low, high = high, high * 2
        if low >= ceiling:
            return math.inf
        forks, policy = _forks(model, high, policy)
    while high - low > tol:
        middle = (low + high) / 2
        forks, candidate = _forks(model, middle, policy)
        if forks:
            high, policy = middle, candidate
        else:
            low = middle
    return high


def threshold_grid(
    alphas: list[float], stale: float = 0.0572, gamma: float = 0.0, tol: float = 0.05, **chain: Any
) -> list[float]:
    """:func:`threshold` over a list of shares (at most :data:`MAX_GRID`)."""
    if not isinstance(alphas, (list, tuple)):
        raise ValueError(f"alphas must be a list, got {type(alphas).__name__}")
    if not 1 <= len(alphas) <= MAX_GRID:
        raise ValueError(f"alphas must hold 1 to {MAX_GRID} shares, got {len(alphas)}")
    chains = [Chain(a, gamma=gamma, stale=stale, **chain) for a in alphas]
    return [threshold(c, tol=tol) for c in chains]


# --- the ratio objective: the adversary's share of the main chain ----------------------


def _honest(model: _Model) -> np.ndarray:
    """Publish at once, adopt whenever behind: override at ``a > h``, else adopt (wait at
    the start)."""
    n = model.chain.states
    policy = np.full(n, ADOPT)
    policy[model.allowed[OVERRIDE]] = OVERRIDE
    policy[model.start] = WAIT
    policy[model.exit] = EXIT
    return policy


def honest_policy(chain: Chain) -> tuple[str, ...]:
    """The honest policy, by state index (as :attr:`BanditSolution.policy`)."""
    return tuple(ACTIONS[i] for i in _honest(_build(_chain(chain))))


def _sm1(model: _Model) -> np.ndarray:
    """Eyal and Sirer's SM1 in the MDP's actions (Sapirshtein et al. §3): keep a lead
    private, match a tie of one, override when the public chain comes within one block."""
    c = model.chain.cutoff
    policy = _honest(model)
    for a in range(c + 1):
        for h in range(c + 1):
            for fork in (IRRELEVANT, RELEVANT, ACTIVE):
                s = model.index(a, h, fork)
                if a < h:
                    choice = ADOPT
                elif a == h == 0:
                    choice = WAIT
                elif a == h:
                    choice = MATCH if fork == RELEVANT else WAIT
                elif a == h + 1 and h >= 1:
                    choice = OVERRIDE
                else:
                    choice = WAIT
                if not model.allowed[choice, s]:
                    choice = OVERRIDE if a > h else ADOPT
                policy[s] = choice
    return policy


def sm1_policy(chain: Chain) -> tuple[str, ...]:
    """Eyal and Sirer's SM1, by state index."""
    return tuple(ACTIONS[i] for i in _sm1(_build(_chain(chain))))


def sm1_revenue(alpha: float, gamma: float) -> float:
    """Eyal and Sirer's closed form for SM1's share ("Majority is not Enough", FC 2014, §4):
    ``[α(1−α)²(4α + γ(1−2α)) − α³] / [1 − α(1 + (2−α)α)]``."""
    a = _number("alpha", alpha, 0.0, 0.5, open_low=True)
    g = _number("gamma", gamma, 0.0, 1.0, open_low=False)
    return (a * (1 - a) ** 2 * (4 * a + g * (1 - 2 * a)) - a**3) / (1 - a * (1 + (2 - a) * a))


def _share(model: _Model, policy: np.ndarray) -> float:
    """The adversary's long-run share of credited blocks under ``policy``, exactly: the
    stationary distribution of the chain the policy induces on the states it reaches."""
    seen = np.nonzero(_reachable(model, policy))[0]
    n = model.chain.states
    stack = sp.vstack(model.matrices, format="csr")
    transition = stack[policy * n + np.arange(n)][seen][:, seen]
    m = len(seen)
    system = (transition.T - sp.identity(m)).tolil()
    system[m - 1, :] = np.ones(m)
    rhs = np.zeros(m)
    rhs[-1] = 1.0
    weights = np.asarray(spsolve(system.tocsc(), rhs))
    mine = float(weights @ model.adversary[policy[seen], seen])
    theirs = float(weights @ model.others[policy[seen], seen])
    return mine / (mine + theirs)


def _policy(model: _Model, policy: object) -> np.ndarray:
    if not isinstance(policy, (tuple, list)) or len(policy) != model.chain.states:
        raise ValueError(f"policy must be a tuple of {model.chain.states} action names")
    try:
        chosen = np.array([ACTIONS.index(x) for x in policy])
    except ValueError:
        raise ValueError(f"policy actions must be among {ACTIONS}") from None
    if not model.allowed[chosen, np.arange(len(chosen))].all() or (chosen[:-1] == EXIT).any():
        raise ValueError("policy chooses an action a state does not allow, or exit")
    return chosen


def policy_revenue(chain: Chain, policy: tuple[str, ...]) -> float:
    """A policy's share of the main chain (no exit: the selfish-mining objective)."""
    model = _build(_chain(chain))
    return _share(model, _policy(model, policy))


def optimal_revenue(chain: Chain, tol: float = 1e-9) -> float:
    """Sapirshtein et al.'s optimal share: Dinkelbach on ``ρ`` (module docstring)."""
    model = _build(_chain(chain))
    tol = _number("tol", tol, 0.0, 1.0, open_low=True)
    no_exit = model.allowed.copy()
    model.allowed[EXIT, :] = False
    model.allowed[WAIT, model.exit] = True
    try:
        policy = _honest(model)
        policy[model.exit] = WAIT
        rho = _share(model, policy)
        for _ in range(100):
            rewards = (1 - rho) * model.adversary - rho * model.others
            policy, _ = _improve(model, rewards, _RATIO_DISCOUNT, policy)
            better = _share(model, policy)
            if better <= rho + tol:
                return max(rho, better)
            rho = better
        raise RuntimeError("Dinkelbach's iteration did not converge")  # pragma: no cover
    finally:
        model.allowed[:] = no_exit
