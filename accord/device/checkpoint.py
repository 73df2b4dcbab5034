"""Checkpoints: a device's whole state at a sealed block, written out and read back.

A checkpoint is what a restart needs instead of replaying the chain from genesis: the
state the state hash covers (:mod:`accord.device.state`: balances, locks, supplies,
issuers, nonces, allowances, permit nonces, inclusions, every contract's class and
storage, the commitment registry's pending commitments among them), the accounts
opened after genesis with their keys, the last :data:`HEADERS_KEPT` headers, and the
commitment resolutions the device keeps (``Device.resolutions``). The mempool is not in
it (the node keeps its own journal of it), nor the blocks' bodies.

**Format.** UTF-8 JSON (``format`` :data:`FORMAT`); canonical values as the event log
writes them (tuples as arrays, bytes as ``{"$bytes": hex}``,
:func:`accord.device.encoding.to_jsonable`). No pickle: a checkpoint is data, and a
tampered one must not run code. Contract classes are resolved through the genesis
allowlist (:func:`~accord.device.validation.resolve_contract_class`) before anything is
imported, as a deployment's are.

**Verification** (:func:`restore`). A checkpoint is trusted for nothing. Its headers
must link (each one's ``parent_hash`` is its predecessor's hash), carry the device's
timestamps, gas limit, base fees (EIP-1559's rule from the previous header) and beacons
(:func:`~accord.device.beacon.beacon_value` from the previous header), and the head
must be the block the caller expects (``expect``: its number, state hash and receipts
root and builder, as the chain log recorded them, and its hash when the caller keeps
headers elsewhere: the fields a log does not record, such as ``gas_used``, are bound
only by that hash and by the next block's parent link). The state is then hashed **from scratch**
(:class:`~accord.device.state.StateDigest`, the full MSet-Add-Hash of Clarke et al.,
2003) and must give the head's state hash, with the next base fee. The first failure
raises :class:`CheckpointRefused`, one line naming what is wrong, and the half-built
device is dropped: the caller falls back to a full replay. The resolutions are
informational (the state hash does not cover them) and are only checked for shape.

Refused at export: a device with ``finality_depth > 0`` (its undo records, which a fork
needs, are not exported) and a device between a block's writes and its seal (its state
is not the head's).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, NamedTuple

from accord.device.beacon import BEACON_WINDOW, beacon_value
from accord.device.block import BlockHeader
from accord.device.collector import collector_paused
from accord.device.commitments.registry import REGISTRY_ADDRESS
from accord.device.commitments.resolver import GroupOutcome, Resolution
from accord.device.contract import Contract
from accord.device.device import Device
from accord.device.encoding import from_jsonable, is_canonical, to_jsonable
from accord.device.errors import DeviceError
from accord.device.state import StateDigest, finish
from accord.device.validation import resolve_contract_class

__all__ = ["FORMAT", "HEADERS_KEPT", "CheckpointRefused", "Expected", "export", "restore"]

FORMAT = 1
HEADERS_KEPT = BEACON_WINDOW
"""Headers a checkpoint holds (the newest): enough to rebuild the beacon window, which
reaches back :data:`~accord.device.beacon.BEACON_WINDOW` blocks."""

TABLES = (
    "balances",
    "locked",
    "supply",
    "issuers",
    "nonces",
    "allowances",
    "permit_nonces",
    "inclusions",
)
"""The ledger's tables in the state, by attribute name (:func:`state.state_entries`)."""

_HEADER_FIELDS = tuple(BlockHeader.__dataclass_fields__)


class Expected(NamedTuple):
    """What the caller knows of the checkpoint's head block, from its chain log (and,
    when it keeps headers elsewhere, the head's hash)."""

    number: int
    state_hash: bytes
    receipts_root: bytes | None
    builder: str
    hash: bytes | None = None


class CheckpointRefused(DeviceError):
    """A checkpoint that cannot be used: malformed, of another chain or block, or whose
    state does not hash to its header's state hash. Nothing was restored."""


