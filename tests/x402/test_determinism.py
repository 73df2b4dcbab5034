"""Determinism: the same calls give the same state; money is conserved.

A signature is calldata. A ``bytes`` argument pays the non-zero price for every byte
(``accord.device.gas``), so the settlement's gas does not depend on how many zero bytes
the payee's signature happens to have: fresh keys give the same state hash as the same
keys, block by block.
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


def test_fresh_keys_give_the_same_state_hash_every_block() -> None:
    a, b = run(Keyring()), run(Keyring())
    assert a.device.public_key(PAYEE) != b.device.public_key(PAYEE)
    assert a.device.contract_at(a.token).storage() == b.device.contract_at(b.token).storage()
    assert a.tokens(PAYER) == b.tokens(PAYER) == 500_000 - 3 * PRICE
    assert a.tokens(OTHER) == PRICE
    assert a.device.ledger.balances == b.device.ledger.balances
    assert [h.state_hash for h in a.device.headers] == [h.state_hash for h in b.device.headers]


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
