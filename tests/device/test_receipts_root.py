"""The header's receipts root: leaf values of every kind of receipt, pages of 32 of them
as the tree's leaves, the root of every sealed block (0..100 receipts: several pages and
partial last pages) against a reference Merkle Tree Hash written here, its place in the
header hash, and replay checking it."""

from __future__ import annotations

import json
import shutil
import sqlite3
from hashlib import sha256
from marshal import dumps
from pathlib import Path
from typing import Any

import pytest

from accord.device import Device, DeviceConfig, Event, Receipt, ReplayMismatch, replay
from accord.device.block import BlockHeader
from accord.device.genesis_hash import meta_fields
from accord.device.merkle import EMPTY_ROOT
from accord.device.receipts_root import (
    PAGE,
    leaf_data,
    leaf_value,
    page_count,
    page_data,
    page_hashes,
    page_size,
    receipts_root,
)
from accord.device.store import SqliteLog
from tests.device.conftest import make_genesis
from tests.device.proof_contracts import Odd

H = bytes(range(32))


def receipt(result: object, events: tuple[Event, ...] = ()) -> Receipt:
    return Receipt(H, "success", 30_000, 60_000, 30_000, result, events, None, None)


def test_a_canonical_result_leaf_is_the_receipts_own_fields() -> None:
    event = Event("0xabc", "Gave", (("kind", "x"), ("n", 3)))
    r = receipt((1, b"\x00", None), (event,))
    assert leaf_value(r) == (
        H,
        "success",
        30_000,
        60_000,
        30_000,
        (1, b"\x00", None),
        (("0xabc", "Gave", (("kind", "x"), ("n", 3))),),
        None,
        None,
    )
    plain = receipt(7)
    assert leaf_data(plain) == dumps(tuple(plain), 0)


@pytest.mark.parametrize(
    ("result", "expected", "result_type"),
    [
        ([1, "x", [b"\x02"]], (1, "x", (b"\x02",)), ""),  # a list is frozen, as canonical() does
        ({"b": b"\x01", "a": [1]}, '{"a":[1],"b":{"$bytes":"01"}}', "dict"),
        ([{"n": 1}], '[{"n":1}]', "list"),
        (object(), None, "object"),
        (1.5, None, "float"),
        ({1: 2}, None, "dict"),
    ],
)
def test_other_results_say_their_type(result: object, expected: object, result_type: str) -> None:
    value = leaf_value(receipt(result))
    if result_type:
        assert len(value) == 10 and value[5] == expected and value[9] == result_type
    else:
        assert len(value) == 9 and value[5] == expected


def test_no_two_kinds_of_result_share_a_leaf() -> None:
    results: list[object] = [
        None,
        0,
        False,
        "",
        b"",
        (),
        ("{}",),
        "{}",
        {},
        ((), "dict"),
        object(),
        (None, "object"),
        [],
        [{}],
        ("[{}]", "list"),
    ]
    leaves = [leaf_data(receipt(r)) for r in results]
    # () and [] are the same canonical value (a list is frozen); everything else differs
    assert len(set(leaves)) == len(results) - 1
    assert leaf_data(receipt(())) == leaf_data(receipt([]))


def reference_mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1's Merkle Tree Hash of leaf *data*, recursively, as the RFC states it."""
    if not leaves:
        return sha256(b"").digest()
    if len(leaves) == 1:
        return sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return sha256(b"\x01" + reference_mth(leaves[:k]) + reference_mth(leaves[k:])).digest()


def reference_pages(receipts: list[Any]) -> list[bytes]:
    """Each page's data: receipts [32k, 32k + 32) as one tuple of leaf values."""
    values = [leaf_value(r) for r in receipts]
    return [dumps(tuple(values[i : i + 32]), 0) for i in range(0, len(values), 32)]


def test_page_count_and_sizes() -> None:
    assert PAGE == 32
    for count in range(0, 200):
        sizes = [page_size(count, k) for k in range(page_count(count))]
        assert sum(sizes) == count and all(s == 32 for s in sizes[:-1])
        assert (not sizes) == (count == 0) and (not sizes or 1 <= sizes[-1] <= 32)
        assert page_size(count, page_count(count)) == 0


