"""Per grid point summaries: mean and 95% confidence interval of every metric over seeds.

The interval is Student's t: ``mean ± t₀.₉₇₅(n−1) · s / √n`` with ``s`` the sample
standard deviation (``ddof=1``) of the ``n`` successful replicates at the point. It
assumes the replicates are independent draws, which the runner's seed derivation gives
(:mod:`accord.lab.runner`). With one replicate there is no interval (NaN); a metric that
is NULL in a run (undefined there, or the run failed) is left out of that point's ``n``.
An infinite value (a ratio over zero) stays in: the mean is then infinite and the
interval undefined, which the report shows as such rather than hiding the run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from accord.lab.results import RunMeta, load, read_meta
from accord.lab.scenario import plain, short_key

__all__ = ["Cell", "PointSummary", "Summary", "mean_ci", "summarize"]


@dataclass(frozen=True)
class Cell:
    """One metric at one grid point: its values over seeds, mean and CI half-width."""

    values: tuple[float, ...]
    mean: float
    ci95: float

    @property
    def n(self) -> int:
        return len(self.values)

    def as_dict(self) -> dict[str, float | int | None]:
        return {"mean": _json(self.mean), "ci95": _json(self.ci95), "n": self.n}


@dataclass(frozen=True)
class PointSummary:
    """A grid point: its swept values, run counts and one :class:`Cell` per metric."""

    index: int
    values: dict[str, Any]
    ok: int
    failed: int
    cells: dict[str, Cell]

    def label(self, keys: tuple[str, ...] | None = None) -> str:
        keys = tuple(self.values) if keys is None else keys
        if not keys:
            return "all runs"
        shorts = [short_key(k) for k in keys]
        names = shorts if len(set(shorts)) == len(shorts) else list(keys)
        return ", ".join(f"{n}={plain(self.values[k])}" for n, k in zip(names, keys, strict=True))


@dataclass(frozen=True)
class Summary:
    """A run directory, summarised per grid point."""

    meta: RunMeta
    points: tuple[PointSummary, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: NaN becomes ``null``."""
        return {
            "scenario": self.meta.name,
            "game": self.meta.game,
            "runs": self.meta.runs,
            "failed": self.meta.failed,
            "swept": list(self.meta.swept_keys),
            "points": [
                {
                    "point": p.index,
                    "values": p.values,
                    "ok": p.ok,
                    "failed": p.failed,
                    "metrics": {m: c.as_dict() for m, c in p.cells.items()},
                }
                for p in self.points
            ],
        }


def mean_ci(values: list[float] | tuple[float, ...]) -> tuple[float, float]:
    """``(mean, half-width of the 95% Student-t interval)``; NaN where undefined."""
    n = len(values)
    if n == 0:
        return math.nan, math.nan
    array = np.asarray(values, dtype=np.float64)
    mean = float(array.mean())
    if n < 2 or not math.isfinite(mean):
        return mean, math.nan
    sem = float(array.std(ddof=1)) / math.sqrt(n)
    return mean, float(stats.t.ppf(0.975, n - 1)) * sem


def summarize(run_dir: str | Path) -> Summary:
    """Mean and 95% CI of every metric at every grid point of a run directory."""
    meta = read_meta(run_dir)
    keys = meta.swept_keys
    columns = ["point", "status", *keys, *meta.metrics]
    select = ", ".join(f'"{c}"' for c in columns)
    con = load(run_dir)
    try:
        rows = con.execute(f"SELECT {select} FROM results ORDER BY run").fetchall()
    finally:
        con.close()
    grouped: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        grouped.setdefault(int(row[0]), []).append(row)
    points: list[PointSummary] = []
    for index in sorted(grouped):
        group = grouped[index]
        values = dict(zip(keys, group[0][2 : 2 + len(keys)], strict=True))
        ok = [r for r in group if r[1] == "ok"]
        cells: dict[str, Cell] = {}
        for m, metric in enumerate(meta.metrics):
            xs = tuple(_float(r[2 + len(keys) + m]) for r in ok)
            xs = tuple(x for x in xs if not math.isnan(x))
            mean, ci = mean_ci(xs)
            cells[metric] = Cell(xs, mean, ci)
        points.append(PointSummary(index, values, len(ok), len(group) - len(ok), cells))
    return Summary(meta, tuple(points))


def _float(value: object) -> float:
    if value is None:
        return math.nan
    if isinstance(value, Decimal | int | float):
        return float(value)
    raise TypeError(f"metric value {value!r} is not a number")


def _json(x: float) -> float | None:
    """Strict JSON has no NaN or infinity: both become ``null``."""
    return x if math.isfinite(x) else None
