"""The LLM DeFi game, replayed from the shipped recording (scripted stand-in, not a model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.agents.llm import LLMClient, LLMSettings
from accord.agents.llm.cache import read_meta
from accord.agents.llm.client import STAND_IN_PRODUCER
from accord.device import DeviceConfig
from accord.games.base import get_game
from accord.games.llm_defi import Params, play
from accord.lab.runner import derive_seed
from accord.lab.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
RECORDING = ROOT / "examples" / "llm" / "llm-defi.jsonl"
FIXTURES = ROOT / "tests" / "agents" / "llm" / "data"


def replay(**llm: object) -> LLMSettings:
    base: dict[str, object] = {
        "model": "accord-scripted-v1",
        "mode": "replay",
        "cache": str(RECORDING),
        "per_agent": {"calls": 40, "tokens": 40_000},
        "per_run": {"calls": 60, "tokens": 60_000},
    }
    return LLMSettings.model_validate({**base, **llm})


def point(tools: str, mempool: str, ordering: str) -> tuple[Params, DeviceConfig, int]:
    """The shipped scenario's grid point and its first seed."""
    scenario = load_scenario(ROOT / "examples" / "llm-defi.toml")
    for p in scenario.points:
        values = p.values
        if (values["params.trader_tools"], values["device.mempool"], values["device.ordering"]) == (
            tools,
            mempool,
            ordering,
        ):
            params = p.params
            assert isinstance(params, Params)
            seed = derive_seed(scenario.seed, p.values, scenario.replicates[0])
            llm = params.llm.model_copy(update={"cache": str(RECORDING)})
            return params.model_copy(update={"llm": llm}), p.device, seed
    raise AssertionError("no such grid point")


def test_the_recording_says_it_is_the_stand_in() -> None:
    meta = read_meta(RECORDING)
    assert meta["producer"] == STAND_IN_PRODUCER and "NOT a foundation model" in meta["producer"]
    assert get_game("llm_defi").name == "llm_defi"


def test_naive_trader_is_sandwiched_on_a_public_priority_mempool() -> None:
    params, device, seed = point("swap", "public", "priority")
    r = play(params, device, seed)
    m = r.metrics
    assert m["needs"] == 4 and m["filled"] == 4
    assert m["sandwich_attempts"] == 4 and m["sandwiches_landed"] == 4
    # the stand-in's 3% tolerance is eaten almost whole: shortfall within [250, 300] bps
    assert 250 < m["trader_shortfall_bps"] < 300
    assert m["searcher_pnl_usd"] > 0
    assert m["searcher_pnl_usd"] < m["trader_shortfall_usd"]  # the rest: tips and pool fees
    # every need's realised output is at least its min_out (3% under the ideal)
    for row in r.tables["needs"]:
        assert row["realised_out"] >= row["ideal_out"] * 9_700 // 10_000


@pytest.mark.parametrize(
    ("tools", "mempool", "ordering", "refused"),
    [
        ("intent", "public", "priority", 0),  # bundles fail whole: no back-run after an intent
        ("swap", "sealed", "priority", 0),  # nothing to read: the searcher is never asked
        ("swap", "public", "batch", 4),  # the device refuses bundles that sequence swaps
    ],
)
def test_each_protection_stops_the_extraction(
    tools: str, mempool: str, ordering: str, refused: int
) -> None:
    params, device, seed = point(tools, mempool, ordering)
    m = play(params, device, seed).metrics
    assert m["filled"] == 4 and m["unfilled"] == 0
    assert m["sandwiches_landed"] == 0 and m["searcher_pnl_usd"] == 0.0
    assert m["trader_shortfall_usd"] == 0.0  # alone in its block, the trade gets its quote
    assert m["searcher_refused"] == refused
    if mempool == "sealed":
        assert m["llm_calls_searcher"] == 0


