"""Where an LLM agent's calls go, how they are cached, and how much they may cost.

:class:`LLMSettings` is the ``[params.llm]`` table of a scenario (and the options of
``accord intent compile``). Any OpenAI-compatible chat-completions endpoint works (vLLM,
Ollama, llama.cpp's server, hosted providers): the endpoint is ``base_url`` + ``model``,
and the key is read from the environment, never stored in a scenario file.

Resolution order for the endpoint: the value in the settings, else the environment
(``ACCORD_LLM_BASE_URL``, ``ACCORD_LLM_MODEL``; the key from ``ACCORD_LLM_API_KEY`` or
``OPENAI_API_KEY``). ``base_url = "scripted"`` selects the in-process scripted stand-in
(:mod:`accord.agents.llm.scripted`): a deterministic policy, *not* a foundation model,
served over the same protocol through the real ``openai`` client.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCRIPTED = "scripted"
"""The ``base_url`` that selects the scripted stand-in endpoint."""
SCRIPTED_MODEL = "accord-scripted-v1"
"""The model name the scripted stand-in answers to."""

Mode = Literal["record", "replay", "live"]


class Budget(BaseModel):
    """Hard limits on calls and tokens (``None``: no limit)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    calls: int | None = Field(None, ge=0, description="chat-completion requests, retries included")
    tokens: int | None = Field(None, ge=0, description="prompt + completion tokens (from usage)")


class LLMSettings(BaseModel):
    """An LLM endpoint, its cache, its sampling and its budgets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str | None = Field(
        None,
        description="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1; "
        "'scripted' for the in-process stand-in; default $ACCORD_LLM_BASE_URL",
    )
    model: str | None = Field(None, description="model name; default $ACCORD_LLM_MODEL")
    api_key_env: str = Field(
        "ACCORD_LLM_API_KEY", description="environment variable holding the key"
    )
    mode: Mode = Field("replay", description="record | replay (offline) | live")
    cache: str | None = Field(None, description="JSONL cache of requests and responses")
    output: Literal["json_schema", "tools"] = Field(
        "json_schema", description="structured output through response_format or a tool call"
    )
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    seed: int | None = Field(0, description="sampling seed sent with every request")
    max_tokens: int = Field(800, gt=0, description="completion tokens per call")
    max_retries: int = Field(2, ge=0, le=10, description="retries after an invalid output")
    timeout_s: float = Field(60.0, gt=0)
    tolerate_endpoint_errors: bool = Field(
        False,
        description="a call the endpoint fails (unreachable, HTTP error) makes the agent do "
        "nothing this step and the run goes on; by default it fails the run",
    )
    per_agent: Budget = Budget()
    per_run: Budget = Budget()


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A resolved endpoint: where to send requests and with which key."""

    base_url: str
    model: str
    api_key: str

    @property
    def scripted(self) -> bool:
        return self.base_url == SCRIPTED


class EndpointError(ValueError):
    """No endpoint could be resolved; the message says which setting is missing."""


def resolve_endpoint(settings: LLMSettings, environ: Mapping[str, str] | None = None) -> Endpoint:
    """The endpoint of ``settings``, with the environment filling what it leaves unset."""
    env = os.environ if environ is None else environ
    base_url = settings.base_url or env.get("ACCORD_LLM_BASE_URL")
    if not base_url:
        raise EndpointError(
            "no LLM endpoint: set llm.base_url (or --base-url) or $ACCORD_LLM_BASE_URL"
        )
    model = settings.model or env.get("ACCORD_LLM_MODEL")
    if base_url == SCRIPTED:
        model = model or SCRIPTED_MODEL
    if not model:
        raise EndpointError("no LLM model: set llm.model (or --model) or $ACCORD_LLM_MODEL")
    key = env.get(settings.api_key_env) or env.get("OPENAI_API_KEY") or ""
    if base_url == SCRIPTED:
        key = SCRIPTED
    return Endpoint(base_url.rstrip("/"), model, key or "not-needed")
