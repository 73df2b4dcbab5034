"""A server over a fake engine on a loopback port: the HTTP layer without a model."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from accord.agents.llm.local.engine import Generation, Prompt

pytest.importorskip("starlette")
uvicorn = pytest.importorskip("uvicorn")

FAKE_MODEL = "fake-model"


@dataclass
class FakeEngine:
    """Renders a prompt as one token per 4 characters; answers ``reply`` (or the shortest
    string of the grammar when ``reply`` is None) and keeps what it was asked."""

    reply: str | None = '{"ok": true}'
    model_id: str = FAKE_MODEL
    context: int = 2048
    fingerprint: str = "fake"
    calls: list[dict[str, Any]] = field(default_factory=list)

    def render(
        self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None
    ) -> Prompt:
        text = "".join(str(m["content"]) for m in messages)
        if "RAISE" in text:
            raise ValueError("the model's chat template refused the messages: RAISE")
        return Prompt(tuple(range(len(text) // 4 + 1)), ("<|end|>",))

    def generate(self, prompt: Prompt, grammar: str | None, **sampling: Any) -> Generation:
        self.calls.append({"grammar": grammar, **sampling})
        text = self.reply if self.reply is not None else "{}"
        n = min(len(text) // 4 + 1, sampling["max_tokens"])
        finish = "length" if n == sampling["max_tokens"] else "stop"
        return Generation(text, finish, len(prompt.tokens), n)


@dataclass
class Running:
    url: str
    engine: FakeEngine

    def post(
        self,
        body: bytes | str | Any,
        path: str = "/v1/chat/completions",
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        data = (
            body
            if isinstance(body, bytes)
            else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
        )
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        return _send(req)

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        return _send(urllib.request.Request(self.url + path, method="GET"))


def _send(req: urllib.request.Request) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.fixture(scope="module")
def fake_server() -> Iterator[Running]:
    from accord.agents.llm.local.process import free_port
    from accord.agents.llm.local.server import create_app

    engine = FakeEngine()
    port = free_port()
    config = uvicorn.Config(
        create_app(engine, max_tokens_limit=1000), host="127.0.0.1", port=port, log_level="error"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the test server did not start"
    try:
        yield Running(f"http://127.0.0.1:{port}", engine)
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def served(fake_server: Running) -> Running:
    fake_server.engine.reply = '{"ok": true}'
    fake_server.engine.calls.clear()
    return fake_server
