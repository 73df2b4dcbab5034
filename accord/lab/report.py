"""The report: ``runs/<name>/report.html``, one self-contained page a researcher reads.

In order: the design (swept keys); the summary table (each metric's mean over seeds and
its 95% bootstrap percentile interval, :mod:`accord.lab.stats`, shaded as the page
explains), with the metrics that are constant or float dust listed instead of shown; the
paired differences of every design from a baseline design under common random numbers
(:mod:`accord.lab.paired`); the glossary of every metric as the game declares it
(:mod:`accord.games.glossary`); a plot per metric (:mod:`accord.lab.plots`); the failed
runs with their errors; how to query the results (by absolute path, so the snippet runs
from any directory); and the scenario as given. Plots are PNGs embedded as base64, so
the file can be mailed or archived alone.
"""

from __future__ import annotations

import base64
import html
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.games.glossary import Better, Metric
from accord.lab.paired import Paired, find_baseline, paired_differences
from accord.lab.plots import metric_png
from accord.lab.report_style import CSS, format_number, interval_text
from accord.lab.results import RESULTS, SCENARIO, load
from accord.lab.scenario import plain, short_key
from accord.lab.stats import DUST_RTOL, N_RESAMPLES, Summary, declaration, hidden_metrics, summarize

__all__ = [
    "REPORT",
    "Analysis",
    "analyse",
    "build_report",
    "format_number",
    "headline_metrics",
    "query_snippet",
    "render_html",
    "scenario_baseline",
]

REPORT = "report.html"
_HEADLINE_FALLBACK = 6


@dataclass(frozen=True)
class Analysis:
    """What a report shows, computed once: the summary, the paired differences from the
    baseline design (``None`` with a single design), the failures and the scenario."""

    run_dir: Path
    summary: Summary
    paired: Paired | None
    failures: tuple[tuple[str, str], ...]
    source: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (``accord run --json``): the summary, which metrics are hidden and
        why, the paired differences, and each declared metric's glossary entry (an
        infinite end of its support as ``null``)."""
        hidden = hidden_metrics(self.summary)
        glossary: dict[str, dict[str, Any]] = {}
        for m in self.summary.meta.metrics:
            found = declaration(self.summary.glossary, m)
            if found is not None:
                ends = (found.support.low, found.support.high)
                glossary[m] = {
                    "unit": found.unit,
                    "support": [x if math.isfinite(x) else None for x in ends],
                    "better": found.better.value,
                    "meaning": found.meaning,
                }
        return {
            **self.summary.as_dict(),
            "hidden": {m: why for m, (why, _, _) in hidden.items()},
            "paired": self.paired.as_dict() if self.paired is not None else None,
            "glossary": glossary,
        }


def analyse(run_dir: str | Path, baseline: Mapping[str, Any] | None = None) -> Analysis:
    """Summarise a run directory and pair its designs with the baseline.

    ``baseline`` (swept key -> value) picks the design the paired differences are taken
    from; by default the scenario's ``baseline`` table, else the first design.
    """
    run_dir = Path(run_dir)
    summary = summarize(run_dir)
    scenario = run_dir / SCENARIO
    source = scenario.read_text(encoding="utf-8") if scenario.is_file() else ""
    wanted = baseline if baseline is not None else scenario_baseline(source)
    paired = None
    if len(summary.points) > 1:
        index = find_baseline(summary, wanted) if wanted else summary.points[0].index
        paired = paired_differences(summary, index)
    return Analysis(run_dir, summary, paired, tuple(_failures(run_dir)), source)


def build_report(
    run_dir: str | Path,
    baseline: Mapping[str, Any] | None = None,
    *,
    analysis: Analysis | None = None,
) -> Path:
    """Write ``report.html`` into the run directory and return its path (from
    ``analysis`` if given, else from :func:`analyse` with ``baseline``)."""
    found = analysis if analysis is not None else analyse(run_dir, baseline)
    path = found.run_dir / REPORT
    text = render_html(
        found.summary,
        found.failures,
        found.source,
        paired=found.paired,
        results=(found.run_dir / RESULTS).resolve(),
    )
    path.write_text(text, encoding="utf-8")
    return path


def scenario_baseline(source: str) -> dict[str, Any]:
    """The ``baseline`` table of a scenario's TOML (empty if it has none)."""
    try:
        raw = tomllib.loads(source)
    except tomllib.TOMLDecodeError:
        return {}
    found = raw.get("baseline", {})
    return dict(found) if isinstance(found, dict) else {}


