"""Contracts on a device: public methods, deployment, context, nested calls, events."""

from __future__ import annotations

import pytest

from accord.device import Device, DeviceError, Revert, gas
from accord.device.contract import Contract, public
from accord.device.execution import contract_address
from tests.device.conftest import intrinsic, make_device
from tests.device.sample_contracts import (
    Callee,
    Caller,
    CallMarket,
    Escrow,
    Tally,
    Thief,
    Token,
    Vault,
)


def test_public_and_batch_registration() -> None:
    assert {"deposit", "move", "boom", "withdraw"} <= Vault._public
    assert "not_public" not in Vault._public
    assert "setup" not in Vault._public
    assert "storage" not in Vault._public
    assert Vault._batch == frozenset()
    assert CallMarket._batch == frozenset({"order"})
    assert "halt" in CallMarket._public
    assert Tally._batch == frozenset({"bump"})
    assert set(Vault._maps) == {"balances"}
    assert Vault._var_names == {"owner", "deposits"}


def test_subclasses_inherit_storage_and_entry_points() -> None:
    class BigVault(Vault):
        label = "big"  # a plain class attribute is not storage

        @public
        def more(self, ctx: object) -> None:
            pass

    assert {"deposit", "more"} <= BigVault._public
    assert set(BigVault._maps) == {"balances"}
    assert "more" not in Vault._public


def test_class_path() -> None:
    assert Vault.class_path() == "tests.device.sample_contracts:Vault"


def test_deploy_address_and_setup(device: Device) -> None:
    alice = device.account("alice")
    nonce = device.nonce("alice")
    address = device.deploy(alice, Vault)
    assert address == contract_address("alice", nonce)
    assert address.startswith("0x") and len(address) == 42
    vault = device.contract_at(address)
    assert isinstance(vault, Vault)
    assert vault.owner == "alice"
    assert vault.address == address
    again = device.deploy(alice, Vault)
    assert again != address


def test_deploy_gas(device: Device) -> None:
    alice = device.account("alice")
    receipt = device.call(alice, "", Vault.class_path(), gas_limit=2_000_000)
    assert receipt.ok
    # intrinsic + create + owner slot written from its default
    assert receipt.gas_used == intrinsic(device, receipt) + gas.DEPLOY + gas.WRITE_NEW
    assert receipt.contract_address is not None


def test_default_setup_refuses_arguments(device: Device) -> None:
    alice = device.account("alice")
    with pytest.raises(DeviceError, match="takes no constructor arguments"):
        device.deploy(alice, Callee, 1)
    assert list(device.contracts) == ["commitments"]  # only the genesis registry


def test_setup_with_arguments_creates_asset(device: Device) -> None:
    alice = device.account("alice")
    address = device.deploy(alice, Token, "GOLD")
    assert device.ledger.issuers["GOLD"] == address
    assert device.call(alice, address, "mint", "bob", 50).ok
    assert device.balance("bob", "GOLD") == 50
    assert device.supply("GOLD") == 50
    bob = device.account("bob")
    receipt = device.call(bob, address, "mint", "bob", 50)
    assert receipt.status == "reverted" and receipt.error == "only owner"
    assert device.supply("GOLD") == 50


def test_contract_cannot_mint_what_it_does_not_issue(device: Device) -> None:
    alice = device.account("alice")
    token = device.deploy(alice, Token, "GOLD")
    receipt = device.call(alice, token, "mint_other", "ETH", "alice", 10**6)
    assert receipt.status == "reverted"
    assert receipt.error is not None and receipt.error.startswith("NotIssuer")
    assert device.balance(token, "GOLD") == 0


def test_contract_burns_its_own_holdings(device: Device) -> None:
    alice = device.account("alice")
    token = device.deploy(alice, Token, "GOLD")
    device.call(alice, token, "mint", token, 30)
    assert device.call(alice, token, "burn_own", 10).ok
    assert device.balance(token, "GOLD") == 20
    assert device.supply("GOLD") == 20


def test_context_value_and_transfer(device: Device) -> None:
    alice = device.account("alice")
    vault = device.deploy(alice, Vault)
    receipt = device.call(alice, vault, "pay_in", value={"ETH": 500})
    assert receipt.ok and receipt.result == 500
    assert device.balance(vault, "ETH") == 500
    assert device.contract_at(vault).storage()["balances"] == {"alice": 500}
    before = device.balance("alice", "ETH")
    receipt = device.call(alice, vault, "withdraw", 200)
    assert receipt.ok
    assert device.balance(vault, "ETH") == 300
    assert device.balance("alice", "ETH") == before + 200 - receipt.fee_paid


def test_events_kept_on_success_only(device: Device) -> None:
    alice = device.account("alice")
    vault = device.deploy(alice, Vault)
    ok = device.call(alice, vault, "deposit_logged", "x", 3)
    assert len(ok.events) == 1
    event = ok.events[0]
    assert (event.address, event.name, event.as_dict()) == (
        vault,
        "Deposit",
        {"amount": 3, "who": "x"},
    )
    # LOG's per-byte charge: the name's 7 bytes and the data's marshal encoding,
    # ("(" + 4) + ("(" + 4 + "amount" 11 + 3 as "i" + 4) + ("(" + 4 + "who" 8 + "x" 6) = 45
    event_bytes = len("Deposit") + 45
    assert ok.gas_used == (
        intrinsic(device, ok) + gas.READ + gas.WRITE_NEW + gas.EVENT + gas.EVENT_BYTE * event_bytes
    )
    bad = device.call(alice, vault, "deposit_then_revert", "x", 3)
    assert bad.status == "reverted"
    assert bad.events == ()


