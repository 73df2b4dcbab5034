"""Negotiation: alternating offers as device commitments, escrow, mandates.

Scenarios with exact balances: an accepted offer settles both sides atomically; accept
after the deadline, accept twice, accept one's own offer, accept a superseded offer,
a fake acceptance, replay across negotiations, a delegate outside its mandate, items
not owned, the turn limit, and expiry. The device's conservation checks run after
every block (``hostile_device``).
"""

from __future__ import annotations

import math
from contextlib import suppress
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.contracts.mandate import Limits
from accord.contracts.negotiation import Negotiation, propose_gas_limit
from accord.contracts.negotiation_offers import (
    acceptance,
    acceptance_label,
    discount_factor,
    discounted,
    offer_commitment,
    offer_document,
    offer_id,
    timer_commitment,
    timer_document,
)
from accord.device import Context, Contract, Revert, public
from accord.device.commitments.language import Call, Commitment, Transfer
from accord.mechanisms.bargaining.rubinstein import (
    frequent_offers_limit,
    rates_to_discounts,
    rubinstein,
)
from tests.contracts.hostile_args import START, hostile_device
from tests.contracts.negotiation_table import Table


def test_an_accepted_offer_settles_both_sides_atomically() -> None:
    t = Table.make()
    nid = t.start(deposits={"alice": (("USD", 100),), "bob": (("USD", 40),)})
    assert t.view("pot", nid) == (("GOLD", 6), ("TOK", 4), ("USD", 140))
    before = t.holdings("alice", "bob", "carol")
    assert t.ok("alice", "propose", nid, (4, 1, 120)) == 0
    pending = [c.id for c in t.device.pending_commitments()]
    assert offer_id(t.neg, nid, 0) in pending
    res = t.accept("bob", nid, 0)
    assert set(res.settled) == {offer_id(t.neg, nid, 0), f"bob/{acceptance_label(t.neg, nid, 0)}"}
    after = t.holdings("alice", "bob", "carol")
    assert after[("alice", "GOLD")] - before[("alice", "GOLD")] == 4
    assert after[("bob", "GOLD")] - before[("bob", "GOLD")] == 2
    assert after[("alice", "TOK")] - before[("alice", "TOK")] == 1
    assert after[("bob", "TOK")] - before[("bob", "TOK")] == 3
    # alice put in 100 USD and keeps 120; bob put in 40 and gets 20 back: bob paid 20
    assert after[("alice", "USD")] == START + 20
    assert after[("bob", "USD")] == START - 20
    assert after[("carol", "GOLD")] == START - 6  # the host's items are gone, to the parties
    assert t.locked() == {}
    assert t.view("state", nid)[0] == "agreed"
    assert t.view("agreement", nid)[2] == (4, 1, 120)
    # a second acceptance later changes nothing: the offer has settled
    t.accept("alice", nid, 0, expiry=t.device.number + 3)
    assert t.holdings("alice", "bob", "carol") == after


def test_an_offer_that_lapses_releases_every_deposit() -> None:
    t = Table.make()
    nid = t.start(deposits={"alice": (("USD", 100),)}, turn_blocks=3)
    before = t.holdings("alice", "bob", "carol")
    t.ok("alice", "propose", nid, (6, 4, 100))
    assert t.locked() != {}
    deadline = t.deadline(nid)
    t.mine(deadline - t.device.number)
    assert t.device.number == deadline
    assert t.view("state", nid)[0] == "failed"
    assert t.locked() == {}
    after = t.holdings("alice", "bob", "carol")
    assert after[("carol", "GOLD")] == before[("carol", "GOLD")] + 6 == START
    assert after[("carol", "TOK")] == before[("carol", "TOK")] + 4 == START
    assert after[("alice", "USD")] == before[("alice", "USD")] + 100 == START
    assert after[("bob", "GOLD")] == before[("bob", "GOLD")] == START
    # accepting after the deadline: the offer is gone, nothing settles
    res = t.accept("bob", nid, 0, expiry=t.device.number + 2)
    assert res.settled == ()
    assert t.device.balance("bob", "GOLD") == START


