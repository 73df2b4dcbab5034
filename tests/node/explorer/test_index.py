"""The explorer's index: what it records as blocks seal, and that indexing touches
nothing of the device (not even its gas meter)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from accord.client import RemoteDevice
from accord.node import Node, create_app
from accord.node.explorer import ExplorerIndex, index_of
from tests.node.conftest import TOKEN
from tests.node.explorer.chain import Chain, explorer_config, populate, signers


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, Chain]]:
    keys = signers()
    node = Node.open(explorer_config(tmp_path_factory.mktemp("index") / "data", keys))
    with TestClient(create_app(node)) as client:
        remote = RemoteDevice(
            client, keys={n: s.private_key for n, s in keys.items()}, admin_token=TOKEN
        )
        yield node, populate(remote)
    node.close()


def test_what_the_index_holds(built: tuple[Node, Chain]) -> None:
    node, chain = built
    index = index_of(node)
    assert index in node.watchers and index_of(node) is index  # one per node
    assert [a for a, _ in index.contracts] == list(node.device.contracts)
    assert index.identities == [chain.identity]
    assert index.reputations == {chain.identity: [chain.reputation]}
    assert index.validations == {chain.identity: [chain.validation]}
    assert [(o.id, o.status) for o in index.fired] == [(chain.fired, "settled")]
    assert [(o.id, o.status) for o in index.expired] == [(chain.expired, "expired")]
    assert set(index.posted) == {chain.fired, chain.expired, chain.pending}
    included = sum(len(b.transactions) for b in node.device.blocks)
    assert sum(len(v) for v in index.by_sender.values()) == included == len(node.block_of)
    assert index.by_sender["alice"][0] == chain.transfer


def test_indexing_changes_nothing_in_the_device(built: tuple[Node, Chain]) -> None:
    node, _ = built
    device = node.device
    meter = device.ledger.meter
    before = (device.state_hash(), meter.used, meter.limit, len(device.ledger.journal))
    fresh = ExplorerIndex(node)  # indexes the whole chain again, registries included
    fresh.block(device.blocks[-1])
    assert len(fresh.identities) == 1
    assert (device.state_hash(), meter.used, meter.limit, len(device.ledger.journal)) == before
