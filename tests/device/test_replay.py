"""Replay: a persisted event log rebuilds the run, block for block, hash for hash.

Every test here runs a device, persists its log (SQLite unless stated), replays it on a
fresh device and compares *every* block header (number, timestamp, parent, builder,
base fee, gas, transaction root and state hash), not only the final state hash.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.contracts.escrow_demo import Escrow
from accord.contracts.vault import Vault
from accord.device import (
    AssetSpec,
    BadSignature,
    BuildRequest,
    Bundle,
    Device,
    DeviceConfig,
    DeviceError,
    Genesis,
    ReplayMismatch,
    Transaction,
    checks,
    gas,
    replay,
)
from accord.device.admission import LogRejected
from accord.device.builder import Choice
from accord.device.genesis_hash import MetaMismatch
from accord.device.store import MemoryLog
from accord.device.transaction import transaction_hash

ETH = 10**18
USERS = ("alice", "bob", "carol")


def genesis() -> Genesis:
    return Genesis(
        assets={
            "ETH": AssetSpec(issuer="treasury", alloc=dict.fromkeys((*USERS, "builder"), ETH)),
            "USD": AssetSpec(issuer="bank", alloc={"alice": 5_000, "bob": 5_000}),
        }
    )


class ReversingBuilder:
    """Includes everything, in reverse of what it was shown; inserts nothing."""

    follows_rule: ClassVar[bool] = False

    def __init__(self, address: str = "builder") -> None:
        self.address = address

    def build(self, request: BuildRequest) -> list[Choice]:
        choices: list[Choice] = [p.hash for p in request.pending]
        choices.extend(b.hash for b in request.bundles)
        return choices[::-1]


class InsertingBuilder:
    """Includes everything and adds a Vault deposit of its own to every block."""

    follows_rule: ClassVar[bool] = False

    def __init__(self, device: Device, vault: str) -> None:
        self.address = device.config.builder
        self.device = device
        self.vault = vault

    def build(self, request: BuildRequest) -> list[Choice]:
        choices: list[Choice] = [p.hash for p in request.pending]
        choices.extend(b.hash for b in request.bundles)
        me = self.device.account(self.address)
        choices.append(self.device.sign(me, self.vault, "deposit", "builder", 7, priority_fee=9))
        return choices


def run_scenario(
    config: DeviceConfig, store: str | Path | None, *, seed: int = 3, rounds: int = 4
) -> Device:
    """A run that touches everything replay must reproduce.

    Deployments, an account opened after genesis, users with different tips and one
    slow user, transfers, reverts, a bundle that lands, a bundle that fails, a bundle
    with an allowed revert, escrowed assets, and (if allowed) builder insertions.
    """
    device = Device(config, genesis(), seed=seed, store=store)
    checks.check_every_block(device)
    alice, bob, carol = (device.account(n) for n in USERS)
    vault = device.deploy(alice, Vault)
    escrow = device.deploy(bob, Escrow)
    dave = device.open_account("dave")
    device.call(alice, "dave", value={"ETH": ETH // 1000})
    inserting = InsertingBuilder(device, vault) if config.builder_may_insert else None
    for r in range(rounds):
        for i, account in enumerate((alice, bob, carol, dave)):
            tip = (7 * i + 3 * r) % 11
            device.submit(
                device.sign(
                    account, vault, "deposit", account.address, 10 + i + r, priority_fee=tip
                )
            )
        # a move that reverts (carol never holds 1000 in the vault), and one that succeeds
        device.submit(device.sign(carol, vault, "move", "carol", "alice", 1_000, priority_fee=4))
        device.submit(device.sign(bob, vault, "move", "bob", "dave", 3, priority_fee=r))
        if r == 1:
            n = device.next_nonce("alice")
            device.submit_bundle(
                Bundle(
                    (
                        device.sign(alice, escrow, "open", "bob", "USD", 250, nonce=n),
                        device.sign(alice, vault, "move", "alice", "bob", 5, nonce=n + 1),
                    )
                ),
                sender="alice",
            )
        if r == 2:
            m = device.next_nonce("dave")
            target = device.number + 1
            failing = Bundle(
                (
                    # a move, not a deposit: under the batch rule a bundle cannot hold a
                    # batchable call (refused at submission)
                    device.sign(dave, vault, "move", "dave", "bob", 1, nonce=m),
                    device.sign(dave, vault, "move", "dave", "bob", 10**9, nonce=m + 1),
                ),
                min_block=target,
                max_block=target,
            )
            device.submit_bundle(failing, sender="dave")
            k = device.next_nonce("bob")
            may_revert = device.sign(bob, vault, "move", "bob", "carol", 10**9, nonce=k + 1)
            device.submit_bundle(
                Bundle(
                    (device.sign(bob, escrow, "pay", 999, nonce=k), may_revert),
                    max_block=target,  # it fails (no deal 999): let it expire, not hold
                    reverting=frozenset({may_revert.hash}),  # bob's nonces for good
                ),
                sender="bob",
            )
        device.build_block(inserting if inserting and r % 2 else None)
    device.call(alice, escrow, "pay", 0)
    device.build_blocks(2)  # empty blocks move the base fee
    return device


def assert_same_run(original: Device, replayed: Device) -> None:
    assert replayed.number == original.number
    assert replayed.headers == original.headers
    for a, b in zip(original.headers, replayed.headers, strict=True):
        assert a.state_hash == b.state_hash, f"block {a.number}"
    assert replayed.state_hash() == original.state_hash()
    assert replayed.ledger.balances == original.ledger.balances
    assert replayed.ledger.locked == original.ledger.locked
    assert replayed.accounts == original.accounts
    assert {a: c.storage() for a, c in replayed.contracts.items()} == {
        a: c.storage() for a, c in original.contracts.items()
    }


CONFIGS: dict[str, DeviceConfig] = {
    "fcfs": DeviceConfig(ordering="fcfs"),
    "priority": DeviceConfig(ordering="priority"),
    "random": DeviceConfig(ordering="random"),
    "batch": DeviceConfig(ordering="batch"),
    "sealed-random": DeviceConfig(ordering="random", mempool="sealed"),
    "private-fcfs": DeviceConfig(ordering="fcfs", mempool="private"),
    "first-price": DeviceConfig(ordering="priority", fee_market="first_price"),
    "latency": DeviceConfig(
        ordering="fcfs", latency_ms={"carol": 20_000}, default_latency_ms=1_000
    ),
    "inserting-builder": DeviceConfig(ordering="priority", builder_may_insert=True),
    "batch-inserting": DeviceConfig(ordering="batch", builder_may_insert=True),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_sqlite_replay_reproduces_every_block(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.db"
    device = run_scenario(CONFIGS[name], path)
    assert device.number == 10  # 2 deploys, 1 transfer, 4 rounds, 1 pay, 2 empty
    replayed = replay(path)
    assert_same_run(device, replayed)


def test_scenario_exercises_what_it_claims(tmp_path: Path) -> None:
    """Guard the scenario itself: it must contain reverts, bundles and escrow traffic."""
    device = run_scenario(CONFIGS["priority"], tmp_path / "run.db")
    receipts = [r for b in device.blocks for r in b.receipts]
    statuses = {r.status for r in receipts}
    assert statuses == {"success", "reverted"}
    reverted = [r for r in receipts if r.status == "reverted"]
    assert any("insufficient balance: carol" in (r.error or "") for r in reverted)
    # the failing bundle left nothing: dave's vault balance holds only his deposits
    vault = next(a for a, c in device.contracts.items() if isinstance(c, Vault))
    escrow = next(a for a, c in device.contracts.items() if isinstance(c, Escrow))
    storage = device.contract_at(vault).storage()
    assert storage["balances"]["dave"] == sum(10 + 3 + r for r in range(4)) + 3 * 4
    # the escrow deal was opened by the bundle and paid at the end
    assert device.balance("bob", "USD") == 5_250
    assert device.balance("alice", "USD") == 4_750
    assert device.locked("alice", "USD", escrow) == 0
    assert "dave" in device.accounts


def test_random_ordering_depends_on_the_seed_and_replays(tmp_path: Path) -> None:
    orders = []
    for seed in (1, 2, 3, 4):
        path = tmp_path / f"seed{seed}.db"
        device = run_scenario(CONFIGS["random"], path, seed=seed)
        assert_same_run(device, replay(path))
        orders.append(tuple(tx.sender for b in device.blocks for tx in b.transactions))
    assert len(set(orders)) > 1, "random ordering gave one order for four seeds"


def test_batch_rule_settles_deposits_together_and_replays(tmp_path: Path) -> None:
    path = tmp_path / "batch.db"
    device = run_scenario(CONFIGS["batch"], path, rounds=1)
    block = device.blocks[4]  # the first mempool round
    deposits = [
        r
        for tx, r in zip(block.transactions, block.receipts, strict=True)
        if tx.method == "deposit"
    ]
    assert len(deposits) == 4 and all(r.ok for r in deposits)
    # a batched call pays the intrinsic cost plus an equal share of the settlement
    # (its intrinsic gas includes its own calldata, EIP-2028)
    txs = {tx.hash: tx for tx in block.transactions}
    shares = sorted(
        r.gas_used
        - gas.intrinsic_gas(txs[r.tx_hash].method, txs[r.tx_hash].args, txs[r.tx_hash].value)
        for r in deposits
    )
    assert shares[-1] - shares[0] <= 1
    assert all(s > 0 for s in shares)
    assert_same_run(device, replay(path))


def test_unenforced_order_of_a_discretionary_builder_replays(tmp_path: Path) -> None:
    config = DeviceConfig(ordering="priority", ordering_enforced=False)
    path = tmp_path / "reverse.db"
    device = Device(config, genesis(), store=path, builder=ReversingBuilder())
    alice, bob = device.account("alice"), device.account("bob")
    vault = device.deploy(alice, Vault)
    low = device.sign(alice, vault, "deposit", "alice", 1, priority_fee=1)
    high = device.sign(bob, vault, "deposit", "bob", 2, priority_fee=100)
    device.submit(high)
    device.submit(low)
    block = device.build_block()
    # the builder's order stands: the low tip goes first although the rule says otherwise
    assert [tx.hash for tx in block.transactions] == [low.hash, high.hash]
    assert_same_run(device, replay(path))


def test_memory_log_replays_and_check_passes() -> None:
    device = run_scenario(CONFIGS["priority"], None)
    assert isinstance(device.log, MemoryLog)
    assert checks.replay_equality(device) == device.state_hash()
    assert_same_run(device, replay(device.log))


def test_replay_stops_nothing_and_matches_after_many_empty_blocks(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    device = Device(DeviceConfig(), genesis(), store=path)
    device.build_blocks(40)
    assert device.base_fee < DeviceConfig().initial_base_fee
    assert_same_run(device, replay(path))


# -- tampering ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def logged_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Device]:
    path = tmp_path_factory.mktemp("log") / "run.db"
    device = run_scenario(CONFIGS["priority"], path)
    device.log.close()  # type: ignore[attr-defined]
    return path, device


def tampered(source: Path, tmp_path: Path, sql: str, *params: Any) -> Path:
    copy = tmp_path / "tampered.db"
    shutil.copy(source, copy)
    db = sqlite3.connect(copy)
    with db:
        changed = db.execute(sql, params).rowcount
    db.close()
    assert changed >= 1, f"tampering changed nothing: {sql}"
    return copy


def block_payload(path: Path, number: int) -> dict[str, Any]:
    db = sqlite3.connect(path)
    (payload,) = db.execute(
        "SELECT payload FROM records WHERE kind='block' AND number=?", (number,)
    ).fetchone()
    db.close()
    return json.loads(payload)  # type: ignore[no-any-return]


def test_untampered_copy_replays(logged_run: tuple[Path, Device], tmp_path: Path) -> None:
    path, device = logged_run
    copy = tmp_path / "copy.db"
    shutil.copy(path, copy)
    assert_same_run(device, replay(copy))


def test_tampered_state_hash_names_the_block(
    logged_run: tuple[Path, Device], tmp_path: Path
) -> None:
    path, device = logged_run
    bad = tampered(path, tmp_path, "UPDATE records SET state_hash=? WHERE number=5", b"\x01" * 32)
    with pytest.raises(ReplayMismatch, match=r"block 5: replayed state hash [0-9a-f]{64}") as exc:
        replay(bad)
    assert device.headers[5].state_hash.hex() in str(exc.value)
    assert ("01" * 32) in str(exc.value)


def test_tampered_argument_is_detected_as_altered(
    logged_run: tuple[Path, Device], tmp_path: Path
) -> None:
    path, _ = logged_run
    body = block_payload(path, 5)
    tx = next(t for t in body["items"] if isinstance(t, list) and t[3] == "deposit")
    tx[4][1] += 1_000_000  # deposit a million more than was signed
    bad = tampered(path, tmp_path, "UPDATE records SET payload=? WHERE number=5", json.dumps(body))
    with pytest.raises(
        LogRejected, match=r"block 5, item \d+ fails admission: signature: .*altered"
    ) as info:
        replay(bad)
    assert isinstance(info.value.cause, BadSignature) and info.value.field == "signature"


def test_rehashed_but_unsigned_change_is_detected_as_forged(
    logged_run: tuple[Path, Device], tmp_path: Path
) -> None:
    """Recomputing the hash does not help a forger: only the sender's key signs."""
    path, _ = logged_run
    body = block_payload(path, 5)
    fields = next(t for t in body["items"] if isinstance(t, list) and t[3] == "deposit")
    fields[4][1] += 1_000_000
    content = (fields[0], fields[1], fields[2], fields[3], tuple(fields[4]), (), *fields[6:9])
    fields[9] = {"$bytes": transaction_hash(content).hex()}
    bad = tampered(path, tmp_path, "UPDATE records SET payload=? WHERE number=5", json.dumps(body))
    with pytest.raises(LogRejected, match="forged") as info:
        replay(bad)
    assert isinstance(info.value.cause, BadSignature) and info.value.field == "signature"


