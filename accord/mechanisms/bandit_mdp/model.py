"""The mining MDP's states, actions and transitions, and its solver (see the package
docstring, :mod:`accord.mechanisms.bandit_mdp`, for the model and its sources)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

ACTIONS = ("wait", "adopt", "override", "match", "exit")
WAIT, ADOPT, OVERRIDE, MATCH, EXIT = range(5)
IRRELEVANT, RELEVANT, ACTIVE = range(3)
DISCOUNT = 0.999
"""Gervais et al.'s discount for the MEV/double-spend objective."""
MAX_CUTOFF = 60
"""The longest chain the model keeps (``3 (cutoff + 1)² + 1`` states)."""


def number(name: str, value: object, low: float, high: float, *, open_low: bool) -> float:
    if type(value) is bool or not isinstance(value, (int, float, Fraction)):
        raise ValueError(f"{name} must be a number, got {type(value).__name__}")
    x = float(value)
    if not math.isfinite(x) or x > high or (x <= low if open_low else x < low):
        bracket = "(" if open_low else "["
        raise ValueError(f"{name} must be in {bracket}{low}, {high}], got {value!r}")
    return x


def integer(name: str, value: object, low: int, high: int) -> int:
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
        alpha = number("alpha", self.alpha, 0.0, 1.0, open_low=True)
        if alpha >= 1.0:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha!r}")
        object.__setattr__(self, "alpha", alpha)
        object.__setattr__(self, "gamma", number("gamma", self.gamma, 0.0, 1.0, open_low=False))
        stale = number("stale", self.stale, 0.0, 1.0, open_low=False)
        if stale >= 1.0:
            raise ValueError(f"stale must be in [0, 1), got {self.stale!r}")
        object.__setattr__(self, "stale", stale)
        cutoff = integer("cutoff", self.cutoff, 2, MAX_CUTOFF)
        integer("confirmations", self.confirmations, 0, cutoff - 1)
        integer("displace", self.displace, 0, cutoff - 1)
        cost = alpha if self.cost is None else self.cost
        object.__setattr__(self, "cost", number("cost", cost, 0.0, 1e9, open_low=False))

    @property
    def states(self) -> int:
        """How many states, the exit included."""
        return 3 * (self.cutoff + 1) ** 2 + 1


@dataclass(frozen=True, slots=True)
class Model:
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


def build(chain: Chain) -> Model:
    c, n = chain.cutoff, chain.states
    alpha = chain.alpha
    honest = (1 - alpha) * (1 - chain.stale)
    stale = (1 - alpha) * chain.stale
    gamma = chain.gamma
    model = Model(
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


def improve(
    model: Model,
    rewards: np.ndarray,
    beta: float,
    policy: np.ndarray | None,
    allowed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Howard's policy iteration: (optimal policy, its discounted values), choosing among
    ``allowed`` actions (the model's by default)."""
    allowed = model.allowed if allowed is None else allowed
    n = model.chain.states
    if policy is None:
        policy = np.where(allowed[ADOPT], ADOPT, EXIT)
    stack = sp.vstack(model.matrices, format="csr")
    flat = rewards.reshape(-1)
    here = np.arange(n)
    identity = sp.identity(n, format="csc")
    for _ in range(200):
        chosen = policy * n + here
        values = np.asarray(spsolve((identity - beta * stack[chosen]).tocsc(), flat[chosen]))
        q = (flat + beta * (stack @ values)).reshape(len(ACTIONS), n)
        q[~allowed] = -np.inf
        best = q.max(axis=0)
        current = q[policy, here]
        keep = current >= best - 1e-10 * (1.0 + np.abs(best))
        new = np.where(keep, policy, q.argmax(axis=0))
        if np.array_equal(new, policy):
            return policy, values
        policy = new
    raise RuntimeError("policy iteration did not converge in 200 steps")  # pragma: no cover


def reachable(model: Model, policy: np.ndarray) -> np.ndarray:
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


def check_chain(chain: object) -> Chain:
    if not isinstance(chain, Chain):
        raise ValueError(f"chain must be a Chain, got {type(chain).__name__}")
    return chain


def evaluate(
    model: Model, rewards: np.ndarray, policy: np.ndarray, beta: float
) -> tuple[np.ndarray, np.ndarray]:
    n = model.chain.states
    chosen = policy * n + np.arange(n)
    stack = sp.vstack(model.matrices, format="csr")
    matrix = (sp.identity(n, format="csc") - beta * stack[chosen]).tocsc()
    return policy, np.asarray(spsolve(matrix, rewards.reshape(-1)[chosen]))


def honest(model: Model) -> np.ndarray:
    """Publish at once, adopt whenever behind: override at ``a > h``, else adopt (wait at
    the start)."""
    n = model.chain.states
    policy = np.full(n, ADOPT)
    policy[model.allowed[OVERRIDE]] = OVERRIDE
    policy[model.start] = WAIT
    policy[model.exit] = EXIT
    return policy