def test_accepting_ones_own_offer_does_nothing() -> None:
    t = Table.make()
    nid = t.start()
    t.ok("alice", "propose", nid, (6, 4))
    res = t.accept("alice", nid, 0)
    assert res.fired == () and t.view("state", nid)[0] == "open"
    # and a direct call is refused by name
    receipt = t.call("alice", "accept", nid, 0)
    assert not receipt.ok and "only bob or its agent may accept" in (receipt.error or "")


def test_both_responder_and_agent_accept_once() -> None:
    t = Table.make()
    t.grant("bob", "mallory", Limits(expiry=100))
    nid = t.start(agents={"bob": "mallory"})
    t.ok("alice", "propose", nid, (3, 2))
    deadline = t.deadline(nid)
    for who in ("bob", "mallory"):
        t.device.commit(t.device.account(who), acceptance(who, t.neg, nid, 0, deadline))
    t.device.build_block()
    res = t.device.resolutions[-1]
    assert len(res.groups) == 1 and res.groups[0].ok and len(res.groups[0].members) == 3
    assert t.device.balance("alice", "GOLD") == START + 3
    assert t.device.balance("bob", "GOLD") == START + 3
    assert t.device.balance("mallory", "GOLD") == START


def test_a_counter_offer_rejects_the_live_offer() -> None:
    t = Table.make()
    nid = t.start()
    t.ok("alice", "propose", nid, (5, 4))
    receipt = t.call("alice", "propose", nid, (4, 4))
    assert not receipt.ok and "only bob or its agent may propose" in (receipt.error or "")
    assert t.ok("bob", "propose", nid, (3, 3)) == 1
    # bob changes his mind and accepts offer 0: it is no longer live
    res = t.accept("bob", nid, 0)
    assert res.groups and not res.groups[0].ok
    assert "is not the live offer" in (res.groups[0].error or "")
    assert res.groups[0].culprit == f"bob/{acceptance_label(t.neg, nid, 0)}"
    assert t.view("state", nid)[0] == "open"
    res = t.accept("alice", nid, 1)
    assert len(res.settled) == 2
    assert t.device.balance("bob", "GOLD") == START + 3
    assert t.device.balance("alice", "GOLD") == START + 3


def test_a_fake_acceptance_is_a_refusal() -> None:
    """bob posts a commitment under the acceptance's id that pays mallory instead of
    accepting: the offer fires, sees no acceptance, and releases everything."""
    t = Table.make()
    nid = t.start()
    t.ok("alice", "propose", nid, (6, 4))
    fake = Commitment(
        owner="bob",
        label=acceptance_label(t.neg, nid, 0),
        expiry=t.deadline(nid),
        condition=acceptance("bob", t.neg, nid, 0, 0).condition,
        actions=[Transfer(asset="USD", to="mallory", amount=1)],
    )
    res = t.post(fake)
    assert res.groups[0].ok
    assert t.view("state", nid)[0] == "failed"
    assert t.locked() == {}
    assert t.device.balance("alice", "GOLD") == START
    assert t.device.balance("carol", "GOLD") == START


def test_an_acceptance_does_not_replay_across_negotiations() -> None:
    t = Table.make()
    first = t.start(turn_blocks=10)
    second = t.start(turn_blocks=10)
    t.ok("alice", "propose", first, (1, 1))
    t.ok("alice", "propose", second, (6, 4))
    res = t.accept("bob", first, 0)
    assert {g.ok for g in res.groups} == {True}
    assert t.view("state", first)[0] == "agreed"
    assert t.view("state", second)[0] == "open"
    assert t.device.balance("bob", "GOLD") == START + 5


