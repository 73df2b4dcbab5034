"""JSON-RPC 2.0 (https://www.jsonrpc.org/specification) over one HTTP POST body.

A body is one request object or a batch (a non-empty array of them, at most
``max_batch``). Each request is checked in the specification's order and answered with
its ``id``; a notification (no ``id``) gets no answer, and a body of notifications only
gets HTTP 204. The specification's error codes, each with a one-line message:

=======  ================  ===========================================================
code     meaning           when
=======  ================  ===========================================================
-32700   Parse error       the body is not UTF-8 JSON (``NaN``, ``Infinity``, an
                           integer over 4,300 digits, nesting past Python's recursion
                           limit included); the answer's id is null
-32600   Invalid Request   not an object, ``jsonrpc`` not "2.0", a bad ``id`` or
                           ``method`` type, ``params`` neither array nor object, an
                           empty or too large batch
-32601   Method not found  no such method
-32602   Invalid params    params do not validate (the message names the field)
-32603   Internal error    a bug in the node; the message says only that
-32000   Server error      the device refused it (data: ``field``, ``error``), a view
                           reverted, or a dry run failed
-32005   Limit exceeded    this sender's rate limit (EIP-1474's code)
=======  ================  ===========================================================
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000
LIMIT_EXCEEDED = -32005

_log = logging.getLogger("accord.node")


class RpcError(Exception):
    """An error answer: its code, a one-line message and optional data."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message.splitlines()[0] if message else ""
        self.data = data


@dataclass(frozen=True, slots=True)
class Method:
    """A method: its params model (validated strictly), its handler, its description."""

    params: type[BaseModel]
    handler: Callable[[Any, Any], Any]
    """``handler(context, params)`` returns the JSON result or raises :class:`RpcError`."""
    doc: str


def _error(code: int, message: str, request_id: Any = None, data: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "error": error, "id": request_id}


def _params_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "params"
    return f"invalid params: {where}: {err['msg']}"


def bind_params(model: type[BaseModel], params: Any) -> BaseModel:
    """Validate by-name (object) or by-position (array, in the model's field order)."""
    if params is None:
        params = {}
    if type(params) is list:
        names = list(model.model_fields)
        if len(params) > len(names):
            raise RpcError(
                INVALID_PARAMS,
                f"invalid params: at most {len(names)} positional params, got {len(params)}",
            )
        params = dict(zip(names, params, strict=False))
    try:
        return model.model_validate(params, strict=True)
    except ValidationError as exc:
        raise RpcError(INVALID_PARAMS, _params_error(exc)) from None


def call_one(request: Any, methods: dict[str, Method], context: Any) -> dict[str, Any] | None:
    """Answer one request object (None for a notification)."""
    if type(request) is not dict:
        return _error(INVALID_REQUEST, "invalid request: expected an object")
    request_id = request.get("id")
    if "id" in request and type(request_id) not in (str, int, type(None)):
        return _error(INVALID_REQUEST, "invalid request: id must be a string, an integer or null")
    if request.get("jsonrpc") != "2.0":
        return _error(INVALID_REQUEST, 'invalid request: "jsonrpc" must be "2.0"', request_id)
    extra = sorted(set(request) - {"jsonrpc", "id", "method", "params"})
    if extra:
        return _error(INVALID_REQUEST, f"invalid request: unknown members {extra}", request_id)
    name = request.get("method")
    if type(name) is not str:
        return _error(INVALID_REQUEST, "invalid request: method must be a string", request_id)
    params = request.get("params")
    if "params" in request and type(params) not in (list, dict):
        return _error(
            INVALID_REQUEST, "invalid request: params must be an array or an object", request_id
        )
    notification = "id" not in request
    method = methods.get(name)
    try:
        if method is None:
            raise RpcError(METHOD_NOT_FOUND, f"method not found: {name[:100]!r}")
        bound = bind_params(method.params, params)
        result = method.handler(context, bound)
    except RpcError as exc:
        answer = _error(exc.code, exc.message, request_id, exc.data)
    except Exception:
        _log.exception("internal error in %s", name)
        answer = _error(INTERNAL_ERROR, "internal error (logged by the node)", request_id)
    else:
        answer = {"jsonrpc": "2.0", "result": result, "id": request_id}
    return None if notification else answer


def _not_json(name: str) -> None:
    """``NaN`` and ``Infinity`` are Python's extensions, not JSON (RFC 8259 §6)."""
    raise ValueError(f"{name} is not JSON")


def handle(
    body: bytes, methods: dict[str, Method], context: Any, *, max_batch: int
) -> dict[str, Any] | list[dict[str, Any]] | None:
    """Answer a whole body: an answer, a batch of answers, or None (nothing to send)."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_not_json)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
        reason = reason.splitlines()[0][:200]
        return _error(PARSE_ERROR, f"parse error: {reason}")
    if type(data) is list:
        if not data:
            return _error(INVALID_REQUEST, "invalid request: an empty batch")
        if len(data) > max_batch:
            return _error(
                INVALID_REQUEST,
                f"invalid request: a batch of {len(data)} requests exceeds the limit of "
                f"{max_batch}",
            )
        answers = [call_one(request, methods, context) for request in data]
        kept = [a for a in answers if a is not None]
        return kept or None
    return call_one(data, methods, context)
