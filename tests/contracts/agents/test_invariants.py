"""Determinism (the same calls give the same state hash, whatever the keys) and
conservation (no registry method moves money: only fees leave the callers), and the
bounds that keep one call's work bounded."""

from __future__ import annotations

from accord.contracts.agents import IdentityRegistry, ReputationRegistry, ValidationRegistry
from accord.contracts.agents.limits import MAX_LIST
from accord.device import AssetSpec, Device, DeviceConfig, Genesis
from accord.device.keys import Keyring
from tests.contracts.agents.scenario import play
from tests.contracts.agents.world import H0, make_world
from tests.contracts.hostile_args import ASSETS, FEE, START, USERS


def test_same_calls_give_the_same_state_hash() -> None:
    keys = Keyring()
    first, second = make_world(keys), make_world(keys)
    assert play(first) == play(second)
    assert first.device.state_hash() == second.device.state_hash()
    assert first.device.head == second.device.head


def test_fresh_keys_give_the_same_gas_and_the_same_state_hash() -> None:
    """The wallet signature is calldata; a ``bytes`` argument pays the non-zero price
    for every byte (``accord.device.gas``), so its chance zero bytes do not move the gas.
    With other keys, every call costs the same gas, and the registries, the balances and
    the state hash are the same."""
    first, second = make_world(), make_world()
    assert first.device.public_key("carol") != second.device.public_key("carol")
    assert play(first) == play(second)
    for a, b in zip(first.addresses, second.addresses, strict=True):
        assert first.device.contract_at(a).storage() == second.device.contract_at(b).storage()
    assert first.device.ledger.balances == second.device.ledger.balances
    assert first.device.state_hash() == second.device.state_hash()


def test_no_registry_method_moves_money() -> None:
    w = make_world()
    supply = {asset: w.device.supply(asset) for asset in ASSETS}
    fee_before = {u: w.device.balance(u, FEE) for u in USERS}
    play(w)
    for user in USERS:
        for asset in ASSETS:
            assert w.device.balance(user, asset) == START
        assert w.device.balance(user, FEE) <= fee_before[user]  # fees only
    assert {asset: w.device.supply(asset) for asset in ASSETS} == supply
    for registry in w.addresses:
        assert all(w.device.balance(registry, a) == 0 for a in (*ASSETS, FEE))
    receipt = w.device.call(
        w.device.account("bob"), w.identity, "register", "", (), value={"USD": 5}
    )
    assert not receipt.ok and "take no value" in (receipt.error or "")
    assert w.device.balance("bob", "USD") == START


def test_a_summary_is_bounded_by_its_list_and_charged_per_feedback() -> None:
    w = make_world()
    w.ok("alice", w.identity, "register", "", ())
    clients = tuple(f"c{i}" for i in range(MAX_LIST + 1))
    reason = w.refused("bob", w.reputation, "getSummary", 0, clients, "", "")
    assert f"names {MAX_LIST + 1} addresses, at most {MAX_LIST}" in reason

    def summary_gas() -> int:
        receipt = w.call("carol", w.reputation, "getSummary", 0, ("bob",), "", "")
        assert receipt.ok
        return receipt.gas_used

    w.ok("bob", w.reputation, "giveFeedback", 0, 1, 0, "", "", "", "", H0)
    one = summary_gas()
    for _ in range(9):
        w.ok("bob", w.reputation, "giveFeedback", 0, 1, 0, "", "", "", "", H0)
    ten = summary_gas()
    assert ten - one == 9 * 2_100  # one READ per further feedback walked
    assert w.view(w.reputation, "getSummary", 0, ("bob",), "", "") == (10, 1, 0)


def test_the_default_allowlist_admits_the_registries() -> None:
    """A genesis that names no contract modules deploys them (``accord.contracts`` is
    the default allowlist, and the package is under it)."""
    genesis = Genesis(assets={FEE: AssetSpec(issuer="treasury", alloc={"alice": 10**18})})
    assert genesis.contract_modules == ("accord.contracts",)
    device = Device(DeviceConfig(), genesis, seed=1)
    identity = device.deploy(device.account("alice"), IdentityRegistry)
    device.deploy(device.account("alice"), ReputationRegistry, identity)
    device.deploy(device.account("alice"), ValidationRegistry, identity)
    receipt = device.call(device.account("alice"), identity, "register", "ipfs://a", ())
    assert receipt.ok and receipt.result == 0
