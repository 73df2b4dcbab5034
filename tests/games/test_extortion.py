"""Extortion and commit-not-to-commit on the device against the theory's numbers
(accord/games/extortion.py, accord/mechanisms/races.py: extortion)."""

from __future__ import annotations

import math

import pytest

from accord.device import DeviceConfig
from accord.games.extortion import ExtortionGame, ExtortionParams


def run(
    pledge: str, ordering: str = "fcfs", latency: dict[str, int] | None = None
) -> dict[str, float | int]:
    config = DeviceConfig(ordering=ordering, signatures="mac", latency_ms=latency or {})
    return dict(ExtortionGame().run(ExtortionParams(pledge=pledge, games=4), config, 5).metrics)


def test_a_committed_threat_pays_the_extorter_h_minus_1() -> None:
    m = run("none")
    assert m["extorter_gain"] == 799_999 == m["theory_extorter_gain"]
    assert m["target_gain"] == -799_999 and m["paid_rate"] == 1 and m["carried_out_rate"] == 0


def test_a_pledge_first_leaves_the_extorter_nothing() -> None:
    m = run("first")
    assert m["extorter_gain"] == 0 == m["theory_extorter_gain"] == m["target_gain"]
    assert m["threat_rate"] == 0 and m["pledge_first_share"] == 1


@pytest.mark.parametrize("slow, first", [("target", 0.0), ("extorter", 1.0)])
def test_a_racing_pledge_helps_only_if_it_lands_first(slow: str, first: float) -> None:
    """A pledge that lands second binds the target not to pay a standing threat: it is
    carried out, costing the extorter c = 300,000 and the target h = 800,000."""
    m = run("race", "fcfs", {slow: 100})
    assert m["pledge_first_share"] == first and math.isnan(m["theory_extorter_gain"])
    if first:
        assert m["extorter_gain"] == 0 == m["target_gain"]
    else:
        assert m["extorter_gain"] == -300_000 and m["target_gain"] == -800_000
        assert m["carried_out_rate"] == 1


def test_bad_parameters_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="harm and cost"):
        ExtortionParams(wealth=10, harm=20)
    with pytest.raises(ValueError, match="pledge"):
        ExtortionParams(pledge="later")  # type: ignore[arg-type]
