"""Checking a node's receipt proof (``accord_getProof``) without trusting the node.

:func:`verify_receipt_proof` takes a proof as the node answered it (JSON, parsed) and a
block hash the caller trusts (from its own node, a second node, a published checkpoint),
or a header whose hash it trusts, and recomputes everything:

1. the header from its fields, and its hash (:attr:`~accord.device.BlockHeader.hash`),
   which must be the trusted one (and the proof's ``block_hash``);
2. the page: ``page_index`` must be a page of a block of the header's
   ``receipt_count`` receipts, and ``page`` must hold exactly as many receipts as that
   page has (32, or the rest on the last page: :func:`~accord.device.receipts_root.page_size`;
   a shorter or longer page would let a receipt claim another index), ``position`` one
   of them;
3. each of the page's leaf values from its named fields (:mod:`accord.node.proofs`),
   and the claimed ``receipt``'s, which must encode exactly as the page's entry at
   ``position``, field by field;
4. the page's leaf hash, ``SHA-256(0x00 || encode(tuple of its leaf values))``, and the
   Merkle root from it, the page index, the page count and the audit path (RFC 9162
   §2.1.3.2, :func:`~accord.device.merkle.root_from_path`), which must be the header's
   ``receipts_root``.

Any malformed field or mismatch raises :class:`InvalidProof`, one line naming what is
wrong. What a valid proof shows: this receipt, at index ``32 * page_index + position``,
is among the receipts of the block with the trusted hash. What it does not show: that
the block is canonical or final (trust the hash for that), nor anything about a
receipt's effects beyond its fields (the state after the block is committed by
``state_hash``, not proven here).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

from accord.device import BlockHeader, Event, Receipt
from accord.device.encoding import digest_bytes
from accord.device.errors import DeviceError
from accord.device.merkle import leaf_hash, root_from_path
from accord.device.receipts_root import PAGE, page_count, page_data, page_size
from accord.node.wire import WireError, value_from_json

MAX_PATH = 64
"""Longest audit path accepted (a tree of 2^64 leaves)."""

_HEADER_INTS = ("number", "timestamp", "base_fee", "gas_limit", "gas_used", "receipt_count")
_HEADER_HASHES = ("parent_hash", "tx_root", "state_hash", "beacon", "receipts_root")
_HEADER_KEYS = frozenset({*_HEADER_INTS, *_HEADER_HASHES, "builder"})
_RECEIPT_KEYS = frozenset(
    {
        "tx_hash",
        "status",
        "gas_used",
        "fee_paid",
        "tip_paid",
        "result",
        "result_type",
        "events",
        "error",
        "contract_address",
    }
)
_PROOF_KEYS = frozenset(
    {"receipt", "page", "page_index", "position", "path", "header", "block_hash"}
)
_LEAF_FIELDS = (
    "tx_hash",
    "status",
    "gas_used",
    "fee_paid",
    "tip_paid",
    "result",
    "events",
    "error",
    "contract_address",
    "result_type",
)
_STATUSES = ("success", "reverted", "out_of_gas")


class InvalidProof(DeviceError):
    """A receipt proof that is malformed or does not verify; ``field`` says where."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True, slots=True)
class ProvenReceipt:
    """What a verified proof establishes: ``receipt`` is receipt ``index`` of the block
    whose header is ``header`` (and whose hash the caller trusts)."""

    receipt: Receipt
    index: int
    header: BlockHeader
    result_type: str
    """``""`` when ``receipt.result`` is the canonical result itself; otherwise the
    result's type name, and ``receipt.result`` its JSON text parsed (or None)."""


def _keys(data: object, keys: frozenset[str], where: str) -> dict[str, Any]:
    if type(data) is not dict:
        raise InvalidProof(f"expected an object, got {type(data).__name__}", field=where)
    if set(data) != keys:
        missing, extra = sorted(keys - set(data)), sorted(set(data) - keys)
        raise InvalidProof(f"missing {missing}, unexpected {extra[:5]}", field=where)
    return data


