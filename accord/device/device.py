"""The commitment device: accounts, mempool, blocks and the event log, in one object.

A :class:`Device` is a deterministic ledger whose design is a parameter
(:class:`~accord.device.config.DeviceConfig`). Agents get :class:`Account` handles, sign
transactions and :meth:`Device.submit` them; a builder turns the mempool into blocks
(:meth:`Device.build_block`). Every sealed block carries a hash of the whole state, and
the event log lets :mod:`accord.device.replay` reproduce the run bit for bit.

Keys. Private keys live in a :class:`~accord.device.keys.Keyring`, outside the log. A
device is given one (``keyring=``) or makes a fresh random one, and
:meth:`Device.account` asks it for the signing handle of a genesis account: that is
how a closed simulation hands each agent its account. Under ``signatures="ed25519"``
the device itself verifies with the public keys the genesis binds, so an account whose
public key came from an agent's own keyring cannot be signed for through the device
(:meth:`Device.account` refuses it). Under ``signatures="mac"`` the device must hold
every key (it verifies with them). The genesis written to the log binds every account
to its public key (or MAC key fingerprint), and the genesis hash
(:mod:`accord.device.genesis_hash`) covers it and every config field; it is block 0's
parent hash.

For scripts and tests, :meth:`Device.call` and :meth:`Device.deploy` sign, include and
return at once (one block per call, like a development chain's automine).

This module holds the device's state, genesis, accounts and reads; its methods come in
parts: submission (:mod:`accord.device.submission`), block production
(:mod:`accord.device.production`) and the one-call helpers
(:mod:`accord.device.automine`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from accord.device.automine import Automine
from accord.device.beacon import BeaconWindow, beacon_root, beacon_value
from accord.device.block import Block, BlockHeader, Receipt, tx_root
from accord.device.builder import Builder, HonestBuilder
from accord.device.commitments.registry import (
    REGISTRY_ADDRESS,
    CommitmentRegistry,
)
from accord.device.commitments.resolver import Resolution
from accord.device.config import DeviceConfig, Genesis
from accord.device.contract import Contract
from accord.device.ed25519 import PublicKey
from accord.device.errors import (
    DeviceError,
    UnknownAccount,
    UnknownContract,
)
from accord.device.execution import Executor
from accord.device.fast_submit import Gate
from accord.device.fees import FeeMarket
from accord.device.forks import Forks
from accord.device.genesis_hash import field_digests, genesis_hash
from accord.device.keys import Keyring
from accord.device.ledger import Ledger
from accord.device.logs import Log, logs
from accord.device.mempool import (
    Mempool,
)
from accord.device.ordering import make_rule
from accord.device.production import BlockProduction
from accord.device.recording import recorded_log
from accord.device.state import StateDigest
from accord.device.store import AccountRecord, EventLog, LogHeader, MemoryLog, SqliteLog
from accord.device.submission import Submission
from accord.device.transaction import (
    DEPLOY,
    Account,
    chain_key,
    mac_state,
)


class Device(Submission, BlockProduction, Automine, Forks):
    """A deterministic, embedded commitment device.

    Args:
        config: the device's design (ordering, visibility, fees, builder, latency...).
        genesis: assets, issuers, allocations and accounts at block 0.
        seed: the run's seed; random ordering derives from it (keys never do).
        store: a path to persist the event log to SQLite (default: in memory).
        builder: who builds blocks (default: an honest builder at ``config.builder``).
        history: how many recent blocks to keep in memory (default: all): blocks, their
            receipts and, when ``store`` is None, the in-memory event log
            (``MemoryLog(limit=history)``, which can then no longer be replayed).
            Headers are always kept.
        keyring: where the private keys of the genesis accounts (and of accounts opened
            later without a public key) come from (default: a fresh random keyring;
            :mod:`accord.device.keys`). Under the MAC it must hold every account's key.
        trust_signatures: accept every signature unchecked (hashes are still checked):
            only for replaying a MAC log without its key file, which then says so.
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
        keyring: Keyring | None = None,
        trust_signatures: bool = False,
    ) -> None:
        self.config = config or DeviceConfig()
        self.keyring = keyring if keyring is not None else Keyring()
        self.trusts_signatures = trust_signatures
        """Whether signatures are accepted unchecked (a replay without the MAC key file)."""
        self._scheme = self.config.signatures
        self._chain_id = self.config.chain_id
        self._record_inclusions = self.config.records_inclusions
        self._receipts_roots = self.config.receipts_roots
        self.genesis = self._bind_keys(genesis or Genesis())
        self.seed = seed
        self.ledger = Ledger()
        self.beacons = BeaconWindow()
        """The last :data:`~accord.device.beacon.BEACON_WINDOW` beacons, which contracts
        read with ``ctx.beacon`` (:mod:`accord.device.beacon`)."""
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
        self.executor.contract_modules = self.genesis.contract_modules
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
        self._bound: dict[str, bytes] = {}
        """Per account, the public key (or MAC key fingerprint) it is bound to."""
        self._macs: dict[str, Any] = {}
        """Per account, under the MAC, the MAC's state after its chain key
        (:func:`mac_state`): ``copy()``, ``update(digest)`` and ``digest()`` give the
        account's signature of a digest. Empty under ed25519."""
        self._public: dict[str, PublicKey] = {}
        """Per account, under ed25519, its public key."""
        self._accounts: dict[str, Account] = {}
        """Signing handles already checked against their binding (:meth:`account`)."""
        self._latency = self.config.latency_ms
        self._gas_limit = self.config.block_gas_limit
        self._now = self.config.genesis_time_ms
        """The head block's timestamp (``now``), kept at hand for submission."""
        self._default_latency = self.config.default_latency_ms
        self._arrival = self._now + self._default_latency
        """When a transaction submitted now arrives under the default latency."""
        self._gate = Gate(self)
        """Submit's common case, with the tables it reads at hand (compiled where the
        build could: :mod:`accord.device.fast_submit`)."""
        if type(self).submit is Submission.submit:
            # This device's ``submit`` is the gate's own method (compiled: no Python
            # frame per transaction); it is what Submission.submit calls.
            setattr(self, "submit", self._gate.submit)  # noqa: B010  (mypy: no method-assign)
        self.base_fee = self.config.initial_base_fee if self.config.fee_market == "eip1559" else 0
        if store is None:
            store = recorded_log(self)  # the lab's --logs (accord.device.recording)
        if store is None:
            self.log: EventLog = MemoryLog(limit=history)
        elif isinstance(store, (str, Path)):
            self.log = SqliteLog(store)
        else:
            self.log = store
        digests = field_digests(self.config, self.genesis, seed)
        self.genesis_hash = genesis_hash(digests)
        """The hash of the whole design (:mod:`accord.device.genesis_hash`): block 0's
        parent hash; publish it to pin the run's log."""
        self.beacon_root = beacon_root(digests)
        """The beacons' key-free root: the design and the seed (:mod:`accord.device.beacon`)."""
        self.log.start(
            LogHeader(
                self.config.model_dump_json(),
                self.genesis.model_dump_json(),
                seed,
                digests,
                self.genesis_hash.hex(),
            )
        )
        self._apply_genesis()

    # -- genesis and accounts ----------------------------------------------------------
    def _bind_keys(self, genesis: Genesis) -> Genesis:
        """``genesis`` with every account bound to a key: those it names keep theirs,
        the others get their key from the keyring."""
        bound = dict(genesis.public_keys)
        for name in genesis.account_names():
            _check_name(name)
            if name not in bound:
                bound[name] = self.keyring.public_key(name, self._scheme).hex()
        if bound == genesis.public_keys:
            return genesis
        return genesis.model_copy(update={"public_keys": dict(sorted(bound.items()))})

    def _apply_genesis(self) -> None:
        keys = self.genesis.public_keys
        for name in self.genesis.account_names():
            self._register(name, bytes.fromhex(keys[name]))
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
        registry.configure(self.config.max_commitment_blocks, self.config.records_inclusions)
        self.contracts[REGISTRY_ADDRESS] = registry
        self.registry = registry
        ledger.commit()
        self._digest = StateDigest(ledger, self.contracts)
        root = self._digest.digest(0, self.base_fee)
        header = BlockHeader(
            0,
            self.config.genesis_time_ms,
            self.genesis_hash,
            "genesis",
            self.base_fee,
            self.config.block_gas_limit,
            0,
            tx_root([]),
            root,
            beacon_value(self.beacon_root, 0, None),
        )
        self.beacons.push(0, header.beacon)
        self.beacons.push(1, beacon_value(self.beacon_root, 1, header))
        self.headers.append(header)
        self.blocks.append(Block(header, (), ()))
        self._start_undo()

    def _register(self, name: str, public_key: bytes) -> None:
        """Bind ``name`` to ``public_key`` (ed25519) or key fingerprint (MAC)."""
        _check_name(name)
        if name in self._bound:
            raise UnknownAccount(f"account {name!r} already exists")
        if type(public_key) is not bytes or len(public_key) != 32:
            raise UnknownAccount(f"account {name!r}: a public key is 32 bytes")
        if self.trusts_signatures:
            pass
        elif self._scheme == "ed25519":
            # Refused: not a canonical point, or one with a small-order part, under
            # which anyone could forge (accord.device.ed25519.key_problem).
            try:
                self._public[name] = PublicKey(public_key)
            except ValueError as exc:
                raise UnknownAccount(f"account {name!r}: {exc}") from None
        else:
            key = self.keyring.private_key(name, "mac")
            account = Account(name, key, "mac", self._chain_id)
            if account.public_key != public_key:
                raise DeviceError(
                    f"account {name!r}: under signatures='mac' the device must hold every "
                    "key, and its keyring's key does not match the bound fingerprint "
                    "(the wrong key file?)"
                )
            self._macs[name] = mac_state(chain_key(key, self._chain_id))
            self._accounts[name] = account
        self._bound[name] = public_key

    def open_account(self, name: str, public_key: bytes | None = None) -> Account | None:
        """Open a new (empty) account after genesis, bound to ``public_key`` (default:
        the keyring's key for ``name``); recorded in the event log with its key (a
        :class:`~accord.device.store.SqliteLog` commits the record before this returns;
        if writing it fails, the account is not opened and the error propagates).

        Returns its signing handle, or None when the device does not hold its key.
        """
        if public_key is None:
            _check_name(name)
            public_key = self.keyring.public_key(name, self._scheme)
        self._register(name, public_key)
        try:
            self.log.append(AccountRecord(name, public_key))
        except BaseException:
            # Not in the log, so it must not exist: a replay would not have it.
            for table in (self._bound, self._public, self._macs, self._accounts):
                table.pop(name, None)
            raise
        try:
            return self.account(name)
        except UnknownAccount:
            return None

    def account(self, name: str) -> Account:
        """The signing handle of an existing account, from the device's keyring.

        Raises :class:`UnknownAccount` for an unknown name, or for an account whose
        key the keyring does not hold (bound to an agent's own public key).
        """
        found = self._accounts.get(name)
        if found is not None:
            return found
        bound = self._bound.get(name)
        if bound is None:
            raise UnknownAccount(f"no account {name!r} on this device")
        account = self.keyring.account(name, scheme=self._scheme, chain_id=self._chain_id)
        if account.public_key != bound:
            raise UnknownAccount(
                f"the device's keyring holds no key for {name!r}: its public key is "
                "someone else's (sign with that agent's own keyring)"
            )
        self._accounts[name] = account
        return account

    @property
    def chain_id(self) -> int:
        return self._chain_id

    def public_key(self, name: str) -> bytes:
        """The 32 bytes ``name`` is bound to (ed25519 public key or MAC fingerprint)."""
        bound = self._bound.get(name)
        if bound is None:
            raise UnknownAccount(f"no account {name!r} on this device")
        return bound

    @property
    def accounts(self) -> list[str]:
        return sorted(self._bound)

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
        """The newest block that is final (``finality_depth`` blocks deep; no fork can
        replace it: :meth:`is_final`, ``docs/finality.md``)."""
        return max(0, self.number - self.config.finality_depth)

    def included(self, tx_hash: object) -> int | None:
        """The block that included transaction ``tx_hash`` on the current chain, or
        ``None`` (not included, or reorged out). Needs ``DeviceConfig.records_inclusions``
        (on by default when ``finality_depth > 0``): otherwise raises ``ValueError``."""
        if not self._record_inclusions:
            raise ValueError(
                "this device records no inclusions (DeviceConfig.record_inclusions is off)"
            )
        if type(tx_hash) is not bytes or len(tx_hash) != 32:
            raise TypeError("a transaction hash is 32 bytes")
        return self.ledger.inclusions.get(tx_hash)

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

    def logs(
        self,
        from_block: int = 0,
        to_block: int | None = None,
        *,
        address: str | None = None,
        name: str | None = None,
    ) -> list[Log]:
        """Events of the kept blocks in a range, by contract and name
        (:mod:`accord.device.logs`)."""
        return logs(self, from_block, to_block, address=address, name=name)


def _check_name(name: object) -> None:
    if type(name) is not str or not name or name.startswith("0x") or name == DEPLOY:
        raise UnknownAccount(
            f"account name must be a non-empty string not starting with 0x: {name!r}"
        )
