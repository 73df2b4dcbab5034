"""``accord llm serve``'s HTTP layer over a fake engine: answers filled in, and every
hostile request a one-line 4xx, never a 500 or a hang."""

from __future__ import annotations

import http.client
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.agents.llm.actions import decision_schema
from accord.agents.llm.local.protocol import MAX_BODY, RequestError, parse_request
from tests.agents.llm.local.conftest import FAKE_MODEL, Running

ROOT = Path(__file__).resolve().parents[4]
SCHEMA = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1, "maximum": 9}}}


def _request(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": FAKE_MODEL,
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
        "temperature": 0,
        "seed": 0,
        "max_tokens": 50,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": SCHEMA, "strict": False},
        },
    }
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def _refused(served: Running, body: Any, status: int = 400, says: str = "") -> str:
    code, out = served.post(body)
    assert code == status, out
    message = out["error"]["message"]
    assert "\n" not in message and message
    assert says in message, message
    assert not served.engine.calls, "a refused request reached the model"
    return message


def test_an_answer_has_usage_finish_reason_and_the_grammar(served: Running):
    code, out = served.post(_request())
    assert code == 200
    assert out["object"] == "chat.completion" and out["model"] == FAKE_MODEL
    choice = out["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": '{"ok": true}'}
    assert choice["finish_reason"] == "stop"
    assert out["usage"]["prompt_tokens"] == len("be briefhi") // 4 + 1
    assert out["usage"]["total_tokens"] == sum(
        out["usage"][k] for k in ("prompt_tokens", "completion_tokens")
    )
    call = served.engine.calls[0]
    assert call["temperature"] == 0 and call["seed"] == 0 and call["max_tokens"] == 50
    assert '"\\"n\\""' in call["grammar"] and "[1-9]" in call["grammar"]


def test_the_same_request_gets_the_same_id_and_no_wall_clock(served: Running):
    a, b = served.post(_request())[1], served.post(_request())[1]
    assert a == b and a["created"] == 0
    assert served.post(_request(seed=1))[1]["id"] != a["id"]


def test_a_truncated_answer_says_length(served: Running):
    served.engine.reply = '{"ok": ' + "1" * 400
    code, out = served.post(_request(max_tokens=5))
    assert code == 200 and out["choices"][0]["finish_reason"] == "length"
    assert out["usage"]["completion_tokens"] == 5


def test_without_max_tokens_the_context_left_is_the_limit(served: Running):
    served.post(_request(max_tokens=None))
    assert served.engine.calls[0]["max_tokens"] == 1000  # the server's --max-tokens


def test_a_forced_tool_answers_as_a_tool_call(served: Running):
    tool = {"type": "function", "function": {"name": "decide", "parameters": SCHEMA}}
    choice = {"type": "function", "function": {"name": "decide"}}
    code, out = served.post(_request(response_format=None, tools=[tool], tool_choice=choice))
    assert code == 200
    msg = out["choices"][0]["message"]
    assert msg["content"] is None and msg["tool_calls"][0]["function"] == {
        "name": "decide",
        "arguments": '{"ok": true}',
    }
    assert out["choices"][0]["finish_reason"] == "tool_calls"
    assert "[1-9]" in served.engine.calls[0]["grammar"]


def test_models_and_health(served: Running):
    assert served.get("/v1/models") == (
        200,
        {
            "object": "list",
            "data": [{"id": FAKE_MODEL, "object": "model", "created": 0, "owned_by": "local"}],
        },
    )
    assert served.get("/health")[1]["model"] == FAKE_MODEL


