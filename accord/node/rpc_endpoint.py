"""``POST /`` as a plain ASGI callable: the JSON-RPC request path without Starlette.

The node's hot path is one small request after another. Through Starlette each of
them builds a :class:`~starlette.requests.Request`, walks the error middleware and
the router, and renders a :class:`~starlette.responses.Response`; profiled under load
(``docs/node.md``, "Performance") that machinery cost more than the method it carried.
:class:`RpcEndpoint` reads the ASGI messages (ASGI 3.0 HTTP,
https://asgi.readthedocs.io/en/latest/specs/www.html) itself and keeps every check and
answer of the Starlette route it replaces, in the same order:

1. the client IP's token bucket (429);
2. the first ``Content-Type`` header, up to ``;``, trimmed and lower-cased, must be
   ``application/json`` (415);
3. the first ``Content-Length`` header must be ASCII digits and at most
   ``max_request_bytes`` (413); a body streamed in chunks is cut off once past it (413);
4. the body is answered by :func:`accord.node.rpc.handle`; when a request admitted
   anything, the answer waits for the group commit of its journal rows
   (:mod:`accord.node.group_commit`) and, if that commit fails, says so (-32603) and
   acknowledges nothing;
5. a body of notifications only is answered 204 with no body, anything else 200 with
   ``application/json``; the gate's refusals are ``{"error": "<one line>"}``.

A client that hangs up before its body is complete gets no answer (Starlette raised
``ClientDisconnect`` there). Anything unexpected answers 500 if nothing was sent yet and
is re-raised to the server, as Starlette's ``ServerErrorMiddleware`` does.
:class:`FastApp` serves ``POST /`` through it before Starlette's middleware and routing;
every other route is Starlette's as before.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import replace
from typing import Any

from starlette.applications import Starlette

from accord.node.group_commit import GroupCommit
from accord.node.limits import RateLimiter
from accord.node.methods import METHODS, Session
from accord.node.rpc import INTERNAL_ERROR, handle
from accord.node.wire import dumps

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_log = logging.getLogger("accord.node")

_JSON = b"application/json"
_COMMIT_FAILED = {
    "jsonrpc": "2.0",
    "error": {
        "code": INTERNAL_ERROR,
        "message": "internal error: the journal could not commit; "
        "nothing in this request was acknowledged",
    },
    "id": None,
}


class _Refused(Exception):
    """A gate's refusal: the HTTP status and its one-line message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Gone(Exception):
    """The client disconnected before its body was complete."""


async def _respond(send: Send, status: int, body: bytes, content_type: bytes | None) -> None:
    headers: list[tuple[bytes, bytes]] = []
    if status != 204:
        headers.append((b"content-length", str(len(body)).encode("latin-1")))
    if content_type is not None:
        headers.append((b"content-type", content_type))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _error_body(message: str) -> bytes:
    """What Starlette's ``JSONResponse({"error": message})`` rendered."""
    return json.dumps({"error": message}, ensure_ascii=False, separators=(",", ":")).encode()


class RpcEndpoint:
    """The ASGI app answering JSON-RPC bodies for one node (module docstring)."""

    def __init__(
        self, session: Session, ips: RateLimiter, commits: GroupCommit, *, max_batch: int
    ) -> None:
        self.session = session
        self.ips = ips
        self.commits = commits
        self.max_batch = max_batch
        self.limit = session.limits.max_request_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self._answer(scope, receive, sending)
        except _Gone:
            return
        except Exception:
            if not started:
                await _respond(send, 500, b"Internal Server Error", b"text/plain; charset=utf-8")
            raise

    def _gate(self, scope: Scope, host: str) -> None:
        limits = self.session.limits
        if not self.ips.allow(host):
            raise _Refused(429, f"rate limit: {limits.ip_rate:g} requests a second per client")
        kind: bytes | None = None
        declared: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"content-type":
                if kind is None:
                    kind = value
            elif name == b"content-length" and declared is None:
                declared = value
        if kind is None or kind.split(b";")[0].strip().lower() != _JSON:
            raise _Refused(415, "Content-Type must be application/json")
        if declared is not None:
            if not (declared.isdigit() and declared.isascii()):
                raise _Refused(413, "Content-Length is not a number")
            if int(declared) > self.limit:
                raise _Refused(
                    413, f"the body has {declared.decode()} bytes; the limit is {self.limit}"
                )

    async def _body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            kind = message["type"]
            if kind == "http.disconnect":
                raise _Gone
            if kind != "http.request":
                continue
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                raise _Refused(413, f"the body exceeds the limit of {self.limit} bytes")
            if not message.get("more_body", False):
                if not chunks:
                    return chunk
                chunks.append(chunk)
                return b"".join(chunks)
            chunks.append(chunk)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        host = client[0] if client else "unknown"
        try:
            self._gate(scope, host)
            body = await self._body(receive)
        except _Refused as refused:
            await _respond(send, refused.status, _error_body(refused.message), _JSON)
            return
        session = replace(self.session, ip=host)
        answer = handle(body, METHODS, session, max_batch=self.max_batch)
        if self.session.node.staged:  # this request (or another of this turn) admitted some
            try:
                await self.commits.durable()
            except Exception:
                _log.exception("the mempool journal could not commit")
                answer = _COMMIT_FAILED
        if answer is None:
            await _respond(send, 204, b"", None)
            return
        await _respond(send, 200, dumps(answer).encode(), _JSON)


class FastApp(Starlette):
    """The node's Starlette app, with ``POST /`` answered by :attr:`rpc` directly."""

    rpc: RpcEndpoint | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.rpc is not None
            and scope["type"] == "http"
            and scope["path"] == "/"
            and scope["method"] == "POST"
            and not scope.get("root_path")
        ):
            await self.rpc(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
