"""Paired differences against a baseline design, under common random numbers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tests.lab.probe  # noqa: F401  (registers lab_shift)
from accord.lab.paired import BaselineError, find_baseline, paired_differences, parse_baseline
from accord.lab.results import query, write_results
from accord.lab.runner import run_sweep
from accord.lab.scenario import ScenarioError, parse_scenario
from accord.lab.stats import Summary, summarize

SHIFT = """
name = "shift"
game = "lab_shift"
seeds = 5
common_random_numbers = {crn}

[sweep]
"params.shift" = [0, 3, -2]
"""


def run(tmp_path: Path, crn: bool) -> Path:
    scenario = parse_scenario(SHIFT.format(crn="true" if crn else "false"))
    return write_results(run_sweep(scenario, workers=1), tmp_path)


def test_designs_that_differ_by_a_constant_shift_give_that_shift_exactly(tmp_path: Path) -> None:
    summary = summarize(run(tmp_path, crn=True))
    paired = paired_differences(summary)
    assert paired.baseline.values == {"params.shift": 0} and paired.pairs == 5
    for point, cells in paired.points:
        shift = float(point.values["params.shift"])
        level = cells["level"]
        assert level.values == (shift,) * 5
        assert (level.mean, level.low, level.high) == (shift, shift, shift)
        assert level.seeds == summary.points[0].cells["level"].seeds
    # Unpaired, the same designs' intervals overlap: the seeds' draws swamp the shift.
    means = [p.cells["level"] for p in summary.points]
    assert means[1].low < means[0].high
    assert paired.unchanged(("level", "sparse", "constant", "dust", "wobble")) == [
        "sparse",
        "constant",
        "dust",
        "wobble",
    ]
    # wobble differs by 3e-14 between designs: float dust, snapped to an exact 0
    for _, cells in paired.points:
        assert cells["wobble"].values == (0.0,) * 5 and cells["wobble"].low == 0.0


def test_paired_difference_is_the_mean_of_per_seed_differences(tmp_path: Path) -> None:
    run_dir = run(tmp_path, crn=True)
    summary = summarize(run_dir)
    rows = query(run_dir, "SELECT point, seed, undeclared FROM results ORDER BY run")
    by = {(r["point"], r["seed"]): float(r["undeclared"]) for r in rows}
    paired = paired_differences(summary, baseline=2)
    assert paired.baseline.index == 2
    for point, cells in paired.points:
        cell = cells["undeclared"]
        expected = [by[(point.index, s)] - by[(2, s)] for s in cell.seeds]
        assert list(cell.values) == expected
        assert cell.mean == pytest.approx(sum(expected) / len(expected), abs=1e-12)
        assert cell.low <= cell.mean <= cell.high or math.isnan(cell.low)


def test_without_common_random_numbers_nothing_is_paired(tmp_path: Path) -> None:
    paired = paired_differences(summarize(run(tmp_path, crn=False)))
    assert paired.pairs == 0
    assert all(
        c.n == 0 and math.isnan(c.mean) for _, cells in paired.points for c in cells.values()
    )


def test_baseline_is_found_by_full_or_short_key_and_refused_otherwise(tmp_path: Path) -> None:
    summary = summarize(run(tmp_path, crn=True))
    assert find_baseline(summary, {"params.shift": 3}) == 1
    assert find_baseline(summary, parse_baseline("shift=-2")) == 2
    with pytest.raises(BaselineError, match="matches no grid point"):
        find_baseline(summary, {"shift": 4})
    with pytest.raises(BaselineError, match="not a swept key"):
        find_baseline(summary, {"ordering": "fcfs"})
    with pytest.raises(BaselineError, match="is not KEY=VALUE"):
        parse_baseline("shift")
    with pytest.raises(BaselineError, match="given twice"):
        parse_baseline("shift=1,shift=2")
    with pytest.raises(BaselineError, match="no grid point 9"):
        paired_differences(summary, baseline=9)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('baseline = "fcfs"', "baseline: must be a table"),
        ('[baseline]\n"params.level" = 1', "baseline.params.level: not a swept key"),
        ('[baseline]\n"params.shift" = 4', "baseline.params.shift: 4 is not one of"),
    ],
)
def test_scenario_baseline_is_checked_before_anything_runs(table: str, message: str) -> None:
    text = SHIFT.format(crn="true") + "\n" + table + "\n"
    if table.startswith("baseline ="):  # a top-level key must come before the tables
        text = table + "\n" + SHIFT.format(crn="true")
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(text)


def test_scenario_baseline_must_name_every_swept_key() -> None:
    text = (
        'game = "lab_shift"\n[sweep]\n"params.shift" = [0, 1]\n"device.ordering" = ["fcfs"]\n'
        '[baseline]\n"params.shift" = 1\n'
    )
    with pytest.raises(ScenarioError, match="give every swept key"):
        parse_scenario(text)


@pytest.fixture(scope="module")
def crn_summary(tmp_path_factory: pytest.TempPathFactory) -> Summary:
    return summarize(run(tmp_path_factory.mktemp("runs"), crn=True))


@given(st.text(max_size=40))
def test_any_baseline_text_is_a_point_or_a_one_line_refusal(
    crn_summary: Summary, text: str
) -> None:
    try:
        index = find_baseline(crn_summary, parse_baseline(text))
    except BaselineError as exc:
        assert "\n" not in str(exc) or "\n" in text
        return
    assert index in {p.index for p in crn_summary.points}


baseline_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


@given(st.dictionaries(st.sampled_from(["shift", "params.shift", "x", ""]), baseline_values))
def test_any_baseline_mapping_is_a_point_or_a_refusal(
    crn_summary: Summary, wanted: dict[str, object]
) -> None:
    try:
        index = find_baseline(crn_summary, wanted)
    except BaselineError:
        return
    assert crn_summary.points[index].values["params.shift"] in (0, 3, -2)
