"""Shared fixtures of the node tests: agents' own keys, a config, an in-process node."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from accord.node import Node, NodeConfig, Signer, create_app, parse_config

CHAIN_ID = 7
ETH = 10**18
TOKEN = "s3cret-admin-token-0123456789"


class FakeClock:
    """A clock the rate-limit tests move by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make_signers(chain_id: int = CHAIN_ID) -> dict[str, Signer]:
    """alice, bob and carol, each with a key only the test holds."""
    return {n: Signer.generate(n, chain_id=chain_id) for n in ("alice", "bob", "carol")}


def make_config(data_dir: Path, signers: dict[str, Signer], **node: Any) -> NodeConfig:
    section: dict[str, Any] = {"data_dir": str(data_dir), "admin_token": TOKEN, **node}
    return parse_config(
        {
            "seed": 3,
            "node": section,
            "device": {"chain_id": CHAIN_ID},
            "genesis": {
                "public_keys": {n: s.public_key.hex() for n, s in signers.items()},
                "assets": {
                    "ETH": {"issuer": "treasury", "alloc": {"alice": ETH, "bob": ETH}},
                    "USD": {"issuer": "fed", "alloc": {"alice": 1_000}},
                },
            },
        }
    )


class Rpc:
    """A JSON-RPC caller over a Starlette TestClient."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.next_id = 0

    def raw(self, payload: Any) -> Any:
        response = self.client.post("/", json=payload)
        assert response.status_code == 200, response.text
        return response.json()

    def call(self, method: str, params: Any = None) -> Any:
        """The result, or the error object (a dict with ``code``) when there is one."""
        self.next_id += 1
        request: dict[str, Any] = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            request["params"] = params
        answer = self.raw(request)
        assert answer["id"] == self.next_id
        return answer["error"] if "error" in answer else answer["result"]

    def block(self) -> dict[str, Any]:
        response = self.client.post("/admin/block", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


@pytest.fixture
def signers() -> dict[str, Signer]:
    return make_signers()


@pytest.fixture
def config(tmp_path: Path, signers: dict[str, Signer]) -> NodeConfig:
    return make_config(tmp_path / "data", signers)


@pytest.fixture
def node(config: NodeConfig) -> Iterator[Node]:
    opened = Node.open(config)
    yield opened
    opened.close()


@pytest.fixture
def rpc(node: Node) -> Iterator[Rpc]:
    with TestClient(create_app(node)) as client:
        yield Rpc(client)
