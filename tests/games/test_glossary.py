"""Every shipped game declares every metric it emits, and its values keep to the support
it declares."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from accord.games.base import BUILTIN_GAME_MODULES, GAMES, game_glossary, get_game
from accord.games.glossary import NON_NEGATIVE, Better, Metric, glossary
from accord.lab.runner import run_sweep
from accord.lab.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "examples").glob("*.toml"))


def test_the_shipped_scenarios_are_found() -> None:
    names = {p.stem for p in SCENARIOS}
    assert {"defi-ordering", "toy-sweep", "llm-defi", "futarchy-manipulation"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_metric_a_shipped_scenario_emits_is_declared(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scenario's first and last designs, one seed each: every metric column has a
    glossary entry, every entry is emitted, and every value lies in its support."""
    monkeypatch.chdir(ROOT)  # scenarios name their files relative to the repository root
    scenario = load_scenario(path)
    ends = {p.index: p for p in (scenario.points[0], scenario.points[-1])}
    scenario = replace(scenario, points=tuple(ends.values()), replicates=(0,))
    sweep = run_sweep(scenario, workers=1)
    assert not sweep.failed, [o.error for o in sweep.failed]
    declared = game_glossary(scenario.game)
    for outcome in sweep.outcomes:
        assert outcome.result is not None
        metrics = outcome.result.metrics
        assert list(metrics) == list(declared), f"{path.name}: glossary and metrics differ"
        for name, value in metrics.items():
            value = float(value)
            if not math.isnan(value):  # NaN: undefined in this run, stored as NULL
                assert declared[name].support.contains(value), (name, value)


def test_every_builtin_game_declares_a_glossary_with_a_headline() -> None:
    get_game("toy")  # imports the built-in games
    builtin = {name: cls for name, cls in GAMES.items() if cls.__module__ in BUILTIN_GAME_MODULES}
    assert set(builtin) >= {"toy", "defi_routing", "llm_defi", "futarchy", "emissions"}
    for name, cls in builtin.items():
        entries = cls.glossary
        assert entries, name
        assert any(m.headline for m in entries.values()), name
        for metric in entries.values():
            assert metric.meaning.endswith("."), (name, metric.name)
            assert isinstance(metric.better, Better)


def test_a_glossary_refuses_a_name_twice_and_an_empty_meaning() -> None:
    one = Metric("x", "units", NON_NEGATIVE, "Something.", Better.HIGHER)
    with pytest.raises(ValueError, match="declared twice"):
        glossary([one, one])
    with pytest.raises(ValueError, match="needs a name, a unit and a meaning"):
        Metric("y", "units", NON_NEGATIVE, "  ", Better.LOWER)
    assert game_glossary("no such game") == {}
