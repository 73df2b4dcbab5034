"""One real game run both ways: the social dilemma scenario (scripted players, formal
contracts on the device) played embedded and through an in-process node gives the same
rounds, payoffs, receipts, metrics and state hashes at every block (issue 15).

The embedded run is the game's own (``SocialDilemmaGame.run``'s table: its device and
keyring); the remote run seats the same table at a node whose genesis binds the players'
and the referee's public keys, their private keys held by the client only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from accord.client import RemoteDevice
from accord.device import Account, Block, Device, DeviceConfig, UnknownAccount
from accord.games.base import GameResult
from accord.games.dilemma_table import ASSET, REFEREE, RoundResult, Table
from accord.games.social_dilemma import SocialDilemmaGame, SocialDilemmaParams, player_names
from accord.node import Node, create_app, parse_config

TOKEN = "game-both-ways-admin-token"
SEED = 5
# A node's device keeps receipts roots, so the embedded one does too: one design both ways.
FIRST_PRICE = DeviceConfig(fee_market="first_price", chain_id=11, receipts_roots=True)
EIP1559 = DeviceConfig(chain_id=12, receipts_roots=True)

CASES: dict[str, tuple[DeviceConfig, dict[str, Any]]] = {
    # a planner proposes, a greedy player accepts: the optimum, settled at the end
    "negotiated": (FIRST_PRICE, {"rounds": 5}),
    # θ = 300 against an unconditional defector: a settlement (transfer) every round
    "fixed": (
        EIP1559,
        {
            "rounds": 4,
            "contract": "fixed",
            "menu_entry": 3,
            "strategies": ("cooperator", "always_defect"),
        },
    ),
    # a short deposit runs out in round 3; keeper fees paid by the parties
    "exhausted": (
        FIRST_PRICE,
        {
            "rounds": 5,
            "contract": "fixed",
            "menu_entry": 3,
            "deposit": 700,
            "fee_payer": "parties",
            "keeper_fee": 20,
            "strategies": ("cooperator", "always_defect"),
        },
    ),
    # three players, a unilateral commitment proposed after one uncontracted round
    "unilateral": (
        EIP1559,
        {
            "rounds": 4,
            "players": 3,
            "game": "public_goods",
            "multiplier": "2",
            "contract_kind": "unilateral",
            "propose_at": 1,
            "strategies": ("planner", "greedy"),
        },
    ),
}


def keys_of(p: SocialDilemmaParams) -> dict[str, bytes]:
    """Each agent's own private key (fixed here so that a failure reproduces)."""
    names = [*player_names(p), REFEREE]
    return {n: bytes([0x40 + i]) * 32 for i, n in enumerate(names)}


def block_view(block: Block) -> tuple[Any, ...]:
    """A block as both sides must agree on it: the header without its parent hash
    (block hashes chain from the genesis hash, which binds different keys on the two
    devices; the state does not depend on keys), transactions, receipts, skips."""
    h = block.header
    header = (h.number, h.timestamp, h.builder, h.base_fee, h.gas_limit, h.gas_used)
    return (
        (*header, h.tx_root, h.state_hash, h.beacon, h.receipt_count, h.receipts_root),
        tuple(tx.hash for tx in block.transactions),
        tuple(tuple(r) for r in block.receipts),
        tuple(tuple(s) for s in block.skipped),
    )


def result_view(result: GameResult) -> tuple[Any, ...]:
    """A game result, NaN-safe (``acceptance`` is NaN when nothing was proposed)."""
    metrics = json.dumps(result.metrics, sort_keys=True)
    return (metrics, result.state_hash, result.blocks, json.dumps(result.tables, sort_keys=True))


class Run:
    """One run's record: each round's result and state hash, each block."""

    def __init__(self) -> None:
        self.rounds: list[tuple[RoundResult, bytes]] = []
        self.blocks: list[tuple[Any, ...]] = []
        self.result: GameResult | None = None


def play_embedded(p: SocialDilemmaParams, config: DeviceConfig) -> Run:
    run = Run()
    table = Table(p, player_names(p), p.rounds, config, SEED)
    device = table.device
    assert isinstance(device, Device)  # the game's own embedded device
    device.block_hooks.append(lambda _d, block: run.blocks.append(block_view(block)))
    run.result = SocialDilemmaGame().play(
        p, table, on_round=lambda r: run.rounds.append((r, device.state_hash()))
    )
    return run


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "node"


