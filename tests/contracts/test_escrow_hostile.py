"""Escrow (and the demo escrow) under generated hostile calls.

Every method of :class:`~accord.contracts.escrow.Escrow` is called with hostile
arguments, by any user or by a contract (:class:`~tests.contracts.hostile_args.Relay`),
in any phase; conditions name a "view" that writes and re-enters the escrow to pay,
refund or release the deal being read. After every call: the locks under the escrow
equal the open deals, per payer and asset; a closed deal never reopens; a successful
close was allowed to its caller by the rules; and the shared checks of
:class:`~tests.contracts.hostile_args.Hostile`.
"""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from accord.contracts.escrow import OPEN, Escrow
from accord.contracts.escrow_demo import Escrow as DemoEscrow
from accord.device import Device, Receipt
from accord.mechanisms.escrow_terms import timed_out
from tests.contracts.hostile_args import (
    ASSETS,
    USERS,
    Hostile,
    Relay,
    Snapshot,
    Step,
    amounts,
    call,
    hostile_device,
    junk,
    locks_match_open_records,
    mixed,
    names,
    steps,
)

DEAL = mixed(st.integers(0, 2), st.just(0))
TIMEOUT = mixed(st.builds(lambda n: ("block", n), st.integers(0, 12)))
VIEW = st.sampled_from(
    (
        ("view", "@relay", "get", (), "==", 1),
        ("view", "@relay", "get", (), ">=", 2),
        ("view", "@relay", "missing", (), "==", 1),
        ("view", "@target", "deal", (0,), "!=", None),
    )
)
CONDITION = mixed(
    st.none(),
    st.builds(lambda n: ("block", n), st.integers(0, 12)),
    VIEW,
    st.builds(lambda a, b: ("all", a, b), VIEW, VIEW),
    st.builds(lambda a, b: ("any", a, b), VIEW, st.just(("block", 3))),
)
REENTRY = st.tuples(
    st.just("@target"), st.sampled_from(("pay", "refund", "release", "arbitrate")), st.tuples(DEAL)
)

METHODS = {
    "open": call(
        names("bob", "carol"),
        mixed(st.sampled_from(ASSETS)),
        amounts(),
        mixed(st.sampled_from(("", "carol", "mallory", "@relay"))),
        CONDITION,
        TIMEOUT,
    ),
    "release": call(DEAL),
    "arbitrate": call(DEAL, mixed(st.booleans())),
    "pay": call(DEAL),
    "refund": call(DEAL),
    "deal": call(DEAL),
    "state": call(DEAL),
    "condition_holds": call(DEAL),
    "probe": call(mixed(st.just("@relay")), mixed(st.just("get")), mixed(st.just(()))),
    "@relay:relay": call(
        st.just("@target"),
        st.sampled_from(("open", "pay", "refund", "release", "arbitrate")),
        st.tuples(DEAL)
        | st.tuples(names("bob"), st.just("USD"), amounts(), st.just(""), st.none(), TIMEOUT),
    ),
    "@relay:arm": call(REENTRY),
}


def escrow_invariant(escrow: str, closed: dict[int, str]) -> Any:
    """Locks equal open deals; a closed deal stays closed (``closed`` remembers them)."""
    return locks_match_open_records(
        escrow, "deals", "deal", lambda t: (t[0], t[3], t[4], t[7]), OPEN, closed
    )


def escrow_rule(device: Device) -> Any:
    """Who may close a deal, and how (checked on every successful close)."""

    def rule(step: Step, before: Snapshot, receipt: Receipt) -> None:
        if step.method not in ("pay", "refund", "release", "arbitrate"):
            return
        escrow = next(iter(before.storage))
        deal = step.args[0]
        payer, payee, arbiter, _, _, condition, timeout, state = before.storage[escrow]["deals"][
            deal
        ]
        assert state == OPEN
        now = device.number
        if step.method == "pay":
            assert step.who == payer
        elif step.method == "arbitrate":
            assert step.who == arbiter != ""
        elif step.method == "refund":
            assert step.who == payee or timed_out(timeout, now, device.now)
        else:
            assert condition is not None and not timed_out(timeout, now, device.now)

    return rule


@settings(max_examples=60, deadline=None)
@given(steps(METHODS))
@example([Step("alice", "probe", ("@relay", "get", 0))])  # was TypeError: args not a tuple
@example([Step("alice", "deal", (True,))])  # a bool is not deal 1
def test_escrow_hostile_sequences(sequence: list[Step]) -> None:
    device = hostile_device()
    escrow = device.deploy(device.account("alice"), Escrow)
    relay = device.deploy(device.account("mallory"), Relay)
    hostile = Hostile(
        device,
        watch=[escrow],
        invariant=escrow_invariant(escrow, {}),
        aliases={"@relay": relay},
    )
    hostile.rule = escrow_rule(device)
    # a deal for everyone to attack: alice → bob, arbiter carol, released by the view
    opened = hostile.send(
        "alice",
        escrow,
        "open",
        "bob",
        "USD",
        500,
        "carol",
        ("view", relay, "get", (), "==", 1),
        ("block", 8),
    )
    assert opened is not None and opened.ok, opened
    hostile.run(escrow, sequence)


DEMO = {
    "open": call(names("bob", "carol"), mixed(st.sampled_from(ASSETS)), amounts()),
    "pay": call(DEAL),
    "refund": call(DEAL),
}


@settings(max_examples=40, deadline=None)
@given(steps(DEMO))
@example([Step("alice", "open", (None, "USD", 5))])  # locked for a payee nobody can be
@example([Step("alice", "open", ("bob", "USD", 5)), Step("alice", "pay", (False,))])
def test_demo_escrow_hostile_sequences(sequence: list[Step]) -> None:
    device = hostile_device()
    escrow = device.deploy(device.account("alice"), DemoEscrow)

    def invariant(device: Device) -> None:
        owed: dict[tuple[str, str], int] = {}
        for terms in device.contract_at(escrow).storage()["deals"].values():
            payer, _, asset, amount = terms
            owed[(payer, asset)] = owed.get((payer, asset), 0) + amount
        held = {(o, a): n for (o, a, h), n in device.ledger.locked.items() if h == escrow}
        assert held == owed, (held, owed)

    def rule(step: Step, before: Snapshot, receipt: Receipt) -> None:
        if step.method == "open":
            payee, asset = step.args[0], step.args[1]
            assert type(payee) is str and payee and payee != step.who, step
            assert type(asset) is str and asset, step
        else:
            assert type(step.args[0]) is int, step
            payer, payee, _, _ = before.storage[escrow]["deals"][step.args[0]]
            assert step.who == (payer if step.method == "pay" else payee)

    hostile = Hostile(device, watch=[escrow], invariant=invariant, rule=rule)
    assert USERS[0] == "alice"
    hostile.run(escrow, sequence)


def test_junk_is_drawn() -> None:
    """The junk strategy reaches the values the tests rely on (a guard on the helper)."""
    seen = set()

    @settings(max_examples=300, deadline=None)
    @given(junk())
    def draw(value: object) -> None:
        seen.add(type(value).__name__)

    draw()
    assert {"int", "float", "str", "bytes", "tuple", "list", "NoneType", "bool"} <= seen