def headline_metrics(summary: Summary) -> list[str]:
    """The metrics ``accord run`` prints: those the game marks ``headline`` that vary,
    else the first few that vary."""
    hidden = hidden_metrics(summary)
    shown = [m for m in summary.meta.metrics if m not in hidden]
    marked = [m for m in shown if (d := declaration(summary.glossary, m)) and d.headline]
    return marked or shown[:_HEADLINE_FALLBACK]


def _failures(run_dir: Path) -> list[tuple[str, str]]:
    con = load(run_dir)
    try:
        rows = con.execute(
            "SELECT run_id, error FROM results WHERE status <> 'ok' ORDER BY run"
        ).fetchall()
    finally:
        con.close()
    return [(str(run_id), str(error)) for run_id, error in rows]


def render_html(
    summary: Summary,
    failures: Sequence[tuple[str, str]] = (),
    source: str = "",
    *,
    paired: Paired | None = None,
    results: Path | None = None,
) -> str:
    """The whole report page as a string."""
    meta = summary.meta
    esc = html.escape
    hidden = hidden_metrics(summary)
    shown = tuple(m for m in meta.metrics if m not in hidden)
    grid = " × ".join(str(len(values)) for _, values in meta.swept) or "1"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>accord · {esc(meta.name)}</title><style>{CSS}</style></head><body>",
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
        parts.append('<section id="design"><h2>Design</h2><table><thead><tr>')
        parts.append(
            '<th class="key">swept key</th><th class="key">values</th></tr></thead><tbody>'
        )
        for key, values in meta.swept:
            values_shown = ", ".join(esc(plain(v)) for v in values)
            parts.append(
                f'<tr><td class="key"><code>{esc(key)}</code></td>'
                f'<td class="key">{values_shown}</td></tr>'
            )
        parts.append("</tbody></table></section>")

    parts.append('<section id="summary"><h2>Summary: mean and 95% interval over seeds</h2>')
    parts.append(_summary_explanation(len(meta.replicates)))
    parts.append(summary_table_html(summary, shown))
    parts.append(_hidden_html(hidden))
    parts.append("</section>")

    if paired is not None:
        parts.append(paired_html(summary, paired, shown))

    parts.append(glossary_html(summary, hidden))

    if shown:
        parts.append('<section id="plots"><h2>Metrics</h2><div class="plots">')
        for metric in shown:
            found = declaration(summary.glossary, metric)
            png = base64.b64encode(metric_png(summary, metric, found.unit if found else ""))
            parts.append(
                f'<figure><img alt="{esc(metric)}" '
                f'src="data:image/png;base64,{png.decode("ascii")}"></figure>'
            )
        parts.append("</div></section>")

    if failures:
        parts.append(
            f'<section id="failed"><h2>Failed runs ({len(failures)})</h2><table><thead><tr>'
        )
        parts.append('<th class="key">run</th><th class="key">error</th></tr></thead><tbody>')
        for run_id, error in failures:
            parts.append(
                f'<tr><td class="key">{esc(run_id)}</td><td class="err">{esc(error)}</td></tr>'
            )
        parts.append("</tbody></table></section>")

    if results is not None:
        parts.append(
            '<section id="query"><h2>Query the results</h2>'
            "<p>Python, from any directory: the path is this run's results file, absolute, "
            "as it was when the report was built (if you move the run directory, change "
            "it). Column names with dots need double quotes in SQL.</p>"
            f"<pre><code>{esc(query_snippet(summary, results))}</code></pre></section>"
        )
    if source:
        scenario = esc(source, quote=False)
        parts.append(
            f'<section id="scenario"><h2>Scenario</h2><pre><code>{scenario}</code></pre></section>'
        )
    parts.append("</main></body></html>\n")
    return "\n".join(parts)


