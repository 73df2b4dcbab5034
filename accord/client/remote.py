"""A device on the other side of a network: the embedded ``Device``'s agent-facing API
over an open node's JSON-RPC (``docs/node.md``, issue 15).

:class:`RemoteDevice` answers the methods an agent or a game uses on an embedded
:class:`~accord.device.Device` (``balance``, ``nonce``/``next_nonce``, ``number``,
``now``, ``state_hash``, ``account``/``sign``, ``submit``/``submit_bundle``, ``commit``,
``pending_commitments``, ``view``, ``receipt``, ``build_block``, ``call``/``execute``,
``deploy``, ``verify_message``, ``finalized``/``is_final``; and ``simulate``, the
node's dry run, and ``reorg``, the operator's fork) with the same
arguments and the same kinds of values (a
:class:`~accord.device.Transaction`, a :class:`~accord.device.Receipt`, a
:class:`~accord.device.Block`), so the same agent code runs embedded or remote.

**Keys stay here.** The client holds each account's ed25519 private key (given to it,
never fetched) and signs locally with the device's own :class:`~accord.device.Account`,
so a transaction signed here is byte for byte the one an embedded device's account
would sign; the node only ever sees public keys and signatures.

Differences an agent can observe, by design:

* a refusal raises :class:`RemoteError` (a :class:`~accord.device.DeviceError`) naming
  the device's error class (``kind``) and field instead of that class itself;
* :meth:`build_block` (and so :meth:`call`, :meth:`execute`, :meth:`deploy`) needs the
  node's admin token, and seals *everything* pending (the embedded ``execute`` builds a
  block of its one transaction); an agent among others submits and waits instead;
* ``submit(at=...)`` is refused: the node's clock is its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from accord.client.dry_runs import sim_result, simulate_params
from accord.client.reads import RemoteReads
from accord.client.transport import RemoteError, Transport, answer, from_json
from accord.device import (
    DEPLOY,
    Account,
    AgentDevice,
    Block,
    BlockHeader,
    Bundle,
    Contract,
    Device,
    DeviceConfig,
    DeviceError,
    Event,
    Receipt,
    Skipped,
    Transaction,
    UnknownAccount,
)
from accord.device import gas as G
from accord.device.commitments.codec import parse_commitment
from accord.device.commitments.language import Commitment
from accord.device.commitments.registry import REGISTRY_ADDRESS, CommitmentRegistry
from accord.device.ed25519 import PublicKey
from accord.device.encoding import canonical_args
from accord.device.transaction import DEFAULT_GAS_LIMIT, message_digest, signing_payload
from accord.node.production import SimResult
from accord.node.signing import open_digest, sponsor_digest
from accord.node.wire import (
    bundle_to_json,
    transaction_from_json,
    transaction_to_json,
    value_to_json,
)

INVALID_PARAMS = -32602
"""JSON-RPC 2.0's code for params a method refuses."""


def _int(x: object) -> int:
    if type(x) is not int:
        raise TypeError(f"expected an integer, got {type(x).__name__}")
    return x


def _hash(x: object) -> bytes:
    if type(x) is not str or len(x) != 64:
        raise ValueError("expected 64 hex digits")
    return bytes.fromhex(x)


def _hex_int(what: str, x: object) -> int:
    with answer(what):
        if type(x) is not str or not x.startswith("0x"):
            raise ValueError(f"expected a 0x hex quantity, got {type(x).__name__}")
        return int(x, 16)


def _receipt(data: dict[str, Any]) -> Receipt:
    return Receipt(
        bytes.fromhex(data["tx_hash"]),
        data["status"],
        data["gas_used"],
        data["fee_paid"],
        data["tip_paid"],
        from_json(data["result"]),
        tuple(
            Event(e["address"], e["name"], tuple(from_json(e["data"]).items()))
            for e in data["events"]
        ),
        data["error"],
        data["contract_address"],
    )


