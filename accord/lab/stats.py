"""Per grid point summaries: the mean of every metric over seeds and its 95% interval.

**The interval** is the bootstrap percentile interval of the mean (Efron & Tibshirani,
*An Introduction to the Bootstrap*, 1993, ch. 13): resample the ``n`` seeds' values with
replacement ``N_RESAMPLES`` times, and take the 2.5th and 97.5th percentiles of the
resampled means (:func:`scipy.stats.bootstrap`, ``method="percentile"``). Every
resampled mean is an average of observed values, so the interval lies within the
observed range and hence within the metric's support: no interval of a count or a
non-negative amount reaches below zero, which the Student-t interval used before did
(``5 ± 6.6`` unfilled needs). The interval is clipped to the observed range (against a
last-bit rounding of the resampled means) and to the support the game declares
(:mod:`accord.games.glossary`), a guard that only matters if a value broke its
declaration (:attr:`Summary.outside` counts those).

The resampling is seeded (``numpy.random.default_rng(BOOTSTRAP_SEED)``, fresh for every
call), so a report rebuilt from the same results shows the same intervals. Every cell's
interval is exactly what ``scipy.stats.bootstrap((values,), np.mean,
method="percentile", rng=np.random.default_rng(BOOTSTRAP_SEED))`` gives for that cell
alone; the cells of a grid point are computed in one vectorised call, which draws the
same resampling indices for each row.

What it is not: with few seeds (3 in the flagship) the percentile interval is narrow
and under-covers (it cannot be wider than the observed range); read it as "where the
seeds' mean would move under resampling", not as a guarantee. With one value there is
no interval (NaN); with all values equal the interval is that value (``[v, v]``), set
exactly rather than resampled. A metric that is NULL in a run (undefined there, or the
run failed) is left out of that point's ``n``. An infinite value (a ratio over zero)
stays in: the mean is then infinite and the interval undefined, which the report shows
rather than hiding the run.

**Hidden metrics** (:func:`hidden_metrics`): a metric whose values are equal in every
run is *constant* and a metric whose values differ only by float noise is *float dust*
(``max − min ≤ DUST_RTOL · max(1, max |x|)``: the spread is below a billionth of the
metric's scale, one unit at least); the report lists both instead of giving them a
column and a plot.

Paired differences against a baseline design are in :mod:`accord.lab.paired`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from accord.games.base import game_glossary
from accord.games.glossary import REAL, Glossary, Metric, Support
from accord.lab.results import RunMeta, load, read_meta
from accord.lab.scenario import plain, short_key

__all__ = [
    "BOOTSTRAP_SEED",
    "CONFIDENCE",
    "DUST_RTOL",
    "N_RESAMPLES",
    "Cell",
    "PointSummary",
    "Summary",
    "bootstrap_intervals",
    "declaration",
    "hidden_metrics",
    "make_cell",
    "summarize",
]

CONFIDENCE = 0.95
N_RESAMPLES = 9_999
BOOTSTRAP_SEED = 12
"""The root of every bootstrap's random draws: reports are reproducible."""
DUST_RTOL = 1e-9
_CHUNK = 4_000_000
"""At most this many resampled values (rows × N_RESAMPLES × n) per scipy call (32 MB)."""


@dataclass(frozen=True)
class Cell:
    """One metric at one grid point: its values over seeds, their mean and interval.

    ``values[i]`` is the value of the run with seed ``seeds[i]``; ``low``/``high`` bound
    the 95% bootstrap percentile interval of the mean (NaN where undefined).
    """

    values: tuple[float, ...]
    seeds: tuple[int, ...]
    mean: float
    low: float
    high: float

    @property
    def n(self) -> int:
        return len(self.values)

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "mean": _json(self.mean),
            "low": _json(self.low),
            "high": _json(self.high),
            "n": self.n,
        }


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
    glossary: Glossary = field(default_factory=dict)
    """The game's metric declarations (empty for a game this installation lacks)."""
    outside: Mapping[str, int] = field(default_factory=dict)
    """Metric -> how many of its values lie outside its declared support (none, if the
    game's declarations are right)."""

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


def declaration(glossary: Glossary, column: str) -> Metric | None:
    """The declaration of a metric column (``metric.<name>`` for a name that clashed with
    a results column), or ``None`` if the game declares none."""
    found = glossary.get(column)
    if found is None and column.startswith("metric."):
        found = glossary.get(column.removeprefix("metric."))
    return found


def bootstrap_intervals(
    samples: Sequence[Sequence[float]], supports: Sequence[Support] | None = None
) -> list[tuple[float, float, float]]:
    """``(mean, low, high)`` of each sample (module docstring), clipped to its support.

    Samples of the same size go to :func:`scipy.stats.bootstrap` together, one row each,
    in chunks of at most ``_CHUNK`` resampled values; every call starts from a fresh
    ``default_rng(BOOTSTRAP_SEED)``, so a sample's interval is the same whichever others
    it is computed with.
    """
    supports = [REAL] * len(samples) if supports is None else list(supports)
    if len(supports) != len(samples):
        raise ValueError("one support per sample")
    with np.errstate(all="ignore"):  # a mean past 1.8e308 is inf: no interval, no warning
        return _intervals(samples, supports)