def test_replay_is_exact_and_the_transcript_is_kept() -> None:
    params, device, seed = point("swap", "public", "priority")
    a, b = play(params, device, seed), play(params, device, seed)
    assert a.state_hash == b.state_hash and a.metrics == b.metrics
    rows = a.tables["llm_transcript"]
    assert len(rows) == a.metrics["llm_calls"]
    assert {r["status"] for r in rows} == {"ok", "invalid"}
    invalid = [r for r in rows if r["status"] == "invalid"]
    assert len(invalid) == a.metrics["llm_invalid_answers"] > 0
    for r in invalid:  # each invalid answer is followed by its retry, which acted
        nxt = next(
            x
            for x in rows
            if (x["agent"], x["block"], x["attempt"]) == (r["agent"], r["block"], r["attempt"] + 1)
        )
        assert nxt["status"] == "ok" and nxt["acted"]
    tokens = sum(r["prompt_tokens"] + r["completion_tokens"] for r in rows)
    assert tokens == a.metrics["llm_tokens"]


def test_budget_exhaustion_does_nothing_and_is_reported() -> None:
    params, device, seed = point("swap", "public", "priority")
    tight = params.model_copy(update={"llm": replay(per_agent={"calls": 2})})
    m = play(tight, device, seed).metrics
    assert m["llm_calls_trader"] == 2 and m["llm_budget_refusals"] > 0
    assert m["needs"] == 4 and m["filled"] < 4  # later needs were never placed


def test_an_agent_that_never_answers_validly_does_nothing() -> None:
    settings = LLMSettings(
        model="accord-scripted-v1",
        mode="replay",
        cache=str(FIXTURES / "trader-always-invalid.jsonl"),
    )
    params = Params(blocks=3, need_every=3, llm=settings)
    r = play(params, DeviceConfig(), 0, client=LLMClient(settings, environ={}))
    m = r.metrics
    assert m["llm_calls_trader"] == 3 and m["llm_invalid_trader"] == 3
    assert m["llm_gave_up_trader"] == 1 and m["filled"] == 0
    assert r.tables["needs"][0]["realised_out"] == 0 and r.tables["needs"][0]["sold"] == 0


def test_readme_llm_example_and_table(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's LLM section: its example runs, and its table is the replayed sweep's."""
    import re

    from accord.lab.runner import run_sweep

    monkeypatch.chdir(ROOT)  # the scenario's cache path is relative to the repository root
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## LLM agents and natural-language intents") :]
    [block] = re.findall(r"^```python\n(.*?)^```", section, flags=re.DOTALL | re.MULTILINE)[:1]
    exec(compile(block, "README.md", "exec"), {"__name__": "readme_llm"})
    out = capsys.readouterr().out.splitlines()
    assert "pool pool-A-B quotes at least 150 B for 100 A" in out[0]
    assert out[1] == (
        "llm 2 At the end of the first block in which the block number is at least 20, "
        "pay 10 A to bob."
    )
    sweep = run_sweep(load_scenario(ROOT / "examples" / "llm-defi.toml"), workers=1)
    assert not sweep.failed
    rows: dict[tuple[str, str, str], list[dict[str, float | int]]] = {}
    for o in sweep.outcomes:
        v = o.spec.values
        key = (v["params.trader_tools"], v["device.mempool"], v["device.ordering"])
        assert o.result is not None
        rows.setdefault(key, []).append(dict(o.result.metrics))
    table = section[section.index("| trader may use") :].split("\n\n", 1)[0].splitlines()[2:]
    assert len(table) == len(rows) == 8
    for line in table:
        cells = [c.strip() for c in line.strip("|").split("|")]
        tools = "intent" if cells[0] == "swaps + intents" else "swap"
        runs = rows[(tools, cells[1], cells[2])]
        mean = sum(float(r["trader_shortfall_bps"]) for r in runs) / len(runs)
        pnl = sum(float(r["searcher_pnl_usd"]) for r in runs) / len(runs)
        assert cells[4] == f"{mean:.1f}" and cells[5] == f"{pnl:,.0f}"
        assert cells[9] == str(sum(int(r["llm_calls"]) for r in runs))
        assert cells[10] == f"{sum(int(r['llm_tokens']) for r in runs):,}"
