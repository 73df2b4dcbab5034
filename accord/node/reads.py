"""The sign-free read methods, and the JSON forms of blocks, receipts and events.

Hashes and keys are lowercase hex without ``0x`` in ``accord_*`` answers (both forms are
accepted in params); ``eth_*`` methods answer Ethereum's hex quantities (``"0x1f"``,
the Ethereum JSON-RPC specification's QUANTITY). Values are :mod:`accord.node.wire`'s.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from accord.device import Block, OutOfGas, Pending, Receipt
from accord.device.errors import DeviceError, Rejected
from accord.device.receipts_root import OpaqueResult
from accord.node.rpc import SERVER_ERROR, RpcError
from accord.node.wire import WireError, hex_bytes, transaction_to_json, value_from_json
from accord.node.wire import value_to_json as _value

Name = Field(min_length=1, max_length=200)
Hash = Field(min_length=64, max_length=66)


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(Params):
    pass


class AccountParams(Params):
    account: str = Name


class BalanceParams(Params):
    account: str = Name
    asset: str | None = Field(None, min_length=1, max_length=200)
    """Default: the fee asset."""


class EthAddressParams(Params):
    address: str = Name
    block: Literal["latest", "pending"] = "latest"


class ViewParams(Params):
    to: str = Name
    method: str = Field(min_length=1, max_length=200)
    args: list[Any] = Field(default_factory=list)
    sender: str = Field("", max_length=200)


Tag = Literal["latest", "finalized", "safe", "earliest"]
"""Block tags, with Ethereum's meaning (:mod:`accord.node.finality`)."""


def tag_number(device: Any, tag: str) -> int:
    """The block a tag names: the head (``latest``), ``Device.finalized`` (``finalized``,
    and ``safe``: nothing newer is safe from a fork on this device), 0 (``earliest``)."""
    if tag == "latest":
        return int(device.number)
    if tag in ("finalized", "safe"):
        return int(device.finalized)
    if tag == "earliest":
        return 0
    raise ValueError(f"not a block tag: {tag[:40]!r}")


class BlockParams(Params):
    number: int | Tag = "latest"
    """A block number, or a tag: ``latest``, ``finalized``, ``safe``, ``earliest``."""
    full: bool = False


class HashParams(Params):
    hash: str = Hash


class LogsParams(Params):
    from_block: int = Field(0, ge=0)
    to_block: int | Literal["latest"] = "latest"
    address: str | None = Field(None, max_length=200)
    name: str | None = Field(None, max_length=200)


def value(result: object) -> Any:
    """A result's JSON form; a result with none (a method that returned an object) is
    ``{"$unrepresentable": "<type name>"}``, never guessed at, so the rest of a receipt
    still reads."""
    if type(result) is OpaqueResult:  # read back from the block archive
        return result.wire
    try:
        return _value(result)
    except WireError:
        return {"$unrepresentable": type(result).__name__}


def event_json(event: Any) -> dict[str, Any]:
    return {"address": event.address, "name": event.name, "data": value(dict(event.data))}


def receipt_json(receipt: Receipt, number: int | None, final: bool) -> dict[str, Any]:
    """A receipt; ``finalized`` says whether its block was final when this was made
    (``Device.is_final``); a receipt kept since can be compared with the ``finalized``
    block's number, as Ethereum clients do."""
    return {
        "tx_hash": receipt.tx_hash.hex(),
        "block_number": number,
        "finalized": final,
        "status": receipt.status,
        "gas_used": receipt.gas_used,
        "fee_paid": receipt.fee_paid,
        "tip_paid": receipt.tip_paid,
        "result": value(receipt.result),
        "events": [event_json(e) for e in receipt.events],
        "error": receipt.error,
        "contract_address": receipt.contract_address,
    }


def block_json(block: Block, full: bool) -> dict[str, Any]:
    h = block.header
    return {
        "number": h.number,
        "hash": h.hash.hex(),
        "parent_hash": h.parent_hash.hex(),
        "timestamp": h.timestamp,
        "builder": h.builder,
        "base_fee": h.base_fee,
        "gas_limit": h.gas_limit,
        "gas_used": h.gas_used,
        "tx_root": h.tx_root.hex(),
        "state_hash": h.state_hash.hex(),
        "beacon": h.beacon.hex(),
        "receipt_count": h.receipt_count,
        "receipts_root": h.receipts_root.hex(),
        "transactions": [
            transaction_to_json(tx) if full else tx.hash.hex() for tx in block.transactions
        ],
        "skipped": [
            {
                "hash": s.hash.hex(),
                "kind": s.kind,
                "field": s.field,
                "reason": s.reason,
                "dropped": s.dropped,
            }
            for s in block.skipped
        ],
    }


def parse_hash(text: str, where: str = "hash") -> bytes:
    try:
        return hex_bytes(text, where, 32)
    except WireError as exc:
        raise RpcError(-32602, f"invalid params: {exc}") from None


def refused(exc: DeviceError) -> RpcError:
    """The device's one-line refusal as a JSON-RPC server error."""
    data: dict[str, Any] = {"error": type(exc).__name__}
    if isinstance(exc, Rejected):
        data["field"] = exc.field
    return RpcError(SERVER_ERROR, f"refused: {exc}", data)


# -- handlers (context: accord.node.methods.Session) ------------------------------------------
def eth_chain_id(s: Any, p: NoParams) -> str:
    return hex(s.node.device.chain_id)


def eth_block_number(s: Any, p: NoParams) -> str:
    return hex(s.node.device.number)


