"""The report's sections as HTML: the summary table and what it hides, the paired
differences and the glossary (:mod:`accord.lab.report` puts the page together).

The summary's shading and the paired table's colours are explained on the page itself,
by :func:`summary_explanation` and :func:`paired_html`, so what a colour means is written
next to the code that chooses it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

from accord.games.glossary import Better, Metric
from accord.lab.paired import Paired
from accord.lab.report_style import format_number, interval_text
from accord.lab.scenario import plain, short_key
from accord.lab.stats import DUST_RTOL, N_RESAMPLES, Summary, declaration

__all__ = [
    "glossary_html",
    "hidden_html",
    "paired_html",
    "summary_explanation",
    "summary_table_html",
]


def summary_explanation(seeds: int) -> str:
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


def hidden_html(hidden: Mapping[str, tuple[str, float, float]]) -> str:
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
    column as :func:`summary_explanation` says."""
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