def test_a_delegate_cannot_bind_outside_its_mandate() -> None:
    t = Table.make()
    limits = Limits(
        expiry=200,
        min_receive=(("GOLD", 2),),
        max_give=(("USD", 30),),
        weights=(("GOLD", 3), ("TOK", 1), ("USD", 0)),
        min_value=9,
    )
    t.grant("bob", "mallory", limits)
    nid = t.start(agents={"bob": "mallory"}, deposits={"bob": (("USD", 50),)}, turn_blocks=10)
    # pot: GOLD 6, TOK 4, USD 50; mallory proposes for bob only within the limits
    t.ok("alice", "propose", nid, (6, 4, 50))  # alice's greedy opening
    for keep, broken in (
        ((1, 4, 50), "min_receive"),  # bob would keep 1 GOLD
        ((2, 4, 19), "max_give"),  # bob would give 31 USD
        ((2, 2, 50), "min_value"),  # 3*2 + 2 = 8 < 9
    ):
        receipt = t.call("mallory", "propose", nid, keep)
        assert not receipt.ok and broken in (receipt.error or ""), (keep, receipt.error)
    assert t.ok("mallory", "propose", nid, (2, 3, 20)) == 1  # 9, gives 30: at the limits
    # alice counters with something outside bob's limits; mallory's acceptance fails
    t.ok("alice", "propose", nid, (5, 1, 40))
    res = t.accept("mallory", nid, 2)
    assert not res.groups[0].ok and "min_receive" in (res.groups[0].error or "")
    assert res.groups[0].culprit == f"mallory/{acceptance_label(t.neg, nid, 2)}"
    # bob himself is not bound by the mandate: he may accept it
    res = t.accept("bob", nid, 2)
    assert res.groups[0].ok
    assert t.device.balance("bob", "GOLD") == START + 1


def test_a_revoked_or_expired_mandate_binds_nothing() -> None:
    t = Table.make()
    t.grant("bob", "mallory", Limits(expiry=12))
    nid = t.start(agents={"bob": "mallory"}, turn_blocks=8)
    t.ok("alice", "propose", nid, (3, 2))
    t.ok("bob", "revoke", "mallory", t.neg, to=t.mandates)
    receipt = t.call("mallory", "propose", nid, (3, 2))
    assert not receipt.ok and "holds no mandate" in (receipt.error or "")
    t.grant("bob", "mallory", Limits(expiry=t.device.number + 1))
    t.mine(2)
    receipt = t.call("mallory", "propose", nid, (3, 2))
    assert not receipt.ok and "expired" in (receipt.error or "")


def test_joining_needs_the_mandate_and_the_items() -> None:
    t = Table.make()
    nid = t.ok("carol", "open", "alice", "bob", (("GOLD", 1),), 4, 4)
    receipt = t.call("bob", "join", nid, "mallory", ())
    assert not receipt.ok and "holds no mandate" in (receipt.error or "")
    receipt = t.call("bob", "join", nid, "bob", (("GOLD", START + 1),))
    assert not receipt.ok and "cannot lock" in (receipt.error or "")
    receipt = t.call("bob", "join", nid, "bob", (("NOPE", 1),))
    assert not receipt.ok and "cannot lock" in (receipt.error or "")
    receipt = t.call("mallory", "join", nid, "mallory", ())
    assert not receipt.ok and "only alice or bob may join" in (receipt.error or "")
    receipt = t.call("carol", "open", "alice", "bob", (("GOLD", -1),), 4, 4)
    assert not receipt.ok and "deposit[0] amount" in (receipt.error or "")


def test_the_turn_limit_and_the_last_offer() -> None:
    t = Table.make()
    nid = t.start(max_turns=2, turn_blocks=3)
    t.ok("alice", "propose", nid, (6, 4))
    t.ok("bob", "propose", nid, (6, 4))
    receipt = t.call("alice", "propose", nid, (3, 2))
    assert not receipt.ok and "has had its 2 offers" in (receipt.error or "")
    t.mine(t.deadline(nid) - t.device.number)
    assert t.view("state", nid)[0] == "failed" and t.locked() == {}


