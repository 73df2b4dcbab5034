"""``accord run``, ``accord report`` and ``accord route`` through typer's CliRunner."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

import tests.lab.probe  # noqa: F401  (registers lab_probe)
from accord.cli import app
from accord.cli.run import _summary_tables
from accord.games.toy import GLOSSARY as TOY_GLOSSARY
from accord.lab.pools import load_pools
from accord.lab.report_style import format_number, interval_text
from accord.lab.results import query
from accord.lab.stats import summarize
from accord.mechanisms.cfmm import ConstantSumPool, ProductPool, WeightedPool, amount_out
from accord.mechanisms.routing import Network, route_arbitrage, route_swap

runner = CliRunner()

SCENARIO = """
name = "cli-toy"
game = "toy"
seed = 5
seeds = 2

[params]
agents = 4
blocks = 5

[device]
block_gas_limit = 90_000

[sweep]
"device.ordering" = ["fcfs", "priority"]
"""

POOLS = {
    "tokens": ["A", "B", "C", "D"],
    "pools": [
        {"kind": "product", "tokens": ["A", "B"], "reserves": [1_000_000, 2_000_000], "fee": 0.003},
        {
            "kind": "weighted",
            "tokens": ["A", "B", "C"],
            "reserves": [1_000_000, 1_500_000, 3_000_000],
            "weights": [2, 1, 1],
            "fee": 0.003,
        },
        {
            "kind": "constant_sum",
            "tokens": ["C", "D"],
            "reserves": [500_000, 500_000],
            "fee": 0.0005,
        },
    ],
}


def flat(text: str) -> str:
    return " ".join(text.split())


def last_json(output: str) -> dict[str, object]:
    value = json.loads(output.strip().splitlines()[-1])
    assert isinstance(value, dict)
    return value


def test_run_writes_results_and_report_and_ends_with_json(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "runs"
    args = ["run", str(scenario), "--workers", "1", "--out", str(out), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    run_dir = out / "cli-toy"
    assert (run_dir / "results.parquet").is_file() and (run_dir / "report.html").is_file()
    text = flat(result.output)
    assert "cli-toy: game toy, 2 grid points × 2 seeds = 4 runs on 1 worker" in text
    assert "headline metrics: mean [95% interval] over 2 seeds" in text
    assert "4 runs ok, 0 failed" in text
    assert "report.html (every metric, glossary)" in text  # no common random numbers
    line = last_json(result.output)
    assert line["scenario"] == "cli-toy" and line["runs"] == 4 and line["failed"] == 0
    assert line["results"] == str(run_dir / "results.parquet")
    assert line["report"] == str(run_dir / "report.html")
    summary = summarize(run_dir)
    assert line == {**json.loads(json.dumps(summary.as_dict())), **line}
    assert line["paired"]["baseline"] == 0
    assert line["hidden"] == {"included": "constant", "final_base_fee": "constant"}
    assert line["glossary"]["mean_delay"] == {
        "unit": "blocks",
        "support": [0.0, None],
        "better": "lower",
        "meaning": "Mean blocks from submission to inclusion of an included transfer.",
    }
    assert list(line["glossary"]) == list(summary.meta.metrics)
    for metric in line["hidden"]:  # one value in every run
        assert len(query(run_dir, f'SELECT DISTINCT "{metric}" FROM results')) == 1
    points = line["points"]
    assert isinstance(points, list) and len(points) == 2
    means = query(
        run_dir, "SELECT point, avg(submitted) AS m FROM results GROUP BY point ORDER BY point"
    )
    assert [p["metrics"]["submitted"]["mean"] for p in points] == [r["m"] for r in means]
    assert points[1]["values"] == {"device.ordering": "priority"}


def test_run_prints_the_headline_table_and_no_json_unless_asked(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO.replace("seeds = 2", "seeds = 2\ncommon_random_numbers = true"))
    out = tmp_path / "runs"
    result = runner.invoke(app, ["run", str(scenario), "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert not any(line.lstrip().startswith("{") for line in lines)
    assert lines[-1].startswith("report:") and lines[-1].endswith(
        "report.html (every metric, paired differences, glossary)"
    )
    # the toy game's headline metrics, and no other metric, in the table
    headline = [m for m, d in TOY_GLOSSARY.items() if d.headline]
    assert headline == ["mean_delay", "priority_advantage", "realised_value"]
    text = flat(result.output)
    assert all(m in text for m in headline) and "submitted" not in text
    assert len(lines) < 40


def test_run_seeds_override(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "runs"
    args = ["run", str(scenario), "--workers", "1", "--out", str(out), "--seeds", "3", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    line = last_json(result.output)
    assert line["runs"] == 6
    rows = query(out / "cli-toy", "SELECT DISTINCT replicate FROM results ORDER BY 1")
    assert [r["replicate"] for r in rows] == [0, 1, 2]


def test_run_with_failures_exits_1_after_writing_everything(tmp_path: Path) -> None:
    scenario = tmp_path / "f.toml"
    scenario.write_text('game = "lab_probe"\n[sweep]\n"params.fail" = [false, true]\n')
    out = tmp_path / "runs"
    args = ["run", str(scenario), "--workers", "1", "--out", str(out), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    text = flat(result.output)
    assert "failed p1-r0: ValueError: probe told to fail" in text
    assert "1 of 2 runs failed" in text
    line = last_json(result.output)
    assert line["failed"] == 1
    assert (out / "f" / "report.html").is_file()


def test_a_taken_run_name_needs_force_resume_or_a_new_name(tmp_path: Path) -> None:
    """Running a scenario again never replaces its results silently: one line says what
    to pass, and nothing changes until it is passed."""
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "runs"
    base = ["run", str(scenario), "--workers", "1", "--out", str(out)]
    assert runner.invoke(app, base).exit_code == 0
    results = out / "cli-toy" / "results.parquet"
    first = results.read_bytes()
    again = runner.invoke(app, base)
    assert again.exit_code == 1 and again.stdout == ""
    assert again.stderr == (
        f"error: {out / 'cli-toy'} already exists: pass --force to replace it (it stays "
        "until the new run completes), --resume to complete it, or --name NEW to write a "
        "new name\n"
    )
    assert results.read_bytes() == first
    both = runner.invoke(app, [*base, "--resume", "--force"])
    assert both.exit_code == 1 and both.stderr.startswith("error: --resume completes")
    resumed = runner.invoke(app, [*base, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert f"nothing to resume: {out / 'cli-toy'} is complete" in flat(resumed.stdout)
    assert results.read_bytes() == first
    other = runner.invoke(app, [*base, "--seeds", "3", "--resume"])
    assert other.exit_code == 1 and "is a run directory of another design" in other.stderr
    named = runner.invoke(app, [*base, "--name", "second"])
    assert named.exit_code == 0, named.output
    assert query(out / "second", "SELECT * FROM results") == query(
        out / "cli-toy", "SELECT * FROM results"
    )
    forced = runner.invoke(app, [*base, "--seeds", "3", "--force"])
    assert forced.exit_code == 0, forced.output
    assert query(out / "cli-toy", "SELECT count(*) AS n FROM results") == [{"n": 6}]
    assert sorted(p.name for p in out.iterdir()) == [
        ".cli-toy.lock",
        ".second.lock",
        "cli-toy",
        "second",
    ]
    bad = runner.invoke(app, [*base, "--name", "../up"])
    assert bad.exit_code == 1 and "name: must be a non-empty name" in bad.stderr


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.text(max_size=12) | st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,8}\Z"))
@example(name="../escape")
@example(name=".hidden")
@example(name="a/b")
@example(name="")
@example(name="x.partial")
def test_run_names_stay_inside_out(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Any --name either writes OUT/NAME (a plain name) or is refused in one line; nothing
    is ever written outside OUT, and no name reaches a hidden sibling's."""
    root = tmp_path_factory.mktemp("names")
    scenario = root / "p.toml"
    scenario.write_text('game = "lab_probe"\nseeds = 1\n')
    out = root / "runs"
    args = ["run", str(scenario), "--workers", "1", "--out", str(out), "--name", name]
    result = runner.invoke(app, args)
    assert sorted(p.name for p in root.iterdir()) == sorted(["p.toml", *(["runs"] * out.exists())])
    if result.exit_code == 0:
        assert sorted(p.name for p in out.iterdir()) == sorted([name, f".{name}.lock"])
        assert query(out / name, "SELECT count(*) AS n FROM results") == [{"n": 1}]
    else:
        assert result.exit_code == 1 and result.stderr.count("\n") == 1, result.output
        assert "name: must be a non-empty name" in result.stderr
        assert not out.exists()


