"""Executing transactions: validation, gas, fees, reverts and receipts.

The life of a transaction (the EVM's, simplified):

1. **Validation** changes nothing. A wrong nonce, a fee cap below the base fee, a gas
   limit below the intrinsic cost, an unknown target or method, or a sender that
   cannot prepay ``gas_limit × price`` (plus value in the fee asset) is *rejected*
   with a typed error naming the field (:mod:`accord.device.validation`).
2. The nonce is bumped and ``gas_limit × price`` is taken from the sender, where
   ``price = base_fee + tip`` (:mod:`accord.device.fees`).
3. The call runs in a journal frame, metered by :mod:`accord.device.gas`. A
   :class:`~accord.device.errors.Revert` (or any error in contract code) rolls the frame
   back; :class:`~accord.device.errors.OutOfGas` also uses up the whole limit.
4. Unused gas is refunded, ``gas_used × base_fee`` is burned and ``gas_used × tip``
   goes to the block's builder. Nothing else of a reverted call remains.

:class:`Executor` puts the parts together: the block loop (:mod:`accord.device.block_loop`),
validation and prepayment (:mod:`accord.device.validation`) and the batch rule
(:mod:`accord.device.settlement`); this module adds bundles, deployments, value
transfers and the block's fee accounting.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from types import MappingProxyType
from typing import Any

from accord.device import gas as G
from accord.device.block import Receipt, ReceiptFields, Skipped
from accord.device.block_loop import BlockLoop
from accord.device.context import NO_VALUE, ContextKit
from accord.device.contract import Contract
from accord.device.errors import BundleFailed, Rejected
from accord.device.fees import FeeMarket
from accord.device.host import Host
from accord.device.ledger import MISSING, Ledger
from accord.device.meter import StepMeter
from accord.device.outcome import UNMETERED, BlockEnv, Outcome, Prepaid, no_room
from accord.device.settlement import BatchSettlement
from accord.device.transaction import Bundle, Transaction
from accord.device.validation import TxValidation, resolve_contract_class

__all__ = [
    "UNMETERED",
    "BlockEnv",
    "Executor",
    "Outcome",
    "Prepaid",
    "contract_address",
    "resolve_contract_class",
]

_tip_paid = itemgetter(4)
_gas_used = itemgetter(2)


def contract_address(sender: str, nonce: int) -> str:
    """Where a contract deployed by ``sender`` at ``nonce`` lives (like CREATE)."""
    return "0x" + hashlib.blake2b(f"{sender}:{nonce}".encode(), digest_size=20).hexdigest()


class Executor(BlockLoop, BatchSettlement, TxValidation):
    """Applies transactions to a ledger and its contracts."""

    def __init__(
        self,
        device: Host,
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
        self.meter = StepMeter(ledger, tuple(device.genesis.metered_modules))
        """Runs the calls of contracts from ``Genesis.metered_modules`` under the step
        meter (:mod:`accord.device.meter`)."""
        self.contexts = ContextKit(
            ledger,
            device.contract_at,
            device.verify_message,
            lambda: int(getattr(device.config, "chain_id", 0)),
            self.meter,
            getattr(device, "beacons", None),
            int(getattr(device.config, "finality_depth", 0)),
            bool(getattr(device.config, "records_inclusions", False)),
        )
        """This device's call contexts (:mod:`accord.device.context`): their class, whose
        ledger operations are closures over the ledger, and the running-call slot."""
        self._context = self.contexts.cls
        self._active = self.contexts.active
        self._classes: dict[str, type[Contract]] = {}
        self._metered_entries: dict[tuple[type[Contract], str], Callable[..., Any]] = {}
        self.offenders: tuple[object, ...] = ()

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

    # -- bundles, deployments and value ------------------------------------------------
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
        done = self.run(((tx, 0, 0, None),), env, self.block_gas_limit, strict=True)
        return done.receipts[0]  # type: ignore[return-value]

    def _run_bundle(
        self, bundle: Bundle, env: BlockEnv, out: Outcome, strict: bool, batch: bool = False
    ) -> None:
        """Apply a bundle in :meth:`run`, or skip it (recording why).

        Under the batch rule (``batch``) a bundle holding a call to a batchable method
        is refused whole (:meth:`batch_call_in_bundle`): that call settles in the block's
        batch at the uniform price, so a bundle cannot order it or make it atomic with
        the bundle's other transactions.
        """
        try:
            needed = sum(tx.gas_limit for tx in bundle.txs)
            fits = needed <= out.gas_left
        except Exception as exc:  # a malformed gas limit that escaped admission
            out.attempted.append(bundle)
            reason = f"{type(exc).__name__}: gas limits cannot be summed"
            out.skipped.append(Skipped(bundle.hash, "bundle", "txs", reason, True))
            return
        if not fits:
            out.skipped.append(no_room(bundle.hash, "bundle", needed, out.gas_left))
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

    def _deploy(self, tx: Transaction, env: BlockEnv) -> str:
        ledger = self.ledger
        ledger.use_gas(G.DEPLOY)
        cls = self._contract_class(tx.method)
        address = contract_address(tx.sender, tx.nonce)
        instance = cls.__new__(cls)
        instance._bind(address, ledger)
        ledger.write(self.contracts, address, instance)
        kit = self.contexts
        ctx = kit.make(
            address,
            tx.sender,
            tx.sender,
            self._send_value(tx, address) if tx.value else NO_VALUE,
            env.number,
            env.timestamp,
        )
        previous = kit.enter(ctx)
        try:
            if self.meter.is_metered(cls):
                self.meter.call(instance.setup, ctx, *tx.args)
            else:
                instance.setup(ctx, *tx.args)
        finally:
            kit.leave(previous)
        return address
