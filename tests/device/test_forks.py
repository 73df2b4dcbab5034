"""Forks: undo records, reorgs, fork choice, finality and replay (accord.device.forks).

The strongest check: a device that reorganised onto an alternative chain is identical
(state hash, balances, nonces, storage, headers, beacons, receipts) to a fresh device
that built that alternative directly from the fork point.
"""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.device import Bundle, Device, DeviceConfig, Transaction, checks
from accord.device.builder import BuildRequest, Choice
from accord.device.dry_run import dry_run
from accord.device.forks import ForkRefused, Reorg, fork_wins
from accord.device.keys import Keyring
from accord.device.replay import replay
from accord.device.state import state_entries
from accord.device.store import ForkRecord, SqliteLog
from accord.device.transaction import DEPLOY
from tests.device.commitments.test_resolution import swap_pair
from tests.device.conftest import make_device, make_genesis
from tests.device.fork_contracts import FinalityProbe
from tests.device.sample_contracts import Callee

SENDERS = ("alice", "bob", "carol")
ASSETS = ("ETH", "USD", "TOK")
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Chooser:
    """A builder that includes exactly the given transactions, in the given order."""

    follows_rule: ClassVar[bool] = False

    def __init__(self, address: str, hashes: list[bytes]) -> None:
        self.address = address
        self.hashes = hashes

    def build(self, request: BuildRequest) -> list[Choice]:
        return list(self.hashes)


def world(keyring: Keyring, k: int = 3, **config: Any) -> Device:
    """A device with finality depth ``k``; after every block, conservation and the
    incremental state hash against the one recomputed from scratch."""
    config.setdefault("ordering_enforced", False)
    device = make_device(keyring=keyring, finality_depth=k, **config)
    device.block_hooks.append(lambda dev, block: conserved(dev))
    return device


Op = tuple[int, int, int, int]
"""(kind, sender, recipient, amount): 0-2 a transfer of an asset, 3 a deploy of Callee,
4 a ``put`` on the latest Callee, 5 a ``put_then_revert``."""

ops = st.tuples(st.integers(0, 5), st.integers(0, 2), st.integers(0, 3), st.integers(0, 12))


def sign_op(device: Device, op: Op, nonces: dict[str, int], callees: list[str]) -> Transaction:
    kind, s, r, amount = op
    sender = SENDERS[s]
    account = device.account(sender)
    nonce = nonces[sender]
    nonces[sender] += 1
    to = (*SENDERS, "dave")[r]
    if kind <= 2:
        return device.sign(account, to, value={ASSETS[kind]: amount}, nonce=nonce)
    if kind == 3 or not callees:
        return device.sign(account, DEPLOY, Callee.class_path(), gas_limit=2_000_000, nonce=nonce)
    method = "put" if kind == 4 else "put_then_revert"
    return device.sign(account, callees[-1], method, f"k{r}", amount, nonce=nonce)


def build_prefix(device: Device, blocks: list[list[Op]]) -> list[list[Transaction]]:
    """Submit and build ``blocks`` of ops with the honest builder; the signed txs."""
    nonces = {s: device.nonce(s) for s in SENDERS}
    callees: list[str] = []
    out = []
    for block_ops in blocks:
        txs = [sign_op(device, op, nonces, callees) for op in block_ops]
        for tx in txs:
            device.submit(tx)
        block = device.build_block()
        callees.extend(r.contract_address for r in block.receipts if r.contract_address)
        out.append(txs)
    return out


def snapshot(device: Device) -> dict[str, Any]:
    return {
        "state_hash": device.state_hash(),
        "head": device.head,
        "headers": list(device.headers),
        "base_fee": device.base_fee,
        "beacons": (device.beacons.latest, list(device.beacons.values)),
        "entries": sorted(map(repr, state_entries(device.ledger, device.contracts))),
        "nonces": dict(sorted(device.ledger.nonces.items())),
        "balances": {(a, s): device.balance(a, s) for a in device.accounts for s in ASSETS},
        "contracts": sorted(device.contracts),
        "receipts": [b.receipts for b in device.blocks],
    }


