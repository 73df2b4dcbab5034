"""The node's JSON-RPC methods: one namespace, ``accord_*``, plus ``eth_*`` where the
meaning is Ethereum's. Every method's params are a pydantic model validated strictly
(no coercion: ``"5"`` is not an int, ``true`` is not 1); :func:`schema` publishes their
JSON Schemas (``accord_schema``). The table is in ``docs/node.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from accord.device import Transaction
from accord.device.commitments import MalformedCommitment, from_json, parse_commitment
from accord.device.errors import DeviceError
from accord.node import agent_reads, finality, proofs, reads
from accord.node.accounts import OpenAccountParams, Opener, open_account
from accord.node.config import Limits
from accord.node.explorer.reads import EXPLORER_METHODS
from accord.node.limits import RateLimiter
from accord.node.production import Node, SimResult
from accord.node.reads import Name, NoParams, Params, refused
from accord.node.rpc import INVALID_PARAMS, LIMIT_EXCEEDED, SERVER_ERROR, Method, RpcError
from accord.node.signing import REGISTRY
from accord.node.wire import (
    WireError,
    bundle_from_json,
    transaction_from_json,
    value_from_json,
    value_pairs,
)


@dataclass(slots=True)
class Session:
    """What a method sees: the node, its limits, the per-key rate limiter, the account
    opener and the client's IP."""

    node: Node
    limits: Limits
    keys: RateLimiter
    opener: Opener | None = None
    """Account openings (``accord_openAccount``, :mod:`accord.node.accounts`)."""
    ip: str = "unknown"
    """The client IP of the request being answered (the server sets it per request)."""

    def check(self, sender: str) -> None:
        """Refuse (-32005) a payload from ``sender`` when its bucket is empty. A token is
        taken (:meth:`spend`) only once the device has admitted the payload, so payloads
        that fail (a forgery in ``sender``'s name) spend none of ``sender``'s tokens."""
        if not self.keys.available(sender):
            raise RpcError(
                LIMIT_EXCEEDED,
                f"rate limit: sender {sender[:100]!r} may submit {self.limits.key_rate:g} "
                f"payloads a second (burst {self.limits.key_burst}); try again later",
            )

    def spend(self, sender: str) -> None:
        self.keys.allow(sender)


class TransactionParams(Params):
    transaction: dict[str, Any]
    """A signed transaction in the wire format (:mod:`accord.node.wire`)."""


class BundleParams(Params):
    bundle: dict[str, Any]
    """``{"txs": [...], "min_block": 0, "max_block": null, "reverting": [...]}``."""


class CallParams(Params):
    """An unsigned call, for dry runs: defaults fill what a wallet would."""

    sender: str = Name
    to: str = Field(max_length=200)
    method: str = Field("", max_length=200)
    args: list[Any] = Field(default_factory=list)
    value: list[Any] = Field(default_factory=list)
    """``[[asset, amount], ...]``, sorted by asset."""
    nonce: int | None = Field(None, ge=0)
    """Default: the sender's next nonce after its pending transactions."""
    gas_limit: int | None = Field(None, ge=0)
    """Default: the block gas limit."""
    max_fee: int | None = Field(None, ge=0)
    """Default: the base fee (so the dry run costs the least it can)."""
    priority_fee: int = Field(0, ge=0)


def _wire(exc: WireError) -> RpcError:
    return RpcError(INVALID_PARAMS, f"invalid params: {exc}")


def send_transaction(s: Session, p: TransactionParams) -> str:
    try:
        tx = transaction_from_json(p.transaction)
    except WireError as exc:
        raise _wire(exc) from None
    return _send(s, tx)


def _send(s: Session, tx: Transaction) -> str:
    s.check(tx.sender)
    try:
        tx_hash = s.node.send(tx).hex()
    except DeviceError as exc:
        raise refused(exc) from None
    s.spend(tx.sender)  # admitted, so signed by its sender: only then a token is taken
    return tx_hash


def send_bundle(s: Session, p: BundleParams) -> str:
    try:
        bundle = bundle_from_json(p.bundle)
    except (WireError, DeviceError) as exc:
        raise RpcError(INVALID_PARAMS, f"invalid params: {exc}") from None
    sender = bundle.txs[0].sender
    s.check(sender)
    try:
        bundle_hash = s.node.send_bundle(bundle).hex()
    except DeviceError as exc:
        raise refused(exc) from None
    s.spend(sender)  # as in _send
    return bundle_hash


def commit(s: Session, p: TransactionParams) -> str:
    """A signed transaction posting a commitment: checked as one before admission."""
    try:
        tx = transaction_from_json(p.transaction)
    except WireError as exc:
        raise _wire(exc) from None
    if tx.to != REGISTRY or tx.method != "post" or len(tx.args) != 1 or type(tx.args[0]) is not str:
        raise RpcError(
            INVALID_PARAMS,
            f"invalid params: a commitment is a call to {REGISTRY!r}.post with one argument, "
            "the document's JSON",
        )
    try:
        parsed = parse_commitment(from_json(tx.args[0]))
    except (MalformedCommitment, ValueError) as exc:
        raise RpcError(INVALID_PARAMS, f"invalid params: commitment: {exc}") from None
    if parsed.owner != tx.sender:
        raise RpcError(
            INVALID_PARAMS,
            f"invalid params: commitment owner {parsed.owner!r} is not the signer {tx.sender!r}",
        )
    return _send(s, tx)


