"""The commitment device: accounts, mempool, blocks and the event log, in one object.

A :class:`Device` is a deterministic ledger whose design is a parameter
(:class:`~accord.device.config.DeviceConfig`). Agents get :class:`Account` handles, sign
transactions and :meth:`Device.submit` them; a builder turns the mempool into blocks
(:meth:`Device.build_block`). Every sealed block carries a hash of the whole state, and
the event log lets :mod:`accord.device.replay` reproduce the run bit for bit.

For scripts and tests, :meth:`Device.call` and :meth:`Device.deploy` sign, include and
return at once (one block per call, like a development chain's automine).
"""

from __future__ import annotations

import hashlib
import hmac
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from marshal import dumps as _dumps
from operator import itemgetter
from pathlib import Path
from typing import Any, NoReturn

from accord.device import gas as G
from accord.device.block import Block, BlockHeader, Receipt, ReceiptFields, Skipped, tx_root
from accord.device.builder import Builder, BuildRequest, Choice, HonestBuilder
from accord.device.collector import collector_paused
from accord.device.commitments.codec import MalformedCommitment, parse_commitment
from accord.device.commitments.language import Commitment
from accord.device.commitments.registry import (
    GAS_PER_DOCUMENT_BYTE,
    REGISTRY_ADDRESS,
    CommitmentRegistry,
)
from accord.device.commitments.resolver import VIEW_GAS, Resolution, resolve_commitments
from accord.device.config import DeviceConfig, Genesis
from accord.device.contract import NO_VALUE, Context, Contract, _entry_point
from accord.device.encoding import canonical_args
from accord.device.errors import (
    BadNonce,
    BadSignature,
    BundleFailed,
    DeviceError,
    GasLimitTooLow,
    OutOfGas,
    Rejected,
    UnknownAccount,
    UnknownContract,
)
from accord.device.execution import BlockEnv, Executor
from accord.device.fees import FeeMarket
from accord.device.ledger import Ledger
from accord.device.mempool import (
    Item,
    Mempool,
    Pending,
    PendingBundle,
    SealedBundle,
    SealedTx,
)
from accord.device.ordering import make_rule
from accord.device.state import StateDigest
from accord.device.store import AccountRecord, BlockRecord, EventLog, MemoryLog, SqliteLog
from accord.device.transaction import (
    DEFAULT_GAS_LIMIT,
    DEPLOY,
    TX_HASH,
    Account,
    Bundle,
    Transaction,
    mac_state,
    message_digest,
    transaction_hash,
)

GENESIS_PARENT = b"\x00" * 32
_TX_BASE = G.TX_BASE
_receipt_hash = itemgetter(0)
"""A receipt's transaction hash (its first field)."""
_tx_hash = itemgetter(9)
"""A transaction's hash."""
_gas_used = itemgetter(2)
"""A receipt's gas used."""


