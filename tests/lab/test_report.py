"""Statistics per grid point and the HTML report."""

from __future__ import annotations

import base64
import math
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import tests.lab.probe  # noqa: F401  (registers lab_probe)
from accord.lab.report import build_report, format_number
from accord.lab.results import query, write_results
from accord.lab.runner import run_sweep
from accord.lab.scenario import parse_scenario
from accord.lab.stats import hidden_metrics, summarize

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
        assert min(cell.values) <= cell.low <= cell.mean <= cell.high <= max(cell.values)
        assert (cell.low == cell.high) == (row["s"] == 0)
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
    hidden = hidden_metrics(summary)
    assert len(summary.meta.metrics) == 14
    assert len(images) == len(summary.meta.metrics) - len(hidden)
    for image in images:
        assert base64.b64decode(image).startswith(b"\x89PNG\r\n\x1a\n")
    assert "src=" not in re.sub(r'src="data:image/png;base64,[^"]+"', "", text)  # nothing external
    assert "Summary: mean and 95% interval over seeds" in text
    assert "ordering &lt;rules&gt; &amp; tips" in text  # escaped
    cell = summary.points[2].cells["tips_paid"]
    assert f"{format_number(cell.mean)}<br><span" in text
    assert f">[{format_number(cell.low)} … {format_number(cell.high)}]</span>" in text
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
    assert unbounded.n == 2 and unbounded.mean == float("inf") and math.isnan(unbounded.low)
    assert summary.as_dict()["points"][0]["metrics"]["unbounded"] == {
        "mean": None,
        "low": None,
        "high": None,
        "n": 2,
    }
    assert ">∞</td>" in text


def test_format_number() -> None:
    assert format_number(2.28571) == "2.286"
    assert format_number(4451.0) == "4,451"
    assert format_number(3.684e10) == "3.684e+10"
    assert format_number(float("nan")) == "—"
    assert format_number(float("-inf")) == "−∞"


class Page(HTMLParser):
    """The report parsed: each section's heading, text, tables (rows of cell texts, with
    each cell's class) and code blocks, by the section's id."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.sections: dict[str, dict[str, Any]] = {}
        self._section: dict[str, Any] | None = None
        self._stack: list[str] = []
        self._cell: list[str] | None = None
        self._cell_class = ""
        self._code: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("br", "img", "meta"):  # void elements: no end tag
            if tag == "br" and self._cell is not None:
                self._cell.append(" ")
            return
        self._stack.append(tag)
        if tag == "section":
            self._section = {"h2": "", "text": [], "tables": {}, "code": [], "ids": set()}
            self.sections[a.get("id") or f"anon{len(self.sections)}"] = self._section
        if self._section is None:
            return
        if a.get("id"):
            self._section["ids"].add(a["id"])
        if tag == "table":
            self._section["tables"][a.get("id") or "table"] = []
            self._table = self._section["tables"][a.get("id") or "table"]
        elif tag == "tr":
            self._table.append([])
        elif tag in ("td", "th"):
            self._cell, self._cell_class = [], a.get("class") or ""
        elif tag == "code" and "pre" in self._stack:
            self._code = []

    def handle_endtag(self, tag: str) -> None:
        while self._stack and self._stack.pop() != tag:
            pass
        if tag in ("td", "th") and self._cell is not None:
            self._table[-1].append((" ".join("".join(self._cell).split()), self._cell_class))
            self._cell = None
        elif tag == "code" and self._code is not None and self._section is not None:
            self._section["code"].append("".join(self._code))
            self._code = None
        elif tag == "section":
            self._section = None

    def handle_data(self, data: str) -> None:
        if self._section is None:
            return
        if self._stack and self._stack[-1] == "h2":
            self._section["h2"] += data
        self._section["text"].append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._code is not None:
            self._code.append(data)

    def text(self, section: str) -> str:
        return " ".join("".join(self.sections[section]["text"]).split())


SHIFT = """
name = "shift-report"
game = "lab_shift"
seeds = 5
common_random_numbers = true

[sweep]
"params.shift" = [0, 3, -2]

