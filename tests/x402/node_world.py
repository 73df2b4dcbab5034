"""The x402 world of ``world.py`` with its device behind an in-process node.

The agents (payer, thief, other) hold their own keys in one :class:`RemoteDevice`; the
facilitator holds only the payee's, in another, and settles over JSON-RPC. The node's
genesis binds public keys only: it holds no private key of anyone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from accord.client import RemoteDevice
from accord.device import Account, AssetSpec, DeviceConfig, Genesis
from accord.node import Node, create_app, parse_config
from accord.x402 import Facilitator
from tests.x402.world import GENESIS_MS, OTHER, PAYEE, PAYER, THIEF, World, assemble, open_token

TOKEN = "x402-node-admin-token-0123"
PEOPLE = (PAYER, PAYEE, THIEF, OTHER)
KEYS = {n: bytes([0x60 + i]) * 32 for i, n in enumerate(PEOPLE)}
CONFIG = DeviceConfig(genesis_time_ms=GENESIS_MS)


@dataclass
class NodeWorld(World):
    node: Node | None = None
    agents: RemoteDevice | None = None
    """The payer's, the thief's and the other agent's keys (``device`` is this too)."""
    payee: RemoteDevice | None = None
    """The facilitator's: the payee's key only."""

    def fingerprint(self) -> tuple[Any, ...]:
        """Everything a refusal must leave alone, read on the node's own device."""
        assert self.node is not None
        d = self.node.device
        return (d.number, d.state_hash(), d.contract_at(self.token).storage(), len(d.mempool))

    def backed(self) -> None:
        assert self.node is not None
        storage = self.node.device.contract_at(self.token).storage()
        supply = storage.get("supply", 0)
        assert sum(storage.get("balances", {}).values()) == supply
        assert self.node.device.balance(self.token, "USD") == supply


def open_node(data_dir: Path, **node: Any) -> Node:
    genesis = Genesis(
        assets={
            "ETH": AssetSpec(issuer="treasury", alloc=dict.fromkeys(PEOPLE, 10**18)),
            "USD": AssetSpec(issuer="fed", alloc=dict.fromkeys((PAYER, THIEF), 1_000_000)),
        },
        public_keys={
            n: Account(n, k, "ed25519", CONFIG.chain_id).public_key.hex() for n, k in KEYS.items()
        },
    )
    config = parse_config(
        {
            "seed": 3,
            "node": {
                "data_dir": str(data_dir),
                "admin_token": TOKEN,
                "limits": {"ip_rate": 1e6, "ip_burst": 10**6, "key_rate": 1e6, "key_burst": 10**6},
                **node,
            },
            "device": CONFIG.model_dump(exclude={"receipts_roots"}),  # a node keeps them
            "genesis": genesis.model_dump(),
        }
    )
    return Node.open(config)


@contextlib.contextmanager
def node_world(
    data_dir: Path,
    *,
    route_status: int = 200,
    facilitator_token: str | None = TOKEN,
    produce: Any = None,
    **node_options: Any,
) -> Iterator[NodeWorld]:
    """A node, the agents' and the payee's clients, the token, the facilitator on the
    node and the resource server in front of it."""
    node = open_node(data_dir, **node_options)
    try:
        with TestClient(create_app(node)) as client:
            agents = RemoteDevice(
                client, keys={n: KEYS[n] for n in (PAYER, THIEF, OTHER)}, admin_token=TOKEN
            )
            payee = RemoteDevice(client, keys={PAYEE: KEYS[PAYEE]}, admin_token=facilitator_token)
            token = open_token(agents)
            kwargs = {} if produce is None else {"produce": produce}
            facilitator = Facilitator(payee, [token], [payee.account(PAYEE)], **kwargs)
            yield assemble(
                NodeWorld,
                agents,
                token,
                facilitator,
                route_status=route_status,
                node=node,
                agents=agents,
                payee=payee,
            )
    finally:
        node.close()
