"""Statistics per grid point and the HTML report."""

from __future__ import annotations

import base64
import math
import re
from pathlib import Path

import pytest

import tests.lab.probe  # noqa: F401  (registers lab_probe)
from accord.lab.report import build_report, format_number
from accord.lab.results import query, write_results
from accord.lab.runner import run_sweep
from accord.lab.scenario import parse_scenario
from accord.lab.stats import mean_ci, summarize

TOY = """
name = "toy-report"
description = "ordering <rules> & tips"
game = "toy"
seeds = 3

[params]
agents = 4
blocks = 8

[device]
block_gas_limit = 90_000

[sweep]
"device.ordering" = ["fcfs", "priority"]
"device.mempool" = ["public", "private"]
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sweep = run_sweep(parse_scenario(TOY), workers=1)
    return write_results(sweep, tmp_path_factory.mktemp("runs"))


def test_mean_ci_is_student_t() -> None:
    mean, ci = mean_ci([1.0, 2.0, 3.0, 4.0])
    # s = sqrt(5/3), t(0.975, 3) = 3.182446305284263
    assert mean == 2.5
    assert ci == pytest.approx(3.182446305284263 * math.sqrt(5 / 3) / 2, rel=1e-12)
    assert mean_ci([7.0])[0] == 7.0 and math.isnan(mean_ci([7.0])[1])
    assert all(math.isnan(x) for x in mean_ci([]))
    assert mean_ci([2.0, 2.0, 2.0]) == (2.0, 0.0)


def test_summary_matches_sql_over_the_results(run_dir: Path) -> None:
    summary = summarize(run_dir)
    assert [p.label() for p in summary.points] == [
        "ordering=fcfs, mempool=public",
        "ordering=fcfs, mempool=private",
        "ordering=priority, mempool=public",
        "ordering=priority, mempool=private",
    ]
    rows = query(
        run_dir,
        "SELECT point, avg(tips_paid) AS m, stddev_samp(tips_paid) AS s, count(*) AS n "
        "FROM results GROUP BY point ORDER BY point",
    )
    for point, row in zip(summary.points, rows, strict=True):
        cell = point.cells["tips_paid"]
        assert point.ok == 3 and point.failed == 0 and cell.n == row["n"] == 3
        assert cell.mean == pytest.approx(row["m"], rel=1e-12)
        assert cell.ci95 == pytest.approx(4.302652729749464 * row["s"] / math.sqrt(3), rel=1e-9)
    # Nobody sees others' tips in a private mempool, so everyone tips 1 per gas.
    private = summary.points[1].cells
    assert private["tips_paid"].values == tuple(float(v) for v in private["gas_used"].values)
    as_dict = summary.as_dict()
    assert as_dict["points"][0]["values"] == {"device.ordering": "fcfs", "device.mempool": "public"}
    assert as_dict["points"][0]["metrics"]["submitted"]["n"] == 3


def test_report_embeds_a_png_per_metric_and_the_table(run_dir: Path) -> None:
    path = build_report(run_dir)
    assert path == run_dir / "report.html"
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>")
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    summary = summarize(run_dir)
    assert len(images) == len(summary.meta.metrics) == 14
    for image in images:
        assert base64.b64decode(image).startswith(b"\x89PNG\r\n\x1a\n")
    assert "src=" not in re.sub(r'src="data:image/png;base64,[^"]+"', "", text)  # nothing external
    assert "Summary: mean ± 95% CI over seeds" in text
    assert "ordering &lt;rules&gt; &amp; tips" in text  # escaped
    cell = summary.points[2].cells["tips_paid"]
    assert f"{format_number(cell.mean)} <span" in text
    assert f"± {format_number(cell.ci95)}</span>" in text
    assert "<code>device.ordering</code>" in text
    assert 'name = "toy-report"' in text  # the scenario as given
    assert "Failed runs" not in text


def test_report_lists_failed_runs(tmp_path: Path) -> None:
    scenario = parse_scenario(
        'name = "half"\ngame = "lab_probe"\nseeds = 2\n[sweep]\n"params.fail" = [false, true]\n'
    )
    run_dir = write_results(run_sweep(scenario, workers=1), tmp_path)
    text = build_report(run_dir).read_text()
    assert "Failed runs (2)" in text
    assert "ValueError: probe told to fail" in text
    summary = summarize(run_dir)
    assert [(p.ok, p.failed) for p in summary.points] == [(2, 0), (0, 2)]
    assert math.isnan(summary.points[1].cells["residue"].mean)
    assert summary.as_dict()["points"][1]["metrics"]["residue"]["mean"] is None
    unbounded = summary.points[0].cells["unbounded"]
    assert unbounded.n == 2 and unbounded.mean == float("inf") and math.isnan(unbounded.ci95)
    assert summary.as_dict()["points"][0]["metrics"]["unbounded"] == {
        "mean": None,
        "ci95": None,
        "n": 2,
    }
    assert ">∞</td>" in text


def test_format_number() -> None:
    assert format_number(2.28571) == "2.286"
    assert format_number(4451.0) == "4,451"
    assert format_number(3.684e10) == "3.684e+10"
    assert format_number(float("nan")) == "—"
    assert format_number(float("-inf")) == "−∞"