def test_changed_builder_moves_the_tips_and_mismatches(
    logged_run: tuple[Path, Device], tmp_path: Path
) -> None:
    path, device = logged_run
    assert any(r.tip_paid for r in device.blocks[5].receipts)
    bad = tampered(
        path,
        tmp_path,
        'UPDATE records SET payload=replace(payload, \'"builder":"builder"\', '
        '\'"builder":"alice"\') WHERE number=5',
    )
    with pytest.raises(ReplayMismatch, match="block 5"):
        replay(bad)


def test_deleted_block_is_a_gap(logged_run: tuple[Path, Device], tmp_path: Path) -> None:
    path, _ = logged_run
    bad = tampered(path, tmp_path, "DELETE FROM records WHERE kind='block' AND number=4")
    with pytest.raises(DeviceError, match="log has block 5 where 4 was expected"):
        replay(bad)


def test_deleted_account_record_fails_the_first_use(
    logged_run: tuple[Path, Device], tmp_path: Path
) -> None:
    path, _ = logged_run
    bad = tampered(path, tmp_path, "DELETE FROM records WHERE kind='account'")
    with pytest.raises(DeviceError, match="dave"):
        replay(bad)


def test_changed_seed_is_named(logged_run: tuple[Path, Device], tmp_path: Path) -> None:
    path, _ = logged_run
    bad = tampered(path, tmp_path, "UPDATE meta SET value='4' WHERE key='seed'")
    with pytest.raises(MetaMismatch, match=r"^seed: .*edited"):
        replay(bad)


