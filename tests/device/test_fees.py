"""EIP-1559 base-fee rule (exact integers) and the two fee markets on a real device."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.device import gas
from accord.device.fees import FeeMarket, next_base_fee
from tests.device.conftest import make_device
from tests.device.sample_contracts import Vault


@pytest.mark.parametrize(
    ("base", "used", "target", "expected"),
    [
        (1_000_000_000, 30_000_000, 15_000_000, 1_125_000_000),  # full block: +1/8
        (1_000_000_000, 0, 15_000_000, 875_000_000),  # empty block: -1/8
        (1_000_000_000, 15_000_000, 15_000_000, 1_000_000_000),  # at target
        (7, 15_000_001, 15_000_000, 8),  # rounding to 0 lifts to the +1 minimum
        (7, 0, 15_000_000, 7),  # 7 // 8 == 0: no decrease
        (8, 0, 15_000_000, 7),
        (100, 20_000_000, 15_000_000, 104),  # 100*5M//15M = 33, //8 = 4
        (100, 10_000_000, 15_000_000, 96),
        (0, 30_000_000, 15_000_000, 1),  # zero base fee still rises by the minimum
        (0, 0, 15_000_000, 0),
        (1_000, 73_000, 15_000_000, 876),  # 1000*14_927_000//15M = 995, //8 = 124
    ],
)
def test_next_base_fee_exact(base: int, used: int, target: int, expected: int) -> None:
    assert next_base_fee(base, used, target) == expected


@pytest.mark.parametrize("target", [0, -1])
def test_next_base_fee_rejects_bad_target(target: int) -> None:
    with pytest.raises(ValueError, match="parent_gas_target"):
        next_base_fee(1_000, 10, target)


@pytest.mark.parametrize(("base", "used"), [(-1, 0), (10, -5)])
def test_next_base_fee_rejects_negatives(base: int, used: int) -> None:
    with pytest.raises(ValueError):
        next_base_fee(base, used, 15_000_000)


@settings(max_examples=50, deadline=None)
@given(
    base=st.integers(0, 10**15),
    used=st.integers(0, 30_000_000),
    target=st.integers(1, 15_000_000),
)
def test_next_base_fee_moves_at_most_an_eighth(base: int, used: int, target: int) -> None:
    new = next_base_fee(base, used, target)
    if used > target:
        assert base < new <= base + max(base * (used - target) // target // 8, 1)
    elif used < target:
        assert base - base // 8 <= new <= base
    else:
        assert new == base


def test_fee_market_kinds() -> None:
    eip = FeeMarket("eip1559")
    assert eip.base_fee_after(1_000, 30_000_000, 30_000_000) == 1_125  # target = limit // 2
    assert eip.base_fee_after(1_000, 15_000_000, 30_000_000) == 1_000
    assert eip.tip_per_gas(max_fee=2_000, priority_fee=5, base_fee=1_000) == 5
    assert eip.tip_per_gas(max_fee=1_003, priority_fee=5, base_fee=1_000) == 3  # capped
    first = FeeMarket("first_price")
    assert first.base_fee_after(1_000, 30_000_000, 30_000_000) == 0
    assert first.tip_per_gas(max_fee=7, priority_fee=0, base_fee=0) == 7


def test_device_base_fee_follows_eip1559_each_block() -> None:
    device = make_device(initial_base_fee=1_000_000)
    alice = device.account("alice")
    fees = [device.base_fee]
    device.deploy(alice, Vault)
    for _ in range(3):
        prev = device.base_fee
        block = device.build_block()  # empty
        assert block.header.base_fee == prev
        assert device.base_fee == next_base_fee(prev, 0, 15_000_000)
        fees.append(device.base_fee)
    assert fees[1:] == sorted(fees[1:], reverse=True)
    assert fees[-1] < fees[0]


def test_device_base_fee_rises_on_full_blocks() -> None:
    device = make_device(initial_base_fee=1_000, block_gas_limit=100_000)
    alice = device.account("alice")
    # a transfer: intrinsic gas (21,000 + EIP-2028 calldata) and one ledger op
    one = gas.intrinsic_gas("", (), (("ETH", 1),)) + gas.LEDGER_OP
    assert one < 50_000 < 2 * one
    receipt = device.call(alice, "bob", value={"ETH": 1}, gas_limit=one)
    assert receipt.gas_used == one  # below the 50_000 target: the fee falls
    fee = next_base_fee(1_000, one, 50_000)
    assert device.base_fee == fee < 1_000
    a = device.sign(alice, "bob", value={"ETH": 1}, gas_limit=one)
    b = device.sign(alice, "carol", value={"ETH": 1}, gas_limit=one, nonce=a.nonce + 1)
    device.submit(a)
    device.submit(b)
    block = device.build_block()
    assert block.header.gas_used == 2 * one > 50_000
    assert device.base_fee == next_base_fee(fee, 2 * one, 50_000) > fee


def test_first_price_has_no_base_fee_and_pays_builder_max_fee() -> None:
    device = make_device(fee_market="first_price")
    assert device.base_fee == 0
    alice = device.account("alice")
    supply = device.supply("ETH")
    builder_before = device.balance("builder", "ETH")
    alice_before = device.balance("alice", "ETH")
    receipt = device.call(alice, "bob", value={"ETH": 10}, max_fee=7)
    assert receipt.ok
    assert receipt.gas_used == gas.intrinsic_gas("", (), (("ETH", 10),)) + gas.LEDGER_OP
    assert receipt.fee_paid == receipt.tip_paid == 7 * receipt.gas_used
    assert device.balance("builder", "ETH") - builder_before == 7 * receipt.gas_used
    assert alice_before - device.balance("alice", "ETH") == 7 * receipt.gas_used + 10
    assert device.supply("ETH") == supply  # nothing burned
    assert device.base_fee == 0
    device.build_blocks(2)
    assert device.base_fee == 0
    assert device.head.base_fee == 0
