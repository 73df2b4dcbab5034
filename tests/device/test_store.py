"""The event log's storage: SQLite layout, record encoding, durability and a kill test."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.contracts.vault import Vault
from accord.device import (
    AssetSpec,
    Bundle,
    Device,
    DeviceConfig,
    DeviceError,
    Genesis,
    replay,
)
from accord.device.encoding import to_json
from accord.device.genesis_hash import field_digests
from accord.device.store import (
    AccountRecord,
    BlockRecord,
    MemoryLog,
    SqliteLog,
    decode_item,
    encode_item,
    read_sqlite,
)
from accord.device.transaction import Transaction

REPO = Path(__file__).resolve().parents[2]
GENESIS = Genesis(
    assets={"ETH": AssetSpec(issuer="treasury", alloc={"alice": 10**18, "bob": 10**18})}
)


def rows(path: Path) -> list[tuple[int, str, int | None]]:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT seq, kind, number FROM records ORDER BY seq").fetchall()
    finally:
        db.close()


def test_sqlite_log_layout(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    config = DeviceConfig(ordering="fcfs", block_time_ms=2_000)
    device = Device(config, GENESIS, seed=11, store=path)
    alice = device.account("alice")
    vault = device.deploy(alice, Vault)
    device.open_account("carol")
    device.call(alice, vault, "deposit", "carol", 5)
    db = sqlite3.connect(path)
    meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.close()
    assert set(meta) == {"config", "genesis", "seed", "digests", "genesis_hash"}
    assert DeviceConfig.model_validate_json(meta["config"]) == config
    # the logged genesis is the given one with every account bound to its public key
    logged = Genesis.model_validate_json(meta["genesis"])
    assert logged == device.genesis
    assert logged.model_copy(update={"public_keys": {}}) == GENESIS
    assert sorted(logged.public_keys) == ["alice", "bob", "treasury"]
    assert meta["seed"] == "11"
    assert meta["genesis_hash"] == device.genesis_hash.hex() == device.headers[0].parent_hash.hex()
    assert json.loads(meta["digests"]) == field_digests(config, device.genesis, 11)
    assert rows(path) == [(1, "block", 1), (2, "account", None), (3, "block", 2)]


def test_records_round_trip_through_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    device = Device(DeviceConfig(), GENESIS, store=path)
    alice, bob = device.account("alice"), device.account("bob")
    vault = device.deploy(alice, Vault)
    tx = device.sign(bob, vault, "deposit", "bob", 3, priority_fee=2)
    device.submit(tx)
    n = device.next_nonce("alice")
    may_revert = device.sign(alice, vault, "move", "alice", "bob", 10**6, nonce=n + 1)
    bundle = Bundle(
        (device.sign(alice, vault, "deposit", "alice", 1, nonce=n), may_revert),
        min_block=2,
        max_block=4,
        reverting=frozenset({may_revert.hash}),
    )
    device.submit_bundle(bundle, sender="alice")
    device.open_account("zed")
    block = device.build_block()
    assert len(block.transactions) == 3
    header, records = read_sqlite(path)
    assert header == (
        DeviceConfig().model_dump_json(),
        device.genesis.model_dump_json(),
        0,
        field_digests(DeviceConfig(), device.genesis, 0),
        device.genesis_hash.hex(),
    )
    got = list(records)
    assert [type(r) for r in got] == [BlockRecord, AccountRecord, BlockRecord]
    assert got[1] == AccountRecord("zed", device.public_key("zed"))
    second = got[2]
    assert isinstance(second, BlockRecord)
    assert second.number == 2 and second.builder == "builder"
    assert second.state_hash == block.header.state_hash
    # the items, in executed order, decode to the very objects that were signed
    assert set(second.items) == {tx, bundle}
    assert len(second.items) == 2


def test_item_encoding_is_exact() -> None:
    device = Device(DeviceConfig(), GENESIS)
    alice = device.account("alice")
    odd = device.sign(
        alice,
        "0xabc",
        "m",
        b"\x00\xff",
        ("nested", (1, -2, None, True), b""),
        "",
        2**200,
        value={"ETH": 7},
    )
    assert decode_item(json.loads(json.dumps(encode_item(odd)))) == odd
    bundle = Bundle((odd,), min_block=3, max_block=None, reverting=frozenset({odd.hash}))
    again = decode_item(json.loads(json.dumps(encode_item(bundle))))
    assert again == bundle
    assert isinstance(again, Bundle) and again.hash == bundle.hash


ATOMS = (
    st.integers(-(2**300), 2**300)
    | st.text(max_size=8)
    | st.binary(max_size=8)
    | st.booleans()
    | st.none()
)
ARGS = st.recursive(ATOMS, lambda inner: st.lists(inner, max_size=3).map(tuple), max_leaves=10)


@settings(max_examples=150, deadline=None)
@given(args=st.lists(ARGS, max_size=4).map(tuple), nonce=st.integers(0, 2**64))
def test_item_encoding_writes_what_the_string_round_trip_wrote(
    args: tuple[object, ...], nonce: int
) -> None:
    """encode_item builds the JSON structure directly; it used to dump each transaction to
    a string and parse it back. The log's and journal's text is byte for byte the same."""
    tx = Transaction("alice", nonce, "0xabc", "m", args, (("ETH", 7),), 1, 2, 3, b"\x01" * 32, b"")
    old = json.loads(to_json(tuple(tx)))
    assert json.dumps(encode_item(tx), separators=(",", ":")) == json.dumps(
        old, separators=(",", ":")
    )
    assert decode_item(json.loads(json.dumps(encode_item(tx)))) == tx


def test_malformed_transaction_record_is_named() -> None:
    with pytest.raises(DeviceError, match="malformed transaction record"):
        decode_item([1, 2, 3])


def test_each_block_is_committed_when_sealed(tmp_path: Path) -> None:
    """Another connection sees every block while the writer is still open."""
    path = tmp_path / "live.db"
    device = Device(DeviceConfig(), GENESIS, store=path)
    for expected in range(1, 4):
        device.build_block()
        assert [r[2] for r in rows(path)] == list(range(1, expected + 1))
        assert replay(path).head == device.head


def test_a_file_holds_one_run(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    Device(DeviceConfig(), GENESIS, store=path).build_block()
    with pytest.raises(DeviceError, match="already holds a run; use a new file"):
        Device(DeviceConfig(), GENESIS, store=path)
    assert [r[2] for r in rows(path)] == [1]  # the first run is untouched


def test_opening_what_is_not_a_log(tmp_path: Path) -> None:
    with pytest.raises(DeviceError, match="no event log at"):
        read_sqlite(tmp_path / "missing.db")
    text = tmp_path / "text.db"
    text.write_text("hello\n")
    with pytest.raises(DeviceError, match="is not an accord event log: file is not a database"):
        read_sqlite(text)
    partial = tmp_path / "partial.db"
    db = sqlite3.connect(partial)
    with db:
        db.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('seed', '1')")
    db.close()
    with pytest.raises(DeviceError, match=r"missing \['config', 'genesis'\]"):
        read_sqlite(partial)


def test_memory_log_and_explicit_sqlite_log(tmp_path: Path) -> None:
    memory = MemoryLog()
    device = Device(DeviceConfig(), GENESIS, seed=5, store=memory)
    device.build_blocks(2)
    assert memory.header is not None
    assert memory.header[:3] == (
        DeviceConfig().model_dump_json(),
        device.genesis.model_dump_json(),
        5,
    )
    assert [r.number for r in memory.records if isinstance(r, BlockRecord)] == [1, 2]
    log = SqliteLog(tmp_path / "explicit.db")
    other = Device(DeviceConfig(), GENESIS, seed=5, store=log, keyring=device.keyring)
    other.build_blocks(2)
    log.close()
    assert replay(tmp_path / "explicit.db").headers == device.headers == other.headers


# -- kill test ------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    from accord.contracts.vault import Vault
    from accord.device import AssetSpec, Device, DeviceConfig, Genesis

    users = ["u%d" % i for i in range(6)]
    genesis = Genesis(assets={"ETH": AssetSpec(issuer="t", alloc=dict.fromkeys(users, 10**18))})
    device = Device(DeviceConfig(ordering="random"), genesis, seed=42, store=sys.argv[1])
    accounts = [device.account(u) for u in users]
    vault = device.deploy(accounts[0], Vault)
    print(device.number, device.head.state_hash.hex(), flush=True)
    for i in range(100_000):
        for j, a in enumerate(accounts):
            device.submit(device.sign(a, vault, "deposit", a.address, 1 + (i + j) % 5,
                                      priority_fee=(i * j) % 7))
            device.submit(device.sign(a, vault, "move", a.address, users[(j + 1) % 6], 3))
        if i % 7 == 3:
            device.open_account("late%d" % i)
        block = device.build_block()
        print(block.number, block.header.state_hash.hex(), flush=True)
    """
)


