"""The two figures without a closed inner integral: deficit and IR shortfall, vectorised.

For a bound rule (:mod:`.bilateral_rule`)::

    deficit   = ∫ f_B(v) ∫ (p_S - p_B)(v, c) f_S(c) dc dv
    shortfall = ∫ f_B(v) ∫ [(-u_B)⁺ + (-u_S)⁺](v, c) f_S(c) dc dv

**Inner integral**, for a whole array of ``v`` at once: the seller's interval is cut at
every point where the integrand can kink or jump (the trade boundary ``t(v)``, ``v``
itself, the buyer's support ends, the seller's density kinks and the rule's
:meth:`~.bilateral_rule.Rule.cost_kinks`). On each piece ``u_B(v, ·)`` and ``u_S(v, ·)``
are monotone for every rule here (a payment grows with the other side's report), so
each has at most one root there: its sign a hair inside both ends says whether there is
one, and a vectorised bisection (:data:`HALVINGS` halvings) finds it. Each piece,
split at its roots, is then smooth, and Gauss–Legendre with :data:`NODES` nodes
integrates it (exactly, for the piecewise polynomials of uniform priors).

**Outer integral**: Gauss–Legendre on the pieces of ``v`` between the caller's kinks,
adaptive: a piece is accepted when its 32- and 16-node estimates agree to
:data:`TOLERANCE`, else halved (at most :data:`MAX_DEPTH` times, and never into more than
:data:`MAX_PIECES` pieces at once). Every node of a level goes through the inner
integral in one vectorised call. The cap bounds the work: on priors far from 0 relative
to their width (``U[10⁶, 10⁶ + 1]``) the utilities carry a rounding noise of
``ε·10⁶`` that no halving removes, and without it the halvings doubled the pieces down to
:data:`MAX_DEPTH` (2¹⁴ times the work: hours).
"""

from __future__ import annotations

import itertools
import math
from typing import Literal

import numpy as np

from accord.mechanisms.bargaining.bilateral_rule import Rule
from accord.mechanisms.bargaining.priors import FloatArray

Kind = Literal["deficit", "shortfall"]
NODES = 24
"""Gauss–Legendre nodes per smooth inner piece (exact for polynomials of degree 47)."""
TOLERANCE = 1e-13
"""Agreement asked of an outer piece's 32- and 16-node estimates."""
MAX_DEPTH = 14
MAX_PIECES = 512
"""The most outer pieces refined at one depth; beyond it the pieces' estimates are taken."""
ZERO = 1e-11
"""Utilities within ``ZERO`` times the priors' scale of 0 count as 0 (a rule can leave a
boundary type exactly indifferent, and rounding must not read that as a sign change)."""
HAIR = 1e-9
"""How far inside a piece (as a share of its length) its ends are probed."""
HALVINGS = 48
"""Bisection steps for a root: 2⁻⁴⁸ of its piece, far below what moves an integral."""

_GX, _GW = np.polynomial.legendre.leggauss(NODES)
_OUTER = {n: np.polynomial.legendre.leggauss(n) for n in (16, 32)}


def sign_of(u: FloatArray, rule: Rule) -> FloatArray:
    """``sign(u)``, with values within :data:`ZERO` of 0 (relative to the priors) as 0."""
    scale = max(
        1.0, abs(rule.buyer.low), abs(rule.buyer.high), abs(rule.seller.low), abs(rule.seller.high)
    )
    return np.where(np.abs(u) <= ZERO * scale, 0.0, np.sign(u))


def _utilities(rule: Rule, v: FloatArray, c: FloatArray) -> tuple[FloatArray, FloatArray]:
    out = rule.outcome(v.ravel(), c.ravel())
    u_b = v.ravel() * out.trade - out.buyer_pays
    u_s = out.seller_gets - c.ravel() * out.trade
    return u_b.reshape(v.shape), u_s.reshape(v.shape)