@pytest.mark.parametrize("below", [(), ("sub",)])
def test_run_refuses_an_out_that_is_a_file(below: tuple[str, ...], tmp_path: Path) -> None:
    """--out naming a file (or a path under one) is one line, exit 1; the file is kept
    byte for byte and nothing is written beside it."""
    scenario = tmp_path / "p.toml"
    scenario.write_text('game = "lab_probe"\nseeds = 1\n')
    taken = tmp_path / "notes.txt"
    taken.write_bytes(b"not a directory\n")
    out = taken.joinpath(*below)
    result = runner.invoke(app, ["run", str(scenario), "--workers", "1", "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    assert taken.read_bytes() == b"not a directory\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "p.toml"]


def test_run_refuses_a_bad_scenario_and_runs_nothing(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.toml"
    scenario.write_text('game = "toy"\n[sweep]\n"device.ordering" = ["fcfs", "fastest"]\n')
    out = tmp_path / "runs"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out)])
    assert result.exit_code == 1
    text = flat(result.output)
    assert text.startswith("error:")
    assert "bad.toml: device.ordering:" in text and "fastest" in text
    assert "Traceback" not in result.output
    assert not out.exists()


def test_run_rejects_zero_workers(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(tmp_path / "x.toml"), "--workers", "0"])
    assert result.exit_code == 2