def conserved(device: Device) -> None:
    checks.block_invariants(device)
    assert checks.state_hash_matches(device) == device.state_hash()


@st.composite
def fork_case(draw: st.DrawFn) -> dict[str, Any]:
    k = draw(st.integers(1, 3))
    prefix = draw(st.lists(st.lists(ops, max_size=5), min_size=1, max_size=5))
    depth = draw(st.integers(1, min(k, len(prefix))))
    return {
        "k": k,
        "prefix": prefix,
        "depth": depth,
        "keep": draw(st.lists(st.booleans(), min_size=30, max_size=30)),
        "perm": draw(st.randoms(use_true_random=False)),
        "extra": draw(st.lists(st.integers(0, 12), max_size=3)),
        "length": draw(st.integers(depth + 1, depth + k)),
        "seed": draw(st.integers(0, 3)),
    }


@SETTINGS
@given(case=fork_case())
def test_reorg_equals_a_fresh_device_that_built_the_alternative(case: dict[str, Any]) -> None:
    """Must-hold (1), (3), (4) and (5): the reorganised device is the fresh device that
    built the alternative from the fork point; money is conserved; reorged transactions
    are pending again or dropped for a stated reason; replay follows the fork."""
    keyring = Keyring()
    k, depth, seed = case["k"], case["depth"], case["seed"]
    live = world(keyring, k, seed=seed)
    txs = build_prefix(live, case["prefix"])
    fork_point = live.number - depth
    fresh = world(keyring, k, seed=seed)
    for block_txs in txs[: len(txs) - depth]:
        for tx in block_txs:
            fresh.submit(tx)
        fresh.build_block()
    assert fresh.head == live.headers[fork_point]
    # The alternative: a shuffled subset of the reorged transactions, plus dave's own.
    reorged = [tx for block_txs in txs[len(txs) - depth :] for tx in block_txs]
    kept = [tx for tx, keep in zip(reorged, case["keep"], strict=False) if keep]
    case["perm"].shuffle(kept)
    dave = fresh.account("dave")
    nonce = fresh.nonce("dave")
    kept += [
        fresh.sign(dave, "alice", value={"USD": 0}, nonce=nonce + i)
        for i, _ in enumerate(case["extra"])
    ]
    length = case["length"]
    alternative: list[list[Transaction]] = [[] for _ in range(length)]
    for i, tx in enumerate(kept):
        alternative[i % length].append(tx)

    result = live.reorg(depth, alternative, builder="bandit")
    assert isinstance(result, Reorg)
    assert result.fork_point == fork_point
    assert [b.number for b in result.undone] == list(range(fork_point + 1, fork_point + depth + 1))
    assert live.number == fork_point + length
    conserved(live)

    for items in alternative:
        for tx in items:
            if tx.hash not in fresh.mempool.txs:
                fresh.submit(tx)
        fresh.build_block(Chooser("bandit", [tx.hash for tx in items]))
    ours, theirs = snapshot(live), snapshot(fresh)
    for key in ours:
        if key != "receipts":
            assert ours[key] == theirs[key], key
    assert [b.receipts for b in result.built] == [
        b.receipts for b in list(fresh.blocks)[fork_point + 1 :]
    ]
    assert result.refused == ()

    # (4) every reorged transaction the alternative did not include is pending again,
    # or dropped because the new branch used its nonce.
    included = {tx.hash for b in result.built for tx in b.transactions}
    returned, dropped = set(result.returned), dict(result.dropped)
    for tx in reorged:
        if tx.hash in included:
            assert tx.hash not in returned and tx.hash not in dropped
        elif tx.hash in returned:
            assert tx.hash in live.mempool.txs
        else:
            assert "was used in the new branch" in dropped[tx.hash]
            assert live.nonce(tx.sender) > tx.nonce
    for _ in range(3):
        live.build_block()
    for h in returned:
        tx = next(t for t in reorged if t.hash == h)
        if h in live.mempool.txs:  # still stuck: a nonce gap the alternative opened
            assert live.nonce(tx.sender) < tx.nonce
        else:
            assert live.receipt(h).tx_hash == h or live.nonce(tx.sender) > tx.nonce

    # (5) replay follows the fork and ends on the same head.
    replayed = replay(live.log)  # type: ignore[arg-type]
    assert replayed.state_hash() == live.state_hash()
    assert replayed.head == live.head
    assert replayed.headers == live.headers