def test_truncated_log_replays_its_prefix(logged_run: tuple[Path, Device], tmp_path: Path) -> None:
    """A log cut after block 6 (a crash) replays to exactly the original block 6."""
    path, device = logged_run
    cut = tampered(path, tmp_path, "DELETE FROM records WHERE kind='block' AND number>6")
    replayed = replay(cut)
    assert replayed.number == 6
    assert replayed.headers == device.headers[:7]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        pytest.param(
            "UPDATE records SET payload='{not json' WHERE number=3",
            r"malformed block record \d+ \(block 3\): JSONDecodeError",
            id="payload-not-json",
        ),
        pytest.param(
            'UPDATE records SET payload=\'{"builder":"builder"}\' WHERE number=3',
            r"malformed block record \d+ \(block 3\): KeyError",
            id="payload-without-items",
        ),
        pytest.param(
            "UPDATE records SET state_hash=NULL WHERE number=3",
            r"malformed block record \d+ \(block 3\)",
            id="state-hash-null",
        ),
        pytest.param(
            "UPDATE meta SET value='{\"ordering\":\"nope\"}' WHERE key='config'",
            "config is invalid",
            id="config-invalid",
        ),
        pytest.param(
            "UPDATE meta SET value='seven' WHERE key='seed'",
            "seed 'seven' in the log is not an integer",
            id="seed-not-int",
        ),
        pytest.param(
            'UPDATE records SET payload=\'{"builder":"builder","items":[[1,2]]}\' WHERE number=3',
            "malformed transaction record",
            id="malformed-transaction",
        ),
    ],
)
def test_malformed_log_raises_device_error(
    logged_run: tuple[Path, Device], tmp_path: Path, sql: str, message: str
) -> None:
    """Regression: these once escaped as raw JSONDecodeError, KeyError, TypeError,
    pydantic ValidationError and ValueError."""
    path, _ = logged_run
    bad = tampered(path, tmp_path, sql)
    with pytest.raises(DeviceError, match=message):
        replay(bad)


