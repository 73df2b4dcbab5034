"""Executing transactions: validation, gas, fees, reverts and receipts.

The life of a transaction (the EVM's, simplified):

1. **Validation** changes nothing. A wrong nonce, a fee cap below the base fee, a gas
   limit below the intrinsic cost, an unknown target or method, or a sender that
   cannot prepay ``gas_limit × price`` (plus value in the fee asset) is *rejected*
   with a typed error naming the field.
2. The nonce is bumped and ``gas_limit × price`` is taken from the sender, where
   ``price = base_fee + tip`` (:mod:`accord.device.fees`).
3. The call runs in a journal frame, metered by :mod:`accord.device.gas`. A
   :class:`~accord.device.errors.Revert` (or any error in contract code) rolls the frame
   back; :class:`~accord.device.errors.OutOfGas` also uses up the whole limit.
4. Unused gas is refunded, ``gas_used × base_fee`` is burned and ``gas_used × tip``
   goes to the block's builder. Nothing else of a reverted call remains.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from accord.device import gas as G
from accord.device.block import Receipt, ReceiptFields, Skipped, Status
from accord.device.contract import NO_VALUE, BatchCall, Context, Contract, writable_twin
from accord.device.errors import (
    BadNonce,
    BundleFailed,
    FeeTooLow,
    GasLimitTooLow,
    InsufficientFunds,
    OutOfGas,
    Rejected,
    Revert,
    UnknownContract,
    UnknownMethod,
)
from accord.device.fees import FeeMarket
from accord.device.ledger import MISSING, Ledger
from accord.device.mempool import Item, PendingBundle
from accord.device.transaction import DEPLOY, Bundle, Transaction

if TYPE_CHECKING:
    from accord.device.device import Device

UNMETERED = 1 << 62
_TX_BASE = G.TX_BASE
_tip_paid = itemgetter(4)
_gas_used = itemgetter(2)
_new_tuple = tuple.__new__
_new_context = object.__new__
_NOBODY: Any = object()
"""Is no sender, target or method: an empty slot of :meth:`Executor.run`'s caches."""


@dataclass(frozen=True, slots=True)
class BlockEnv:
    """The facts of the block a transaction executes in."""

    number: int
    timestamp: int
    base_fee: int
    builder: str


def contract_address(sender: str, nonce: int) -> str:
    """Where a contract deployed by ``sender`` at ``nonce`` lives (like CREATE)."""
    return "0x" + hashlib.blake2b(f"{sender}:{nonce}".encode(), digest_size=20).hexdigest()


def resolve_contract_class(path: str) -> type[Contract]:
    """Import ``module:QualName`` and check that it is a Contract subclass."""
    module_name, _, qualname = path.partition(":")
    if not module_name or not qualname:
        raise UnknownMethod(f"deploy target {path!r} is not of the form 'module:Class'")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise UnknownMethod(f"cannot import contract class {path!r}: {exc}") from None
    if not (isinstance(obj, type) and issubclass(obj, Contract)):
        raise UnknownMethod(f"{path!r} is not a Contract subclass")
    return obj


Prepaid = tuple[int, int]
"""``(price, tip)`` per gas of a validated transaction whose gas is prepaid."""


def _no_room(item_hash: bytes, kind: Literal["tx", "bundle"], needed: int, left: int) -> Skipped:
    reason = f"needs {needed} gas, the block has {left} left"
    return Skipped(item_hash, kind, "gas_limit", reason, False)


@dataclass(slots=True)
class Outcome:
    """What :meth:`Executor.run` did with a block's items."""

    attempted: list[Transaction | Bundle]
    """Every item tried, in order (the event log's record of the block)."""
    included: list[Transaction]
    receipts: list[Receipt | ReceiptFields | None]
    """One per included transaction; ``None`` for a batch call until settlement."""
    skipped: list[Skipped]
    batched: dict[str, list[tuple[Transaction, Prepaid, BatchCall]]]
    """Collected batch calls by contract address (batch rule)."""
    done_bundles: list[bytes]
    bundled: int
    """How many of ``included`` came in bundles."""
    gas_left: int


