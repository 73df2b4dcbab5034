"""The node's HTTP face: a Starlette app served by uvicorn (``docs/node.md``).

Routes:

* ``POST /`` — JSON-RPC 2.0 (:mod:`accord.node.rpc`, methods in :mod:`accord.node.methods`),
  answered by a plain ASGI callable ahead of Starlette's middleware and routing
  (:mod:`accord.node.rpc_endpoint`, which keeps every check below);
* ``GET /health`` — ``{"ok": true, "number": <head>}``;
* ``GET /explorer`` and its assets — the explorer page (:mod:`accord.node.explorer`);
* ``GET /.well-known/agent-card.json`` — the A2A agent card from the config
  (:mod:`accord.node.agent_card`), 404 when there is none; under the IP's rate limit;
* ``POST /admin/block``, ``POST /admin/snapshot``, ``POST /admin/shutdown`` — with
  ``Authorization: Bearer <admin_token>`` (compared in constant time,
  :func:`hmac.compare_digest`); 401 without the right token, 403 when the config sets
  none;
* ``POST /admin/reorg`` — the same token, then a JSON-RPC 2.0 request of method
  ``accord_reorg`` (:mod:`accord.node.finality`), under the same content type and size
  checks as ``POST /``.

A request that admits transactions is answered only after their journal rows are
committed; the rows of the requests handled in one turn of the event loop share one
commit (:mod:`accord.node.group_commit`).

Before a body is read, in this order: the client IP's token bucket (429), the
``Content-Type`` (415 unless ``application/json``: a browser page cannot send that
cross-origin without a preflight, which this server does not answer, so a web page
cannot drive a node on the visitor's loopback), and the declared ``Content-Length``
(413 past ``max_request_bytes``; a chunked body is cut off at the same size).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketState

from accord.node.accounts import Opener
from accord.node.agent_card import CARD_PATH
from accord.node.explorer import explorer_routes, index_of
from accord.node.finality import ADMIN_METHODS
from accord.node.group_commit import GroupCommit
from accord.node.http_protocol import protocol
from accord.node.limits import Clock, RateLimiter
from accord.node.methods import Session
from accord.node.production import Node
from accord.node.rpc import LIMIT_EXCEEDED, handle
from accord.node.rpc_endpoint import FastApp, RpcEndpoint
from accord.node.subscriptions import Hub, Subscriber
from accord.node.wire import dumps

_log = logging.getLogger("accord.node")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(
    node: Node,
    *,
    clock: Clock | None = None,
    on_shutdown: Callable[[], None] | None = None,
) -> Starlette:
    """The node's app; ``clock`` (default: monotonic) drives the rate limits, and
    ``on_shutdown`` is called by ``/admin/shutdown`` (uvicorn's exit, in :func:`serve`)."""
    config = node.config
    limits = config.node.limits
    kwargs: dict[str, Any] = {"max_clients": limits.max_clients}
    if clock is not None:
        kwargs["clock"] = clock
    ips = RateLimiter(limits.ip_rate, limits.ip_burst, **kwargs)
    opener = Opener(node, config.node.accounts, **kwargs)
    session = Session(
        node, limits, RateLimiter(limits.key_rate, limits.key_burst, **kwargs), opener
    )
    token = config.node.admin_token
    hub = Hub(node, limits)
    node.watchers.append(hub)
    index_of(node)  # the explorer's index, watching from the start
    node.group_commit = True  # answers wait for GroupCommit.durable
    commits = GroupCommit(node)

    rpc = RpcEndpoint(session, ips, commits, max_batch=limits.max_batch)

    card = config.node.agent_card
    card_json = None if card is None else card.to_json()

    async def agent_card(request: Request) -> Response:
        host = request.client.host if request.client else "unknown"
        if not ips.allow(host):
            return _error(429, f"rate limit: {limits.ip_rate:g} requests a second per client")
        if card_json is None:
            return _error(404, "this node publishes no agent card ([node.agent_card])")
        return JSONResponse(card_json)

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "number": node.device.number})

    def authorized(request: Request) -> Response | None:
        if token is None:
            return _error(403, "admin endpoints are disabled: set node.admin_token")
        given = request.headers.get("authorization", "")
        expected = f"Bearer {token}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return _error(401, "admin endpoints need Authorization: Bearer <admin_token>")
        return None

    async def admin_block(request: Request) -> Response:
        refused = authorized(request)
        if refused is not None:
            return refused
        await _settle(commits)
        block = node.produce()
        h = block.header
        return JSONResponse(
            {
                "number": h.number,
                "hash": h.hash.hex(),
                "state_hash": h.state_hash.hex(),
                "transactions": [tx.hash.hex() for tx in block.transactions],
                "skipped": len(block.skipped),
            }
        )

    async def admin_snapshot(request: Request) -> Response:
        refused = authorized(request)
        if refused is not None:
            return refused
        path = node.snapshot()
        device = node.device
        return JSONResponse(
            {
                "path": str(path),
                "number": device.number,
                "head_hash": device.head.hash.hex(),
                "state_hash": device.state_hash().hex(),
                "genesis_hash": device.genesis_hash.hex(),
            }
        )

    async def admin_reorg(request: Request) -> Response:
        refused = authorized(request)
        if refused is not None:
            return refused
        body = await _admin_body(request, limits.max_request_bytes)
        if isinstance(body, Response):
            return body
        await _settle(commits)
        answer = handle(body, ADMIN_METHODS, node, max_batch=1)
        if answer is None:
            return Response(status_code=204)
        return Response(dumps(answer), media_type="application/json")

    async def admin_shutdown(request: Request) -> Response:
        refused = authorized(request)
        if refused is not None:
            return refused
        if on_shutdown is not None:
            on_shutdown()
        return JSONResponse({"stopping": True})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = None
        interval = config.node.block_interval_ms
        if interval > 0:
            task = asyncio.create_task(_produce_every(node, commits, interval / 1000))
        try:
            yield
        finally:
            opener.close()
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def subscribe(websocket: WebSocket) -> None:
        await websocket.accept()
        sub = hub.join()
        if sub is None:
            await websocket.close(code=1013, reason="too many WebSocket clients")
            return
        host = websocket.client.host if websocket.client else "unknown"
        reader = _read(websocket, sub, hub, ips, host, limits.max_request_bytes)
        try:
            async with anyio.create_task_group() as group:

                async def until_done(work: Awaitable[object]) -> None:
                    await work  # the first of the three to end ends the connection
                    group.cancel_scope.cancel()

                group.start_soon(until_done, reader)
                group.start_soon(until_done, _write(websocket, sub))
                group.start_soon(until_done, sub.dropped.wait())
        finally:
            hub.leave(sub)
        if sub.dropped.is_set():
            with anyio.move_on_after(1.0), contextlib.suppress(Exception):
                await websocket.close(code=1008, reason="too slow, or a message too large")
        elif websocket.client_state == WebSocketState.CONNECTED:
            with anyio.move_on_after(1.0), contextlib.suppress(Exception):
                await websocket.close(code=1000)

    routes = [
        Route("/", rpc, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
        Route(CARD_PATH, agent_card, methods=["GET"]),
        Route("/admin/block", admin_block, methods=["POST"]),
        Route("/admin/snapshot", admin_snapshot, methods=["POST"]),
        Route("/admin/reorg", admin_reorg, methods=["POST"]),
        Route("/admin/shutdown", admin_shutdown, methods=["POST"]),
        WebSocketRoute("/ws", subscribe),
        *explorer_routes(ips.allow),
    ]
    app = FastApp(routes=routes, lifespan=lifespan)
    app.rpc = rpc  # POST / before Starlette's middleware and routing (rpc_endpoint)
    app.state.commits = commits  # its counters, for tests and benchmarks
    return app


async def _read(
    websocket: WebSocket, sub: Subscriber, hub: Hub, ips: RateLimiter, host: str, limit: int
) -> None:
    """Answer a subscriber's requests until it hangs up or sends too much."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            raw = message.get("bytes") or b""
            text = raw.decode("utf-8", "replace")
        if len(text) > limit:
            sub.dropped.set()  # closed: a message past max_request_bytes
            return
        if not ips.allow(host):
            sub.offer(
                dumps(
                    {
                        "jsonrpc": "2.0",
                        "id": None,
                        "error": {"code": LIMIT_EXCEEDED, "message": "rate limit: slow down"},
                    }
                )
            )
            continue
        sub.offer(hub.handle(sub, text))


async def _admin_body(request: Request, limit: int) -> bytes | Response:
    """An admin request's JSON body, with ``POST /``'s checks: 415 unless
    ``application/json``, 413 past ``max_request_bytes`` (declared or streamed)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        return _error(415, "Content-Type must be application/json")
    declared = request.headers.get("content-length")
    if declared is not None and not (declared.isascii() and declared.isdigit()):
        return _error(413, "Content-Length is not a number")
    if declared is not None and int(declared) > limit:
        return _error(413, f"the body has {declared} bytes; the limit is {limit}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return _error(413, f"the body exceeds the limit of {limit} bytes")
    return bytes(body)


async def _write(websocket: WebSocket, sub: Subscriber) -> None:
    """Send a subscriber's queue, one message at a time, as fast as it reads."""
    while True:
        await websocket.send_text(await sub.queue.get())


async def _settle(commits: GroupCommit) -> None:
    """Before a block: let the staged journal rows commit first, so that their
    transactions are announced pending before the block that includes them. A failed
    commit is answered to its requests (and logged there); the block goes on."""
    if commits.node.staged:
        with contextlib.suppress(Exception):
            await commits.durable()


async def _produce_every(node: Node, commits: GroupCommit, seconds: float) -> None:
    """The block timer: a block every ``seconds`` when there is work (or always, with
    ``empty_blocks``). Production runs on the event loop, between requests."""
    while True:
        await asyncio.sleep(seconds)
        await _settle(commits)
        if node.config.node.empty_blocks or node.has_work():
            try:
                node.produce()
            except Exception:  # the device never raises on input; log a bug, keep going
                _log.exception("block production failed")


def serve(node: Node, *, log_level: str = "warning") -> None:
    """Serve ``node`` with uvicorn until Ctrl-C or ``/admin/shutdown``; closes it after.

    uvicorn parses HTTP with httptools (the ``node`` extra) when it is installed, its
    request head bounded (:mod:`accord.node.http_protocol`), else with h11."""
    import uvicorn

    holder: list[uvicorn.Server] = []

    def stop() -> None:
        holder[0].should_exit = True

    app = create_app(node, on_shutdown=stop)
    settings = node.config.node
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_level=log_level,
            access_log=False,  # a log call a request, even when the level drops it
            http=protocol(),  # httptools with the head bounded as h11 bounds it, or h11
        )
    )
    holder.append(server)
    try:
        server.run()
    finally:
        node.close()
