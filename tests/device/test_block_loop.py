"""The executor's block loop: each transaction runs with its own sender, target, method
and value, whatever the transactions before it were (the loop keeps the previous
transaction's lookups and reuses them only for an identical sender, target and method)."""

from __future__ import annotations

from accord.device import Device
from accord.device.block import Receipt
from tests.device.conftest import ETH, drain, make_device
from tests.device.sample_contracts import Callee, Vault


def _block_of(device: Device, signed: list[tuple[str, str, str, tuple[object, ...], int]]) -> None:
    """Submit ``(sender, to, method, args, eth_value)`` transactions in order (fcfs)."""
    for sender, to, method, args, eth in signed:
        account = device.account(sender)
        value = {"ETH": eth} if eth else None
        device.submit(device.sign(account, to, method, *args, value=value))


def _results(device: Device) -> list[tuple[str, object]]:
    receipts: tuple[Receipt, ...] = device.blocks[-1].receipts
    return [(r.status, r.result) for r in receipts]


def test_consecutive_calls_each_see_their_own_sender_method_and_value() -> None:
    device = make_device(ordering="fcfs")
    alice = device.account("alice")
    vault = device.deploy(alice, Vault)
    callee = device.deploy(alice, Callee)
    carol_eth = device.balance("carol", "ETH")
    device.call(alice, "empty", value={"ETH": ETH // 100})
    _block_of(
        device,
        [
            ("alice", vault, "credit_me", (1,), 0),
            ("alice", vault, "credit_me", (2,), 0),  # same sender, target, method
            ("dave", vault, "no_such_method", (), 0),  # rejected: dropped
            ("bob", vault, "credit_me", (4,), 0),  # same target and method, other sender
        ],
    )
    device.submit(drain(device, "empty"))  # all of empty's ETH but the exact fee
    _block_of(
        device,
        [
            ("empty", vault, "credit_me", (5,), 0),  # admitted, cannot pay now: skipped
            ("bob", vault, "credit_me", (8,), 3),  # with value: its own context
            ("bob", vault, "credit_me", (16,), 0),  # without value again
            ("alice", "carol", "", (), 7),  # a plain transfer in between
            ("alice", callee, "put", ("k", 9), 0),  # another contract
            ("alice", vault, "credit_me", (32,), 0),
            ("carol", vault, "deposit", ("c", 64), 0),  # same target, other method
            ("carol", vault, "credit_me", (128,), 0),
        ],
    )
    block = device.build_block()
    assert _results(device) == [
        ("success", ("alice", 0)),
        ("success", ("alice", 0)),
        ("success", ("bob", 0)),
        ("success", None),  # empty's drain
        ("success", ("bob", 3)),
        ("success", ("bob", 0)),
        ("success", None),
        ("success", 18),  # Callee.put returns twice the value
        ("success", ("alice", 0)),
        ("success", None),
        ("success", ("carol", 0)),
    ]
    assert [(s.field, s.dropped) for s in block.skipped] == [("method", True), ("sender", False)]
    assert device.contract_at(vault).storage()["balances"] == {
        "alice": 1 + 2 + 32,
        "bob": 4 + 8 + 16,
        "c": 64,
        "carol": 128,
    }
    assert device.balance(vault, "ETH") == 3
    assert device.contract_at(callee).storage()["last_sender"] == "alice"
    carol_fees = sum(r.fee_paid for r in block.receipts[-2:])
    assert device.balance("carol", "ETH") == carol_eth + 7 - carol_fees
