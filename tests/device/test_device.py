"""The device end to end: genesis, gas and fees, reverts, nonces, forgeries, rejections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from accord.device import (
    DEPLOY,
    Account,
    BadNonce,
    BadSignature,
    Bundle,
    Device,
    DeviceConfig,
    DeviceError,
    FeeTooLow,
    GasLimitTooLow,
    Genesis,
    InsufficientFunds,
    InvalidValue,
    Rejected,
    Transaction,
    UnknownAccount,
    UnknownContract,
    UnknownMethod,
    checks,
    gas,
)
from accord.device.fees import next_base_fee
from accord.device.keys import Keyring
from accord.device.transaction import transaction_hash
from tests.device.conftest import ETH, balances, drain, intrinsic, make_device
from tests.device.sample_contracts import Callee, Caller, Vault


def snapshot(device: Device) -> tuple[bytes, int, dict[str, int], int]:
    return device.state_hash(), device.number, balances(device), len(device.mempool)


# -- genesis, accounts and chain -------------------------------------------------------
def test_genesis(device: Device) -> None:
    assert device.number == 0
    assert device.now == 0
    assert device.base_fee == 1_000
    assert device.balance("alice", "ETH") == ETH
    assert device.supply("ETH") == 5 * ETH
    assert device.supply("USD") == 4_000
    assert device.ledger.issuers == {"ETH": "treasury", "TOK": "mint", "USD": "fed"}
    assert device.accounts == sorted(
        ["alice", "bob", "builder", "carol", "dave", "empty", "fed", "mint", "treasury"]
    )
    assert device.head.state_hash == device.state_hash()
    checks.block_invariants(device)


def test_fee_asset_is_created_if_genesis_lacks_it() -> None:
    device = Device(DeviceConfig(), Genesis(accounts=["a"]))
    assert device.ledger.issuers == {"ETH": "genesis"}
    assert device.supply("ETH") == 0


def test_accounts(device: Device) -> None:
    with pytest.raises(UnknownAccount):
        device.account("zed")
    zed = device.open_account("zed")
    assert device.account("zed") == zed
    with pytest.raises(UnknownAccount, match="already exists"):
        device.open_account("zed")
    for bad in ["", "0xabc", DEPLOY]:
        with pytest.raises(UnknownAccount):
            device.open_account(bad)
    # keys never derive from the seed: same seed, fresh keys; same keyring, same key
    assert make_device(seed=0).account("alice").key != device.account("alice").key
    keyring = Keyring()
    same = make_device(seed=0, keyring=keyring).account("alice")
    assert make_device(seed=5, keyring=keyring).account("alice") == same


def test_blocks_chain_and_clock(device: Device) -> None:
    blocks = device.build_blocks(3)
    assert [b.number for b in blocks] == [1, 2, 3]
    assert device.now == 3 * 12_000
    assert [h.timestamp for h in device.headers] == [0, 12_000, 24_000, 36_000]
    for parent, child in zip(device.headers, device.headers[1:], strict=False):
        assert child.parent_hash == parent.hash
    assert device.head.state_hash == device.state_hash()
    assert device.finalized == 3
    deep = make_device(finality_depth=2)
    deep.build_blocks(3)
    assert deep.finalized == 1


def test_receipt_lookup(device: Device) -> None:
    alice = device.account("alice")
    tx = device.sign(alice, "bob", value={"ETH": 1})
    receipt = device.execute(tx)
    assert device.receipt(tx.hash) == receipt
    assert device.blocks[-1].receipt(tx.hash) == receipt
    assert device.blocks[-1].transactions == (tx,)
    with pytest.raises(KeyError):
        device.receipt(b"\x00" * 32)


# -- gas and fees on real transactions ---------------------------------------------------
def test_gas_and_fee_accounting_of_a_call() -> None:
    device = make_device()
    alice = device.account("alice")
    vault = device.deploy(alice, Vault)
    base_fee = device.base_fee
    assert base_fee == next_base_fee(1_000, device.head.gas_used, 15_000_000)
    supply = device.supply("ETH")
    alice_before = device.balance("alice", "ETH")
    builder_before = device.balance("builder", "ETH")
    tip = 3
    receipt = device.call(alice, vault, "deposit", "x", 100, priority_fee=tip)
    assert receipt.ok
    assert receipt.gas_used == intrinsic(device, receipt) + gas.READ + gas.WRITE_NEW
    assert receipt.fee_paid == receipt.gas_used * (base_fee + tip)
    assert receipt.tip_paid == receipt.gas_used * tip
    assert device.balance("alice", "ETH") == alice_before - receipt.fee_paid
    assert device.balance("builder", "ETH") == builder_before + receipt.tip_paid
    assert device.supply("ETH") == supply - receipt.gas_used * base_fee
    # the second deposit to the same key rewrites a slot: WRITE, not WRITE_NEW
    again = device.call(alice, vault, "deposit", "x", 1)
    assert again.gas_used == intrinsic(device, again) + gas.READ + gas.WRITE
    move = device.call(alice, vault, "move", "x", "y", 30)
    assert move.gas_used == intrinsic(device, move) + 3 * gas.READ + gas.WRITE + gas.WRITE_NEW


def test_gas_and_fee_accounting_of_a_value_transfer() -> None:
    device = make_device()
    alice = device.account("alice")
    base_fee = device.base_fee
    supply = device.supply("ETH")
    before = balances(device)
    receipt = device.call(alice, "bob", value={"ETH": 12_345}, priority_fee=2, max_fee=5_000)
    assert receipt.ok
    assert receipt.gas_used == intrinsic(device, receipt) + gas.LEDGER_OP
    assert receipt.fee_paid == receipt.gas_used * (base_fee + 2)
    after = balances(device)
    assert after["alice"] == before["alice"] - receipt.fee_paid - 12_345
    assert after["bob"] == before["bob"] + 12_345
    assert after["builder"] == before["builder"] + 2 * receipt.gas_used
    assert device.supply("ETH") == supply - base_fee * receipt.gas_used


def test_tip_is_capped_by_max_fee() -> None:
    device = make_device()
    alice = device.account("alice")
    base_fee = device.base_fee
    receipt = device.call(alice, "bob", value={"ETH": 1}, max_fee=base_fee + 1, priority_fee=50)
    assert receipt.tip_paid == receipt.gas_used * 1
    assert receipt.fee_paid == receipt.gas_used * (base_fee + 1)


def test_multi_asset_value_costs_one_ledger_op_each(device: Device) -> None:
    alice = device.account("alice")
    receipt = device.call(alice, "bob", value={"ETH": 1, "USD": 2, "TOK": 3})
    assert receipt.gas_used == intrinsic(device, receipt) + 3 * gas.LEDGER_OP
    assert device.balance("bob", "USD") == 1_002
    assert device.balance("bob", "TOK") == 13


# -- reverts ---------------------------------------------------------------------------
def test_revert_pays_gas_and_undoes_everything() -> None:
    device = make_device()
    alice = device.account("alice")
    vault = device.deploy(alice, Vault)
    device.call(alice, vault, "deposit", "x", 10)
    storage = device.contract_at(vault).storage()
    before = balances(device)
    base_fee = device.base_fee
    receipt = device.call(alice, vault, "pay_in_then_revert", value={"ETH": 777})
    assert receipt.status == "reverted"
    assert receipt.error == "no thanks"
    assert receipt.events == ()
    # value transfer and storage write were metered, then undone
    assert receipt.gas_used == intrinsic(device, receipt) + gas.LEDGER_OP + gas.READ + gas.WRITE_NEW
    assert receipt.fee_paid == receipt.gas_used * base_fee
    assert device.contract_at(vault).storage() == storage
    assert device.balance(vault, "ETH") == 0
    after = balances(device)
    assert after["alice"] == before["alice"] - receipt.fee_paid
    assert device.nonce("alice") == 3  # the reverted transaction used its nonce


def test_revert_drops_events_and_writes(device: Device) -> None:
    alice = device.account("alice")
    vault = device.deploy(alice, Vault)
    receipt = device.call(alice, vault, "deposit_then_revert", "x", 5)
    assert receipt.status == "reverted"
    assert receipt.events == ()
    assert device.contract_at(vault).storage()["balances"] == {}


def test_out_of_gas_uses_the_whole_limit(device: Device) -> None:
    alice = device.account("alice")
    vault = device.deploy(alice, Vault)
    before = device.balance("alice", "ETH")
    base_fee = device.base_fee
    receipt = device.call(alice, vault, "deposit", "x", 5, gas_limit=30_000)
    assert receipt.status == "out_of_gas"
    assert receipt.gas_used == 30_000
    assert receipt.fee_paid == 30_000 * base_fee
    assert receipt.error is not None and "out of gas" in receipt.error
    assert device.contract_at(vault).storage()["balances"] == {}
    assert device.balance("alice", "ETH") == before - receipt.fee_paid
    hog = device.call(alice, vault, "burn_gas", 10**7, gas_limit=100_000)
    assert (hog.status, hog.gas_used) == ("out_of_gas", 100_000)
    assert device.contract_at(vault).storage()["balances"] == {}


@pytest.mark.parametrize("amount", [-1, -(10**9), True, "5", None])
def test_use_gas_refuses_anything_but_a_non_negative_int(device: Device, amount: object) -> None:
    # A negative amount would give gas back (unmetered work); a bool is not an int here.
    alice = device.account("alice")
    vault = device.deploy(alice, Vault)
    receipt = device.call(alice, vault, "burn_gas", amount, gas_limit=100_000)
    assert receipt.status == "reverted"
    assert receipt.error is not None
    assert receipt.error.startswith("ValueError: use_gas takes a non-negative int")
    assert device.contract_at(vault).storage()["balances"] == {}
    zero = device.call(alice, vault, "burn_gas", 0, gas_limit=100_000)
    assert zero.ok and device.contract_at(vault).storage()["balances"] == {"hog": 1}


def test_python_exception_becomes_a_revert(device: Device) -> None:
    alice = device.account("alice")
    vault = device.deploy(alice, Vault)
    receipt = device.call(alice, vault, "boom")
    assert receipt.status == "reverted"
    assert receipt.error is not None
    assert receipt.error.startswith("ZeroDivisionError")
    assert "division" in receipt.error
    assert device.contract_at(vault).storage()["balances"] == {}


def test_storing_a_float_reverts(device: Device) -> None:
    alice = device.account("alice")
    vault = device.deploy(alice, Vault)
    receipt = device.call(alice, vault, "store_float", "k")
    assert receipt.status == "reverted"
    assert receipt.error is not None and "InvalidValue" in receipt.error
    assert "balances['k']" in receipt.error
    assert device.contract_at(vault).storage()["balances"] == {}


def test_unaffordable_value_in_another_asset_reverts(device: Device) -> None:
    alice = device.account("alice")
    receipt = device.call(alice, "bob", value={"USD": 5_000})
    assert receipt.status == "reverted"
    assert receipt.error is not None and receipt.error.startswith("InsufficientFunds")
    assert device.balance("alice", "USD") == 1_000
    assert device.balance("bob", "USD") == 1_000


def test_nested_call_revert_undoes_the_callees_writes(device: Device) -> None:
    alice = device.account("alice")
    callee = device.deploy(alice, Callee)
    caller = device.deploy(alice, Caller)
    receipt = device.call(alice, caller, "swallow", callee, "k")
    assert receipt.ok
    assert device.contract_at(callee).storage() == {"slots": {}}
    assert device.contract_at(caller).storage() == {"caught": 1, "marks": 1}


def test_caught_out_of_gas_never_charges_more_than_the_gas_limit(device: Device) -> None:
    alice = device.account("alice")
    callee = device.deploy(alice, Callee)
    caller = device.deploy(alice, Caller)
    before = device.balance("alice", "ETH")
    price = device.base_fee
    receipt = device.call(alice, caller, "swallow_hog", callee, gas_limit=100_000)
    assert receipt.gas_used <= 100_000
    assert before - device.balance("alice", "ETH") <= 100_000 * price


def test_caught_out_of_gas_cannot_make_a_balance_negative() -> None:
    device = make_device(check=False)
    alice = device.account("alice")
    callee = device.deploy(alice, Callee)
    caller = device.deploy(alice, Caller)
    poor = device.account("empty")
    device.call(alice, "empty", value={"ETH": 100_000 * 2 * device.base_fee})
    device.call(poor, caller, "swallow_hog", callee, gas_limit=100_000)
    checks.no_negative_balances(device)


# -- nonces ----------------------------------------------------------------------------
def test_replayed_nonce_rejected_at_submit(device: Device) -> None:
    alice = device.account("alice")
    tx = device.sign(alice, "bob", value={"ETH": 1})
    device.execute(tx)
    before = snapshot(device)
    with pytest.raises(BadNonce) as info:
        device.submit(tx)
    assert info.value.field == "nonce"
    assert "replayed" in str(info.value)
    with pytest.raises(BadNonce):
        device.execute(tx)
    assert snapshot(device) == before


def test_duplicate_submission_rejected(device: Device) -> None:
    alice = device.account("alice")
    tx = device.sign(alice, "bob", value={"ETH": 1})
    device.submit(tx)
    with pytest.raises(Rejected) as info:
        device.submit(tx)
    assert info.value.field == "hash"
    assert len(device.mempool) == 1


def test_out_of_order_nonce_rejected_by_execute(device: Device) -> None:
    alice = device.account("alice")
    tx = device.sign(alice, "bob", value={"ETH": 1}, nonce=1)
    before = snapshot(device)
    with pytest.raises(BadNonce, match="out of order") as info:
        device.execute(tx)
    assert info.value.field == "nonce"
    assert snapshot(device) == before


def test_gap_transactions_wait_until_the_gap_is_filled(device: Device) -> None:
    alice = device.account("alice")
    later = [device.sign(alice, "bob", value={"ETH": n}, nonce=n) for n in (1, 2)]
    for tx in later:
        device.submit(tx)
    block = device.build_block()
    assert block.transactions == ()
    assert len(device.mempool) == 2
    assert device.nonce("alice") == 0
    assert device.next_nonce("alice") == 0
    first = device.sign(alice, "bob", value={"ETH": 5})
    assert first.nonce == 0
    device.submit(first)
    assert device.next_nonce("alice") == 3
    block = device.build_block()
    assert [tx.nonce for tx in block.transactions] == [0, 1, 2]
    assert all(r.ok for r in block.receipts)
    assert device.nonce("alice") == 3
    assert len(device.mempool) == 0


def test_stale_transactions_are_pruned(device: Device) -> None:
    alice = device.account("alice")
    a = device.sign(alice, "bob", value={"ETH": 1}, priority_fee=10)
    b = device.sign(alice, "carol", value={"ETH": 1}, nonce=0)  # same nonce
    device.submit_bundle(Bundle((a,)), sender="alice")  # the mempool would refuse b's twin
    device.submit(b)
    block = device.build_block()
    assert len(block.transactions) == 1
    assert len(device.mempool) == 0  # the loser's nonce is used: pruned


# -- forged and altered transactions -----------------------------------------------------
def rehash(tx: Transaction) -> Transaction:
    """An altered transaction with a hash recomputed over its new contents."""
    return tx._replace(hash=transaction_hash(tx.content()))


ALTERATIONS: dict[str, Callable[[Transaction], Transaction]] = {
    "sender": lambda tx: tx._replace(sender="bob"),
    "nonce": lambda tx: tx._replace(nonce=tx.nonce + 1),
    "to": lambda tx: tx._replace(to="carol"),
    "method": lambda tx: tx._replace(method="x"),
    "args": lambda tx: tx._replace(args=(1,)),
    "value": lambda tx: tx._replace(value=(("ETH", 10**17),)),
    "gas_limit": lambda tx: tx._replace(gas_limit=tx.gas_limit + 1),
    "max_fee": lambda tx: tx._replace(max_fee=tx.max_fee + 1),
    "priority_fee": lambda tx: tx._replace(priority_fee=tx.priority_fee + 1),
    "hash": lambda tx: tx._replace(hash=bytes(32)),
    "signature": lambda tx: tx._replace(signature=bytes(16)),
    "rehashed": lambda tx: rehash(tx._replace(value=(("ETH", 10**17),))),
}


@pytest.mark.parametrize("field", sorted(ALTERATIONS))
@pytest.mark.parametrize("via", ["submit", "execute"])
def test_altered_transaction_is_refused(device: Device, field: str, via: str) -> None:
    alice = device.account("alice")
    tx = device.sign(alice, "bob", value={"ETH": 1})
    forged = ALTERATIONS[field](tx)
    assert forged != tx
    before = snapshot(device)
    with pytest.raises(BadSignature) as info:
        getattr(device, via)(forged)
    assert info.value.field == "signature"
    assert snapshot(device) == before


def test_signing_with_another_accounts_key_is_forgery(device: Device) -> None:
    mallory = device.account("bob")
    fake_alice = Account("alice", mallory.key)
    forged = device.sign(fake_alice, "bob", value={"ETH": 10**17})
    before = snapshot(device)
    with pytest.raises(BadSignature, match="forged"):
        device.submit(forged)
    with pytest.raises(BadSignature):
        device.execute(forged)
    assert snapshot(device) == before


def test_unknown_sender_is_refused(device: Device) -> None:
    ghost = Account("ghost", b"g" * 32)
    tx = ghost.sign(0, "bob", value={"ETH": 1}, max_fee=5_000)
    before = snapshot(device)
    with pytest.raises(UnknownAccount) as info:
        device.submit(tx)
    assert info.value.field == "sender"
    with pytest.raises(UnknownAccount):
        device.execute(tx)
    assert snapshot(device) == before


def test_keys_from_another_device_seed_do_not_sign_here(device: Device) -> None:
    other = make_device(seed=99)
    tx = other.sign(other.account("alice"), "bob", value={"ETH": 1})
    with pytest.raises(BadSignature):
        device.submit(tx)


# -- rejections change nothing ----------------------------------------------------------
def rejection_cases(
    device: Device, vault: str
) -> dict[str, tuple[Transaction, type[Rejected], str]]:
    alice, empty = device.account("alice"), device.account("empty")
    sign: Callable[..., Transaction] = device.sign
    return {
        "unfunded": (sign(empty, "bob", value={"ETH": 1}), Rejected, "sender"),
        "value beyond balance": (
            sign(alice, "bob", value={"ETH": 2 * ETH}),
            Rejected,
            "sender",
        ),
        "fee too low": (sign(alice, vault, "deposit", "x", 1, max_fee=1), FeeTooLow, "max_fee"),
        "tip above max": (
            sign(alice, vault, "deposit", "x", 1, max_fee=5_000, priority_fee=5_001),
            FeeTooLow,
            "priority_fee",
        ),
        "gas below intrinsic": (
            sign(alice, vault, "deposit", "x", 1, gas_limit=20_999),
            GasLimitTooLow,
            "gas_limit",
        ),
        "unknown contract": (sign(alice, "0xdead", "deposit"), UnknownContract, "to"),
        "unknown method": (sign(alice, vault, "steal"), UnknownMethod, "method"),
        "non-public method": (sign(alice, vault, "not_public"), UnknownMethod, "method"),
        "setup is not public": (sign(alice, vault, "setup"), UnknownMethod, "method"),
        "bad deploy path": (sign(alice, DEPLOY, "no.such.module:Thing"), UnknownMethod, "method"),
        "deploy non-contract": (sign(alice, DEPLOY, "builtins:dict"), UnknownMethod, "method"),
        "deploy malformed": (sign(alice, DEPLOY, "Vault"), UnknownMethod, "method"),
    }


CASES = [
    "unfunded",
    "value beyond balance",
    "fee too low",
    "tip above max",
    "gas below intrinsic",
    "unknown contract",
    "unknown method",
    "non-public method",
    "setup is not public",
    "bad deploy path",
    "deploy non-contract",
    "deploy malformed",
]


@pytest.mark.parametrize("case", CASES)
def test_rejections_name_the_field_and_change_nothing(case: str) -> None:
    device = make_device()
    vault = device.deploy(device.account("alice"), Vault)
    tx, error, field = rejection_cases(device, vault)[case]
    before = snapshot(device)
    with pytest.raises(error) as info:
        device.execute(tx)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")
    assert snapshot(device) == before
    assert device.nonce(tx.sender) == tx.nonce


def test_execute_rejects_gas_limit_above_the_block() -> None:
    device = make_device()
    tx = device.sign(device.account("alice"), "bob", value={"ETH": 1}, gas_limit=30_000_001)
    before = snapshot(device)
    try:
        with pytest.raises(GasLimitTooLow):
            device.execute(tx)
    finally:
        assert snapshot(device) == before


def test_unfunded_rejection_carries_the_shortfall(device: Device) -> None:
    tx = device.sign(device.account("empty"), "bob", value={"ETH": 1})
    with pytest.raises(Rejected) as info:
        device.execute(tx)
    cause = info.value.__cause__
    assert isinstance(cause, InsufficientFunds)
    assert cause.available == 0
    assert cause.needed == tx.gas_limit * device.base_fee + 1


def test_rejected_transactions_stay_pending_in_blocks(device: Device) -> None:
    device.call(device.account("alice"), "empty", value={"ETH": ETH // 100})
    device.submit(drain(device, "empty"))
    tx = device.sign(device.account("empty"), "bob", value={"ETH": 1})
    device.submit(tx)  # admitted alone; cannot pay once the drain has run
    block = device.build_block()
    assert tx not in block.transactions
    before = balances(device)
    assert tx.hash in device.mempool
    assert device.build_block().transactions == ()
    assert balances(device) == before
    device.call(device.account("alice"), "empty", value={"ETH": ETH // 10})
    block = device.build_block()
    assert block.transactions == (tx,)


def test_submit_rejects_impossible_gas_limits(device: Device) -> None:
    alice = device.account("alice")
    tx = device.sign(alice, "bob", value={"ETH": 1}, gas_limit=100)
    with pytest.raises(GasLimitTooLow):
        device.submit(tx)
    assert len(device.mempool) == 0


def test_non_canonical_args_never_reach_the_device(device: Device) -> None:
    alice = device.account("alice")
    vault = device.deploy(alice, Vault)
    for bad in (1.5, {"a": 1}, object()):
        with pytest.raises(InvalidValue) as info:
            device.call(alice, vault, "deposit", "x", bad)
        assert info.value.field == "args[1]"
    assert device.nonce("alice") == 1


def test_deploy_failure_raises_device_error(device: Device) -> None:
    with pytest.raises(DeviceError, match="failed"):
        device.deploy(device.account("alice"), Callee, "unexpected")


def test_call_helper_kwargs_reach_the_transaction(device: Device) -> None:
    alice = device.account("alice")
    kwargs: dict[str, Any] = {"gas_limit": 50_000, "max_fee": 4_000, "priority_fee": 7}
    tx = device.sign(alice, "bob", value={"ETH": 1}, **kwargs)
    assert (tx.gas_limit, tx.max_fee, tx.priority_fee) == (50_000, 4_000, 7)
    assert device.sign(alice, "bob", priority_fee=5).max_fee == 2 * device.base_fee + 5
