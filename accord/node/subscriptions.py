"""WebSocket subscriptions: new blocks, receipts and the mempool as each client may see
it (``docs/node.md``, "Subscriptions"; issue 15).

The protocol follows Ethereum's ``eth_subscribe`` (EIP-758's notification shape) in
the node's namespace. On connecting, the server sends ``accord_welcome`` with a fresh
``challenge``; the client sends JSON-RPC requests ``accord_subscribe`` (``{"topic":
"newHeads" | "receipts" | "pendingTransactions"}``, plus ``account`` and ``signature``
to be recognised as an account) and ``accord_unsubscribe`` (``{"subscription": id}``);
notifications are ``{"jsonrpc": "2.0", "method": "accord_subscription", "params":
{"subscription": id, "result": ...}}``.

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
from accord.node.config import Limits
from accord.node.reads import block_json, receipt_json
from accord.node.rpc import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    LIMIT_EXCEEDED,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
)
from accord.node.wire import dumps, transaction_to_json

TOPICS = ("newHeads", "receipts", "pendingTransactions")
CHALLENGE_PREFIX = b"accord-subscribe:"


@dataclass(eq=False)
class Subscriber:
    """One WebSocket connection: its queue, its subscriptions and who it proved to be."""

    queue: asyncio.Queue[str]
    challenge: str = field(default_factory=lambda: secrets.token_hex(16))
    topics: dict[str, str] = field(default_factory=dict)
    """Subscription id → topic."""
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
        return _reply(request_id, result)

    def _subscribe(self, sub: Subscriber, params: dict[str, Any]) -> str | tuple[int, str]:
        extra = sorted(set(params) - {"topic", "account", "signature"})
        if extra:
            return (INVALID_PARAMS, f"invalid params: unknown field {extra[0][:50]!r}")
        topic = params.get("topic")
        if topic not in TOPICS:
            shown = topic[:50] if isinstance(topic, str) else topic.__class__.__name__
            return (
                INVALID_PARAMS,
                f"invalid params: topic {shown!r} is not one of {', '.join(TOPICS)}",
            )
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
                        text[sub_id] = dumps(
                            {
                                "jsonrpc": "2.0",
                                "method": "accord_subscription",
                                "params": {"subscription": sub_id, "result": result},
                            }
                        )
                    sub.offer(text[sub_id])

    def block(self, block: Block) -> None:
        """A new sealed block: its header, then each of its receipts."""
        if not self.subscribers:
            return
        self._notify("newHeads", block_json(block, False))
        for receipt in block.receipts:
            self._notify("receipts", receipt_json(receipt, block.number))

    def pending(self, tx: Transaction) -> None:
        """An admitted transaction, to whoever may see it (module docstring)."""
        if not self.subscribers:
            return
        public = self.node.device.config.mempool == "public"
        sender = tx.sender

        def may_see(sub: Subscriber) -> bool:
            return public or sub.account == sender

        self._notify("pendingTransactions", transaction_to_json(tx), may_see)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")
