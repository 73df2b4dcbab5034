"""ReorgBounty on a device that forks: claims and refunds settle on final blocks only."""

from __future__ import annotations

from typing import Any

import pytest

from accord.contracts.reorg_bounty import (
    CLAIMED,
    FAILS,
    HOLDS,
    OPEN,
    PENDING,
    REFUNDED,
    ReorgBounty,
)
from accord.device import Device, Revert, Transaction
from tests.contracts.hostile_args import hostile_device

K = 3
B = 700


def setup(k: int = K, **config: Any) -> tuple[Device, str, Transaction]:
    """A device with finality depth ``k``, the bounty contract, and alice's payment T
    to bob (100 USD), included in the head block."""
    device = hostile_device(finality_depth=k, ordering_enforced=False, **config)
    bounty = device.deploy(device.account("carol"), ReorgBounty)
    pay = device.sign(device.account("alice"), "bob", value={"USD": 100})
    device.submit(pay)
    device.build_block()
    return device, bounty, pay


def call(device: Device, who: str, to: str, method: str, *args: object) -> Any:
    receipt = device.execute(device.sign(device.account(who), to, method, *args))
    return receipt


def double_spend(device: Device, pay: Transaction) -> Transaction:
    """alice pays mallory instead, with T's nonce (and fees that replace it)."""
    return device.sign(
        device.account("alice"),
        "mallory",
        value={"USD": 100},
        nonce=pay.nonce,
        max_fee=2 * pay.max_fee,
        priority_fee=pay.priority_fee + 10,
    )


def test_a_fork_that_excludes_t_pays_the_claimant_once_final() -> None:
    device, bounty, pay = setup()
    t_block = device.included(pay.hash)
    horizon = device.number + 1
    posted = call(device, "alice", bounty, "post", pay.hash, b"", horizon, "mallory", "USD", B)
    assert posted.ok, posted.error
    assert device.locked("alice", "USD", bounty) == B
    assert device.view(bounty, "condition", 0) == PENDING
    with pytest.raises(Revert, match="not final yet"):
        device.view(bounty, "claim", 0, sender="mallory")
    # mallory's fork replaces T's block and the post's: the double spend lands instead.
    depth = device.number - t_block + 1
    assert depth <= K
    spend = double_spend(device, pay)
    done = device.reorg(depth, [[spend]] + [[]] * depth, builder="mallory")
    assert device.included(pay.hash) is None and (pay.hash, done.dropped[0][1]) in done.dropped
    # The post was reorged out with T's block: it is pending again and lands now.
    device.build_block()
    assert device.view(bounty, "bounty", 0)[7] == OPEN
    horizon = device.view(bounty, "bounty", 0)[4]
    while device.finalized <= horizon:  # a call in the next block sees it final
        device.build_block()
    assert device.view(bounty, "condition", 0) == HOLDS
    wrong = call(device, "bob", bounty, "claim", 0)
    assert not wrong.ok and "only the claimant" in (wrong.error or "")
    refund = call(device, "alice", bounty, "refund", 0)
    assert not refund.ok and "owed" in (refund.error or "")
    before = device.balance("mallory", "USD")
    claimed = call(device, "mallory", bounty, "claim", 0)
    assert claimed.ok and claimed.result == B
    assert device.balance("mallory", "USD") == before + B
    assert device.locked("alice", "USD", bounty) == 0
    twice = call(device, "mallory", bounty, "claim", 0)
    assert not twice.ok and CLAIMED in (twice.error or "")