def test_nested_call_sender_origin_and_result(device: Device) -> None:
    alice = device.account("alice")
    callee = device.deploy(alice, Callee)
    caller = device.deploy(alice, Caller)
    receipt = device.call(alice, caller, "forward", callee, "k", 21)
    assert receipt.ok
    assert device.contract_at(caller).storage() == {"marks": 1, "result": 42}
    assert device.contract_at(callee).storage() == {
        "last_origin": "alice",
        "last_sender": caller,
        "slots": {"k": 21},
    }


def test_nested_revert_undoes_only_the_callee(device: Device) -> None:
    alice = device.account("alice")
    callee = device.deploy(alice, Callee)
    caller = device.deploy(alice, Caller)
    receipt = device.call(alice, caller, "swallow", callee, "k")
    assert receipt.ok
    assert receipt.events == ()  # the callee's event went with its revert
    assert device.contract_at(callee).storage() == {"slots": {}}
    assert device.contract_at(caller).storage() == {"caught": 1, "marks": 1}


def test_nested_revert_propagates_and_undoes_both(device: Device) -> None:
    alice = device.account("alice")
    callee = device.deploy(alice, Callee)
    caller = device.deploy(alice, Caller)
    receipt = device.call(alice, caller, "propagate", callee, "k")
    assert receipt.status == "reverted"
    assert receipt.error == "callee says no"
    assert device.contract_at(callee).storage() == {"slots": {}}
    assert device.contract_at(caller).storage() == {}


def test_nested_call_to_non_public_method_reverts(device: Device) -> None:
    alice = device.account("alice")
    market = device.deploy(alice, CallMarket)
    caller = device.deploy(alice, Caller)
    receipt = device.call(alice, caller, "call_private", market)
    assert receipt.status == "reverted"
    assert receipt.error is not None and "UnknownMethod" in receipt.error


def test_escrow_locks_only_the_callers_funds(device: Device) -> None:
    alice = device.account("alice")
    escrow = device.deploy(alice, Escrow)
    assert device.call(alice, escrow, "deposit", "USD", 300).ok
    assert device.locked("alice", "USD", escrow) == 300
    assert device.balance("alice", "USD") == 700
    assert device.call(alice, escrow, "pay", "USD", 100, "bob").ok
    assert device.balance("bob", "USD") == 1_100
    assert device.call(alice, escrow, "refund", "USD", 50).ok
    assert device.balance("alice", "USD") == 750
    assert device.locked("alice", "USD", escrow) == 150
    assert device.contract_at(escrow).storage()["held"] == {("alice", "USD"): 150}


def test_a_contract_cannot_release_another_holders_lock(device: Device) -> None:
    alice, mallory = device.account("alice"), device.account("bob")
    escrow = device.deploy(alice, Escrow)
    thief = device.deploy(mallory, Escrow)
    device.call(alice, escrow, "deposit", "USD", 300)
    receipt = device.call(mallory, thief, "steal", "alice", "USD", 300)
    assert receipt.status == "reverted"
    assert receipt.error is not None and receipt.error.startswith("NotHolder")
    assert device.locked("alice", "USD", escrow) == 300
    assert device.balance("bob", "USD") == 1_000


def test_undeclared_attribute_in_a_call_reverts(device: Device) -> None:
    alice = device.account("alice")
    vault = device.deploy(alice, Vault)
    receipt = device.call(alice, vault, "set_undeclared")
    assert receipt.status == "reverted"
    assert receipt.error is not None and receipt.error.startswith("AttributeError")


def test_direct_settle_batch_default_runs_calls_in_order() -> None:
    # Contract.settle_batch's default is a plain loop; exercised fully in test_batch.py.
    assert Contract.settle_batch is Tally.settle_batch


def test_revert_default_reason() -> None:
    assert Revert().reason == "reverted"
    assert str(Revert("x")) == "x"


def test_a_context_is_read_only_so_a_contract_cannot_pose_as_another_caller() -> None:
    device = make_device()
    mallory, bob = device.account("carol"), "bob"
    thief = device.deploy(mallory, Thief)
    before = device.balance(bob, "USD")
    receipt = device.call(mallory, thief, "steal_from", bob, "USD", 100)
    assert receipt.status == "reverted"
    assert receipt.error == "AttributeError: Context is read-only: cannot set 'sender'"
    assert device.balance(bob, "USD") == before
    assert device.locked(bob, "USD", thief) == 0


def test_calls_in_one_block_see_their_own_facts() -> None:
    device = make_device()
    alice, bob = device.account("alice"), device.account("bob")
    thief = device.deploy(alice, Thief)
    for account, tag in ((alice, "a1"), (bob, "b1"), (alice, "a2")):
        device.submit(device.sign(account, thief, "note", tag))
    block = device.build_block()
    assert all(r.ok for r in block.receipts)
    seen = device.contract_at(thief).storage()["seen"]
    stamp = (block.number, block.header.timestamp)
    assert seen == {
        "a1": ("alice", "alice", thief, *stamp),
        "b1": ("bob", "bob", thief, *stamp),
        "a2": ("alice", "alice", thief, *stamp),
    }