def test_the_openai_client_talks_to_it(served: Running):
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=served.url + "/v1", api_key="none", max_retries=0)
    out = client.chat.completions.create(**_request())
    assert out.choices[0].message.content == '{"ok": true}' and out.usage.prompt_tokens == 3
    with pytest.raises(openai.BadRequestError, match="max_tokens 5000 is too large"):
        client.chat.completions.create(**_request(max_tokens=5000))


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"{not json", 400, "not JSON"),
        (b"\xff\xfe", 400, "not JSON"),
        (b"[1, 2]", 400, "must be a JSON object"),
        (b"null", 400, "must be a JSON object"),
        (b"[" * 100_000, 400, "nests 100000 levels deep"),
        (b'{"a": ' * 65 + b"1" + b"}" * 65, 400, "nests 65 levels"),
        (_request(model=5), 400, "model"),
        (_request(model="gpt-4o"), 404, "serves 'fake-model'"),
        (_request(messages=[]), 400, "messages"),
        (_request(messages="hi"), 400, "messages"),
        (_request(messages=[{"role": "robot", "content": "x"}]), 400, "messages.0.role"),
        (_request(messages=[{"role": "user", "content": ["x"]}]), 400, "messages.0.content"),
        (_request(messages=[{"role": "user", "content": "RAISE"}]), 400, "chat template"),
        (_request(temperature="0"), 400, "temperature"),
        (_request(temperature=float("inf")), 400, "not JSON"),
        (_request(temperature=3), 400, "temperature"),
        (_request(temperature=True), 400, "temperature"),
        (_request(seed=-1), 400, "seed"),
        (_request(seed=2**40), 400, "seed"),
        (_request(seed=1.5), 400, "seed"),
        (_request(max_tokens=0), 400, "max_tokens"),
        (_request(max_tokens=10**12), 400, "max_tokens 1000000000000 is too large"),
        (_request(max_tokens=1001), 400, "this server's limit is 1000"),
        (_request(max_tokens="50"), 400, "max_tokens"),
        (_request(stream=True), 400, "streaming is not supported"),
        (_request(n=2), 400, "n"),
        (_request(logit_bias={"1": 5}), 400, "logit_bias: unknown field"),
        (_request(stop=["a"] * 5), 400, "stop"),
        (_request(stop=[""]), 400, "stop"),
        (_request(response_format={"type": "xml"}), 400, "response_format"),
        (_request(response_format={"type": "json_schema"}), 400, "json_schema is required"),
        (
            _request(
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "a", "schema": {"type": "string", "pattern": "^a$"}},
                }
            ),
            400,
            "'pattern' is not supported",
        ),
        (
            _request(
                response_format={
                    "type": "json_schema",
                    "json_schema": {
                        "name": "a",
                        "schema": {"$ref": "#/$defs/A", "$defs": {"A": {"$ref": "#/$defs/A"}}},
                    },
                }
            ),
            400,
            "recursive $ref",
        ),
        (
            _request(
                tool_choice="auto",
                response_format=None,
                tools=[{"type": "function", "function": {"name": "f"}}],
            ),
            400,
            "forced calls",
        ),
        (
            _request(
                tool_choice={"type": "function", "function": {"name": "g"}},
                response_format=None,
                tools=[{"type": "function", "function": {"name": "f"}}],
            ),
            400,
            "not in tools",
        ),
        (
            _request(messages=[{"role": "user", "content": "x" * 9000}]),
            400,
            "the context holds 2048",
        ),
    ],
)
def test_hostile_requests_get_one_line_4xx(served: Running, body, status, says):
    _refused(served, body, status, says)


def test_a_body_declared_too_large_is_413_at_once(served: Running):
    """The server answers from the headers, without waiting for 3 MiB that never come."""
    host, port = served.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest("POST", "/v1/chat/completions")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(3 * 1024 * 1024))
    conn.endheaders()
    conn.send(b'{"model": ')
    reply = conn.getresponse()
    assert reply.status == 413 and "exceeds" in json.loads(reply.read())["error"]["message"]
    conn.close()
    assert not served.engine.calls


def test_a_body_too_large_is_refused_before_parsing():
    with pytest.raises(RequestError, match="exceeds") as info:
        parse_request(b"{" + b" " * MAX_BODY + b"}")
    assert info.value.status == 413


def test_wrong_routes_and_methods_are_4xx(served: Running):
    assert served.get("/v1/chat/completions")[0] == 405
    assert served.post(b"{}", path="/v1/nothing")[0] == 404


values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
fields = st.sampled_from(
    [
        "model",
        "messages",
        "temperature",
        "seed",
        "max_tokens",
        "top_p",
        "response_format",
        "tools",
        "tool_choice",
        "stop",
        "n",
        "stream",
    ]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.dictionaries(fields, values, max_size=6))
def test_generated_hostile_fields_never_get_a_500(served: Running, changes):
    served.engine.calls.clear()
    code, out = served.post(_request(**changes) if changes else _request())
    assert code in (200, 400, 404), out
    if code != 200:
        assert "\n" not in out["error"]["message"]


def _recorded_requests() -> list[dict[str, Any]]:
    path = ROOT / "examples" / "llm" / "llm-defi.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()[1:] if line.strip()]
    return [r["request"] for r in rows]


def test_every_recorded_defi_request_is_served_with_its_schema(served: Running):
    """The requests the DeFi scenario really sent (the stand-in's recording): each passes,
    and the grammar the model gets keeps the schema's integer bounds."""
    requests = _recorded_requests()
    assert len(requests) >= 100
    for req in requests:
        served.engine.calls.clear()
        code, out = served.post({**req, "model": FAKE_MODEL})
        assert code == 200, out
        grammar = served.engine.calls[0]["grammar"]
        assert '"\\"amount_in\\"" " "? ":" " "? ([1-9] | [1-9] [0-9]{1,17})' in grammar
    kinds = {
        tuple(sorted(r["response_format"]["json_schema"]["schema"]["$defs"])) for r in requests
    }
    assert len(kinds) >= 2
    assert decision_schema(("swap",))["$defs"].keys() <= {k for ks in kinds for k in ks}
    assert re.search(r"max_tokens", json.dumps(requests[0]))