def _roots(rule: Rule, v: FloatArray, a: FloatArray, b: FloatArray) -> list[FloatArray]:
    """Per piece ``[a, b]`` (arrays of one shape, ``v`` the buyer's value), the root of
    ``u_B`` and of ``u_S`` inside it, or ``a`` where there is none. Both bisections run
    together, one settlement per halving."""
    width = b - a
    lo_u = _utilities(rule, v, a + HAIR * width)
    hi_u = _utilities(rule, v, b - HAIR * width)
    flips = [(sign_of(lo_u[w], rule) * sign_of(hi_u[w], rule) < 0) & (width > 0) for w in (0, 1)]
    roots = [a.copy(), a.copy()]
    if not (np.any(flips[0]) or np.any(flips[1])):
        return roots
    which = np.concatenate(
        [np.zeros(int(flips[0].sum()), bool), np.ones(int(flips[1].sum()), bool)]
    )
    vf = np.concatenate([v[flips[0]], v[flips[1]]])
    lo = np.concatenate([(a + HAIR * width)[f] for f in flips])
    hi = np.concatenate([(b - HAIR * width)[f] for f in flips])
    low_sign = sign_of(np.concatenate([lo_u[0][flips[0]], lo_u[1][flips[1]]]), rule)
    for _ in range(HALVINGS):
        mid = 0.5 * (lo + hi)
        u_b, u_s = _utilities(rule, vf, mid)
        same = sign_of(np.where(which, u_s, u_b), rule) == low_sign
        lo, hi = np.where(same, mid, lo), np.where(same, hi, mid)
    found = 0.5 * (lo + hi)
    roots[0][flips[0]] = found[~which]
    roots[1][flips[1]] = found[which]
    return roots


def inner(rule: Rule, kind: Kind, vs: FloatArray) -> FloatArray:
    """``f_B(v) ∫ integrand(v, c) f_S(c) dc`` for each ``v`` in ``vs`` (module docstring)."""
    b, s = rule.buyer, rule.seller
    m = vs.shape[0]
    bounds = np.array([rule.threshold(float(x)) for x in vs])
    fixed = (s.low, s.high, b.low, b.high, *s.kinks, *rule.cost_kinks())
    cols = [bounds, vs, *(np.full(m, x) for x in fixed)]
    cuts = np.sort(np.clip(np.stack(cols, axis=1), s.low, s.high), axis=1)
    a, z = cuts[:, :-1], cuts[:, 1:]
    v = np.broadcast_to(vs[:, None], a.shape)
    if kind == "shortfall":
        r_b, r_s = _roots(rule, v, a, z)
        split = np.sort(np.stack([a, r_b, r_s, z], axis=-1), axis=-1)
        a, z = split[..., :-1], split[..., 1:]
        v = np.broadcast_to(vs[:, None, None], a.shape)
    half = 0.5 * (z - a)
    c = half[..., None] * _GX + (0.5 * (z + a))[..., None]
    vv = np.broadcast_to(v[..., None], c.shape)
    if kind == "deficit":
        out = rule.outcome(vv.ravel(), c.ravel())
        values = (out.seller_gets - out.buyer_pays).reshape(c.shape)
    else:
        u_b, u_s = _utilities(rule, vv, c)
        values = np.maximum(-u_b, 0.0) + np.maximum(-u_s, 0.0)
    weighted = (values * s.pdf(c)) @ _GW * half
    return np.asarray(b.pdf(vs) * weighted.reshape(m, -1).sum(axis=1), dtype=np.float64)


def _level(rule: Rule, kind: Kind, pieces: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Each piece's (32-node, 16-node) estimates, every node in one inner call."""
    nodes, weights = [], []
    for a, b in pieces:
        for n in (32, 16):
            gx, gw = _OUTER[n]
            nodes.append(0.5 * (b - a) * gx + 0.5 * (a + b))
            weights.append(0.5 * (b - a) * gw)
    values = inner(rule, kind, np.concatenate(nodes))
    out, at = [], 0
    for w_hi, w_lo in zip(weights[0::2], weights[1::2], strict=True):
        hi = float(values[at : at + 32] @ w_hi)
        lo = float(values[at + 32 : at + 48] @ w_lo)
        out.append((hi, lo))
        at += 48
    return out


def nested_integral(rule: Rule, kind: Kind, points: tuple[float, ...]) -> float:
    """``deficit`` or ``shortfall`` of the module docstring, outer pieces split at ``points``."""
    edges = (rule.buyer.low, *points, rule.buyer.high)
    pending = [(a, b) for a, b in itertools.pairwise(edges) if b > a]
    total: list[float] = []
    for depth in range(MAX_DEPTH + 1):
        if not pending:
            break
        estimates = _level(rule, kind, pending)
        tol = TOLERANCE / 2**depth
        refine = [abs(hi - lo) > tol * max(1.0, abs(hi)) for hi, lo in estimates]
        # past the last depth, or when halving would exceed the cap (rounding noise, not
        # curvature, keeps the estimates apart), every piece takes its 32-node estimate
        last = depth == MAX_DEPTH or 2 * sum(refine) > MAX_PIECES
        nxt = []
        for (a, b), (hi, _), again in zip(pending, estimates, refine, strict=True):
            if again and not last:
                mid = 0.5 * (a + b)
                nxt += [(a, mid), (mid, b)]
            else:
                total.append(hi)
        pending = nxt
    return math.fsum(total)
