"""Hard budgets on LLM calls and tokens, per agent and per run.

A call is made only if, for the agent and for the run, one more call stays within the
call limit and ``used + estimate(prompt) + max_tokens`` stays within the token limit:
``max_tokens`` caps the completion, and the prompt is estimated at one token per three
characters (byte-pair tokenisers average about four characters of English or JSON per
token, so the estimate errs high). After the call the response's ``usage`` is charged,
so the figures reported are the endpoint's own counts. A refused call is not sent: the
agent does nothing that step (:class:`BudgetExceeded` says which limit).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accord.agents.llm.config import Budget
from accord.agents.structured import BudgetExceeded as BudgetExceeded

CHARS_PER_TOKEN_ESTIMATE = 3


def estimate_tokens(text: str) -> int:
    """A deliberately high estimate of the tokens in ``text`` (ceil(chars / 3))."""
    return -(-len(text) // CHARS_PER_TOKEN_ESTIMATE)


@dataclass(slots=True)
class Spent:
    """What one scope (an agent, or the run) has used."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    refused: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass
class BudgetLedger:
    """The per-agent and per-run accounts of one run."""

    per_agent: Budget = field(default_factory=Budget)
    per_run: Budget = field(default_factory=Budget)
    run: Spent = field(default_factory=Spent)
    agents: dict[str, Spent] = field(default_factory=dict)

    def spent(self, agent: str) -> Spent:
        return self.agents.setdefault(agent, Spent())

    def check(self, agent: str, prompt_estimate: int, max_tokens: int) -> None:
        """Raise :class:`BudgetExceeded` if the call may not be made (and count it)."""
        for scope, budget, spent in (
            (agent, self.per_agent, self.spent(agent)),
            ("run", self.per_run, self.run),
        ):
            if budget.calls is not None and spent.calls + 1 > budget.calls:
                self._refuse(agent)
                raise BudgetExceeded(scope, "calls", budget.calls, spent.calls + 1)
            need = spent.tokens + prompt_estimate + max_tokens
            if budget.tokens is not None and need > budget.tokens:
                self._refuse(agent)
                raise BudgetExceeded(scope, "tokens", budget.tokens, need)

    def _refuse(self, agent: str) -> None:
        self.spent(agent).refused += 1
        self.run.refused += 1

    def charge(self, agent: str, prompt_tokens: int, completion_tokens: int) -> None:
        for spent in (self.spent(agent), self.run):
            spent.calls += 1
            spent.prompt_tokens += prompt_tokens
            spent.completion_tokens += completion_tokens
