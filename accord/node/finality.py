"""Finality over the node: block tags, Ethereum's ``eth_getBlockByNumber``, and the
operator's reorg (issue 16; ``docs/node.md``, "Finality and reorgs"; ``docs/finality.md``).

**Tags.** A block may be named by number or by tag, with Ethereum's meaning (the
Ethereum JSON-RPC specification's ``BlockTag``, and EIP-1898's ``safe``/``finalized``):

* ``latest``: the head;
* ``finalized``: the newest block no fork can replace, ``Device.finalized`` =
  ``max(0, head - finality_depth)``; with ``finality_depth = 0`` it is the head;
* ``safe``: the same block. On Ethereum ``safe`` is a block the honest majority's fork
  choice will not reorg, newer than ``finalized``; this device has one finality rule
  (depth), under which any block above ``finalized`` may still be replaced by a fork
  that wins, so nothing newer is safe;
* ``earliest``: block 0.

``pending`` is refused (-32602): the node builds no pending block.

**The operator's reorg** (:func:`reorg`, ``POST /admin/reorg`` with the bearer token, a
JSON-RPC 2.0 request of method ``accord_reorg``) replaces the last ``depth`` blocks
with the alternative blocks given as signed transactions and bundles in the wire format
(:mod:`accord.node.wire`); the device's fork-choice rule still decides
(:meth:`accord.device.Device.reorg`). It is a lab and testing tool: a fork as a
time-bandit builder would make it, on a node that otherwise has one builder.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from accord.device import Block, Bundle, Transaction
from accord.device.errors import DeviceError
from accord.device.forks import Reorg
from accord.node.reads import Params, refused, tag_number
from accord.node.rpc import INVALID_PARAMS, Method, RpcError
from accord.node.wire import (
    WireError,
    bundle_from_json,
    transaction_from_json,
    transaction_to_json,
)

TAGS = ("latest", "finalized", "safe", "earliest")
"""The block tags the node answers (``pending`` is not one: module docstring)."""


def _refuse_tag(text: str) -> RpcError:
    shown = text[:40]
    if text == "pending":
        return RpcError(INVALID_PARAMS, "invalid params: block: the node builds no pending block")
    return RpcError(
        INVALID_PARAMS,
        f"invalid params: block: {shown!r} is not a number, a 0x quantity or one of "
        f"{', '.join(TAGS)}",
    )


def resolve(device: Any, block: str) -> int:
    """The number a tag or a ``0x`` quantity names (a number past the head is returned
    as is: the caller answers null)."""
    if block in TAGS:
        return tag_number(device, block)
    digits = block[2:] if block[:2] in ("0x", "0X") else ""
    if not 0 < len(digits) <= 16 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise _refuse_tag(block)
    return int(digits, 16)


def block_at(device: Any, number: int) -> Block | None:
    """The kept block ``number`` of the canonical chain, or None."""
    blocks = device.blocks
    if not blocks or not blocks[0].number <= number <= blocks[-1].number:
        return None
    found: Block = blocks[number - blocks[0].number]
    return found


# -- eth_getBlockByNumber -----------------------------------------------------------------
class EthBlockParams(Params):
    block: str = Field(min_length=1, max_length=20)
    """A tag (``latest``, ``finalized``, ``safe``, ``earliest``) or a ``0x`` quantity."""
    full: bool = False
    """Full transactions (the wire format) instead of their hashes."""


def _q(n: int) -> str:
    return hex(n)


def eth_block_json(block: Block, full: bool) -> dict[str, Any]:
    """A block in the Ethereum JSON-RPC specification's field names where the meaning is
    the same: quantities in hex, hashes ``0x``-prefixed, ``timestamp`` in seconds (the
    device keeps milliseconds: ``accord_getBlock``'s ``timestamp``), ``miner`` the
    builder's account name, ``stateRoot`` the device's state hash (not a Merkle-Patricia
    root), ``transactionsRoot`` the header's ``tx_root``."""
    h = block.header
    return {
        "number": _q(h.number),
        "hash": "0x" + h.hash.hex(),
        "parentHash": "0x" + h.parent_hash.hex(),
        "timestamp": _q(h.timestamp // 1000),
        "miner": h.builder,
        "gasLimit": _q(h.gas_limit),
        "gasUsed": _q(h.gas_used),
        "baseFeePerGas": _q(h.base_fee),
        "stateRoot": "0x" + h.state_hash.hex(),
        "transactionsRoot": "0x" + h.tx_root.hex(),
        "receiptsRoot": "0x" + h.receipts_root.hex(),
        "transactions": [
            transaction_to_json(tx) if full else "0x" + tx.hash.hex() for tx in block.transactions
        ],
    }


def eth_get_block_by_number(s: Any, p: EthBlockParams) -> dict[str, Any] | None:
    device = s.node.device
    block = s.node.block(resolve(device, p.block))
    return None if block is None else eth_block_json(block, p.full)


# -- the operator's reorg -----------------------------------------------------------------
class ReorgParams(Params):
    depth: int
    """How many blocks to replace (``1..min(finality_depth, head)``; the device checks)."""
    blocks: list[list[dict[str, Any]]] = Field(min_length=1, max_length=2048)
    """The alternative blocks, oldest first: each a list of signed transactions and
    bundles (``{"txs": [...], ...}``) in the wire format, in the builder's order."""
    builder: str | None = Field(None, min_length=1, max_length=200)
    """Who builds the fork (its weight under ``fork_choice = "heaviest"``); default: the
    device's builder."""


def _item(data: dict[str, Any], where: str) -> Transaction | Bundle:
    if "txs" in data:
        return bundle_from_json(data, where)
    return transaction_from_json(data, where)


def parse_blocks(blocks: list[list[dict[str, Any]]]) -> list[list[Transaction | Bundle]]:
    """The alternative from its wire form; -32602 naming ``blocks[b][i]`` otherwise."""
    out: list[list[Transaction | Bundle]] = []
    for b, items in enumerate(blocks):
        parsed = []
        for i, data in enumerate(items):
            try:
                parsed.append(_item(data, f"blocks[{b}][{i}]"))
            except (WireError, DeviceError) as exc:
                raise RpcError(INVALID_PARAMS, f"invalid params: {exc}") from None
        out.append(parsed)
    return out


def reorg_json(device: Any, result: Reorg) -> dict[str, Any]:
    """What ``accord_reorg`` answers: the fork point, the blocks replaced and built,
    the new head, and what became of each reorged or refused transaction."""
    return {
        "fork_point": result.fork_point,
        "undone": [{"number": b.number, "hash": b.header.hash.hex()} for b in result.undone],
        "built": [
            {
                "number": b.number,
                "hash": b.header.hash.hex(),
                "transactions": [tx.hash.hex() for tx in b.transactions],
            }
            for b in result.built
        ],
        "head": {"number": device.number, "hash": device.head.hash.hex()},
        "state_hash": device.state_hash().hex(),
        "finalized": device.finalized,
        "returned": [h.hex() for h in result.returned],
        "dropped": [{"hash": h.hex(), "reason": r} for h, r in result.dropped],
        "refused": [{"hash": h.hex(), "reason": r} for h, r in result.refused],
    }


def reorg(node: Any, p: ReorgParams) -> dict[str, Any]:
    """``accord_reorg``: the operator's fork (module docstring). A refusal is -32000 with
    ``data.error`` ``ForkRefused`` (or the wire's -32602), and changes nothing."""
    alternative = parse_blocks(p.blocks)
    try:
        result = node.reorg(p.depth, alternative, p.builder)
    except DeviceError as exc:
        raise refused(exc) from None
    return reorg_json(node.device, result)


ADMIN_METHODS: dict[str, Method] = {
    "accord_reorg": Method(
        ReorgParams,
        reorg,
        "Replace the last depth blocks with signed alternative blocks (admin; fork choice "
        "decides).",
    ),
}
"""The methods of ``POST /admin/reorg`` (their context is the :class:`Node`)."""

METHODS: dict[str, Method] = {
    "eth_getBlockByNumber": Method(
        EthBlockParams,
        eth_get_block_by_number,
        "A block by tag (latest, finalized, safe, earliest) or 0x number, in Ethereum's "
        "field names; null past the head.",
    ),
}
"""The public read methods of this module (merged into :data:`accord.node.methods.METHODS`)."""

__all__ = [
    "ADMIN_METHODS",
    "METHODS",
    "TAGS",
    "block_at",
    "eth_block_json",
    "reorg",
    "reorg_json",
    "resolve",
]
