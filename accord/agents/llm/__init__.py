"""LLM agents over any OpenAI-compatible chat endpoint (``docs/llm.md``).

* :mod:`.config`: endpoint, cache, sampling and budgets (``LLMSettings``);
* :mod:`.client`: chat completions through the record/replay cache (:mod:`.cache`),
  within budgets (:mod:`.budget`); ``openai`` is imported only to send a request;
* :mod:`accord.agents.structured` (shared with :mod:`accord.agents.intent`): validate an
  answer, feed the error back, retry (bounded);
* :mod:`.actions`, :mod:`.prompt`, :mod:`.agents`: the DeFi agents' answers, prompts and
  the :class:`LLMTrader` / :class:`LLMSearcher` on the Agent protocol;
* :mod:`.scripted`: the deterministic stand-in endpoint (not a model) that produced the
  shipped recordings.
* :mod:`.negotiation` (+ :mod:`.negotiation_stand_in`, :mod:`.negotiation_device`): the
  negotiation vocabulary: an LLM delegate bargains for a principal within the mandate
  the principal committed to the device first (``docs/negotiation.md``).
"""

from accord.agents.llm.agents import LLM_AGENT_KINDS, LLMAgent, LLMSearcher, LLMTrader
from accord.agents.llm.budget import BudgetExceeded, BudgetLedger
from accord.agents.llm.cache import CacheError, CacheMiss, CallCache, request_key
from accord.agents.llm.client import STAND_IN_PRODUCER, ChatReply, EndpointFailure, LLMClient
from accord.agents.llm.config import SCRIPTED, SCRIPTED_MODEL, Budget, LLMSettings
from accord.agents.structured import InvalidOutput, Outcome, ask

__all__ = [
    "LLM_AGENT_KINDS",
    "SCRIPTED",
    "SCRIPTED_MODEL",
    "STAND_IN_PRODUCER",
    "Budget",
    "BudgetExceeded",
    "BudgetLedger",
    "CacheError",
    "CacheMiss",
    "CallCache",
    "ChatReply",
    "EndpointFailure",
    "InvalidOutput",
    "LLMAgent",
    "LLMClient",
    "LLMSearcher",
    "LLMSettings",
    "LLMTrader",
    "Outcome",
    "ask",
    "request_key",
]
