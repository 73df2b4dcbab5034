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

from accord.lab.paired import Paired, find_baseline, paired_differences
from accord.lab.plots import metric_png
from accord.lab.report_sections import (
    glossary_html,
    hidden_html,
    paired_html,
    summary_explanation,
    summary_table_html,
)
from accord.lab.report_style import CSS, format_number
from accord.lab.results import RESULTS, SCENARIO, load
from accord.lab.scenario import plain
from accord.lab.stats import Summary, declaration, hidden_metrics, summarize

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
    parts.append(summary_explanation(len(meta.replicates)))
    parts.append(summary_table_html(summary, shown))
    parts.append(hidden_html(hidden))
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
