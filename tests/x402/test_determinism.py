"""Determinism: the same calls give the same state; money is conserved.

A signature is calldata, so the settlement's gas, and with it the payee's fee and the
state hash, depend on the signature's bytes (``docs/contracts/erc8004.md``, "A finding
about determinism"). So: the same keys give the same state hash, block by block; fresh
keys give the same token storage and the same balances of everything but the fee asset,
and fees that differ by at most the calldata price of the signature's bytes.
"""

from __future__ import annotations

from typing import Any

from accord.device import checks
from accord.device.keys import Keyring
from accord.x402 import device_clock
from tests.x402.world import OTHER, PAYEE, PAYER, PRICE, THIEF, World, make_world

SECRET = bytes(range(32))


def scripted(world: World) -> list[Any]:
    """Three paid calls, a refused one, a transfer of the earnings."""
    client = world.client()
    codes = [client.request("GET", "/quote").response.status_code for _ in range(3)]
    codes.append(world.pay(world.payload(signer=THIEF)).status_code)
    device = world.device
    device.call(device.account(PAYEE), world.token, "transfer", OTHER, PRICE)
    return codes


def run(keyring: Keyring) -> World:
    world = make_world(keyring)
    assert scripted(world) == [200, 200, 200, 402]
    return world


def test_same_keys_same_calls_same_state_hash_every_block() -> None:
    a, b = run(Keyring(SECRET)), run(Keyring(SECRET))
    assert [h.state_hash for h in a.device.headers] == [h.state_hash for h in b.device.headers]
    assert a.device.state_hash() == b.device.state_hash()
    checks.replay_equality(a.device)
    checks.state_hash_matches(a.device)


def test_fresh_keys_change_only_the_fee_by_the_signatures_calldata() -> None:
    a, b = run(Keyring()), run(Keyring())
    assert a.device.contract_at(a.token).storage() == b.device.contract_at(b.token).storage()
    assert a.tokens(PAYER) == b.tokens(PAYER) == 500_000 - 3 * PRICE
    assert a.tokens(OTHER) == PRICE
    ledger_a = {k: v for k, v in a.device.ledger.balances.items() if k[1] != "ETH"}
    ledger_b = {k: v for k, v in b.device.ledger.balances.items() if k[1] != "ETH"}
    assert ledger_a == ledger_b
    assert a.eth(PAYER) == b.eth(PAYER)  # the payer pays no gas, whatever its key
    # 3 settlements x 64 signature bytes x (16 - 4) gas x the price per gas, at most
    price = max(r.fee_paid // r.gas_used for blk in a.device.blocks for r in blk.receipts)
    assert abs(a.eth(PAYEE) - b.eth(PAYEE)) <= 3 * 64 * 12 * price


def test_money_is_conserved_through_every_block() -> None:
    world = make_world()
    supply = world.device.supply("USD")
    scripted(world)
    checks.block_invariants(world.device)
    assert world.device.supply("USD") == supply
    usd = sum(v for (_, asset), v in world.device.ledger.balances.items() if asset == "USD")
    assert usd == supply
    world.backed()
    assert device_clock(world.device)() == world.device.now // 1000
