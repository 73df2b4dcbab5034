"""The header's receipts root: leaf values of every kind of receipt, the root of every
sealed block, its place in the header hash, and replay checking it."""

from __future__ import annotations

import json
import shutil
import sqlite3
from hashlib import sha256
from marshal import dumps
from pathlib import Path

import pytest

from accord.device import Device, DeviceConfig, Event, Receipt, ReplayMismatch, replay
from accord.device.block import BlockHeader
from accord.device.merkle import EMPTY_ROOT, leaf_hash, root
from accord.device.receipts_root import leaf_data, leaf_hashes, leaf_value, receipts_root
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


def test_the_fast_path_agrees_with_the_general_one() -> None:
    event = Event("0xabc", "E", (("k", 1),))
    plain = [tuple(receipt(n)) for n in range(5)]
    mixed = [*plain, receipt({"a": 1}), tuple(receipt(2, (event,))), receipt(b"x")]
    for receipts in (plain, mixed, mixed[::-1], []):
        expected = [sha256(b"\x00" + leaf_data(r)).digest() for r in receipts]
        assert leaf_hashes(receipts) == expected  # type: ignore[arg-type]
        assert receipts_root(receipts) == root(expected)  # type: ignore[arg-type]


def make() -> tuple[Device, str]:
    device = Device(DeviceConfig(), make_genesis(), seed=1)
    odd = device.deploy(device.account("alice"), Odd)
    return device, odd


def test_every_sealed_block_commits_its_receipts() -> None:
    device, odd = make()
    kinds = ["int", "dict", "list", "list_of_dict", "object", "tuple", "big"]
    for size in range(0, 9):
        for i in range(size):
            sender = device.account(("alice", "bob", "carol")[i % 3])
            device.submit(device.sign(sender, odd, "give", kinds[i % len(kinds)], i))
        block = device.build_block()
        assert block.header.receipt_count == size == len(block.receipts)
        leaves = [leaf_hash(leaf_data(r)) for r in block.receipts]
        assert block.header.receipts_root == root(leaves)
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
    device = Device(DeviceConfig(), make_genesis(), seed=1, store=path)
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