def eth_get_balance(s: Any, p: EthAddressParams) -> str:
    device = s.node.device
    return hex(device.balance(p.address, device.config.fee_asset))


def eth_get_transaction_count(s: Any, p: EthAddressParams) -> str:
    device = s.node.device
    return hex(device.next_nonce(p.address) if p.block == "pending" else device.nonce(p.address))


def node_info(s: Any, p: NoParams) -> dict[str, Any]:
    device = s.node.device
    return {
        "chain_id": device.chain_id,
        "genesis_hash": device.genesis_hash.hex(),
        "head": {"number": device.number, "hash": device.head.hash.hex()},
        "finalized": device.finalized,
        "state_hash": device.state_hash().hex(),
        "fee_asset": device.config.fee_asset,
        "base_fee": device.base_fee,
        "signatures": device.config.signatures,
        "config": device.config.model_dump(mode="json"),
    }


def get_balance(s: Any, p: BalanceParams) -> int:
    device = s.node.device
    balance: int = device.balance(p.account, p.asset or device.config.fee_asset)
    return balance


def get_account(s: Any, p: AccountParams) -> dict[str, Any] | None:
    device = s.node.device
    try:
        key = device.public_key(p.account)
    except DeviceError:
        return None
    return {
        "address": p.account,
        "public_key": key.hex(),
        "nonce": device.nonce(p.account),
        "next_nonce": device.next_nonce(p.account),
    }


def call_view(s: Any, p: ViewParams) -> Any:
    """A contract view, read-only (nothing it writes survives)."""
    try:
        args = value_from_json(p.args, "args")
    except WireError as exc:
        raise RpcError(-32602, f"invalid params: {exc}") from None
    try:
        result = s.node.device.view(p.to, p.method, *args, sender=p.sender)  # type: ignore[misc]
    except DeviceError as exc:
        raise refused(exc) from None
    except OutOfGas as exc:
        raise RpcError(SERVER_ERROR, f"view ran out of gas: {exc}") from None
    except Exception as exc:  # contract code: a Revert, or a TypeError from bad args
        raise RpcError(SERVER_ERROR, f"view reverted: {type(exc).__name__}: {exc}") from None
    return value(result)


def get_commitments(s: Any, p: NoParams) -> list[Any]:
    return [c.model_dump(mode="json") for c in s.node.device.pending_commitments()]


def _block(s: Any, number: int) -> Block | None:
    """Block ``number``, from memory or the node's block archive."""
    block: Block | None = s.node.block(number)
    return block


def get_block(s: Any, p: BlockParams) -> dict[str, Any] | None:
    number = p.number if isinstance(p.number, int) else tag_number(s.node.device, p.number)
    block = _block(s, number)
    return None if block is None else block_json(block, p.full)


def get_receipt(s: Any, p: HashParams) -> dict[str, Any] | None:
    tx_hash = parse_hash(p.hash)
    number = s.node.block_of.get(tx_hash)
    if number is None:
        return None
    block = _block(s, number)
    if block is None:
        return None
    return receipt_json(block.receipt(tx_hash), number, s.node.device.is_final(number))


def get_transaction(s: Any, p: HashParams) -> dict[str, Any] | None:
    """A transaction by hash: included (with its block), or pending when the mempool is
    public (under ``private`` and ``sealed`` a pending transaction is not shown)."""
    tx_hash = parse_hash(p.hash)
    node = s.node
    number = node.block_of.get(tx_hash)
    if number is not None:
        block = _block(s, number)
        if block is not None:
            for tx in block.transactions:
                if tx.hash == tx_hash:
                    return {"transaction": transaction_to_json(tx), "block_number": number}
    pending = node.device.mempool.get(tx_hash)
    if pending is not None and node.device.config.mempool == "public":
        return {"transaction": transaction_to_json(pending.tx), "block_number": None}
    return None


def get_logs(s: Any, p: LogsParams) -> list[dict[str, Any]]:
    device = s.node.device
    last = device.number if p.to_block == "latest" else min(p.to_block, device.number)
    limit = s.limits.max_log_blocks
    if last - p.from_block + 1 > limit:
        raise RpcError(
            -32602,
            f"invalid params: at most {limit} blocks per call, got {last - p.from_block + 1}",
        )
    out = []
    for number in range(p.from_block, last + 1):
        block = _block(s, number)
        if block is None:
            continue
        for receipt in block.receipts:
            for index, event in enumerate(receipt.events):
                if p.address is not None and event.address != p.address:
                    continue
                if p.name is not None and event.name != p.name:
                    continue
                out.append(
                    {
                        **event_json(event),
                        "block_number": number,
                        "tx_hash": receipt.tx_hash.hex(),
                        "index": index,
                        "removed": False,
                    }
                )
    return out


def pending_public(s: Any, p: NoParams) -> list[dict[str, Any]]:
    """The mempool as the public may see it under the device's visibility rule: every
    transaction (public), nothing (private), or envelopes without contents (sealed)."""
    device = s.node.device
    out: list[dict[str, Any]] = []
    for item in device.pending_view("", at=1 << 62):
        if isinstance(item, Pending):
            out.append(transaction_to_json(item.tx))
        else:
            out.append(
                {
                    "hash": item.hash.hex(),
                    "sender": item.sender,
                    "nonce": item.nonce,
                    "gas_limit": item.gas_limit,
                    "max_fee": item.max_fee,
                    "priority_fee": item.priority_fee,
                    "sealed": True,
                }
            )
    return out