def test_report_rebuilds_the_page(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "runs"
    ran = runner.invoke(app, ["run", str(scenario), "--workers", "1", "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    page = out / "cli-toy" / "report.html"
    page.unlink()
    result = runner.invoke(app, ["report", str(out / "cli-toy")])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == str(page)
    # 14 metrics, 2 of them equal in every run (included, final_base_fee): 12 plots
    assert page.read_text().count("data:image/png;base64,") == 12
    assert "Paired differences from ordering=fcfs" in page.read_text()
    result = runner.invoke(app, ["report", str(out / "cli-toy"), "--baseline", "ordering=priority"])
    assert result.exit_code == 0, result.output
    assert "Paired differences from ordering=priority" in page.read_text()
    for bad, message in (
        (
            "ordering=batch",
            "baseline ordering=batch matches no grid point; name exactly one design",
        ),
        ("mempool=public", "baseline: 'mempool' is not a swept key (swept: device.ordering)"),
        ("ordering", "--baseline: 'ordering' is not KEY=VALUE"),
    ):
        result = runner.invoke(app, ["report", str(out / "cli-toy"), "--baseline", bad])
        assert result.exit_code == 1 and flat(result.output) == f"error: {message}"


def test_report_of_a_directory_without_results(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 1
    assert "is not a run directory" in flat(result.output)


@pytest.fixture
def pools_file(tmp_path: Path) -> Path:
    path = tmp_path / "pools.json"
    path.write_text(json.dumps(POOLS))
    return path


def the_network() -> Network:
    """The pool file's network, built directly from cfmm pools (not through the parser)."""
    return Network.build(
        [
            ProductPool((1_000_000, 2_000_000), 30, ("A", "B")),
            WeightedPool((1_000_000, 1_500_000, 3_000_000), (2, 1, 1), 30, ("A", "B", "C")),
            ConstantSumPool((500_000, 500_000), 5, (), ("C", "D")),
        ],
        tokens=["A", "B", "C", "D"],
    )


def test_route_arbitrage_equals_the_routing_api(pools_file: Path) -> None:
    prices = {"A": 2.0, "B": 1.0, "C": 0.5, "D": 0.5}
    args = ["route", str(pools_file), "--arbitrage", "--prices", "A=2,B=1,C=0.5,D=0.5", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    line = last_json(result.output)
    expected = route_arbitrage(the_network(), prices).as_dict()
    assert line == json.loads(json.dumps(expected))
    assert set(line) >= {"value", "net", "trades"}
    net = line["net"]
    assert isinstance(net, dict) and all(v >= 0 for v in net.values())  # gives up nothing
    assert line["value"] == sum(prices[t] * v for t, v in net.items())


def test_route_swap_equals_the_routing_api(pools_file: Path) -> None:
    args = ["route", str(pools_file), "--swap", "A:1000", "--to", "D", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    line = last_json(result.output)
    assert line == json.loads(json.dumps(route_swap(the_network(), "A", 1000, "D").as_dict()))
    net = line["net"]
    assert isinstance(net, dict) and net["A"] >= -1000 and net["D"] > 0


def test_route_swap_on_one_pool_is_uniswap_math(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(
        json.dumps(
            {"pools": [{"kind": "product", "tokens": ["X", "Y"], "reserves": [10**9, 10**6]}]}
        )
    )
    result = runner.invoke(app, ["route", str(path), "--swap", "X:5000000", "--to", "Y", "--json"])
    assert result.exit_code == 0, result.output
    line = last_json(result.output)
    net = line["net"]
    assert isinstance(net, dict)
    # The best one can get for 5,000,000 X is Uniswap v2's amount_out, and the router
    # tenders no more X than that output needs.
    assert net["Y"] == amount_out(5_000_000, 10**9, 10**6, 30) == 4960
    assert -5_000_000 <= net["X"] < 0
    assert amount_out(-net["X"], 10**9, 10**6, 30) == 4960


def test_route_without_json_prints_a_table_only(pools_file: Path) -> None:
    result = runner.invoke(app, ["route", str(pools_file), "--swap", "A:1000", "--to", "D"])
    assert result.exit_code == 0, result.output
    assert "swap up to 1000 A for D" in result.output
    assert not result.output.strip().splitlines()[-1].startswith("{")


@pytest.mark.parametrize(
    ("pools", "args", "message"),
    [
        (None, ["--swap", "A:10"], "--swap needs --to"),
        (None, ["--arbitrage"], "--arbitrage needs --prices"),
        (None, ["--prices", "A=1"], "exactly one of --arbitrage"),
        (None, ["--arbitrage", "--prices", "A=1", "--swap", "A:1"], "exactly one of"),
        (None, ["--arbitrage", "--prices", "A=1,Z=2"], "--prices: unknown token 'Z'"),
        (None, ["--arbitrage", "--prices", "A:1"], "'A:1' is not TOKEN=PRICE"),
        (None, ["--arbitrage", "--prices", "A=cheap"], "price 'cheap' is not a number"),
        (None, ["--swap", "A:ten", "--to", "D"], "amount 'ten' is not an int"),
        (None, ["--swap", "A:-5", "--to", "D"], "amount must be positive"),
        (None, ["--swap", "A:5", "--to", "Q"], "--to: unknown token 'Q'"),
        (
            {"pools": [{"kind": "product", "tokens": ["A", "B"], "reserves": [1, 2.5]}]},
            ["--swap", "A:1", "--to", "B"],
            "pools[0].reserves[1]: 2.5 has a fraction, but B has no decimals",
        ),
        (
            {
                "pools": [
                    {"kind": "product", "tokens": ["A", "B"], "reserves": [9, 9], "fee": 0.00301}
                ]
            },
            ["--swap", "A:1", "--to", "B"],
            "pools[0].fee: fee 0.00301 is not a whole number of basis points",
        ),
        (
            {"pools": [{"kind": "weighted", "tokens": ["A", "B"], "reserves": [9, 9]}]},
            ["--swap", "A:1", "--to", "B"],
            "pools[0].weights: required for a weighted pool",
        ),
        (
            {"pools": [{"kind": "curve", "tokens": ["A", "B"], "reserves": [9, 9]}]},
            ["--swap", "A:1", "--to", "B"],
            "pools[0].kind: Input should be 'product', 'weighted' or 'constant_sum'",
        ),
        (
            {"pools": [{"kind": "product", "tokens": ["A", "B"], "reserves": [9, 9], "size": 1}]},
            ["--swap", "A:1", "--to", "B"],
            "pools[0].size: unknown key",
        ),
        (
            {
                "tokens": ["A"],
                "pools": [{"kind": "product", "tokens": ["A", "B"], "reserves": [9, 9]}],
            },
            ["--swap", "A:1", "--to", "B"],
            "pool 0 trades unknown token 'B'",
        ),
        ({"pools": []}, ["--swap", "A:1", "--to", "B"], "pools: List should have at least 1 item"),
    ],
)
def test_route_errors_name_the_problem(
    pools_file: Path, pools: dict[str, object] | None, args: list[str], message: str
) -> None:
    if pools is not None:
        pools_file.write_text(json.dumps(pools))
    result = runner.invoke(app, ["route", str(pools_file), *args, "--json"])
    assert result.exit_code == 1, result.output
    assert message in flat(result.output)
    assert flat(result.output).startswith("error:")
    assert "Traceback" not in result.output


def test_route_malformed_and_missing_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"pools": [')
    result = runner.invoke(app, ["route", str(bad), "--swap", "A:1", "--to", "B"])
    assert result.exit_code == 1 and "bad.json: malformed JSON" in flat(result.output)
    result = runner.invoke(app, ["route", str(tmp_path / "no.json"), "--swap", "A:1", "--to", "B"])
    assert result.exit_code == 1 and "no.json: no such pool file" in flat(result.output)


def test_parser_and_direct_network_agree(pools_file: Path) -> None:
    parsed, direct = load_pools(pools_file), the_network()
    assert parsed.tokens == direct.tokens and parsed.pools == direct.pools


@pytest.mark.parametrize("width", [70, 80, 120])
def test_headline_tables_fit_the_console_without_cutting_a_cell(tmp_path: Path, width: int) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "runs"
    ran = runner.invoke(app, ["run", str(scenario), "--workers", "1", "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    summary = summarize(out / "cli-toy")
    metrics = [*TOY_GLOSSARY]  # every metric, to force several tables
    console = Console(width=width, record=True, file=io.StringIO())
    tables = _summary_tables(summary, metrics, width)
    for table in tables:
        console.print(table)
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= width
    assert len(tables) > 1
    for p in summary.points:  # every cell printed whole: nothing cut to an ellipsis
        for m in metrics:
            assert format_number(p.cells[m].mean) in text
            assert interval_text(p.cells[m].low, p.cells[m].high) in text
