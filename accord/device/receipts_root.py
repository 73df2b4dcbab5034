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

*Pages.* A leaf of the tree is a **page** of up to :data:`PAGE` (32) consecutive
receipts, receipts ``[32k, 32k + 32)`` in page ``k``; the last page holds the rest. A
page's leaf data is the canonical encoding of the tuple of its receipts' leaf values, in
order, and ``receipts_root`` is the RFC 6962 Merkle Tree Hash over the pages
(:mod:`accord.device.merkle`; no receipts: the empty tree's hash). The header binds the
root and the receipt count (``receipt_count``), which fixes the number of pages and each
page's size (:func:`page_size`), so an inclusion proof (the receipt's whole page, its
position in it, the page's audit path and the header) pins the receipt, its index and
the block (:mod:`accord.node.proofs`, :func:`accord.client.verify_receipt_proof`).

*Cost* (why pages). With one leaf per receipt, sealing took two SHA-256 calls a receipt
(its leaf and on average one inner node), each a hash object and several C calls:
1.25 µs a plain receipt, about a fifth of block production (``benchmarks/README.md``,
"The receipts root's cost"). With pages, a plain block (atom results, no events, field
tuples as the executor records them: each is its own leaf value) is encoded a page at a
time, one ``marshal.dumps`` of the page's tuple (0.13 µs a receipt against 0.25 µs one
by one), and hashed with one leaf hash and one inner node per page: 0.28 µs a plain
receipt in all (``benchmarks/bench_receipts_root.py``; 1.25 µs with a leaf a receipt).
A proof carries at most 32 receipts' leaf values and about ``log2(pages)`` hashes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from marshal import dumps as _dumps
from operator import itemgetter
from typing import Any

from accord.device.encoding import Canonical, canonical, is_canonical
from accord.device.merkle import LEAF_STATE, prefixed_digests
from accord.device.merkle import root as merkle_root

PAGE = 32
"""Receipts a page (a leaf of the receipts tree) holds; the last page may hold fewer."""

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


@dataclass(frozen=True, slots=True)
class OpaqueResult:
    """A non-canonical result kept as what is read of it, not as the object: its leaf
    (:func:`result_leaf`'s pair) and its JSON form for a reader (``None`` when it has
    none). A node's block archive stores results this way (``accord.node.archive``), so
    a receipt read back proves and reads as the original did."""

    leaf: Canonical
    type_name: str
    wire: Any


def result_leaf(result: object) -> tuple[Canonical, str]:
    """``(result, result_type)``: the result as a leaf holds it, and ``""`` for a
    canonical one or its type's name (module docstring)."""
    if type(result) is OpaqueResult:
        return result.leaf, result.type_name
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
    """The canonical encoding of a receipt's leaf value (a page's data encodes a tuple
    of these values, not the concatenation of these bytes)."""
    return _dumps(leaf_value(receipt), 0)


def page_count(receipt_count: int) -> int:
    """How many pages (leaves) a block of ``receipt_count`` receipts has."""
    return -(-receipt_count // PAGE)


def page_size(receipt_count: int, page_index: int) -> int:
    """How many receipts page ``page_index`` of such a block holds (0 if none)."""
    return max(0, min(PAGE, receipt_count - PAGE * page_index))


def page_data(values: Sequence[Sequence[Any]]) -> bytes:
    """The bytes a page's leaf hashes: ``encode(tuple of the page's leaf values)``,
    given the leaf values themselves (:func:`leaf_value`)."""
    return _dumps(tuple(map(tuple, values)), 0)


def page_hashes(receipts: Sequence[Sequence[Any]]) -> list[bytes]:
    """Each page's leaf hash, ``SHA-256(0x00 || page data)``, in order."""
    if (
        _TUPLE.issuperset(map(type, receipts))
        and _ATOMS.issuperset(map(type, map(_result, receipts)))
        and not any(map(_events, receipts))
    ):  # every receipt is a plain field tuple with an atom result and no events: each is
        # its own leaf value
        values = tuple(receipts)
    else:
        values = tuple(map(leaf_value, receipts))
    n = len(values)
    starts = range(0, n, PAGE)
    pages = map(values.__getitem__, map(slice, starts, range(PAGE, n + PAGE, PAGE)))
    return prefixed_digests(LEAF_STATE, list(map(_dumps, pages, repeat(0))))  # type: ignore[arg-type]


def receipts_root(receipts: Sequence[Sequence[Any]]) -> bytes:
    """The Merkle Tree Hash of a block's receipts' pages."""
    return merkle_root(page_hashes(receipts))
