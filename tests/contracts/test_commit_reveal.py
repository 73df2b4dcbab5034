"""CommitReveal on a device: phases, deposits, forfeits, and who can cheat at what cost."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.contracts.commit_reveal import CommitReveal
from accord.device import AssetSpec, Device, DeviceConfig, DeviceError, Genesis, checks
from accord.mechanisms.commit_reveal import commitment_hash, redistribute

USERS = ("alice", "bob", "carol", "dave", "mallory")
FUNDS = 1_000
DEPOSIT = 100
SALT = bytes(range(16))
SINK = "treasury"
COMMIT_END, REVEAL_END = 7, 13


def make_device() -> Device:
    """ETH for gas, USD for deposits (so deposit balances are exact, fee-free)."""
    genesis = Genesis(
        assets={
            "ETH": AssetSpec(issuer="eth-issuer", alloc=dict.fromkeys(USERS, 10**18)),
            "USD": AssetSpec(issuer="fed", alloc=dict.fromkeys(USERS, FUNDS)),
        }
    )
    device = Device(DeviceConfig(), genesis, seed=3)
    checks.check_every_block(device)
    return device


def at(device: Device, block: int) -> None:
    """Build empty blocks so that the next automined call lands in block ``block``."""
    assert device.number < block, f"already past block {block}"
    while device.number < block - 1:
        device.build_block()


def deploy(
    device: Device, *, redistribute: bool = False, deposit: int = DEPOSIT
) -> tuple[str, int, int]:
    """A round deployed in block 1: commits in blocks 2..7, reveals in 8..13."""
    address = device.deploy(
        device.account("alice"),
        CommitReveal,
        "USD",
        deposit,
        COMMIT_END,
        REVEAL_END,
        SINK,
        redistribute,
    )
    return address, COMMIT_END, REVEAL_END


def call(device: Device, who: str, to: str, method: str, *args: Any, **kw: Any) -> Any:
    kw.setdefault("gas_limit", 2_000_000)
    return device.call(device.account(who), to, method, *args, **kw)


def commit(device: Device, cr: str, who: str, value: Any, salt: bytes = SALT) -> Any:
    return call(device, who, cr, "commit", commitment_hash(value, salt, who))


def usd(device: Device, who: str) -> int:
    return device.balance(who, "USD")


def snapshot(device: Device, cr: str) -> tuple[Any, ...]:
    return (
        device.contract_at(cr).storage(),
        dict(device.ledger.locked),
        {u: usd(device, u) for u in (*USERS, SINK, cr)},
    )


def test_round_where_everyone_reveals() -> None:
    device = make_device()
    cr, _, reveal_end = deploy(device)
    for who, value in (("bob", "rock"), ("carol", ("paper", 2)), ("dave", None)):
        receipt = commit(device, cr, who, value)
        assert receipt.ok, receipt.error
        assert usd(device, who) == FUNDS - DEPOSIT
        assert device.locked(who, "USD", cr) == DEPOSIT
    assert device.contract_at(cr).storage()["count"] == 3
    at(device, COMMIT_END + 1)
    for who, value in (("bob", "rock"), ("carol", ("paper", 2)), ("dave", None)):
        receipt = call(device, who, cr, "reveal", value, SALT)
        assert receipt.ok, receipt.error
        assert usd(device, who) == FUNDS and device.locked(who, "USD", cr) == 0
    assert call(device, "alice", cr, "revealed", "dave").result == (None,)
    assert call(device, "alice", cr, "revealed", "carol").result == (("paper", 2),)
    assert call(device, "alice", cr, "revealed", "mallory").result is None
    at(device, reveal_end + 1)
    receipt = call(device, "alice", cr, "finalize")
    assert receipt.ok and receipt.result == 0
    assert {u: usd(device, u) for u in USERS} == dict.fromkeys(USERS, FUNDS)
    assert usd(device, SINK) == 0 and usd(device, cr) == 0
    checks.replay_equality(device)  # the event log replays to the same state hash


@pytest.mark.parametrize(
    ("value", "salt", "why"),
    [
        ("paper", SALT, "do not open"),  # wrong value
        ("rock", bytes(16), "do not open"),  # wrong salt
        ("rock", b"short", "salt must be at least 16 bytes"),
        ("rock", "not-bytes-salt-xx", "salt must be bytes"),
    ],
)
def test_a_wrong_reveal_reverts_and_changes_nothing(value: Any, salt: Any, why: str) -> None:
    device = make_device()
    cr, _, _ = deploy(device)
    assert commit(device, cr, "bob", "rock").ok
    at(device, COMMIT_END + 1)
    before = snapshot(device, cr)
    receipt = call(device, "bob", cr, "reveal", value, salt)
    assert receipt.status == "reverted" and why in (receipt.error or "")
    assert snapshot(device, cr) == before
    assert call(device, "bob", cr, "reveal", "rock", SALT).ok  # the right one still opens


def test_windows_are_enforced() -> None:
    device = make_device()
    cr, commit_end, reveal_end = deploy(device)
    assert commit(device, cr, "bob", "rock").ok  # block 2
    early = call(device, "bob", cr, "reveal", "rock", SALT)  # block 3: still committing
    assert early.status == "reverted"
    assert early.error == "reveals are accepted in blocks 8..13 (now block 3, the commit phase)"
    assert call(device, "bob", cr, "finalize").error == (
        "the round closes after block 13 (now block 4, the commit phase)"
    )
    at(device, commit_end + 1)
    late = commit(device, cr, "carol", "paper")
    assert late.status == "reverted"
    assert late.error == "commits are accepted up to block 7 (now block 8, the reveal phase)"
    assert usd(device, "carol") == FUNDS
    at(device, reveal_end + 1)
    too_late = call(device, "bob", cr, "reveal", "rock", SALT)
    assert too_late.status == "reverted" and "now block 14, the closed phase" in (
        too_late.error or ""
    )
    assert call(device, "bob", cr, "phase").result == "closed"


def test_double_commit_double_reveal_double_finalize() -> None:
    device = make_device()
    cr, _, reveal_end = deploy(device)
    assert commit(device, cr, "bob", "rock").ok
    again = commit(device, cr, "bob", "paper")
    assert again.status == "reverted" and again.error == "bob has already committed"
    assert device.locked("bob", "USD", cr) == DEPOSIT
    at(device, COMMIT_END + 1)
    assert call(device, "bob", cr, "reveal", "rock", SALT).ok
    twice = call(device, "bob", cr, "reveal", "rock", SALT)
    assert twice.status == "reverted" and twice.error == "bob has already revealed"
    nobody = call(device, "carol", cr, "reveal", "rock", SALT)
    assert nobody.error == "carol has no commitment to reveal"
    at(device, reveal_end + 1)
    assert call(device, "bob", cr, "finalize").ok
    assert call(device, "bob", cr, "finalize").error == "the round is already finalized"
    assert usd(device, "bob") == FUNDS


def test_forfeits_go_to_the_sink_exactly() -> None:
    device = make_device()
    cr, _, reveal_end = deploy(device)
    for who in ("bob", "carol", "dave"):
        assert commit(device, cr, who, who.upper()).ok
    at(device, COMMIT_END + 1)
    assert call(device, "bob", cr, "reveal", "BOB", SALT).ok
    at(device, reveal_end + 1)
    receipt = call(device, "mallory", cr, "finalize")  # anyone may finalize
    assert receipt.ok and receipt.result == 2 * DEPOSIT
    assert [e.as_dict() for e in receipt.events] == [
        {"who": "carol", "amount": DEPOSIT},
        {"who": "dave", "amount": DEPOSIT},
    ]
    assert usd(device, "bob") == FUNDS
    assert usd(device, "carol") == usd(device, "dave") == FUNDS - DEPOSIT
    assert usd(device, SINK) == 2 * DEPOSIT
    assert not any(holder == cr for (_, _, holder) in device.ledger.locked)


def test_forfeits_redistributed_to_revealers_with_dust_to_the_sink() -> None:
    device = make_device()
    cr, _, reveal_end = deploy(device, redistribute=True, deposit=100)
    for who in ("alice", "bob", "carol", "dave", "mallory"):
        assert commit(device, cr, who, 1).ok
    at(device, COMMIT_END + 1)
    for who in ("alice", "bob", "carol"):
        assert call(device, who, cr, "reveal", 1, SALT).ok
    at(device, reveal_end + 1)
    assert call(device, "bob", cr, "finalize").result == 200
    # 200 shared by 3 revealers: 66 each, 2 units of dust to the sink
    assert redistribute(200, [100, 100, 100]) == ((66, 66, 66), 2)
    for who in ("alice", "bob", "carol"):
        assert usd(device, who) == FUNDS + 66
    assert usd(device, "dave") == usd(device, "mallory") == FUNDS - 100
    assert usd(device, SINK) == 2
    assert usd(device, cr) == 0


def test_redistribution_with_no_revealer_pays_the_sink() -> None:
    device = make_device()
    cr, _, reveal_end = deploy(device, redistribute=True)
    assert commit(device, cr, "bob", 1).ok
    assert commit(device, cr, "carol", 2).ok
    at(device, reveal_end + 1)
    assert call(device, "bob", cr, "finalize").result == 2 * DEPOSIT
    assert usd(device, SINK) == 2 * DEPOSIT and usd(device, cr) == 0


def test_a_copied_commitment_cannot_be_revealed_by_the_copier() -> None:
    """Mallory copies Alice's published commitment, and even front-runs it into the same
    block; Alice is not blocked, Mallory can never open the copy, and it costs her the
    deposit."""
    device = make_device()
    cr, _, reveal_end = deploy(device)
    alice, mallory = device.account("alice"), device.account("mallory")
    theirs = commitment_hash("rock", SALT, "alice")
    # Mallory sees Alice's commit in the public mempool and outbids her for position.
    device.submit(device.sign(alice, cr, "commit", theirs, priority_fee=1))
    device.submit(device.sign(mallory, cr, "commit", theirs, priority_fee=50))
    block = device.build_block()
    assert [r.ok for r in block.receipts] == [True, True]
    assert block.transactions[0].sender == "mallory"
    assert call(device, "alice", cr, "commitment_of", "mallory").result == (theirs, 2)
    at(device, COMMIT_END + 1)
    assert call(device, "alice", cr, "reveal", "rock", SALT).ok
    # Alice's value and salt are public now; they still do not open Mallory's copy.
    stolen = call(device, "mallory", cr, "reveal", "rock", SALT)
    assert stolen.status == "reverted"
    assert stolen.error == "value and salt do not open the commitment of mallory"
    at(device, reveal_end + 1)
    assert call(device, "bob", cr, "finalize").result == DEPOSIT
    assert usd(device, "mallory") == FUNDS - DEPOSIT  # the price of copying
    assert usd(device, "alice") == FUNDS
    # Without the sender in the hash the copy would have opened: that is what it stops.
    assert commitment_hash("rock", SALT, "mallory") != theirs


def test_selective_reveal_costs_exactly_the_deposit() -> None:
    """Bob commits, watches Carol's reveal, and aborts: his loss is the deposit, which
    (with redistribution) Carol receives."""
    device = make_device()
    cr, _, reveal_end = deploy(device, redistribute=True)
    assert commit(device, cr, "bob", "rock").ok
    assert commit(device, cr, "carol", "paper").ok
    at(device, COMMIT_END + 1)
    assert call(device, "carol", cr, "reveal", "paper", SALT).ok
    # paper beats rock: Bob would rather not reveal
    at(device, reveal_end + 1)
    assert call(device, "carol", cr, "finalize").ok
    assert usd(device, "bob") == FUNDS - DEPOSIT
    assert usd(device, "carol") == FUNDS + DEPOSIT


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("USD", 0, 4, 7, SINK, False), "deposit must be a positive int"),
        (("USD", True, 4, 7, SINK, False), "deposit must be a positive int"),
        (("", 10, 4, 7, SINK, False), "asset must be a non-empty address str"),
        (("USD", 10, 1, 7, SINK, False), "commit_end 1 must be after the current block 1"),
        (("USD", 10, 4, 4, SINK, False), "reveal_end 4 must be after commit_end 4"),
        (("USD", 10, 4, 7, "", False), "penalty_to must be a non-empty address str"),
        (("USD", 10, 4, 7, SINK, 1), "redistribute must be a bool"),
    ],
)
def test_bad_setup_is_refused(args: tuple[Any, ...], message: str) -> None:
    device = make_device()
    with pytest.raises(DeviceError, match=message):
        device.deploy(device.account("alice"), CommitReveal, *args)
    assert not any(isinstance(c, CommitReveal) for c in device.contracts.values())


def test_bad_commitments_and_unfunded_deposits_revert() -> None:
    device = make_device()
    cr, _, _ = deploy(device, deposit=FUNDS + 1)
    short = call(device, "bob", cr, "commit", b"\x00" * 31)
    assert short.status == "reverted" and "commitment must be 32 bytes" in (short.error or "")
    broke = commit(device, cr, "bob", "rock")
    assert broke.status == "reverted"
    assert (broke.error or "").startswith("cannot lock 1001 USD for the commit deposit: bob holds")
    assert device.contract_at(cr).storage().get("count", 0) == 0
    assert usd(device, "bob") == FUNDS


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    reveals=st.lists(st.booleans(), min_size=1, max_size=5),
    deposit=st.integers(1, FUNDS),
    pooled=st.booleans(),
)
def test_payouts_match_the_mechanism_and_value_is_conserved(
    reveals: list[bool], deposit: int, pooled: bool
) -> None:
    device = make_device()
    cr, _, reveal_end = deploy(device, redistribute=pooled, deposit=deposit)
    players = USERS[: len(reveals)]
    for i, who in enumerate(players):
        assert commit(device, cr, who, i).ok
    at(device, COMMIT_END + 1)
    for i, (who, shows) in enumerate(zip(players, reveals, strict=True)):
        if shows:
            assert call(device, who, cr, "reveal", i, SALT).ok
    at(device, reveal_end + 1)
    supply = device.supply("USD")
    assert call(device, "mallory", cr, "finalize").ok
    forfeited = deposit * reveals.count(False)
    revealers = [w for w, shows in zip(players, reveals, strict=True) if shows]
    expected = {w: FUNDS for w in USERS}
    for w, shows in zip(players, reveals, strict=True):
        if not shows:
            expected[w] -= deposit
    sink = forfeited
    if pooled and revealers:
        split = redistribute(forfeited, [deposit] * len(revealers))
        for w, share in zip(revealers, split.shares, strict=True):
            expected[w] += share
        sink = split.to_sink
    assert {w: usd(device, w) for w in USERS} == expected
    assert usd(device, SINK) == sink and usd(device, cr) == 0
    assert sum(expected.values()) + sink == FUNDS * len(USERS) == supply
    checks.block_invariants(device)
