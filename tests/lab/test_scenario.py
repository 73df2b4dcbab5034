"""Scenario files: validation errors that name the key, and grid expansion."""

from __future__ import annotations

from pathlib import Path

import pytest

import tests.lab.probe  # noqa: F401  (registers lab_probe)
from accord.device.config import DeviceConfig
from accord.games.toy import ToyParams
from accord.lab.scenario import ScenarioError, load_scenario, parse_scenario

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "toy-sweep.toml"

GOOD = """
name = "grid"
game = "toy"
seeds = 3

[params]
agents = 4

[device]
block_gas_limit = 150_000

[sweep]
"device.ordering" = ["fcfs", "priority", "batch"]
"device.mempool" = ["public", "sealed"]
"params.agents" = [4, 8]
"""


def test_grid_is_the_product_in_file_order() -> None:
    scenario = parse_scenario(GOOD)
    assert scenario.name == "grid" and scenario.game == "toy"
    assert scenario.swept_keys == ("device.ordering", "device.mempool", "params.agents")
    assert len(scenario.points) == 3 * 2 * 2
    assert scenario.replicates == (0, 1, 2)
    assert scenario.n_runs == 36
    first, second, last = scenario.points[0], scenario.points[1], scenario.points[-1]
    assert dict(first.values) == {
        "device.ordering": "fcfs",
        "device.mempool": "public",
        "params.agents": 4,
    }
    assert dict(second.values)["params.agents"] == 8  # the last key varies fastest
    assert dict(last.values) == {
        "device.ordering": "batch",
        "device.mempool": "sealed",
        "params.agents": 8,
    }
    # Each point's models carry the base tables with the swept values applied.
    assert last.device == DeviceConfig(ordering="batch", mempool="sealed", block_gas_limit=150_000)
    assert last.params == ToyParams(agents=8)
    assert first.params == ToyParams(agents=4)
    assert [p.index for p in scenario.points] == list(range(12))
    assert last.label() == "ordering=batch, mempool=sealed, agents=8"


def test_no_sweep_is_one_point_and_seed_lists_are_kept() -> None:
    scenario = parse_scenario('game = "toy"\nseeds = [5, 2, 9]\n', default_name="solo")
    assert scenario.name == "solo"
    assert len(scenario.points) == 1 and dict(scenario.points[0].values) == {}
    assert scenario.points[0].device == DeviceConfig()
    assert scenario.replicates == (5, 2, 9)
    assert scenario.with_seeds(4).replicates == (0, 1, 2, 3)


def test_nested_sweep_key_reaches_into_a_dict_field() -> None:
    scenario = parse_scenario('game = "toy"\n[sweep]\n"device.latency_ms.agent000" = [0, 15000]\n')
    assert [p.device.latency_ms for p in scenario.points] == [
        {"agent000": 0},
        {"agent000": 15000},
    ]