def test_not_a_log_is_a_device_error(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("these are not the blocks you are looking for\n" * 100)
    with pytest.raises(DeviceError, match="is not an accord event log"):
        replay(text)
    with pytest.raises(DeviceError, match="no event log at"):
        replay(tmp_path / "missing.db")
    other = tmp_path / "other.db"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE t(x)")
    db.close()
    with pytest.raises(DeviceError, match="is not an accord event log"):
        replay(other)


def test_unimportable_contract_class_is_named(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    device = Device(DeviceConfig(), genesis(), store=path)
    device.deploy(device.account("alice"), Vault)
    device.log.close()  # type: ignore[attr-defined]
    # rewrite the deploy to name a class that does not exist, and re-sign it properly
    body = block_payload(path, 1)
    fields = body["items"][0]
    fields[3] = "accord.contracts.vault:NoSuchVault"
    content = (fields[0], fields[1], fields[2], fields[3], (), (), *fields[6:9])
    digest = transaction_hash(content)
    fields[9] = {"$bytes": digest.hex()}
    fields[10] = {"$bytes": device.account("alice").sign_digest(digest).hex()}
    bad = tampered(path, tmp_path, "UPDATE records SET payload=? WHERE number=1", json.dumps(body))
    with pytest.raises(DeviceError, match="block 1"):
        replay(bad)  # the deploy is rejected (class not importable): block 1 differs


def test_batch_call_rejected_at_collection_does_not_crash(tmp_path: Path) -> None:
    """Regression: a block whose only batchable call is rejected (a nonce gap) once left
    an empty batch, and settlement divided by zero after executing half the block."""
    path = tmp_path / "gap.db"
    device = Device(DeviceConfig(ordering="batch"), genesis(), store=path)
    alice, bob = device.account("alice"), device.account("bob")
    vault = device.deploy(alice, Vault)
    device.submit(device.sign(alice, vault, "balance_of", "alice"))  # not batchable
    gap = device.sign(bob, vault, "deposit", "bob", 1, nonce=1)  # bob is at nonce 0
    device.submit(gap)  # the block's only batchable call, and it is rejected
    block = device.build_block()
    assert [tx.method for tx in block.transactions] == ["balance_of"]
    assert gap.hash in device.mempool  # rejected now, still pending
    assert device.contract_at(vault).storage()["balances"] == {}
    assert_same_run(device, replay(path))


# -- property: any mix of actions replays ----------------------------------------------

Action = tuple[str, int, int, int]
actions = st.lists(
    st.tuples(
        st.sampled_from(["deposit", "move", "transfer", "block", "bundle"]),
        st.integers(0, 2),
        st.integers(0, 2),
        st.integers(1, 60),
    ),
    min_size=1,
    max_size=25,
)


def run_actions(config: DeviceConfig, script: list[Action], seed: int) -> Device:
    device = Device(config, genesis(), seed=seed)
    accounts = [device.account(n) for n in USERS]
    vault = device.deploy(accounts[0], Vault)
    submit: Callable[[Transaction], bytes] = device.submit
    for kind, i, j, amount in script:
        who, other = accounts[i], USERS[j]
        if kind == "deposit":
            submit(device.sign(who, vault, "deposit", who.address, amount, priority_fee=amount))
        elif kind == "move":
            submit(device.sign(who, vault, "move", who.address, other, amount, priority_fee=j))
        elif kind == "transfer":
            submit(device.sign(who, other, value={"ETH": amount}, priority_fee=i))
        elif kind == "bundle":
            n = device.next_nonce(who.address)
            # under the batch rule a bundle cannot hold a batchable call such as deposit
            batch = config.ordering == "batch"
            first = ("move", who.address, other) if batch else ("deposit", who.address)
            bundle = Bundle(
                (
                    device.sign(who, vault, *first, amount, nonce=n),
                    device.sign(who, vault, "move", who.address, other, amount + j, nonce=n + 1),
                ),
                max_block=device.number + 2,
            )
            device.submit_bundle(bundle, sender=who.address)
        else:
            device.build_block()
    device.build_block()
    return device


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    script=actions,
    ordering=st.sampled_from(["fcfs", "priority", "random", "batch"]),
    mempool=st.sampled_from(["public", "private", "sealed"]),
    seed=st.integers(0, 2**32),
)
def test_any_run_replays(script: list[Action], ordering: Any, mempool: Any, seed: int) -> None:
    device = run_actions(DeviceConfig(ordering=ordering, mempool=mempool), script, seed)
    checks.block_invariants(device)
    assert isinstance(device.log, MemoryLog)
    assert_same_run(device, replay(device.log))
