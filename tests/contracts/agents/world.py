"""A device with the three ERC-8004 registries deployed, shared by the agents tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.contracts.agents import (
    IdentityRegistry,
    ReputationRegistry,
    ValidationRegistry,
    wallet_message,
)
from accord.device import Device, DeviceConfig, Receipt, checks
from accord.device.keys import Keyring
from tests.contracts.hostile_args import GAS, hostile_genesis

H0 = bytes(32)
"""The standard's "omitted" bytes32."""


def h(n: int) -> bytes:
    """A distinct bytes32 per ``n``."""
    return n.to_bytes(32, "big")


@dataclass
class World:
    device: Device
    identity: str
    reputation: str
    validation: str

    def call(self, who: str, to: str, method: str, *args: Any) -> Receipt:
        return self.device.call(self.device.account(who), to, method, *args, gas_limit=GAS)

    def ok(self, who: str, to: str, method: str, *args: Any) -> Any:
        receipt = self.call(who, to, method, *args)
        assert receipt.ok, receipt.error
        return receipt.result

    def refused(self, who: str, to: str, method: str, *args: Any) -> str:
        """The revert reason of a call that must fail (and changes no storage)."""
        before = {a: self.device.contract_at(a).storage() for a in self.addresses}
        receipt = self.call(who, to, method, *args)
        assert not receipt.ok, f"{method} succeeded: {receipt.result!r}"
        after = {a: self.device.contract_at(a).storage() for a in self.addresses}
        assert after == before
        return receipt.error or ""

    def view(self, to: str, method: str, *args: Any) -> Any:
        return self.device.view(to, method, *args)

    @property
    def addresses(self) -> tuple[str, str, str]:
        return (self.identity, self.reputation, self.validation)

    def wallet_signature(
        self, signer: str, agent: int, wallet: str, owner: str, deadline: int, nonce: int = 0
    ) -> bytes:
        message = wallet_message(self.identity, agent, wallet, owner, deadline, nonce)
        return self.device.account(signer).sign_message(message)


def make_world(keyring: Keyring | None = None, **config: Any) -> World:
    device = Device(DeviceConfig(**config), hostile_genesis(), seed=11, keyring=keyring)
    checks.check_every_block(device)
    deployer = device.account("alice")
    identity = device.deploy(deployer, IdentityRegistry)
    reputation = device.deploy(deployer, ReputationRegistry, identity)
    validation = device.deploy(deployer, ValidationRegistry, identity)
    return World(device, identity, reputation, validation)