def test_a_negotiation_that_never_starts_releases_by_itself() -> None:
    t = Table.make()
    nid = t.ok("carol", "open", "alice", "bob", (("GOLD", 5),), 3, 4)
    t.ok("alice", "join", nid, "alice", (("USD", 7),))
    assert t.locked() == {("carol", "GOLD"): 5, ("alice", "USD"): 7}
    receipt = t.call("mallory", "expire", nid)  # the public fallback: not yet
    assert not receipt.ok and "runs until block" in (receipt.error or "")
    assert t.view("state", nid)[0] == "failed"  # the join timer lapsed at block end
    assert t.locked() == {}
    assert t.device.balance("carol", "GOLD") == START
    assert t.device.balance("alice", "USD") == START
    receipt = t.call("mallory", "expire", nid)
    assert not receipt.ok and "already failed" in (receipt.error or "")


def test_no_first_offer_releases_at_the_deadline() -> None:
    t = Table.make()
    nid = t.start(deposits={"bob": (("USD", 9),)}, turn_blocks=3)
    t.mine(1)
    assert t.view("state", nid)[0] == "open"
    t.mine(1)
    assert t.view("state", nid)[0] == "failed" and t.locked() == {}


def test_only_the_offer_commitment_settles_or_lapses() -> None:
    t = Table.make()
    nid = t.start(turn_blocks=10)
    t.ok("alice", "propose", nid, (6, 4))
    t.call("bob", "accept", nid, 0)  # a bare accept marks, but nothing settles
    for method, args in (("settle", (nid, 0, (6, 4))), ("lapse", (nid, 0))):
        receipt = t.call("alice", method, *args)
        assert not receipt.ok and "only the offer commitment" in (receipt.error or "")
    assert t.view("state", nid)[0] == "open"
    assert t.device.balance("alice", "GOLD") == START


def test_offer_commitment_is_readable_data() -> None:
    c = offer_commitment("0xv", 3, 1, (2, 0, 1), ("bob", "bot"), 40)
    data = c.to_data()
    assert data["owner"] == "0xv" and data["expiry"] == 40
    assert data["actions"][0]["method"] == "settle" and data["actions"][0]["args"] == [
        3,
        1,
        [2, 0, 1],
    ]
    refs = {a["ref"] for a in data["condition"]["args"]}
    assert refs == {"bob/0xv.n3.a1", "bot/0xv.n3.a1"}


def test_discount_factor_from_block_time() -> None:
    """δ = exp(-r·Δ): r = ln 2 per minute, 12 s blocks, halves value every 5 blocks."""
    delta = discount_factor(math.log(2) / 60, 12_000)
    assert discounted(10.0, 5, delta) == pytest.approx(5.0, rel=1e-12)
    assert discount_factor(0.0, 12_000) == 1.0
    with pytest.raises(ValueError, match="rate_per_s"):
        discount_factor(float("nan"), 12_000)
    with pytest.raises(ValueError, match="block_time_ms"):
        discount_factor(0.1, 0)


def test_the_mandate_docstrings_delegate_flow_with_a_long_window() -> None:
    """mandate.py's example: a long window makes an offer's evaluation charge large, and
    propose_gas_limit covers it where the default gas limit does not."""
    t = Table.make()
    device = t.device
    alice, bot = device.account("alice"), device.account("mallory")
    limits = Limits(
        expiry=5_000, min_receive=(("GOLD", 1),), weights=(("GOLD", 4), ("TOK", 1)), min_value=5
    )
    t.grant("alice", "mallory", limits)
    nid = t.ok("carol", "open", "alice", "bob", (("GOLD", 2), ("TOK", 3)), 2_000, 4)
    assert device.call(alice, t.neg, "join", nid, "mallory", ()).ok
    t.ok("bob", "join", nid, "bob", ())
    keep = (1, 0)  # 4 < 5: outside the mandate
    gas = propose_gas_limit(device, t.neg, nid, keep)
    assert gas > 200_000  # 2,000 blocks of evaluation
    receipt = device.call(bot, t.neg, "propose", nid, keep, gas_limit=gas)
    assert not receipt.ok and "min_value" in (receipt.error or "")
    receipt = device.call(bot, t.neg, "propose", nid, (1, 1))
    assert not receipt.ok and receipt.status == "out_of_gas"
    receipt = device.call(
        bot, t.neg, "propose", nid, (1, 1), gas_limit=propose_gas_limit(device, t.neg, nid, (1, 1))
    )
    assert receipt.ok, receipt.error
    deadline = device.view(t.neg, "state", nid)[3]
    res = t.post(acceptance("bob", t.neg, nid, 0, deadline))
    assert res.groups[0].ok
    assert device.balance("alice", "GOLD") == START + 1
    assert device.balance("bob", "TOK") == START + 2


