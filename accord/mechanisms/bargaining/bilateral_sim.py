"""A bilateral mechanism played draw by draw: Monte-Carlo figures with standard errors.

``simulate(mechanism, buyer_prior, seller_prior, n, seed)`` draws ``n`` independent pairs
``(v, c)`` (the buyer's and the seller's streams are two children of
``numpy.random.SeedSequence(seed)``, so they never overlap), settles each draw under the
mechanism's evaluated play (:meth:`Rule.outcome`), and returns the sample means of the
per-draw figures of :class:`~.bilateral_outcome.Outcome` with their standard errors
``sd / √n``. The efficiency is the ratio of the sampled gains to the sampled first-best
gains ``(v - c)⁺`` on the same draws; its standard error is the delta method's
(``√Var(g - e·f) / (√n · mean f)``). The draws are processed in blocks of
:data:`BLOCK` (the same numbers whatever the block: a Generator's stream of doubles does
not depend on how it is cut), so memory stays bounded for any ``n ≤`` :data:`MAX_DRAWS`.

Also returned: ``ir_violation_rate``, the share of draws in which some participant ends
worse off than if it had stayed out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from accord.mechanisms.bargaining.bilateral import bind
from accord.mechanisms.bargaining.bilateral_outcome import Outcome
from accord.mechanisms.bargaining.bilateral_rule import Rule

MAX_DRAWS = 10**9
"""The most draws :func:`simulate` accepts (a billion draws take minutes)."""
BLOCK = 1 << 18
"""Draws settled per vectorised block."""
MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class Simulated:
    """Sampled figures (``mean``), their standard errors (``stderr``), the number of draws,
    and the share of draws with an ex-post IR violation (and its standard error)."""

    mean: Outcome
    stderr: Outcome
    n: int
    ir_violation_rate: float
    ir_violation_rate_stderr: float


def check_draws(n: object) -> int:
    """``n`` if it is an int in ``[2, MAX_DRAWS]``; ValueError otherwise."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 2 <= n <= MAX_DRAWS:
        raise ValueError(f"n must be an int in [2, {MAX_DRAWS}], got {n!r}")
    return int(n)


def check_seed(seed: object) -> int:
    """``seed`` if it is an int in ``[0, 2⁶³ - 1]``; ValueError otherwise."""
    if (
        isinstance(seed, bool)
        or not isinstance(seed, int | np.integer)
        or not 0 <= seed <= MAX_SEED
    ):
        raise ValueError(f"seed must be an int in [0, 2**63 - 1], got {seed!r}")
    return int(seed)


def simulate(
    mechanism: object, buyer_prior: object, seller_prior: object, n: object, seed: object
) -> Simulated:
    """Monte-Carlo estimates of :func:`~.bilateral_outcome.expected_outcome` (module doc)."""
    draws, root = check_draws(n), check_seed(seed)
    return simulate_rule(bind(mechanism, buyer_prior, seller_prior), draws, root)


def simulate_rule(rule: Rule, n: int, seed: int) -> Simulated:
    """:func:`simulate` for an already bound rule."""
    buyer_seq, seller_seq = np.random.SeedSequence(seed).spawn(2)
    buyer_rng, seller_rng = np.random.default_rng(buyer_seq), np.random.default_rng(seller_seq)
    # Per figure: sum and sum of squares; for the efficiency, the cross terms too.
    sums = np.zeros(6)
    squares = np.zeros(6)
    cross = 0.0  # sum over draws of gains · first-best gains
    done = 0
    while done < n:
        m = min(BLOCK, n - done)
        v = rule.buyer.sample(buyer_rng, m)
        c = rule.seller.sample(seller_rng, m)
        out = rule.outcome(v, c)
        u_b = v * out.trade - out.buyer_pays
        u_s = out.seller_gets - c * out.trade
        figures = np.stack(
            [
                (v - c) * out.trade,
                out.trade.astype(np.float64),
                out.seller_gets - out.buyer_pays,
                np.maximum(-u_b, 0.0) + np.maximum(-u_s, 0.0),
                ((u_b < 0) | (u_s < 0)).astype(np.float64),
                np.maximum(v - c, 0.0),
            ]
        )
        sums += figures.sum(axis=1)
        squares += (figures * figures).sum(axis=1)
        cross += float(figures[0] @ figures[5])
        done += m
    mean = sums / n
    var = np.maximum(squares / n - mean * mean, 0.0) * n / (n - 1)
    se = np.sqrt(var / n)
    gains, best = mean[0], mean[5]
    if best > 0.0:
        eff = float(gains / best)
        # Var(g - eff·f) = Var g - 2 eff Cov(g, f) + eff² Var f
        cov = (cross / n - gains * best) * n / (n - 1)
        ratio_var = max(var[0] - 2 * eff * cov + eff * eff * var[5], 0.0)
        eff_se = float(math.sqrt(ratio_var / n) / best)
    else:
        eff, eff_se = 1.0, 0.0
    return Simulated(
        mean=Outcome(float(gains), float(mean[1]), float(eff), float(mean[2]), float(mean[3])),
        stderr=Outcome(float(se[0]), float(se[1]), eff_se, float(se[2]), float(se[3])),
        n=n,
        ir_violation_rate=float(mean[4]),
        ir_violation_rate_stderr=float(se[4]),
    )
