"""ArbitrationClause under generated hostile calls.

Every method is called with hostile arguments and values, by any user or by a contract
(:class:`~tests.contracts.hostile_args.Relay`), in any phase, with the stub arbitrator
ruling anything on any dispute and re-entering the clause from ``create_dispute``.
After every call: the clause's balance covers what it owes (``held``), which equals the
audit fund plus, over unfinished agreements, escrow + deposits + bond; a finished
agreement never changes again; a successful call was allowed to its caller by the rules;
and the shared checks of :class:`~tests.contracts.hostile_args.Hostile` (conservation
after every block, reverts change nothing, nobody loses funds without calling).
"""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from accord.contracts.arbitration_clause import ArbitrationClause
from accord.contracts.arbitration_terms import FINAL, Case, Terms
from accord.device import Device, Receipt
from accord.mechanisms.commit_reveal import commitment_hash
from tests.contracts.arbitrator_stub import StubArbitrator
from tests.contracts.hostile_args import (
    SALT,
    Hostile,
    Relay,
    Snapshot,
    Step,
    call,
    commitments,
    hostile_device,
    mixed,
    names,
    salts,
    steps,
    values,
)

USD, COST, BOND, DEPOSIT = "USD", 60, 100, 15
ID = mixed(st.integers(0, 2), st.just(0))
RULING = mixed(st.integers(0, 2), st.just(3), st.just(-1))


def paying(amount: int) -> st.SearchStrategy[Any]:
    """The value a method calls for, most of the time; else a hostile value."""
    return st.one_of(st.just({USD: amount}), st.just({USD: amount}), values(USD, high=10**6))


def _args(*strategies: st.SearchStrategy[Any], pay: int | None = None) -> Any:
    return call(*strategies, value=None if pay is None else paying(pay))


METHODS = {
    "open": call(
        names("bob", "carol"),
        names("carol", "mallory", "@relay"),
        mixed(st.integers(1, 8)),
        value=paying(500),
    ),
    "accept": _args(ID),
    "cancel": _args(ID),
    "pay": _args(ID),
    "waive": _args(ID),
    "close": _args(ID),
    "dispute": _args(ID, commitments(ID), pay=DEPOSIT),
    "answer": _args(ID, commitments(ID), pay=DEPOSIT),
    "default": _args(ID),
    "adjudicate": _args(ID, RULING, pay=BOND),
    "escalate": _args(ID),
    "appeal": _args(ID, pay=COST),
    "reveal": _args(ID, salts()),
    "finalize": _args(ID),
    "rule": _args(ID, RULING),
    "expire": _args(ID),
    "fund_audits": _args(pay=COST),
    "agreement": _args(ID),
    "phase": _args(ID),
    "@court:give": call(ID, RULING, st.sampled_from((0, 1, COST, COST + 1))),
    "@court:refund": call(ID),
    "@court:arm": call(
        st.tuples(
            st.sampled_from(("rule", "appeal", "finalize", "expire", "pay")),
            st.tuples(st.integers(0, 1), st.integers(0, 2)) | st.tuples(st.integers(0, 1)),
        )
        | st.just(())
    ),
    "@relay:relay": call(
        st.just("@target"),
        st.sampled_from(("open", "dispute", "appeal", "rule", "pay", "accept")),
        st.tuples(ID) | st.tuples(st.just("bob"), st.just("carol"), st.just(3)),
    ),
}


def clause_invariant(clause: str, finished: dict[int, tuple[Any, ...]]) -> Any:
    def check(device: Device) -> None:
        storage = device.contract_at(clause).storage()
        owed = storage.get("fund", 0)
        for agreement, raw in storage["cases"].items():
            case = Case._make(raw)
            terms = Terms._make(storage["terms"][agreement])
            if case.phase in FINAL:
                assert finished.setdefault(agreement, raw) == raw, (
                    f"{agreement} changed after ending"
                )
                continue
            assert agreement not in finished, f"agreement {agreement} reopened"
            owed += terms.amount + case.paid_payer + case.paid_payee + case.bond
        held = storage.get("held", 0)
        assert held == owed, (held, owed)
        # a court that returns a fee leaves it beside ``held`` until its ruling arrives
        assert device.ledger.balance(clause, USD) >= held
        assert all(device.ledger.balance(clause, a) == 0 for a in ("TOK", "GOLD"))

    return check


def clause_rule(device: Device, clause: str) -> Any:
    def rule(step: Step, before: Snapshot, receipt: Receipt) -> None:
        storage = before.storage[clause]
        assert step.method != "rule", "a rule call not from the court succeeded"
        if step.method in ("accept", "pay", "waive", "adjudicate", "dispute", "answer", "appeal"):
            terms = Terms._make(storage["terms"][step.args[0]])
            allowed = {
                "accept": {terms.payee},
                "waive": {terms.payee},
                "pay": {terms.payer},
                "adjudicate": {terms.adjudicator},
            }.get(step.method, {terms.payer, terms.payee})
            assert step.who in allowed, (step, terms)

    return rule


@settings(max_examples=150, deadline=None)
@given(steps(METHODS, focus=("dispute", "answer", "adjudicate", "appeal", "@court:give")))
@example(
    [
        Step("alice", "dispute", (0, commitment_hash(0, SALT, "alice")), {USD: DEPOSIT}),
        Step("bob", "answer", (0, commitment_hash(0, SALT, "bob")), {USD: DEPOSIT}),
        Step("carol", "adjudicate", (0, 2), {USD: BOND}),
        Step("mallory", "arm", (("rule", (0, 1)),), to="@court"),
        Step("bob", "appeal", (0,), {USD: COST}),
        Step("mallory", "arm", ((),), to="@court"),
        Step("bob", "appeal", (0,), {USD: COST}),
        Step("bob", "appeal", (0,), {USD: COST}),
        Step("mallory", "give", (0, 1), to="@court"),
        Step("mallory", "give", (0, 1), to="@court"),
    ]
)
def test_clause_hostile_sequences(sequence: list[Step]) -> None:
    device = hostile_device()
    court = device.deploy(device.account("mallory"), StubArbitrator, USD, COST)
    clause = device.deploy(
        device.account("mallory"), ArbitrationClause, USD, court, 10, 5, BOND, 5_000, 3, 2, 2, 4, 6
    )
    relay = device.deploy(device.account("mallory"), Relay)
    hostile = Hostile(
        device,
        watch=[clause],
        invariant=clause_invariant(clause, {}),
        aliases={"@relay": relay, "@court": court},
    )
    hostile.rule = clause_rule(device, clause)
    assert hostile.send("alice", clause, "open", "bob", "carol", 6, value={USD: 500}) is not None
    accepted = hostile.send("bob", clause, "accept", 0)
    assert accepted is not None and accepted.ok, accepted
    hostile.run(clause, sequence)
