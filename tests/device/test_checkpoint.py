"""Checkpoints: a restored device equals the one that never stopped, and an edited,
torn or foreign checkpoint is refused with one line."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.device import DEPLOY, Device, DeviceConfig
from accord.device.checkpoint import HEADERS_KEPT, CheckpointRefused, Expected, export, restore
from accord.device.commitments.build import commitment, fires, transfer
from accord.device.errors import DeviceError
from accord.device.keys import Keyring
from accord.device.state import full_state_hash
from tests.device.conftest import USERS, make_genesis
from tests.device.sample_contracts import Vault

SECRET = bytes(range(32))


def _maker(device: Device) -> Callable[[], Device]:
    return lambda: Device(device.config, device.genesis, seed=device.seed, keyring=device.keyring)


def _fresh(**config: Any) -> Device:
    return Device(DeviceConfig(**config), make_genesis(), seed=5, keyring=Keyring(SECRET))


# The operations a generated run is made of: each signs and submits with the device's
# own keyring, so the same operation gives the same transaction on both devices.
Op = tuple[str, int, int]


def _apply(device: Device, op: Op) -> None:
    kind, a, b = op
    who, other = USERS[a % len(USERS)], USERS[b % len(USERS)]
    account = device.account(who)
    nonce = device.next_nonce(who)
    vaults = [addr for addr in device.contracts if addr != "0xregistry" and addr.startswith("0x")]
    vaults = [v for v in vaults if isinstance(device.contracts[v], Vault)]
    if kind == "transfer":
        device.submit(device.sign(account, other, value={"ETH": 1 + b}, nonce=nonce))
    elif kind == "deploy":
        device.submit(
            device.sign(account, DEPLOY, Vault.class_path(), gas_limit=2_000_000, nonce=nonce)
        )
    elif kind == "deposit" and vaults:
        vault = vaults[b % len(vaults)]
        device.submit(device.sign(account, vault, "deposit_logged", other, a + 1, nonce=nonce))
    elif kind == "commit":
        # A one-sided commitment that waits for a partner (pending) until it expires.
        name = f"c{device.number}-{a}-{b}"
        c = commitment(
            who,
            name,
            expiry=device.number + 2 + b % 4,
            condition=fires(f"{other}/never"),
            actions=[transfer("USD", other, 1)],
            requires={"USD": 1},
        )
        device.commit(account, c)
    elif kind == "open":
        name = f"new{device.number}x{a}"
        if name not in device.accounts:
            device.open_account(name)
    elif kind == "block":
        device.build_block()


OPS = st.lists(
    st.tuples(
        st.sampled_from(["transfer", "deploy", "deposit", "commit", "open", "block", "block"]),
        st.integers(0, 7),
        st.integers(0, 7),
    ),
    max_size=30,
)


def _run(device: Device, ops: list[Op]) -> None:
    for op in ops:
        _apply(device, op)
    device.build_block()


def test_a_round_trip_keeps_the_state_hash_and_the_head() -> None:
    device = _fresh()
    _run(device, [("deploy", 0, 0), ("block", 0, 0), ("deposit", 1, 2), ("open", 1, 1)])
    restored = restore(export(device), _maker(device))
    assert restored.number == device.number
    assert restored.head == device.head
    assert restored.state_hash() == device.state_hash() == device.head.state_hash
    assert restored.base_fee == device.base_fee
    assert restored.accounts == device.accounts
    assert list(restored.beacons.values) == list(device.beacons.values)
    assert restored.beacons.latest == device.beacons.latest
    assert list(restored.contracts) == list(device.contracts)
    for address, contract in device.contracts.items():
        assert restored.contracts[address].storage() == contract.storage()
    assert (
        full_state_hash(restored.ledger, restored.contracts, restored.number, restored.base_fee)
        == device.head.state_hash
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=OPS, after=OPS)
def test_a_restored_device_continues_as_one_that_never_stopped(
    before: list[Op], after: list[Op]
) -> None:
    device = _fresh()
    _run(device, before)
    assert len(device.mempool) == 0  # what a checkpoint leaves out
    pending = [c.id for c in device.pending_commitments()]
    restored = restore(export(device), _maker(device))
    assert [c.id for c in restored.pending_commitments()] == pending
    assert list(restored.resolutions) == list(device.resolutions)
    for op in after:
        _apply(device, op)
        _apply(restored, op)
        if op[0] == "block":
            assert restored.head == device.head
    device.build_block()
    restored.build_block()
    assert restored.head == device.head
    assert restored.state_hash() == device.state_hash()
    assert restored.blocks[-1].receipts == device.blocks[-1].receipts
    assert list(restored.resolutions) == list(device.resolutions)


def test_a_long_chain_keeps_only_the_header_window() -> None:
    device = _fresh()
    for _ in range(HEADERS_KEPT + 10):
        device.build_block()
    restored = restore(export(device), _maker(device))
    assert len(restored.headers) == HEADERS_KEPT
    assert restored.headers == device.headers[-HEADERS_KEPT:]
    assert list(restored.beacons.values) == list(device.beacons.values)
    restored.build_block()
    device.build_block()
    assert restored.head == device.head


def test_the_expected_head_is_checked() -> None:
    device = _fresh()
    _run(device, [("transfer", 0, 1)])
    data = export(device)
    head = device.head
    ok = restore(data, _maker(device), expect=_expect(device, with_hash=True))
    assert ok.head == head
    with pytest.raises(CheckpointRefused, match="is of block 1, expected 2"):
        restore(data, _maker(device), expect=Expected(2, head.state_hash, None, head.builder))
    for wrong in (
        Expected(1, bytes(32), None, head.builder),
        Expected(1, head.state_hash, bytes(32), head.builder),
        Expected(1, head.state_hash, None, "mallory"),
        Expected(1, head.state_hash, None, head.builder, bytes(32)),
    ):
        with pytest.raises(CheckpointRefused, match="not the one the chain log holds"):
            restore(data, _maker(device), expect=wrong)


def _expect(device: Device, *, with_hash: bool = False) -> Expected:
    h = device.head
    return Expected(
        h.number, h.state_hash, h.receipts_root, h.builder, h.hash if with_hash else None
    )


def _edited(data: bytes, edit: Callable[[dict[str, Any]], None]) -> bytes:
    payload = json.loads(data)
    edit(payload)
    return json.dumps(payload).encode()


def _set_balance(p: dict[str, Any]) -> None:
    p["tables"]["balances"][0][1] += 1


def _mint(p: dict[str, Any]) -> None:
    p["tables"]["balances"].append([["mallory", "ETH"], 10**30])


def _vault_storage(p: dict[str, Any]) -> None:
    for entry in p["contracts"]:
        if entry[3]:
            entry[3][0][1][0][1] = 10**9


def _header_builder(p: dict[str, Any]) -> None:
    p["headers"][-1][3] = "mallory"


def _header_gas(p: dict[str, Any]) -> None:
    p["headers"][-1][6] += 1


def _foreign_class(p: dict[str, Any]) -> None:
    p["contracts"][-1][1] = "os:system"


def _unknown_var(p: dict[str, Any]) -> None:
    p["contracts"][-1][2].append(["total", 1])


def _float(p: dict[str, Any]) -> None:
    p["tables"]["nonces"][0][1] = 1.5


def _genesis(p: dict[str, Any]) -> None:
    p["genesis_hash"] = "00" * 32


def _drop_header(p: dict[str, Any]) -> None:
    del p["headers"][-2]


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (_set_balance, "its state hashes to"),
        (_mint, "its state hashes to"),
        (_vault_storage, "its state hashes to"),
        (_header_builder, "not the one the chain log holds"),
        (_header_gas, "not the one the chain log holds"),
        (_foreign_class, "not in the genesis contract allowlist"),
        (_unknown_var, "has no Var"),
        (_float, "non-canonical"),
        (_genesis, "another chain"),
        (_drop_header, "does not follow its parent"),
    ],
)
def test_an_edited_checkpoint_is_refused_in_one_line(
    edit: Callable[[dict[str, Any]], None], says: str
) -> None:
    device = _fresh()
    _run(device, [("deploy", 0, 0), ("block", 0, 0), ("deposit", 1, 2), ("block", 0, 0)])
    data = _edited(export(device), edit)
    with pytest.raises(CheckpointRefused, match=says) as caught:
        restore(data, _maker(device), expect=_expect(device, with_hash=True))
    assert "\n" not in str(caught.value)


def test_a_torn_checkpoint_is_refused() -> None:
    device = _fresh()
    _run(device, [("deploy", 0, 0), ("block", 0, 0)])
    data = export(device)
    for cut in (0, 1, len(data) // 2, len(data) - 1):
        with pytest.raises(CheckpointRefused):
            restore(data[:cut], _maker(device))


@settings(max_examples=60, deadline=None)
@given(
    junk=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.floats(),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
        ),
        max_leaves=20,
    ),
    key=st.sampled_from(["headers", "accounts", "tables", "contracts", "resolutions", "number"]),
)
def test_generated_garbage_in_any_field_is_refused_not_raised(junk: Any, key: str) -> None:
    device = _GARBAGE_BASE
    payload = json.loads(_GARBAGE_DATA)
    payload[key] = junk
    try:
        restored = restore(json.dumps(payload).encode(), _maker(device))
    except CheckpointRefused as exc:
        assert "\n" not in str(exc)
    else:  # what passes is the same head and the same state (resolutions: say so)
        assert restored.head == device.head
        assert restored.state_hash() == device.head.state_hash


_GARBAGE_BASE = _fresh()
_run(_GARBAGE_BASE, [("deploy", 0, 0), ("block", 0, 0), ("deposit", 1, 2), ("commit", 1, 2)])
_GARBAGE_DATA = export(_GARBAGE_BASE)


def test_export_is_refused_mid_block_and_under_forks() -> None:
    forking = _fresh(finality_depth=2)
    with pytest.raises(DeviceError, match="finality_depth"):
        export(forking)
    device = _fresh()
    device.ledger.write(device.ledger.balances, ("alice", "ETH"), 1)
    with pytest.raises(DeviceError, match="between blocks"):
        export(device)
