"""A block's receipts as Merkle leaves: the header's ``receipts_root``.

Each receipt is one leaf of an RFC 6962 tree (:mod:`accord.device.merkle`), in the
block's order. A leaf's data is the canonical encoding
(:func:`~accord.device.encoding.digest_bytes`, the wire's ``encode``) of the receipt's
*leaf value*, a canonical tuple. When the result is a canonical value (nearly always)::

    (tx_hash, status, gas_used, fee_paid, tip_paid, result, events, error,
     contract_address)

that is, the receipt's own fields, with ``events`` a tuple of ``(address, name, data)``
and ``data`` the event's ``(key, value)`` pairs in key order (as ``emit`` stores them).
A contract method may return something that is not canonical (a dict, an object); a
list is frozen to a tuple first, as :func:`~accord.device.encoding.canonical` does. For
any other result the leaf value has a tenth item, the result's Python type name, and
``result`` is the result's JSON text (sorted keys, no spaces; a list is an array, bytes
``{"$bytes": hex}``) or ``None`` when it has none. A tuple's encoding starts with its
length, so a nine-item leaf (a canonical result) and a ten-item one can never be
confused, and no two receipts that differ in any field share a leaf.

The header binds the root and the leaf count (``receipt_count``), so an inclusion proof
pins the receipt, its index and the block (:mod:`accord.node.proofs`,
:func:`accord.client.verify_receipt_proof`).

*Cost.* Sealing a block hashes each receipt once and each inner node once (about two
SHA-256 calls a receipt). The common receipt (an atom result, no events, a plain field
tuple as the executor records it) is encoded as it stands, and the whole block's leaves
and levels are hashed in C-level ``map`` pipelines, with no Python frame per receipt.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import repeat
from marshal import dumps as _dumps
from operator import itemgetter
from typing import Any

from accord.device.encoding import Canonical, canonical, is_canonical
from accord.device.merkle import LEAF_STATE, prefixed_digests
from accord.device.merkle import root as merkle_root

_ATOMS = frozenset({int, str, bool, bytes, type(None)})
_TUPLE = frozenset({tuple})
_result = itemgetter(5)
_events = itemgetter(6)


def _jsonable(value: Any, depth: int = 0) -> Any:
    kind = type(value)
    if depth > 64:
        raise ValueError("nested too deep")
    if kind in (int, str, bool) or value is None:
        return value
    if kind is bytes:
        return {"$bytes": value.hex()}
    if kind is tuple or kind is list:
        return [_jsonable(v, depth + 1) for v in value]
    if kind is dict and all(type(k) is str for k in value):
        return {k: _jsonable(v, depth + 1) for k, v in value.items()}
    raise ValueError(f"a {kind.__name__} has no JSON form")


def result_leaf(result: object) -> tuple[Canonical, str]:
    """``(result, result_type)``: the result as a leaf holds it, and ``""`` for a
    canonical one or its type's name (module docstring)."""
    if type(result) in _ATOMS or is_canonical(result):
        return result, ""  # type: ignore[return-value]
    if type(result) is list:
        try:
            return canonical(result), ""
        except Exception:
            pass
    try:  # only exact built-in types are looked into: no code of the result's runs
        text: str | None = json.dumps(
            _jsonable(result), sort_keys=True, separators=(",", ":"), ensure_ascii=True
        )
    except Exception:
        text = None
    return text, type(result).__name__


def leaf_value(receipt: Sequence[Any]) -> tuple[Canonical, ...]:
    """A receipt's (or a receipt's field tuple's) leaf value (module docstring)."""
    result, result_type = result_leaf(receipt[5])
    events = tuple((e.address, e.name, e.data) for e in receipt[6])
    value = (*receipt[:5], result, events, receipt[7], receipt[8])
    return (*value, result_type) if result_type else value


def leaf_data(receipt: Sequence[Any]) -> bytes:
    """The bytes a receipt's leaf hashes: ``encode(leaf_value(receipt))``."""
    return _dumps(leaf_value(receipt), 0)


def leaf_hashes(receipts: Sequence[Sequence[Any]]) -> list[bytes]:
    """Each receipt's leaf hash, ``SHA-256(0x00 || leaf data)``, in order."""
    if (
        _TUPLE.issuperset(map(type, receipts))
        and _ATOMS.issuperset(map(type, map(_result, receipts)))
        and not any(map(_events, receipts))
    ):  # every receipt is a plain field tuple with an atom result and no events: each is
        # its own leaf value
        datas = list(map(_dumps, receipts, repeat(0)))  # type: ignore[arg-type]
    else:
        datas = list(map(leaf_data, receipts))
    return prefixed_digests(LEAF_STATE, datas)


def receipts_root(receipts: Sequence[Sequence[Any]]) -> bytes:
    """The Merkle Tree Hash of a block's receipts."""
    return merkle_root(leaf_hashes(receipts))