def test_the_shipped_example_loads() -> None:
    scenario = load_scenario(EXAMPLE)
    assert scenario.name == "toy-sweep"
    assert len(scenario.points) == 8 and scenario.replicates == tuple(range(8))
    assert {p.device.ordering for p in scenario.points} == {"fcfs", "priority", "random", "batch"}


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        (
            'game = "toy"\n[device]\nordering = "fastest"\n',
            "device.ordering",
            ["'fcfs'", "fastest"],
        ),
        ('game = "toy"\n[device]\norderin = "fcfs"\n', "device.orderin", ["unknown key"]),
        ('game = "toy"\n[params]\nagents = "many"\n', "params.agents", ["integer", "many"]),
        ('game = "toy"\n[params]\nplayers = 3\n', "params.players", ["unknown key", "agents"]),
        ('game = "toy"\n[params]\nagents = 1\n', "params.agents", ["greater than or equal to 2"]),
        ('game = "nope"\n', "game", ["unknown game 'nope'", "toy"]),
        ("seeds = 3\n", "game", ["missing"]),
        ('game = "toy"\nseeds = 0\n', "seeds", ["must be a count in [1, 1,000,000], got 0"]),
        ('game = "toy"\nseeds = 100000000000\n', "seeds", ["got 100,000,000,000"]),
        (
            'game = "toy"\nseeds = 1000\n[sweep]\n"params.agents" = '
            + str(list(range(2, 1003)))
            + "\n",
            "seeds",
            ["1,001 grid points × 1,000 seeds = 1,001,000 runs, more than the 1,000,000"],
        ),
        ('game = "toy"\nseeds = [1, -2]\n', "seeds[1]", ["non-negative"]),
        ('game = "toy"\nseeds = "ten"\n', "seeds", ["a string"]),
        ('game = "toy"\nworkers = 4\n', "workers", ["unknown key"]),
        ('game = "toy"\nname = "a/b"\n', "name", ["directory"]),
        (
            'game = "toy"\n[sweep]\n"device.orderng" = ["fcfs"]\n',
            "sweep.device.orderng",
            ["unknown key", "ordering"],
        ),
        (
            'game = "toy"\n[sweep]\n"params.speed" = [1, 2]\n',
            "sweep.params.speed",
            ["unknown key"],
        ),
        ('game = "toy"\n[sweep]\n"ordering" = ["fcfs"]\n', "sweep.ordering", ["'device.'"]),
        ('game = "toy"\n[sweep]\n"device.ordering" = "fcfs"\n', "sweep.device.ordering", ["list"]),
        ('game = "toy"\n[sweep]\n"device.ordering" = []\n', "sweep.device.ordering", ["empty"]),
        (
            'game = "toy"\n[sweep]\n"device.ordering" = ["fcfs", "fcfs"]\n',
            "sweep.device.ordering",
            ["twice"],
        ),
        (
            'game = "toy"\n[sweep]\ndevice.ordering = ["fcfs"]\n',
            "sweep.device",
            ["quote dotted sweep keys"],
        ),
        (
            'game = "toy"\n[sweep]\n"device.ordering" = ["fcfs", "fastest"]\n',
            "device.ordering",
            ["fastest", 'at the grid point device.ordering = "fastest"'],
        ),
        (
            'game = "toy"\n[sweep]\n"params.agents" = [3, 0]\n',
            "params.agents",
            ["greater than or equal to 2", "params.agents = 0"],
        ),
    ],
)
def test_bad_scenarios_name_the_key_and_why(text: str, key: str, words: list[str]) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, source="bad.toml")
    error = info.value
    assert isinstance(error, ValueError)
    assert error.key == key, str(error)
    assert str(error).startswith(f"bad.toml: {key}: ")
    for word in words:
        assert word in str(error)


def test_malformed_toml_gives_the_line() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario('game = "toy"\n\n[device\nordering = "fcfs"\n', source="x.toml")
    assert info.value.key is None
    assert "x.toml: malformed TOML" in str(info.value)
    assert "line 3" in str(info.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"nope\.toml: no such scenario file"):
        load_scenario(tmp_path / "nope.toml")


def test_with_seeds_rejects_zero_and_more_runs_than_a_sweep_holds() -> None:
    with pytest.raises(ScenarioError, match="seeds: must be a positive int"):
        parse_scenario('game = "toy"').with_seeds(0)
    with pytest.raises(ScenarioError, match=r"1 grid points × 1,000,001 seeds = 1,000,001 runs"):
        parse_scenario('game = "toy"').with_seeds(1_000_001)


def test_probe_game_params_validate_through_its_model() -> None:
    scenario = parse_scenario('game = "lab_probe"\n[sweep]\n"params.fail" = [false, true]\n')
    assert [p.params.model_dump()["fail"] for p in scenario.points] == [False, True]


@pytest.mark.parametrize("path", sorted(EXAMPLE.parent.glob("*.toml")), ids=lambda p: Path(p).name)
def test_every_shipped_scenario_loads_with_its_game(path: Path) -> None:
    """Each examples/*.toml validates: its game is registered and its params and sweep
    keys exist (the error would name the key)."""
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    assert scenario.points
