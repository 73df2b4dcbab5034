"""The report's plots: one PNG per metric, drawn on matplotlib's Agg canvas.

For every metric: its mean at each grid point as a bar with the 95% bootstrap interval
(:mod:`accord.lab.stats`) as an error bar, and every seed's value as a dot, grouped by
the swept keys (the first on the x axis, the others as coloured bars). The object API is
used (a :class:`~matplotlib.figure.Figure` on a ``FigureCanvasAgg``): importing this
module switches no global backend and registers no figure.
"""

from __future__ import annotations

import io
import math
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from accord.lab.scenario import plain, short_key
from accord.lab.stats import Summary

__all__ = ["COLOURS", "metric_png"]

COLOURS = (
    "#4C72B0",
    "#DD8452",
    "#55A868",
    "#C44E52",
    "#8172B3",
    "#937860",
    "#DA8BC3",
    "#8C8C8C",
    "#CCB974",
    "#64B5CD",
)


def metric_png(summary: Summary, metric: str, unit: str = "") -> bytes:
    """The metric's bar chart with 95% intervals and per-seed dots, as PNG bytes."""
    keys = summary.meta.swept_keys
    primary = keys[0] if keys else None
    rest = keys[1:]
    xs: list[Any] = []
    hues: list[tuple[Any, ...]] = []
    for p in summary.points:
        x = p.values[primary] if primary else None
        hue = tuple(p.values[k] for k in rest)
        if x not in xs:
            xs.append(x)
        if hue not in hues:
            hues.append(hue)
    width = 0.8 / len(hues)
    fig_width = min(14.0, max(5.0, 1.0 + 0.45 * len(xs) * len(hues)))
    fig = Figure(figsize=(fig_width, 3.6), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    for h, hue in enumerate(hues):
        colour = COLOURS[h % len(COLOURS)]
        label = (
            plain(hue[0])
            if len(rest) == 1
            else ", ".join(f"{short_key(k)}={plain(v)}" for k, v in zip(rest, hue, strict=True))
        )
        positions, means, below, above = [], [], [], []
        for p in summary.points:
            if tuple(p.values[k] for k in rest) != hue:
                continue
            cell = p.cells[metric]
            if cell.n == 0 or not math.isfinite(cell.mean):
                continue  # nothing to draw (an infinite mean shows in the table)
            pos = xs.index(p.values[primary] if primary else None) - 0.4 + width * (h + 0.5)
            positions.append(pos)
            means.append(cell.mean)
            known = math.isfinite(cell.low) and math.isfinite(cell.high)
            below.append(cell.mean - cell.low if known else 0.0)
            above.append(cell.high - cell.mean if known else 0.0)
            if cell.n > 1:  # every seed as a dot, spread evenly across the bar
                spread = [pos + width * 0.6 * (i / (cell.n - 1) - 0.5) for i in range(cell.n)]
                ax.scatter(spread, cell.values, s=9, color="#222222", alpha=0.45, zorder=3)
        ax.bar(
            positions,
            means,
            width=width * 0.92,
            color=colour,
            alpha=0.85,
            label=label or None,
            yerr=[below, above],
            capsize=3,
            error_kw={"elinewidth": 1.2, "ecolor": "#333333"},
            zorder=2,
        )
    low, high = ax.get_ylim()
    if low < 0 < high:
        ax.axhline(0, color="#888888", linewidth=0.8, zorder=1)
    ax.set_xticks(range(len(xs)))
    ax.set_xticklabels([plain(x) if primary else "all runs" for x in xs])
    if primary:
        ax.set_xlabel(primary)
    ax.set_ylabel(f"{metric} ({unit})" if unit else metric)
    ax.set_title(f"{metric}: mean and 95% bootstrap interval over seeds", fontsize=11, loc="left")
    ax.grid(axis="y", color="#dddddd", linewidth=0.8, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if rest:
        ax.legend(
            title=", ".join(short_key(k) for k in rest),
            fontsize=8,
            title_fontsize=8,
            frameon=False,
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
        )
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
