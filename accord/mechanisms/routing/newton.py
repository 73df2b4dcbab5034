"""Projected Newton on the routing dual, and primal recovery without a linear program.

When every pool is strictly convex (constant product or weighted geometric mean), the
dual ``g(ν) = Σ_i f_i(A_iᵀν) − (ν − c)ᵀlb`` over ``ν ≥ c`` is C¹ and piecewise C², with
the Hessian of :mod:`accord.mechanisms.routing.kernels`. Its KKT conditions are exactly
primal feasibility and complementary slackness:

    Ψ_k(ν) = lb_k  where ν_k > c_k,      Ψ_k(ν) ≥ lb_k  where ν_k = c_k,

with ``Ψ(ν) = ∇g(ν) + lb`` the sum of the pools' optimal trades at ``ν``. So a precise
dual solution *is* the route: each pool trades its closed-form arbitrage at ``ν``, and
only float round-off is left to repair. Since ``f_i(ν) = νᵀnet_i`` (positive
homogeneity), the duality gap of those trades is ``g(ν) − cᵀΨ = (ν − c)ᵀ(Ψ − lb)``.

**The method** is Bertsekas' projected Newton method for simple bounds ("Projected Newton
methods for optimization problems with simple constraints", SIAM J. Control Optim. 20,
1982): tokens at (or within ``ε`` of) their bound with a positive gradient take a
diagonally scaled gradient step that the projection stops at the bound; the others take
the Newton step of the reduced Hessian, regularised because a token whose pools all sit
inside their no-arbitrage bands has no curvature; the step is projected on ``ν ≥ c``
and backtracked until the Armijo condition holds. Where the pools' trading sets settle,
convergence is quadratic; at the edges of bands (where ``g`` is not C²) it is fast
linear. In the last steps ``g`` changes by less than its own rounding, so a step is
then also accepted when it shrinks the estimated gap.

**Recovery** (:func:`recover_direct`): the trades at the final ``ν``, receipts shaved by
1e-12 so that each pool's invariant holds in floats, then any token still short of its
bound has the pools tendering it scaled down, vectorised over the pools. The caller
certifies the gap against ``g`` at the same ``ν``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.linalg.lapack import dpotrf, dpotrs

from accord.mechanisms.routing.kernels import Evaluation, evaluate, new_cases
from accord.mechanisms.routing.network import FloatView
from accord.mechanisms.routing.primal import rounding_margins

Array = NDArray[np.float64]

__all__ = ["Direct", "newton", "recover_direct", "unit_margins"]

_ARMIJO = 1e-4
_MAX_ITERATIONS = 60
_BACKTRACKS = 12
_BRACKETS = 60  # slope evaluations of the search that takes over from backtracking
_TARGET = 1e-11  # stop once the estimated relative gap is below this
_STALLED = 1e-9  # ... or below this, once rounding stops progress
_STALE = 4  # iterations without a tenth off the best estimate that mean no progress
_BOUND_MARGIN = 4e-12  # of each token's throughput, added to its bound while solving
_RESOLUTION = 4 * 2.0**-52  # ulps of a price whose flow a bound's margin must exceed
_SHAVE = 1e-12  # receipts shaved so that invariants hold in floats
_MARGIN = 1e-12  # relative margin every bound must hold by after recovery


@dataclass(frozen=True, eq=False)
class Direct:
    """A solved dual point: prices ``ν``, the bound ``g(ν)`` (no margins), the
    evaluation there (trades by group), the counts, and whether the stopping test
    (rather than the iteration limit or a failed line search) ended the solve."""

    nu: Array
    value: float
    evaluation: Evaluation
    iterations: int
    evaluations: int
    converged: bool


def _estimate(c: Array, lb: Array, nu: Array, psi: Array) -> float:
    """What recovery at ``ν`` would leave of the gap: complementary slackness plus
    (three times) the value of any shortfall a repair would have to take back."""
    slack = float(np.dot(nu - c, psi - lb))
    short = float(np.dot(nu, np.maximum(lb - psi, 0.0)))
    return abs(slack) + 3.0 * short


def _resolution(ev: Evaluation, nu: Array, nu0: Array) -> Array:
    """What ``_RESOLUTION`` (a few ulps) of each token's price moves its flow:
    ``_RESOLUTION·H_kk·ν_k`` from the Hessian's diagonal (scaled by ``ν₀``, so
    ``H_kk·ν_k = hess_kk·ν_k/ν₀_k²``).

    A swap of ``t`` through pools of depth ``S ≫ t`` has ``H_kk·ν_k ≈ S/2``: its flow
    moves in steps of about ``S·1e-16`` however its price is chosen. A bound's margin
    below that step (``4e-12·t`` once ``t/S`` is under about 1e-4) is a window no price
    lands in, and Newton stalls short of it; the margin is therefore never narrower.
    """
    assert ev.hess is not None
    out: Array = _RESOLUTION * np.abs(np.diag(ev.hess)) * nu / np.maximum(nu0 * nu0, 1e-300)
    return out


def unit_margins(view: FloatView, ev: Evaluation) -> Array:
    """Base units each tendered token keeps back for rounding
    (:func:`accord.mechanisms.routing.primal.rounding_margins`) at an evaluation's trades."""
    n = view.n_tokens
    touching = np.zeros(n)
    for g, net in zip(view.groups, ev.nets, strict=True):
        touching += np.bincount(g.tokens.ravel(), weights=(net != 0).ravel(), minlength=n)
    return rounding_margins(0.5 * (ev.through - ev.grad), touching, ev.through)


