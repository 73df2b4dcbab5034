"""The clients of ``soak_node.py``: what they send, and every answer they got, written down.

* :class:`Book` is the client-side record the soak checks the node against: every
  acknowledged payload (the hash ``accord_sendTransaction`` / ``accord_sendBundle`` /
  ``accord_commit`` answered, with the signed transactions it stands for), every sealed
  block a client was told of (``/admin/block``'s answer or a ``newHeads`` notification:
  number, hash, state hash), every hostile payload and how it was answered.
* :class:`Worker` is one agent on its own thread and account: transfers, fee-bump
  replacements, an escrow contract deployed and called (``open`` then ``pay``),
  commitments posted through ``accord_commit``, bundles of its own transactions,
  accounts opened over the network (``accord_openAccount``) and funded, and hostile
  noise (a replayed transaction, a forgery, a wrong chain id, a field altered after
  signing), each of which must be refused.
* :class:`HeadWatcher` keeps a ``newHeads`` subscription open across node restarts.
* The client killed with SIGKILL mid-stream runs in its own process
  (:mod:`benchmarks.soak_node_child`).

When the node dies under a request, a client waits for it to come back and sends the very
same signed payload again (``docs/node.md``: "resend it"). An answer refusing the resent
payload as already pending, as replaying a used nonce, or as underpriced against its own
replacement settles it: it had been admitted before the kill. Such payloads are not called
acknowledged, but they are kept (``Book.settled``) and must end in a block (or replaced)
all the same.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
import numpy as np

from accord.device.commitments import build
from accord.device.execution import contract_address
from accord.node.signing import Signer, bundle

ESCROW = "accord.contracts.escrow_demo:Escrow"
SETTLED_BY_RESEND = ("BadNonce", "ReplacementUnderpriced")
REPLAYED = "replayed"
"""How a used nonce is named in a refusal (a bundle's is ``BundleFailed``'s message)."""
"""Refusals of a resent payload that mean it had been admitted before the kill: its nonce
is used, or its own replacement (sent with it) is pending."""
ALREADY_PENDING = "already pending"


class Down(Exception):
    """The node did not answer (killed, restarting)."""


@dataclass(frozen=True)
class Ack:
    """One acknowledged payload and the signed transactions it stands for."""

    kind: str
    sender: str
    nonces: tuple[int, ...]
    tx_hashes: tuple[str, ...]


@dataclass
class Book:
    """Everything the clients were told (module docstring). Thread-safe."""

    acks: dict[str, Ack] = field(default_factory=dict)
    settled: dict[str, Ack] = field(default_factory=dict)
    """Payloads whose answer died with the node and whose resend was refused as already
    admitted (module docstring), by their first transaction's hash."""
    accounts: dict[str, str] = field(default_factory=dict)
    """Accounts whose ``accord_openAccount`` was answered: name -> public key (hex)."""
    blocks: dict[int, tuple[str, str]] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)
    """Two answers naming different blocks at one number: a changed sealed block."""
    noise: Counter[str] = field(default_factory=Counter)
    noise_refused: Counter[str] = field(default_factory=Counter)
    noise_acked: list[str] = field(default_factory=list)
    honest_refused: list[str] = field(default_factory=list)
    """Honest payloads refused for no documented reason: each one is a failure."""
    resolved: int = 0
    late_replacements: int = 0
    """Replacements refused because the replaced transaction was sealed first."""
    actions: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def ack(self, payload_hash: str, ack: Ack) -> None:
        with self._lock:
            self.acks[payload_hash] = ack
            self.actions[ack.kind] += 1

    def settle(self, ack: Ack) -> None:
        with self._lock:
            self.settled[ack.tx_hashes[0]] = ack
            self.resolved += 1

    def opened(self, name: str, public_key: str) -> None:
        with self._lock:
            self.accounts[name] = public_key
            self.actions["open_account"] += 1

    def block(self, number: int, block_hash: str, state_hash: str, source: str) -> None:
        with self._lock:
            known = self.blocks.setdefault(number, (block_hash, state_hash))
            if known != (block_hash, state_hash):
                self.conflicts.append(
                    f"block {number}: {source} says {block_hash[:16]}/{state_hash[:16]}, "
                    f"earlier {known[0][:16]}/{known[1][:16]}"
                )

    def count(self, what: str, n: int = 1) -> None:
        with self._lock:
            if what == "resolved":
                self.resolved += n
            elif what == "late_replacements":
                self.late_replacements += n
            else:
                raise ValueError(what)

    def refused_honest(self, line: str) -> None:
        with self._lock:
            self.honest_refused.append(line)

    def hostile(self, kind: str, refused: bool, line: str) -> None:
        with self._lock:
            self.noise[kind] += 1
            if refused:
                self.noise_refused[kind] += 1
            else:
                self.noise_acked.append(line)