@pytest.mark.parametrize("size", [0, 1, 5, 31, 32, 33, 63, 64, 65, 97, 100])
def test_the_fast_path_agrees_with_the_general_one(size: int) -> None:
    event = Event("0xabc", "E", (("k", 1),))
    plain = [tuple(receipt(n)) for n in range(size)]
    extra = [receipt({"a": 1}), tuple(receipt(2, (event,))), receipt(b"x")]
    mixed = [*plain[: size // 2], *extra, *plain[size // 2 :]]
    for receipts in (plain, mixed, mixed[::-1]):
        datas = reference_pages(receipts)
        assert len(datas) == page_count(len(receipts))
        assert [
            page_data([leaf_value(r) for r in receipts[i : i + 32]])
            for i in range(0, len(receipts), 32)
        ] == datas
        expected = [sha256(b"\x00" + d).digest() for d in datas]
        assert page_hashes(receipts) == expected  # type: ignore[arg-type]
        assert receipts_root(receipts) == reference_mth(datas)  # type: ignore[arg-type]


def test_every_receipt_and_its_place_changes_the_root() -> None:
    receipts = [tuple(receipt(n)) for n in range(70)]
    base = receipts_root(receipts)  # type: ignore[arg-type]
    roots = {base}
    for i in (0, 31, 32, 63, 64, 69):
        changed = list(receipts)
        changed[i] = tuple(receipt(1000 + i))
        roots.add(receipts_root(changed))  # type: ignore[arg-type]
    swapped = list(receipts)
    swapped[31], swapped[32] = swapped[32], swapped[31]  # across a page boundary
    roots.add(receipts_root(swapped))  # type: ignore[arg-type]
    roots.add(receipts_root(receipts[:-1]))  # type: ignore[arg-type]
    roots.add(receipts_root(receipts[:64]))  # type: ignore[arg-type]
    assert len(roots) == 10


def make() -> tuple[Device, str]:
    device = Device(
        DeviceConfig(block_gas_limit=10**9, receipts_roots=True), make_genesis(), seed=1
    )
    odd = device.deploy(device.account("alice"), Odd)
    return device, odd


def test_every_sealed_block_commits_its_receipts() -> None:
    device, odd = make()
    kinds = ["int", "dict", "list", "list_of_dict", "object", "tuple", "big"]
    for size in (*range(0, 9), 31, 32, 33, 64, 65, 100):
        for i in range(size):
            sender = device.account(("alice", "bob", "carol")[i % 3])
            device.submit(device.sign(sender, odd, "give", kinds[i % len(kinds)], i))
        block = device.build_block()
        assert block.header.receipt_count == size == len(block.receipts)
        assert block.header.receipts_root == reference_mth(reference_pages(list(block.receipts)))
        if size == 0:
            assert block.header.receipts_root == EMPTY_ROOT
    assert device.headers[0].receipt_count == 0
    assert device.headers[0].receipts_root == EMPTY_ROOT


def test_the_header_hash_covers_the_receipts_root_and_count() -> None:
    device, _ = make()
    header = device.head
    fields = {f: getattr(header, f) for f in BlockHeader.__dataclass_fields__}
    assert BlockHeader(**{**fields, "receipts_root": bytes(32)}).hash != header.hash
    assert BlockHeader(**{**fields, "receipt_count": 2}).hash != header.hash
    assert BlockHeader(**fields).hash == header.hash


def run_logged(path: Path) -> Device:
    device = Device(DeviceConfig(receipts_roots=True), make_genesis(), seed=1, store=path)
    odd = device.deploy(device.account("alice"), Odd)
    for n in range(3):
        device.submit(device.sign(device.account("bob"), odd, "give", "dict", n))
        device.build_block()
    assert isinstance(device.log, SqliteLog)
    device.log.close()
    return device


def test_replay_checks_each_logged_receipts_root(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    device = run_logged(path)
    assert replay(path).head.hash == device.head.hash
    copy = tmp_path / "tampered.db"
    shutil.copy(path, copy)
    with sqlite3.connect(copy) as db:
        db.execute("UPDATE records SET receipts_root = ? WHERE number = 3", (bytes(32),))
    with pytest.raises(ReplayMismatch, match="block 3: replayed receipts root"):
        replay(copy)


def test_a_log_from_before_receipts_roots_replays_and_grows_the_column(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    device = run_logged(path)
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE records DROP COLUMN receipts_root")
    assert replay(path).state_hash() == device.state_hash()  # state hashes still checked
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE records SET state_hash = ? WHERE number = 2", (bytes(32),)
        )  # so a broken one is still caught
    with pytest.raises(ReplayMismatch, match="block 2: replayed state hash"):
        replay(path)
    log = SqliteLog(path)  # a writer reopening an older log adds the column
    with sqlite3.connect(path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(records)")]
    log.close()
    assert "receipts_root" in columns


def test_the_leaf_value_is_json_free_of_floats() -> None:
    # the JSON text of a result never holds a float (1.5 has no JSON form here)
    value = leaf_value(receipt({"x": [1, 2]}))
    assert json.loads(value[5]) == {"x": [1, 2]}  # type: ignore[arg-type]


# -- the switch (DeviceConfig.receipts_roots) ---------------------------------------------


def test_an_embedded_device_keeps_no_receipts_roots_by_default(tmp_path: Path) -> None:
    path = tmp_path / "off.db"
    device = Device(DeviceConfig(), make_genesis(), seed=1, store=path)
    odd = device.deploy(device.account("alice"), Odd)
    for n in range(3):
        device.submit(device.sign(device.account("bob"), odd, "give", "dict", n))
    block = device.build_block()
    assert block.header.receipt_count == 3 == len(block.receipts)
    assert block.header.receipts_root == EMPTY_ROOT  # no root, whatever the count
    assert isinstance(device.log, SqliteLog)
    device.log.close()
    with sqlite3.connect(path) as db:
        logged = [row[0] for row in db.execute("SELECT receipts_root FROM records")]
    assert logged and all(root is None for root in logged)  # nothing logged to check
    assert replay(path).head.hash == device.head.hash


def test_the_switch_changes_only_the_root_and_the_genesis_hash() -> None:
    def run(on: bool) -> Device:
        config = DeviceConfig(block_gas_limit=10**9, receipts_roots=on)
        device = Device(config, make_genesis(), seed=1)
        odd = device.deploy(device.account("alice"), Odd)
        for n in range(40):
            device.submit(device.sign(device.account("bob"), odd, "give", "list", n))
        device.build_block()
        return device

    off, on = run(False), run(True)
    assert off.state_hash() == on.state_hash()  # the economic state is the same
    assert off.head.receipts_root == EMPTY_ROOT
    assert on.head.receipts_root == reference_mth(reference_pages(list(on.blocks[-1].receipts)))
    # Off is the default and, as a field added later, leaves the meta fields (so the
    # genesis hash) as they were; on is a meta field like any other.
    genesis = make_genesis()
    assert "config.receipts_roots" not in meta_fields(off.config, genesis, 1)
    assert meta_fields(on.config, genesis, 1)["config.receipts_roots"] == "true"


def test_a_log_with_roots_replayed_with_them_off_checks_its_state_hashes(tmp_path: Path) -> None:
    # A log whose config turns roots off (the key present, false) replays with them off
    # and checks only state hashes, whatever its root column holds (here filled in by
    # hand). A log with no receipts_roots key at all was written before the switch and
    # keeps them: test_a_log_from_before_the_switch_replays_with_roots_to_the_same_head.
    path = tmp_path / "off.db"
    device = Device(DeviceConfig(), make_genesis(), seed=1, store=path)
    odd = device.deploy(device.account("alice"), Odd)
    device.submit(device.sign(device.account("bob"), odd, "give", "dict", 1))
    device.build_block()
    assert isinstance(device.log, SqliteLog)
    device.log.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE records SET receipts_root = ?", (bytes(32),))
    assert replay(path).state_hash() == device.state_hash()


# -- forks with roots on -----------------------------------------------------------------
@pytest.mark.parametrize("roots", [True, False])
def test_a_forks_alternative_blocks_commit_their_own_receipts(roots: bool, tmp_path: Path) -> None:
    """Blocks a fork builds are sealed as any block: with roots on, each alternative
    header commits to the alternative block's receipts (not the replaced block's); the
    log records them and replay checks them (a tampered alternative root is caught);
    with roots off, every header keeps the empty root and replay still agrees."""
    path = tmp_path / "fork.db"
    config = DeviceConfig(block_gas_limit=10**9, finality_depth=3, receipts_roots=roots)
    device = Device(config, make_genesis(), seed=1, store=path)
    odd = device.deploy(device.account("alice"), Odd)
    bob, carol = device.account("bob"), device.account("carol")
    for n in range(3):
        device.submit(device.sign(bob, odd, "give", "dict", n))
        device.build_block()
    replaced = {h.number: h for h in device.headers[-2:]}
    signed = [device.sign(carol, odd, "give", "list", n, nonce=n) for n in range(37)]
    alt = [signed[:4], [], signed[4:]]
    device.reorg(2, alt, builder="bandit")
    for n in range(2):
        device.submit(device.sign(carol, odd, "give", "big", 50 + n))
        device.build_block()
    for block in device.blocks:
        header = block.header
        assert header.receipt_count == len(block.receipts)
        expected = reference_mth(reference_pages(list(block.receipts))) if roots else EMPTY_ROOT
        assert header.receipts_root == expected, header.number
    alternative = [h for h in device.headers if h.number in replaced]
    assert [h.receipt_count for h in alternative] == [4, 0]
    if roots:  # the replaced blocks had one receipt each: another root
        assert all(h.receipts_root != replaced[h.number].receipts_root for h in alternative)
    assert isinstance(device.log, SqliteLog)
    device.log.close()
    replayed = replay(path)
    assert replayed.head.hash == device.head.hash
    assert [h.receipts_root for h in replayed.headers] == [h.receipts_root for h in device.headers]
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT number, receipts_root FROM records ORDER BY rowid").fetchall()
    logged = [root for number, root in rows if number == max(replaced)]
    # the replaced block 4 first, its alternative last (the fork's record between)
    if not roots:
        assert set(logged) == {None}
        return
    assert logged[0] == replaced[4].receipts_root
    assert logged[-1] == next(h.receipts_root for h in device.headers if h.number == 4)
    copy = tmp_path / "tampered.db"
    shutil.copy(path, copy)
    with sqlite3.connect(copy) as db:
        last = db.execute("SELECT max(rowid) FROM records WHERE number = 4").fetchone()[0]
        db.execute("UPDATE records SET receipts_root = ? WHERE rowid = ?", (bytes(32), last))
    with pytest.raises(ReplayMismatch, match="block 4: replayed receipts root"):
        replay(copy)


def write_pre_switch_log(path: Path, config: DeviceConfig | None = None) -> Device:
    """A log as written before ``DeviceConfig.receipts_roots`` existed (commit 4e3ea91):
    every header had its receipts root, each record logs it, and the config JSON has no
    ``receipts_roots`` key (the genesis hash then left it out, as it does for ``False``)."""
    config = (config or DeviceConfig()).model_copy(update={"receipts_roots": False})
    device = Device(config, make_genesis(), seed=1, store=path)
    device._receipts_roots = True  # roots were always on then
    odd = device.deploy(device.account("alice"), Odd)
    for n in range(3):
        device.submit(device.sign(device.account("bob"), odd, "give", "list", n))
        device.build_block()
    assert isinstance(device.log, SqliteLog)
    device.log.close()
    with sqlite3.connect(path) as db:
        (text,) = db.execute("SELECT value FROM meta WHERE key = 'config'").fetchone()
        data = json.loads(text)
        del data["receipts_roots"]
        db.execute("UPDATE meta SET value = ? WHERE key = 'config'", (json.dumps(data),))
    return device


def test_a_log_from_before_the_switch_replays_with_roots_to_the_same_head(tmp_path: Path) -> None:
    """Its headers had roots, so its block hashes commit to them: replay keeps them on,
    reaches the head hash the run published, and checks each logged root. (Before the
    fix it replayed with roots off, to another head hash: a published head hash no
    longer verified.)"""
    path = tmp_path / "old.db"
    original = write_pre_switch_log(path)
    assert original.head.receipts_root != EMPTY_ROOT
    replayed = replay(path, head_hash=original.head.hash)
    assert [h.hash for h in replayed.headers] == [h.hash for h in original.headers]
    assert replayed.genesis_hash == original.genesis_hash
    copy = tmp_path / "tampered.db"
    shutil.copy(path, copy)
    with sqlite3.connect(copy) as db:
        db.execute("UPDATE records SET receipts_root = ? WHERE number = 3", (bytes(32),))
    with pytest.raises(ReplayMismatch, match="block 3: replayed receipts root"):
        replay(copy)
