"""Frequent batch auctions: batchable calls settle together; position carries no advantage."""

from __future__ import annotations

import pytest

from accord.device import Device, Transaction, checks, gas
from tests.device.conftest import ETH, drain, make_device
from tests.device.sample_contracts import CallMarket, Tally, Vault

# (who, side, limit): three buyers, two sells by dave
ORDERS = [
    ("alice", "buy", 120),
    ("bob", "buy", 100),
    ("carol", "buy", 80),
    ("dave", "sell", 90),
    ("dave", "sell", 110),
]


def market_device() -> tuple[Device, str]:
    device = make_device(ordering="batch")
    market = device.deploy(device.account("alice"), CallMarket)
    return device, market


def order_tx(
    device: Device, market: str, who: str, side: str, limit: int, tip: int = 0
) -> Transaction:
    value = {"USD": limit} if side == "buy" else {"TOK": 1}
    return device.sign(
        device.account(who), market, "order", side, limit, value=value, priority_fee=tip
    )


def holdings(device: Device, market: str) -> dict[str, tuple[int, int]]:
    who = ["alice", "bob", "carol", "dave", market]
    return {w: (device.balance(w, "USD"), device.balance(w, "TOK")) for w in who}


def run_market(sequence: list[int], tips: list[int], latency: int = 0) -> tuple[Device, str]:
    device, market = market_device()
    for step, i in enumerate(sequence):
        who, side, limit = ORDERS[i]
        device.submit(order_tx(device, market, who, side, limit, tips[i]), at=step * latency)
    block = device.build_block()
    assert len(block.transactions) == len(ORDERS)
    return device, market


def test_uniform_price_clearing() -> None:
    device, market = run_market([0, 1, 2, 3, 4], [0] * 5)
    assert holdings(device, market) == {
        "alice": (1_000 - 90, 11),  # bought one at the uniform price 90, limit 120
        "bob": (1_000, 10),  # limit 100 < the second sell's 110: no trade
        "carol": (1_000, 10),
        "dave": (1_000 + 90, 9),  # sold one, the other sell returned
        market: (0, 0),
    }
    assert device.ledger.locked == {}
    assert device.contract_at(market).storage() == {"last_batch": 5, "last_price": 90, "trades": 1}
    block = device.blocks[-1]
    results = {tx.args: r.result for tx, r in zip(block.transactions, block.receipts, strict=True)}
    assert results == {
        ("buy", 120): 90,
        ("buy", 100): 0,
        ("buy", 80): 0,
        ("sell", 90): 90,
        ("sell", 110): 0,
    }


@pytest.mark.parametrize(
    ("sequence", "tips", "latency"),
    [
        ([4, 3, 2, 1, 0], [0, 0, 0, 0, 0], 0),
        ([2, 0, 4, 1, 3], [50, 0, 7, 99, 1], 0),
        ([1, 2, 3, 4, 0], [0, 100, 0, 0, 3], 1_000),
    ],
)
def test_position_and_tips_carry_no_advantage(
    sequence: list[int], tips: list[int], latency: int
) -> None:
    reference, ref_market = run_market([0, 1, 2, 3, 4], [0] * 5)
    device, market = run_market(sequence, tips, latency)
    assert market == ref_market
    assert holdings(device, market) == holdings(reference, ref_market)
    assert device.contract_at(market).storage() == reference.contract_at(ref_market).storage()


def test_batch_receipts_pay_gas_within_their_limits() -> None:
    device, _market = run_market([0, 1, 2, 3, 4], [0, 1, 2, 3, 4])
    block = device.blocks[-1]
    base_fee = block.header.base_fee
    for tx, receipt in zip(block.transactions, block.receipts, strict=True):
        assert receipt.ok
        assert gas.BATCH_CALL <= receipt.gas_used <= tx.gas_limit
        assert receipt.fee_paid == receipt.gas_used * (base_fee + tx.priority_fee)
    assert block.header.gas_used == sum(r.gas_used for r in block.receipts)
    checks.block_invariants(device)


def test_failing_settlement_reverts_every_call_and_returns_locked_value() -> None:
    device, market = market_device()
    assert device.call(device.account("bob"), market, "halt").ok
    before = holdings(device, market)
    eth = {w: device.balance(w, "ETH") for w in ("alice", "bob", "carol", "dave")}
    for who, side, limit in ORDERS:
        device.submit(order_tx(device, market, who, side, limit))
    block = device.build_block()
    assert len(block.receipts) == len(ORDERS)
    assert all(r.status == "reverted" and r.error == "market halted" for r in block.receipts)
    assert holdings(device, market) == before
    assert device.ledger.locked == {}
    assert device.contract_at(market).storage() == {"halted": True}  # last_batch undone
    fees: dict[str, int] = {}
    for tx, receipt in zip(block.transactions, block.receipts, strict=True):
        fees[tx.sender] = fees.get(tx.sender, 0) + receipt.fee_paid
        assert receipt.fee_paid > 0
    for who, start in eth.items():
        assert device.balance(who, "ETH") == start - fees[who]


