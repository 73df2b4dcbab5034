"""``POST /`` without Starlette (accord/node/rpc_endpoint.py) answers exactly as the
Starlette route it replaced: the same status, headers and body for generated hostile
requests (content types, lengths, chunking, bodies, batches, signed transactions),
driven as raw ASGI messages against two nodes from one genesis. The reference below is
the route as it was (server.py before the fast path), kept here as the oracle."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from accord.node import Node, Signer, create_app
from accord.node.group_commit import GroupCommit
from accord.node.limits import RateLimiter
from accord.node.methods import METHODS, Session
from accord.node.rpc import handle
from accord.node.rpc_endpoint import FastApp
from accord.node.wire import dumps
from tests.node.conftest import FakeClock, make_config, make_signers

LIMIT = 2_000


def _reference(node: Node, clock: FakeClock) -> Starlette:
    """The Starlette route of server.py before rpc_endpoint (its gate, body and answer)."""
    limits = node.config.node.limits
    ips = RateLimiter(limits.ip_rate, limits.ip_burst, max_clients=limits.max_clients, clock=clock)
    keys = RateLimiter(
        limits.key_rate, limits.key_burst, max_clients=limits.max_clients, clock=clock
    )
    session = Session(node, limits, keys)
    node.group_commit = True
    commits = GroupCommit(node)

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    async def rpc(request: Request) -> Response:
        host = request.client.host if request.client else "unknown"
        if not ips.allow(host):
            return error(429, f"rate limit: {limits.ip_rate:g} requests a second per client")
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            return error(415, "Content-Type must be application/json")
        declared = request.headers.get("content-length")
        cap = limits.max_request_bytes
        if declared is not None:
            if not declared.isdigit():
                return error(413, "Content-Length is not a number")
            if int(declared) > cap:
                return error(413, f"the body has {declared} bytes; the limit is {cap}")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > cap:
                return error(413, f"the body exceeds the limit of {cap} bytes")
            chunks.append(chunk)
        answer = handle(b"".join(chunks), METHODS, replace(session, ip=host), max_batch=10)
        if node.staged:
            await commits.durable()
        if answer is None:
            return Response(status_code=204)
        return Response(dumps(answer), media_type="application/json")

    return Starlette(routes=[Route("/", rpc, methods=["POST"])])


Sent = tuple[int, list[tuple[bytes, bytes]], bytes]


async def _drive(
    app: Any, headers: list[tuple[bytes, bytes]], chunks: list[bytes], sent: list[Any] | None = None
) -> Sent:
    """One request as ASGI messages; the answer's status, headers and body (the messages
    sent also in ``sent``)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("10.0.0.1", 5000),
        "server": ("127.0.0.1", 8545),
    }
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks or [b""])
    ]
    sent = [] if sent is None else sent

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start, body = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], list(start["headers"]), body


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The fast app and the reference over two nodes opened from one genesis."""
    signers = make_signers()
    root: Path = tmp_path_factory.mktemp("pair")
    limits = {"max_request_bytes": LIMIT, "max_batch": 10}
    clock = FakeClock()
    fast_node = Node.open(make_config(root / "fast", signers, limits=limits))
    ref_node = Node.open(make_config(root / "ref", signers, limits=limits))
    fast = create_app(fast_node, clock=clock)
    ref = _reference(ref_node, clock)
    yield fast, ref, clock, signers
    fast_node.close()
    ref_node.close()


_KINDS = [
    None,
    b"application/json",
    b"Application/JSON; charset=utf-8",
    b" application/json ;x=1",
    b"application/jsonx",
    b"text/plain",
    b"",
    b"application/x-www-form-urlencoded",
]
_LENGTHS = st.one_of(
    st.none(),
    st.just("exact"),
    st.integers(0, 3 * LIMIT).map(lambda n: str(n).encode()),
    st.sampled_from([b"-1", b"1e3", b"", b" 12", b"0x10", b"12abc", b"9" * 40]),
)
_CALLS = [
    {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
    {"jsonrpc": "2.0", "method": "eth_chainId"},
    {"jsonrpc": "2.0", "id": "x", "method": "no_such_method"},
    {"jsonrpc": "1.0", "id": 2, "method": "eth_chainId"},
    {"jsonrpc": "2.0", "id": [1], "method": "eth_chainId"},
    {"jsonrpc": "2.0", "id": 3, "method": "eth_getBalance", "params": ["alice", "ETH"]},
    {"jsonrpc": "2.0", "id": 4, "method": "eth_blockNumber", "params": 7},
]


@st.composite
def _bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["call", "batch", "raw", "big", "text"]))
    if kind == "call":
        return json.dumps(draw(st.sampled_from(_CALLS))).encode()
    if kind == "batch":
        calls = draw(st.lists(st.sampled_from(_CALLS), min_size=0, max_size=12))
        return json.dumps(calls).encode()
    if kind == "raw":
        return draw(st.binary(max_size=200))
    if kind == "big":
        return b"[" + b" " * draw(st.integers(LIMIT - 20, LIMIT + 20)) + b"]"
    return draw(st.text(max_size=100)).encode("utf-8", "surrogatepass")


def _split(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(body) + 1) for c in cuts})
    edges = [0, *points, len(body)]
    return [body[a:b] for a, b in itertools.pairwise(edges)] or [b""]


def _compare(pair: Any, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> Sent:
    fast, ref, _, _ = pair
    got = asyncio.run(_drive(fast, headers, chunks))
    want = asyncio.run(_drive(ref, headers, chunks))
    assert got == want
    return got


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kinds=st.lists(st.sampled_from(_KINDS), min_size=1, max_size=2),
    length=_LENGTHS,
    body=_bodies(),
    cuts=st.lists(st.integers(0, 10_000), max_size=4),
)
def test_hostile_requests_are_answered_as_starlette_answered_them(
    pair: Any, kinds: list[bytes | None], length: Any, body: bytes, cuts: list[int]
) -> None:
    pair[2].now += 10.0  # the IP bucket refilled: 429 has its own test below
    headers = [(b"content-type", k) for k in kinds if k is not None]
    if length == "exact":
        length = str(len(body)).encode()
    if length is not None:
        headers.insert(0, (b"content-length", length))
    _compare(pair, headers, _split(body, cuts))


def test_signed_transactions_and_their_duplicates_answer_alike(pair: Any) -> None:
    _, _, clock, signers = pair
    clock.now += 10.0
    alice = signers["alice"]
    head = [(b"content-type", b"application/json")]
    for nonce in range(3):
        tx = alice.transfer(nonce, "carol", {"ETH": 5}, max_fee=3_000)
        one = json.dumps(
            {
                "jsonrpc": "2.0",
                "id": nonce,
                "method": "accord_sendTransaction",
                "params": {"transaction": tx},
            }
        ).encode()
        status, _, first = _compare(pair, head, [one])
        assert status == 200 and "result" in json.loads(first)
        status, _, again = _compare(pair, head, [one[:7], one[7:]])  # the same, resent
        assert status == 200 and json.loads(again)["error"]["message"] == (
            "refused: hash: already pending"
        )
    batch = [
        {
            "jsonrpc": "2.0",
            "id": n,
            "method": "accord_sendTransaction",
            "params": {"transaction": alice.transfer(n, "bob", {"ETH": 1}, max_fee=3_000)},
        }
        for n in range(3, 6)
    ]
    status, _, answer = _compare(pair, head, [json.dumps(batch).encode()])
    assert status == 200 and all("result" in a for a in json.loads(answer))


def test_the_ip_bucket_refuses_alike_when_empty(pair: Any) -> None:
    _, _, clock, _ = pair
    clock.now += 10.0
    head = [(b"content-type", b"application/json")]
    body = [json.dumps(_CALLS[0]).encode()]
    statuses = [_compare(pair, head, body)[0] for _ in range(450)]  # burst 400 (config)
    assert statuses.count(200) == 400 and statuses[400:] == [429] * 50


def test_a_non_ascii_digit_length_is_refused_not_a_server_error(pair: Any) -> None:
    fast = pair[0]
    pair[2].now += 10.0
    headers = [(b"content-type", b"application/json"), (b"content-length", "²".encode("latin-1"))]
    status, _, body = asyncio.run(_drive(fast, headers, [b"{}"]))
    assert (status, json.loads(body)) == (413, {"error": "Content-Length is not a number"})


def test_a_client_gone_mid_body_gets_no_answer_and_changes_nothing(pair: Any) -> None:
    fast, _, clock, signers = pair
    clock.now += 10.0
    tx = signers["bob"].transfer(0, "carol", {"ETH": 1}, max_fee=3_000)
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "accord_sendTransaction",
            "params": {"transaction": tx},
        }
    ).encode()
    sent: list[Any] = []
    messages = [
        {"type": "http.request", "body": body[:10], "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Any:
        return messages.pop(0)

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "root_path": "",
        "headers": [(b"content-type", b"application/json")],
        "client": ("10.0.0.2", 1),
    }
    asyncio.run(fast(scope, receive, send))
    node = fast.rpc.session.node
    assert sent == [] and not node.staged and node.device.nonce("bob") == 0


def test_post_root_skips_starlette_and_other_routes_do_not(pair: Any) -> None:
    fast = pair[0]
    pair[2].now += 10.0
    assert isinstance(fast, FastApp)
    router = fast.router
    fast.router = None  # type: ignore[assignment]  # POST / must not need it
    try:
        status, _, _ = asyncio.run(
            _drive(fast, [(b"content-type", b"application/json")], [json.dumps(_CALLS[0]).encode()])
        )
    finally:
        fast.router = router
    assert status == 200


def test_an_unexpected_failure_answers_500_and_reaches_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    signers: dict[str, Signer] = make_signers()
    node = Node.open(make_config(tmp_path / "d", signers))
    try:
        app = create_app(node)

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("a bug")

        monkeypatch.setattr("accord.node.rpc_endpoint.handle", broken)
        sent: list[Any] = []
        with pytest.raises(RuntimeError, match="a bug"):
            asyncio.run(_drive(app, [(b"content-type", b"application/json")], [b"{}"], sent))
        assert sent[0]["status"] == 500 and sent[1]["body"] == b"Internal Server Error"
    finally:
        node.close()
