"""ReorgBounty under generated hostile calls, on a device that forks.

Every method is called with hostile arguments (junk hashes, huge and negative amounts,
horizons of any kind, wrong senders, a contract sender), in any phase (blocks mined
between calls), after a fork that excluded the target or none. After every call: the
locks under the bounty contract equal the open bounties, per sponsor and asset; a
closed bounty never reopens; a successful claim was the claimant's with the condition
final and holding, a successful refund the sponsor's with it final and failing; and the
shared checks of :class:`~tests.contracts.hostile_args.Hostile` (conservation, nobody
loses funds without calling, one-line reasons).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.contracts.reorg_bounty import OPEN, ReorgBounty
from accord.device import Device, Receipt
from tests.contracts.bounty_claimants import GreedyClaimant
from tests.contracts.hostile_args import (
    ASSETS,
    Hostile,
    Relay,
    Snapshot,
    Step,
    amounts,
    call,
    hostile_device,
    locks_match_open_records,
    mixed,
    names,
    steps,
)

K = 2
BOUNTY = mixed(st.integers(0, 2), st.just(0))
HASH = mixed(st.sampled_from(("@T", "@S", "@X")))
ALT = mixed(st.just(b""), st.sampled_from(("@T", "@S", "@X")))
HORIZON = mixed(st.integers(0, 30))

METHODS = {
    "post": call(
        HASH,
        ALT,
        HORIZON,
        names("bob", "mallory", "@relay"),
        mixed(st.sampled_from(ASSETS)),
        amounts(),
    ),
    "claim": call(BOUNTY),
    "refund": call(BOUNTY),
    "bounty": call(BOUNTY),
    "condition": call(BOUNTY),
    "@relay:relay": call(
        st.just("@target"),
        st.sampled_from(("claim", "refund")),
        st.tuples(BOUNTY),
    ),
}


def included(device: Device, h: bytes) -> int | None:
    return device.included(h)


def bounty_invariant(bounty: str, closed: dict[int, str]) -> Any:
    """Locks equal open bounties (the sponsor's); a closed bounty stays closed."""
    return locks_match_open_records(
        bounty, "bounties", "bounty", lambda t: (t[0], t[5], t[6], t[7]), OPEN, closed
    )


def bounty_rule(device: Device, relay: str) -> Any:
    def rule(step: Step, before: Snapshot, receipt: Receipt) -> None:
        if step.method not in ("claim", "refund"):
            return
        contract = next(iter(before.storage))
        sponsor, claimant, target, alt, horizon, _, _, state = before.storage[contract]["bounties"][
            step.args[0]
        ]
        assert state == OPEN
        final = device.number - 1 - K  # what the call's block saw as final
        assert horizon <= final
        if alt == b"":
            at = included(device, target)
            holds = at is None or at > horizon
        else:
            at = included(device, alt)
            holds = at is not None and at <= horizon
        if step.method == "claim":
            assert step.who == claimant and holds
        else:
            assert step.who == sponsor and not holds

    return rule


@settings(max_examples=50, deadline=None)
@given(sequence=steps(METHODS, max_blocks=4), forked=st.booleans())
def test_reorg_bounty_hostile_sequences(sequence: list[Step], forked: bool) -> None:
    device = hostile_device(finality_depth=K, ordering_enforced=False)
    bounty = device.deploy(device.account("carol"), ReorgBounty)
    relay = device.deploy(device.account("mallory"), Relay)
    alice = device.account("alice")
    pay = device.sign(alice, "bob", value={"USD": 100})
    spend = device.sign(
        alice,
        "mallory",
        value={"USD": 100},
        nonce=pay.nonce,
        max_fee=2 * pay.max_fee,
        priority_fee=pay.priority_fee + 10,
    )
    device.submit(pay)
    device.build_block()
    hostile = Hostile(
        device,
        watch=[bounty],
        invariant=bounty_invariant(bounty, {}),
        aliases={"@relay": relay, "@T": pay.hash, "@S": spend.hash, "@X": b"\x07" * 32},  # type: ignore[dict-item]
    )
    hostile.rule = bounty_rule(device, relay)
    posted = hostile.send(
        "alice", bounty, "post", pay.hash, b"", device.number + 2, relay, "USD", 500
    )
    assert posted is not None and posted.ok, posted
    if forked:  # mallory's fork takes T and the post out; the post lands again after
        device.reorg(2, [[spend], [], []], builder="mallory")
        device.build_block()
        assert device.included(pay.hash) is None
        assert device.contract_at(bounty).storage()["bounties"][0][7] == OPEN
    hostile.run(bounty, sequence)
    hostile.check()


def test_a_re_entering_claimant_is_paid_once() -> None:
    device = hostile_device(finality_depth=K, ordering_enforced=False)
    bounty = device.deploy(device.account("carol"), ReorgBounty)
    greedy = device.deploy(device.account("mallory"), GreedyClaimant)
    alice = device.account("alice")
    pay = device.sign(alice, "bob", value={"USD": 100})
    device.submit(pay)
    device.build_block()
    horizon = device.number + 2
    posted = device.call(alice, bounty, "post", pay.hash, b"", horizon, greedy, "USD", 500)
    assert posted.ok, posted.error
    spend = device.sign(
        alice,
        "mallory",
        value={"USD": 100},
        nonce=pay.nonce,
        max_fee=2 * pay.max_fee,
        priority_fee=pay.priority_fee + 10,
    )
    device.reorg(2, [[spend], [], []], builder="mallory")
    device.build_block()  # the post again
    horizon = device.view(bounty, "bounty", 0)[4]
    while device.finalized <= horizon:
        device.build_block()
    supply = device.supply("USD")
    done = device.call(device.account("mallory"), greedy, "grab", bounty, 0)
    assert done.ok and done.result == 500, done.error
    assert device.balance(greedy, "USD") == 500
    assert device.locked("alice", "USD", bounty) == 0
    assert device.supply("USD") == supply