def open_node(p: SocialDilemmaParams, config: DeviceConfig, data_dir: Path) -> Node:
    """The node's setup: the game's genesis with the agents' public keys bound."""
    genesis = SocialDilemmaGame.genesis(p, config)
    public = {
        n: Account(n, k, scheme="ed25519", chain_id=config.chain_id).public_key.hex()
        for n, k in keys_of(p).items()
    }
    node_config = parse_config(
        {
            "seed": SEED,
            "node": {
                "data_dir": str(data_dir),
                "admin_token": TOKEN,
                "limits": {"ip_rate": 1e6, "ip_burst": 10**6, "key_rate": 1e6, "key_burst": 10**6},
            },
            "device": config.model_dump(),
            "genesis": genesis.model_copy(update={"public_keys": public}).model_dump(),
        }
    )
    return Node.open(node_config)


def play_remote(p: SocialDilemmaParams, config: DeviceConfig, data_dir: Path) -> Run:
    run = Run()
    node = open_node(p, config, data_dir)
    try:
        # the node holds public keys only: it cannot sign for any of the agents
        for name in keys_of(p):
            with pytest.raises(UnknownAccount):
                node.device.account(name)
        with TestClient(create_app(node)) as client:
            remote = RemoteDevice(client, keys=keys_of(p), admin_token=TOKEN)
            table = Table.on(p, player_names(p), p.rounds, remote)
            run.result = SocialDilemmaGame().play(
                p, table, on_round=lambda r: run.rounds.append((r, remote.state_hash()))
            )
            run.blocks = [block_view(remote.block(n)) for n in range(1, remote.number + 1)]
            assert remote.state_hash() == node.device.state_hash()
    finally:
        node.close()
    return run


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_social_dilemma_embedded_and_through_a_node(case: str, data_dir: Path) -> None:
    config, params = CASES[case]
    p = SocialDilemmaParams(**params)
    here = play_embedded(p, config)
    there = play_remote(p, config, data_dir)
    assert here.result is not None and there.result is not None
    # the embedded run is the game's run, unchanged
    assert result_view(here.result) == result_view(SocialDilemmaGame().run(p, config, SEED))
    # identical round by round, block by block, and in the end
    assert there.rounds == here.rounds
    assert there.blocks == here.blocks
    assert result_view(there.result) == result_view(here.result)
    assert len(here.blocks) == here.result.blocks > 0
    assert here.blocks[-1][0][7] == bytes.fromhex(here.result.state_hash)


def test_the_figures_are_the_games_own() -> None:
    """Real values, from the closed forms of tests/games/test_social_dilemma.py."""
    p = SocialDilemmaParams(**CASES["fixed"][1])
    m = SocialDilemmaGame().run(p, EIP1559, SEED).metrics
    assert m["transfers"] == 4 * 300 and m["in_force"] == 1
    p = SocialDilemmaParams(**CASES["exhausted"][1])
    m = SocialDilemmaGame().run(p, FIRST_PRICE, SEED).metrics
    # the defector's 700: 300 + 10 (its half of the keeper fee) twice, then 10 and the
    # last 70; three settled rounds, each player paying 10 a round
    assert m["exhausted"] == 1 and m["transfers"] == 670 and m["keeper_fees"] == 60
    p = SocialDilemmaParams(**CASES["negotiated"][1])
    m = SocialDilemmaGame().run(p, FIRST_PRICE, SEED).metrics
    assert m["welfare_vs_optimum"] == 1.0 and m["theta"] == 300


def test_a_table_refuses_a_device_not_at_its_genesis(data_dir: Path) -> None:
    p = SocialDilemmaParams(rounds=3)
    other = SocialDilemmaParams(rounds=4)  # another deposit
    node = open_node(other, FIRST_PRICE, data_dir)
    try:
        with TestClient(create_app(node)) as client:
            remote = RemoteDevice(client, keys=keys_of(p), admin_token=TOKEN)
            with pytest.raises(
                ValueError,
                match=f"player_0 holds 2000 {ASSET}, not the table.s genesis deposit 1500",
            ):
                Table.on(p, player_names(p), p.rounds, remote)
            remote.build_block()
            with pytest.raises(ValueError, match="fresh device"):
                Table.on(other, player_names(other), other.rounds, remote)
    finally:
        node.close()