def test_batch_method_outside_batch_ordering_is_an_ordinary_call() -> None:
    device = make_device(ordering="priority")
    market = device.deploy(device.account("alice"), CallMarket)
    receipt = device.execute(order_tx(device, market, "alice", "buy", 10))
    assert receipt.status == "reverted"
    assert receipt.error == "the call market settles only in batch"
    assert device.balance("alice", "USD") == 1_000


def test_default_settlement_runs_calls_one_by_one_in_canonical_order() -> None:
    device = make_device(ordering="batch")
    tally = device.deploy(device.account("alice"), Tally)
    txs = [device.sign(device.account(w), tally, "bump") for w in ("bob", "carol", "dave")]
    for tx in txs:
        device.submit(tx)
    block = device.build_block()
    assert [tx.hash for tx in block.transactions] == sorted(tx.hash for tx in txs)
    assert [r.result for r in block.receipts] == [1, 2, 3]
    assert device.contract_at(tally).storage() == {
        "count": 3,
        "seen": {"bob": 1, "carol": 1, "dave": 1},
    }


def test_execute_settles_a_lone_batch_call() -> None:
    device = make_device(ordering="batch")
    tally = device.deploy(device.account("alice"), Tally)
    receipt = device.call(device.account("bob"), tally, "bump")
    assert receipt.ok and receipt.result == 1


def test_ordinary_calls_in_a_batch_block_run_before_settlement() -> None:
    device, market = market_device()
    pay = device.sign(device.account("bob"), "dave", value={"USD": 500})
    device.submit(pay)
    for who, side, limit in ORDERS:
        device.submit(order_tx(device, market, who, side, limit))
    block = device.build_block()
    assert len(block.transactions) == 6
    assert all(r.ok for r in block.receipts)
    assert device.balance("dave", "USD") == 1_000 + 500 + 90


def test_batch_call_with_unaffordable_value_does_not_break_the_block() -> None:
    device, market = market_device()
    ok = order_tx(device, market, "bob", "buy", 100)
    too_much = order_tx(device, market, "alice", "buy", 5_000)  # alice holds 1_000 USD
    device.submit(ok)
    device.submit(too_much)
    block = device.build_block()
    assert block.number == 2
    assert ok in block.transactions
    if too_much in block.transactions:
        assert block.receipt(too_much.hash).status != "success"
    assert device.balance("alice", "USD") == 1_000
    checks.block_invariants(device)


def test_rejected_batch_call_waits_like_any_rejected_transaction() -> None:
    device, market = market_device()
    device.call(device.account("alice"), "empty", value={"ETH": ETH // 100})
    device.submit(drain(device, "empty"))
    unfunded = device.sign(device.account("empty"), market, "order", "buy", 0)
    device.submit(unfunded)  # admitted: empty can pay until its drain has run
    block = device.build_block()
    assert block.number == 3
    assert unfunded not in block.transactions
    assert unfunded.hash in device.mempool


def test_a_bundle_cannot_sequence_a_batch_call() -> None:
    """Under the batch rule a batchable call settles in the batch at the uniform price, so
    a bundle holding one is refused whole, naming it: at submission if the contract
    exists, else at inclusion (then dropped, with nothing of the bundle applied)."""
    from accord.device import Bundle
    from accord.device.errors import BundleFailed
    from accord.device.execution import contract_address

    device = make_device(ordering="batch")
    alice = device.account("alice")
    market = contract_address("alice", device.nonce("alice"))
    vault = contract_address("alice", device.nonce("alice") + 1)
    nonce = device.nonce("bob")
    bob = device.account("bob")
    bump = device.sign(bob, vault, "deposit", "bob", 5, nonce=nonce)  # not batchable
    buy = device.sign(bob, market, "order", "buy", 100, value={"USD": 100}, nonce=nonce + 1)
    device.submit_bundle(Bundle((bump, buy)), sender="bob")  # neither contract exists yet
    assert device.deploy(alice, CallMarket) == market
    assert device.deploy(alice, Vault) == vault
    before = holdings(device, market)
    block = device.build_block()
    assert [s.field for s in block.skipped] == ["txs[1]"] and block.skipped[0].dropped
    assert "settles in the block's batch" in block.skipped[0].reason
    assert holdings(device, market) == before and device.nonce("bob") == nonce
    assert device.contract_at(vault).storage()["balances"] == {}
    assert device.mempool.bundle(Bundle((bump, buy)).hash) is None
    again = Bundle((bump, buy), max_block=device.number + 5)
    with pytest.raises(BundleFailed, match="settles in the block's batch") as refused:
        device.submit_bundle(again, sender="bob")
    assert refused.value.field == "txs[1]"
