"""The router's dual oracle with second derivatives: ``g``'s value, gradient and Hessian.

For strictly convex pools (constant product and weighted geometric mean, fee ``γ < 1``)
each pool's arbitrage value ``f(ν)`` (:mod:`accord.mechanisms.routing.closed_forms`) is
twice differentiable away from the edges of its no-arbitrage band, and its Hessian has a
closed form. Write ``x = R + γΔ − Λ`` for the pool's new reserves at the optimal trade
and ``T`` for the tokens it trades. The KKT conditions of the weighted pool's arbitrage
give ``x_k = λw_k/ν_k`` for a received token and ``x_k = γλw_k/ν_k`` for a tendered one,
so with ``s_k = 1`` (received) or ``1/γ`` (tendered)

    a_k = s_k x_k = λ w_k / ν_k      (k ∈ T),

and differentiating ``net_k = −s_k(x_k − R_k)`` through ``log λ = Σ_T w_k(u_k + g·[k
tendered]) / Σ_T w_k`` (``u_k = log(R_kν_k/w_k)``, ``g = −log γ``) gives the symmetric

    ∇²f(ν) = diag(a/ν) − a aᵀ / (aᵀν)      on T, zero elsewhere,

positive semidefinite with ``∇²f(ν)ν = 0`` (``f`` is positively homogeneous). The
constant-product pool is the two-token case with equal weights. Because ``a`` can be
read off the optimal trade itself (``a_k = R_k − net_k`` when received, ``(R_k −
γ·net_k)/γ`` when tendered), :func:`pool_hessians` needs no more than the closed forms'
output. The dual's Hessian is ``Σ_i A_i ∇²f_i A_iᵀ``, dense over the tokens.

Two implementations compute the same thing: compiled loops (Numba, the ``fast`` extra:
``pip install 'accord[fast]'``; one pass over the pools, no temporaries) and the
vectorised NumPy closed forms as the fallback. They agree to float rounding (tested);
a given installation always picks the same one, so runs stay reproducible.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from accord.mechanisms.routing.closed_forms import product_arbitrage, weighted_arbitrage
from accord.mechanisms.routing.network import FloatView, Group

Array = NDArray[np.float64]
Cases = tuple[NDArray[np.int64], ...]

__all__ = [
    "COMPILED",
    "KERNELS",
    "NOISE",
    "Cases",
    "Evaluation",
    "evaluate",
    "new_cases",
    "pool_hessians",
]

KERNELS = os.environ.get("ACCORD_KERNELS", "").strip().lower()
"""``ACCORD_KERNELS=numpy`` forces the NumPy kernels even where Numba is installed (to
check that a run recorded with one backend replays with the other); ``numba`` requires
Numba (an ImportError without it); unset uses Numba when it is installed."""

if KERNELS not in ("", "numba", "numpy"):
    raise ValueError(f"ACCORD_KERNELS must be 'numba' or 'numpy', got {KERNELS!r}")

COMPILED = KERNELS != "numpy" and importlib.util.find_spec("numba") is not None
"""Whether the compiled kernels are in use (Numba is installed and not overridden)."""

if KERNELS == "numba" and not COMPILED:
    raise ImportError(
        "ACCORD_KERNELS=numba but Numba is not installed (pip install 'accord[fast]')"
    )

NOISE = 1e-12
"""A pool whose every leg is at most this fraction of its reserve does not trade: at the
edge of a no-arbitrage band the closed forms return trades of the size of their own
rounding (the log prices carry absolute errors of ~1e-14), and a token traded only there
would keep a shortfall no price can fix. Dropping such a trade moves ``Ψ`` by at most
1e-12 of a reserve, and its value is second order in it."""


@dataclass(frozen=True, eq=False)
class Evaluation:
    """``Σ_i f_i(ν)``, its gradient ``Σ_i A_i net_i``, the throughput ``Σ_i A_i|net_i|``,
    optionally the Hessian, and each group's optimal trades ``net`` (rows as in the
    group, ``Λ − Δ``)."""

    value: float
    grad: Array
    through: Array
    hess: Array | None
    nets: tuple[Array, ...]


def pool_hessians(reserves: Array, gamma: Array, prices: Array, net: Array) -> Array:
    """Each pool's Hessian ``diag(a/ν) − a aᵀ/(aᵀν)`` from its optimal trade: ``(m, n, n)``.

    ``reserves``, ``prices`` and ``net`` are ``(m, n)``, ``gamma`` is ``(m,)``; a pool that
    does not trade has a zero Hessian (inside its band ``f`` is identically zero).
    """
    g = gamma[:, None]
    a = np.where(net > 0, reserves - net, np.where(net < 0, (reserves - g * net) / g, 0.0))
    av = np.einsum("ij,ij->i", a, prices)
    inv = np.divide(1.0, av, out=np.zeros_like(av), where=av > 0)
    diag = a / prices
    hess = -(a[:, :, None] * a[:, None, :]) * inv[:, None, None]
    rows = np.arange(a.shape[1])
    hess[:, rows, rows] += diag
    out: Array = hess
    return out


def _numpy_group(g: Group, nu: Array) -> tuple[Array, Array]:
    local = nu[g.tokens]
    if g.kind == "product":
        return product_arbitrage(g.reserves, g.gamma, local)
    return weighted_arbitrage(g.reserves, g.shape, g.gamma, local)


def _evaluate_numpy(view: FloatView, nu: Array, hessian: bool) -> Evaluation:
    n = view.n_tokens
    total = 0.0
    grad = np.zeros(n)
    through = np.zeros(n)
    hess = np.zeros(n * n) if hessian else None
    nets: list[Array] = []
    for g in view.groups:
        _, net = _numpy_group(g, nu)
        net[(np.abs(net) / g.reserves).max(axis=1) <= NOISE] = 0.0
        total += float(np.einsum("ij,ij->", net, nu[g.tokens]))
        grad += np.bincount(g.tokens.ravel(), weights=net.ravel(), minlength=n)
        through += np.bincount(g.tokens.ravel(), weights=np.abs(net).ravel(), minlength=n)
        if hess is not None:
            local = nu[g.tokens]
            block = pool_hessians(g.reserves, g.gamma, local, net)
            flat = g.tokens[:, :, None] * n + g.tokens[:, None, :]
            hess += np.bincount(flat.ravel(), weights=block.ravel(), minlength=n * n)
        nets.append(net)
    hess_out = None if hess is None else hess.reshape(n, n)
    return Evaluation(total, grad, through, hess_out, tuple(nets))


def _compile() -> tuple[Any, Any]:
    """The Numba kernels (imported and compiled on first use; cached on disk)."""
    import math

    from numba import njit  # type: ignore[import-not-found,import-untyped,unused-ignore]

    noise = NOISE

    @njit(cache=True)  # type: ignore[misc,unused-ignore]
    def _root(
        u: Any, weights: Any, r: int, g: float, pts: Any, order: Any
    ) -> Any:  # pragma: no cover - compiled
        """The root of ``H(L) = Σ w φ(L − u)``: piecewise linear and non-decreasing,
        with ``H(L) = L`` below every breakpoint (``Σw = 1``, ``Σwu = 0``). Sweeps the
        sorted breakpoints ``u_j`` (token j stops being received) and ``u_j + g``
        (starts being tendered) to the segment where H turns non-negative."""
        k = u.shape[0]
        for j in range(k):
            pts[j] = u[j]
            pts[k + j] = u[j] + g
        for p in range(2 * k):  # insertion sort of the breakpoints' indices
            order[p] = p
            q = p
            while q > 0 and pts[order[q - 1]] > pts[order[q]]:
                order[q - 1], order[q] = order[q], order[q - 1]
                q -= 1
        at = pts[order[0]]
        h = at
        slope = 1.0 - weights[r, order[0]]
        nxt = at
        for p in range(1, 2 * k):
            if h >= 0.0:
                break
            nxt = pts[order[p]]
            h_next = h + slope * (nxt - at)
            if h_next >= 0.0:
                break
            at = nxt
            h = h_next
            j = order[p]
            slope += weights[r, j - k] if j >= k else -weights[r, j]
        # H at the segment's ends directly (exact zeros inside a no-trade band)
        h_at = 0.0
        h_nxt = 0.0
        for j in range(k):
            t = at - u[j]
            h_at += weights[r, j] * (t - min(max(t, 0.0), g))
            t = nxt - u[j]
            h_nxt += weights[r, j] * (t - min(max(t, 0.0), g))
        if h_at >= 0.0:
            return at
        if nxt > at and h_nxt > h_at:
            return at - h_at * (nxt - at) / (h_nxt - h_at)
        return at - h_at  # past the last breakpoint H has slope one

    @njit(cache=True)  # type: ignore[misc,unused-ignore]
    def _from_case(
        u: Any, weights: Any, r: int, g: float, code: int
    ) -> Any:  # pragma: no cover - compiled
        """``(root, ok)``: the root of ``H`` if the tokens received (state 1) and
        tendered (state 2) are those in ``code`` (two bits a token), which ``ok`` checks:
        ``L = Σ_T w(u + g·[tendered]) / Σ_T w``, the closed form on that linear piece."""
        k = u.shape[0]
        num = 0.0
        den = 0.0
        top = -np.inf
        low = np.inf
        for j in range(k):
            state = (code >> (2 * j)) & 3
            if state == 1:
                num += weights[r, j] * u[j]
                den += weights[r, j]
            elif state == 2:
                num += weights[r, j] * (u[j] + g)
                den += weights[r, j]
            top = max(top, u[j])
            low = min(low, u[j])
        if den == 0.0:  # no trade: some L has every t in [0, g]
            return top, top - low <= g
        root = num / den
        for j in range(k):
            t = root - u[j]
            state = (code >> (2 * j)) & 3
            if (state == 1 and t > 0.0) or (state == 2 and t < g):
                return root, False
            if state == 0 and (t < 0.0 or t > g):
                return root, False
        return root, True

    @njit(cache=True)  # type: ignore[misc,unused-ignore]
    def _case_of(u: Any, root: float, g: float) -> Any:  # pragma: no cover - compiled
        """The tokens' states at ``root`` (1 received, 2 tendered, 0 neither), two bits
        a token, with a flag bit above them (so that a known case is never 0)."""
        k = u.shape[0]
        code = 1 << (2 * k)
        for j in range(k):
            t = root - u[j]
            if t < 0.0:
                code |= 1 << (2 * j)
            elif t > g:
                code |= 2 << (2 * j)
        return code

    @njit(cache=True)  # type: ignore[misc,unused-ignore]
    def product_rows(
        reserves: Any,
        gamma: Any,
        tokens: Any,
        nu: Any,
        grad: Any,
        through: Any,
        hess: Any,
        scale: Any,
        net: Any,
        want: bool,
    ) -> float:  # pragma: no cover - compiled
        total = 0.0
        for r in range(reserves.shape[0]):
            r1 = reserves[r, 0]
            r2 = reserves[r, 1]
            v1 = nu[tokens[r, 0]]
            v2 = nu[tokens[r, 1]]
            a = r1 * v1
            b = r2 * v2
            gm = gamma[r]
            n1 = 0.0
            n2 = 0.0
            if gm * b > a:
                q_minus = (gm * b - a) / a
                root = math.sqrt(1.0 + q_minus)
                step = q_minus / (root + 1.0)
                n1 = -r1 * step / gm
                n2 = r2 * step / root
            elif gm * a > b:
                q_minus = (gm * a - b) / b
                root = math.sqrt(1.0 + q_minus)
                step = q_minus / (root + 1.0)
                n2 = -r2 * step / gm
                n1 = r1 * step / root
            if max(abs(n1) / r1, abs(n2) / r2) <= noise:
                n1 = 0.0
                n2 = 0.0
            net[r, 0] = n1
            net[r, 1] = n2
            if n1 == 0.0 and n2 == 0.0:
                continue
            total += n1 * v1 + n2 * v2
            grad[tokens[r, 0]] += n1
            grad[tokens[r, 1]] += n2
            through[tokens[r, 0]] += abs(n1)
            through[tokens[r, 1]] += abs(n2)
            if want:  # diag(a/ν) − a aᵀ/(aᵀν), written out for two tokens
                a1 = r1 - n1 if n1 > 0.0 else (r1 - gm * n1) / gm
                a2 = r2 - n2 if n2 > 0.0 else (r2 - gm * n2) / gm
                av = a1 * v1 + a2 * v2
                t1 = tokens[r, 0]
                t2 = tokens[r, 1]
                s1 = scale[t1]
                s2 = scale[t2]
                cross = a1 * a2 / av * s1 * s2
                hess[t1, t1] += (a1 / v1 - a1 * a1 / av) * s1 * s1
                hess[t2, t2] += (a2 / v2 - a2 * a2 / av) * s2 * s2
                hess[t1, t2] -= cross
                hess[t2, t1] -= cross
        return total

    @njit(cache=True)  # type: ignore[misc,unused-ignore]
    def weighted_rows(
        reserves: Any,
        weights: Any,
        log_ratio: Any,
        gamma: Any,
        fee_log: Any,
        tokens: Any,
        nu: Any,
        log_nu: Any,
        grad: Any,
        through: Any,
        hess: Any,
        scale: Any,
        net: Any,
        cases: Any,
        want: bool,
    ) -> float:  # pragma: no cover - compiled
        m, k = reserves.shape
        u = np.zeros(k)
        pts = np.zeros(2 * k)
        order = np.zeros(2 * k, dtype=np.int64)
        a = np.zeros(k)
        total = 0.0
        for r in range(m):
            gm = gamma[r]
            g = fee_log[r]
            mean = 0.0
            for j in range(k):
                u[j] = log_ratio[r, j] + log_nu[tokens[r, j]]
                mean += weights[r, j] * u[j]
            for j in range(k):
                u[j] -= mean
            if k == 2:  # one token received, the other tendered, or neither
                if u[0] - u[1] > g:
                    root = weights[r, 1] * g
                elif u[1] - u[0] > g:
                    root = weights[r, 0] * g
                else:
                    root = max(u[0], u[1])
            else:  # the case of the last evaluation first; else sort the breakpoints
                root, ok = _from_case(u, weights, r, g, cases[r])
                if not ok:
                    swept = _root(u, weights, r, g, pts, order)
                    cases[r] = _case_of(u, swept, g)
                    root, ok = _from_case(u, weights, r, g, cases[r])
                    if not ok:  # a tie at a breakpoint the closed form misjudged
                        root = swept
            size = 0.0
            for j in range(k):
                t = root - u[j]
                phi = t - min(max(t, 0.0), g)
                change = reserves[r, j] * math.expm1(phi)
                x = -change / gm if change > 0.0 else -change
                net[r, j] = x
                size = max(size, abs(x) / reserves[r, j])
            if size <= noise:
                for j in range(k):
                    net[r, j] = 0.0
                continue
            for j in range(k):
                x = net[r, j]
                total += x * nu[tokens[r, j]]
                grad[tokens[r, j]] += x
                through[tokens[r, j]] += abs(x)
            if not want:
                continue
            av = 0.0  # diag(a/ν) − a aᵀ/(aᵀν) with a read off the trade
            for j in range(k):
                x = net[r, j]
                if x > 0.0:
                    a[j] = reserves[r, j] - x
                elif x < 0.0:
                    a[j] = (reserves[r, j] - gm * x) / gm
                else:
                    a[j] = 0.0
                av += a[j] * nu[tokens[r, j]]
            for j in range(k):  # scaled: S H S
                if a[j] == 0.0:
                    continue
                tj = tokens[r, j]
                sj = scale[tj]
                hess[tj, tj] += a[j] / nu[tj] * sj * sj
                aj = a[j] / av * sj
                for i in range(k):
                    if a[i] != 0.0:
                        ti = tokens[r, i]
                        hess[ti, tj] -= a[i] * scale[ti] * aj
        return total

    return product_rows, weighted_rows


_KERNELS: tuple[Any, Any] | None = None


def _evaluate_compiled(
    view: FloatView, nu: Array, hessian: bool, scale: Array, cases: Cases | None
) -> Evaluation:
    global _KERNELS
    if _KERNELS is None:
        _KERNELS = _compile()
    product_rows, weighted_rows = _KERNELS
    n = view.n_tokens
    grad = np.zeros(n)
    through = np.zeros(n)
    hess = np.zeros((n, n) if hessian else (1, 1))
    total = 0.0
    nets: list[Array] = []
    log_nu = np.log(nu)
    for i, g in enumerate(view.groups):
        net = np.empty_like(g.reserves)
        if g.kind == "product":
            total += product_rows(
                g.reserves, g.gamma, g.tokens, nu, grad, through, hess, scale, net, hessian
            )
        else:
            total += weighted_rows(
                g.reserves,
                g.shape,
                g.log_ratio,
                g.gamma,
                g.fee_log,
                g.tokens,
                nu,
                log_nu,
                grad,
                through,
                hess,
                scale,
                net,
                np.zeros(len(g.pools), dtype=np.int64) if cases is None else cases[i],
                hessian,
            )
        nets.append(net)
    return Evaluation(total, grad, through, hess if hessian else None, tuple(nets))


def new_cases(view: FloatView) -> Cases:
    """Fresh per-pool memories of which tokens each weighted pool traded (none yet), for
    :func:`evaluate` to start from: one solve's evaluations share them."""
    return tuple(np.zeros(len(g.pools), dtype=np.int64) for g in view.groups)


