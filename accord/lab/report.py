"""The report: ``runs/<name>/report.html``, one self-contained page of tables and plots.

The summary table first (mean ± 95% Student-t interval over seeds per grid point,
:mod:`accord.lab.stats`, each column shaded by its values); then for every metric a plot
of its mean at each grid point with the interval and every seed's value as a dot, grouped
by the swept keys (the first on the x axis, the others as coloured bars); then the failed
runs with their errors, and the scenario as given. Plots are PNGs drawn on matplotlib's
Agg canvas (the object API: importing this module switches no global backend) and
embedded as base64, so the file can be mailed or archived alone.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from accord.lab.results import SCENARIO, load
from accord.lab.scenario import plain, short_key
from accord.lab.stats import PointSummary, Summary, summarize

__all__ = ["REPORT", "build_report", "format_number", "render_html"]

REPORT = "report.html"
_COLOURS = (
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


def build_report(run_dir: str | Path) -> Path:
    """Write ``report.html`` into the run directory and return its path."""
    run_dir = Path(run_dir)
    summary = summarize(run_dir)
    failures = _failures(run_dir)
    scenario = run_dir / SCENARIO
    source = scenario.read_text(encoding="utf-8") if scenario.is_file() else ""
    path = run_dir / REPORT
    path.write_text(render_html(summary, failures, source), encoding="utf-8")
    return path


def _failures(run_dir: Path) -> list[tuple[str, str]]:
    con = load(run_dir)
    try:
        rows = con.execute(
            "SELECT run_id, error FROM results WHERE status <> 'ok' ORDER BY run"
        ).fetchall()
    finally:
        con.close()
    return [(str(run_id), str(error)) for run_id, error in rows]


def format_number(x: float) -> str:
    """Short and readable: ``2.286``, ``1,234``, ``3.684e+10``; NaN as an em dash.

    Four significant figures below 1,000 and from a million up; whole numbers with
    thousands separators in between.
    """
    if math.isnan(x):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if 1e3 <= abs(x) < 1e6:
        return f"{x:,.0f}"
    return f"{x:.4g}"


# -- plots ------------------------------------------------------------------------------------
def metric_png(summary: Summary, metric: str) -> bytes:
    """The metric's bar chart with 95% CIs and per-seed dots, as PNG bytes."""
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
    # A Figure on an Agg canvas, not pyplot: no global backend switch, no figure registry.
    fig = Figure(figsize=(fig_width, 3.6), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    for h, hue in enumerate(hues):
        colour = _COLOURS[h % len(_COLOURS)]
        label = (
            plain(hue[0])
            if len(rest) == 1
            else ", ".join(f"{short_key(k)}={plain(v)}" for k, v in zip(rest, hue, strict=True))
        )
        positions, means, errors = [], [], []
        for p in summary.points:
            if tuple(p.values[k] for k in rest) != hue:
                continue
            cell = p.cells[metric]
            if cell.n == 0 or not math.isfinite(cell.mean):
                continue  # nothing to draw (an infinite mean shows in the table)
            pos = xs.index(p.values[primary] if primary else None) - 0.4 + width * (h + 0.5)
            positions.append(pos)
            means.append(cell.mean)
            errors.append(0.0 if math.isnan(cell.ci95) else cell.ci95)
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
            yerr=errors,
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
    ax.set_ylabel(metric)
    ax.set_title(f"{metric}: mean and 95% CI over seeds", fontsize=11, loc="left")
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


# -- html ---------------------------------------------------------------------------------------
_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0;
       color: #1d2330; background: #f6f7f9; }
header { background: #1d2330; color: #fff; padding: 28px 40px 22px; }
header h1 { margin: 0 0 6px; font-size: 26px; font-weight: 600; }
header p { margin: 2px 0; color: #c8cdd8; }
main { padding: 24px 40px 60px; max-width: 1500px; }
section { background: #fff; border-radius: 8px; box-shadow: 0 1px 3px rgba(0,0,0,.08);
          padding: 18px 22px; margin: 0 0 22px; }
h2 { font-size: 18px; margin: 0 0 12px; font-weight: 600; }
.cards { display: flex; gap: 14px; flex-wrap: wrap; margin-bottom: 22px; }
.card { background: #fff; border-radius: 8px; padding: 12px 18px; min-width: 120px;
        box-shadow: 0 1px 3px rgba(0,0,0,.08); }
.card .v { font-size: 24px; font-weight: 600; } .card .k { color: #6b7385; font-size: 12px; }
.card.bad .v { color: #c44e52; }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr));
         gap: 18px; }
.plots figure { margin: 0; background: #fff; border-radius: 8px; padding: 10px;
                box-shadow: 0 1px 3px rgba(0,0,0,.08); }
.plots img { width: 100%; height: auto; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 5px 10px; text-align: right; white-space: nowrap; }
th { position: sticky; top: 0; background: #eef0f4; font-weight: 600; }
td.key, th.key { text-align: left; }
tbody tr:nth-child(even) td.key { background: #fafbfc; }
td .ci { color: #6b7385; font-size: 11px; }
td.err { text-align: left; white-space: normal; color: #c44e52; font-family: monospace; }
pre { background: #f3f4f7; padding: 12px; border-radius: 6px; overflow-x: auto; }
code { font-family: "SFMono-Regular", Menlo, Consolas, monospace; }
"""


def render_html(
    summary: Summary, failures: Sequence[tuple[str, str]] = (), source: str = ""
) -> str:
    """The whole report page as a string."""
    meta = summary.meta
    esc = html.escape
    grid = " × ".join(str(len(values)) for _, values in meta.swept) or "1"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>accord · {esc(meta.name)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{esc(meta.name)}</h1>",
        f"<p>game <b>{esc(meta.game)}</b> · grid {grid} = {len(summary.points)} points "
        f"× {len(meta.replicates)} seeds = {meta.runs} runs</p>",
    ]
    if meta.description:
        parts.append(f"<p>{esc(meta.description)}</p>")
    parts.append("</header><main>")
    ok = meta.runs - meta.failed
    parts.append('<div class="cards">')
    for label, value, bad in (
        ("grid points", len(summary.points), False),
        ("seeds per point", len(meta.replicates), False),
        ("runs ok", ok, False),
        ("runs failed", meta.failed, meta.failed > 0),
        ("metrics", len(meta.metrics), False),
    ):
        cls = "card bad" if bad else "card"
        parts.append(
            f'<div class="{cls}"><div class="v">{value}</div><div class="k">{label}</div></div>'
        )
    parts.append("</div>")

    if meta.swept:
        parts.append("<section><h2>Design</h2><table><thead><tr>")
        parts.append(
            '<th class="key">swept key</th><th class="key">values</th></tr></thead><tbody>'
        )
        for key, values in meta.swept:
            shown = ", ".join(esc(plain(v)) for v in values)
            parts.append(
                f'<tr><td class="key"><code>{esc(key)}</code></td><td class="key">{shown}</td></tr>'
            )
        parts.append("</tbody></table></section>")

    parts.append("<section><h2>Summary: mean ± 95% CI over seeds</h2>")
    parts.append(summary_table_html(summary))
    parts.append("</section>")

    if meta.metrics:
        parts.append('<section><h2>Metrics</h2><div class="plots">')
        for metric in meta.metrics:
            png = base64.b64encode(metric_png(summary, metric)).decode("ascii")
            parts.append(
                f'<figure><img alt="{esc(metric)}" src="data:image/png;base64,{png}"></figure>'
            )
        parts.append("</div></section>")

    if failures:
        parts.append(f"<section><h2>Failed runs ({len(failures)})</h2><table><thead><tr>")
        parts.append('<th class="key">run</th><th class="key">error</th></tr></thead><tbody>')
        for run_id, error in failures:
            parts.append(
                f'<tr><td class="key">{esc(run_id)}</td><td class="err">{esc(error)}</td></tr>'
            )
        parts.append("</tbody></table></section>")

    parts.append(
        "<section><h2>Query the results</h2><pre><code>"
        + esc(
            "import duckdb\n"
            "con = duckdb.connect()\n"
            "con.sql(\"SELECT * FROM 'results.parquet'\").show()\n\n"
            "# or: from accord.lab.results import query; query(run_dir, sql)"
        )
        + "</code></pre></section>"
    )
    if source:
        scenario = esc(source, quote=False)
        parts.append(f"<section><h2>Scenario</h2><pre><code>{scenario}</code></pre></section>")
    parts.append("</main></body></html>\n")
    return "\n".join(parts)


def summary_table_html(summary: Summary) -> str:
    """Grid points as rows, metrics as columns (mean, then ± CI), shaded per column."""
    meta = summary.meta
    keys = meta.swept_keys
    esc = html.escape
    head = [f'<th class="key">{esc(short_key(k))}</th>' for k in keys]
    head += ["<th>runs</th>"] + [f"<th>{esc(m)}</th>" for m in meta.metrics]
    rows = [f'<div class="scroll"><table><thead><tr>{"".join(head)}</tr></thead><tbody>']
    ranges = {m: _range([p.cells[m].mean for p in summary.points]) for m in meta.metrics}
    for p in summary.points:
        cells = [f'<td class="key">{esc(plain(p.values[k]))}</td>' for k in keys]
        runs = f"{p.ok}" if not p.failed else f'{p.ok} <span class="ci">+{p.failed} failed</span>'
        cells.append(f"<td>{runs}</td>")
        for m in meta.metrics:
            cell = p.cells[m]
            shade = _shade(cell.mean, ranges[m])
            ci = (
                ""
                if math.isnan(cell.ci95)
                else f' <span class="ci">± {format_number(cell.ci95)}</span>'
            )
            cells.append(f'<td style="background:{shade}">{format_number(cell.mean)}{ci}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    rows.append("</tbody></table></div>")
    return "".join(rows)


def _range(values: list[float]) -> tuple[float, float]:
    finite = [v for v in values if math.isfinite(v)]
    return (min(finite), max(finite)) if finite else (0.0, 0.0)


def _shade(value: float, bounds: tuple[float, float]) -> str:
    low, high = bounds
    if not math.isfinite(value) or high <= low:
        return "transparent"
    t = (value - low) / (high - low)
    alpha = 0.05 + 0.35 * t
    return f"rgba(76,114,176,{alpha:.3f})"


def point_labels(points: Sequence[PointSummary], keys: tuple[str, ...]) -> list[str]:
    """Each point's ``key=value`` label."""
    return [p.label(keys) for p in points]
