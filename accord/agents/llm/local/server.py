"""``accord llm serve``: an OpenAI-compatible endpoint over a local model, on 127.0.0.1.

Why our own layer: llama-cpp-python's bundled server answers HTTP 500 to
``response_format: {"type": "json_schema", ...}``, which is what accord sends; it takes
only ``json_object`` with a schema or a forced tool, and its tools grammar lets raw
newlines into strings (not JSON). This layer is thin: Starlette routes, the request
checked whole (:mod:`.protocol`), the schema turned into a grammar (:mod:`.schema`), the
model's chat template and generation (:mod:`.engine`), and ``usage`` and
``finish_reason`` filled in.

Routes: ``POST /v1/chat/completions``, ``GET /v1/models``, ``GET /health``. One request
is generated at a time (one model, one context); others wait their turn. Every refusal
is a 4xx with a one-line message; a 500 means a bug here, and says so in one line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from accord.agents.llm.local.engine import Engine
from accord.agents.llm.local.protocol import (
    MAX_BODY,
    RequestError,
    completion_id,
    messages_of,
    parse_request,
    response,
    stops,
    structure,
    tools_of,
)

log = logging.getLogger("accord.llm.serve")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8088


def answer(engine: Engine, body: bytes, max_tokens_limit: int | None = None) -> dict[str, Any]:
    """One chat completion for the raw request ``body`` (the whole route, minus HTTP).

    Raises :class:`RequestError` for anything the request gets wrong.
    """
    req = parse_request(body)
    if req.model != engine.model_id:
        raise RequestError(
            f"model {req.model!r} is not served here; this server serves {engine.model_id!r}",
            status=404,
            param="model",
            code="model_not_found",
        )
    shape = structure(req)
    stop = stops(req)
    try:
        prompt = engine.render(messages_of(req), tools_of(req))
    except ValueError as exc:
        raise RequestError(str(exc), param="messages") from None
    room = engine.context - len(prompt.tokens)
    if room < 1:
        raise RequestError(
            f"the prompt has {len(prompt.tokens)} tokens; the context holds {engine.context}",
            param="messages",
            code="context_length_exceeded",
        )
    limit = min(room, max_tokens_limit or room)
    asked = req.max_completion_tokens or req.max_tokens
    if asked is not None and asked > limit:
        why = (
            f"the prompt's {len(prompt.tokens)} tokens leave {room} of the context's "
            f"{engine.context}"
            if asked > room
            else f"this server's limit is {max_tokens_limit}"
        )
        raise RequestError(
            f"max_tokens {asked} is too large: {why}",
            param="max_tokens",
            code="context_length_exceeded",
        )
    gen = engine.generate(
        prompt,
        None if shape.grammar is None else shape.grammar.gbnf(),
        max_tokens=asked or limit,
        temperature=req.temperature,
        top_p=req.top_p,
        seed=req.seed if req.seed is not None else 0,
        stop=stop,
    )
    log.info(
        "%s: %d+%d tokens, %s",
        completion_id(req),
        gen.prompt_tokens,
        gen.completion_tokens,
        gen.finish_reason,
    )
    return response(
        req,
        engine.model_id,
        gen.text,
        gen.finish_reason,
        gen.prompt_tokens,
        gen.completion_tokens,
        shape.tool,
        engine.fingerprint,
    )


def create_app(engine: Engine, *, max_tokens_limit: int | None = None) -> Any:
    """The Starlette app serving ``engine`` (Starlette is imported here, lazily)."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    def error(exc: RequestError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    async def chat(request: Request) -> JSONResponse:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            return error(RequestError(f"the request body exceeds {MAX_BODY} bytes", status=413))
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return error(RequestError(f"the request body exceeds {MAX_BODY} bytes", status=413))
        try:
            out = await run_in_threadpool(answer, engine, body, max_tokens_limit)
        except RequestError as exc:
            return error(exc)
        return JSONResponse(out)

    async def models(request: Request) -> JSONResponse:
        entry = {"id": engine.model_id, "object": "model", "created": 0, "owned_by": "local"}
        return JSONResponse({"object": "list", "data": [entry]})

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "model": engine.model_id})

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) else "error"
        return error(RequestError(f"{request.method} {request.url.path}: {detail}", status=status))

    async def internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error")
        msg = f"internal error ({type(exc).__name__}: {exc}); this is a bug in accord llm serve"
        return error(RequestError(msg, status=500))

    handlers: dict[Any, Callable[..., Any]] = {HTTPException: http_error, Exception: internal}
    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
        ],
        exception_handlers=handlers,
    )


def serve(
    engine: Engine,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    max_tokens_limit: int | None = None,
    log_level: str = "warning",
) -> None:
    """Serve ``engine`` with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(
        create_app(engine, max_tokens_limit=max_tokens_limit),
        host=host,
        port=port,
        log_level=log_level,
        timeout_keep_alive=5,
    )