class Executor:
    """Applies transactions to a ledger and its contracts."""

    def __init__(
        self,
        device: Device,
        ledger: Ledger,
        contracts: dict[str, Contract],
        fee_market: FeeMarket,
        fee_asset: str,
        block_gas_limit: int,
    ) -> None:
        self.device = device
        self.ledger = ledger
        self.contracts = contracts
        self.fee_market = fee_market
        self.fee_asset = fee_asset
        self.block_gas_limit = block_gas_limit
        self._first_price = fee_market.kind == "first_price"
        self._fee_keys: dict[str, tuple[str, str]] = {}
        self._context: type[Context] = type(
            "Context",
            (Context,),
            {
                "__slots__": (),
                "__module__": Context.__module__,
                "_device": device,
                "_ledger": ledger,
            },
        )
        """This device's read-only :class:`Context`: the device and ledger are class
        attributes, so a call's context is four attribute writes, not eight (they shadow
        the base class's slots for reading)."""
        self._writable_context = writable_twin(self._context)
        self._classes: dict[str, type[Contract]] = {}

    def _call_context(
        self, to: str, sender: str, value: Mapping[str, int], number: int, timestamp: int
    ) -> Context:
        """A transaction's call context: ``Context()`` inlined (fill in the writable twin,
        then make it read-only; this device's class binds device and ledger)."""
        ctx: Any = _new_context(self._writable_context)
        ctx.this = to
        ctx.sender = ctx.origin = sender
        ctx.value = value
        ctx.block_number = number
        ctx.timestamp = timestamp
        ctx.__class__ = self._context
        return ctx  # type: ignore[no-any-return]

    # -- block fee accounting ------------------------------------------------------------
    def end_block(
        self, builder: str, receipts: Sequence[Receipt | ReceiptFields], base_fee: int
    ) -> int:
        """Pay the block's tips to its builder and burn its base fees; returns the
        block's gas used.

        Every receipt's fee splits into ``gas_used × base_fee`` (burned) and
        ``tip_paid`` (the builder's), so the block's totals follow from its receipts:
        a bundle that failed, whose receipts were discarded, pays nothing. They are
        settled once here, so the builder's tips become spendable from the next block.
        """
        ledger = self.ledger
        gas_used: int = sum(map(_gas_used, receipts))
        ledger.credit(builder, self.fee_asset, sum(map(_tip_paid, receipts)))
        ledger.burn_fee(self.fee_asset, base_fee * gas_used)
        return gas_used

    def savepoint(self) -> tuple[int, int]:
        """A point to roll a group of transactions back to (journal, events)."""
        return self.ledger.mark()

    def restore(self, point: tuple[int, int]) -> None:
        self.ledger.rollback(point)

    # -- validation and prepayment -----------------------------------------------------
    def _reject(self, tx: Transaction, base_fee: int) -> None:
        """Raise the precise :class:`Rejected` error for an invalid ``tx`` (checked in
        the order the fields appear); return if the fields are valid."""
        sender, nonce, to, method, _, _, gas_limit, max_fee, priority_fee = tx[:9]
        expected = self.ledger.nonces.get(sender, 0)
        if nonce != expected:
            kind = "replayed" if nonce < expected else "out of order"
            raise BadNonce(f"{kind}: {sender} is at nonce {expected}, transaction has {nonce}")
        if max_fee < base_fee:
            raise FeeTooLow(f"max_fee {max_fee} is below the base fee {base_fee}")
        if priority_fee > max_fee:
            raise FeeTooLow(
                f"priority_fee {priority_fee} exceeds max_fee {max_fee}", field="priority_fee"
            )
        if gas_limit < G.TX_BASE or gas_limit > self.block_gas_limit:
            raise GasLimitTooLow(
                f"{gas_limit} is outside [{G.TX_BASE}, block gas limit {self.block_gas_limit}]"
            )
        if to == DEPLOY:
            self._contract_class(method)
        elif method:
            contract = self.contracts.get(to)
            if contract is None:
                raise UnknownContract(f"no contract at {to!r} (method {method!r} named)")
            if method not in contract._public:
                raise UnknownMethod(
                    f"{type(contract).__name__} at {to} has no public method {method!r}"
                )

    def _prepay(self, tx: Transaction, base_fee: int) -> Prepaid:
        """Validate ``tx`` (raising :class:`Rejected`, nothing changed), then bump its
        nonce and take ``gas_limit × price`` from the sender. Returns ``(price, tip)``.

        This is the first half of :meth:`apply`, which inlines it (the hot path); the
        batch rule calls it to collect a call without running it.
        """
        self._reject(tx, base_fee)
        sender, max_fee, priority_fee = tx[0], tx[7], tx[8]
        if self._first_price:
            tip = max_fee
        else:
            tip = max_fee - base_fee
            if priority_fee < tip:
                tip = priority_fee
        price = base_fee + tip
        self._take(sender, tx[6] * price, tx[5])
        return price, tip

    def _take(self, sender: str, prepay: int, value: tuple[tuple[str, int], ...]) -> None:
        """Check that ``sender`` can prepay (plus value in the fee asset; raising
        :class:`Rejected`, nothing changed), then bump its nonce and take ``prepay``.

        :meth:`apply` inlines this (the hot path); keep the two in step.
        """
        ledger = self.ledger
        fee_asset = self.fee_asset
        need = prepay
        for asset, amount in value:
            if asset == fee_asset:
                need += amount
        key = (sender, fee_asset)
        balances = ledger.balances
        have = balances.get(key, 0)
        if have < need:
            self._cannot_pay(sender, need, have)
        # ledger.write inlined: journal, origin (for the state hash), canonical zero.
        nonces, journal = ledger.nonces, ledger.journal
        expected = nonces.get(sender, MISSING)
        journal.append((nonces, sender, expected))
        origin = ledger.nonces_origin
        if sender not in origin:
            origin[sender] = expected
        nonces[sender] = 1 if expected is MISSING else expected + 1
        if prepay:
            journal.append((balances, key, have))
            origin = ledger.balances_origin
            if key not in origin:
                origin[key] = have
            if have == prepay:
                del balances[key]
            else:
                balances[key] = have - prepay

    def _cannot_pay(self, sender: str, need: int, have: int) -> NoReturn:
        error = InsufficientFunds(sender, self.fee_asset, need, have)
        raise Rejected(str(error), field="sender") from error

    def _refund(self, sender: str, amount: int) -> None:
        """Give unused gas back to ``sender`` (ledger.credit inlined)."""
        ledger = self.ledger
        balances = ledger.balances
        key = (sender, self.fee_asset)
        have = balances.get(key, MISSING)
        ledger.journal.append((balances, key, have))
        origin = ledger.balances_origin
        if key not in origin:
            origin[key] = have
        balances[key] = amount if have is MISSING else have + amount

    def _settle(
        self, sender: str, gas_limit: int, paid: Prepaid, used: int, base_fee: int
    ) -> tuple[int, int]:
        """Refund unused gas. Returns the receipt's (fee, tip); the block's burn and
        tips follow from its receipts (:meth:`end_block`)."""
        price, tip = paid
        refund = (gas_limit - used) * price
        if refund:
            self._refund(sender, refund)
        return used * price, used * tip

    def never_valid(self, tx: Transaction) -> bool:
        """Whether ``tx`` can never be included, so the mempool may drop it.

        True when its nonce is already used; when its priority fee exceeds its max fee
        (the fields never change); when it names a method its contract does not expose
        or a class that cannot be deployed (code never changes); or when it can never
        pay: even at the lowest price its fee could ever reach (``max_fee`` under first
        price, ``min(priority_fee, max_fee)`` under EIP-1559, where the price is
        ``min(base_fee + priority_fee, max_fee)``), the prepayment exceeds the fee asset's
        whole supply, and that supply can never grow because its issuer is not a
        contract (only contracts mint after genesis).
        """
        sender, nonce, to, method, _, value, gas_limit, max_fee, priority_fee = tx[:9]
        ledger = self.ledger
        if nonce < ledger.nonces.get(sender, 0) or priority_fee > max_fee:
            return True
        try:
            if to == DEPLOY:
                self._contract_class(method)
            elif method and to in self.contracts and method not in self.contracts[to]._public:
                return True
        except UnknownMethod:
            return True
        fee_asset = self.fee_asset
        lowest = max_fee if self._first_price else min(priority_fee, max_fee)
        need = gas_limit * lowest + sum(n for asset, n in value if asset == fee_asset)
        can_mint = ledger.issuers.get(fee_asset) in self.contracts
        return not can_mint and need > ledger.supply.get(fee_asset, 0)

    # -- execution ---------------------------------------------------------------------
    def apply(self, tx: Transaction, env: BlockEnv) -> ReceiptFields:
        """Apply one transaction, undoably (a savepoint before it can roll it back);
        raises :class:`Rejected` (and changes nothing) if it is invalid.

        :meth:`run` journals a call's writes but not the nonce bump, the prepayment and
        the refund, which only a savepoint taken before the transaction (a bundle's)
        needs to undo: the sender's nonce and fee balance are journaled here, before
        it runs, so that rolling back restores them whatever the transaction did.
        """
        ledger, sender = self.ledger, tx[0]
        nonces, balances, key = ledger.nonces, ledger.balances, (sender, self.fee_asset)
        ledger.journal.append((nonces, sender, nonces.get(sender, MISSING)))
        ledger.journal.append((balances, key, balances.get(key, MISSING)))
        done = self.run(((tx, 0, 0),), env, self.block_gas_limit, strict=True)
        return done.receipts[0]  # type: ignore[return-value]

    def run(
        self,
        items: Iterable[Item],
        env: BlockEnv,
        gas_left: int,
        *,
        strict: bool = False,
        batch: bool = False,
    ) -> Outcome:
        """Execute a block's ``items`` in order: the device's hot path.

        A transaction is validated (a wrong nonce or fee, an unknown target, a sender
        that cannot prepay: a :class:`Rejected` error, nothing changed), its nonce
        bumped and ``gas_limit × price`` taken from its sender; its call runs in a
        journal frame that a :class:`Revert` (or any error in contract code) rolls back,
        and :class:`OutOfGas` also uses up the whole limit; unused gas is refunded. A
        rejected transaction is skipped (``Outcome.skipped``, and dropped from the
        mempool if :meth:`never_valid`) or, with ``strict``, raised. An item that does
        not fit ``gas_left`` is not attempted. Bundles go through
        :meth:`apply_bundle`; under the batch rule (``batch``), calls to batchable
        methods are collected for :meth:`settle_batch` instead.

        The call's writes are journaled; the nonce bump, prepayment and refund are not,
        since nothing rolls back past the start of a call but a bundle's savepoint, and
        :meth:`apply` journals what that needs. The state hash's tracking (the
        ``origin`` dicts) records them all.

        Everything per transaction is written out in this one loop, with the block's
        constants in local variables: validation in one combined test (:meth:`_reject`
        names the failure), then the prepayment (:meth:`_take`), the call and the
        settlement (:meth:`_settle`), inlined. Each receipt is a plain tuple of the
        :class:`Receipt`'s fields, which :class:`Block` wraps when asked.
        """
        try:
            return self._run(items, env, gas_left, strict, batch)
        finally:
            self.ledger.gas_limit = UNMETERED  # nothing is metered between calls

    def _run(
        self,
        items: Iterable[Item],
        env: BlockEnv,
        gas_left: int,
        strict: bool,
        batch: bool,
    ) -> Outcome:
        """:meth:`run`'s loop."""
        out = Outcome([], [], [], [], {}, [], 0, gas_left)
        attempted, included, receipts = out.attempted, out.included, out.receipts
        ledger = self.ledger
        nonces, balances, journal, events = (
            ledger.nonces,
            ledger.balances,
            ledger.journal,
            ledger.events,
        )
        nonces_origin, balances_origin = ledger.nonces_origin, ledger.balances_origin
        contracts, fee_keys, fee_asset = self.contracts, self._fee_keys, self.fee_asset
        first_price = self._first_price
        # One read-only context per (contract, sender) for the block's value-less calls:
        # their facts are equal, so they may share one.
        contexts: dict[str, dict[str, Context]] = {}
        known: set[str] = set()  # senders whose nonce and fee-balance origins are recorded
        base_fee, number, timestamp = env.base_fee, env.number, env.timestamp
        # The previous transaction's sender, target and method, and what was looked up
        # for them: consecutive transactions often share them, and an identity test is
        # cheaper than the lookups. (Nothing a lookup found can change within a block:
        # contracts are only ever added, at fresh addresses.)
        last_sender: object = _NOBODY
        last_to: object = _NOBODY
        last_method: object = _NOBODY
        key: tuple[str, str] = ("", "")
        contract: Contract | None = None
        entry: Callable[..., Any] | None = None
        ctx: Context | None = None
        # ``attempted`` is every item tried, in order. While every one tried was also
        # included it equals ``included``, so it is only filled in (``tracking``) from
        # the first item that is not a plain included transaction.
        tracking = False
        for item in items:
            if type(item) is PendingBundle:
                if not tracking:
                    attempted.extend(included)
                    tracking = True
                out.gas_left = gas_left
                self._run_bundle(item[0], env, out, strict, batch)
                gas_left = out.gas_left
                continue
            tx: Transaction = item[0]  # type: ignore[assignment]  # a transaction entry
            sender, nonce, to, method, args, value, gas_limit, max_fee, priority_fee, tx_hash, _ = (
                tx
            )
            # gas_left never exceeds the block gas limit, so this also catches a gas
            # limit above it (_reject names both).
            if gas_limit > gas_left:
                if strict:
                    raise GasLimitTooLow(f"{gas_limit} exceeds the block's gas left {gas_left}")
                out.skipped.append(_no_room(tx_hash, "tx", gas_limit, gas_left))
                continue
            try:
                if batch and self.is_batch_call(tx):
                    collected = self.collect_batch_call(tx, env)
                    out.batched.setdefault(to, []).append(collected)
                    gas_left -= gas_limit
                    if tracking:
                        attempted.append(tx)
                    included.append(tx)
                    receipts.append(None)  # filled at settlement
                    continue
                # -- validation: one combined test, _reject() names the failure --
                expected = nonces.get(sender, 0)  # a nonce is never stored as 0
                if (
                    nonce != expected
                    or max_fee < base_fee
                    or priority_fee > max_fee
                    or gas_limit < _TX_BASE
                    or to == DEPLOY
                ):
                    self._reject(tx, base_fee)  # raises, unless this is a valid deployment
                    entry = None
                    last_to = _NOBODY
                elif to is not last_to or method is not last_method:
                    if method:
                        found = contracts.get(to)
                        function = None if found is None else found._entries.get(method)
                        if function is None:
                            self._reject(tx, base_fee)  # raises
                        contract, entry = found, function
                    else:
                        entry = None
                    last_to, last_method = to, method
                    last_sender = _NOBODY  # the cached context was for another target
                if first_price:
                    tip = max_fee
                else:
                    tip = max_fee - base_fee
                    if priority_fee < tip:
                        tip = priority_fee
                price = base_fee + tip
                # -- prepay (_take inlined) --
                prepay = need = gas_limit * price
                if value:
                    for asset, amount in value:
                        if asset == fee_asset:
                            need += amount
                if sender is not last_sender:
                    got = fee_keys.get(sender)
                    if got is None:  # one (sender, fee asset) key per sender
                        got = fee_keys[sender] = (sender, fee_asset)
                    key, ctx, last_sender = got, None, sender
                    if sender not in known:
                        # The state hash's origins of the sender's nonce and fee
                        # balance, taken before this block writes them here (harmless
                        # if it does not: the old and new values are then equal).
                        known.add(sender)
                        if sender not in nonces_origin:
                            nonces_origin[sender] = expected or MISSING
                        if key not in balances_origin:
                            balances_origin[key] = balances.get(key, MISSING)
                have = balances.get(key, 0)
                if have < need:
                    self._cannot_pay(sender, need, have)
            except Rejected as exc:
                if strict:
                    raise
                if not tracking:
                    attempted.extend(included)
                    tracking = True
                attempted.append(tx)
                out.skipped.append(
                    Skipped(tx_hash, "tx", exc.field, str(exc), self.never_valid(tx))
                )
                continue
            if tracking:
                attempted.append(tx)
            nonces[sender] = expected + 1
            if prepay:
                if have == prepay:
                    del balances[key]
                else:
                    balances[key] = have - prepay
            # -- the call, in a journal frame --
            journal_mark, events_mark = len(journal), len(events)
            ledger.gas_used = _TX_BASE
            ledger.gas_limit = gas_limit
            created: str | None = None
            error: str | None = None
            result: object = None
            status: Status
            try:
                if entry is not None:
                    if value:
                        sent = self._send_value(tx, to)
                        call_ctx = self._call_context(to, sender, sent, number, timestamp)
                    else:
                        if ctx is None:
                            by_sender = contexts.get(to)
                            if by_sender is None:
                                by_sender = contexts[to] = {}
                            ctx = by_sender.get(sender)
                            if ctx is None:
                                ctx = by_sender[sender] = self._call_context(
                                    to, sender, NO_VALUE, number, timestamp
                                )
                        call_ctx = ctx
                    # The method's function (Contract._entries: no bound method
                    # to build), with positional arguments spelled out for short
                    # argument lists: a call with *args costs twice as much.
                    n = len(args)
                    if n == 3:
                        result = entry(contract, call_ctx, args[0], args[1], args[2])
                    elif n == 2:
                        result = entry(contract, call_ctx, args[0], args[1])
                    elif n == 1:
                        result = entry(contract, call_ctx, args[0])
                    elif n == 0:
                        result = entry(contract, call_ctx)
                    else:
                        result = entry(contract, call_ctx, *args)
                elif to == DEPLOY:
                    created = self._deploy(tx, env)
                elif value:  # a plain transfer
                    self._send_value(tx, to)
                used = ledger.gas_used
                if used > gas_limit:  # contract code caught an OutOfGas: still fails
                    raise OutOfGas(used, gas_limit)
                status = "success"
            except OutOfGas as exc:
                ledger.rollback((journal_mark, events_mark))
                status, used, error, created = "out_of_gas", gas_limit, exc.reason, None
            except Revert as exc:
                ledger.rollback((journal_mark, events_mark))
                status, used, error, created = "reverted", ledger.gas_used, exc.reason, None
            except Exception as exc:  # a bug or a failed ledger op in contract code
                ledger.rollback((journal_mark, events_mark))
                status, used, created = "reverted", ledger.gas_used, None
                error = f"{type(exc).__name__}: {exc}"
            emitted = tuple(events[events_mark:]) if events and len(events) > events_mark else ()
            # -- settle (_settle inlined): refund unused gas; burn and tip are per block --
            refund = (gas_limit - used) * price
            if refund:  # (the key's origin is recorded: the sender was known)
                balances[key] = balances.get(key, 0) + refund
            included.append(tx)
            receipts.append(
                (tx_hash, status, used, used * price, used * tip, result, emitted, error, created)
            )
            gas_left -= used
        if not tracking:
            attempted.extend(included)
        out.gas_left = gas_left
        return out

    def _run_bundle(
        self, bundle: Bundle, env: BlockEnv, out: Outcome, strict: bool, batch: bool = False
    ) -> None:
        """Apply a bundle in :meth:`run`, or skip it (recording why).

        Under the batch rule (``batch``) a bundle holding a call to a batchable method
        is refused whole (:meth:`batch_call_in_bundle`): that call settles in the block's
        batch at the uniform price, so a bundle cannot order it or make it atomic with
        the bundle's other transactions.
        """
        needed = sum(tx.gas_limit for tx in bundle.txs)
        if needed > out.gas_left:
            out.skipped.append(_no_room(bundle.hash, "bundle", needed, out.gas_left))
            return
        out.attempted.append(bundle)
        if batch:
            try:
                self.batch_call_in_bundle(bundle)
            except BundleFailed as exc:
                if strict:
                    raise
                # never valid under this rule: dropped from the mempool
                out.skipped.append(Skipped(bundle.hash, "bundle", exc.field, str(exc), True))
                return
        try:
            results = self.apply_bundle(bundle, env)
        except BundleFailed as exc:
            if strict:
                raise
            drop = exc.cause is not None and self.never_valid(bundle.txs[exc.index])
            out.skipped.append(Skipped(bundle.hash, "bundle", exc.field, str(exc), drop))
            return
        out.done_bundles.append(bundle.hash)
        out.included.extend(bundle.txs)
        out.bundled += len(bundle.txs)
        out.receipts.extend(results)
        out.gas_left -= sum(map(_gas_used, results))

    def apply_bundle(self, bundle: Bundle, env: BlockEnv) -> list[ReceiptFields]:
        """Apply a bundle's transactions in order, all or nothing (raises BundleFailed)."""
        point = self.savepoint()
        done: list[ReceiptFields] = []
        for i, tx in enumerate(bundle.txs):
            try:
                receipt = self.apply(tx, env)
            except Rejected as exc:
                self.restore(point)
                raise BundleFailed(str(exc), index=i, cause=exc) from exc
            status = receipt[1]
            if status != "success" and tx.hash not in bundle.reverting:
                self.restore(point)
                raise BundleFailed(f"{status}: {receipt[7]}", index=i)
            done.append(receipt)
        return done

    def _send_value(self, tx: Transaction, to: str) -> Mapping[str, int]:
        """Move the transaction's ``value`` from its sender to ``to`` (metered)."""
        ledger = self.ledger
        sender = tx[0]
        for asset, amount in tx[5]:
            ledger.use_gas(G.LEDGER_OP)
            ledger.transfer(asset, sender, to, amount)
        return MappingProxyType(dict(tx[5]))

    def _contract_class(self, path: str) -> type[Contract]:
        cls = self._classes.get(path)
        if cls is None:
            cls = self._classes[path] = resolve_contract_class(path)
        return cls

    def _deploy(self, tx: Transaction, env: BlockEnv) -> str:
        ledger = self.ledger
        ledger.use_gas(G.DEPLOY)
        cls = self._contract_class(tx.method)
        address = contract_address(tx.sender, tx.nonce)
        instance = cls.__new__(cls)
        instance._bind(address, ledger)
        ledger.write(self.contracts, address, instance)
        ctx = Context(
            self.device,
            ledger,
            address,
            tx.sender,
            tx.sender,
            self._send_value(tx, address) if tx.value else NO_VALUE,
            env.number,
            env.timestamp,
        )
        instance.setup(ctx, *tx.args)
        return address

    # -- batch settlement (frequent batch auction) -------------------------------------
    def is_batch_call(self, tx: Transaction) -> bool:
        contract = self.contracts.get(tx.to)
        return contract is not None and tx.method in contract._batch

    def batch_call_in_bundle(self, bundle: Bundle) -> None:
        """Raise :class:`BundleFailed` naming the first of ``bundle``'s transactions that
        calls a batchable method (under the batch rule such calls settle together, at one
        price, so no bundle can sequence them)."""
        for i, tx in enumerate(bundle.txs):
            if self.is_batch_call(tx):
                raise BundleFailed(
                    f"{tx.to}.{tx.method} settles in the block's batch under the batch "
                    "ordering rule, so a bundle cannot order it or make it atomic",
                    index=i,
                )

    def collect_batch_call(
        self, tx: Transaction, env: BlockEnv
    ) -> tuple[Transaction, Prepaid, BatchCall]:
        """Prepay a batchable call and lock its value under the contract until settlement."""
        ledger = self.ledger
        fee_asset = self.fee_asset
        for asset, amount in tx.value:
            # The fee asset's value is checked with the prepayment in _prepay.
            have = ledger.balance(tx.sender, asset)
            if asset != fee_asset and have < amount:
                error = InsufficientFunds(tx.sender, asset, amount, have)
                raise Rejected(str(error), field="value") from error
        paid = self._prepay(tx, env.base_fee)
        for asset, amount in tx.value:
            ledger.lock(asset, tx.sender, amount, holder=tx.to)
        call = BatchCall(tx.hash, tx.sender, tx.method, tx.args, MappingProxyType(dict(tx.value)))
        return tx, paid, call

    def settle_batch(
        self, address: str, collected: list[tuple[Transaction, Prepaid, BatchCall]], env: BlockEnv
    ) -> list[Receipt]:
        """Settle every batched call to one contract at once, then charge each call.

        The settlement's metered gas is shared equally among its calls (the remainder to
        the first in canonical order), each paying at most its own gas limit. If the
        settlement reverts, every call reverts and its locked value returns to its sender.
        """
        ledger = self.ledger
        contract = self.contracts[address]
        calls = [call for _, _, call in collected]
        n = len(calls)
        cap = sum(tx.gas_limit - G.BATCH_CALL for tx, _, _ in collected)
        mark = ledger.mark()
        ledger.gas_used = 0
        ledger.gas_limit = max(cap, 0)
        status, error = "success", None
        results: list[object] = [None] * n
        try:
            for call in calls:
                for asset, amount in call.value.items():
                    ledger.use_gas(G.LEDGER_OP)
                    ledger.release(asset, call.sender, amount, address, holder=address)
            ctx = Context(
                self.device,
                ledger,
                address,
                address,
                address,
                NO_VALUE,
                env.number,
                env.timestamp,
            )
            out = contract.settle_batch(ctx, calls)
            if ledger.gas_used > ledger.gas_limit:  # an OutOfGas was caught by the contract
                raise OutOfGas(ledger.gas_used, ledger.gas_limit)
            if len(out) != n:
                raise Revert(f"settle_batch returned {len(out)} results for {n} calls")
            results = list(out)
        except OutOfGas as exc:
            ledger.rollback(mark)
            status, error = "out_of_gas", exc.reason
        except Revert as exc:
            ledger.rollback(mark)
            status, error = "reverted", exc.reason
        except Exception as exc:
            ledger.rollback(mark)
            status, error = "reverted", f"{type(exc).__name__}: {exc}"
        shared = ledger.gas_used if status == "success" else ledger.gas_limit
        ledger.gas_limit = UNMETERED
        if status != "success":
            for call in calls:
                for asset, amount in call.value.items():
                    ledger.unlock(asset, call.sender, amount, holder=address)
        # An event whose data names a call's hash (``tx=``) belongs to that call's receipt;
        # an event naming none (a clearing price, say) is the whole batch's and appears in
        # every batched call's receipt, in emission order.
        events = tuple(ledger.events[mark[1] :])
        tagged = [e.data and dict(e.data).get("tx") for e in events]
        receipts = []
        share, remainder = divmod(shared, n)
        for i, (tx, paid, call) in enumerate(collected):
            used = min(G.BATCH_CALL + share + (1 if i < remainder else 0), tx.gas_limit)
            fee, tip = self._settle(tx.sender, tx.gas_limit, paid, used, env.base_fee)
            mine = tuple(
                e for e, t in zip(events, tagged, strict=True) if not t or t == call.tx_hash
            )
            receipts.append(
                Receipt(call.tx_hash, status, used, fee, tip, results[i], mine, error)  # type: ignore[arg-type]
            )
        return receipts
