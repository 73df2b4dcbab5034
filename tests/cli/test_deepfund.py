"""``accord deepfund propagate`` through typer's CliRunner, and the README's example."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "deepfund"
GRAPH = str(EXAMPLES / "graph.csv")
GH = "https://github.com/"


def last_json(output: str) -> dict[str, object]:
    data = json.loads(output.strip().splitlines()[-1])
    assert isinstance(data, dict)
    return data


def test_credits_of_the_shipped_graph() -> None:
    result = runner.invoke(
        app, ["deepfund", "propagate", "--graph", GRAPH, "--root", "ethereum", "--json"]
    )
    assert result.exit_code == 0, result.output
    out = last_json(result.output)
    assert set(out) == {"credits"}
    credits = out["credits"]
    assert isinstance(credits, dict)
    assert len(credits) == 14 and next(iter(credits)) == "ethereum"
    assert credits["ethereum"] == 0.0
    assert credits[GH + "ethereum/go-ethereum"] == pytest.approx(0.3 * 0.75)
    # solidity ↔ solc-js is a cycle: s = 0.2/(1 − 0.1·0.6), solidity keeps 0.9 of it
    s_sol = 0.2 / (1 - 0.1 * 0.6)
    assert credits[GH + "ethereum/solidity"] == pytest.approx(0.9 * s_sol, abs=1e-12)
    assert credits[GH + "ethereum/solc-js"] == pytest.approx(0.4 * 0.1 * s_sol, abs=1e-12)
    # c-kzg-4844 is reached from two clients: 0.3·0.1 + 0.3·0.1, keeps 0.6, blst gets 0.4
    assert credits[GH + "supranational/blst"] == pytest.approx(0.4 * 0.06, abs=1e-12)
    assert sum(credits.values()) == pytest.approx(1.0, abs=1e-12)


def test_fund_gives_exact_integer_payouts() -> None:
    args = [
        "deepfund",
        "propagate",
        "--graph",
        GRAPH,
        "--root",
        "ethereum",
        "--fund",
        "1000000",
        "--json",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    out = last_json(result.output)
    payouts = out["payouts"]
    assert isinstance(payouts, dict)
    assert all(isinstance(v, int) for v in payouts.values())
    assert sum(payouts.values()) == 1_000_000
    assert payouts[GH + "ethereum/go-ethereum"] == 225_000
    assert payouts[GH + "ethereum/solidity"] == 191_489  # 0.9·0.2/0.94 = 0.1914893…
    assert payouts[GH + "ethereum/solc-js"] == 8_511  # 0.04·0.2/0.94 = 0.0085106…
    assert payouts["ethereum"] == 0


def test_plain_output_is_a_table() -> None:
    result = runner.invoke(
        app,
        [
            "deepfund",
            "propagate",
            "--graph",
            GRAPH,
            "--root",
            "ethereum",
            "--fund",
            "1000",
            "--top",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "credit entering ethereum" in text and "payout" in text
    assert "3 of 14 nodes reached" in text
    assert not result.output.strip().splitlines()[-1].startswith("{")


def test_seeds_and_an_unweighted_dependency_graph() -> None:
    result = runner.invoke(
        app,
        [
            "deepfund", "propagate",
            "--graph", str(EXAMPLES / "dependency-graph-v2.csv"),
            "--seeds", str(EXAMPLES / "seedRepos.json"),
            "--root", "ethereum", "--dependency-share", "0.5", "--fund", "999", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "each repository keeps 0.5" in result.output
    out = last_json(result.output)
    payouts = out["payouts"]
    assert isinstance(payouts, dict) and sum(payouts.values()) == 999
    assert payouts[GH + "sigp/lighthouse"] in (166, 167)  # 1/3 · 0.5 of 999 = 166.5
    assert payouts[GH + "ethereum/c-kzg-4844"] == 111  # 2 · 1/3 · 0.5 / 3 of 999, exactly
    credits = out["credits"]
    assert isinstance(credits, dict)
    assert credits[GH + "ethereum/c-kzg-4844"] == pytest.approx(1 / 9)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("source,target,weight\na,b,0.6\na,c,0.5\n", "source 'a': outgoing weights sum to 1.1"),
        ("source,target,weight\na,b,x\n", "row 1 (line 2): weight 'x' is not a number"),
        ("source,target\na,b\n", "missing column 'weight'"),
        ("source,target,weight\na,b,1\nb,a,1\n", "keeps nothing"),
    ],
)
def test_bad_graphs_fail_with_the_row_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "edges.csv"
    path.write_text(text)
    result = runner.invoke(
        app, ["deepfund", "propagate", "--graph", str(path), "--root", "a", "--json"]
    )
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_unknown_root_and_bad_fund() -> None:
    result = runner.invoke(app, ["deepfund", "propagate", "--graph", GRAPH, "--root", "nobody"])
    assert result.exit_code == 1 and "unknown node 'nobody'" in result.output
    result = runner.invoke(
        app, ["deepfund", "propagate", "--graph", GRAPH, "--root", "ethereum", "--fund", "0"]
    )
    assert result.exit_code == 2


def test_the_readme_example_runs() -> None:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Deep funding") :]
    block = re.search(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert block is not None
    command = next(line for line in block.group(1).splitlines() if "--fund" in line)
    argv = command.split("#")[0].split()
    assert argv[:3] == ["accord", "deepfund", "propagate"]
    done = subprocess.run(
        [sys.executable, "-m", "accord.cli", *argv[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = last_json(done.stdout)
    payouts = out["payouts"]
    assert isinstance(payouts, dict) and sum(payouts.values()) == 1_000_000
    # the README quotes these figures
    assert payouts[GH + "ethereum/solidity"] == 191_489
    assert f"{payouts[GH + 'ethereum/solidity']:,}" in section


def test_a_misspelt_seed_is_an_error_and_pays_nothing(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.json"
    seeds.write_text(json.dumps([GH + "ethereum/go-etherum", GH + "sigp/lighthouse"]))
    graph = EXAMPLES / "dependency-graph-v2.csv"
    result = runner.invoke(
        app,
        [
            "deepfund", "propagate", "--graph", str(graph), "--seeds", str(seeds),
            "--root", "ethereum", "--fund", "1000", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 1
    line = " ".join(result.output.split())
    assert line.startswith(f"error: --seeds {seeds}: seed is not in the graph: ")
    assert "'https://github.com/ethereum/go-etherum' (did you mean" in line
    assert line.endswith(f"({graph})") and "payouts" not in line


def test_a_csv_given_as_seeds_is_refused() -> None:
    graph = EXAMPLES / "dependency-graph-v2.csv"
    result = runner.invoke(
        app,
        ["deepfund", "propagate", "--graph", str(graph), "--seeds", str(graph), "--root", "e"],
    )
    assert result.exit_code == 1
    assert "not a CSV" in result.output and "Traceback" not in result.output