def test_an_acceptance_that_counter_offers_in_the_same_group_settles_nothing() -> None:
    """bob's "acceptance" accepts offer 0 and then proposes offer 1 in its own actions,
    before the offer's settle runs: offer 0 is no longer live, settles as nothing, and
    offer 1 stands (it lapses later by itself, releasing the pot)."""
    t = Table.make()
    nid = t.start(turn_blocks=5)
    t.ok("alice", "propose", nid, (6, 4))
    deadline = t.deadline(nid)
    sneaky = acceptance("bob", t.neg, nid, 0, deadline)
    sneaky = sneaky.model_copy(
        update={
            "actions": [
                *sneaky.actions,
                Call(to=t.neg, method="propose", args=[nid, [6, 4]], gas=1_000_000),
            ]
        }
    )
    res = t.post(sneaky)
    assert res.groups[0].ok, res.groups[0].error
    assert t.view("state", nid)[:3:2] == ("open", 2)
    assert t.device.balance("alice", "GOLD") == START and t.device.balance("bob", "GOLD") == START
    t.mine(t.deadline(nid) - t.device.number)
    assert t.view("state", nid)[0] == "failed" and t.locked() == {}


class ReentrantMandates(Contract):
    """A venue's "mandates" contract that allows everything and, while checking, calls
    back into the venue: settle, lapse, expire, propose, accept, join (all refused: it
    is not the venue, not a party, and nothing is past a deadline)."""

    @public
    def mandate(self, ctx: Context, principal: str, delegate: str, venue: str) -> tuple[Any, ...]:
        return (10**6, (), (), (), 0)

    @public
    def check(self, ctx: Context, principal: str, delegate: str, put: Any, got: Any) -> bool:
        venue = ctx.sender
        for method, args in (
            ("settle", (0, 0, (6, 4))),
            ("lapse", (0, 0)),
            ("expire", (0,)),
            ("propose", (0, (0, 0))),
            ("accept", (0, 0)),
            ("join", (0, ctx.this, ())),
            ("settle", (0, 0, (6, 4))),
        ):
            with suppress(Revert):
                ctx.call(venue, method, *args)
        return True


def test_a_reentrant_mandates_contract_cannot_pay_twice() -> None:
    device = hostile_device(signatures="mac")
    carol = device.account("carol")
    evil = device.deploy(carol, ReentrantMandates)
    neg = device.deploy(carol, Negotiation, evil)
    t = Table(device, evil, neg)
    nid = t.start(agents={"bob": "mallory"}, turn_blocks=6)
    t.ok("alice", "propose", nid, (2, 1))
    res = t.accept("mallory", nid, 0)
    assert res.groups[0].ok, res.groups[0].error
    assert device.balance("alice", "GOLD") == START + 2
    assert device.balance("bob", "GOLD") == START + 4
    assert device.balance("bob", "TOK") == START + 3
    assert device.balance("carol", "GOLD") == START - 6
    assert t.locked() == {} and t.view("state", nid)[0] == "agreed"