def query_snippet(summary: Summary, results: Path) -> str:
    """A Python snippet that reads ``results`` (an absolute path) with DuckDB and runs a
    query grouped by the first swept key."""
    keys = summary.meta.swept_keys
    hidden = hidden_metrics(summary)
    metric = next((m for m in summary.meta.metrics if m not in hidden), None)
    if keys and metric:
        key = keys[0].replace('"', '""')
        column = metric.replace('"', '""')
        sql = f'SELECT "{key}", avg("{column}") FROM results GROUP BY 1 ORDER BY 1'
    else:
        sql = "SELECT count(*) FROM results"
    return (
        "import duckdb\n\n"
        f"results = duckdb.read_parquet({str(results)!r})\n"
        f"duckdb.sql({sql!r}).show()\n\n"
        "# or: from accord.lab.results import query\n"
        f"#     query({str(results.parent)!r}, 'SELECT * FROM results')"
    )


def _summary_explanation(seeds: int) -> str:
    return (
        '<p class="note">Each cell is the mean over seeds and, below it in brackets, its '
        f"95% bootstrap percentile interval ({N_RESAMPLES:,} resamples of the {seeds} "
        "seeds, seeded, so a rebuilt report shows the same numbers). The interval stays "
        "within the values observed, so it respects the metric's support; with few seeds "
        "it is narrow, and it is no interval at all with one seed.</p>"
        '<p class="note" id="shading"><b>Shading.</b> Each column is shaded on its own, '
        "by where the cell's mean lies between the column's lowest and highest mean. "
        '<span class="swatch good"></span> Green, for a metric with a better direction '
        "(see the glossary): the darker, the better: the darkest cell is the best design "
        "for that metric, the palest the worst. "
        '<span class="swatch plain"></span> Blue, for a metric with no better direction '
        "(or none declared): the darker, the higher. A white cell has no finite mean. "
        "The shade ranks designs within one column and says nothing about whether a "
        "difference is larger than the seeds' noise: the paired differences do.</p>"
    )


def _hidden_html(hidden: Mapping[str, tuple[str, float, float]]) -> str:
    if not hidden:
        return ""
    esc = html.escape
    constant = [
        f"<code>{esc(m)}</code> = {format_number(low)}"
        for m, (why, low, _) in hidden.items()
        if why == "constant"
    ]
    dust = [
        f"<code>{esc(m)}</code> (from {format_number(low)} to {format_number(high)})"
        for m, (why, low, high) in hidden.items()
        if why == "dust"
    ]
    parts = ['<p class="note" id="hidden"><b>Hidden.</b> ']
    if constant:
        parts.append(f"Equal in every run, so not shown as columns: {', '.join(constant)}. ")
    if dust:
        parts.append(
            f"Float dust (all values within {DUST_RTOL:g} of the metric's scale of each "
            f"other, so not shown): {', '.join(dust)}."
        )
    parts.append("</p>")
    return "".join(parts)


def _column_shading(summary: Summary, metric: str) -> dict[int, str]:
    means = {p.index: p.cells[metric].mean for p in summary.points}
    finite = [v for v in means.values() if math.isfinite(v)]
    found = declaration(summary.glossary, metric)
    better = found.better if found else Better.NEITHER
    low, high = (min(finite), max(finite)) if finite else (0.0, 0.0)
    out: dict[int, str] = {}
    for index, value in means.items():
        if not math.isfinite(value) or high <= low:
            out[index] = "transparent"
            continue
        t = (value - low) / (high - low)
        if better is Better.LOWER:
            t = 1.0 - t
        colour = "85,168,104" if better is not Better.NEITHER else "76,114,176"
        out[index] = f"rgba({colour},{0.05 + 0.4 * t:.3f})"
    return out