def _content(s: Session, p: CallParams) -> tuple[Any, ...]:
    device = s.node.device
    try:
        args = value_from_json(p.args, "args")
        value = value_pairs(p.value)
    except WireError as exc:
        raise _wire(exc) from None
    gas_limit = p.gas_limit
    max_fee = device.base_fee if p.max_fee is None else p.max_fee
    if gas_limit is None:
        gas_limit = device.config.block_gas_limit
        price = max(max_fee, 1)
        balance = device.balance(p.sender, device.config.fee_asset)
        gas_limit = max(0, min(gas_limit, balance // price))
    nonce = device.next_nonce(p.sender) if p.nonce is None else p.nonce
    return (
        p.sender,
        nonce,
        p.to,
        p.method,
        args,
        value,
        gas_limit,
        max_fee,
        p.priority_fee,
    )


def _sim_json(r: SimResult) -> dict[str, Any]:
    return {
        "status": r.status,
        "gas_used": r.gas_used,
        "fee_paid": r.fee_paid,
        "result": reads.value(r.result),
        "events": [{"address": a, "name": n, "data": reads.value(dict(d))} for a, n, d in r.events],
        "error": r.error,
        "field": r.field,
        "contract_address": r.contract_address,
    }


def simulate(s: Session, p: CallParams) -> dict[str, Any]:
    """A dry run after the pending transactions; changes nothing."""
    return _sim_json(s.node.simulate(_content(s, p)))


def estimate_gas(s: Session, p: CallParams) -> int:
    """The gas the call uses in a dry run; an error if it would revert or be refused."""
    result = s.node.simulate(_content(s, p))
    if result.status != "success":
        raise RpcError(
            SERVER_ERROR,
            f"{result.status}: {result.error}",
            {"status": result.status, "field": result.field},
        )
    return result.gas_used


def schema(s: Session, p: NoParams) -> dict[str, Any]:
    return SCHEMA


def _m(params: type[BaseModel], handler: Any, doc: str) -> Method:
    return Method(params, handler, doc)


METHODS: dict[str, Method] = {
    "eth_chainId": _m(NoParams, reads.eth_chain_id, "The chain id, as a hex QUANTITY."),
    "eth_blockNumber": _m(NoParams, reads.eth_block_number, "The head's number, hex."),
    "eth_getBalance": _m(
        reads.EthAddressParams, reads.eth_get_balance, "An account's fee-asset balance, hex."
    ),
    "eth_getTransactionCount": _m(
        reads.EthAddressParams,
        reads.eth_get_transaction_count,
        "The next nonce: of the ledger (latest) or after pending.",
    ),
    "accord_nodeInfo": _m(
        NoParams,
        reads.node_info,
        "Chain id, genesis hash, head, state hash, fee asset, device config.",
    ),
    "accord_getBalance": _m(
        reads.BalanceParams,
        reads.get_balance,
        "An account's free balance of an asset (default: the fee asset).",
    ),
    "accord_getAccount": _m(
        reads.AccountParams, reads.get_account, "An account's public key and nonces, or null."
    ),
    "accord_call": _m(
        reads.ViewParams,
        reads.call_view,
        "A contract view, read-only (nothing it writes survives).",
    ),
    "accord_getCommitments": _m(
        NoParams, reads.get_commitments, "Every pending commitment document."
    ),
    "accord_getBlock": _m(
        reads.BlockParams,
        reads.get_block,
        "A block by number or tag (latest, finalized, safe, earliest): header, "
        "transactions, skipped.",
    ),
    "accord_getTransaction": _m(
        reads.HashParams,
        reads.get_transaction,
        "A transaction by hash (pending ones only if the mempool is public).",
    ),
    "accord_getTransactionReceipt": _m(
        reads.HashParams, reads.get_receipt, "An included transaction's receipt, or null."
    ),
    "accord_getLogs": _m(
        reads.LogsParams,
        reads.get_logs,
        "Events in a block range, by contract address and event name.",
    ),
    "accord_pendingTransactions": _m(
        NoParams, reads.pending_public, "The mempool as the public may see it (visibility rule)."
    ),
    "accord_sendTransaction": _m(
        TransactionParams,
        send_transaction,
        "Submit a signed transaction; its hash once admitted and journaled.",
    ),
    "accord_sendBundle": _m(
        BundleParams, send_bundle, "Submit a signed bundle (all-or-nothing); its hash."
    ),
    "accord_commit": _m(
        TransactionParams,
        commit,
        "Submit a signed commitment posting (checked as a commitment first).",
    ),
    "accord_estimateGas": _m(
        CallParams, estimate_gas, "Gas a call uses in a dry run after the pending transactions."
    ),
    "accord_simulate": _m(
        CallParams,
        simulate,
        "A dry run after the pending transactions: its receipt; changes nothing.",
    ),
    "accord_openAccount": _m(
        OpenAccountParams,
        open_account,
        "Bind a new name to an ed25519 key (proof of possession; the node's policy).",
    ),
    "accord_schema": _m(NoParams, schema, "Every method's description and params JSON Schema."),
}
METHODS.update(EXPLORER_METHODS)  # the explorer's reads (accord/node/explorer/reads.py)
METHODS.update(proofs.METHODS)  # accord_getProof (accord/node/proofs.py)
METHODS.update(agent_reads.METHODS)  # supply, locks, resolutions (accord/node/agent_reads.py)
METHODS.update(finality.METHODS)  # eth_getBlockByNumber and its tags (accord/node/finality.py)

SCHEMA: dict[str, Any] = {
    name: {"description": m.doc, "params": m.params.model_json_schema()}
    for name, m in sorted(METHODS.items())
}