def newton(
    view: FloatView,
    c: Array,
    lb: Array,
    nu0: Array,
    active: NDArray[np.bool_],
    floor: float,
    *,
    units: Array | None = None,
    start: Array | None = None,
    lower_floor: float = 1e-9,
) -> Direct:
    """Minimise ``g`` over ``ν ≥ c`` by projected Newton (module docstring).

    Works in the scaled variables ``z = ν/ν₀`` on the ``active`` tokens (the others stay
    at ``ν₀``), from ``start`` (default ``ν₀``); unvalued tokens are kept above
    ``lower_floor·ν₀``.

    Every bound carries a margin of ``4e-12`` of the token's throughput at the current
    point (re-read each iteration, fixed within its line search). The solution's own
    ``Ψ ≥ lb`` then holds with room for the receipts :func:`recover_direct` shaves and
    for its relative margin, so no repair beyond round-off is left, at a cost of at most
    that fraction of the value.

    Stops once the estimated gap (:func:`_estimate`) is below ``_TARGET·max(g, floor)``
    and no token is short by more than half its margin. Rounding may stop progress
    first: no step can be told from ``g``'s rounding, or the best estimate has not
    fallen by a tenth in ``_STALE`` iterations. The best point seen then counts as
    converged if its estimate is below ``_STALLED·max(g, floor)``.

    With ``units`` (base units per token, fixed: e.g. :func:`unit_margins` of an earlier
    solution) every bound carries at least that margin too, so that rounding the trades
    to base units cannot leave a token short either.
    """
    free = np.flatnonzero(active)
    every = len(free) == len(nu0)
    scale = nu0[free]
    lower = np.maximum(c[free], lower_floor * scale) / scale
    z = np.maximum(np.ones(len(free)) if start is None else start[free] / scale, lower)
    base = nu0.copy()
    cases = new_cases(view)

    def at(zv: Array) -> tuple[Array, Evaluation]:
        v = base.copy()
        v[free] = np.maximum(zv * scale, c[free])
        return v, evaluate(view, v, hessian=True, scale=nu0, cases=cases)

    def value(v: Array, ev: Evaluation, bound: Array) -> float:
        return ev.value - float(np.dot(v - c, bound))

    point, ev = at(z)
    evaluations, iterations = 1, 0
    converged = False
    # the least estimate with margins: (estimate, g there with margins, ν, evaluation)
    best: tuple[float, float, Array, Evaluation] | None = None
    stale = 0  # iterations since the best estimate last fell by a tenth
    while True:
        margin = np.maximum(_BOUND_MARGIN * ev.through, _resolution(ev, point, nu0))
        if units is not None:
            margin = np.maximum(margin, units)
        bound = lb + margin
        val = value(point, ev, bound)
        est = _estimate(c, bound, point, ev.grad)
        margins_hold = bool((bound - ev.grad <= 0.5 * margin).all())
        if est <= _TARGET * max(val, floor) and margins_hold:
            converged = True
            break
        if margins_hold:
            stale = 0 if best is None or est < 0.9 * best[0] else stale + 1
            if best is None or est < best[0]:
                best = (est, val, point, ev)
        if stale >= _STALE or iterations >= _MAX_ITERATIONS:
            break  # cycling at the flows' rounding, or out of iterations: keep the best
        iterations += 1
        step, gz = _step(ev, bound, free, every, scale, z, lower)
        # never let a price fall below half its value in one step (a trust region)
        shrink = np.full_like(step, np.inf)
        np.divide(-0.5 * z, step, out=shrink, where=step < 0)
        alpha = min(1.0, float(shrink.min()))
        # g's rounding (each pool's value is a difference of what it pays and takes),
        # generously: a step inside it must still cut the estimate by a tenth
        noise = _TARGET * max(abs(val), floor) + 1e-13 * float(np.dot(point, ev.through))
        for _ in range(_BACKTRACKS):
            trial = np.maximum(z + alpha * step, lower)
            if (trial == z).all():
                alpha = 0.0  # the step is below the prices' resolution
                break
            t_point, t_ev = at(trial)
            evaluations += 1
            t_val = value(t_point, t_ev, bound)
            # Armijo; or, once g cannot tell the points apart, a clearly smaller estimate
            if t_val <= val + _ARMIJO * float(np.dot(gz, trial - z)) or (
                abs(t_val - val) <= noise and _estimate(c, bound, t_point, t_ev.grad) < 0.9 * est
            ):
                z, point, ev = trial, t_point, t_ev
                break
            alpha *= 0.5
        else:
            # every trial overshot: search the segment to the last one by its slope
            found = _bracket(at, z, step, 2.0 * alpha, gz, bound, free, scale, lower)
            evaluations += found[0]
            if found[1] is None:
                alpha = 0.0
            else:
                t_z, t_point, t_ev = found[1]
                t_val = value(t_point, t_ev, bound)
                if t_val <= val or _estimate(c, bound, t_point, t_ev.grad) < 0.9 * est:
                    z, point, ev = t_z, t_point, t_ev
                else:
                    alpha = 0.0
        if alpha == 0.0:  # no descent left at float precision
            break
    # measured against g (as the target is), not against Σ f_i, which for a swap is only
    # the pools' arbitrage at ν, orders of magnitude below the swap's value
    if not converged and best is not None and best[0] <= _STALLED * max(best[1], floor):
        converged = True  # not to the target, but as far as rounding lets Newton go
        point, ev = best[2], best[3]
    return Direct(point, value(point, ev, lb), ev, iterations, evaluations, converged)