def _intervals(
    samples: Sequence[Sequence[float]], supports: Sequence[Support]
) -> list[tuple[float, float, float]]:
    out: list[tuple[float, float, float]] = [(math.nan, math.nan, math.nan)] * len(samples)
    by_size: dict[int, list[int]] = {}
    for i, sample in enumerate(samples):
        array = np.asarray(sample, dtype=np.float64)
        n = len(array)
        if n == 0:
            continue
        mean = float(array.mean())
        if n == 1 or not math.isfinite(mean):
            out[i] = (mean, math.nan, math.nan)
        elif bool(np.all(array == array[0])):
            v = float(array[0])  # a point mass: the interval is the value, exactly
            out[i] = (v, supports[i].clip(v), supports[i].clip(v))
        else:
            out[i] = (mean, math.nan, math.nan)
            by_size.setdefault(n, []).append(i)
    for n, rows in by_size.items():
        step = max(1, _CHUNK // (N_RESAMPLES * n))
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            data = np.asarray([samples[i] for i in chunk], dtype=np.float64)
            result = stats.bootstrap(
                (data,),
                np.mean,
                axis=-1,
                vectorized=True,
                n_resamples=N_RESAMPLES,
                confidence_level=CONFIDENCE,
                method="percentile",
                rng=np.random.default_rng(BOOTSTRAP_SEED),
            )
            lows = np.atleast_1d(result.confidence_interval.low)
            highs = np.atleast_1d(result.confidence_interval.high)
            for k, i in enumerate(chunk):
                # A resampled mean is an average of observed values; only float rounding
                # (0.95 averaged thrice is 0.9499…98) can put it outside their range.
                low = max(float(lows[k]), float(data[k].min()))
                high = min(float(highs[k]), float(data[k].max()))
                out[i] = (out[i][0], supports[i].clip(low), supports[i].clip(high))
    return out


def make_cell(values: Sequence[float], seeds: Sequence[int] = (), support: Support = REAL) -> Cell:
    """One cell from its values (and their runs' seeds), with its interval."""
    (mean, low, high) = bootstrap_intervals([values], [support])[0]
    return Cell(tuple(values), tuple(seeds), mean, low, high)


def summarize(run_dir: str | Path) -> Summary:
    """Mean and 95% interval of every metric at every grid point of a run directory."""
    meta = read_meta(run_dir)
    glossary = game_glossary(meta.game)
    keys = meta.swept_keys
    columns = ["point", "status", "seed", *keys, *meta.metrics]
    select = ", ".join(f'"{c}"' for c in columns)
    con = load(run_dir)
    try:
        rows = con.execute(f"SELECT {select} FROM results ORDER BY run").fetchall()
    finally:
        con.close()
    grouped: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        grouped.setdefault(int(row[0]), []).append(row)
    supports = {m: _support(glossary, m) for m in meta.metrics}
    outside = dict.fromkeys(meta.metrics, 0)
    first = 3 + len(keys)
    raw: list[tuple[int, dict[str, Any], int, int, dict[str, tuple[list[float], list[int]]]]] = []
    for index in sorted(grouped):
        group = grouped[index]
        values = dict(zip(keys, group[0][3:first], strict=True))
        ok = [r for r in group if r[1] == "ok"]
        per_metric: dict[str, tuple[list[float], list[int]]] = {}
        for m, metric in enumerate(meta.metrics):
            xs: list[float] = []
            seeds: list[int] = []
            for r in ok:
                x = _float(r[first + m])
                if not math.isnan(x):
                    xs.append(x)
                    seeds.append(int(r[2]))
                    outside[metric] += not supports[metric].contains(x)
            per_metric[metric] = (xs, seeds)
        raw.append((index, values, len(ok), len(group) - len(ok), per_metric))

    points: list[PointSummary] = []
    for index, values, ok_count, failed, per_metric in raw:
        metrics = list(per_metric)
        found = bootstrap_intervals(
            [per_metric[m][0] for m in metrics], [supports[m] for m in metrics]
        )
        cells = {
            m: Cell(tuple(per_metric[m][0]), tuple(per_metric[m][1]), *found[k])
            for k, m in enumerate(metrics)
        }
        points.append(PointSummary(index, values, ok_count, failed, cells))
    violations = {m: count for m, count in outside.items() if count}
    return Summary(meta, tuple(points), glossary, violations)


def hidden_metrics(summary: Summary) -> dict[str, tuple[str, float, float]]:
    """Metrics not worth a column: ``metric -> (why, min, max)`` over every run's value,
    ``why`` being ``"constant"`` (equal in every run) or ``"dust"`` (module docstring).

    A metric with no value at all (every run failed) is not hidden: its empty column
    says so.
    """
    hidden: dict[str, tuple[str, float, float]] = {}
    for metric in summary.meta.metrics:
        values = [v for p in summary.points for v in p.cells[metric].values]
        if not values or not all(math.isfinite(v) for v in values):
            continue
        low, high = min(values), max(values)
        if low == high:
            hidden[metric] = ("constant", low, high)
        elif high - low <= DUST_RTOL * max(1.0, max(abs(low), abs(high))):
            hidden[metric] = ("dust", low, high)
    return hidden


def _support(glossary: Glossary, column: str) -> Support:
    found = declaration(glossary, column)
    return found.support if found is not None else REAL


def _float(value: object) -> float:
    if value is None:
        return math.nan
    if isinstance(value, Decimal | int | float):
        return float(value)
    raise TypeError(f"metric value {value!r} is not a number")


def _json(x: float) -> float | None:
    """Strict JSON has no NaN or infinity: both become ``null``."""
    return x if math.isfinite(x) else None