def summary_table_html(summary: Summary, metrics: Sequence[str] | None = None) -> str:
    """Grid points as rows, metrics as columns (mean, then its interval), shaded per
    column as :func:`_summary_explanation` says."""
    meta = summary.meta
    metrics = tuple(meta.metrics if metrics is None else metrics)
    keys = meta.swept_keys
    esc = html.escape
    head = [f'<th class="key">{esc(short_key(k))}</th>' for k in keys]
    head += ["<th>runs</th>"] + [f"<th>{esc(m)}</th>" for m in metrics]
    rows = [
        f'<div class="scroll"><table id="summary-table"><thead><tr>{"".join(head)}</tr>'
        "</thead><tbody>"
    ]
    shades = {m: _column_shading(summary, m) for m in metrics}
    for p in summary.points:
        cells = [f'<td class="key">{esc(plain(p.values[k]))}</td>' for k in keys]
        runs = f"{p.ok}" if not p.failed else f'{p.ok} <span class="ci">+{p.failed} failed</span>'
        cells.append(f"<td>{runs}</td>")
        for m in metrics:
            cell = p.cells[m]
            ci = interval_text(cell.low, cell.high)
            ci_html = f'<br><span class="ci">{ci}</span>' if ci else ""
            cells.append(
                f'<td style="background:{shades[m][p.index]}">{format_number(cell.mean)}'
                f"{ci_html}</td>"
            )
        rows.append(f"<tr>{''.join(cells)}</tr>")
    rows.append("</tbody></table></div>")
    return "".join(rows)


def paired_html(summary: Summary, paired: Paired, shown: Sequence[str]) -> str:
    """The paired differences section (or why there are none)."""
    esc = html.escape
    keys = summary.meta.swept_keys
    base = paired.baseline.label(keys)
    parts = [f'<section id="paired"><h2>Paired differences from {esc(base)}</h2>']
    if paired.pairs == 0:
        parts.append(
            '<p class="note">No paired differences: no seed ran under both a design and '
            "the baseline, because the designs drew different seeds. Set "
            "<code>common_random_numbers = true</code> in the scenario to run every design "
            "on the same seeds and compare them pair by pair.</p></section>"
        )
        return "".join(parts)
    unchanged = paired.unchanged(tuple(shown))
    metrics = [m for m in shown if m not in unchanged]
    parts.append(
        '<p class="note">Every design ran the same seeds (common random numbers), so each '
        "cell is the mean over seeds of that seed's value under the design minus its value "
        f"under the baseline ({esc(base)}), and below it the 95% bootstrap percentile "
        "interval of that mean, resampling seeds. Pairing removes what a seed's draw adds "
        "to both designs, so these intervals are narrower than the summary's. The baseline "
        "is the first design unless the scenario's <code>baseline</code> table or "
        "<code>accord report --baseline KEY=VALUE,…</code> names another.</p>"
        '<p class="note" id="paired-colours"><b>Colours.</b> '
        '<span class="swatch better"></span> green: the interval excludes zero and the '
        "design is better than the baseline in the metric's declared direction; "
        '<span class="swatch worse"></span> red: it excludes zero and the design is worse; '
        '<span class="swatch moved"></span> grey: it excludes zero for a metric with no '
        "better direction; white: the interval contains zero (no difference the seeds can "
        "tell apart).</p>"
    )
    if unchanged:
        listed = ", ".join(f"<code>{esc(m)}</code>" for m in unchanged)
        parts.append(
            f'<p class="note">The same under every design, seed by seed (not shown): {listed}.</p>'
        )
    head = [f'<th class="key">{esc(short_key(k))}</th>' for k in keys]
    head += ["<th>seeds</th>"] + [f"<th>Δ {esc(m)}</th>" for m in metrics]
    parts.append(
        f'<div class="scroll"><table id="paired-table"><thead><tr>{"".join(head)}</tr>'
        "</thead><tbody>"
    )
    for point, cells in paired.points:
        row = [f'<td class="key">{esc(plain(point.values[k]))}</td>' for k in keys]
        row.append(f"<td>{min((cells[m].n for m in metrics), default=0)}</td>")
        for m in metrics:
            cell = cells[m]
            found = declaration(summary.glossary, m)
            verdict = _verdict(cell.low, cell.high, found)
            ci = interval_text(cell.low, cell.high)
            ci_html = f'<br><span class="ci">{ci}</span>' if ci else ""
            mean = format_number(cell.mean)
            sign = "+" if math.isfinite(cell.mean) and cell.mean > 0 else ""
            row.append(f'<td class="{verdict}">{sign}{mean}{ci_html}</td>')
        parts.append(f"<tr>{''.join(row)}</tr>")
    parts.append("</tbody></table></div></section>")
    return "".join(parts)


