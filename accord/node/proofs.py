"""``accord_getProof``: a receipt with the Merkle path that ties it to its block's header.

A block header commits to its receipts through ``receipts_root``, the RFC 6962 Merkle
root of their pages (up to 32 consecutive receipts' leaf values a leaf:
:mod:`accord.device.receipts_root`), and to their number through ``receipt_count``; its
hash covers both. The proof of an included transaction's receipt, receipt
``i = 32 * page_index + position`` of its block, is::

    {"receipt": <its leaf value, by name>, "page": [<each leaf value of its page>],
     "page_index": i // 32, "position": i % 32, "path": ["<64 hex>", ...],
     "header": <every header field>, "block_hash": "<64 hex>"}

``path`` is the page's audit path among the block's pages, and ``page`` holds the whole
page (at most 32 leaf values, in order; ``receipt`` is its entry at ``position``).

A leaf value is given as an object of its fields by name: ``tx_hash``, ``status``,
``gas_used``, ``fee_paid``, ``tip_paid``, ``result``, ``result_type``, ``events`` (each
``{"address", "name", "data": [[key, value], ...]}`` in key order), ``error``,
``contract_address``. ``result_type`` is ``""`` when the result is a canonical value
(then ``result`` is it, in the wire's JSON); otherwise it names the result's type and
``result`` is its JSON text, or null. Everything a verifier needs to rebuild the page's
bytes is there, in one form only; :func:`accord.client.verify_receipt_proof` does it.
"""

from __future__ import annotations

from typing import Any

from accord.device import Block, BlockHeader, Receipt
from accord.device.merkle import audit_path
from accord.device.receipts_root import PAGE, page_hashes, result_leaf
from accord.node.reads import HashParams, parse_hash
from accord.node.rpc import Method
from accord.node.wire import value_to_json


def header_json(h: BlockHeader) -> dict[str, Any]:
    """Every field of a header (what its hash covers), hashes and bytes in hex."""
    return {
        "number": h.number,
        "timestamp": h.timestamp,
        "parent_hash": h.parent_hash.hex(),
        "builder": h.builder,
        "base_fee": h.base_fee,
        "gas_limit": h.gas_limit,
        "gas_used": h.gas_used,
        "tx_root": h.tx_root.hex(),
        "state_hash": h.state_hash.hex(),
        "beacon": h.beacon.hex(),
        "receipt_count": h.receipt_count,
        "receipts_root": h.receipts_root.hex(),
    }


def leaf_json(receipt: Receipt) -> dict[str, Any]:
    """A receipt's leaf value by name (module docstring)."""
    result, result_type = result_leaf(receipt.result)
    return {
        "tx_hash": receipt.tx_hash.hex(),
        "status": receipt.status,
        "gas_used": receipt.gas_used,
        "fee_paid": receipt.fee_paid,
        "tip_paid": receipt.tip_paid,
        "result": value_to_json(result) if not result_type else result,
        "result_type": result_type,
        "events": [
            {
                "address": e.address,
                "name": e.name,
                "data": [[k, value_to_json(v)] for k, v in e.data],
            }
            for e in receipt.events
        ],
        "error": receipt.error,
        "contract_address": receipt.contract_address,
    }


def receipt_proof(block: Block, tx_hash: bytes) -> dict[str, Any] | None:
    """The proof of ``tx_hash``'s receipt in ``block``, or None if it is not there."""
    receipts = block.receipts
    index = next((i for i, r in enumerate(receipts) if r.tx_hash == tx_hash), None)
    if index is None:
        return None
    page_index, position = divmod(index, PAGE)
    path = audit_path(page_hashes(receipts), page_index)
    return {
        "receipt": leaf_json(receipts[index]),
        "page": [leaf_json(r) for r in receipts[PAGE * page_index : PAGE * (page_index + 1)]],
        "page_index": page_index,
        "position": position,
        "path": [p.hex() for p in path],
        "header": header_json(block.header),
        "block_hash": block.header.hash.hex(),
    }


def get_proof(s: Any, p: HashParams) -> dict[str, Any] | None:
    """An included transaction's receipt with its Merkle path to the block header, or
    null (not included)."""
    tx_hash = parse_hash(p.hash)
    node = s.node
    number = node.block_of.get(tx_hash)
    if number is None:
        return None
    block = node.block(number)
    return None if block is None else receipt_proof(block, tx_hash)


METHODS: dict[str, Method] = {
    "accord_getProof": Method(
        HashParams,
        get_proof,
        "A receipt, its page of receipts, its position, the page's index and Merkle audit "
        "path, and its block's header; null until included. Verify with "
        "accord.client.verify_receipt_proof against a block hash you trust.",
    ),
}