def test_no_fork_refunds_the_sponsor_after_the_horizon_is_final() -> None:
    device, bounty, pay = setup()
    horizon = device.number + 2
    assert call(device, "alice", bounty, "post", pay.hash, b"", horizon, "mallory", "USD", B).ok
    early = call(device, "alice", bounty, "refund", 0)
    assert not early.ok and "not final yet" in (early.error or "")
    while device.finalized <= horizon:  # a call in the next block sees it final
        device.build_block()
    assert device.view(bounty, "condition", 0) == FAILS
    claim = call(device, "mallory", bounty, "claim", 0)
    assert not claim.ok and "does not hold" in (claim.error or "")
    wrong = call(device, "mallory", bounty, "refund", 0)
    assert not wrong.ok and "only the sponsor" in (wrong.error or "")
    before = device.balance("alice", "USD")
    refunded = call(device, "alice", bounty, "refund", 0)
    assert refunded.ok and refunded.result == B
    assert device.balance("alice", "USD") == before + B
    late = call(device, "mallory", bounty, "claim", 0)
    assert not late.ok and REFUNDED in (late.error or "")


def test_replace_mode_pays_when_the_alternative_is_canonical() -> None:
    device, bounty, pay = setup()
    spend = double_spend(device, pay)
    horizon = device.number + 2
    assert call(
        device, "alice", bounty, "post", pay.hash, spend.hash, horizon, "mallory", "USD", B
    ).ok
    depth = device.number - device.included(pay.hash) + 1
    device.reorg(depth, [[spend]] + [[]] * depth, builder="mallory")
    assert device.included(spend.hash) is not None
    device.build_block()  # the reorged post lands again
    horizon = device.view(bounty, "bounty", 0)[4]
    while device.finalized <= horizon:  # a call in the next block sees it final
        device.build_block()
    assert device.view(bounty, "condition", 0) == HOLDS
    assert call(device, "mallory", bounty, "claim", 0).result == B


def test_a_claim_on_a_reversible_block_is_impossible_and_a_fork_cannot_pay_twice() -> None:
    """The claim is open only once the horizon is final; a fork after that cannot touch
    the blocks that decided it (ForkRefused past finality)."""
    device, bounty, pay = setup(k=1)
    horizon = device.number + 1
    assert call(device, "alice", bounty, "post", pay.hash, b"", horizon, "mallory", "USD", B).ok
    while device.finalized <= horizon:  # a call in the next block sees it final
        device.build_block()
    assert device.view(bounty, "condition", 0) == FAILS  # T stayed in: no fork happened
    assert call(device, "alice", bounty, "refund", 0).ok


def test_post_refuses_bad_terms_and_devices_that_cannot_fork() -> None:
    device, bounty, pay = setup()
    h = pay.hash
    n = device.number
    cases = [
        ((b"\x00" * 31, b"", n + 50, "mallory", "USD", B), "target must be a 32-byte"),
        ((h, b"x", n + 50, "mallory", "USD", B), "alternative must be a 32-byte"),
        ((h, h, n + 50, "mallory", "USD", B), "must differ from the target"),
        ((h, b"", device.finalized, "mallory", "USD", B), "already final"),
        ((h, b"", n + 200_000, "mallory", "USD", B), "more than 100000 blocks"),
        ((h, b"", "9", "mallory", "USD", B), "horizon must be a block number"),
        ((h, b"", n + 50, "alice", "USD", B), "claimant must differ"),
        ((h, b"", n + 50, "", "USD", B), "claimant must be"),
        ((h, b"", n + 50, "mallory", "", B), "asset must be"),
        ((h, b"", n + 50, "mallory", "USD", 0), "amount must be a positive int"),
        ((h, b"", n + 50, "mallory", "USD", -5), "amount must be a positive int"),
        ((h, b"", n + 50, "mallory", "USD", 2**256), "cannot lock"),
        ((h, b"", n + 50, "mallory", "NOPE", 5), "cannot lock"),
    ]
    for args, reason in cases:
        r = call(device, "alice", bounty, "post", *args)
        assert not r.ok and reason in (r.error or ""), (args, r.error)
        assert "\n" not in (r.error or "")
    flat, b2, _ = setup(k=0)
    r = call(flat, "alice", b2, "post", pay.hash, b"", flat.number + 2, "mallory", "USD", B)
    assert not r.ok and "records no inclusions" in (r.error or "")
    with pytest.raises(Revert, match="no bounty 0"):
        device.view(bounty, "bounty", 0)