class Heads:
    """The head the sealer last reported, for clients that pace themselves by blocks;
    ``up`` is clear while the node is down."""

    def __init__(self) -> None:
        self.number = 0
        self.stopped = False
        self.up = threading.Event()
        self._cond = threading.Condition()

    def advance(self, number: int) -> None:
        with self._cond:
            self.number = max(self.number, number)
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self.stopped = True
            self._cond.notify_all()
        self.up.set()

    def wait_beyond(self, number: int) -> int:
        """Block until the head passes ``number`` (or the run stops); the new head."""
        with self._cond:
            while self.number <= number and not self.stopped:
                self._cond.wait(0.5)
            return self.number


class Rpc:
    """JSON-RPC over one HTTP connection pool; a dead node raises :class:`Down`."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url
        self.client = httpx.Client(base_url=url, timeout=timeout)
        self._id = 0

    def post(self, body: Any) -> Any:
        try:
            response = self.client.post("/", json=body)
        except httpx.HTTPError as exc:
            raise Down(str(exc)) from None
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
        return response.json()

    def call(self, method: str, params: Any = None) -> tuple[Any, dict[str, Any] | None]:
        """(result, None) or (None, the error object)."""
        self._id += 1
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": self._id, "method": method}
        if params is not None:
            body["params"] = params
        answer = self.post(body)
        return answer.get("result"), answer.get("error")

    def close(self) -> None:
        self.client.close()


def error_kind(error: dict[str, Any]) -> str:
    data = error.get("data")
    return str(data.get("error")) if isinstance(data, dict) else str(error.get("code"))


def settled_by_resend(error: dict[str, Any]) -> bool:
    """Whether a resent payload's refusal says it had been admitted (module docstring)."""
    message = str(error.get("message", ""))
    return (
        error_kind(error) in SETTLED_BY_RESEND or ALREADY_PENDING in message or REPLAYED in message
    )