def test_killed_writer_loses_no_sealed_block(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    printed: dict[int, str] = {}
    deadline = time.monotonic() + 60
    try:
        assert proc.stdout is not None
        while len(printed) < 25 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            block_number, digest = line.split()
            printed[int(block_number)] = digest
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    stderr = proc.stderr.read() if proc.stderr else ""
    assert len(printed) >= 25, f"writer printed only {printed}; stderr: {stderr}"
    # the writer died mid-run without a checkpoint: its recent blocks are in the WAL
    assert Path(f"{path}-wal").stat().st_size > 0
    replayed = replay(path)
    last = max(printed)
    assert replayed.number >= last
    for number, digest in printed.items():
        assert replayed.headers[number].state_hash.hex() == digest, f"block {number}"
    assert len(replayed.accounts) > 7  # accounts opened mid-run were replayed too


def test_a_transaction_with_an_int_too_long_for_decimal_json_is_logged_and_replays(
    tmp_path: Path,
) -> None:
    """An argument of 5,001 digits is a canonical int (the gate admits it, gas pays for
    its bytes), but ``json.dumps`` cannot write it under the interpreter's limit: before
    the fix, the SQLite log's write raised out of ``build_block`` after the block was
    sealed, so the log lacked the block and replay ended elsewhere."""
    from tests.device.conftest import make_genesis
    from tests.device.sample_contracts import Callee

    path = tmp_path / "big.db"
    device = Device(DeviceConfig(receipts_roots=True), make_genesis(), seed=1, store=path)
    callee = device.deploy(device.account("alice"), Callee)
    for value in (10**5_000, -(10**5_000)):
        tx = device.sign(device.account("bob"), callee, "put", "k", value, gas_limit=10**7)
        device.submit(tx)
        block = device.build_block()
        assert block.receipts[0].status == "success" and block.receipts[0].result == 2 * value
    assert isinstance(device.log, SqliteLog)
    device.log.close()
    replayed = replay(path)
    assert replayed.head.hash == device.head.hash
    assert replayed.state_hash() == device.state_hash()