@SETTINGS
@given(
    prefix=st.lists(st.lists(ops, max_size=5), min_size=3, max_size=5),
    depth=st.integers(1, 3),
)
def test_undoing_and_redoing_the_same_blocks_gives_back_the_same_chain(
    prefix: list[list[Op]], depth: int
) -> None:
    """Must-hold (2): replacing the last blocks by themselves (plus one empty block, which
    the longest chain needs) gives back the same headers and state hash."""
    device = world(Keyring(), 3, ordering_enforced=True)
    build_prefix(device, prefix)
    before = snapshot(device)
    head = device.number
    undone = [list(b.transactions) for b in list(device.blocks)[-depth:]]
    device.reorg(depth, [*undone, []])
    assert device.headers[: head + 1] == before["headers"]
    assert device.headers[head].state_hash == before["state_hash"]
    assert [b.receipts for b in list(device.blocks)[: head + 1]] == before["receipts"]
    conserved(device)


def test_a_fork_undoes_a_deployment_and_its_storage() -> None:
    keyring = Keyring()
    device = world(keyring, 2)
    genesis_state = device.state_hash()
    tables = len(device.ledger.tracked)
    alice = device.account("alice")
    address = device.deploy(alice, Callee)
    device.call(alice, address, "put", "x", 7)
    assert len(device.ledger.tracked) > tables
    result = device.reorg(2, [[], [], []], builder="bandit")
    assert address not in device.contracts
    assert len(device.ledger.tracked) == tables
    assert len(result.returned) == 2 and live_pending(device, result.returned)
    # The empty alternative leaves the genesis state, three blocks on.
    fresh = world(keyring, 2)
    for _ in range(3):
        fresh.build_block(Chooser("bandit", []))
    assert device.state_hash() == fresh.state_hash()
    assert device.headers[-1].state_hash != genesis_state  # the number and base fee moved
    assert device.head == fresh.head
    device.build_block()  # the reorged deployment and call land again
    assert device.contract_at(address).slots["x"] == 7  # type: ignore[attr-defined]


def live_pending(device: Device, hashes: tuple[bytes, ...]) -> bool:
    return all(h in device.mempool.txs for h in hashes)


def test_double_spend_in_the_fork_drops_the_original_with_its_reason() -> None:
    """A fork that spends alice's nonce otherwise: her reorged payment to bob is dropped,
    and the report says why."""
    keyring = Keyring()
    device = world(keyring, 2)
    alice = device.account("alice")
    pay_bob = device.sign(alice, "bob", value={"USD": 100})
    device.submit(pay_bob)
    device.build_block()
    assert device.balance("bob", "USD") == 1_100
    pay_carol = device.sign(
        alice, "carol", value={"USD": 100}, nonce=0, max_fee=pay_bob.max_fee * 2, priority_fee=5
    )
    result = device.reorg(1, [[pay_carol], []], builder="bandit")
    assert device.balance("bob", "USD") == 1_000
    assert device.balance("carol", "USD") == 1_100
    assert result.returned == ()
    assert [h for h, _ in result.dropped] == [pay_bob.hash]
    assert "replacement" in result.dropped[0][1] or "nonce 0" in result.dropped[0][1]
    conserved(device)


def test_fork_choice_longest_needs_a_longer_chain() -> None:
    device = world(Keyring(), 3)
    device.build_blocks(3)
    before = snapshot(device)
    with pytest.raises(ForkRefused, match="does not beat the 2 blocks"):
        device.reorg(2, [[], []])
    assert snapshot(device) == before
    device.reorg(2, [[], [], []], builder="bandit")
    assert device.number == 4
    assert [h.builder for h in device.headers[2:]] == ["bandit"] * 3