def _verdict(low: float, high: float, found: Metric | None) -> str:
    """``better``/``worse``/``moved``/``same``: the paired cell's colour class."""
    if not (math.isfinite(low) and math.isfinite(high)) or low <= 0 <= high:
        return "same"
    better = found.better if found else Better.NEITHER
    if better is Better.NEITHER:
        return "moved"
    up = low > 0
    return "better" if up == (better is Better.HIGHER) else "worse"


def glossary_html(summary: Summary, hidden: Mapping[str, tuple[str, float, float]]) -> str:
    """Every metric of the run, as its game declares it."""
    esc = html.escape
    parts = [
        '<section id="glossary"><h2>Glossary</h2>',
        '<p class="note">Every metric of this run as the game declares it '
        f"(<code>{esc(summary.meta.game)}</code>'s <code>glossary</code>): its unit, the "
        "values it can take (support), which way is better, and what it measures.</p>",
    ]
    undeclared = [m for m in summary.meta.metrics if declaration(summary.glossary, m) is None]
    if undeclared:
        listed = ", ".join(f"<code>{esc(m)}</code>" for m in undeclared)
        parts.append(f'<p class="note bad">Not declared by the game: {listed}.</p>')
    if summary.outside:
        listed = ", ".join(f"<code>{esc(m)}</code> ({n})" for m, n in summary.outside.items())
        parts.append(
            '<p class="note bad">Values outside the declared support (how many), a wrong '
            f"declaration or a bug; their intervals are clipped to the support: {listed}.</p>"
        )
    parts.append(
        '<table id="glossary-table"><thead><tr><th class="key">metric</th>'
        '<th class="key">unit</th><th class="key">support</th><th class="key">better</th>'
        '<th class="key">meaning</th></tr></thead><tbody>'
    )
    for m in summary.meta.metrics:
        found = declaration(summary.glossary, m)
        note = ""
        if m in hidden:
            note = ' <span class="ci">(hidden: ' + hidden[m][0] + ")</span>"
        if found is None:
            parts.append(
                f'<tr><td class="key"><code>{esc(m)}</code>{note}</td>'
                '<td class="key" colspan="4">not declared</td></tr>'
            )
            continue
        parts.append(
            f'<tr><td class="key"><code>{esc(m)}</code>{note}</td>'
            f'<td class="key">{esc(found.unit)}</td>'
            f'<td class="key">{esc(str(found.support))}</td>'
            f'<td class="key">{esc(found.better.value)}</td>'
            f'<td class="key meaning">{esc(found.meaning)}</td></tr>'
        )
    parts.append("</tbody></table></section>")
    return "".join(parts)