def _bracket(
    at: Callable[[Array], tuple[Array, Evaluation]],
    z: Array,
    step: Array,
    alpha: float,
    gz: Array,
    bound: Array,
    free: NDArray[np.intp],
    scale: Array,
    lower: Array,
) -> tuple[int, tuple[Array, Array, Evaluation] | None]:
    """``(evaluations, (z, ν, evaluation) or None)``: the minimum of ``g`` along
    ``z + α·step``, ``α ∈ (0, alpha]``, found by regula falsi (Illinois) on the slope.

    Armijo backtracking halves the step only ``_BACKTRACKS`` times. When a price's pools
    all sit inside their no-arbitrage bands its Newton step has no curvature to bound
    it, and the trust region's half-price step is then far longer than the distance to
    the optimum: for a swap of ``t`` through pools of depth ``S`` the optimal price lies
    about ``2t/S`` past the band's edge, below the last trial's reach once ``t/S`` is
    under 1e-4. ``g`` is convex along the segment, with slope ``gzᵀstep < 0`` at its
    start and (every trial having overshot) usually positive at its end; the slope's
    root is the minimum. Stops once the slope is a tenth of its start's; ``None`` when
    the end's slope is not positive (the trials failed on ``g``'s rounding instead).
    """
    segment = alpha * step  # searched as z + β·segment, β ∈ (0, 1]: no overflow in slopes
    # the path is projected on ν ≥ c: a price the projection holds at its bound does not move
    lo, s_lo = 0.0, float(np.dot(gz, np.where((z <= lower) & (segment < 0), 0.0, segment)))
    hi = 1.0
    evaluations = 0
    best: tuple[Array, Array, Evaluation] | None = None

    def slope_at(a: float) -> tuple[float, tuple[Array, Array, Evaluation]]:
        ahead = z + a * segment
        trial = np.maximum(ahead, lower)
        t_point, t_ev = at(trial)
        moving = np.where(ahead < lower, 0.0, segment)
        return float(np.dot((t_ev.grad - bound)[free] * scale, moving)), (trial, t_point, t_ev)

    s_hi, _ = slope_at(hi)
    evaluations += 1
    if not s_lo < 0.0 < s_hi:
        return evaluations, None
    side = 0  # Illinois: halve the slope kept at an end chosen twice in a row
    f_lo, f_hi = s_lo, s_hi
    for _ in range(_BRACKETS):
        a = hi - f_hi * (hi - lo) / (f_hi - f_lo)
        if not lo < a < hi:
            a = 0.5 * (lo + hi)
        s, trial = slope_at(a)
        evaluations += 1
        if abs(s) <= 0.1 * abs(s_lo):
            return evaluations, trial
        if s < 0.0:
            lo, f_lo, best = a, s, trial
            if side == -1:
                f_hi *= 0.5
            side = -1
        else:
            hi, f_hi = a, s
            if side == 1:
                f_lo *= 0.5
            side = 1
    return evaluations, best