@settings(max_examples=200, deadline=None)
@given(
    st.text(min_size=1, max_size=12).filter(lambda v: "/" not in v and "$" not in v),
    st.integers(0, 2**40),
    st.integers(-1, 2**20),
    st.lists(st.integers(0, 2**70), max_size=8).map(tuple),
    st.lists(st.text(min_size=1, max_size=10), min_size=1, max_size=2).map(tuple),
    st.integers(0, 2**40),
)
def test_the_contracts_direct_documents_equal_the_models(
    venue: str, nid: int, k: int, keep: tuple[int, ...], acceptors: tuple[str, ...], expiry: int
) -> None:
    """The contract writes its commitments' JSON directly; it is the models' JSON, so the
    model builders in negotiation_offers stay the specification."""
    assert offer_document(venue, nid, k, keep, acceptors, expiry) == (
        offer_commitment(venue, nid, k, keep, acceptors, expiry).to_json()
    )
    assert timer_document(venue, nid, "join", expiry) == (
        timer_commitment(venue, nid, "join", expiry).to_json()
    )


def test_block_time_discounts_give_rubinsteins_split_and_its_frequent_offers_limit() -> None:
    """δ_i = exp(-r_i · block_time) per block (one block per offer): the factors are
    Rubinstein's, and as blocks get shorter the SPE split tends to r1/(r0 + r1)
    (Binmore, Rubinstein & Wolinsky 1986), the asymmetric Nash solution."""
    r0, r1 = 0.002, 0.001  # player 0 twice as impatient: it gets a third in the limit
    for block_ms in (12_000, 1_000, 100):
        d0, d1 = discount_factor(r0, block_ms), discount_factor(r1, block_ms)
        assert (d0, d1) == pytest.approx(rates_to_discounts(r0, r1, block_ms / 1000), rel=1e-15)
        x0, _ = rubinstein(d0, d1)
        assert x0 == pytest.approx((1 - d1) / (1 - d0 * d1), rel=1e-12)
    limit = frequent_offers_limit(r0, r1)
    assert limit == pytest.approx((1 / 3, 2 / 3))
    x0_fast, _ = rubinstein(discount_factor(r0, 1), discount_factor(r1, 1))  # 1 ms blocks
    assert x0_fast == pytest.approx(limit[0], abs=1e-6)


def test_a_delegates_offer_stays_binding_after_a_revoke_until_its_deadline() -> None:
    """A revoke (or the mandate's expiry) stops the delegate's *next* offer or acceptance;
    an offer it already made within the mandate is a pending commitment, which nobody can
    withdraw: the counterparty may still accept it until its deadline, and the principal
    is bound (docs/negotiation.md, rule 4; the mandate module's docstring)."""
    t = Table.make()
    t.grant("bob", "mallory", Limits(expiry=100, min_receive=(("GOLD", 2),)))
    nid = t.start(agents={"bob": "mallory"}, turn_blocks=6)
    t.ok("alice", "propose", nid, (6, 4))
    assert t.ok("mallory", "propose", nid, (2, 1)) == 1  # for bob, within his limits
    t.ok("bob", "revoke", "mallory", t.neg, to=t.mandates)
    assert t.device.view(t.mandates, "mandate", "bob", "mallory", t.neg) is None
    res = t.accept("alice", nid, 1)
    assert res.groups[0].ok and t.view("state", nid)[0] == "agreed"
    assert t.device.balance("bob", "GOLD") == START + 2
    assert t.device.balance("alice", "GOLD") == START + 4


def test_an_expired_mandate_stays_stored_until_revoked() -> None:
    """``grant`` refuses to overwrite a stored mandate, even an expired one, and
    ``mandate`` still shows it (its ``expiry`` says it binds nothing): the principal
    revokes, then grants anew (the mandate module's docstrings)."""
    t = Table.make()
    t.grant("bob", "mallory", Limits(expiry=t.device.number + 1))
    t.mine(3)
    assert t.device.view(t.mandates, "mandate", "bob", "mallory", t.neg)[0] < t.device.number
    again = Limits(expiry=t.device.number + 50).to_args()
    receipt = t.call("bob", "grant", "mallory", t.neg, again, to=t.mandates)
    assert not receipt.ok and "already holds a mandate" in (receipt.error or "")
    t.ok("bob", "revoke", "mallory", t.neg, to=t.mandates)
    t.ok("bob", "grant", "mallory", t.neg, again, to=t.mandates)
    assert t.device.view(t.mandates, "mandate", "bob", "mallory", t.neg)[0] == again[0]