class Worker(threading.Thread):
    """One agent on one account (module docstring); paced at ``per_block`` actions a
    block. Everything random comes from ``rng``."""

    WEIGHTS: ClassVar[dict[str, float]] = {
        "transfer": 0.34,
        "replace": 0.08,
        "call": 0.14,
        "commit": 0.06,
        "bundle": 0.04,
        "open_account": 0.03,
        "noise": 0.31,
    }

    def __init__(
        self,
        signer: Signer,
        peers: list[str],
        url: str,
        book: Book,
        heads: Heads,
        rng: np.random.Generator,
        per_block: int,
    ) -> None:
        super().__init__(name=f"soak-{signer.address}", daemon=True)
        self.signer = signer
        self.name_ = signer.address
        self.peers = [p for p in peers if p != signer.address]
        self.rpc = Rpc(url)
        self.book = book
        self.heads = heads
        self.rng = rng
        self.per_block = per_block
        self.nonce = 0
        self.deals = 0
        self.opened = 0
        self.escrow = contract_address(signer.address, 0)
        self.sent: list[dict[str, Any]] = []
        """Acknowledged transactions, for replays."""
        self.in_flight = False
        self.error: BaseException | None = None

    # -- sending -------------------------------------------------------------------------
    def _ask(self, method: str, params: Any) -> tuple[Any, dict[str, Any] | None, bool]:
        """Send until the node answers; (result, error, whether it had to resend)."""
        resent = False
        while True:
            self.heads.up.wait()
            self.in_flight = True
            try:
                result, error = self.rpc.call(method, params)
            except Down:
                resent = True
                time.sleep(0.01)  # the node is down; retry once it is up
                continue
            finally:
                self.in_flight = False
            if error is not None and error.get("code") == -32005:
                time.sleep(0.01)  # rate limited: documented, retry
                continue
            return result, error, resent

    def _ask_batch(self, body: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
        """Send a JSON-RPC batch until the node answers; (answers by id, resent)."""
        resent = False
        while True:
            self.heads.up.wait()
            self.in_flight = True
            try:
                answers = self.rpc.post(body)
            except Down:
                resent = True
                time.sleep(0.01)  # the node is down; retry once it is up
                continue
            finally:
                self.in_flight = False
            return sorted(answers, key=lambda a: a["id"]), resent

    def honest(self, method: str, params: dict[str, Any], ack: Ack) -> bool:
        """Send an honest payload; True once it is acknowledged or settled by a resend."""
        result, error, resent = self._ask(method, params)
        return self._settle(result, error, resent, ack)

    def _settle(self, result: Any, error: dict[str, Any] | None, resent: bool, ack: Ack) -> bool:
        if error is None:
            self.book.ack(str(result), ack)
            return True
        if resent and settled_by_resend(error):
            self.book.settle(ack)
            return True
        message = str(error.get("message", ""))
        if ack.kind == "replace" and error_kind(error) == "BadNonce":
            self.book.count("late_replacements")
            return True
        self.book.refused_honest(f"{ack.kind} {ack.sender}#{ack.nonces}: {message}")
        return False

    def tx(self, kind: str, tx: dict[str, Any], method: str = "accord_sendTransaction") -> bool:
        ok = self.honest(
            method, {"transaction": tx}, Ack(kind, tx["sender"], (tx["nonce"],), (tx["hash"],))
        )
        if ok:
            self.sent.append(tx)
        return ok

    def _resync(self) -> None:
        result, _, _ = self._ask("accord_getAccount", {"account": self.name_})
        self.nonce = int(result["next_nonce"])

    # -- actions ---------------------------------------------------------------------
    def transfer(self) -> None:
        to = self.peers[int(self.rng.integers(len(self.peers)))]
        asset = "USD" if self.rng.random() < 0.7 else "ETH"
        amount = int(self.rng.integers(1, 50))
        if self.tx(
            "transfer", self.signer.transfer(self.nonce, to, {asset: amount}, max_fee=5_000)
        ):
            self.nonce += 1
        else:
            self._resync()

    def replace(self) -> None:
        """A transfer and, in the same JSON-RPC batch (so no block is sealed between
        them), its replacement paying more: the first must leave the pool, replaced."""
        to = self.peers[int(self.rng.integers(len(self.peers)))]
        first = self.signer.transfer(self.nonce, to, {"USD": 1}, max_fee=5_000, priority_fee=10)
        better = self.signer.transfer(self.nonce, to, {"USD": 2}, max_fee=6_000, priority_fee=20)
        body = [
            {
                "jsonrpc": "2.0",
                "id": i,
                "method": "accord_sendTransaction",
                "params": {"transaction": t},
            }
            for i, t in enumerate((first, better))
        ]
        answers, resent = self._ask_batch(body)
        settled = [
            self._settle(
                a.get("result"),
                a.get("error"),
                resent,
                Ack(kind, t["sender"], (t["nonce"],), (t["hash"],)),
            )
            for a, t, kind in zip(answers, (first, better), ("transfer", "replace"), strict=True)
        ]
        if all(settled):
            self.sent.extend((first, better))
            self.nonce += 1
        else:
            self._resync()

    def call(self) -> None:
        payee = self.peers[int(self.rng.integers(len(self.peers)))]
        s = self.signer
        opened = s.sign(
            self.nonce, self.escrow, "open", (payee, "USD", 3), gas_limit=300_000, max_fee=5_000
        )
        if not self.tx("call", opened):
            return self._resync()
        self.nonce += 1
        paid = s.sign(
            self.nonce, self.escrow, "pay", (self.deals,), gas_limit=300_000, max_fee=5_000
        )
        self.deals += 1
        if self.tx("call", paid):
            self.nonce += 1
        else:
            self._resync()

    def commit(self) -> None:
        other = self.peers[int(self.rng.integers(len(self.peers)))]
        document = build.commitment(
            self.name_,
            f"soak-{self.nonce}",
            expiry=self.heads.number + 30,
            condition=build.balance(other, "USD") >= int(self.rng.integers(0, 2_000_000)),
            actions=[build.transfer("ETH", other, 1)],
        ).to_json()
        tx = self.signer.commit(self.nonce, document, gas_limit=2_000_000, max_fee=5_000)
        if self.tx("commit", tx, "accord_commit"):
            self.nonce += 1
        else:
            self._resync()

    def bundle(self) -> None:
        """Two of its own transfers, all or nothing; sent once everything earlier of this
        account is sealed (a bundle runs at the top of a block)."""
        while not self.heads.stopped:
            result, _, _ = self._ask("accord_getAccount", {"account": self.name_})
            if int(result["nonce"]) == self.nonce:
                break
            self.heads.wait_beyond(self.heads.number)
        to = self.peers[int(self.rng.integers(len(self.peers)))]
        txs = [self.signer.transfer(self.nonce + i, to, {"USD": 5}, max_fee=5_000) for i in (0, 1)]
        ack = Ack("bundle", self.name_, (self.nonce, self.nonce + 1), tuple(t["hash"] for t in txs))
        if not self.honest("accord_sendBundle", {"bundle": bundle(txs)}, ack):
            return self._resync()
        self.nonce += 2
        start = self.heads.number
        while not self.heads.stopped and self.heads.number < start + 30:
            receipt, _, _ = self._ask("accord_getTransactionReceipt", {"hash": txs[1]["hash"]})
            if receipt is not None:
                return
            self.heads.wait_beyond(self.heads.number)
        self._resync()

    def open_account(self) -> None:
        """Open a new account over the network (``accord_openAccount``, its key's proof
        of possession), then fund it with a transfer."""
        new = Signer(
            self.rng.bytes(32), f"{self.name_}-n{self.opened}", chain_id=self.signer.chain_id
        )
        self.opened += 1
        params = new.open_account()
        result, error, resent = self._ask("accord_openAccount", params)
        if error is None:
            if (result or {}).get("public_key") != params["public_key"]:
                self.book.refused_honest(f"open_account {new.address}: answered {result}")
            self.book.opened(new.address, params["public_key"])
        elif (
            resent
            and error_kind(error) == "AccountRefused"
            and "exists" in str(error.get("message"))
        ):
            self.book.count("resolved")  # opened before the kill; checked at the end
            self.book.opened(new.address, params["public_key"])
        else:
            self.book.refused_honest(f"open_account {new.address}: {error.get('message')}")
            return
        funding = self.signer.transfer(
            self.nonce, new.address, {"ETH": 10**12, "USD": 10}, max_fee=5_000
        )
        if self.tx("transfer", funding):
            self.nonce += 1
        else:
            self._resync()

    def noise(self) -> None:
        kind = ("replay", "forgery", "wrong_chain", "altered")[int(self.rng.integers(4))]
        to = self.peers[0]
        if kind == "replay" and self.sent:
            tx = self.sent[int(self.rng.integers(len(self.sent)))]
        elif kind == "forgery":
            impostor = Signer(self.rng.bytes(32), self.name_, chain_id=self.signer.chain_id)
            tx = impostor.transfer(self.nonce, to, {"USD": 1})
        elif kind == "wrong_chain":
            tx = Signer(
                self.signer.private_key, self.name_, chain_id=self.signer.chain_id + 1
            ).transfer(self.nonce, to, {"USD": 1})
        else:
            kind = "altered"
            tx = {**self.signer.transfer(self.nonce, to, {"USD": 1}), "value": [["USD", 1_000]]}
        result, error, _ = self._ask("accord_sendTransaction", {"transaction": tx})
        self.book.hostile(
            kind, error is not None, f"{kind} {self.name_}#{tx['nonce']} acknowledged as {result}"
        )

    def run(self) -> None:
        try:
            deploy = self.signer.sign(0, "", ESCROW, gas_limit=2_000_000, max_fee=5_000)
            if self.tx("deploy", deploy):
                self.nonce = 1
            kinds = list(self.WEIGHTS)
            p = np.array(list(self.WEIGHTS.values()))
            actions: dict[str, Callable[[], None]] = {k: getattr(self, k) for k in kinds}
            head = self.heads.number
            while not self.heads.stopped:
                for _ in range(self.per_block):
                    actions[kinds[int(self.rng.choice(len(kinds), p=p / p.sum()))]]()
                    if self.heads.stopped:
                        break
                head = self.heads.wait_beyond(head)
        except BaseException as exc:  # reported by the soak as a failure
            self.error = exc
        finally:
            self.rpc.close()


class HeadWatcher(threading.Thread):
    """A ``newHeads`` subscriber that reconnects after each restart (module docstring)."""

    def __init__(self, url: str, book: Book, heads: Heads) -> None:
        super().__init__(name="soak-heads", daemon=True)
        self.url = url.replace("http://", "ws://") + "/ws"
        self.book = book
        self.heads = heads
        self.seen = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        from websockets.sync.client import connect

        try:
            while not self.heads.stopped:
                self.heads.up.wait()
                try:
                    with connect(self.url, open_timeout=5) as ws:
                        ws.recv(timeout=5)  # the welcome
                        ws.send(
                            json.dumps(
                                {
                                    "jsonrpc": "2.0",
                                    "id": 1,
                                    "method": "accord_subscribe",
                                    "params": {"topic": "newHeads"},
                                }
                            )
                        )
                        ws.recv(timeout=5)
                        while not self.heads.stopped:
                            try:
                                message = json.loads(ws.recv(timeout=0.2))
                            except TimeoutError:
                                continue
                            head = message["params"]["result"]
                            self.book.block(
                                head["number"], head["hash"], head["state_hash"], "newHeads"
                            )
                            self.seen += 1
                except (OSError, TimeoutError, Exception) as exc:  # the node died: reconnect
                    if type(exc).__module__.startswith("websockets") or isinstance(
                        exc, (OSError, TimeoutError)
                    ):
                        time.sleep(0.01)
                        continue
                    raise
        except BaseException as exc:
            self.error = exc
