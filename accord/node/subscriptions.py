"""WebSocket subscriptions: new blocks, final blocks, receipts, logs, one transaction's
receipt and the mempool as each client may see it (``docs/node.md``, "Subscriptions";
issues 15 and 16).

The protocol follows Ethereum's ``eth_subscribe`` (EIP-758's notification shape) in
the node's namespace. On connecting, the server sends ``accord_welcome`` with a fresh
``challenge``; the client sends JSON-RPC requests ``accord_subscribe`` (``{"topic":
"newHeads" | "newFinalizedHeads" | "receipts" | "logs" | "transactionReceipt" |
"pendingTransactions"}``, plus
``account`` and ``signature`` to be recognised as an account) and
``accord_unsubscribe`` (``{"subscription": id}``); notifications are ``{"jsonrpc":
"2.0", "method": "accord_subscription", "params": {"subscription": id, "result": ...}}``.

**Filters.** ``logs`` takes optional ``address`` and ``name`` (each event of each sealed
block that matches both, as ``accord_getLogs`` answers it, in block order: Ethereum's
``logs`` subscription, filtered by contract and event name rather than topics).
``transactionReceipt`` takes the ``hash`` of one transaction: its receipt is sent once,
when a block includes it (at once if one already has), and the subscription then ends
by itself, as a one-shot receipt watcher.

**Finality and reorgs.** ``newFinalizedHeads`` sends each block once, when
``Device.finalized`` first reaches it. After a reorg (:meth:`Hub.reorg`) ``newHeads``
gets a notice, ``{"reorg": {"fork_point", "depth", "removed", "added"}}``, then the new
branch's heads, and ``logs`` gets each matching log of the replaced blocks again with
``removed: true`` (Ethereum's removed logs), oldest first, before the new branch's.

**The mempool, under the device's visibility rule.** ``pendingTransactions`` delivers an
admitted transaction to a subscriber who may see it: everyone under ``public``; under
``private`` and ``sealed`` only its own sender, recognised by a signature of
``b"accord-subscribe:" + challenge`` (:meth:`accord.node.Signer.sign_message`) with the
account's key, so no one can watch another account's pending transactions by naming
it. Under ``sealed`` nothing of anyone else's is shown before inclusion, not even an
envelope. Bundles go to the builder alone and are never shown.

**No client can stall the node.** Publishing runs on the event loop inside block
production and admission, and only puts into each client's bounded queue
(``put_nowait``); it never awaits a client. A client whose queue is full (it reads too
slowly, or not at all) is dropped: its queue is discarded and its connection closed
(code 1008) by its own handler. Each connection holds at most ``ws_subscriptions``
subscriptions and the node at most ``ws_clients`` connections.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from accord.device import Block, Transaction
from accord.device.forks import Reorg
from accord.node.config import Limits
from accord.node.reads import block_json, event_json, receipt_json
from accord.node.rpc import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    LIMIT_EXCEEDED,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
)
from accord.node.wire import WireError, dumps, hex_bytes, transaction_to_json

TOPICS = (
    "newHeads",
    "newFinalizedHeads",
    "receipts",
    "logs",
    "transactionReceipt",
    "pendingTransactions",
)
CHALLENGE_PREFIX = b"accord-subscribe:"
FILTERS: dict[str, tuple[str, ...]] = {"logs": ("address", "name"), "transactionReceipt": ("hash",)}
"""The filter fields each topic takes (besides ``account`` and ``signature``)."""
MAX_FILTER = 200
"""Longest ``address`` or ``name`` filter, in characters."""


@dataclass(eq=False)
class Subscriber:
    """One WebSocket connection: its queue, its subscriptions and who it proved to be."""

    queue: asyncio.Queue[str]
    challenge: str = field(default_factory=lambda: secrets.token_hex(16))
    topics: dict[str, str] = field(default_factory=dict)
    """Subscription id → topic."""
    filters: dict[str, Any] = field(default_factory=dict)
    """Subscription id → its filter: ``(address, name)`` for ``logs`` (None: any), the
    transaction hash (bytes) for ``transactionReceipt``."""
    account: str | None = None
    dropped: asyncio.Event = field(default_factory=asyncio.Event)
    next_id: int = 0

    def offer(self, message: str) -> None:
        """Queue ``message``, or drop this client if its queue is full."""
        if self.dropped.is_set():
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.dropped.set()
            while not self.queue.empty():  # free its memory now
                self.queue.get_nowait()


def _reply(request_id: Any, result: Any = None, error: tuple[int, str] | None = None) -> str:
    answer: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
    if error is None:
        answer["result"] = result
    else:
        answer["error"] = {"code": error[0], "message": error[1]}
    return dumps(answer)


class Hub:
    """Every subscriber of one node, and what each may see."""

    def __init__(self, node: Any, limits: Limits) -> None:
        self.node = node
        self.limits = limits
        self.subscribers: set[Subscriber] = set()
        self.final_sent: int = node.device.finalized
        """The newest block announced final (``newFinalizedHeads``): each block is
        announced once, when ``Device.finalized`` first reaches it."""

    # -- connections ---------------------------------------------------------------------
    def join(self) -> Subscriber | None:
        """A new subscriber with its welcome queued, or None when the node is full."""
        if len(self.subscribers) >= self.limits.ws_clients:
            return None
        sub = Subscriber(asyncio.Queue(self.limits.ws_queue))
        self.subscribers.add(sub)
        welcome = {"challenge": sub.challenge, "topics": list(TOPICS)}
        sub.offer(dumps({"jsonrpc": "2.0", "method": "accord_welcome", "params": welcome}))
        return sub

    def leave(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    # -- requests ------------------------------------------------------------------------
    def handle(self, sub: Subscriber, text: str) -> str:
        """The answer to one client message (every malformed one gets a JSON-RPC error
        naming what is wrong, and changes nothing)."""
        try:
            request = json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError):
            return _reply(None, error=(PARSE_ERROR, "parse error: not JSON"))
        if not isinstance(request, dict):
            return _reply(None, error=(INVALID_REQUEST, "invalid request: not an object"))
        request_id = request.get("id")
        if type(request_id) not in (int, str) or request.get("jsonrpc") != "2.0":
            return _reply(
                None, error=(INVALID_REQUEST, "invalid request: needs jsonrpc '2.0' and an id")
            )
        method, params = request.get("method"), request.get("params", {})
        if not isinstance(params, dict):
            return _reply(request_id, error=(INVALID_PARAMS, "invalid params: an object"))
        result: str | bool | tuple[int, str]
        if method == "accord_subscribe":
            result = self._subscribe(sub, params)
        elif method == "accord_unsubscribe":
            result = self._unsubscribe(sub, params)
        else:
            shown = method[:100] if isinstance(method, str) else type(method).__name__
            return _reply(request_id, error=(METHOD_NOT_FOUND, f"method not found: {shown!r}"))
        if isinstance(result, tuple):
            return _reply(request_id, error=result)
        reply = _reply(request_id, result)
        if isinstance(result, str) and sub.topics.get(result) == "transactionReceipt":
            found = self._included(sub.filters[result])
            if found is not None:  # already included: the reply first, then the receipt
                sub.offer(reply)
                sub.topics.pop(result)
                return _notification(result, found)
        return reply

    def _included(self, tx_hash: bytes) -> dict[str, Any] | None:
        """The receipt of ``tx_hash`` if a block includes it (in memory or archived)."""
        number = self.node.block_of.get(tx_hash)
        block = None if number is None else self.node.block(number)
        if block is None:
            return None
        return receipt_json(block.receipt(tx_hash), number, self.node.device.is_final(number))

    def _subscribe(self, sub: Subscriber, params: dict[str, Any]) -> str | tuple[int, str]:
        topic = params.get("topic")
        filters = FILTERS.get(topic, ()) if type(topic) is str else ()
        allowed = {"topic", "account", "signature", *filters}
        extra = sorted(set(params) - allowed)
        if extra:
            return (INVALID_PARAMS, f"invalid params: unknown field {extra[0][:50]!r}")
        if topic not in TOPICS:
            shown = topic[:50] if isinstance(topic, str) else topic.__class__.__name__
            return (
                INVALID_PARAMS,
                f"invalid params: topic {shown!r} is not one of {', '.join(TOPICS)}",
            )
        wanted = _filter(topic, params)
        if isinstance(wanted, str):
            return (INVALID_PARAMS, f"invalid params: {wanted}")
        if "account" in params or "signature" in params:
            account, signature = params.get("account"), params.get("signature")
            if not self._proves(sub, account, signature):
                return (
                    INVALID_PARAMS,
                    "invalid params: signature is not the account's signature of "
                    "'accord-subscribe:' + this connection's challenge",
                )
            if sub.account is not None and sub.account != account:
                return (INVALID_PARAMS, "invalid params: this connection is another account's")
            sub.account = account
        if len(sub.topics) >= self.limits.ws_subscriptions:
            return (
                LIMIT_EXCEEDED,
                f"limit exceeded: {self.limits.ws_subscriptions} subscriptions per connection",
            )
        sub.next_id += 1
        sub_id = hex(sub.next_id)
        sub.topics[sub_id] = topic
        if topic in FILTERS:
            sub.filters[sub_id] = wanted
        return sub_id

    def _proves(self, sub: Subscriber, account: object, signature: object) -> bool:
        if type(account) is not str or type(signature) is not str or len(signature) != 128:
            return False
        try:
            raw = bytes.fromhex(signature)
        except ValueError:
            return False
        message = CHALLENGE_PREFIX + sub.challenge.encode()
        verified: bool = self.node.device.verify_message(account, message, raw)
        return verified

    def _unsubscribe(self, sub: Subscriber, params: dict[str, Any]) -> bool | tuple[int, str]:
        sub_id = params.get("subscription")
        if type(sub_id) is not str or set(params) != {"subscription"}:
            return (INVALID_PARAMS, "invalid params: {'subscription': <id>} only")
        sub.filters.pop(sub_id, None)
        return sub.topics.pop(sub_id, None) is not None

    # -- publishing (called by the node; never awaits) ----------------------------------
    def _notify(self, topic: str, result: Any, may_see: Any = None) -> None:
        text: dict[str, str] = {}
        for sub in list(self.subscribers):
            if may_see is not None and not may_see(sub):
                continue
            for sub_id, subscribed in sub.topics.items():
                if subscribed == topic:
                    if sub_id not in text:
                        text[sub_id] = _notification(sub_id, result)
                    sub.offer(text[sub_id])

    def block(self, block: Block) -> None:
        """A new sealed block: its header, then each of its receipts, its logs and the
        receipts someone watches; then the blocks it made final."""
        if self.subscribers:
            self._publish(block)
        self._finalize()

    def reorg(self, reorg: Reorg) -> None:
        """A reorg, its alternative blocks sealed: to ``newHeads``, a notice
        (``{"reorg": ...}``) and then the new branch's heads; to ``logs``, each matching
        log of the replaced blocks again with ``removed: true`` (Ethereum's removed logs),
        oldest first, before the new branch's; then the blocks it made final."""
        if self.subscribers:
            notice = {
                "reorg": {
                    "fork_point": reorg.fork_point,
                    "depth": len(reorg.undone),
                    "removed": [_head(b) for b in reorg.undone],
                    "added": [_head(b) for b in reorg.built],
                }
            }
            self._notify("newHeads", notice)
            watching = self._watching()
            if watching:
                for block in reorg.undone:
                    self._filtered(block, watching, removed=True)
            for block in reorg.built:
                self._publish(block)
        self._finalize()

    def _watching(self) -> list[tuple[Subscriber, str, str]]:
        return [
            (sub, sub_id, topic)
            for sub in list(self.subscribers)
            for sub_id, topic in sub.topics.items()
            if topic in FILTERS
        ]

    def _publish(self, block: Block) -> None:
        self._notify("newHeads", block_json(block, False))
        final = self.node.device.is_final(block.number)
        for receipt in block.receipts:
            self._notify("receipts", receipt_json(receipt, block.number, final))
        watching = self._watching()
        if watching and block.receipts:
            self._filtered(block, watching)

    def _finalize(self) -> None:
        """Announce each block that became final since the last announcement, in order."""
        device = self.node.device
        final = device.finalized
        if final <= self.final_sent:
            return  # a shorter fork under "heaviest" can lower it; nothing is announced twice
        first, self.final_sent = self.final_sent + 1, final
        if not self.subscribers:
            return
        blocks = device.blocks
        for number in range(max(first, blocks[0].number), final + 1):
            self._notify("newFinalizedHeads", block_json(blocks[number - blocks[0].number], False))

    def _filtered(
        self, block: Block, watching: list[tuple[Subscriber, str, str]], removed: bool = False
    ) -> None:
        """The ``logs`` and ``transactionReceipt`` notifications of ``block`` (with
        ``removed``: only its logs, as removed by a reorg)."""
        number = block.number
        by_hash = {r.tx_hash: r for r in block.receipts}
        logs = [
            (event, receipt.tx_hash, index)
            for receipt in block.receipts
            for index, event in enumerate(receipt.events)
        ]
        for sub, sub_id, topic in watching:
            wanted = sub.filters[sub_id]
            if topic == "transactionReceipt":
                found = by_hash.get(wanted) if not removed else None
                if found is not None:
                    final = self.node.device.is_final(number)
                    sub.offer(_notification(sub_id, receipt_json(found, number, final)))
                    sub.topics.pop(sub_id, None)
                    sub.filters.pop(sub_id, None)
                continue
            address, name = wanted
            for event, tx_hash, index in logs:
                if (address is None or event.address == address) and (
                    name is None or event.name == name
                ):
                    log = {
                        **event_json(event),
                        "block_number": number,
                        "tx_hash": tx_hash.hex(),
                        "index": index,
                        "removed": removed,
                    }
                    sub.offer(_notification(sub_id, log))

    def pending(self, tx: Transaction) -> None:
        """An admitted transaction, to whoever may see it (module docstring)."""
        if not self.subscribers:
            return
        public = self.node.device.config.mempool == "public"
        sender = tx.sender

        def may_see(sub: Subscriber) -> bool:
            return public or sub.account == sender

        self._notify("pendingTransactions", transaction_to_json(tx), may_see)


def _head(block: Block) -> dict[str, Any]:
    return {"number": block.number, "hash": block.header.hash.hex()}


def _notification(sub_id: str, result: Any) -> str:
    return dumps(
        {
            "jsonrpc": "2.0",
            "method": "accord_subscription",
            "params": {"subscription": sub_id, "result": result},
        }
    )


def _filter(topic: str, params: dict[str, Any]) -> Any:
    """A subscription's filter from its params, or a message naming what is wrong."""
    if topic == "logs":
        wanted: list[str | None] = []
        for key in ("address", "name"):
            value = params.get(key)
            if value is not None and (type(value) is not str or not 0 < len(value) <= MAX_FILTER):
                return f"{key}: a string of 1 to {MAX_FILTER} characters, or null"
            wanted.append(value)
        return tuple(wanted)
    if topic == "transactionReceipt":
        text = params.get("hash")
        try:
            return hex_bytes(text, "hash", 32)
        except WireError as exc:
            return str(exc)
    return None


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")