def export(device: Device) -> bytes:
    """The device's state at its head block, as a checkpoint (module docstring)."""
    if device.config.finality_depth > 0:
        raise DeviceError(
            "no checkpoint of a device with finality_depth > 0: its undo records are not exported"
        )
    head = device.head
    if device.ledger.journal or device.state_hash() != head.state_hash:
        raise DeviceError("a checkpoint is taken between blocks: the state is not the head's")
    genesis_keys = device.genesis.public_keys
    ledger = device.ledger
    contracts = [
        [
            address,
            contract.class_path(),
            [[name, to_jsonable(v)] for name, v in contract._vars.items()],
            [
                [name, _pairs(contract.__dict__[name]._data)]
                for name in sorted(contract._maps)
                if contract.__dict__[name]._data
            ],
        ]
        for address, contract in device.contracts.items()
    ]
    payload = {
        "format": FORMAT,
        "genesis_hash": device.genesis_hash.hex(),
        "number": head.number,
        "headers": [_header_json(h) for h in device.headers[-HEADERS_KEPT:]],
        "accounts": [
            [name, key.hex()] for name, key in device._bound.items() if name not in genesis_keys
        ],
        "tables": {name: _pairs(getattr(ledger, name)) for name in TABLES},
        "contracts": contracts,
        "resolutions": [_resolution_json(r) for r in device.resolutions],
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def restore(
    data: bytes,
    make_device: Callable[[], Device],
    *,
    expect: Expected | None = None,
) -> Device:
    """A device at the checkpoint's head block, verified (module docstring).

    ``make_device`` builds the fresh device (at genesis, with the run's config, genesis,
    seed, log and history) that the state is put into. ``expect``: what the head must
    be (:class:`Expected`). Raises :class:`CheckpointRefused`.
    """
    try:
        payload = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CheckpointRefused(f"checkpoint is not JSON: {exc}") from None
    if type(payload) is not dict or payload.get("format") != FORMAT:
        raise CheckpointRefused(f"checkpoint is not of format {FORMAT}")
    device = make_device()
    try:
        with collector_paused():  # many small objects, none cyclic: no full-heap scans
            _apply(device, payload, expect)
    except CheckpointRefused:
        raise
    except (DeviceError, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise CheckpointRefused(f"malformed checkpoint: {type(exc).__name__}: {exc}") from None
    return device


# -- export helpers ----------------------------------------------------------------------
def _pairs(table: dict[Any, Any]) -> list[list[Any]]:
    return [[to_jsonable(k), to_jsonable(v)] for k, v in table.items()]


def _header_json(h: BlockHeader) -> list[Any]:
    return [to_jsonable(getattr(h, name)) for name in _HEADER_FIELDS]


def _group_json(g: GroupOutcome) -> list[Any]:
    return [list(g.members), g.ok, g.error, g.culprit]


def _resolution_json(r: Resolution) -> list[Any]:
    return [
        r.number,
        r.pending,
        list(r.fired),
        [_group_json(g) for g in r.groups],
        [_group_json(g) for g in r.expired],
        r.worlds,
        r.exhausted,
        r.work,
    ]


# -- restore helpers ---------------------------------------------------------------------
def _value(raw: Any, what: str) -> Any:
    value = from_jsonable(raw)
    if not is_canonical(value):
        raise CheckpointRefused(f"checkpoint: {what} holds a non-canonical value")
    return value


def _fill(table: dict[Any, Any], pairs: Any, what: str) -> None:
    if type(pairs) is not list:
        raise CheckpointRefused(f"checkpoint: {what} is not a list of pairs")
    table.clear()
    for pair in pairs:
        if type(pair) is not list or len(pair) != 2:
            raise CheckpointRefused(f"checkpoint: {what} holds something other than a pair")
        table[_value(pair[0], what)] = _value(pair[1], what)


def _headers(device: Device, raw: Any) -> list[BlockHeader]:
    """The checkpoint's headers, each checked against its predecessor (module docstring)."""
    if type(raw) is not list or not raw:
        raise CheckpointRefused("checkpoint: no headers")
    config = device.config
    headers: list[BlockHeader] = []
    for fields in raw:
        if type(fields) is not list or len(fields) != len(_HEADER_FIELDS):
            raise CheckpointRefused("checkpoint: a header is malformed")
        values = [from_jsonable(f) for f in fields]
        header = BlockHeader(*values)
        n = header.number
        kinds = (int, int, bytes, str, int, int, int, bytes, bytes, bytes, int, bytes)
        if any(type(v) is not k for v, k in zip(values, kinds, strict=True)):
            raise CheckpointRefused(f"checkpoint: header {n!r} has a field of the wrong type")
        if header.timestamp != config.genesis_time_ms + n * config.block_time_ms:
            raise CheckpointRefused(f"checkpoint: header {n}'s timestamp is not the device's")
        if header.gas_limit != config.block_gas_limit:
            raise CheckpointRefused(f"checkpoint: header {n}'s gas limit is not the device's")
        if headers:
            parent = headers[-1]
            if n != parent.number + 1 or header.parent_hash != parent.hash:
                raise CheckpointRefused(f"checkpoint: header {n} does not follow its parent")
            if header.base_fee != _next_base_fee(device, parent):
                raise CheckpointRefused(f"checkpoint: header {n}'s base fee does not follow")
            if header.beacon != beacon_value(device.beacon_root, n, parent):
                raise CheckpointRefused(f"checkpoint: header {n}'s beacon is not the device's")
        elif n == 0 and header != device.head:
            raise CheckpointRefused("checkpoint: its genesis header is not this device's")
        headers.append(header)
    return headers


def _next_base_fee(device: Device, parent: BlockHeader) -> int:
    """The base fee of the block after ``parent`` (the genesis passes its own on)."""
    if parent.number == 0:
        return parent.base_fee
    return device.fee_market.base_fee_after(parent.base_fee, parent.gas_used, parent.gas_limit)


def _contract(device: Device, entry: Any) -> tuple[str, Contract]:
    address, path, var_pairs, maps = entry
    if type(address) is not str or type(path) is not str:
        raise CheckpointRefused("checkpoint: a contract entry is malformed")
    contract: Contract
    if address == REGISTRY_ADDRESS:
        contract = device.registry
        if path != contract.class_path():
            raise CheckpointRefused(f"checkpoint: the registry's class is not {path!r}")
    else:
        cls = resolve_contract_class(path, device.genesis.contract_modules)
        contract = cls.__new__(cls)
        contract._bind(address, device.ledger)
    _fill(contract._vars, var_pairs, f"contract {address}'s vars")
    unknown = set(contract._vars) - contract._var_names
    if unknown:
        raise CheckpointRefused(f"checkpoint: contract {address} has no Var {sorted(unknown)}")
    for name in contract._maps:
        contract.__dict__[name]._data.clear()
    if type(maps) is not list:
        raise CheckpointRefused(f"checkpoint: contract {address}'s maps are malformed")
    for pair in maps:
        name, items = pair
        if name not in contract._maps:
            raise CheckpointRefused(f"checkpoint: contract {address} has no Map {name!r}")
        _fill(contract.__dict__[name]._data, items, f"contract {address}'s map {name}")
    return address, contract


def _strings(raw: Any) -> tuple[str, ...]:
    if type(raw) is not list or any(type(x) is not str for x in raw):
        raise CheckpointRefused("checkpoint: a resolution's members are not strings")
    return tuple(raw)


def _optional_str(raw: Any) -> str | None:
    if raw is not None and type(raw) is not str:
        raise CheckpointRefused("checkpoint: a resolution's error or culprit is not a string")
    return raw


def _group(raw: Any) -> GroupOutcome:
    members, ok, error, culprit = raw
    if type(ok) is not bool:
        raise CheckpointRefused("checkpoint: a resolution's outcome is not a bool")
    return GroupOutcome(_strings(members), ok, _optional_str(error), _optional_str(culprit))


def _resolution(raw: Any) -> Resolution:
    number, pending, fired, groups, expired, worlds, exhausted, work = raw
    if any(type(x) is not int for x in (number, pending, worlds, work)) or (
        type(exhausted) is not bool or type(groups) is not list or type(expired) is not list
    ):
        raise CheckpointRefused("checkpoint: a resolution has a field of the wrong type")
    return Resolution(
        number,
        pending,
        _strings(fired),
        tuple(_group(g) for g in groups),
        tuple(_group(g) for g in expired),
        worlds,
        exhausted,
        work,
    )


def _apply(device: Device, payload: dict[str, Any], expect: Expected | None) -> None:
    if payload.get("genesis_hash") != device.genesis_hash.hex():
        raise CheckpointRefused("checkpoint is of another chain (its genesis hash differs)")
    headers = _headers(device, payload["headers"])
    head = headers[-1]
    number = head.number
    if payload["number"] != number:
        raise CheckpointRefused(
            f"checkpoint says block {payload['number']!r}, its headers {number}"
        )
    if expect is not None:
        if number != expect.number:
            raise CheckpointRefused(f"checkpoint is of block {number}, expected {expect.number}")
        if (
            head.state_hash != expect.state_hash
            or head.builder != expect.builder
            or (expect.receipts_root is not None and head.receipts_root != expect.receipts_root)
            or (expect.hash is not None and head.hash != expect.hash)
        ):
            raise CheckpointRefused(
                f"checkpoint's header of block {number} is not the one the chain log holds"
            )
    if len(headers) < min(HEADERS_KEPT, number + 1):
        raise CheckpointRefused(f"checkpoint holds {len(headers)} headers, too few")
    for name, key in payload["accounts"]:
        device._register(name, bytes.fromhex(key))
    ledger = device.ledger
    for name in TABLES:
        _fill(getattr(ledger, name), payload["tables"][name], name)
    contracts = device.contracts
    for entry in payload["contracts"]:
        address, contract = _contract(device, entry)
        if address != REGISTRY_ADDRESS:
            if address in contracts:
                raise CheckpointRefused(f"checkpoint: contract {address} appears twice")
            contracts[address] = contract
    resolutions = [_resolution(r) for r in payload["resolutions"]]
    base_fee = _next_base_fee(device, head)
    # Nothing restored is a change to fold in: the digest hashes the state from scratch.
    for tracked in ledger.tracked.values():
        tracked.origin.clear()
    device._digest = StateDigest(ledger, contracts)
    computed = finish(device._digest.accumulator, number, base_fee)
    if computed != head.state_hash:
        raise CheckpointRefused(
            f"checkpoint of block {number}: its state hashes to {computed.hex()[:16]}..., "
            f"its header says {head.state_hash.hex()[:16]}..."
        )
    device.headers[:] = headers
    device.base_fee = base_fee
    beacons = device.beacons
    beacons.values.clear()
    first = max(0, number + 2 - BEACON_WINDOW)
    beacons.latest = first - 1
    for header in headers:
        if header.number >= first:
            beacons.push(header.number, header.beacon)
    beacons.push(number + 1, beacon_value(device.beacon_root, number + 1, head))
    device.blocks.clear()
    device._receipts.clear()
    device._indexed = number
    device.resolutions.clear()
    device.resolutions.extend(resolutions)
    device._now = head.timestamp
    device._arrival = device._gate.arrival = head.timestamp + device._default_latency
    device._tracked_count = len(ledger.tracked)


def checksum(data: bytes) -> bytes:
    """BLAKE2b-256 of a checkpoint's bytes: catches a torn or corrupted copy early (an
    edited one is caught by the state hash)."""
    return hashlib.blake2b(data, digest_size=32).digest()