[baseline]
"params.shift" = 3
"""


@pytest.fixture(scope="module")
def shift_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Page]:
    sweep = run_sweep(parse_scenario(SHIFT), workers=1)
    run_dir = write_results(sweep, tmp_path_factory.mktemp("runs"))
    return run_dir, Page(build_report(run_dir).read_text())


def test_report_renders_the_games_glossary(shift_page: tuple[Path, Page]) -> None:
    _, page = shift_page
    assert page.sections["glossary"]["h2"] == "Glossary"
    rows = page.sections["glossary"]["tables"]["glossary-table"]
    assert [c for c, _ in rows[0]] == ["metric", "unit", "support", "better", "meaning"]
    body = {cells[0][0]: [c for c, _ in cells[1:]] for cells in rows[1:]}
    assert body["level"] == [
        "units",
        "(−∞, ∞)",
        "higher",
        "The seed's draw plus the design's shift.",
    ]
    assert body["sparse"] == ["events", "[0, ∞)", "lower", "9 for one seed in three, else 0."]
    assert body["constant (hidden: constant)"][:2] == ["items", "[0, ∞)"]
    assert body["dust (hidden: dust)"][2] == "neither"
    assert body["undeclared"] == ["not declared"]
    assert "Not declared by the game: undeclared." in page.text("glossary")


def test_report_explains_its_shading_and_what_it_hid(shift_page: tuple[Path, Page]) -> None:
    _, page = shift_page
    text = page.text("summary")
    assert "shading" in page.sections["summary"]["ids"]
    assert "Each column is shaded on its own, by where the cell's mean lies between" in text
    assert "Green, for a metric with a better direction" in text
    assert "the darker, the better" in text and "Blue, for a metric with no better" in text
    assert "Equal in every run, so not shown as columns: constant = 7." in text
    assert (
        "Float dust (all values within 1e-09 of the metric's scale" in text and "dust (from" in text
    )
    header = [c for c, _ in page.sections["summary"]["tables"]["summary-table"][0]]
    assert header == ["shift", "runs", "level", "sparse", "undeclared"]


def test_report_shows_paired_differences_from_the_scenarios_baseline(
    shift_page: tuple[Path, Page],
) -> None:
    _, page = shift_page
    assert page.sections["paired"]["h2"] == "Paired differences from shift=3"
    rows = page.sections["paired"]["tables"]["paired-table"]
    assert [c for c, _ in rows[0]] == ["shift", "seeds", "Δ level"]
    level = {cells[0][0]: cells[2] for cells in rows[1:]}
    # level is better higher: 3 below the baseline is a sure loss, red; its interval is [−3, −3].
    assert level["0"] == ("-3 [-3 … -3]", "worse")
    assert level["-2"] == ("-5 [-5 … -5]", "worse")
    text = page.text("paired")
    assert "The same under every design, seed by seed (not shown): sparse, undeclared." in text
    assert "green: the interval excludes zero and the design is better" in text


def test_query_snippet_runs_from_another_directory(
    shift_page: tuple[Path, Page], tmp_path: Path
) -> None:
    run_dir, page = shift_page
    (code,) = page.sections["query"]["code"]
    assert str((run_dir / "results.parquet").resolve()) in code
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=elsewhere, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    means = query(
        run_dir, 'SELECT "params.shift" AS s, avg(level) AS m FROM results GROUP BY 1 ORDER BY 1'
    )
    for row in means:  # duckdb's box prints each group's average
        assert f"{row['m']:.1f}" in done.stdout or f"{row['m']}" in done.stdout


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (apt-get install chromium)")
def test_report_renders_in_headless_chromium(shift_page: tuple[Path, Page]) -> None:
    """The page as a browser builds it (Debian's chromium, headless): the same sections
    and tables as the file."""
    assert CHROMIUM is not None
    run_dir, page = shift_page
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            (run_dir / "report.html").resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dom = Page(done.stdout)
    for section in ("summary", "paired", "glossary", "plots", "query"):
        assert dom.sections[section]["tables"] == page.sections[section]["tables"], section
        assert dom.text(section) == page.text(section), section
