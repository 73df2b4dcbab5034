"""RemoteDevice: one scenario run on an embedded device and through a node gives the
same receipts, views, balances and state hashes (issue 15, ``docs/node.md``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from accord.client import RemoteDevice, RemoteError
from accord.contracts.escrow import Escrow
from accord.device import Account, BlockHeader, Device, Receipt, UnknownAccount
from accord.device.commitments import MalformedCommitment, build
from accord.device.dry_run import dry_run
from accord.node import Node, Signer, create_app
from tests.node.conftest import CHAIN_ID, ETH, TOKEN, make_config

NAMES = ("alice", "bob", "carol")


def _keys() -> dict[str, bytes]:
    """Fixed keys, so that both runs sign the very same transactions."""
    return {n: bytes([i + 1]) * 32 for i, n in enumerate(NAMES)}


def _receipt_view(r: Receipt) -> tuple[Any, ...]:
    return (r.status, r.gas_used, r.fee_paid, r.result, r.events, r.error, r.contract_address)


def _header_view(h: BlockHeader) -> tuple[Any, ...]:
    """A header without its parent hash: block hashes chain from the genesis hash, which
    binds the throwaway keys of the keyless genesis names (treasury, builder) and so
    differs between any two devices; the economic state does not (DESIGN.md, keys)."""
    return (h.number, h.timestamp, h.builder, h.base_fee, h.gas_used, h.tx_root, h.state_hash)


def scenario(device: Any, accounts: dict[str, Account]) -> list[Any]:
    """Transfers, an escrow and a conditional commitment, through the agent-facing API
    only; returns everything an agent could observe, block by block."""
    alice, bob, carol = (accounts[n] for n in NAMES)
    seen: list[Any] = []

    def observe(block_hash: bytes | None = None) -> None:
        seen.append(
            (
                device.number,
                device.now,
                device.state_hash(),
                _header_view(device.head),
                tuple(device.balance(n, a) for n in NAMES for a in ("ETH", "USD")),
                tuple((device.nonce(n), device.next_nonce(n)) for n in NAMES),
            )
        )

    # transfers: two senders in one block, one of them a second nonce while pending
    t1 = device.submit(device.sign(alice, "bob", value={"ETH": 1_000}))
    t2 = device.submit(device.sign(alice, "carol", value={"USD": 250}))
    t3 = device.submit(device.sign(bob, "carol", value={"ETH": 10**15}, priority_fee=2))
    assert device.next_nonce("alice") == 2
    block = device.build_block()
    seen.append([tx.hash for tx in block.transactions])
    seen.append([_receipt_view(device.receipt(h)) for h in (t1, t2, t3)])
    observe()

    # an escrow: deployed by bob, a deal from alice to carol released by her consent
    escrow = device.deploy(bob, Escrow)
    opened = device.call(alice, escrow, "open", "carol", "USD", 100, "", None, ("block", 50))
    seen.append(_receipt_view(opened))
    deal = opened.result
    seen.append(device.view(escrow, "deal", deal))
    paid = device.call(alice, escrow, "pay", deal)
    seen.append((_receipt_view(paid), device.view(escrow, "state", deal)))
    reverted = device.call(carol, escrow, "pay", deal)
    seen.append(_receipt_view(reverted))
    observe()

    # a conditional commitment: alice pays bob 7 ETH once carol holds 400 USD (she has 350)
    document = build.commitment(
        "alice",
        "pay-bob",
        expiry=device.number + 20,
        condition=build.balance("carol", "USD") >= 400,
        actions=[build.transfer("ETH", "bob", 7)],
    )
    posted = device.commit(alice, document)
    device.build_block()
    seen.append(_receipt_view(device.receipt(posted)))
    seen.append([c.label for c in device.pending_commitments()])
    observe()
    device.submit(device.sign(alice, "carol", value={"USD": 50}))
    device.build_block()
    device.build_block()
    seen.append([c.label for c in device.pending_commitments()])
    observe()
    return seen


@pytest.fixture
def keys() -> dict[str, bytes]:
    return _keys()


@pytest.fixture
def node(tmp_path: Path, keys: dict[str, bytes]) -> Iterator[Node]:
    signers = {n: Signer(k, n, chain_id=CHAIN_ID) for n, k in keys.items()}
    opened = Node.open(make_config(tmp_path / "data", signers))
    yield opened
    opened.close()


@pytest.fixture
def remote(node: Node, keys: dict[str, bytes]) -> Iterator[RemoteDevice]:
    with TestClient(create_app(node)) as client:
        yield RemoteDevice(client, keys=keys, admin_token=TOKEN)


def test_the_same_scenario_embedded_and_through_a_node(
    node: Node, remote: RemoteDevice, keys: dict[str, bytes]
) -> None:
    config = node.config
    embedded = Device(config.device, config.genesis, seed=config.seed)
    accounts = {n: Account(n, k, scheme="ed25519", chain_id=CHAIN_ID) for n, k in keys.items()}
    here = scenario(embedded, accounts)
    there = scenario(remote, {n: remote.account(n) for n in NAMES})
    assert here == there
    assert remote.state_hash() == embedded.state_hash() == node.device.state_hash()
    # real values: every transfer landed, the escrow released 100 USD to carol and
    # refused a second release, the commitment was pending and then fired
    assert [r[0] for r in here[1]] == ["success"] * 3
    assert here[4] == ("alice", "carol", "", "USD", 100, None, ("block", 50), "open")
    assert here[5][1] == "released"
    assert here[6][:1] == ("reverted",) and here[6][5] == "deal 0 is already released"
    assert (here[9], here[11]) == (["pay-bob"], [])
    # real values: the commitment fired, the escrow paid carol 100 USD
    assert embedded.balance("carol", "USD") == remote.balance("carol", "USD") == 400
    assert embedded.balance("alice", "USD") == 600
    assert remote.number == embedded.number == 8


def test_refusals_are_one_line_and_change_nothing(
    node: Node, remote: RemoteDevice, keys: dict[str, bytes]
) -> None:
    alice = remote.account("alice")
    before = node.device.state_hash()
    tx = remote.sign(alice, "bob", value={"ETH": 1})
    remote.submit(tx)
    with pytest.raises(RemoteError) as replayed:
        remote.submit(tx)
    assert replayed.value.code == -32000 and "\n" not in str(replayed.value)
    too_rich = remote.sign(alice, "bob", value={"ETH": 10 * ETH})
    with pytest.raises(RemoteError) as poor:
        remote.submit(too_rich)
    assert poor.value.kind is not None and "accord_sendTransaction" in str(poor.value)
    with pytest.raises(MalformedCommitment, match="owner"):
        remote.commit(alice, build.commitment("bob", "x", expiry=9))
    with pytest.raises(UnknownAccount, match="no key for 'dave'"):
        remote.account("dave")
    with pytest.raises(UnknownAccount, match="another public key"):
        remote.add_key("bob", b"\x09" * 32)
    with pytest.raises(RemoteError, match="keeps its own clock"):
        remote.submit(tx, at=5)
    with pytest.raises(KeyError):
        remote.receipt(b"\x00" * 32)
    with pytest.raises(RemoteError, match="no contract"):
        remote.view("0xdead", "x")
    assert node.device.state_hash() == before and len(node.device.mempool) == 1


def test_build_block_needs_the_admin_token(node: Node, keys: dict[str, bytes]) -> None:
    with TestClient(create_app(node)) as client:
        agent = RemoteDevice(client, keys={"alice": keys["alice"]})
        with pytest.raises(RemoteError, match="admin token"):
            agent.build_block()
        wrong = RemoteDevice(client, admin_token="guess")
        with pytest.raises(RemoteError, match="HTTP 401"):
            wrong.build_block()
    assert node.device.number == 0


def _embedded(node: Node) -> Device:
    config = node.config
    return Device(config.device, config.genesis, seed=config.seed)


def test_verify_message_answers_as_the_embedded_device(node: Node, remote: RemoteDevice) -> None:
    embedded = _embedded(node)
    alice = remote.account("alice")
    message = b"pay bob 5"
    signature = alice.sign_message(message)
    cases: list[tuple[Any, Any, Any]] = [
        ("alice", message, signature),
        ("bob", message, signature),  # another signer
        ("alice", b"pay bob 6", signature),  # another message
        ("alice", message, signature[:-1]),  # too short
        ("alice", message, b""),
        ("nobody", message, signature),  # no such account
        ("alice", message.decode(), signature),  # not bytes
        ("alice", message, signature.hex()),
        (5, message, signature),
    ]
    assert [remote.verify_message(*c) for c in cases] == [True] + [False] * 8
    assert [embedded.verify_message(*c) for c in cases] == [True] + [False] * 8


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    signer=st.sampled_from([*NAMES, "treasury", "nobody", "", "0xdead", "a" * 300, "\x00"]),
    message=st.binary(max_size=64),
    flip=st.none() | st.integers(0, 511),
    by=st.sampled_from(NAMES),
)
def test_verify_message_agrees_on_generated_signatures(
    node: Node, remote: RemoteDevice, signer: str, message: bytes, flip: int | None, by: str
) -> None:
    signature = bytearray(remote.account(by).sign_message(message))
    if flip is not None:
        signature[flip // 8] ^= 1 << (flip % 8)
    expected = flip is None and signer == by
    assert remote.verify_message(signer, message, bytes(signature)) is expected
    assert node.device.verify_message(signer, message, bytes(signature)) is expected


def test_simulate_is_the_nodes_dry_run_and_changes_nothing(
    node: Node, remote: RemoteDevice, keys: dict[str, bytes]
) -> None:
    embedded = _embedded(node)
    alice, here = remote.account("alice"), Account("alice", keys["alice"], "ed25519", CHAIN_ID)
    first = remote.sign(alice, "bob", value={"ETH": 5})
    remote.submit(first)
    embedded.submit(first)
    before = (node.device.state_hash(), len(node.device.mempool))
    escrow_call = here.sign(1, "carol", "", value={"USD": 30}, gas_limit=60_000, max_fee=3_000)
    replayed = here.sign(0, "carol", "", value={"ETH": 1}, gas_limit=60_000, max_fee=3_000)
    broke = here.sign(1, "carol", "", value={"USD": 10**9}, gas_limit=60_000, max_fee=3_000)
    for tx in (escrow_call, replayed, broke):
        there = remote.simulate(tx)
        run = dry_run(embedded, tx)
        if run.receipt is None:
            field, reason = run.refusal
            assert (there.status, there.field, there.error) == ("rejected", field, reason)
        else:
            status, gas, fee, error = run.receipt[1], run.receipt[2], run.receipt[3], run.receipt[7]
            assert (there.status, there.gas_used, there.fee_paid, there.error) == (
                status,
                gas,
                fee,
                error,
            )
    assert remote.simulate(escrow_call).status == "success"
    assert remote.simulate(replayed).field == "nonce"
    assert remote.simulate(broke).status == "reverted"
    assert (node.device.state_hash(), len(node.device.mempool)) == before
