"""Structured answers: validate, feed the error back, retry a bounded number of times.

An LLM's answer is text that claims to fit a schema. :func:`ask` turns it into a value
only through ``parse``, which must raise :class:`InvalidOutput` (with a message a model
can act on) for anything that is not JSON, does not fit the pydantic schema, or asks for
something the agent may not do (a pool that does not exist, more than it holds, a
transaction it cannot see). An invalid answer is appended to the conversation together
with the error, and the model is asked again, at most ``max_retries`` more times; after
that, or when a budget or the endpoint refuses, the outcome carries no value and the
agent does nothing this step. Nothing raises out of :func:`ask` except a replay's
:class:`~accord.agents.llm.cache.CacheMiss` (a replay that diverged from its recording
must stop, not silently do something else).

This is the validate-and-reprompt loop of structured-output libraries (e.g.
``instructor``'s retries with the validation error in the prompt), written against the
plain chat-completions protocol.

**Shared by ``agents/llm`` and ``agents/intent``.** The LLM agents and the intent
compiler both ask a model for structured answers, and the LLM agents speak the intent
language; so this module, with the types they pass (:class:`Chat`, :class:`ChatReply`,
:class:`InvalidOutput`, :class:`Outcome`, the two refusals :class:`EndpointFailure` and
:class:`BudgetExceeded`), imports neither package, and neither package imports the other
back (``tests/test_import_cycles.py``). :class:`~accord.agents.llm.client.LLMClient` is a
:class:`Chat`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

FEEDBACK = (
    "Your answer was rejected: {error}\n"
    "Answer again with one JSON object that fits the schema and fixes this."
)
"""The message that feeds a validation error back to the model."""

Status = Literal["ok", "invalid", "budget", "endpoint_error"]

Message = dict[str, Any]
"""One chat message, ``{"role": ..., "content": ...}``."""


class EndpointFailure(RuntimeError):
    """The endpoint failed (network, HTTP error, malformed reply): no answer this time."""


class BudgetExceeded(RuntimeError):
    """A call that would break a budget; ``scope`` is the agent's name or ``run``."""

    def __init__(self, scope: str, what: str, limit: int, need: int) -> None:
        super().__init__(f"{scope} budget: {what} limit {limit} reached (would need {need})")
        self.scope, self.what, self.limit, self.need = scope, what, limit, need


@dataclass(frozen=True, slots=True)
class ChatReply:
    """One answer: its request's hash, the structured text, and what it cost."""

    key: str
    text: str | None
    prompt_tokens: int
    completion_tokens: int
    cached: bool
    finish_reason: str | None


class Retries(Protocol):
    @property
    def max_retries(self) -> int: ...


class Chat(Protocol):
    """A chat model behind a budget (:class:`~accord.agents.llm.client.LLMClient`):
    ``chat`` answers or raises :class:`BudgetExceeded` / :class:`EndpointFailure`."""

    @property
    def settings(self) -> Retries: ...

    def chat(
        self,
        agent: str,
        messages: Sequence[Message],
        schema_name: str,
        schema: Mapping[str, Any],
    ) -> ChatReply: ...


class InvalidOutput(ValueError):
    """An answer that may not reach the device; the message says why, for the model."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """One call: its request hash, what became of its answer, and its cost."""

    key: str | None
    status: Status
    error: str | None
    text: str | None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """A validated value, or ``None`` with the reason the agent does nothing."""

    value: T | None
    attempts: tuple[Attempt, ...]
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.value is not None


def parse_json_model(text: str, model: type[M]) -> M:
    """``text`` as JSON validated by ``model``, or :class:`InvalidOutput` saying why."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidOutput(
            f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidOutput(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError, limit: int = 3) -> str:
    """The first few pydantic errors as ``path: message`` (the path names the field)."""
    parts = []
    for err in exc.errors()[:limit]:
        path = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"{path}: {err['msg']}")
    more = exc.error_count() - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def ask(
    client: Chat,
    agent: str,
    messages: Sequence[Message],
    schema_name: str,
    schema: Mapping[str, Any],
    parse: Callable[[str], T],
    *,
    max_retries: int | None = None,
) -> Outcome[T]:
    """Ask until ``parse`` accepts an answer, at most ``1 + max_retries`` calls."""
    retries = client.settings.max_retries if max_retries is None else max_retries
    conversation: list[Message] = [dict(m) for m in messages]
    attempts: list[Attempt] = []
    error = ""
    for _ in range(retries + 1):
        try:
            reply = client.chat(agent, conversation, schema_name, schema)
        except BudgetExceeded as exc:
            attempts.append(Attempt(None, "budget", str(exc), None))
            return Outcome(None, tuple(attempts), f"budget: {exc}")
        except EndpointFailure as exc:
            attempts.append(Attempt(None, "endpoint_error", str(exc), None))
            return Outcome(None, tuple(attempts), f"endpoint: {exc}")
        cost = (reply.prompt_tokens, reply.completion_tokens, reply.cached)
        if reply.text is None:
            error = "no answer: the reply had neither content nor a tool call"
        else:
            try:
                value = parse(reply.text)
            except InvalidOutput as exc:
                error = str(exc)
            else:
                attempts.append(Attempt(reply.key, "ok", None, reply.text, *cost))
                return Outcome(value, tuple(attempts))
        attempts.append(Attempt(reply.key, "invalid", error, reply.text, *cost))
        conversation += [
            {"role": "assistant", "content": reply.text or ""},
            {"role": "user", "content": FEEDBACK.format(error=error)},
        ]
    return Outcome(
        None, tuple(attempts), f"gave up after {len(attempts)} invalid answers; last: {error}"
    )