def test_fork_choice_heaviest_weighs_builder_shares() -> None:
    """Under ``heaviest`` a block weighs its builder's share: a 70% builder's single block
    outweighs two of a 30% builder's, not three; a tie keeps the chain."""
    shares = {"builder": 3_000, "bandit": 7_000}
    assert fork_wins("heaviest", shares, ["builder"] * 2, "bandit", 1)
    assert not fork_wins("heaviest", shares, ["builder"] * 3, "bandit", 1)
    assert not fork_wins("heaviest", {"a": 5_000, "b": 5_000}, ["a"], "b", 1)
    assert not fork_wins("heaviest", shares, ["builder"], "nobody", 5)
    assert fork_wins("longest", shares, ["builder"] * 2, "x", 3)
    assert not fork_wins("longest", shares, ["builder"] * 2, "x", 2)
    device = world(Keyring(), 3, fork_choice="heaviest", builder_shares=shares)
    device.build_blocks(3)
    before = snapshot(device)
    with pytest.raises(ForkRefused, match="fork_choice='heaviest'"):
        device.reorg(3, [[]], builder="bandit")
    assert snapshot(device) == before
    device.reorg(2, [[]], builder="bandit")
    assert device.number == 2 and device.head.builder == "bandit"


def test_a_heaviest_fork_may_not_lower_the_finalized_block() -> None:
    """A shorter, heavier fork wins under ``heaviest`` while the head is within
    ``finality_depth`` (above), but once blocks are final it would lower the head and
    with it the finalized block: refused, nothing changed."""
    shares = {"builder": 3_000, "bandit": 7_000}
    device = world(Keyring(), 2, fork_choice="heaviest", builder_shares=shares)
    device.build_blocks(4)
    assert device.finalized == 2
    before = snapshot(device)
    with pytest.raises(ForkRefused, match="lower the finalized block from 2 to 1"):
        device.reorg(2, [[]], builder="bandit")
    assert snapshot(device) == before and device.is_final(2)
    device.reorg(2, [[], []], builder="bandit")  # as many blocks: finality stays at 2
    assert device.number == 4 and device.finalized == 2


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    moves=st.lists(
        st.one_of(
            st.tuples(st.just("build"), st.integers(1, 3)),
            st.tuples(st.just("fork"), st.integers(1, 3), st.integers(1, 5)),
        ),
        min_size=1,
        max_size=12,
    ),
    k=st.integers(1, 3),
)
def test_finality_never_goes_back(moves: list[tuple[Any, ...]], k: int) -> None:
    """Over generated builds and heaviest forks of any depth and length, the finalized
    block never decreases and a block once final stays final."""
    shares = {"builder": 2_000, "bandit": 8_000}
    device = world(Keyring(), k, fork_choice="heaviest", builder_shares=shares)
    device.build_blocks(k + 1)  # some blocks final from the start
    final_seen = device.finalized
    for move in moves:
        if move[0] == "build":
            device.build_blocks(move[1])
        else:
            with contextlib.suppress(ForkRefused):  # refusals change nothing (tested above)
                device.reorg(move[1], [[] for _ in range(move[2])], builder="bandit")
        assert device.finalized >= final_seen
        assert all(device.is_final(n) for n in range(final_seen + 1))
        final_seen = device.finalized


def test_finality_and_is_final() -> None:
    device = world(Keyring(), 2)
    device.build_blocks(4)
    assert device.finalized == 2
    assert [device.is_final(n) for n in range(6)] == [True, True, True, False, False, False]
    with pytest.raises(TypeError):
        device.is_final("3")
    with pytest.raises(ForkRefused, match="never a final one"):
        device.reorg(3, [[]] * 4)
    young = world(Keyring(), 2)  # head 0 < depth 2: block 0 is final, nothing replaces it
    assert young.finalized == 0 and young.is_final(0) and not young.is_final(1)
    zero = world(Keyring(), 0)
    zero.build_blocks(2)
    assert zero.is_final(2) and zero._undo is None
    with pytest.raises(ForkRefused, match="finality_depth is 0"):
        zero.reorg(1, [[], []])


def test_undo_records_are_kept_only_for_the_last_k_blocks() -> None:
    device = world(Keyring(), 2)
    device.build_blocks(5)
    assert device._undo is not None and len(device._undo) == 2
    device.reorg(2, [[], [], []])
    assert len(device._undo) == 3 - 1  # the new blocks are reversible, up to k
    with pytest.raises(ForkRefused):
        device.reorg(3, [[]] * 4)


