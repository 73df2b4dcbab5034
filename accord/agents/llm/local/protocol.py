"""The chat-completions protocol as ``accord llm serve`` speaks it: requests, answers, errors.

OpenAI's chat-completions API (``POST /v1/chat/completions``), the subset accord's
client sends and a local model can honour. A request is checked whole before the model
sees it; whatever is wrong gets an OpenAI-style error object
``{"error": {"message", "type", "param", "code"}}`` with a 4xx status and a one-line
message naming the field: malformed JSON, a wrong type, an unknown field, ``stream``,
``n`` > 1, a ``max_tokens`` beyond the context, a schema the grammar cannot keep.

The answer is deterministic: its ``id`` is a hash of the request, and ``created`` is 0
(no wall clock in a recording).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accord.agents.llm.local.grammar import Grammar
from accord.agents.llm.local.schema import SchemaError, schema_grammar

MAX_BODY = 2 * 1024 * 1024
"""The largest request body accepted, in bytes."""
MAX_NESTING = 64
"""How deep a request's arrays and objects may nest (a schema inside it included)."""
MAX_MESSAGES = 64
MAX_CONTENT = 200_000
"""Characters in one message."""


class RequestError(Exception):
    """A request the server refuses: HTTP ``status`` and a one-line message."""

    def __init__(
        self, message: str, *, status: int = 400, param: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = " ".join(message.split())  # one line, whatever was quoted into it
        self.status = status
        self.param = param
        self.code = code

    def body(self) -> dict[str, Any]:
        kind = "invalid_request_error" if self.status < 500 else "server_error"
        return {
            "error": {"message": self.message, "type": kind, "param": self.param, "code": self.code}
        }


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ChatMessage(_Strict):
    role: Literal["system", "user", "assistant"]
    content: str = Field(max_length=MAX_CONTENT)
    name: str | None = Field(None, max_length=64)


class JsonSchemaSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    name: str = Field(min_length=1, max_length=64)
    description: str | None = Field(None, max_length=MAX_CONTENT)
    json_schema: dict[str, Any] | bool = Field(True, alias="schema")
    strict: bool | None = None


class ResponseFormat(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaSpec | None = None
    schema_: dict[str, Any] | None = Field(None, alias="schema")  # llama.cpp's json_object+schema


class FunctionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    name: str = Field(min_length=1, max_length=64)
    description: str | None = Field(None, max_length=MAX_CONTENT)
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})
    strict: bool | None = None


class Tool(_Strict):
    type: Literal["function"]
    function: FunctionSpec


class NamedFunction(_Strict):
    name: str


class ToolChoice(_Strict):
    type: Literal["function"]
    function: NamedFunction


