"""Hard budgets: calls and tokens, per agent and per run."""

from __future__ import annotations

import pytest

from accord.agents.llm.budget import BudgetExceeded, BudgetLedger, estimate_tokens
from accord.agents.llm.config import Budget


def test_estimate_is_ceil_of_a_third() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("abc") == 1
    assert estimate_tokens("abcd") == 2


def test_per_agent_call_limit() -> None:
    ledger = BudgetLedger(per_agent=Budget(calls=2))
    for _ in range(2):
        ledger.check("a", 10, 10)
        ledger.charge("a", 10, 5)
    with pytest.raises(BudgetExceeded) as err:
        ledger.check("a", 10, 10)
    assert (err.value.scope, err.value.what, err.value.limit) == ("a", "calls", 2)
    ledger.check("b", 10, 10)  # another agent has its own account
    assert ledger.spent("a").refused == 1 and ledger.run.refused == 1
    assert ledger.run.calls == 2 and ledger.run.tokens == 30


def test_run_token_limit_counts_estimate_and_cap() -> None:
    ledger = BudgetLedger(per_run=Budget(tokens=100))
    ledger.check("a", 40, 60)  # 0 + 40 + 60 = 100: allowed
    ledger.charge("a", 30, 20)
    with pytest.raises(BudgetExceeded) as err:
        ledger.check("b", 40, 11)  # 50 + 40 + 11 = 101 > 100
    assert (err.value.scope, err.value.need) == ("run", 101)