def _block(data: dict[str, Any], receipts: tuple[Receipt, ...]) -> Block:
    header = BlockHeader(
        data["number"],
        data["timestamp"],
        bytes.fromhex(data["parent_hash"]),
        data["builder"],
        data["base_fee"],
        data["gas_limit"],
        data["gas_used"],
        bytes.fromhex(data["tx_root"]),
        bytes.fromhex(data["state_hash"]),
        bytes.fromhex(data["beacon"]),
        data["receipt_count"],
        bytes.fromhex(data["receipts_root"]),
    )
    skipped = tuple(
        Skipped(bytes.fromhex(s["hash"]), s["kind"], s["field"], s["reason"], s["dropped"])
        for s in data["skipped"]
    )
    txs = tuple(transaction_from_json(t) for t in data["transactions"])
    return Block(header, txs, receipts, skipped)


class RemoteDevice(RemoteReads):
    """An open node seen as a :class:`~accord.device.Device` by the agents that use it.

    ``client`` is an :class:`httpx.Client` whose ``base_url`` is the node (a Starlette
    ``TestClient`` works too); :meth:`connect` makes one from a URL. ``keys`` maps
    account names to their 32-byte ed25519 private keys; ``admin_token`` is needed only
    to seal blocks on demand (:meth:`build_block`).
    """

    def __init__(
        self,
        client: httpx.Client,
        *,
        keys: Mapping[str, bytes] | None = None,
        admin_token: str | None = None,
    ) -> None:
        self.rpc = Transport(client, admin_token=admin_token)
        info = self.rpc.call("accord_nodeInfo")
        with answer("accord_nodeInfo"):
            self.config = DeviceConfig.model_validate(info["config"])
            self.genesis_hash = _hash(info["genesis_hash"])
            self._chain_id: int = _int(info["chain_id"])
        self._accounts: dict[str, Account] = {}
        self._public: dict[str, PublicKey | None] = {}
        for name, key in (keys or {}).items():
            self.add_key(name, key)

    @classmethod
    def connect(cls, url: str, *, timeout: float = 10.0, **kwargs: Any) -> RemoteDevice:
        """A client of the node at ``url`` (``http://127.0.0.1:8545``)."""
        return cls(httpx.Client(base_url=url, timeout=timeout), **kwargs)

    def close(self) -> None:
        self.rpc.client.close()

    # -- keys ----------------------------------------------------------------------------
    @property
    def chain_id(self) -> int:
        return self._chain_id

    def add_key(self, name: str, private_key: bytes) -> Account:
        """Hold ``name``'s private key here; refused if the node binds ``name`` to
        another public key (or to none)."""
        account = Account(name, private_key, scheme="ed25519", chain_id=self._chain_id)
        found = self.rpc.call("accord_getAccount", {"account": name})
        if found is None:
            raise UnknownAccount(f"no account {name!r} on the node")
        if found["public_key"] != account.public_key.hex():
            raise UnknownAccount(
                f"the node binds {name!r} to another public key than this private key's"
            )
        self._accounts[name] = account
        return account

    def open_account(self, name: str, private_key: bytes, *, sponsor: str | None = None) -> Account:
        """Open ``name`` on the node, bound to ``private_key``'s public key
        (``accord_openAccount``: the key's proof of possession is signed here; the
        private key never leaves this client), and hold its key. ``sponsor``: an
        account whose key this client holds, under the node's ``open = "sponsored"``.
        Refused (:class:`RemoteError`, one line) as the node's policy says."""
        account = Account(name, private_key, scheme="ed25519", chain_id=self._chain_id)
        key = account.public_key
        params: dict[str, Any] = {
            "name": name,
            "public_key": key.hex(),
            "signature": account.sign_digest(open_digest(name, key)).hex(),
        }
        if sponsor is not None:
            vouching = self.account(sponsor)
            params["sponsor"] = sponsor
            params["sponsor_signature"] = vouching.sign_digest(
                sponsor_digest(name, key, sponsor)
            ).hex()
        result = self.rpc.call("accord_openAccount", params)
        with answer("accord_openAccount"):
            if result["address"] != name or result["public_key"] != key.hex():
                raise ValueError(f"the node opened {result['address']!r} with another key")
        self._accounts[name] = account
        return account

    def account(self, name: str) -> Account:
        """The signing handle of an account whose key this client holds."""
        found = self._accounts.get(name)
        if found is None:
            raise UnknownAccount(f"this client holds no key for {name!r} (add_key)")
        return found

    def public_key(self, name: str) -> bytes:
        found = self.rpc.call("accord_getAccount", {"account": name})
        if found is None:
            raise UnknownAccount(f"no account {name!r} on the node")
        with answer("accord_getAccount"):
            return _hash(found["public_key"])

    # -- reads ---------------------------------------------------------------------------
    @property
    def number(self) -> int:
        """The head block's number."""
        return _hex_int("eth_blockNumber", self.rpc.call("eth_blockNumber"))

    @property
    def head(self) -> BlockHeader:
        return self.block(self.number).header

    @property
    def now(self) -> int:
        """The device's clock: the head block's timestamp, in ms."""
        head = self.rpc.call("accord_getBlock", {"number": "latest"})
        with answer("accord_getBlock"):
            return _int(head["timestamp"])

    @property
    def base_fee(self) -> int:
        info = self.rpc.call("accord_nodeInfo")
        with answer("accord_nodeInfo"):
            return _int(info["base_fee"])

    def balance(self, account: str, asset: str) -> int:
        found = self.rpc.call("accord_getBalance", {"account": account, "asset": asset})
        with answer("accord_getBalance"):
            return _int(found)

    def nonce(self, account: str) -> int:
        """The next nonce the ledger will accept from ``account``."""
        params = {"address": account, "block": "latest"}
        return _hex_int("eth_getTransactionCount", self.rpc.call("eth_getTransactionCount", params))

    def next_nonce(self, account: str) -> int:
        """The nonce after the account's pending transactions."""
        params = {"address": account, "block": "pending"}
        return _hex_int("eth_getTransactionCount", self.rpc.call("eth_getTransactionCount", params))

    def state_hash(self) -> bytes:
        info = self.rpc.call("accord_nodeInfo")
        with answer("accord_nodeInfo"):
            return _hash(info["state_hash"])

    def view(self, address: str, method: str, *args: object, sender: str = "") -> Any:
        """A contract view's result, read-only (``accord_call``)."""
        params = {
            "to": address,
            "method": method,
            "args": value_to_json(canonical_args(args)),
            "sender": sender,
        }
        return from_json(self.rpc.call("accord_call", params))

    def verify_message(self, signer: str, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is ``signer``'s :meth:`Account.sign_message` of
        ``message`` on this chain, checked here against the public key the node binds
        to ``signer`` (False for an unknown signer, a malformed signature or a message
        that is not bytes, as the embedded ``Device.verify_message`` answers)."""
        if type(signature) is not bytes or type(message) is not bytes or type(signer) is not str:
            return False
        if signer not in self._public:
            try:
                found = self.rpc.call("accord_getAccount", {"account": signer})
            except RemoteError as exc:
                if exc.code == INVALID_PARAMS:  # not a name an account can have
                    return False
                raise
            if found is None:
                return False
            with answer("accord_getAccount"):
                raw = _hash(found["public_key"])
            try:
                key: PublicKey | None = PublicKey(raw)
            except ValueError:  # a key the device would not bind verifies nothing
                key = None
            self._public[signer] = key  # a name's key is bound once, never rebound
        public = self._public[signer]
        if public is None:
            return False
        verified: bool = public.verify(
            signature, signing_payload(self._chain_id, message_digest(message))
        )
        return verified

    def simulate(self, tx: Transaction) -> SimResult:
        """A dry run of ``tx``'s fields (its nonce, gas, fees; not its signature) after
        the pending transactions, in the next block, rolled back (``accord_simulate``):
        its receipt's fields, or ``status`` ``"rejected"`` with the refusal's reason in
        ``error`` and ``field``."""
        found = self.rpc.call("accord_simulate", simulate_params(tx))
        with answer("accord_simulate"):
            return sim_result(found)

    def pending_commitments(self) -> list[Commitment]:
        """Every pending commitment, in posting order: anyone may inspect them."""
        found = self.rpc.call("accord_getCommitments")
        with answer("accord_getCommitments"):
            return [parse_commitment(c) for c in found]

    def receipt(self, tx_hash: bytes) -> Receipt:
        """The receipt of an included transaction; KeyError until it is included."""
        found = self.rpc.call("accord_getTransactionReceipt", {"hash": tx_hash.hex()})
        if found is None:
            raise KeyError(f"no receipt for transaction {tx_hash.hex()}")
        with answer("accord_getTransactionReceipt"):
            return _receipt(found)

    def receipt_proof(self, tx_hash: bytes) -> dict[str, Any]:
        """The node's proof of an included transaction's receipt (``accord_getProof``),
        as it answered it: check it with :func:`accord.client.verify_receipt_proof`
        against a block hash you trust. KeyError until the transaction is included."""
        found = self.rpc.call("accord_getProof", {"hash": tx_hash.hex()})
        if found is None:
            raise KeyError(f"no receipt for transaction {tx_hash.hex()}")
        with answer("accord_getProof"):
            if type(found) is not dict:
                raise TypeError(f"expected an object, got {type(found).__name__}")
        return found

    def block(self, number: int) -> Block:
        """Block ``number`` with its transactions and receipts."""
        data = self.rpc.call("accord_getBlock", {"number": number, "full": True})
        if data is None:
            raise KeyError(f"no block {number} (the head is {self.number})")
        with answer("accord_getBlock"):
            hashes = [_hash(t["hash"]) for t in data["transactions"]]
        receipts = tuple(self.receipt(h) for h in hashes)
        with answer("accord_getBlock"):
            return _block(data, receipts)

    # -- writes --------------------------------------------------------------------------
    def default_max_fee(self, priority_fee: int = 0) -> int:
        if self.config.fee_market == "first_price":
            return max(1, priority_fee)
        return 2 * self.base_fee + priority_fee

    def sign(
        self,
        account: Account,
        to: str,
        method: str = "",
        *args: object,
        value: Mapping[str, int] | None = None,
        gas_limit: int | None = None,
        max_fee: int | None = None,
        priority_fee: int = 0,
        nonce: int | None = None,
    ) -> Transaction:
        """Sign here, as the embedded ``Device.sign`` does: the next nonce after the
        pending ones, a max fee that covers the base fee, and the default gas limit
        plus the call's calldata cost (EIP-2028)."""
        if gas_limit is None:
            gas_limit = DEFAULT_GAS_LIMIT
            try:
                sent = tuple(sorted((a, n) for a, n in (value or {}).items() if n))
                calldata = G.intrinsic_gas(method, canonical_args(args), sent) - G.TX_BASE
                gas_limit = min(DEFAULT_GAS_LIMIT + calldata, self.config.block_gas_limit)
            except Exception:  # not canonical: Account.sign names the field
                pass
        return account.sign(
            self.next_nonce(account.address) if nonce is None else nonce,
            to,
            method,
            *args,
            value=value,
            gas_limit=gas_limit,
            max_fee=self.default_max_fee(priority_fee) if max_fee is None else max_fee,
            priority_fee=priority_fee,
        )

    def submit(self, tx: Transaction, *, at: int | None = None) -> bytes:
        """Send a signed transaction (``accord_sendTransaction``); its hash once the
        node has admitted and journaled it (acknowledged)."""
        if at is not None:
            raise RemoteError("submit(at=...): a node keeps its own clock", code=-32602)
        sent = self.rpc.call("accord_sendTransaction", {"transaction": transaction_to_json(tx)})
        with answer("accord_sendTransaction"):
            return _hash(sent)

    def submit_bundle(self, bundle: Bundle, *, sender: str, at: int | None = None) -> bytes:
        """Send a bundle (``accord_sendBundle``); the node takes its first
        transaction's signer as its sender, which must be ``sender``."""
        if at is not None:
            raise RemoteError("submit_bundle(at=...): a node keeps its own clock", code=-32602)
        if not bundle.txs or bundle.txs[0].sender != sender:
            raise RemoteError(
                f"a bundle's sender is its first transaction's signer, not {sender!r}",
                code=-32602,
            )
        sent = self.rpc.call("accord_sendBundle", {"bundle": bundle_to_json(bundle)})
        with answer("accord_sendBundle"):
            return _hash(sent)

    def commit(
        self,
        account: Account,
        commitment: Commitment | Mapping[str, Any] | str,
        *,
        at: int | None = None,
        priority_fee: int = 0,
    ) -> bytes:
        """Post a conditional commitment (``accord_commit``), gas counted as the
        embedded ``Device.commit`` counts it; a malformed document raises
        :class:`MalformedCommitment` here, and nothing is sent."""
        if at is not None:
            raise RemoteError("commit(at=...): a node keeps its own clock", code=-32602)
        document, gas_limit = CommitmentRegistry.posting(
            commitment, account.address, self.number + 1
        )
        tx = self.sign(
            account,
            REGISTRY_ADDRESS,
            "post",
            document,
            gas_limit=gas_limit,
            priority_fee=priority_fee,
        )
        sent = self.rpc.call("accord_commit", {"transaction": transaction_to_json(tx)})
        with answer("accord_commit"):
            return _hash(sent)

    def build_block(self) -> Block:
        """Seal the next block now (``/admin/block``, the admin token) and return it."""
        sealed = self.rpc.admin("block")
        with answer("/admin/block"):
            number = _int(sealed["number"])
        return self.block(number)

    def reorg(
        self,
        depth: int,
        blocks: list[list[Transaction | Bundle]],
        *,
        builder: str | None = None,
    ) -> dict[str, Any]:
        """Replace the node's last ``depth`` blocks with ``blocks`` (``/admin/reorg``,
        the admin token; ``Device.reorg``'s arguments, the fork choice deciding). Returns
        the node's answer (fork point, undone and built blocks, what became of each
        reorged transaction: ``docs/node.md``); a refusal raises :class:`RemoteError`
        with kind ``ForkRefused``, and changes nothing."""
        wire = [
            [bundle_to_json(i) if isinstance(i, Bundle) else transaction_to_json(i) for i in b]
            for b in blocks
        ]
        params: dict[str, Any] = {"depth": depth, "blocks": wire, "builder": builder}
        found = self.rpc.admin_call("reorg", "accord_reorg", params)
        with answer("accord_reorg"):
            if type(found) is not dict:
                raise TypeError(f"expected an object, got {type(found).__name__}")
        return found

    def execute(self, tx: Transaction) -> Receipt:
        """Submit ``tx``, seal a block and return its receipt (raises the refusal, and
        seals nothing, when the node refuses it)."""
        tx_hash = self.submit(tx)
        self.build_block()
        return self.receipt(tx_hash)

    def call(
        self, account: Account, to: str, method: str = "", *args: object, **kwargs: Any
    ) -> Receipt:
        """Sign, include and return the receipt of one call (one block)."""
        return self.execute(self.sign(account, to, method, *args, **kwargs))

    def deploy(self, account: Account, cls: type[Contract], *args: object, **kwargs: Any) -> str:
        """Deploy an allowlisted contract class (one block) and return its address."""
        kwargs.setdefault("gas_limit", 2_000_000)
        receipt = self.call(account, DEPLOY, cls.class_path(), *args, **kwargs)
        if not receipt.ok or receipt.contract_address is None:
            raise DeviceError(f"deploying {cls.__name__} failed: {receipt.error}")
        return receipt.contract_address


if TYPE_CHECKING:
    from accord.x402.devices import NodeDevice

    def _both_are_agent_devices(remote: RemoteDevice, device: Device) -> list[AgentDevice]:
        """mypy checks here that both satisfy :class:`~accord.device.AgentDevice`."""
        return [remote, device]

    def _a_facilitator_settles_on_it(remote: RemoteDevice) -> NodeDevice:
        """... and that an x402 facilitator can settle through a node."""
        return remote
