"""The real model in the loop: ``accord llm serve`` with SmolLM2-135M-Instruct.

These tests start the real command on a loopback port and talk to it through accord's
own client. Where the ``llm-local`` extra or the model is missing they skip, **except**
when ``ACCORD_EXPECT_LLM_LOCAL=1`` (``make test`` sets it wherever it installed them):
then a missing model is a failure, so that CI cannot pass without running the model.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accord.agents.llm import LLMClient, LLMSettings
from accord.agents.llm.actions import Decision
from accord.agents.llm.local import LocalServer, local_server, local_stack_available
from accord.device import DeviceConfig
from accord.games.llm_defi import Params, play

ROOT = Path(__file__).resolve().parents[4]
EXPECTED = os.environ.get("ACCORD_EXPECT_LLM_LOCAL") == "1"


@pytest.fixture(scope="module")
def live() -> Iterator[LocalServer]:
    missing = local_stack_available()
    if missing is not None:
        if EXPECTED:
            pytest.fail(f"ACCORD_EXPECT_LLM_LOCAL=1 but the local model cannot run: {missing}")
        pytest.skip(missing)
    with local_server(context=4096) as server:
        yield server


def _post(server: LocalServer, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(
        server.base_url + "/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _recorded(n: int) -> list[dict[str, Any]]:
    path = ROOT / "examples" / "llm" / "llm-defi.jsonl"
    rows = [json.loads(x) for x in path.read_text().splitlines()[1:] if x.strip()]
    first_attempts = [r["request"] for r in rows if len(r["request"]["messages"]) == 2]
    return first_attempts[:n]


def test_a_live_defi_episode_against_the_real_model(live: LocalServer):
    """One block of the DeFi LLM scenario, the trader's call answered by the model: the
    answer is JSON that fits the schema (the grammar holds it there), usage is counted,
    and the device saw only what passed accord's checks. One call, no retry: on a
    loaded machine a call takes about a minute."""
    llm = LLMSettings(
        base_url=live.base_url, model=live.model, mode="live", max_retries=0, timeout_s=900
    )
    params = Params(blocks=1, need_every=3, llm=llm)
    config = DeviceConfig(mempool="public", ordering="priority")
    result = play(params, config, seed=6, client=LLMClient(llm))
    m = result.metrics
    assert m["llm_calls_trader"] == 1 and m["llm_endpoint_errors"] == 0
    assert m["llm_completion_tokens"] > 0 and m["llm_prompt_tokens"] > 500
    (row,) = [r for r in result.tables["llm_transcript"] if r["role"] == "trader"]
    Decision.model_validate_json(row["answer"])  # schema-valid; "invalid" = situation check
    assert row["status"] in ("ok", "invalid") and row["completion_tokens"] > 0
    assert m["llm_decisions_trader"] == 1
    assert m["llm_gave_up_trader"] == (row["status"] == "invalid")


def test_a_recorded_request_is_cut_at_max_tokens_and_says_length(live: LocalServer):
    """A request the DeFi scenario recorded, its max_tokens lowered: the answer stops at
    exactly that many tokens with finish_reason "length", and usage adds up."""
    (request,) = _recorded(1)
    code, out = _post(live, {**request, "model": live.model, "max_tokens": 48})
    assert code == 200, out
    assert out["choices"][0]["finish_reason"] == "length"
    assert out["choices"][0]["message"]["content"].startswith("{")
    usage = out["usage"]
    assert usage["prompt_tokens"] > 500 and usage["completion_tokens"] == 48
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_the_same_request_gets_the_same_answer(live: LocalServer):
    body = {
        "model": live.model,
        "messages": [{"role": "user", "content": "Pick a number from 1 to 9."}],
        "max_tokens": 20,
        "response_format": {
            "type": "json_schema",
            "json_schema": {
                "name": "n",
                "schema": {
                    "type": "object",
                    "properties": {"n": {"type": "integer", "minimum": 1, "maximum": 9}},
                },
            },
        },
    }
    a, b = _post(live, body), _post(live, body)
    assert a[0] == 200 and a == b
    n = json.loads(a[1]["choices"][0]["message"]["content"])["n"]
    assert 1 <= n <= 9


def test_the_real_server_refuses_hostile_requests_and_stays_up(live: LocalServer):
    ok = {"model": live.model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}
    assert _post(live, {**ok, "max_tokens": 10**9})[0] == 400
    assert _post(live, {**ok, "model": "gpt-4o"})[0] == 404
    bad_schema = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"not": {}}}}
    code, out = _post(live, {**ok, "response_format": bad_schema})
    assert code == 400 and "'not' is not supported" in out["error"]["message"]
    assert _post(live, ok)[0] == 200


def test_a_live_fishery_season_against_the_real_model(live: LocalServer):
    """Two months of the LLM fishery with a contract on offer, every decision (proposal,
    votes, catches) answered by the model: each answer is JSON that fits its schema (the
    grammar holds it there), the season ends, and the fish the fishers hold, locked or
    free, plus the lake's equal the supply."""
    from accord.games.fishery_llm import Params as FisheryLLMParams
    from accord.games.fishery_llm import play_season, result

    llm = LLMSettings(
        base_url=live.base_url,
        model=live.model,
        mode="live",
        max_retries=0,
        timeout_s=900,
        temperature=0.7,
        max_tokens=96,
    )
    params = FisheryLLMParams(llm=llm, rounds=2, negotiate=True, quotas=(5, 10), penalties=(3,))
    client = LLMClient(params.settings(1))
    season = play_season(params, DeviceConfig(signatures="mac"), 1, client)
    m = result(season, client, 1).metrics
    assert m["llm_endpoint_errors"] == 0 and m["llm_budget_refusals"] == 0
    assert m["llm_schema_valid"] == 1.0
    assert m["llm_answers"] == m["llm_calls"] >= 2  # a proposal, then a vote or a catch
    s = season.session
    assert s.over and 1 <= len(s.history) <= 2
    d = s.device
    holder = s._contracting().address
    held = sum(d.balance(f, "FISH") + d.locked(f, "FISH", holder) for f in s.fishers)
    assert held == len(s.fishers) * s.params.endowment + sum(s.caught.values())
    assert held + d.balance(s.lake, "FISH") == d.supply("FISH")