def _step(
    ev: Evaluation,
    bound: Array,
    free: NDArray[np.intp],
    every: bool,
    scale: Array,
    z: Array,
    lower: Array,
) -> tuple[Array, Array]:
    """Bertsekas' projected Newton direction in ``z`` and the scaled gradient."""
    gz = (ev.grad - bound)[free] * scale
    assert ev.hess is not None  # already scaled: the Hessian in z
    hz = ev.hess if every else ev.hess[np.ix_(free, free)]
    projected = np.maximum(z - gz, lower) - z
    eps = min(1e-3, float(np.abs(projected).max()))
    bind = (z - lower <= eps) & (gz > 0)
    step = np.zeros_like(z)
    if bind.any():  # a diagonally scaled gradient step, which the projection stops
        curv = np.diag(hz)[bind]
        step[bind] = np.where(curv > 0, -gz[bind] / np.maximum(curv, 1e-300), -np.inf)
        step[bind] = np.maximum(step[bind], lower[bind] - z[bind])
    f = np.flatnonzero(~bind)
    if len(f) == len(z):
        step = _solve(hz, -gz)
    elif len(f):
        step[f] = _solve(hz[np.ix_(f, f)], -gz[f])
    return step, gz


def _solve(h: Array, rhs: Array) -> Array:
    """``(H + δI)⁻¹ rhs`` by Cholesky (LAPACK ``potrf``/``potrs``), with ``δ`` raised
    until ``H + δI`` factors: a token that no trading pool touches has a zero row."""
    n = len(rhs)
    scale = float(np.abs(np.diag(h)).max()) if n else 0.0
    delta = max(1e-12 * scale, 1e-300)
    for _ in range(8):
        a = h.copy()
        a.flat[:: n + 1] += delta
        factor, info = dpotrf(a, lower=False, clean=False, overwrite_a=True)
        if info == 0:
            out, info = dpotrs(factor, rhs, lower=False)
            if info == 0 and np.isfinite(out).all():
                return np.asarray(out, dtype=float)
        delta *= 1e3
    return rhs / max(scale, 1e-300)  # pragma: no cover - a gradient step as last resort


def recover_direct(
    view: FloatView, lb: Array, nets: tuple[Array, ...]
) -> tuple[tuple[Array, ...], Array]:
    """Feasible trades from the pools' optimal trades at the dual solution:
    ``(nets, Ψ)`` with every ``Ψ_k ≥ lb_k + 1e-12·(tendered_k)``.

    Receipts are shaved by 1e-12 (invariants hold in floats despite the closed forms'
    rounding); then, while a token is short, each pool tendering it is scaled by the
    least of its tokens' keep factors ``1 − 2·short/tendered`` (scaling a trade towards
    zero keeps it feasible: the trading set is convex and holds the zero trade). After
    :func:`newton`'s margins nothing is usually short; if scaling cascades round a
    cycle for 200 rounds, the zero trade is returned (the caller's certificate then
    shows the loss).
    """
    n = view.n_tokens
    out = [np.where(net > 0, net * (1.0 - _SHAVE), net) for net in nets]
    for _ in range(200):
        psi = np.zeros(n)
        tendered = np.zeros(n)
        for g, net in zip(view.groups, out, strict=True):
            flat = g.tokens.ravel()
            psi += np.bincount(flat, weights=net.ravel(), minlength=n)
            tendered += np.bincount(flat, weights=np.maximum(-net, 0.0).ravel(), minlength=n)
        short = lb + _MARGIN * tendered - psi
        bad = (short > 0) & (tendered > 0)
        if not bad.any():
            return tuple(out), psi
        keep = np.ones(n)
        keep[bad] = np.maximum(1.0 - 2.0 * short[bad] / tendered[bad], 0.0)
        for i, (g, net) in enumerate(zip(view.groups, out, strict=True)):
            factor = np.where(net < 0, keep[g.tokens], 1.0).min(axis=1)
            if (factor < 1.0).any():
                out[i] = net * factor[:, None]
    return tuple(np.zeros_like(net) for net in nets), np.zeros(n)
