"""Paired differences against a baseline design, under common random numbers.

With ``common_random_numbers = true`` every grid point (design) runs the same seeds, so
replicate ``r`` sees the same token network, agents and needs under every design. The
difference ``dᵣ = xᵣ(design) − xᵣ(baseline)`` then cancels what the draw contributes to
both, and its mean over seeds has a far smaller spread than the difference of two
independent means (common random numbers, a variance-reduction technique: Law,
*Simulation Modeling and Analysis*, 5th ed., 2015, §11.2). Its interval is the same
bootstrap percentile interval as the summary's (:mod:`accord.lab.stats`), taken over
the seeds' differences, so it is paired: it resamples seeds, not runs.

Runs are paired by seed: a seed counts at a design when its run succeeded there and at
the baseline and the metric is defined in both. Without common random numbers no seed
is shared, and there is nothing to pair (:attr:`Paired.pairs` is 0).

The **baseline** is the first design unless the scenario's ``baseline`` (a table of
swept keys to values, naming one grid point) or ``accord report --baseline`` says
otherwise; :func:`find_baseline` resolves either.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accord.lab.scenario import plain, short_key
from accord.lab.stats import DUST_RTOL, Cell, PointSummary, Summary, bootstrap_intervals

__all__ = ["BaselineError", "Paired", "find_baseline", "paired_differences", "parse_baseline"]


class BaselineError(ValueError):
    """A baseline that names no grid point, or more than one."""


@dataclass(frozen=True)
class Paired:
    """Every design's paired differences from the baseline, per metric."""

    baseline: PointSummary
    points: tuple[tuple[PointSummary, dict[str, Cell]], ...]
    """Each other design with one difference :class:`Cell` per metric."""

    @property
    def pairs(self) -> int:
        """The most seeds paired for any design and metric (0: no common seeds)."""
        return max((c.n for _, cells in self.points for c in cells.values()), default=0)

    def unchanged(self, metrics: tuple[str, ...]) -> list[str]:
        """Metrics whose paired difference is zero for every seed at every design (float
        dust counts as zero, :func:`_difference`): the design does not move them."""
        out = []
        for m in metrics:
            diffs = [d for _, cells in self.points for d in cells[m].values]
            if diffs and all(d == 0.0 for d in diffs):
                out.append(m)
        return out

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN as ``null``)."""
        return {
            "baseline": self.baseline.index,
            "points": [
                {"point": p.index, "metrics": {m: c.as_dict() for m, c in cells.items()}}
                for p, cells in self.points
            ],
        }


def paired_differences(summary: Summary, baseline: int = 0) -> Paired:
    """Each design's difference from the design at point index ``baseline``, per seed."""
    by_index = {p.index: p for p in summary.points}
    if baseline not in by_index:
        raise BaselineError(f"no grid point {baseline} (the sweep has {len(by_index)})")
    base = by_index[baseline]
    metrics = summary.meta.metrics
    others = [p for p in summary.points if p.index != baseline]
    samples: list[list[float]] = []
    seeds: list[list[int]] = []
    for point in others:
        for m in metrics:
            mine = dict(zip(point.cells[m].seeds, point.cells[m].values, strict=True))
            theirs = dict(zip(base.cells[m].seeds, base.cells[m].values, strict=True))
            # inf - inf is no difference at all: that seed is left out, like a NULL
            pairs = [(s, _difference(mine[s], theirs[s])) for s in base.cells[m].seeds if s in mine]
            pairs = [(s, d) for s, d in pairs if not math.isnan(d)]
            samples.append([d for _, d in pairs])
            seeds.append([s for s, _ in pairs])
    found = bootstrap_intervals(samples)
    out: list[tuple[PointSummary, dict[str, Cell]]] = []
    k = 0
    for point in others:
        cells: dict[str, Cell] = {}
        for m in metrics:
            cells[m] = Cell(tuple(samples[k]), tuple(seeds[k]), *found[k])
            k += 1
        out.append((point, cells))
    return Paired(base, tuple(out))


def parse_baseline(text: str) -> dict[str, str]:
    """``ordering=batch,mempool=sealed`` -> ``{"ordering": "batch", ...}`` (values as text;
    :func:`find_baseline` compares them with each point's values as labels show them)."""
    out: dict[str, str] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise BaselineError(f"--baseline: {part.strip()!r} is not KEY=VALUE")
        if key in out:
            raise BaselineError(f"--baseline: {key} is given twice")
        out[key] = value
    return out


def find_baseline(summary: Summary, wanted: Mapping[str, Any]) -> int:
    """The index of the one grid point whose swept values match ``wanted``.

    Keys may be full (``device.ordering``) or short (``ordering``); a value matches if it
    equals the point's value or its label (``plain``), so ``"1.5"`` from the command
    line matches the number 1.5. Keys not given match anything, so naming one key of a
    two-key sweep must still leave a single point.
    """
    keys = summary.meta.swept_keys
    resolved: dict[str, Any] = {}
    for key, value in wanted.items():
        full = [k for k in keys if k == key] or [k for k in keys if short_key(k) == key]
        if len(full) != 1:
            known = ", ".join(keys) or "none"
            what = "ambiguous" if full else "not a swept key"
            raise BaselineError(f"baseline: {key!r} is {what} (swept: {known})")
        resolved[full[0]] = value
    matches = [
        p
        for p in summary.points
        if all(p.values[k] == v or plain(p.values[k]) == plain(v) for k, v in resolved.items())
    ]
    if len(matches) != 1:
        shown = ", ".join(f"{short_key(k)}={plain(v)}" for k, v in resolved.items())
        count = "no grid point" if not matches else f"{len(matches)} grid points"
        raise BaselineError(f"baseline {shown} matches {count}; name exactly one design")
    return matches[0].index


def _difference(mine: float, theirs: float) -> float:
    """``mine − theirs``, or exactly 0 when it is float dust: within ``DUST_RTOL`` of the
    pair's scale (the larger magnitude, one unit at least), the same tolerance as the
    summary's hidden metrics. Without this a metric computed along two float paths would
    show a "significant" difference of 1e-13 with a degenerate interval."""
    d = mine - theirs
    if math.isfinite(d) and abs(d) <= DUST_RTOL * max(1.0, abs(mine), abs(theirs)):
        return 0.0
    return d