class ChatRequest(BaseModel):
    """The fields a request may carry; any other is refused by name."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    model: str = Field(min_length=1, max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    seed: int | None = Field(None, ge=0, le=2**32 - 1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    response_format: ResponseFormat | None = None
    tools: list[Tool] | None = Field(None, min_length=1, max_length=16)
    tool_choice: ToolChoice | Literal["required", "auto", "none"] | None = None
    stop: str | list[str] | None = None
    n: int = Field(1, ge=1, le=1)
    stream: Literal[False] = False
    user: str | None = Field(None, max_length=200)


def _lax_float(data: dict[str, Any]) -> dict[str, Any]:
    """JSON has one number type: an integral temperature or top_p is a float here."""
    for key in ("temperature", "top_p"):
        v = data.get(key)
        if isinstance(v, int) and not isinstance(v, bool):
            data[key] = float(v)
    return data


def parse_request(body: bytes) -> ChatRequest:
    """The request in ``body``, or :class:`RequestError` saying what is wrong with it."""
    if len(body) > MAX_BODY:
        raise RequestError(f"the request body exceeds {MAX_BODY} bytes", status=413)
    depth = _nesting(body)
    if depth > MAX_NESTING:
        raise RequestError(f"the request body nests {depth} levels deep; at most {MAX_NESTING}")
    try:
        data = json.loads(body, parse_constant=_no_constant)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError, ValueError) as exc:
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc) or type(exc).__name__
        raise RequestError(f"the request body is not JSON: {msg}") from None
    if not isinstance(data, dict):
        raise RequestError("the request body must be a JSON object")
    if data.get("stream") is True:
        raise RequestError("streaming is not supported (stream must be false)", param="stream")
    try:
        return ChatRequest.model_validate(_lax_float(data))
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "(body)"
        more = exc.error_count() - 1
        tail = f" (and {more} more)" if more else ""
        msg = err["msg"] if err["type"] != "extra_forbidden" else "unknown field"
        raise RequestError(f"{loc}: {msg}{tail}", param=loc) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (RFC 8259, section 6)")


def _nesting(body: bytes) -> int:
    """How deep ``body``'s arrays and objects nest, counted before parsing: the JSON
    decoder recurses once per level, and a body of 100,000 ``[`` would overflow a
    thread's C stack before Python's recursion limit stops it."""
    if body.count(b"[") + body.count(b"{") <= MAX_NESTING:
        return 0
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


@dataclass(frozen=True, slots=True)
class Structure:
    """What the answer must be: free text, or JSON held to ``grammar``; as content or as
    the arguments of a call to the function ``tool``."""

    grammar: Grammar | None
    tool: str | None = None


def structure(req: ChatRequest) -> Structure:
    """The grammar a request asks for (from ``response_format`` or a forced tool)."""
    if req.tools is not None or req.tool_choice is not None:
        if req.response_format is not None and req.response_format.type != "text":
            raise RequestError("use either response_format or tools, not both", param="tools")
        return _forced_tool(req)
    fmt = req.response_format
    if fmt is None or fmt.type == "text":
        return Structure(None)
    if fmt.type == "json_schema":
        if fmt.json_schema is None:
            raise RequestError(
                "response_format.json_schema is required with type json_schema",
                param="response_format.json_schema",
            )
        return Structure(_grammar(fmt.json_schema.json_schema, "response_format.json_schema"))
    schema = fmt.schema_ if fmt.schema_ is not None else {"type": "object"}
    return Structure(_grammar(schema, "response_format.schema"))


def _forced_tool(req: ChatRequest) -> Structure:
    tools = req.tools or []
    if not tools:
        raise RequestError("tool_choice without tools", param="tool_choice")
    choice = req.tool_choice
    if isinstance(choice, ToolChoice):
        named = [t for t in tools if t.function.name == choice.function.name]
        if not named:
            raise RequestError(
                f"tool_choice names {choice.function.name!r}, which is not in tools",
                param="tool_choice",
            )
        fn = named[0].function
    elif choice == "required" and len(tools) == 1:
        fn = tools[0].function
    else:
        raise RequestError(
            "tool_choice must force one function ({'type': 'function', 'function': "
            "{'name': ...}}, or 'required' with one tool): this server answers only "
            "forced calls",
            param="tool_choice",
        )
    return Structure(_grammar(fn.parameters, "tools.function.parameters"), fn.name)


def _grammar(schema: Any, where: str) -> Grammar:
    try:
        return schema_grammar(schema)
    except SchemaError as exc:
        raise RequestError(f"{where}: {exc}", param=where) from None
    except RecursionError:
        raise RequestError(f"{where}: the schema nests too deeply", param=where) from None


def stops(req: ChatRequest) -> list[str]:
    """The request's stop strings (at most 4, none empty, as OpenAI allows)."""
    values = [req.stop] if isinstance(req.stop, str) else list(req.stop or [])
    if len(values) > 4 or any(not s or len(s) > 200 for s in values):
        raise RequestError("stop: at most 4 non-empty strings of 200 characters", param="stop")
    return values


def completion_id(req: ChatRequest) -> str:
    digest = hashlib.sha256(req.model_dump_json().encode()).hexdigest()
    return f"chatcmpl-{digest[:24]}"


def response(
    req: ChatRequest,
    model: str,
    text: str,
    finish_reason: str,
    prompt_tokens: int,
    completion_tokens: int,
    tool: str | None,
    fingerprint: str,
) -> dict[str, Any]:
    """The chat-completion object for one answer (``tool``: as that function's call)."""
    cid = completion_id(req)
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if tool is not None:
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_" + cid.removeprefix("chatcmpl-"),
                    "type": "function",
                    "function": {"name": tool, "arguments": text},
                }
            ],
        }
        if finish_reason == "stop":
            finish_reason = "tool_calls"
    return {
        "id": cid,
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "system_fingerprint": fingerprint,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def messages_of(req: ChatRequest) -> list[dict[str, Any]]:
    return [m.model_dump(exclude_none=True) for m in req.messages]


def tools_of(req: ChatRequest) -> Sequence[Mapping[str, Any]] | None:
    return None if req.tools is None else [t.model_dump(exclude_none=True) for t in req.tools]