def evaluate(
    view: FloatView,
    nu: Array,
    hessian: bool = False,
    compiled: bool = COMPILED,
    *,
    scale: Array | None = None,
    cases: Cases | None = None,
) -> Evaluation:
    """``Σ_i f_i(ν)`` over a view of product and weighted pools, with gradient, optional
    Hessian and the per-group optimal trades. ``compiled=False`` forces the NumPy path.

    With ``scale`` (``s``, one per token) the Hessian is returned as ``S ∇²g S``
    (``S = diag(s)``): the Hessian in the variables ``z = ν/s``. ``cases``
    (:func:`new_cases`) lets the compiled weighted-pool kernel try each pool's last set
    of traded tokens before sorting its breakpoints; the answer is the same closed
    form either way (so results do not depend on it), only found faster.
    """
    if any(g.kind == "constant_sum" for g in view.groups):
        raise ValueError("constant-sum pools have no Hessian: their arbitrage is piecewise linear")
    s = np.ones(view.n_tokens) if scale is None else scale
    if compiled:
        return _evaluate_compiled(view, nu, hessian, s, cases)
    ev = _evaluate_numpy(view, nu, hessian)
    if ev.hess is None or scale is None:
        return ev
    return Evaluation(ev.value, ev.grad, ev.through, ev.hess * s[:, None] * s[None, :], ev.nets)
