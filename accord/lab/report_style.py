"""How the report and the CLI show numbers, and the report's stylesheet."""

from __future__ import annotations

import math

__all__ = ["CSS", "format_number", "interval_text"]


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


def interval_text(low: float, high: float) -> str:
    """``[1.2 … 3.4]``, or ``""`` where there is no interval (one seed, an infinite mean).

    An ellipsis, not a comma, between the ends: ``[10,215 … 15,767]`` stays readable
    with thousands separators."""
    if math.isnan(low) or math.isnan(high):
        return ""
    return f"[{format_number(low)} … {format_number(high)}]"


CSS = """
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
.note { color: #3d4556; font-size: 13px; max-width: 1100px; line-height: 1.45; }
.note.bad { color: #c44e52; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px;
          vertical-align: -1px; margin-right: 3px; border: 1px solid #ccd; }
.swatch.good { background: rgba(85,168,104,.45); }
.swatch.plain { background: rgba(76,114,176,.45); }
.swatch.better, td.better { background: rgba(85,168,104,.35); }
.swatch.worse, td.worse { background: rgba(196,78,82,.30); }
.swatch.moved, td.moved { background: rgba(140,140,140,.25); }
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
td.meaning { white-space: normal; min-width: 320px; }
tbody tr:nth-child(even) td.key { background: #fafbfc; }
td .ci { color: #6b7385; font-size: 11px; }
td.err { text-align: left; white-space: normal; color: #c44e52; font-family: monospace; }
pre { background: #f3f4f7; padding: 12px; border-radius: 6px; overflow-x: auto; }
code { font-family: "SFMono-Regular", Menlo, Consolas, monospace; }
"""