def test_state_hashes_do_not_depend_on_finality_depth() -> None:
    """Must-hold (7): without a fork, undo records change nothing a block computes.
    The inclusions table (on by default exactly when ``finality_depth > 0``) is in the
    state hash, so the depths are compared with it fixed, on and off."""
    keyring = Keyring()
    plan = [[(0, 0, 1, 5), (3, 1, 0, 0)], [(4, 1, 2, 9), (1, 2, 0, 3)], [(5, 1, 0, 1)]]
    by_record = []
    for record in (False, True):
        runs = []
        for k in (0, 1, 3):
            device = world(keyring, k, record_inclusions=record)
            build_prefix(device, plan)
            runs.append([h.state_hash for h in device.headers])
        assert runs[0] == runs[1] == runs[2]
        by_record.append(runs[0])
    assert by_record[0][0] == by_record[1][0]  # genesis: nothing included yet
    assert by_record[0][1:] != by_record[1][1:]  # the table is in the state hash


hostile = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.binary(max_size=5),
    st.lists(st.integers(), max_size=3),
)


@SETTINGS
@given(
    depth=st.one_of(hostile, st.integers(-3, 6)),
    blocks=st.one_of(
        hostile,
        st.lists(st.one_of(hostile, st.lists(hostile, max_size=3)), max_size=4),
        st.just([[]] * 10),
    ),
    builder=st.one_of(hostile, st.just("bandit"), st.just("")),
)
def test_hostile_reorg_calls_are_refused_in_one_line_and_change_nothing(
    depth: Any, blocks: Any, builder: Any
) -> None:
    """Must-hold (6)."""
    device = _hostile_device()
    before = snapshot(device), dict(device.mempool.txs), len(device.log.records)  # type: ignore[attr-defined]
    try:
        device.reorg(depth, blocks, builder=builder)
    except ForkRefused as exc:
        assert "\n" not in str(exc) and str(exc)
    else:  # only a well-formed fork that wins is adopted
        assert type(depth) is int and 1 <= depth <= 2
        assert type(builder) is str and builder
        assert isinstance(blocks, list) and depth < len(blocks) <= depth + 2
        assert all(b == [] for b in blocks)
        return
    after = snapshot(device), dict(device.mempool.txs), len(device.log.records)  # type: ignore[attr-defined]
    assert after == before


def _hostile_device() -> Device:
    device = world(KEYRING, 2)
    alice = device.account("alice")
    device.call(alice, "bob", value={"ETH": 5})
    device.call(alice, "bob", value={"ETH": 6})
    device.submit(device.sign(alice, "carol", value={"ETH": 1}))
    return device


KEYRING = Keyring()


def test_forged_or_duplicated_alternative_items_are_refused() -> None:
    device = world(Keyring(), 2)
    alice = device.account("alice")
    device.call(alice, "bob", value={"ETH": 5})
    device.build_block()
    tx = device.sign(alice, "bob", value={"ETH": 1})
    before = snapshot(device)
    with pytest.raises(ForkRefused, match="appears twice"):
        device.reorg(1, [[tx], [tx]])
    forged = tx._replace(signature=b"\x00" * len(tx.signature))
    with pytest.raises(ForkRefused, match="block 0 item 0"):
        device.reorg(1, [[forged], []])
    with pytest.raises(ForkRefused, match=r"1\.\.4 blocks"):
        device.reorg(2, [[]] * 5)
    assert snapshot(device) == before


def test_a_fork_is_logged_and_a_sqlite_log_replays_it(tmp_path: Any) -> None:
    keyring = Keyring()
    path = tmp_path / "fork.db"
    device = Device(DeviceConfig(finality_depth=2), make_genesis(), store=path, keyring=keyring)
    alice = device.account("alice")
    device.call(alice, "bob", value={"ETH": 5})
    device.call(alice, "carol", value={"ETH": 6})
    device.reorg(2, [[], [], []], builder="bandit")
    device.build_block()
    assert isinstance(device.log, SqliteLog)
    device.log.close()
    replayed = replay(path)
    assert replayed.head == device.head
    assert replayed.state_hash() == device.state_hash()
    assert replayed.balance("bob", "ETH") == device.balance("bob", "ETH")


