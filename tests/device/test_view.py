"""Device.view: a static call that leaves no trace; next_nonce sees pending bundles."""

from __future__ import annotations

import pytest

from accord.device import Bundle, Device, Revert, UnknownMethod
from tests.device.sample_contracts import Callee, Vault


def test_view_returns_the_result_and_writes_nothing(device: Device) -> None:
    alice = device.account("alice")
    callee = device.deploy(alice, Callee)
    number, digest = device.number, device.state_hash()
    assert device.view(callee, "put", "k", 21, sender="alice") == 42
    assert device.number == number and device.state_hash() == digest
    assert device.contract_at(callee).storage()["slots"] == {}
    assert device.nonce("alice") == 1  # only the deployment


def test_view_reverts_and_unknown_methods_raise(device: Device) -> None:
    alice = device.account("alice")
    vault = device.deploy(alice, Vault)
    digest = device.state_hash()
    with pytest.raises(Revert):
        device.view(vault, "deposit_then_revert", "bob", 5)
    with pytest.raises(UnknownMethod):
        device.view(vault, "not_public")
    assert device.state_hash() == digest


def test_next_nonce_skips_nonces_held_by_a_pending_bundle(device: Device) -> None:
    alice = device.account("alice")
    first = device.sign(alice, "bob", value={"ETH": 1})
    second = device.sign(alice, "bob", value={"ETH": 1}, nonce=first.nonce + 1)
    device.submit_bundle(Bundle((first, second)), sender="alice")
    assert device.next_nonce("alice") == first.nonce + 2
