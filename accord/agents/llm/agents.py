"""LLM agents on the Agent protocol: an LLM trader and an LLM searcher for the DeFi game.

Each is an ordinary :class:`~accord.agents.base.Agent`: ``act(obs)`` renders the
observation (:mod:`.prompt`), asks the model for a structured decision
(:func:`~accord.agents.structured.ask`), and returns device actions only after
:func:`~accord.agents.llm.actions.to_device` has validated and signed them. An answer
that stays invalid after the retries or a spent budget makes the agent do nothing this
step; each attempt is kept in ``transcript`` (one row per call: block, request hash,
status, error, answer, tokens), which games store with their results. A failing endpoint
(unreachable, an HTTP error) raises :class:`~accord.agents.llm.client.EndpointFailure`,
which fails the run (an error row in the results, and ``accord run`` exits 1): a run
whose model never answered measures nothing. A scenario that means to measure an
unreliable endpoint sets ``tolerate_endpoint_errors = true``; the agent then does nothing
this step, and ``llm_endpoint_errors`` counts such calls.

* :class:`LLMTrader`: a user with a private trade need (the ``need`` of
  :class:`~accord.agents.defi.TradeNeed`); it is asked only in the block its need
  arrives. ``kinds`` says what it may answer: ``("swap",)`` is the vanilla wallet,
  ``("swap", "intent")`` adds the device's conditional intents.
* :class:`LLMSearcher`: a searcher that may send swaps and bundles; it is asked only
  when it can read at least one pending transaction of someone else (a sealed or private
  mempool leaves it nothing to reason about, so no call is spent).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from accord.agents.base import Action, Observation
from accord.agents.defi import TradeNeed, market_of
from accord.agents.llm import prompt
from accord.agents.llm.actions import Decision, Kind, decision_schema, to_device
from accord.agents.llm.client import EndpointFailure, LLMClient
from accord.agents.structured import Outcome, ask, parse_json_model
from accord.device import Account, Pending

SCHEMA_NAME = "decision"


class LLMAgent:
    """Shared plumbing: the account, the client, the kinds of action, the transcript."""

    role: ClassVar[str] = "agent"
    kind: ClassVar[str] = "llm"

    def __init__(
        self,
        account: Account,
        client: LLMClient,
        *,
        kinds: Sequence[Kind],
        patience: int = 2,
    ) -> None:
        self.account = account
        self.name = account.address
        self.client = client
        self.kinds: tuple[Kind, ...] = tuple(kinds)
        self.patience = patience
        self.schema = decision_schema(self.kinds)
        self.transcript: list[dict[str, Any]] = []
        self.decisions = 0
        self.endpoint_errors = 0
        self.gave_up = 0

    def wants_to_act(self, obs: Observation) -> bool:
        raise NotImplementedError

    def act(self, obs: Observation) -> Sequence[Action]:
        if not self.wants_to_act(obs):
            return []
        market = market_of(obs)

        def parse(text: str) -> list[Action]:
            decision = parse_json_model(text, Decision)
            return to_device(decision, obs, self.account, self.kinds, market, self.patience)

        outcome: Outcome[list[Action]] = ask(
            self.client,
            self.name,
            prompt.messages(obs, self.role, self.kinds, market),
            SCHEMA_NAME,
            self.schema,
            parse,
        )
        self.decisions += 1
        self.gave_up += outcome.value is None
        self._log(obs, outcome)
        last = outcome.attempts[-1] if outcome.attempts else None
        if last is not None and last.status == "endpoint_error":
            self.endpoint_errors += 1
            if not self.client.settings.tolerate_endpoint_errors:
                raise EndpointFailure(
                    f"{self.name} at block {obs.number}: the LLM endpoint "
                    f"{self.client.endpoint.base_url} failed: {last.error} (a scenario that "
                    "means to measure this sets [params.llm] tolerate_endpoint_errors = true)"
                )
        return outcome.value or []

    def _log(self, obs: Observation, outcome: Outcome[list[Action]]) -> None:
        for n, a in enumerate(outcome.attempts):
            self.transcript.append(
                {
                    "agent": self.name,
                    "role": self.role,
                    "block": obs.number,
                    "attempt": n,
                    "request": a.key or "",
                    "status": a.status,
                    "error": a.error or "",
                    "answer": a.text or "",
                    "prompt_tokens": a.prompt_tokens,
                    "completion_tokens": a.completion_tokens,
                    "cached": a.cached,
                    "acted": outcome.value is not None and n == len(outcome.attempts) - 1,
                }
            )


class LLMTrader(LLMAgent):
    """A user with a trade need, deciding through an LLM how to place it."""

    role = "trader"
    kind = "llm_trader"

    def wants_to_act(self, obs: Observation) -> bool:
        return isinstance(obs.private.get("need"), TradeNeed)


class LLMSearcher(LLMAgent):
    """A searcher deciding through an LLM what to do about the pending swaps it sees."""

    role = "searcher"
    kind = "llm_searcher"

    def wants_to_act(self, obs: Observation) -> bool:
        return any(type(p) is Pending and p.tx.sender != self.name for p in obs.mempool)


LLM_AGENT_KINDS: dict[str, type[LLMAgent]] = {
    "llm_trader": LLMTrader,
    "llm_searcher": LLMSearcher,
}
"""LLM agent classes by the name a scenario uses for them."""
