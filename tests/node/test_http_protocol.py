"""The node's uvicorn protocol (accord/node/http_protocol.py): on httptools, a request
head past h11's limit is answered 400 and the connection closed, while bodies, heads
under the limit and pipelined requests are served as before. A real uvicorn server on
loopback, raw sockets as the client."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.node.http_protocol import protocol

pytest.importorskip("httptools")
uvicorn = pytest.importorskip("uvicorn")

LIMIT = 16 * 1024  # uvicorn's h11_max_incomplete_event_size default


async def _app(scope: Any, receive: Any, send: Any) -> None:
    """Answers the body's length."""
    if scope["type"] != "http":
        return
    size, more = 0, True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    body = str(size).encode()
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free: int = s.getsockname()[1]
    config = uvicorn.Config(_app, host="127.0.0.1", port=free, http=protocol(), log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield free
    server.should_exit = True
    thread.join(timeout=5)


RESET = b"<reset>"


def _exchange(port: int, request: bytes) -> bytes:
    """Send ``request``, read until the server closes or 2 s pass idle. A server that
    closes with part of the request unread resets the connection, and the reset can
    overtake its answer: then :data:`RESET`."""
    out = b""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as c:
        try:
            c.sendall(request)
            c.shutdown(socket.SHUT_WR)
            while chunk := c.recv(65536):
                out += chunk
        except TimeoutError:
            pass
        except OSError:  # reset, broken pipe, not connected
            return out or RESET
    return out


def _refused(answer: bytes) -> bool:
    return answer == RESET or (answer.startswith(b"HTTP/1.1 400 ") and b"close" in answer)


def _post(header: int, body: int) -> bytes:
    return (
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Pad: "
        + b"a" * header
        + b"\r\nContent-Length: "
        + str(body).encode()
        + b"\r\n\r\n"
        + b"b" * body
    )


def test_the_protocol_is_httptools_bounded() -> None:
    assert protocol() != "h11" and protocol().__name__ == "Bounded"


def test_a_huge_header_is_refused_400_and_closed(port: int) -> None:
    assert _refused(_exchange(port, _post(4 * 1024 * 1024, 0)))
    assert _refused(_exchange(port, _post(LIMIT + 1_000, 0)))  # whole in one read
    assert _exchange(port, _post(10, 5)).startswith(b"HTTP/1.1 200 ")  # still serving


def test_a_huge_request_line_is_refused(port: int) -> None:
    answer = _exchange(port, b"GET /" + b"p" * (1024 * 1024) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert _refused(answer)


def test_a_large_body_is_not_counted_as_head(port: int) -> None:
    answer = _exchange(port, _post(100, 2 * 1024 * 1024))
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"\r\n\r\n2097152")


def test_pipelined_requests_are_all_answered(port: int) -> None:
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        c.sendall(b"".join(_post(200, n) for n in range(200)))  # the connection kept open
        while answer.count(b"HTTP/1.1 200 ") < 200 and (chunk := c.recv(65536)):
            answer += chunk
    assert answer.count(b"HTTP/1.1 200 ") == 200


@settings(max_examples=12, deadline=None)
@given(header=st.one_of(st.integers(0, LIMIT - 200), st.integers(LIMIT + 100, 400_000)))
def test_heads_under_the_limit_pass_and_over_it_are_refused(port: int, header: int) -> None:
    answer = _exchange(port, _post(header, 3))
    if header < LIMIT:
        assert answer.startswith(b"HTTP/1.1 200 "), answer[:80]
    else:
        assert _refused(answer), answer[:80]