class Device:
    """A deterministic, embedded commitment device.

    Args:
        config: the device's design (ordering, visibility, fees, builder, latency...).
        genesis: assets, issuers, allocations and accounts at block 0.
        seed: the run's seed; keys and random ordering derive from it.
        store: a path to persist the event log to SQLite (default: in memory).
        builder: who builds blocks (default: an honest builder at ``config.builder``).
        history: how many recent blocks to keep in memory (default: all): blocks, their
            receipts and, when ``store`` is None, the in-memory event log
            (``MemoryLog(limit=history)``, which can then no longer be replayed).
            Headers are always kept.
    """

    def __init__(
        self,
        config: DeviceConfig | None = None,
        genesis: Genesis | None = None,
        *,
        seed: int = 0,
        store: str | Path | EventLog | None = None,
        builder: Builder | None = None,
        history: int | None = None,
    ) -> None:
        self.config = config or DeviceConfig()
        self.genesis = genesis or Genesis()
        self.seed = seed
        self.ledger = Ledger()
        self.contracts: dict[str, Contract] = {}
        self.fee_market = FeeMarket(self.config.fee_market)
        self.rule = make_rule(self.config.ordering, seed=seed, fee_kind=self.config.fee_market)
        self.executor = Executor(
            self,
            self.ledger,
            self.contracts,
            self.fee_market,
            self.config.fee_asset,
            self.config.block_gas_limit,
        )
        self.mempool = Mempool()
        # The dicts and counter submit() touches, at hand (their identity never changes).
        self._pending, self._seq = self.mempool.txs, self.mempool.seq
        self._nonces = self.ledger.nonces
        self.builder: Builder = builder or HonestBuilder(self.config.builder)
        self.blocks: deque[Block] = deque(maxlen=history)
        self.headers: list[BlockHeader] = []
        self._receipts: dict[bytes, Receipt] = {}
        """Receipts by transaction hash, for the blocks up to ``_indexed`` (built on
        demand by :meth:`receipt`, so that sealing a block does not pay for it)."""
        self._indexed = 0
        self._history = history
        self.block_hooks: list[Callable[[Device, Block], None]] = []
        """Called after every sealed block (e.g. :func:`accord.device.checks.check_every_block`)."""
        self.resolutions: deque[Resolution] = deque(maxlen=history or 1024)
        """What each block's commitment resolution did (blocks with pending commitments)."""
        self._keys: dict[str, bytes] = {}
        self._macs: dict[str, Any] = {}
        """Per account, the MAC's state after its key (:func:`mac_state`): ``copy()``,
        ``update(digest)`` and ``digest()`` give the account's signature of a digest."""
        self._latency = self.config.latency_ms
        self._gas_limit = self.config.block_gas_limit
        self._now = self.config.genesis_time_ms
        """The head block's timestamp (``now``), kept at hand for submission."""
        self._default_latency = self.config.default_latency_ms
        self._arrival = self._now + self._default_latency
        """When a transaction submitted now arrives under the default latency."""
        self._seed_key = hashlib.blake2b(
            str(seed).encode(), digest_size=32, person=b"accord.seed"
        ).digest()
        self.base_fee = self.config.initial_base_fee if self.config.fee_market == "eip1559" else 0
        if store is None:
            self.log: EventLog = MemoryLog(limit=history)
        elif isinstance(store, (str, Path)):
            self.log = SqliteLog(store)
        else:
            self.log = store
        self.log.start(self.config.model_dump_json(), self.genesis.model_dump_json(), seed)
        self._apply_genesis()

    # -- genesis and accounts ----------------------------------------------------------
    def _apply_genesis(self) -> None:
        for name in self.genesis.account_names():
            self._register(name)
        ledger = self.ledger
        assets = dict(self.genesis.assets)
        for symbol in sorted(assets):
            spec = assets[symbol]
            ledger.create_asset(symbol, spec.issuer)
            for holder, amount in sorted(spec.alloc.items()):
                ledger.mint(symbol, holder, amount, by=spec.issuer)
        if self.config.fee_asset not in ledger.issuers:
            ledger.create_asset(self.config.fee_asset, "genesis")
        registry = CommitmentRegistry.__new__(CommitmentRegistry)
        registry._bind(REGISTRY_ADDRESS, ledger)
        self.contracts[REGISTRY_ADDRESS] = registry
        self.registry = registry
        ledger.commit()
        self._digest = StateDigest(ledger, self.contracts)
        root = self._digest.digest(0, self.base_fee)
        header = BlockHeader(
            0,
            self.config.genesis_time_ms,
            GENESIS_PARENT,
            "genesis",
            self.base_fee,
            self.config.block_gas_limit,
            0,
            tx_root([]),
            root,
        )
        self.headers.append(header)
        self.blocks.append(Block(header, (), ()))

    def _register(self, name: str) -> Account:
        if not isinstance(name, str) or not name or name.startswith("0x") or name == DEPLOY:
            raise UnknownAccount(
                f"account name must be a non-empty string not starting with 0x: {name!r}"
            )
        if name in self._keys:
            raise UnknownAccount(f"account {name!r} already exists")
        key = hashlib.blake2b(name.encode(), key=self._seed_key, digest_size=32).digest()
        self._keys[name] = key
        self._macs[name] = mac_state(key)
        return Account(name, key)

    def open_account(self, name: str) -> Account:
        """Open a new (empty) account after genesis; recorded in the event log."""
        account = self._register(name)
        self.log.append(AccountRecord(name))
        return account

    def account(self, name: str) -> Account:
        """The signing handle of an existing account."""
        key = self._keys.get(name)
        if key is None:
            raise UnknownAccount(f"no account {name!r} on this device")
        return Account(name, key)

    @property
    def accounts(self) -> list[str]:
        return sorted(self._keys)

    # -- reads -------------------------------------------------------------------------
    @property
    def number(self) -> int:
        """The head block's number."""
        return self.headers[-1].number

    @property
    def head(self) -> BlockHeader:
        return self.headers[-1]

    @property
    def now(self) -> int:
        """The device's clock: the head block's timestamp, in ms."""
        return self.headers[-1].timestamp

    @property
    def finalized(self) -> int:
        """The newest block that is final (``finality_depth`` blocks deep)."""
        return max(0, self.number - self.config.finality_depth)

    def balance(self, account: str, asset: str) -> int:
        return self.ledger.balance(account, asset)

    def locked(self, owner: str, asset: str, holder: str) -> int:
        return self.ledger.locked_balance(owner, asset, holder)

    def supply(self, asset: str) -> int:
        return self.ledger.supply.get(asset, 0)

    def nonce(self, account: str) -> int:
        """The next nonce the ledger will accept from ``account``."""
        return self.ledger.nonces.get(account, 0)

    def next_nonce(self, account: str) -> int:
        """The nonce after the account's pending transactions."""
        nonce = self.nonce(account)
        pending = {p.tx.nonce for p in self.mempool.arrived(1 << 62) if p.tx.sender == account}
        pending.update(  # a pending bundle's transactions hold their nonces too
            tx.nonce for b in self.mempool.bundles() for tx in b.bundle.txs if tx.sender == account
        )
        while nonce in pending:
            nonce += 1
        return nonce

    def contract_at(self, address: str) -> Contract:
        contract = self.contracts.get(address)
        if contract is None:
            raise UnknownContract(f"no contract at {address!r}")
        return contract

    def state_hash(self) -> bytes:
        """Hash of the current state (equal to the head's ``state_hash`` between blocks)."""
        return self._digest.peek(self.number, self.base_fee)

    def receipt(self, tx_hash: bytes) -> Receipt:
        """The receipt of an included transaction in a block still in ``blocks``."""
        if self._indexed < self.number:
            receipts = self._receipts
            for block in self.blocks:
                if block.number > self._indexed:
                    receipts.update({r[0]: r for r in block.receipts})
            self._indexed = self.number
        found = self._receipts.get(tx_hash)
        if found is None:
            raise KeyError(f"no receipt for transaction {tx_hash.hex()}")
        return found

    def latency(self, account: str) -> int:
        return self.config.latency_ms.get(account, self.config.default_latency_ms)

    # -- submission --------------------------------------------------------------------
    def verify_message(self, signer: str, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is ``signer``'s :meth:`Account.sign_message` of
        ``message`` (False for an unknown signer or a malformed signature)."""
        state = self._macs.get(signer)
        if state is None or type(signature) is not bytes:
            return False
        state = state.copy()
        state.update(message_digest(message))
        return hmac.compare_digest(state.digest(), signature)

    def verify(self, tx: Transaction) -> None:
        """Check that ``tx`` was signed by its sender's key and not altered since.

        The hash is recomputed from the contents (an altered transaction fails here) and
        the MAC from the sender's key (a forged one fails here): both, every time.
        """
        sender = tx[0]
        state = self._macs.get(sender)
        if state is None:
            raise UnknownAccount(f"no account {sender!r} on this device")
        digest = transaction_hash(tx[:9])
        if digest != tx[9]:
            raise BadSignature("the transaction's hash does not match its contents (altered)")
        state = state.copy()
        state.update(digest)
        if state.digest() != tx[10]:
            raise BadSignature(f"not signed by {sender!r}'s key (forged)")

    def _refuse(self, tx: Transaction) -> NoReturn:
        """Raise the precise error for a transaction that :meth:`submit` refuses."""
        self.verify(tx)
        sender, nonce, gas_limit = tx[0], tx[1], tx[6]
        current = self.ledger.nonces.get(sender, 0)
        if nonce < current:
            raise BadNonce(f"replayed: {sender} is at nonce {current}, transaction has {nonce}")
        if tx[9] in self.mempool.txs:
            raise Rejected("already pending", field="hash")
        raise GasLimitTooLow(f"{gas_limit} is outside [{G.TX_BASE}, {self._gas_limit}]")

    def submit(self, tx: Transaction, *, at: int | None = None) -> bytes:
        """Send a transaction to the mempool; it arrives after the sender's latency.

        Raises a :class:`Rejected` error (nothing changes) for a forged transaction, a
        used nonce, a duplicate or an impossible gas limit.
        """
        # verify() and the checks below inlined for the common case (a valid
        # transaction); at any doubt _refuse() runs them in order, to raise the precise
        # error.
        content = tx[:9]
        digest = TX_HASH.copy()
        try:
            digest.update(_dumps(content, 0))
        except ValueError:  # fields that cannot be encoded
            self._refuse(tx)
        # Read from the slice: unpacking a plain tuple is faster than a NamedTuple.
        sender, nonce, _, _, _, _, gas_limit, _, _ = content
        tx_hash = tx[9]
        state = self._macs.get(sender)
        if state is None or digest.digest() != tx_hash:
            self._refuse(tx)
        state = state.copy()
        state.update(tx_hash)
        pending = self._pending
        if (
            state.digest() != tx[10]
            or nonce < self._nonces.get(sender, 0)
            or tx_hash in pending
            or gas_limit < _TX_BASE
            or gas_limit > self._gas_limit
        ):
            self._refuse(tx)
        if at is None and not self._latency:
            arrival = self._arrival
        else:
            sent = self._now if at is None else at
            arrival = sent + self._latency.get(sender, self._default_latency)
        pending[tx_hash] = (tx, arrival, next(self._seq))  # Mempool.add inlined
        return tx_hash

    def submit_bundle(self, bundle: Bundle, *, sender: str, at: int | None = None) -> bytes:
        """Send a bundle privately to the builder (``eth_sendBundle``).

        Raises :class:`BundleFailed` naming the transaction at fault for a forged one
        and, under the ``batch`` ordering rule, for a call to a batchable method (which
        settles in the block's batch, so a bundle cannot sequence it; checked again at
        inclusion for contracts deployed since).
        """
        for i, tx in enumerate(bundle.txs):
            try:
                self.verify(tx)
            except Rejected as exc:
                raise BundleFailed(str(exc), index=i, cause=exc) from exc
        if self.config.ordering == "batch":
            self.executor.batch_call_in_bundle(bundle)
        sent_at = self.now if at is None else at
        self.mempool.add_bundle(bundle, sent_at + self.latency(sender), sender)
        return bundle.hash

    def pending_view(self, observer: str, *, at: int | None = None) -> list[Pending | SealedTx]:
        """The mempool as ``observer`` may see it under the configured visibility."""
        now = self.now if at is None else at
        return self.mempool.view(observer, now, self.config.mempool, self.builder.address)

    # -- blocks ------------------------------------------------------------------------
    def build_block(self, builder: Builder | None = None) -> Block:
        """Ask the builder for the next block, order it, execute it and seal it."""
        builder = builder or self.builder
        number = self.number + 1
        timestamp = self.config.genesis_time_ms + number * self.config.block_time_ms
        if type(builder) is HonestBuilder:
            # An honest builder includes everything that has arrived; skip the request.
            honest: list[Item] = [*self.mempool.arrived_entries(timestamp)]
            drains = len(honest) == len(self.mempool)  # every pending tx is an item
            honest.extend(self.mempool.arrived_bundles(timestamp, number))
            ordered = self.rule.order(honest, number=number, base_fee=self.base_fee)
            return self._execute_block(number, timestamp, builder.address, ordered, drains=drains)
        sealed = self.config.mempool == "sealed"
        pending = self.mempool.view(
            builder.address, timestamp, self.config.mempool, builder.address
        )
        arrived_bundles = self.mempool.arrived_bundles(timestamp, number)
        bundles: list[PendingBundle | SealedBundle] = [
            SealedBundle(
                b.hash, len(b.bundle.txs), b.tip(self.config.fee_market, self.base_fee), b.arrival
            )
            if sealed
            else b
            for b in arrived_bundles
        ]
        request = BuildRequest(
            number,
            timestamp,
            self.base_fee,
            self.config.block_gas_limit,
            self.config.ordering,
            self.config.mempool,
            tuple(pending),
            tuple(bundles),
        )
        items = self._resolve(builder.build(request), builder, timestamp, number)
        if self.config.ordering_enforced or builder.follows_rule:
            items = self.rule.order(items, number=number, base_fee=self.base_fee)
        return self._execute_block(number, timestamp, builder.address, items)

    def build_blocks(self, count: int) -> list[Block]:
        return [self.build_block() for _ in range(count)]

    def _resolve(
        self, choices: Iterable[Choice], builder: Builder, timestamp: int, number: int
    ) -> list[Item]:
        items: list[Item] = []
        seen: set[bytes] = set()
        for choice in choices:
            if isinstance(choice, bytes):
                entry: Item | None = self.mempool.get(choice) or self.mempool.bundle(choice)
                if entry is None or entry[1] > timestamp:
                    raise DeviceError(
                        f"builder {builder.address} chose unknown item {choice.hex()}"
                    )
                if isinstance(entry, PendingBundle) and not entry.bundle.in_range(number):
                    raise DeviceError(
                        f"builder {builder.address} chose bundle {choice.hex()} outside its "
                        f"block range [{entry.bundle.min_block}, {entry.bundle.max_block}]"
                    )
            else:
                if not self.config.builder_may_insert:
                    raise DeviceError(
                        f"builder {builder.address} inserted its own item, "
                        "but builder_may_insert is false"
                    )
                if isinstance(choice, Bundle):
                    self.submit_bundle(choice, sender=builder.address, at=timestamp)
                    entry = self.mempool.bundle(choice.hash)
                else:
                    self.verify(choice)
                    entry = self.mempool.get(choice.hash) or self.mempool.add(choice, timestamp)
            assert entry is not None
            key = entry.hash if isinstance(entry, PendingBundle) else entry[0][9]
            if key not in seen:
                seen.add(key)
                items.append(entry)
        return items

    def _execute_block(
        self,
        number: int,
        timestamp: int,
        builder: str,
        items: Sequence[Item],
        *,
        strict: bool = False,
        drains: bool = False,
    ) -> Block:
        """Execute ``items`` in order and seal the block.

        Items that are invalid now (a nonce gap, an unaffordable fee) are skipped and
        stay pending; items that can never become valid are skipped and dropped from
        the mempool (:meth:`Executor.never_valid`); items that do not fit the remaining
        gas are not attempted. Each lands in ``Block.skipped`` with its reason. With
        ``strict``, the first rejection is raised instead and nothing is sealed.

        The journal is kept for the whole block (marks are relative, so rolling back a
        call or a bundle works the same) and cleared once at the end. The cyclic garbage
        collector is paused meanwhile (:mod:`accord.device.collector`).
        """
        with collector_paused():
            return self._execute_block_now(number, timestamp, builder, items, strict, drains)

    def _execute_block_now(
        self,
        number: int,
        timestamp: int,
        builder: str,
        items: Sequence[Item],
        strict: bool,
        drains: bool,
    ) -> Block:
        env = BlockEnv(number, timestamp, self.base_fee, builder)
        executor = self.executor
        done = executor.run(
            items,
            env,
            self.config.block_gas_limit,
            strict=strict,
            batch=self.config.ordering == "batch",
        )
        attempted, included, skipped = done.attempted, done.included, done.skipped
        receipts: list[Receipt | ReceiptFields] = done.receipts  # type: ignore[assignment]
        batched = done.batched
        journal = self.ledger.journal
        if batched:
            settled: dict[bytes, Receipt | ReceiptFields] = {}
            for address in sorted(batched):
                for receipt in executor.settle_batch(address, batched[address], env):
                    settled[receipt[0]] = receipt
                journal.clear()
            receipts = [
                r if r is not None else settled[tx.hash]
                for tx, r in zip(included, receipts, strict=True)
            ]
        if self.registry.count():
            self.resolutions.append(resolve_commitments(self, self.registry, number, timestamp))
        gas_used = executor.end_block(builder, receipts, env.base_fee)
        journal.clear()
        self.ledger.events.clear()
        # Whether every pending transaction was included (then the mempool is emptied
        # at once): the items were the whole mempool, and as many of them were included
        # as it holds now (nothing was skipped, nothing was added during the block).
        emptied = drains and len(included) - done.bundled == len(self.mempool)
        return self._seal(
            number,
            timestamp,
            builder,
            gas_used,
            included,
            tuple(receipts),
            attempted,
            done.done_bundles,
            skipped,
            emptied,
        )

    def _seal(
        self,
        number: int,
        timestamp: int,
        builder: str,
        gas_used: int,
        included: list[Transaction],
        receipts: tuple[Receipt | ReceiptFields, ...],
        attempted: list[Transaction | Bundle],
        done_bundles: list[bytes],
        skipped: list[Skipped],
        emptied: bool = False,
    ) -> Block:
        base_fee = self.base_fee
        next_base_fee = self.fee_market.base_fee_after(
            base_fee, gas_used, self.config.block_gas_limit
        )
        root = self._digest.digest(number, next_base_fee)
        header = BlockHeader(
            number,
            timestamp,
            self.headers[-1].hash,
            builder,
            base_fee,
            self.config.block_gas_limit,
            gas_used,
            tx_root(included),
            root,
        )
        block = Block(header, tuple(included), receipts, tuple(skipped))
        self.base_fee = next_base_fee
        self.headers.append(header)
        self._now = timestamp
        self._arrival = timestamp + self._default_latency
        if self._history is not None and len(self.blocks) == self._history:
            oldest = self.blocks[0]
            if oldest.number <= self._indexed:
                forget = self._receipts.pop
                for old in oldest.receipts:
                    forget(old[0], None)
        self.blocks.append(block)
        mempool = self.mempool
        if emptied:
            mempool.txs.clear()
        else:
            mempool.remove(map(_tx_hash, included))
        for item in skipped:
            if item.dropped and item.kind == "tx":
                mempool.remove((item.hash,))
            elif item.dropped:
                mempool.remove_bundle(item.hash)
        for h in done_bundles:
            mempool.remove_bundle(h)
        mempool.prune(
            self.ledger.nonces,
            number,
            timestamp=block.header.timestamp,
            lifetime=self.config.mempool_lifetime_ms,
        )
        self.log.append(BlockRecord(number, builder, tuple(attempted), root))
        for hook in self.block_hooks:
            hook(self, block)
        return block

    def replay_block(self, record: BlockRecord) -> Block:
        """Re-execute a logged block's items in their logged order (used by replay)."""
        number = self.number + 1
        if record.number != number:
            raise DeviceError(f"log has block {record.number} where {number} was expected")
        timestamp = self.config.genesis_time_ms + number * self.config.block_time_ms
        items: list[Item] = []
        for item in record.items:
            if isinstance(item, Bundle):
                for tx in item.txs:
                    self.verify(tx)
                items.append(self.mempool.add_bundle(item, timestamp, "replay"))
            else:
                self.verify(item)
                items.append(self.mempool.get(item.hash) or self.mempool.add(item, timestamp))
        return self._execute_block(number, timestamp, record.builder, items)

    # -- automine helpers ----------------------------------------------------------------
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
        gas_limit: int = DEFAULT_GAS_LIMIT,
        max_fee: int | None = None,
        priority_fee: int = 0,
        nonce: int | None = None,
    ) -> Transaction:
        """Sign with the account's next nonce and a max fee that covers the base fee."""
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

    def commit(
        self,
        account: Account,
        commitment: Commitment | Mapping[str, Any] | str,
        *,
        at: int | None = None,
        priority_fee: int = 0,
    ) -> bytes:
        """Sign and submit a transaction posting ``commitment`` (a model, dict or JSON).

        The document is validated first: a malformed one raises
        :class:`~accord.device.commitments.MalformedCommitment` naming the field, and
        nothing is submitted. Returns the posting transaction's hash.
        """
        if isinstance(commitment, str):
            from accord.device.commitments.codec import from_json

            commitment = from_json(commitment)
        parsed = parse_commitment(commitment)
        if parsed.owner != account.address:
            raise MalformedCommitment(
                f"{parsed.owner!r} is not the signer {account.address!r}", field="owner"
            )
        document = parsed.to_json()
        gas_limit = (
            G.TX_BASE
            + G.CALL
            + 3 * G.WRITE_NEW
            + 2 * G.LEDGER_OP
            + G.EVENT
            + GAS_PER_DOCUMENT_BYTE * len(document)
        )
        tx = self.sign(
            account,
            REGISTRY_ADDRESS,
            "post",
            document,
            gas_limit=gas_limit,
            priority_fee=priority_fee,
        )
        return self.submit(tx, at=at)

    def pending_commitments(self) -> list[Commitment]:
        """Every pending commitment, in posting order: anyone may inspect them."""
        return self.registry.pending()

    def execute(self, tx: Transaction) -> Receipt:
        """Include ``tx`` alone in a new block now and return its receipt.

        Raises the rejection (and builds no block) if ``tx`` is invalid.
        """
        self.verify(tx)
        number = self.number + 1
        timestamp = self.config.genesis_time_ms + number * self.config.block_time_ms
        entry = Pending(tx, timestamp, 0)
        block = self._execute_block(number, timestamp, self.builder.address, [entry], strict=True)
        return block.receipts[0]

    def call(
        self, account: Account, to: str, method: str = "", *args: object, **kwargs: Any
    ) -> Receipt:
        """Sign, include and return the receipt of one call (one block)."""
        return self.execute(self.sign(account, to, method, *args, **kwargs))

    def view(self, address: str, method: str, *args: object, sender: str = "") -> Any:
        """Run a public method read-only, as the EVM's STATICCALL would, and return its result.

        Nothing it writes survives (the journal is rolled back), no block is built, no
        fee is paid and no nonce moves: it is how agents and tests read views such as a
        pool's ``quote``. Gas is metered against :data:`VIEW_GAS` so a runaway view
        stops. A revert raises :class:`Revert`; an unknown contract or method raises
        :class:`UnknownContract` / :class:`UnknownMethod`.
        """
        ledger = self.ledger
        target = self.contract_at(address)
        fn = _entry_point(target, method)
        mark = ledger.mark()
        used, limit, events = ledger.gas_used, ledger.gas_limit, len(ledger.events)
        ledger.gas_used, ledger.gas_limit = 0, VIEW_GAS
        try:
            ctx = Context(
                self,
                ledger,
                address,
                sender or address,
                sender or address,
                NO_VALUE,
                self.number,
                self.now,
            )
            result = fn(ctx, *canonical_args(args))
            if ledger.gas_used > VIEW_GAS:
                raise OutOfGas(ledger.gas_used, VIEW_GAS)
            return result
        finally:
            ledger.rollback(mark)
            del ledger.events[events:]
            ledger.gas_used, ledger.gas_limit = used, limit

    def deploy(self, account: Account, cls: type[Contract], *args: object, **kwargs: Any) -> str:
        """Deploy a contract class (one block) and return its address.

        Raises :class:`DeviceError` with the revert reason if the constructor fails.
        """
        kwargs.setdefault("gas_limit", 2_000_000)
        receipt = self.call(account, DEPLOY, cls.class_path(), *args, **kwargs)
        if not receipt.ok or receipt.contract_address is None:
            raise DeviceError(f"deploying {cls.__name__} failed: {receipt.error}")
        return receipt.contract_address
