"""The ratio objective: the adversary's share of the main chain under a policy, and the
optimal share (Sapirshtein, Sompolinsky & Zohar, FC 2016; Dinkelbach 1967)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from accord.mechanisms.bandit_mdp.model import (
    ACTIONS,
    ACTIVE,
    ADOPT,
    EXIT,
    IRRELEVANT,
    MATCH,
    OVERRIDE,
    RELEVANT,
    WAIT,
    Chain,
    Model,
    build,
    check_chain,
    honest,
    improve,
    number,
    reachable,
)

_RATIO_DISCOUNT = 1.0 - 1e-6
"""A discount this close to 1 makes the discounted optimum the average-reward one on
these chains (mixing in tens of steps); each policy's share is then computed exactly."""


def honest_policy(chain: Chain) -> tuple[str, ...]:
    """The honest policy, by state index (as :attr:`BanditSolution.policy`)."""
    return tuple(ACTIONS[i] for i in honest(build(check_chain(chain))))


def _sm1(model: Model) -> np.ndarray:
    """Eyal and Sirer's SM1 in the MDP's actions (Sapirshtein et al. §3): keep a lead
    private, match a tie of one, override when the public chain comes within one block."""
    c = model.chain.cutoff
    policy = honest(model)
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
    return tuple(ACTIONS[i] for i in _sm1(build(check_chain(chain))))


def sm1_revenue(alpha: float, gamma: float) -> float:
    """Eyal and Sirer's closed form for SM1's share ("Majority is not Enough", FC 2014, §4):
    ``[α(1−α)²(4α + γ(1−2α)) − α³] / [1 − α(1 + (2−α)α)]``."""
    a = number("alpha", alpha, 0.0, 0.5, open_low=True)
    g = number("gamma", gamma, 0.0, 1.0, open_low=False)
    return (a * (1 - a) ** 2 * (4 * a + g * (1 - 2 * a)) - a**3) / (1 - a * (1 + (2 - a) * a))


def _share(model: Model, policy: np.ndarray) -> float:
    """The adversary's long-run share of credited blocks under ``policy``, exactly: the
    stationary distribution of the chain the policy induces on the states it reaches."""
    seen = np.nonzero(reachable(model, policy))[0]
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


def _policy(model: Model, policy: object) -> np.ndarray:
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
    model = build(check_chain(chain))
    return _share(model, _policy(model, policy))


def optimal_revenue(chain: Chain, tol: float = 1e-9) -> float:
    """Sapirshtein et al.'s optimal share: Dinkelbach on ``ρ`` (module docstring)."""
    model = build(check_chain(chain))
    tol = number("tol", tol, 0.0, 1.0, open_low=True)
    allowed = model.allowed.copy()
    allowed[EXIT, :] = False
    allowed[WAIT, model.exit] = True
    policy = honest(model)
    policy[model.exit] = WAIT
    rho = _share(model, policy)
    for _ in range(100):
        rewards = (1 - rho) * model.adversary - rho * model.others
        policy, _ = improve(model, rewards, _RATIO_DISCOUNT, policy, allowed)
        better = _share(model, policy)
        if better <= rho + tol:
            return max(rho, better)
        rho = better
    raise RuntimeError("Dinkelbach's iteration did not converge")  # pragma: no cover
