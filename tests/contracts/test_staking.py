"""Staking: bonds, the unbonding delay, slashing by slashers and by the double-sign rule.

Adversarial cases: cheating and then unbonding at once (still slashed), a stranger
slashing, reporting oneself, reporting twice, a slash larger than the stake, a staker
with nothing bonded making statements. Exact balances after every scenario.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.contracts.staking import BURN_ADDRESS, Staking
from accord.device import AssetSpec, Device, DeviceConfig, DeviceError, Genesis, checks

STK = "STK"
START = 1_000_000
USERS = ("alice", "bob", "carol", "mallory", "judge", "gov")
DELAY = 5


def make_device() -> Device:
    genesis = Genesis(
        assets={
            "ETH": AssetSpec(issuer="treasury", alloc={u: 10**18 for u in USERS}),
            STK: AssetSpec(issuer="foundation", alloc=dict.fromkeys(USERS, START)),
        },
        accounts=["vault"],
    )
    device = Device(DeviceConfig(), genesis, seed=5)
    checks.check_every_block(device)
    return device


def deploy(
    device: Device,
    *,
    slashers: tuple[str, ...] = ("judge",),
    destination: str = "vault",
    reporter_bps: int = 1_000,
    double_sign_bps: int = 500,
    governor: str = "gov",
) -> str:
    return device.deploy(
        device.account("gov"),
        Staking,
        STK,
        DELAY,
        slashers,
        destination,
        reporter_bps,
        double_sign_bps,
        governor,
    )


@pytest.fixture
def device() -> Device:
    return make_device()


def call(device: Device, who: str, to: str, method: str, *args: Any) -> Any:
    receipt = device.call(device.account(who), to, method, *args)
    if not receipt.ok:
        raise AssertionError(f"{method} reverted: {receipt.error}")
    return receipt.result


def reverts(device: Device, who: str, to: str, method: str, *args: Any, match: str) -> None:
    before = {u: device.balance(u, STK) for u in (*USERS, "vault")}
    storage, locks = device.contract_at(to).storage(), dict(device.ledger.locked)
    receipt = device.call(device.account(who), to, method, *args)
    assert receipt.status == "reverted", f"{method} should revert"
    assert receipt.error is not None and match in receipt.error, receipt.error
    assert {u: device.balance(u, STK) for u in (*USERS, "vault")} == before
    assert device.contract_at(to).storage() == storage
    assert device.ledger.locked == locks


def stk(device: Device, who: str) -> int:
    return device.balance(who, STK)


def lock_matches_books(device: Device, staking: str, who: str) -> None:
    """The ledger lock equals bond + Σ unbonding: the books and the funds agree."""
    slashable = call(device, who, staking, "slashable", who)
    assert device.locked(who, STK, staking) == slashable


# -- bonding and unbonding --------------------------------------------------------------
def test_bond_locks_and_views_report(device: Device) -> None:
    staking = deploy(device)
    assert call(device, "alice", staking, "bond", 400) == 400
    assert call(device, "alice", staking, "bond", 100) == 500
    call(device, "bob", staking, "bond", 7)
    assert stk(device, "alice") == START - 500
    assert device.locked("alice", STK, staking) == 500
    assert call(device, "carol", staking, "bonded", "alice") == 500
    assert call(device, "carol", staking, "total_bonded") == 507
    assert call(device, "carol", staking, "bonded", "carol") == 0


def test_unbonding_delay(device: Device) -> None:
    staking = deploy(device)
    call(device, "alice", staking, "bond", 500)
    ready = call(device, "alice", staking, "unbond", 200)
    assert ready == device.number + DELAY
    assert call(device, "alice", staking, "bonded", "alice") == 300
    assert call(device, "alice", staking, "unbonding", "alice") == ((200, ready),)
    assert call(device, "alice", staking, "total_bonded") == 300
    lock_matches_books(device, staking, "alice")
    while device.number < ready - 1:
        reverts(device, "alice", staking, "withdraw", match=f"ready at block {ready}")
    assert call(device, "alice", staking, "withdraw") == 200
    assert stk(device, "alice") == START - 300
    assert device.locked("alice", STK, staking) == 300
    reverts(device, "alice", staking, "withdraw", match="nothing unbonding")


def test_several_entries_mature_separately(device: Device) -> None:
    staking = deploy(device)
    call(device, "alice", staking, "bond", 100)
    first = call(device, "alice", staking, "unbond", 10)
    device.build_block()
    second = call(device, "alice", staking, "unbond", 20)
    assert second == first + 2
    while device.number < first - 1:
        device.build_block()
    assert call(device, "alice", staking, "withdraw") == 10
    assert call(device, "alice", staking, "unbonding", "alice") == ((20, second),)
    while device.number < second - 1:
        device.build_block()
    assert call(device, "alice", staking, "withdraw") == 20
    assert stk(device, "alice") == START - 70


def test_bad_bond_and_unbond_amounts(device: Device) -> None:
    staking = deploy(device)
    call(device, "alice", staking, "bond", 10)
    for bad in (0, -1, True):
        reverts(device, "alice", staking, "bond", bad, match="amount must be a positive int")
        reverts(device, "alice", staking, "unbond", bad, match="amount must be a positive int")
    reverts(device, "alice", staking, "unbond", 11, match="alice has 10 bonded, cannot unbond 11")
    reverts(device, "alice", staking, "bond", START, match="cannot bond 1000000 STK")


def test_bad_setup_arguments() -> None:
    device = make_device()
    gov = device.account("gov")
    for args, message in [
        (("", 5), "asset must be"),
        ((STK, -1), "unbonding_blocks must be"),
        ((STK, 5, ("judge",), "vault", 10_001), "reporter_bps must be an int in [0, 10000]"),
        ((STK, 5, ("judge",), "vault", 0, -3), "double_sign_bps must be"),
        ((STK, 5, "judge"), "slashers must be a tuple"),
    ]:
        with pytest.raises(DeviceError, match=message.replace("[", r"\[").replace("]", r"\]")):
            device.deploy(gov, Staking, *args)
    assert not any(isinstance(c, Staking) for c in device.contracts.values())


# -- slashing by a slasher --------------------------------------------------------------
def test_slasher_slashes_with_reporter_share(device: Device) -> None:
    staking = deploy(device, reporter_bps=1_000)
    call(device, "alice", staking, "bond", 1_000)
    taken = call(device, "judge", staking, "slash", "alice", 333, "carol")
    assert taken == 333
    # reporter: floor(333 * 1000 / 10000) = 33; the destination gets 300 (with the dust)
    assert stk(device, "carol") == START + 33
    assert stk(device, "vault") == 300
    assert stk(device, "alice") == START - 1_000
    assert device.locked("alice", STK, staking) == 667
    assert call(device, "alice", staking, "bonded", "alice") == 667
    assert call(device, "alice", staking, "total_bonded") == 667


def test_slash_without_reporter_goes_to_burn(device: Device) -> None:
    staking = deploy(device, destination=BURN_ADDRESS)
    call(device, "alice", staking, "bond", 50)
    call(device, "judge", staking, "slash", "alice", 20, "")
    assert stk(device, BURN_ADDRESS) == 20
    assert device.supply(STK) == START * len(USERS)  # a sink, not a supply burn


def test_only_slashers_slash(device: Device) -> None:
    staking = deploy(device)
    call(device, "alice", staking, "bond", 100)
    for who in ("alice", "bob", "mallory", "gov"):
        reverts(device, who, staking, "slash", "alice", 10, who, match="is not a slasher")
    reverts(device, "judge", staking, "slash", "alice", 0, "", match="positive int")
    reverts(device, "judge", staking, "slash", "bob", 5, "", match="bob has no slashable stake")


def test_cheat_then_unbond_is_still_slashed(device: Device) -> None:
    """Unbonding does not escape a slash: the queue stays slashable for the delay."""
    staking = deploy(device, reporter_bps=0)
    call(device, "mallory", staking, "bond", 300)
    call(device, "mallory", staking, "unbond", 100)
    device.build_block()
    call(device, "mallory", staking, "unbond", 200)  # everything is unbonding now
    assert call(device, "judge", staking, "bonded", "mallory") == 0
    assert call(device, "judge", staking, "slash", "mallory", 250, "") == 250
    # latest-ready entry first: the 200 goes, then 50 of the 100
    queue = call(device, "judge", staking, "unbonding", "mallory")
    assert [amount for amount, _ in queue] == [50]
    lock_matches_books(device, staking, "mallory")
    while device.number < queue[0][1] + DELAY:
        device.build_block()
    assert call(device, "mallory", staking, "withdraw") == 50
    assert stk(device, "mallory") == START - 250
    assert stk(device, "vault") == 250
    checks.replay_equality(device)


def test_slash_is_capped_at_the_stake(device: Device) -> None:
    staking = deploy(device, reporter_bps=5_000)
    call(device, "alice", staking, "bond", 40)
    call(device, "alice", staking, "unbond", 15)
    assert call(device, "judge", staking, "slash", "alice", 10**9, "carol") == 40
    assert stk(device, "carol") == START + 20 and stk(device, "vault") == 20
    assert device.locked("alice", STK, staking) == 0
    assert call(device, "alice", staking, "unbonding", "alice") == ()


def test_governor_changes_slashers_then_renounces(device: Device) -> None:
    staking = deploy(device)
    call(device, "alice", staking, "bond", 100)
    reverts(device, "mallory", staking, "set_slasher", "mallory", True, match="only the governor")
    call(device, "gov", staking, "set_slasher", "bob", True)
    call(device, "gov", staking, "set_slasher", "judge", False)
    assert call(device, "bob", staking, "is_slasher", "bob") is True
    reverts(device, "judge", staking, "slash", "alice", 1, "", match="not a slasher")
    call(device, "bob", staking, "slash", "alice", 1, "")
    call(device, "gov", staking, "renounce_governor")
    reverts(device, "gov", staking, "set_slasher", "gov", True, match="only the governor")


# -- the double-sign rule -----------------------------------------------------------------
def test_double_sign_is_slashed_and_tombstoned(device: Device) -> None:
    staking = deploy(device, reporter_bps=1_000, double_sign_bps=500)
    call(device, "mallory", staking, "bond", 1_001)
    call(device, "mallory", staking, "attest", 7, b"block-A")
    reverts(device, "bob", staking, "report_double_sign", "mallory", 7, match="no evidence")
    call(device, "mallory", staking, "attest", 7, b"block-B")  # the equivocation is recorded
    taken = call(device, "bob", staking, "report_double_sign", "mallory", 7)
    # ceil(1001 * 500 / 10000) = ceil(50.05) = 51; reporter floor(51 * 0.1) = 5
    assert taken == 51
    assert stk(device, "bob") == START + 5
    assert stk(device, "vault") == 46
    assert device.locked("mallory", STK, staking) == 950
    assert call(device, "bob", staking, "is_tombstoned", "mallory") is True
    reverts(device, "mallory", staking, "bond", 1, match="tombstoned")
    reverts(device, "mallory", staking, "attest", 8, b"x", match="tombstoned")
    reverts(device, "carol", staking, "report_double_sign", "mallory", 7, match="slashed once")
    # the tombstoned staker may still leave with what is left, after the delay
    call(device, "mallory", staking, "unbond", 950)
    for _ in range(DELAY):
        device.build_block()
    assert call(device, "mallory", staking, "withdraw") == 950
    assert stk(device, "mallory") == START - 51


def test_equivocation_rules(device: Device) -> None:
    staking = deploy(device)
    reverts(device, "alice", staking, "attest", 1, b"x", match="no bonded stake")
    call(device, "alice", staking, "bond", 10)
    call(device, "alice", staking, "attest", 1, b"x")
    call(device, "alice", staking, "attest", 2, b"x")  # other slots are independent
    reverts(device, "alice", staking, "attest", 1, b"x", match="already attested this statement")
    reverts(device, "alice", staking, "attest", -1, b"x", match="slot must be")
    reverts(device, "alice", staking, "attest", 3, None, match="must not be None")
    call(device, "alice", staking, "attest", 1, b"y")
    reverts(device, "alice", staking, "attest", 1, b"z", match="already equivocated")
    reverts(
        device, "alice", staking, "report_double_sign", "alice", 1, match="may not report itself"
    )
    assert call(device, "bob", staking, "report_double_sign", "alice", 1) == 1  # ceil(0.5)


def test_equivocate_then_unbond_is_still_slashed(device: Device) -> None:
    staking = deploy(device, reporter_bps=0, double_sign_bps=10_000)
    call(device, "mallory", staking, "bond", 600)
    call(device, "mallory", staking, "attest", 3, "yes")
    call(device, "mallory", staking, "attest", 3, "no")
    call(device, "mallory", staking, "unbond", 600)
    assert call(device, "bob", staking, "report_double_sign", "mallory", 3) == 600
    assert stk(device, "vault") == 600
    reverts(device, "mallory", staking, "withdraw", match="nothing unbonding")


def test_bool_and_int_statements_differ(device: Device) -> None:
    staking = deploy(device)
    call(device, "alice", staking, "bond", 10)
    call(device, "alice", staking, "attest", 1, 1)
    call(device, "alice", staking, "attest", 1, True)  # a different statement: equivocation
    assert call(device, "bob", staking, "report_double_sign", "alice", 1) == 1


# -- property ---------------------------------------------------------------------------
STAKERS = ("alice", "bob", "carol")
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("bond"), st.sampled_from(STAKERS), st.integers(-2, 400)),
        st.tuples(st.just("bond"), st.sampled_from(STAKERS), st.integers(1, 400)),
        st.tuples(st.just("unbond"), st.sampled_from(STAKERS), st.integers(-2, 150)),
        st.tuples(st.just("withdraw"), st.sampled_from(STAKERS)),
        st.tuples(st.just("slash"), st.sampled_from(STAKERS), st.integers(1, 500)),
        st.tuples(
            st.just("attest"), st.sampled_from(STAKERS), st.integers(0, 2), st.integers(0, 1)
        ),
        st.tuples(
            st.just("report"), st.sampled_from(USERS), st.sampled_from(STAKERS), st.integers(0, 2)
        ),
        st.tuples(st.just("block")),
    ),
    max_size=30,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPS)
def test_random_staking_conserves_and_never_overpays(ops: list[tuple[Any, ...]]) -> None:
    """Random actions: the ledger lock always equals the books, funds are conserved, and
    no staker ends with more than it started with (slashing only takes); only reporters
    and the destination gain, by exactly the slashed amounts."""
    device = make_device()
    staking = deploy(device, reporter_bps=2_500, double_sign_bps=3_333)
    for who in STAKERS:  # start from a bonded state so unbonding and slashing happen
        call(device, who, staking, "bond", 300)
    slashed: dict[str, int] = dict.fromkeys(USERS, 0)
    rewards: dict[str, int] = dict.fromkeys(USERS, 0)
    for op in ops:
        kind = op[0]
        if kind == "block":
            device.build_block()
        elif kind == "slash":
            receipt = device.call(device.account("judge"), staking, "slash", op[1], op[2], "")
            if receipt.ok:
                slashed[op[1]] += receipt.result
        elif kind == "report":
            receipt = device.call(
                device.account(op[1]), staking, "report_double_sign", op[2], op[3]
            )
            if receipt.ok:
                slashed[op[2]] += receipt.result
                rewards[op[1]] += receipt.result * 2_500 // 10_000
        else:
            device.call(device.account(op[1]), staking, kind, *op[2:])
        for who in STAKERS:
            lock_free = device.locked(who, STK, staking)
            books = device.contract_at(staking).storage()
            queue = books["queues"].get(who, ())
            assert lock_free == books["stakes"].get(who, 0) + sum(a for a, _ in queue)
    for who in USERS:
        held = stk(device, who) + device.locked(who, STK, staking)
        assert held == START - slashed[who] + rewards[who]
        if who in STAKERS and rewards[who] == 0:
            assert stk(device, who) <= START
    total_slashed = sum(slashed.values())
    assert stk(device, "vault") == total_slashed - sum(rewards.values())
    checks.block_invariants(device)
    checks.state_hash_matches(device)  # the incremental state hash equals a full recompute
