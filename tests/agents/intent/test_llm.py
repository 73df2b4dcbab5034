"""The LLM path, replayed from recordings of the scripted stand-in (not a model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.agents.intent import IntentContext, IntentError, compile_intent
from accord.agents.intent.check import check_commitment
from accord.agents.intent.llm import answer_schema
from accord.agents.llm import LLMClient, LLMSettings
from accord.agents.structured import InvalidOutput
from accord.device.commitments.build import block, call, commitment, transfer
from accord.device.commitments.codec import json_schema

ROOT = Path(__file__).resolve().parents[3]
RECORDED = ROOT / "examples" / "llm" / "intents.jsonl"
TOOLS = ROOT / "tests" / "agents" / "llm" / "data" / "intent-tools.jsonl"


def client(path: Path = RECORDED, **kw: object) -> LLMClient:
    settings = LLMSettings.model_validate(
        {"model": "accord-scripted-v1", "mode": "replay", "cache": str(path), **kw}
    )
    return LLMClient(settings, environ={})


def test_llm_compiles_after_a_retry() -> None:
    c = client()
    out = compile_intent("pay bob 10 A once block 20 arrives", c)
    assert out.source == "llm" and out.llm_calls == 2  # the first answer was invalid
    assert out.commitment == commitment(
        "me",
        "pay-bob-at-20",
        expiry=20,
        condition=block() >= 20,
        actions=[transfer("A", "bob", 10)],
    )
    assert "pay 10 A to bob" in out.english
    assert c.ledger.run.calls == 2


def test_same_sentence_through_a_tool_call() -> None:
    out = compile_intent("pay bob 10 A once block 20 arrives", client(TOOLS, output="tools"))
    assert out.commitment.label == "pay-bob-at-20" and out.llm_calls == 2


def test_model_refusal_is_the_answer() -> None:
    with pytest.raises(IntentError, match="the model could not compile it: I cannot tell"):
        compile_intent("make me rich", client())


def test_parser_forms_never_reach_the_model() -> None:
    c = client()
    assert compile_intent("swap 5 A for B", c).source == "parser"
    assert c.ledger.run.calls == 0


def test_without_a_client_unknown_forms_are_refused() -> None:
    with pytest.raises(IntentError, match="not in a form the parser knows"):
        compile_intent("pay bob 10 A once block 20 arrives")


def test_gate_three_rejects_what_the_person_may_not_commit() -> None:
    ctx = IntentContext(owner="me", block=5, pools={"p1": ("A", "B")}, router=None)
    with pytest.raises(InvalidOutput, match="owner must be 'me'"):
        check_commitment(commitment("you", "x", expiry=9), ctx)
    with pytest.raises(InvalidOutput, match="expiry 4 is before block 5"):
        check_commitment(commitment("me", "x", expiry=4), ctx)
    with pytest.raises(InvalidOutput, match=r"actions\[0\] calls 'evil'"):
        check_commitment(commitment("me", "x", expiry=9, actions=[call("evil", "swap")]), ctx)
    with pytest.raises(InvalidOutput, match="only swap and swap_best"):
        check_commitment(commitment("me", "x", expiry=9, actions=[call("p1", "sync")]), ctx)


def test_answer_schema_embeds_the_language_schema() -> None:
    schema = answer_schema()
    inner = json_schema()
    assert schema["$defs"]["Commitment"]["properties"] == inner["properties"]
    assert set(inner["$defs"]) <= set(schema["$defs"])
