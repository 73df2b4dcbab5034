"""ConditionalTokens under generated hostile calls.

A small market (:class:`Market`, a test subclass: a setup and an owner who settles the
decision and the metric) is split, merged, split by branch, merged by branch and
redeemed with hostile amounts, branches and values (none, too little, too much, the
wrong token, foreign assets, several at once), in any phase (redeem before the decision
or the metric), by any user or a contract. After every call: the collateral the
contract holds covers every payout its outstanding tokens can still claim (and before
the decision equals each branch's ``supply(B) + supply(B-YES) = supply(B) +
supply(B-NO)``), a successful call moved exactly what it says, and the shared checks of
:class:`~tests.contracts.hostile_args.Hostile`.
"""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from accord.contracts.conditional_tokens import BRANCHES, OUTCOMES, ConditionalTokens
from accord.device import Context, Device, Receipt, Revert, Var, public
from tests.contracts.hostile_args import (
    Hostile,
    Relay,
    Snapshot,
    Step,
    amounts,
    call,
    hostile_device,
    matching,
    mixed,
    relayed,
    steps,
    values,
)

TOKENS = tuple(name for b in BRANCHES for name in (f"M-{b}", *(f"M-{b}-{o}" for o in OUTCOMES)))


class Market(ConditionalTokens):
    """Conditional tokens of one decision, settled by their deployer (for tests)."""

    owner: Var[str] = Var("")

    def setup(self, ctx: Context, collateral: str, prefix: str) -> None:
        self._create_tokens(ctx, collateral, prefix)
        self.owner = ctx.sender

    @public
    def settle(self, ctx: Context, decision: str, metric: str) -> None:
        """The owner: the decision (once), then the metric (once)."""
        if ctx.sender != self.owner:
            raise Revert("only the owner settles")
        if not self.decision:
            self.decision = self._branch(decision)
        elif not self.metric:
            self.metric = self._outcome(metric)
        else:
            raise Revert("already settled")


BRANCH = mixed(st.sampled_from(BRANCHES))
SIZE = 5_000


def _amount(a: Any) -> int:
    if type(a) is not int:
        raise TypeError("no value fits")
    return a


METHODS = {
    "split": matching(call(amounts(SIZE)), lambda a: {"USD": _amount(a)}, values("USD", high=SIZE)),
    "merge": matching(
        call(amounts(SIZE)),
        lambda a: {"M-PASS": _amount(a), "M-FAIL": a},
        values("M-PASS", "M-FAIL", high=SIZE),
    ),
    "split_branch": matching(
        call(BRANCH, amounts(SIZE)),
        lambda b, a: {f"M-{b}": _amount(a)},
        values("M-PASS", "M-FAIL", high=SIZE),
    ),
    "merge_branch": matching(
        call(BRANCH, amounts(SIZE)),
        lambda b, a: {f"M-{b}-YES": _amount(a), f"M-{b}-NO": a},
        values(*TOKENS[1:3], *TOKENS[4:], high=SIZE),
    ),
    "redeem": call(value=values(*TOKENS, high=SIZE)),
    "settle": call(BRANCH, mixed(st.sampled_from(OUTCOMES))),
    "@relay:relay": relayed("@target", {"redeem": st.tuples(), "split": st.tuples(amounts())}),
}


def backing(address: str) -> Any:
    def check(device: Device) -> None:
        s = device.contract_at(address).storage()
        held = device.balance(address, "USD")
        decided, metric = s.get("decision", ""), s.get("metric", "")
        for b in BRANCHES:
            base = device.supply(f"M-{b}")
            yes, no = device.supply(f"M-{b}-YES"), device.supply(f"M-{b}-NO")
            if not decided:
                assert held == base + yes == base + no, (b, held, base, yes, no)
            elif b == decided:
                owed = {"YES": yes, "NO": no}[metric] if metric else max(yes, no)
                assert held >= base + owed, (b, held, base, owed)

    return check


def rule(address: str, device: Device) -> Any:
    def check(step: Step, before: Snapshot, receipt: Receipt) -> None:
        value = dict(step.value or {})
        if step.method in ("split", "merge", "split_branch", "merge_branch"):
            amount = step.args[-1]
            assert type(amount) is int and amount > 0 and set(value.values()) == {amount}
        if step.method == "redeem":
            assert value and all(a in TOKENS for a in value)

    return check


@settings(max_examples=120, deadline=None)
@given(steps(METHODS, senders=("bob", "carol", "alice", "mallory"), focus=("split", "redeem")))
@example(
    [
        Step("bob", "split", (1_000,), {"USD": 1_000}),
        Step("bob", "split_branch", ("PASS", 400), {"M-PASS": 400}),
        Step("bob", "redeem", (), {"M-PASS": 1}),  # before the decision
        Step("bob", "merge", (100,), {"M-PASS": 100, "M-FAIL": 99}),
        Step("bob", "merge_branch", ("PASS", 10), {"M-PASS-YES": 10, "M-PASS-NO": 10, "USD": 1}),
        Step("alice", "settle", ("PASS", "")),
        Step("bob", "redeem", (), {"M-PASS": 600, "M-FAIL": 1_000}),
        Step("bob", "redeem", (), {"M-PASS-YES": 5}),  # before the metric
        Step("alice", "settle", ("", "NO")),
        Step("bob", "redeem", (), {"M-PASS-YES": 390, "M-PASS-NO": 390}),
    ]
)
def test_conditional_tokens_hostile_sequences(sequence: list[Step]) -> None:
    device = hostile_device()
    relay = device.deploy(device.account("mallory"), Relay)
    address = device.deploy(device.account("alice"), Market, "USD", "M")
    hostile = Hostile(device, watch=[address], aliases={"@relay": relay})
    hostile.invariant = backing(address)
    hostile.rule = rule(address, device)
    for who in ("bob", "carol"):  # tokens to attack with
        done = hostile.send(who, address, "split", 2_000, value={"USD": 2_000})
        assert done is not None and done.ok, done
    hostile.run(address, sequence)
