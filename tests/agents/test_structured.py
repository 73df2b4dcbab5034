"""Validate, feed the error back, retry a bounded number of times: with recorded answers.

The answers here are written by hand into a cache file (as a recording would hold
them) and replayed, so the tests need no model and no ``openai``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field

from accord.agents.llm.cache import CacheMiss, CallCache, request_key
from accord.agents.llm.client import LLMClient
from accord.agents.llm.config import Budget, LLMSettings
from accord.agents.structured import FEEDBACK, InvalidOutput, ask, parse_json_model

SCHEMA_NAME = "order"
MESSAGES = [{"role": "system", "content": "answer"}, {"role": "user", "content": "buy"}]


class Order(BaseModel):
    amount: int = Field(gt=0)


def parse(text: str) -> Order:
    order = parse_json_model(text, Order)
    if order.amount > 100:
        raise InvalidOutput(f"amount: {order.amount} is more than the 100 you hold")
    return order


def recorded(tmp_path: Path, answers: list[str], **settings: Any) -> LLMClient:
    """A replay client whose cache holds ``answers`` as successive attempts."""
    path = tmp_path / "answers.jsonl"
    s = LLMSettings(model="m", cache=str(path), mode="replay", **settings)
    schema = Order.model_json_schema()
    writer = LLMClient(s, environ={})
    cache = CallCache(path, {"producer": "hand-written test answers"})
    conversation = [dict(m) for m in MESSAGES]
    for text in answers:
        request = writer.request(conversation, SCHEMA_NAME, schema)
        response = {
            "choices": [{"message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 7},
        }
        cache.put(request_key(request), request, response)
        try:
            parse(text)
            break
        except InvalidOutput as exc:
            error = str(exc)
        conversation += [
            {"role": "assistant", "content": text},
            {"role": "user", "content": FEEDBACK.format(error=error)},
        ]
    return LLMClient(s, environ={})


def test_a_replay_that_runs_past_its_recording_stops(tmp_path: Path) -> None:
    client = recorded(tmp_path, ["sure, 5", '{"amount": "five"}', '{"amount": 500}'], max_retries=3)
    with pytest.raises(CacheMiss):  # a fourth attempt was never recorded: never improvised
        ask(client, "alice", MESSAGES, SCHEMA_NAME, Order.model_json_schema(), parse)


def test_retry_succeeds_on_the_second_answer(tmp_path: Path) -> None:
    client = recorded(tmp_path, ["sure, 5", '{"amount": 5}'])
    out = ask(client, "alice", MESSAGES, SCHEMA_NAME, Order.model_json_schema(), parse)
    assert out.ok and out.value == Order(amount=5)
    assert [a.status for a in out.attempts] == ["invalid", "ok"]
    assert out.attempts[0].error == "not JSON: Expecting value at line 1 column 1"
    assert client.ledger.run.calls == 2 and client.ledger.run.tokens == 2 * 107


def test_gives_up_after_bounded_retries(tmp_path: Path) -> None:
    answers = ["sure, 5", '{"amount": "five"}', '{"amount": 500}']
    client = recorded(tmp_path, answers, max_retries=2)
    out = ask(client, "alice", MESSAGES, SCHEMA_NAME, Order.model_json_schema(), parse)
    assert out.value is None
    assert [a.status for a in out.attempts] == ["invalid", "invalid", "invalid"]
    assert out.attempts[1].error is not None and "amount" in out.attempts[1].error
    assert out.attempts[2].error == "amount: 500 is more than the 100 you hold"
    assert out.reason is not None and out.reason.startswith("gave up after 3 invalid answers")


def test_budget_stops_before_the_call(tmp_path: Path) -> None:
    answers = ["sure, 5", '{"amount": 5}']
    client = recorded(tmp_path, answers, per_agent=Budget(calls=1))
    out = ask(client, "alice", MESSAGES, SCHEMA_NAME, Order.model_json_schema(), parse)
    assert out.value is None
    assert [a.status for a in out.attempts] == ["invalid", "budget"]
    assert client.ledger.run.calls == 1 and client.ledger.spent("alice").refused == 1