def test_fork_records_in_memory() -> None:
    device = world(Keyring(), 2)
    device.build_blocks(2)
    device.reorg(1, [[], []], builder="bandit")
    records = device.log.records  # type: ignore[attr-defined]
    forks = [r for r in records if isinstance(r, ForkRecord)]
    assert forks == [ForkRecord(2, 1, "bandit", 2)]


@pytest.mark.parametrize("k", [0, 1, 3])
def test_a_contract_reads_finality_and_a_fork_undoes_what_it_saw(k: int) -> None:
    """``ctx.finalized`` in block N is N - 1 - k (0 at least): what ``device.finalized``
    says once N's parent is the head."""
    device = world(Keyring(), k)
    alice = device.account("alice")
    probe = device.deploy(alice, FinalityProbe)
    seen = []
    for _ in range(5):
        parent_final = device.finalized
        receipt = device.call(alice, probe, "look")
        assert receipt.ok, receipt.error
        seen.append((device.number, receipt.result, parent_final))
    for number, result, parent_final in seen:
        assert result == max(0, number - 1 - k) == parent_final
    if k:
        device.reorg(1, [[], []])
        # A view runs with the head's number, as if in the head block.
        assert device.view(probe, "look") == device.number - 1 - k
        stored = device.contract_at(probe).seen  # type: ignore[attr-defined]
        assert seen[-1][0] not in stored._data


def test_a_fork_undoes_a_commitment_firing_and_the_alternative_resolves_again() -> None:
    device = world(Keyring(), 2)
    for c in swap_pair():
        device.commit(device.account(c.owner), c)
    device.build_block()
    assert device.balance("alice", "TOK") == 14 and len(device.resolutions) == 1
    result = device.reorg(1, [[], []])
    assert device.balance("alice", "TOK") == 10 and device.balance("bob", "USD") == 1_000
    assert len(device.resolutions) == 0 and device.pending_commitments() == []
    assert len(result.returned) == 2
    device.build_block()  # the posts land again, and the pair fires again
    assert device.balance("alice", "TOK") == 14 and device.balance("bob", "USD") == 1_300
    assert device.resolutions[-1].fired == ("alice/buy", "bob/sell")
    replayed = replay(device.log)  # type: ignore[arg-type]
    assert replayed.head == device.head


def test_a_reorged_bundle_returns_as_loose_transactions() -> None:
    device = world(Keyring(), 2)
    alice, bob = device.account("alice"), device.account("bob")
    txs = (
        device.sign(alice, "bob", value={"USD": 10}),
        device.sign(bob, "carol", value={"USD": 5}),
    )
    device.submit_bundle(Bundle(txs), sender="alice")
    device.build_block()
    assert device.balance("carol", "USD") == 1_005
    result = device.reorg(1, [[], []])
    assert set(result.returned) == {tx.hash for tx in txs}
    assert device.mempool.bundles() == [] and all(tx.hash in device.mempool.txs for tx in txs)
    with pytest.raises(KeyError):
        device.receipt(txs[0].hash)
    device.build_block()
    assert device.receipt(txs[1].hash).ok and device.balance("carol", "USD") == 1_005


def test_undo_brings_back_blocks_the_history_window_dropped() -> None:
    keyring = Keyring()
    device = make_device(keyring=keyring, finality_depth=3)
    short = Device(device.config, device.genesis, keyring=keyring, history=2)
    for d in (device, short):
        alice = d.account("alice")
        for n in range(4):
            d.call(alice, "bob", value={"ETH": n + 1})
        d.reorg(3, [[]] * 4, builder="bandit")
    assert [b.number for b in short.blocks] == [4, 5]
    assert short.head == device.head and short.state_hash() == device.state_hash()


