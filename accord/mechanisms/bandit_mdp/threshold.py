"""The MEV threshold: the least MEV at which the optimal policy forks (Gervais et al. 2016's
double-spending MDP as Zhou et al. 2021 use it; the package docstring has the model)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from accord.mechanisms.bandit_mdp.model import (
    ACTIONS,
    DISCOUNT,
    EXIT,
    Chain,
    Model,
    build,
    check_chain,
    evaluate,
    honest,
    improve,
    number,
    reachable,
)

MAX_GRID = 64
"""The most points :func:`threshold_grid` solves in one call."""


def _mev_rewards(model: Model, mev: float) -> np.ndarray:
    chain = model.chain
    cost = float(chain.cost)  # type: ignore[arg-type]
    rewards = model.adversary - cost
    rewards[EXIT] = model.lead + mev - cost
    rewards[:, model.exit] = chain.alpha - cost
    return rewards


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
    return number("mev", value, 0.0, 1e12, open_low=False)


def _forks(model: Model, mev: float, start: np.ndarray | None) -> tuple[bool, np.ndarray]:
    policy, _ = improve(model, _mev_rewards(model, mev), DISCOUNT, start)
    return bool(reachable(model, policy)[model.exit]), policy


def solve(chain: Chain, mev: float) -> BanditSolution:
    """The optimal policy when forking pays ``mev`` block rewards."""
    model = build(check_chain(chain))
    value_of_mev = _mev(mev)
    rewards = _mev_rewards(model, value_of_mev)
    policy, values = improve(model, rewards, DISCOUNT, None)
    _, honest_values = evaluate(model, rewards, honest(model), DISCOUNT)
    return BanditSolution(
        mev=value_of_mev,
        forks=bool(reachable(model, policy)[model.exit]),
        value=float(values[model.start]),
        honest_value=float(honest_values[model.start]),
        policy=tuple(ACTIONS[i] for i in policy),
    )


def threshold(chain: Chain, tol: float = 0.01, ceiling: float = 1e6) -> float:
    """``V*``: the least MEV (in block rewards, to ``tol``) at which the optimal policy
    forks; ``inf`` if it does not fork below ``ceiling``."""
    model = build(check_chain(chain))
    tol = number("tol", tol, 0.0, 1e6, open_low=True)
    ceiling = number("ceiling", ceiling, 1.0, 1e12, open_low=False)
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


def share_threshold(
    mev: float,
    stale: float = 0.0572,
    gamma: float = 0.0,
    confirmations: int = 1,
    cutoff: int = 20,
    tol: float = 1e-4,
) -> float:
    """The least hash share (to ``tol``) whose optimal policy forks for ``mev`` block
    rewards, with ``c_m = α``: Qin, Zhou & Gervais's "BEV forking threshold" (S&P 2022,
    §VII, Fig. 13); ``nan`` if even α = 1/2 does not fork. Bisection on α: a larger share
    forks for less (tested)."""
    value = _mev(mev)
    tol = number("tol", tol, 0.0, 0.1, open_low=True)

    def forks(alpha: float) -> bool:
        chain = Chain(alpha, gamma, stale, confirmations, None, cutoff)
        return _forks(build(chain), value, None)[0]

    low, high = 0.0, 0.5
    if not forks(high):
        return math.nan
    while high - low > tol:
        middle = (low + high) / 2
        if forks(middle):
            high = middle
        else:
            low = middle
    return high
