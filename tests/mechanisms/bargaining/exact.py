"""Exact integrals over the trade regions of uniform priors, in rationals.

With ``v ~ U[b_lo, b_hi]`` and ``c ~ U[s_lo, s_hi]`` every linear trade rule trades on a
convex polygon: the box cut by the half-plane ``c ≤ a + m v``. Its area and first
moments (Green's theorem: ``A = ½ Σ (x_i y_{i+1} - x_{i+1} y_i)``,
``∫x = 1/6 Σ (x_i + x_{i+1})(x_i y_{i+1} - x_{i+1} y_i)``, same for ``y``) are exact in
``fractions.Fraction``, so P(trade) and the gains follow with no quadrature at all: an
independent check of the library's.
"""

from __future__ import annotations

from fractions import Fraction as Fr

Point = tuple[Fr, Fr]


def clip_half_plane(poly: list[Point], a: Fr, m: Fr) -> list[Point]:
    """Sutherland–Hodgman: the part of ``poly`` (points ``(v, c)``) with ``c ≤ a + m v``."""

    def inside(p: Point) -> bool:
        return p[1] <= a + m * p[0]

    def cross(p: Point, q: Point) -> Point:
        # f(p) = a + m v - c changes sign between p and q
        fp, fq = a + m * p[0] - p[1], a + m * q[0] - q[1]
        t = fp / (fp - fq)
        return (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))

    out: list[Point] = []
    for i, p in enumerate(poly):
        q = poly[(i + 1) % len(poly)]
        if inside(p):
            out.append(p)
            if not inside(q):
                out.append(cross(p, q))
        elif inside(q):
            out.append(cross(p, q))
    return out


def moments(poly: list[Point]) -> tuple[Fr, Fr, Fr]:
    """``(∫1, ∫v, ∫c)`` over the polygon (counter-clockwise or not: signs are fixed)."""
    area = sv = sc = Fr(0)
    for i, (x0, y0) in enumerate(poly):
        x1, y1 = poly[(i + 1) % len(poly)]
        w = x0 * y1 - x1 * y0
        area += w
        sv += (x0 + x1) * w
        sc += (y0 + y1) * w
    if area == 0:
        return Fr(0), Fr(0), Fr(0)
    sign = 1 if area > 0 else -1
    return sign * area / 2, sign * sv / 6, sign * sc / 6


def linear_region(b: tuple[Fr, Fr], s: tuple[Fr, Fr], a: Fr, m: Fr) -> tuple[Fr, Fr, Fr]:
    """``(P(trade), E[v x], E[c x])`` for trade iff ``c ≤ a + m v`` on the uniform box."""
    box = [(b[0], s[0]), (b[1], s[0]), (b[1], s[1]), (b[0], s[1])]
    area, sv, sc = moments(clip_half_plane(box, a, m))
    mass = (b[1] - b[0]) * (s[1] - s[0])
    return area / mass, sv / mass, sc / mass