@pytest.mark.parametrize("ordering", ["fcfs", "priority", "random", "batch"])
def test_forks_replay_under_every_enforced_ordering_rule(ordering: str) -> None:
    keyring = Keyring()
    device = world(keyring, 3, ordering=ordering, ordering_enforced=True, seed=7)
    plan = [
        [(0, 0, 1, 5), (3, 1, 0, 0), (1, 2, 0, 3)],
        [(4, 1, 2, 9), (1, 2, 0, 3), (0, 0, 3, 1)],
        [(5, 1, 0, 1), (2, 0, 1, 2)],
    ]
    txs = build_prefix(device, plan)
    reorged = [tx for block in txs[1:] for tx in block]
    alternative = [reorged[::2], reorged[1::2], []]
    device.reorg(2, alternative, builder="bandit")
    device.build_blocks(2)
    replayed = replay(device.log)  # type: ignore[arg-type]
    assert replayed.headers == device.headers
    assert replayed.state_hash() == device.state_hash() == checks.full_state_hash(device)


class ForkingBuilder:
    """A builder that tries to fork the device while it chooses a block."""

    follows_rule: ClassVar[bool] = True
    address = "sneaky"

    def __init__(self, device: Device) -> None:
        self.device = device

    def build(self, request: BuildRequest) -> list[Choice]:
        self.device.reorg(1, [[], []])
        return []


def test_a_builder_cannot_fork_while_it_builds() -> None:
    device = world(Keyring(), 2)
    device.build_blocks(2)
    head = device.head
    block = device.build_block(ForkingBuilder(device))
    assert block.builder_refused is not None and "while a builder" in block.builder_refused
    assert device.headers[2] == head and device.number == 3


actions = st.lists(
    st.one_of(
        st.tuples(st.just("block"), st.lists(ops, max_size=4)),
        st.tuples(
            st.just("fork"),
            st.integers(1, 3),
            st.lists(st.booleans(), min_size=12, max_size=12),
            st.integers(1, 3),
        ),
        st.tuples(st.just("dry_run"), ops),
    ),
    min_size=1,
    max_size=10,
)


@SETTINGS
@given(steps=actions, k=st.integers(1, 3))
def test_any_history_of_blocks_and_forks_is_its_canonical_chain_built_directly(
    steps: list[tuple[Any, ...]], k: int
) -> None:
    """After any sequence of blocks, forks (of any allowed depth, onto a subset of the
    reorged transactions) and dry runs, the device equals a fresh device that built
    only the canonical blocks, and its log replays to the same head."""
    keyring = Keyring()
    live = world(keyring, k)
    nonces = dict.fromkeys(SENDERS, 0)
    callees: list[str] = []
    for step in steps:
        if step[0] == "block":
            for op in step[1]:
                live.submit(sign_op(live, op, nonces, callees))
            block = live.build_block()
            callees.extend(r.contract_address for r in block.receipts if r.contract_address)
        elif step[0] == "dry_run":
            dry_run(live, sign_op(live, step[1], dict(nonces), callees))
        else:
            _, depth, keep, extra = step
            depth = min(depth, k, live.number)
            if depth < 1:
                continue
            reorged = [tx for b in list(live.blocks)[-depth:] for tx in b.transactions]
            kept = [tx for tx, keep_it in zip(reorged, keep, strict=False) if keep_it]
            blocks: list[list[Transaction]] = [kept, *([[]] * (depth + extra - 1))]
            live.reorg(depth, blocks[: depth + k], builder="bandit")
            live_callees = set(live.contracts)
            callees[:] = [c for c in callees if c in live_callees]
        # what the next signatures use: the chain's nonces plus what is pending
        nonces = {s: live.next_nonce(s) for s in SENDERS}
    fresh = world(keyring, k)
    for block in list(live.blocks)[1:]:
        for tx in block.transactions:
            fresh.submit(tx)
        fresh.build_block(Chooser(block.header.builder, [tx.hash for tx in block.transactions]))
    assert fresh.headers == live.headers
    assert snapshot(fresh)["entries"] == snapshot(live)["entries"]
    assert [b.receipts for b in fresh.blocks] == [b.receipts for b in live.blocks]
    replayed = replay(live.log)  # type: ignore[arg-type]
    assert replayed.headers == live.headers and replayed.state_hash() == live.state_hash()
