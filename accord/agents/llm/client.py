"""The LLM client: chat completions over any OpenAI-compatible endpoint, through the cache.

The ``openai`` package is imported only when a request must really be sent (modes
``record`` and ``live``), so replaying a recorded run needs neither the package nor a
network. Structured output is requested in one of two standard ways
(``LLMSettings.output``):

* ``json_schema``: ``response_format = {"type": "json_schema", "json_schema": {...}}``,
  OpenAI's structured outputs, also served by vLLM (guided decoding), Ollama and
  llama.cpp's server (grammar-constrained sampling);
* ``tools``: one function tool whose parameters are the schema, with ``tool_choice``
  forcing it; the answer is the tool call's ``arguments``.

Either way the answer is only *text that claims to fit the schema*: it is validated by
:mod:`accord.agents.structured` before anything reaches the device.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any

from accord.agents.llm.budget import BudgetLedger, estimate_tokens
from accord.agents.llm.cache import CacheMiss, CallCache, canonical, request_key
from accord.agents.llm.config import (
    SCRIPTED,
    Endpoint,
    EndpointError,
    LLMSettings,
    resolve_endpoint,
)
from accord.agents.llm.scripted import stand_in_http_client
from accord.agents.structured import ChatReply as ChatReply
from accord.agents.structured import EndpointFailure as EndpointFailure
from accord.agents.structured import Message as Message

STAND_IN_PRODUCER = (
    "scripted stand-in (accord.agents.llm.scripted): a deterministic hand-written policy "
    "served over the OpenAI chat-completions protocol; NOT a foundation model"
)
SCRIPTED_URL = "http://scripted.invalid/v1"
"""Where the ``openai`` client is pointed for the stand-in (served in-process, no network)."""


def producer_meta(endpoint: Endpoint) -> dict[str, Any]:
    """What a recording says about who produced it."""
    if endpoint.scripted:
        return {"producer": STAND_IN_PRODUCER, "model": endpoint.model, "endpoint": SCRIPTED}
    return {
        "producer": f"{endpoint.model} at {endpoint.base_url}",
        "model": endpoint.model,
        "endpoint": endpoint.base_url,
    }


class LLMClient:
    """Chat completions for the agents of one run: cache, budgets and the endpoint.

    ``environ`` replaces ``os.environ`` when resolving the endpoint (tests). In
    ``replay`` mode no endpoint is needed, only the model name (part of every request's
    hash) and the cache file. ``http_client`` replaces the ``openai`` client's transport
    (e.g. :func:`~accord.agents.llm.scripted.stand_in_http_client` with another policy).
    """

    def __init__(
        self,
        settings: LLMSettings,
        *,
        environ: Mapping[str, str] | None = None,
        ledger: BudgetLedger | None = None,
        http_client: Any = None,
    ) -> None:
        self.settings = settings
        self._http_client = http_client
        if settings.mode == "replay":
            if settings.cache is None:
                raise EndpointError("replay mode needs a cache file (llm.cache or --cache)")
            env = dict(environ) if environ is not None else None
            try:
                self.endpoint = resolve_endpoint(settings, env)
            except EndpointError:
                if settings.model is None:
                    raise EndpointError(
                        "replay needs the recorded model's name (llm.model or --model): it "
                        "is part of every request's hash"
                    ) from None
                self.endpoint = Endpoint("replay", settings.model, "")
        else:
            self.endpoint = resolve_endpoint(settings, environ)
        meta = producer_meta(self.endpoint) if settings.mode == "record" else {}
        self.cache = CallCache(settings.cache if settings.mode != "live" else None, meta)
        self.ledger = ledger or BudgetLedger(settings.per_agent, settings.per_run)
        self._openai: Any = None

    # -- requests ------------------------------------------------------------------------
    def request(
        self, messages: Sequence[Message], schema_name: str, schema: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The canonical request: everything that decides the answer, nothing else."""
        s = self.settings
        request: dict[str, Any] = {
            "model": self.endpoint.model,
            "messages": [dict(m) for m in messages],
            "temperature": s.temperature,
            "max_tokens": s.max_tokens,
        }
        if s.seed is not None:
            request["seed"] = s.seed
        if s.output == "json_schema":
            request["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": schema_name, "schema": dict(schema), "strict": False},
            }
        else:
            request["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": schema_name,
                        "description": "Answer by calling this function.",
                        "parameters": dict(schema),
                    },
                }
            ]
            request["tool_choice"] = {"type": "function", "function": {"name": schema_name}}
        return request

    def chat(
        self,
        agent: str,
        messages: Sequence[Message],
        schema_name: str,
        schema: Mapping[str, Any],
    ) -> ChatReply:
        """One call for ``agent``: from the cache, or (record/live) from the endpoint.

        Raises :class:`~accord.agents.llm.budget.BudgetExceeded` before sending a call
        that would break a budget, :class:`CacheMiss` in replay for an unrecorded
        request, and :class:`EndpointFailure` when the endpoint fails.
        """
        request = self.request(messages, schema_name, schema)
        key = request_key(request)
        prompt = canonical(request["messages"])
        self.ledger.check(agent, estimate_tokens(prompt), self.settings.max_tokens)
        response = self.cache.get(key) if self.settings.mode != "live" else None
        cached = response is not None
        if response is None:
            if self.settings.mode == "replay":
                raise CacheMiss(key, self.cache.path)
            response = self._send(request)
            if self.settings.mode == "record":
                self.cache.put(key, request, response)
        reply = _reply(key, response, cached, estimate_tokens(prompt))
        self.ledger.charge(agent, reply.prompt_tokens, reply.completion_tokens)
        return reply

    # -- the endpoint --------------------------------------------------------------------
    def _client(self) -> Any:
        if self._openai is None:
            try:
                openai = importlib.import_module("openai")
            except ImportError:
                raise EndpointError(
                    "the openai package is needed to call an endpoint: "
                    "pip install 'accord[llm]' (replaying a recording does not need it)"
                ) from None
            http_client = self._http_client
            base_url = self.endpoint.base_url
            if self.endpoint.scripted:
                http_client = http_client or stand_in_http_client()
                base_url = SCRIPTED_URL
            self._openai = openai.OpenAI(
                base_url=base_url,
                api_key=self.endpoint.api_key,
                http_client=http_client,
                timeout=self.settings.timeout_s,
                max_retries=0 if self.endpoint.scripted else 2,
            )
        return self._openai

    def _send(self, request: Mapping[str, Any]) -> dict[str, Any]:
        client = self._client()
        try:
            completion = client.chat.completions.create(**request)
        except Exception as exc:  # any transport or API error: this call has no answer
            raise EndpointFailure(f"{type(exc).__name__}: {exc}") from exc
        data = completion.model_dump(mode="json", exclude_none=True)
        if not isinstance(data, dict):
            raise EndpointFailure("the endpoint's reply is not a chat completion")
        return data


def _reply(key: str, response: Mapping[str, Any], cached: bool, prompt_estimate: int) -> ChatReply:
    """Pick the structured text and the usage out of a chat-completion object."""
    choices = response.get("choices") or []
    message: Mapping[str, Any] = {}
    finish = None
    if choices and isinstance(choices[0], Mapping):
        message = choices[0].get("message") or {}
        finish = choices[0].get("finish_reason")
    text = message.get("content")
    calls = message.get("tool_calls") or []
    if not text and calls:
        function = calls[0].get("function") or {}
        text = function.get("arguments")
    usage = response.get("usage") or {}
    prompt_tokens = usage.get("prompt_tokens")
    completion_tokens = usage.get("completion_tokens")
    if not isinstance(prompt_tokens, int):  # endpoints without usage: charge the estimate
        prompt_tokens = prompt_estimate
    if not isinstance(completion_tokens, int):
        completion_tokens = estimate_tokens(text or "")
    return ChatReply(
        key,
        text if isinstance(text, str) else None,
        prompt_tokens,
        completion_tokens,
        cached,
        finish,
    )
