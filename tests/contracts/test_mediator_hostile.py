"""Mediator under generated hostile calls.

Commits, reveals and expiries are drawn in any order and phase (reveal before every
commit, commit after the window, reveal twice, expire early or twice), by parties, by
outsiders, by a contract relaying for a party (a party that commits for another), with
hostile commitments (copied from another party, wrong length, not bytes), reports out of
range or of the wrong type, mismatching salts; parties whose funds cannot cover the
collateral. After every call: the contract holds locked exactly the collateral still at
stake and the unspent subsidy (nothing once closed), it keeps no free balance, a
successful call was allowed in its phase and by its sender, a settlement equals the
rule's own settlement of the revealed reports, and the shared checks of
:class:`~tests.contracts.hostile_args.Hostile` (conservation, nothing changes on a
revert, nobody loses funds without calling).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from accord.contracts.mediator import Mediator
from accord.device import Device, Receipt
from accord.mechanisms import commit_reveal as CR
from accord.mechanisms.bargaining.mediation_rules import parse_rule
from tests.contracts.hostile_args import (
    SALT,
    Hostile,
    Relay,
    Snapshot,
    Step,
    call,
    canonical_values,
    commitments,
    hostile_device,
    mixed,
    names,
    relayed,
    salts,
    steps,
)

RANGE = (0, 100)
PARTIES = ("bob", "carol")
RULES: dict[str, tuple[Any, ...]] = {
    "kda": ("k_double_auction", RANGE, RANGE, 3, (1, 3)),
    "posted": ("posted_price", RANGE, RANGE, 3, 50),
    "vcg": ("vcg", RANGE, (20, 100), 3),
    "agv": ("agv", RANGE, RANGE, 3),
    "nash": (
        "nash",
        (((40, 2), (-40, -2)), ((-10, 0), (10, 0)), ((0, 5), (0, -5))),
        50,
    ),
}
HONEST = (70, 30, (5, 30, 20, 10), (5, 10, 40, 20))
REPORT = mixed(
    st.sampled_from(HONEST),
    st.integers(-5, 110),
    st.tuples(*[st.integers(-1, 52)] * 4),
    st.tuples(*[st.integers(0, 50)] * 3),
    canonical_values(),
)
COMMITTED = mixed(st.integers(0, 100), st.tuples(*[st.integers(0, 50)] * 4))
METHODS = {
    "commit": call(commitments(COMMITTED)),
    "reveal": call(REPORT, salts()),
    "expire": call(),
    "phase": call(),
    "terms": call(),
    "outcome": call(),
    "commitment_of": call(names()),
    "report_of": call(names()),
    "@relay:relay": relayed(
        "@target",
        {
            "commit": st.tuples(commitments(COMMITTED)),
            "reveal": st.tuples(REPORT, salts()),
            "expire": st.tuples(),
        },
    ),
}


def held(device: Device, address: str) -> dict[tuple[str, str], int]:
    return {(o, a): n for (o, a, h), n in device.ledger.locked.items() if h == address}


def invariant(address: str) -> object:
    def check(device: Device) -> None:
        s = device.contract_at(address).storage()
        expect: dict[tuple[str, str], int] = {}
        if not s.get("closed"):
            for i, who in enumerate(s["parties"]):
                if who in s["commits"]:
                    for asset, n in zip(s["assets"], s["collateral"][i], strict=True):
                        if n:
                            key = (who, asset)
                            expect[key] = expect.get(key, 0) + n
            if s.get("subsidy"):
                key = (s["sponsor"], s["assets"][0])
                expect[key] = expect.get(key, 0) + s["subsidy"]
        assert held(device, address) == expect, (held(device, address), expect)
        for asset in ("USD", "TOK", "GOLD"):
            assert device.balance(address, asset) == 0, "the mediator kept funds"

    return check


def rule_check(address: str, device: Device) -> object:
    def rule(step: Step, before: Snapshot, receipt: Receipt) -> None:
        s = before.storage[address]
        if step.method in ("commit", "reveal"):
            assert step.who in s["parties"], f"{step.who} is not a party"
            assert not s.get("closed")
        if step.method == "commit":
            assert step.who not in s["commits"]
            assert device.number <= s["commit_end"]
        if step.method == "reveal":
            report, salt = step.args
            assert len(s["commits"]) == len(s["parties"]) and device.number <= s["reveal_end"]
            assert step.who not in s["reports"]
            assert CR.commitment_hash(report, salt, step.who) == s["commits"][step.who]
            if len(s["reports"]) + 1 == len(s["parties"]):  # the last reveal settles
                reports = {**{w: r[0] for w, r in s["reports"].items()}, step.who: report}
                parsed = parse_rule(s["rule_spec"], len(s["parties"]))
                want = parsed.settle([reports[w] for w in s["parties"]])
                assert receipt.result == (want.outcome, want.transfers)
        if step.method == "expire":
            assert not s.get("closed")
            assert device.number > s["commit_end"] or len(s["commits"]) == len(s["parties"])
            if len(s["commits"]) == len(s["parties"]):
                assert device.number > s["reveal_end"]
                missing = len(s["parties"]) - len(s.get("reports", {}))
                assert receipt.result == missing * s["penalty"]
            else:
                assert receipt.result == 0

    return rule


@settings(max_examples=150, deadline=None)
@given(
    steps(METHODS, senders=("bob", "carol", "alice", "mallory"), focus=("reveal", "commit")),
    st.sampled_from(sorted(RULES)),
    st.sampled_from(("none", "bob", "both", "bob_revealed")),
)
@example([Step("bob", "reveal", (50, SALT))], "kda", "none")
@example(
    [Step("carol", "reveal", (50, SALT)), Step("", "mine", blocks=9), Step("alice", "expire")],
    "kda",
    "bob",
)
def test_mediator_hostile_sequences(sequence: list[Step], name: str, start: str) -> None:
    device = hostile_device()
    relay = device.deploy(device.account("mallory"), Relay)
    now = device.number + 1
    spec = RULES[name]
    subsidy = parse_rule(spec, 2).max_deficit()
    address = device.deploy(
        device.account("alice"),
        Mediator,
        spec,
        PARTIES,
        ("USD", "GOLD"),
        25,
        now + 6,
        now + 14,
        "treasury",
        subsidy,
    )
    hostile = Hostile(device, watch=[address], aliases={"@relay": relay})
    hostile.invariant = invariant(address)  # type: ignore[assignment]
    hostile.rule = rule_check(address, device)  # type: ignore[assignment]
    honest = dict(zip(PARTIES, HONEST[2:] if name == "nash" else HONEST[:2], strict=True))
    for who in {"none": (), "bob": ("bob",)}.get(start, PARTIES):
        done = hostile.send(who, address, "commit", CR.commitment_hash(honest[who], SALT, who))
        assert done is not None and done.ok, done
    if start == "bob_revealed":
        done = hostile.send("bob", address, "reveal", honest["bob"], SALT)
        assert done is not None and done.ok, done
    hostile.run(address, sequence)
    for who in PARTIES:  # then the honest parties try to finish, and anyone expires
        hostile.send(who, address, "reveal", honest[who], SALT)
    if not device.contract_at(address).storage().get("closed"):
        hostile.mine(max(0, now + 15 - device.number))
        done = hostile.send("mallory", address, "expire")
        assert done is not None and done.ok, done
    assert not held(device, address)
    SEEN[device.contract_at(address).storage().get("closed") or "open"] += 1


SEEN: Counter[str] = Counter()


def test_the_hostile_sequences_reach_every_ending() -> None:
    """The drawn sequences settle some mediations and expire others (run after the
    sequences test, in file order; alone it draws them itself)."""
    if not SEEN:
        test_mediator_hostile_sequences()
    assert SEEN["settled"] >= 10 and SEEN["expired"] >= 20 and not SEEN["open"], SEEN


def test_a_party_short_of_collateral_cannot_commit() -> None:
    device = hostile_device()
    hostile = Hostile(device)
    now = device.number + 1
    address = device.deploy(
        device.account("alice"),
        Mediator,
        ("k_double_auction", (0, 2_000_000), RANGE, 1, (1, 2)),
        PARTIES,
        ("USD", "GOLD"),
        25,
        now + 4,
        now + 8,
    )
    hostile.watch.append(address)
    done = hostile.send("bob", address, "commit", CR.commitment_hash(5, SALT, "bob"))
    assert done is not None and done.status == "reverted"
    assert "cannot lock 1000050 USD for bob's collateral" in (done.error or "")


def test_bad_deployments_are_refused_by_name() -> None:
    device = hostile_device()
    now = device.number + 1
    kda = RULES["kda"]
    cases: list[tuple[tuple[Any, ...], str]] = [
        ((kda, ("bob",), ("USD", "GOLD"), 0, now + 40, now + 80), "2 to 8 parties"),
        ((kda, ("bob", "bob"), ("USD", "GOLD"), 0, now + 40, now + 80), "distinct"),
        ((kda, PARTIES, ("USD",), 0, now + 40, now + 80), "tuple of 2 asset"),
        ((kda, PARTIES, ("USD", "GOLD"), -1, now + 40, now + 80), "penalty"),
        ((kda, PARTIES, ("USD", "GOLD"), 0, now + 80, now + 40), "reveal_end"),
        (
            (("agv", RANGE, RANGE, 1), PARTIES, ("USD", "GOLD"), 0, now + 40, now + 80, "bob"),
            "sink",
        ),
        ((("vcg", RANGE, RANGE, 1), PARTIES, ("USD", "GOLD"), 0, now + 40, now + 80), "subsidy"),
        (
            (("second_best", RANGE, (0, 50), 1), PARTIES, ("USD", "GOLD"), 0, now + 40, now + 80),
            "same range",
        ),
        ((("nope",), PARTIES, ("USD", "GOLD"), 0, now + 40, now + 80), "unknown rule"),
    ]
    for args, message in cases:
        try:
            device.deploy(device.account("alice"), Mediator, *args)
        except Exception as exc:  # the device raises its deploy error
            assert message in str(exc), (message, str(exc))
        else:
            raise AssertionError(f"deployed {args!r}")