def _int(value: object, where: str) -> int:
    if type(value) is not int or value < 0:
        raise InvalidProof(f"expected a non-negative integer, got {value!r:.80}", field=where)
    return value


def _str(value: object, where: str, *, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if type(value) is not str:
        raise InvalidProof(f"expected a string, got {type(value).__name__}", field=where)
    return value


def _hash(value: object, where: str) -> bytes:
    if type(value) is not str or len(value) != 64:
        raise InvalidProof("expected 64 hex digits", field=where)
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise InvalidProof("not hex", field=where) from None


def _canonical(value: object, where: str) -> Any:
    try:
        return value_from_json(value, where)
    except WireError as exc:
        raise InvalidProof(str(exc), field=where) from None


def header_from_json(data: object, where: str = "header") -> BlockHeader:
    """A header from the node's JSON, every field checked for its type."""
    fields = _keys(data, _HEADER_KEYS, where)
    return BlockHeader(
        number=_int(fields["number"], f"{where}.number"),
        timestamp=_int(fields["timestamp"], f"{where}.timestamp"),
        parent_hash=_hash(fields["parent_hash"], f"{where}.parent_hash"),
        builder=_str(fields["builder"], f"{where}.builder"),
        base_fee=_int(fields["base_fee"], f"{where}.base_fee"),
        gas_limit=_int(fields["gas_limit"], f"{where}.gas_limit"),
        gas_used=_int(fields["gas_used"], f"{where}.gas_used"),
        tx_root=_hash(fields["tx_root"], f"{where}.tx_root"),
        state_hash=_hash(fields["state_hash"], f"{where}.state_hash"),
        beacon=_hash(fields["beacon"], f"{where}.beacon"),
        receipt_count=_int(fields["receipt_count"], f"{where}.receipt_count"),
        receipts_root=_hash(fields["receipts_root"], f"{where}.receipts_root"),
    )


def _event(data: object, where: str) -> tuple[str, str, tuple[tuple[str, Any], ...]]:
    fields = _keys(data, frozenset({"address", "name", "data"}), where)
    pairs = fields["data"]
    if type(pairs) is not list:
        raise InvalidProof("expected an array of [key, value] pairs", field=f"{where}.data")
    out: list[tuple[str, Any]] = []
    for i, pair in enumerate(pairs):
        at = f"{where}.data[{i}]"
        if type(pair) is not list or len(pair) != 2:
            raise InvalidProof("expected a [key, value] pair", field=at)
        out.append((_str(pair[0], at), _canonical(pair[1], at)))
    keys = [k for k, _ in out]
    if keys != sorted(set(keys)):
        raise InvalidProof("keys must be unique and in order", field=f"{where}.data")
    return (
        _str(fields["address"], f"{where}.address"),
        _str(fields["name"], f"{where}.name"),
        tuple(out),
    )


def leaf_value_from_json(data: object, where: str = "receipt") -> tuple[Any, ...]:
    """The leaf value (:mod:`accord.device.receipts_root`) a proof's receipt names."""
    fields = _keys(data, _RECEIPT_KEYS, where)
    status = fields["status"]
    if status not in _STATUSES or type(status) is not str:
        raise InvalidProof(f"expected one of {_STATUSES}", field=f"{where}.status")
    result_type = _str(fields["result_type"], f"{where}.result_type")
    if result_type:
        result = _str(fields["result"], f"{where}.result", optional=True)
    else:
        result = _canonical(fields["result"], f"{where}.result")
    events = fields["events"]
    if type(events) is not list:
        raise InvalidProof("expected an array", field=f"{where}.events")
    value = (
        _hash(fields["tx_hash"], f"{where}.tx_hash"),
        status,
        _int(fields["gas_used"], f"{where}.gas_used"),
        _int(fields["fee_paid"], f"{where}.fee_paid"),
        _int(fields["tip_paid"], f"{where}.tip_paid"),
        result,
        tuple(_event(e, f"{where}.events[{i}]") for i, e in enumerate(events)),
        _str(fields["error"], f"{where}.error", optional=True),
        _str(fields["contract_address"], f"{where}.contract_address", optional=True),
    )
    return (*value, result_type) if result_type else value


def verify_receipt_proof(
    proof: object,
    trusted_block_hash: bytes | str | None = None,
    *,
    trusted_header: BlockHeader | None = None,
) -> ProvenReceipt:
    """Check ``proof`` against a block hash (bytes or hex) or a header the caller trusts;
    returns the proven receipt, or raises :class:`InvalidProof` (module docstring)."""
    if (trusted_block_hash is None) == (trusted_header is None):
        raise InvalidProof("give a trusted block hash or a trusted header", field="trusted")
    if trusted_header is not None:
        trusted = trusted_header.hash
    elif type(trusted_block_hash) is bytes and len(trusted_block_hash) == 32:
        trusted = trusted_block_hash
    else:
        trusted = _hash(trusted_block_hash, "trusted_block_hash")
    fields = _keys(proof, _PROOF_KEYS, "proof")
    header = header_from_json(fields["header"])
    block_hash = header.hash
    if block_hash != trusted:
        raise InvalidProof(
            f"the header hashes to {block_hash.hex()}, not the trusted {trusted.hex()}",
            field="header",
        )
    if _hash(fields["block_hash"], "block_hash") != block_hash:
        raise InvalidProof("is not the header's hash", field="block_hash")
    count = header.receipt_count
    page_index = fields["page_index"]
    if type(page_index) is not int or not 0 <= page_index < page_count(count):
        raise InvalidProof(
            f"{page_index!r:.40} is not a page of a block of {count} receipts", field="page_index"
        )
    size = page_size(count, page_index)
    page = fields["page"]
    if type(page) is not list or len(page) != size:
        got = len(page) if type(page) is list else type(page).__name__
        raise InvalidProof(
            f"page {page_index} of a block of {count} receipts holds {size}, got {got}",
            field="page",
        )
    position = fields["position"]
    if type(position) is not int or not 0 <= position < size:
        raise InvalidProof(
            f"{position!r:.40} is not a position in a page of {size}", field="position"
        )
    path = fields["path"]
    if type(path) is not list or len(path) > MAX_PATH:
        raise InvalidProof(f"expected an array of at most {MAX_PATH} hashes", field="path")
    nodes = [_hash(p, f"path[{i}]") for i, p in enumerate(path)]
    values = [leaf_value_from_json(entry, f"page[{j}]") for j, entry in enumerate(page)]
    value = leaf_value_from_json(fields["receipt"])
    _same_entry(value, values[position], position)
    try:
        computed = root_from_path(
            leaf_hash(page_data(values)), page_index, page_count(count), nodes
        )
    except ValueError as exc:
        raise InvalidProof(str(exc), field="path") from None
    if computed != header.receipts_root:
        raise InvalidProof(
            "the page, its index and the path give another root than the header's receipts_root",
            field="page",
        )
    index = PAGE * page_index + position
    return ProvenReceipt(_receipt(value), index, header, value[9] if len(value) == 10 else "")


def _same_entry(claimed: tuple[Any, ...], entry: tuple[Any, ...], position: int) -> None:
    """The claimed receipt must encode as the page's entry, field by field (encodings, not
    ``==``: ``True == 1`` in Python, yet they are different leaf values)."""
    for i, name in enumerate(_LEAF_FIELDS):
        mine = digest_bytes(claimed[i]) if i < len(claimed) else None
        theirs = digest_bytes(entry[i]) if i < len(entry) else None
        if mine != theirs:
            raise InvalidProof(f"differs from page[{position}].{name}", field=f"receipt.{name}")


def _receipt(value: tuple[Any, ...]) -> Receipt:
    result = value[5]
    if len(value) == 10 and result is not None:
        with contextlib.suppress(ValueError):  # a text the device wrote; kept if unreadable
            result = json.loads(result)
    events = tuple(Event(a, n, d) for a, n, d in value[6])
    return Receipt(value[0], value[1], value[2], value[3], value[4], result, events, *value[7:9])
