"""Bootstrap intervals that respect a metric's support, and the metrics the report hides."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy import stats

import tests.lab.probe  # noqa: F401  (registers lab_probe and lab_shift)
from accord.games.glossary import NON_NEGATIVE, REAL, UNIT_INTERVAL, Support
from accord.lab.results import query, write_results
from accord.lab.runner import run_sweep
from accord.lab.scenario import parse_scenario
from accord.lab.stats import (
    BOOTSTRAP_SEED,
    N_RESAMPLES,
    bootstrap_intervals,
    hidden_metrics,
    make_cell,
    summarize,
)


def scipy_interval(values: list[float]) -> tuple[float, float]:
    found = stats.bootstrap(
        (np.asarray(values),),
        np.mean,
        n_resamples=N_RESAMPLES,
        confidence_level=0.95,
        method="percentile",
        rng=np.random.default_rng(BOOTSTRAP_SEED),
    ).confidence_interval
    return float(found.low), float(found.high)


def test_interval_is_scipys_percentile_bootstrap_for_the_same_seed() -> None:
    sample = [3.0, 7.0, 1.0, 12.0, 5.0]
    cell = make_cell(sample)
    assert cell.mean == 5.6
    assert (cell.low, cell.high) == scipy_interval(sample)
    # The same sample computed beside others (one vectorised call per size) is unchanged.
    together = bootstrap_intervals([[9.0, 1.0, 4.0, 4.5, 0.0], sample, [2.0, 2.5]])
    assert together[1] == (5.6, *scipy_interval(sample))
    assert together[2][1:] == scipy_interval([2.0, 2.5])
    # and it is a real interval, inside the observed range, around the mean
    assert 1.0 <= cell.low < cell.mean < cell.high <= 12.0


def test_a_non_negative_metric_never_gets_an_interval_below_zero() -> None:
    sample = [0.0, 0.0, 9.0]
    # The Student-t interval the report used before reaches well below zero here:
    t_low = 3.0 - stats.t.ppf(0.975, 2) * np.std(sample, ddof=1) / math.sqrt(3)
    assert t_low < -9.9
    cell = make_cell(sample, support=NON_NEGATIVE)
    assert cell.low >= 0.0 and cell.high <= 9.0
    assert (cell.low, cell.high) == scipy_interval(sample)


def test_degenerate_samples() -> None:
    assert make_cell([0.1, 0.1, 0.1]).low == make_cell([0.1, 0.1, 0.1]).high == 0.1
    assert make_cell([0.1, 0.1, 0.1]).mean == 0.1  # exact, not (0.1+0.1+0.1)/3
    one = make_cell([7.0])
    assert one.mean == 7.0 and math.isnan(one.low) and math.isnan(one.high)
    empty = make_cell([])
    assert all(math.isnan(x) for x in (empty.mean, empty.low, empty.high))
    unbounded = make_cell([1.0, math.inf])
    assert unbounded.mean == math.inf and math.isnan(unbounded.low)
    assert unbounded.as_dict() == {"mean": None, "low": None, "high": None, "n": 2}


def test_the_interval_is_clipped_to_the_declared_support() -> None:
    # Values that break their declaration (a share above 1) still get an interval in it.
    cell = make_cell([0.9, 1.3, 1.1], support=UNIT_INTERVAL)
    assert cell.high == 1.0 and cell.low <= 1.0


@given(
    st.lists(
        st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False),
        min_size=2,
        max_size=12,
    )
)
def test_generated_non_negative_samples_keep_their_interval_in_range(values: list[float]) -> None:
    cell = make_cell(values, support=NON_NEGATIVE)
    assert 0.0 <= cell.low <= cell.high
    assert min(values) <= cell.low and cell.high <= max(values)


def test_supports_refuse_what_is_not_an_interval() -> None:
    with pytest.raises(ValueError, match="not an interval"):
        Support(1.0, 0.0)
    with pytest.raises(ValueError, match="not an interval"):
        Support(math.nan)
    assert str(NON_NEGATIVE) == "[0, ∞)" and str(UNIT_INTERVAL) == "[0, 1]"
    assert str(Support()) == "(−∞, ∞)"
    assert not NON_NEGATIVE.contains(math.nan) and NON_NEGATIVE.contains(math.inf)


SHIFT = """
name = "shift"
game = "lab_shift"
seeds = 6
common_random_numbers = true

[sweep]
"params.shift" = [0, 3, -2]
"""


@pytest.fixture(scope="module")
def shift_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sweep = run_sweep(parse_scenario(SHIFT), workers=1)
    return write_results(sweep, tmp_path_factory.mktemp("runs"))


def test_summary_uses_the_games_supports_and_counts_nothing_outside(shift_dir: Path) -> None:
    summary = summarize(shift_dir)
    assert summary.outside == {}
    assert summary.glossary["sparse"].support == NON_NEGATIVE
    rows = query(shift_dir, "SELECT point, seed, sparse FROM results ORDER BY run")
    for point in summary.points:
        cell = point.cells["sparse"]
        mine = [r for r in rows if r["point"] == point.index]
        assert cell.seeds == tuple(r["seed"] for r in mine)
        assert cell.values == tuple(float(r["sparse"]) for r in mine)
        if len(set(cell.values)) > 1:
            assert (cell.low, cell.high) == scipy_interval(list(cell.values))
        assert cell.low >= 0


def test_constant_and_dust_metrics_are_hidden(shift_dir: Path) -> None:
    hidden = hidden_metrics(summarize(shift_dir))
    assert hidden["constant"] == ("constant", 7.0, 7.0)
    why, low, high = hidden["dust"]
    assert why == "dust" and -2e-13 <= low < high <= 2e-13
    assert "level" not in hidden and "undeclared" not in hidden


@example([-1.0, -1.0], NON_NEGATIVE)  # constant, outside its support: clipped too
@given(st.lists(st.floats(allow_nan=False), max_size=8), st.sampled_from([NON_NEGATIVE, REAL]))
def test_any_finite_or_infinite_sample_gives_an_ordered_interval_or_none(
    values: list[float], support: Support
) -> None:
    cell = make_cell(values, support=support)
    assert cell.n == len(values)
    if math.isnan(cell.low):
        assert math.isnan(cell.high)
        assert len(values) < 2 or not math.isfinite(cell.mean)
    else:  # within the observed range, moved into the support
        low, high = support.clip(min(values)), support.clip(max(values))
        assert low <= cell.low <= cell.high <= high
