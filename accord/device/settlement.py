"""Batch settlement under the frequent-batch-auction ordering rule.

Under the ``batch`` rule (Budish, Cramton & Shim, "The High-Frequency Trading Arms
Race: Frequent Batch Auctions as a Market Design Response", QJE 2015) every
transaction of a block is simultaneous: a call to a method marked
``@public(batch=True)`` is not run in place but prepaid and collected
(:meth:`BatchSettlement.collect_batch_call`), its value locked under the contract, and
after the block's other transactions all of a contract's collected calls are handed to
its :meth:`~accord.device.contract.Contract.settle_batch` together
(:meth:`BatchSettlement.settle_batch`), so that it can clear them at one uniform price.
A bundle cannot hold such a call (:meth:`BatchSettlement.batch_call_in_bundle`): it
could neither order it nor make it atomic with the bundle's other transactions.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING

from accord.device import gas as G
from accord.device.block import Receipt
from accord.device.context import ContextKit
from accord.device.contract import NO_VALUE, BatchCall, Contract
from accord.device.errors import BundleFailed, InsufficientFunds, OutOfGas, Rejected, Revert
from accord.device.host import Host
from accord.device.ledger import Ledger
from accord.device.meter import StepMeter
from accord.device.outcome import UNMETERED, BlockEnv, Prepaid
from accord.device.transaction import Bundle, Transaction


class BatchSettlement:
    """The executor's batch rule (a part of :class:`~accord.device.execution.Executor`,
    which sets these attributes and provides the prepayment and settlement)."""

    device: Host
    ledger: Ledger
    meter: StepMeter
    offenders: tuple[object, ...]
    contracts: dict[str, Contract]
    fee_asset: str
    contexts: ContextKit

    if TYPE_CHECKING:

        def _prepay(self, tx: Transaction, base_fee: int) -> Prepaid: ...

        def _settle(
            self, sender: str, gas_limit: int, paid: Prepaid, used: int, base_fee: int
        ) -> tuple[int, int]: ...

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
        """Prepay a batchable call and lock its value under the contract until settlement.

        All or nothing: the value is checked per asset *summed over its entries* before
        anything is taken (an asset listed twice must be covered twice), and if anything
        fails after the prepayment (it should not) the prepayment, the nonce bump and
        the locks are rolled back before the error propagates, so a refused call changes
        nothing (its nonce and prepayment are journaled by ``_take``).
        """
        ledger = self.ledger
        fee_asset = self.fee_asset
        totals: dict[str, int] = {}
        for asset, amount in tx.value:
            if type(amount) is not int or amount < 0:
                raise Rejected(f"amount of {asset!r} is not a non-negative int", field="value")
            totals[asset] = totals.get(asset, 0) + amount
        for asset, amount in totals.items():
            # The fee asset's value is checked with the prepayment in _prepay.
            have = ledger.balance(tx.sender, asset)
            if asset != fee_asset and have < amount:
                error = InsufficientFunds(tx.sender, asset, amount, have)
                raise Rejected(str(error), field="value") from error
        mark = ledger.mark()
        try:
            paid = self._prepay(tx, env.base_fee)
            for asset, amount in tx.value:
                ledger.lock(asset, tx.sender, amount, holder=tx.to)
        except BaseException:
            ledger.rollback(mark)
            raise
        value = MappingProxyType(totals) if totals else NO_VALUE
        # The call's own context (its sender and value), made by the device: what
        # settle_batch acts for this caller with (a contract cannot make one).
        ctx = self.contexts.make(tx.to, tx.sender, tx.sender, value, env.number, env.timestamp)
        call = BatchCall(tx.hash, tx.sender, tx.method, tx.args, value, ctx)
        return tx, paid, call

    def settle_batch(
        self, address: str, collected: list[tuple[Transaction, Prepaid, BatchCall]], env: BlockEnv
    ) -> list[Receipt]:
        """Settle every batched call to one contract at once, then charge each call.

        The settlement's metered gas is shared equally among its calls (the remainder to
        the first in canonical order), each paying at most its own gas limit. If the
        settlement reverts, every call reverts and its locked value returns to its sender.
        """
        try:
            return self._settle_batch(address, collected, env)
        except BaseException:
            # An unexpected error (a bug in the device): the whole-block rollback drops
            # the batch's calls.
            self.offenders = tuple(tx for tx, _, _ in collected)
            raise

    def _settle_batch(
        self, address: str, collected: list[tuple[Transaction, Prepaid, BatchCall]], env: BlockEnv
    ) -> list[Receipt]:
        ledger = self.ledger
        contract = self.contracts[address]
        calls = [call for _, _, call in collected]
        n = len(calls)
        # Each call pays its own intrinsic gas (TX_BASE and its calldata, EIP-2028).
        intrinsic = [G.intrinsic_gas(tx.method, tx.args, tx.value) for tx, _, _ in collected]
        cap = sum(
            tx.gas_limit - base for (tx, _, _), base in zip(collected, intrinsic, strict=True)
        )
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
            kit = self.contexts
            ctx = kit.make(address, address, address, NO_VALUE, env.number, env.timestamp)
            kit.open_batch([call.ctx for call in calls])
            previous = kit.enter(ctx)
            try:
                if self.meter.is_metered(type(contract)):
                    out = self.meter.call(contract.settle_batch, ctx, calls)
                else:
                    out = contract.settle_batch(ctx, calls)
            finally:
                kit.leave(previous)
                kit.close_batch()
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
        except (MemoryError, RecursionError) as exc:  # resource exhaustion
            ledger.rollback(mark)
            status, error = "out_of_gas", f"out of gas: {type(exc).__name__}"
        except Exception as exc:
            ledger.rollback(mark)
            status, error = "reverted", f"{type(exc).__name__}: {exc}"[:500]
        except KeyboardInterrupt:
            raise  # the user's: the whole block is rolled back
        except BaseException as exc:  # SystemExit, GeneratorExit... from contract code
            ledger.rollback(mark)
            status, error = "out_of_gas", f"out of gas: {type(exc).__name__}"
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
            used = min(intrinsic[i] + share + (1 if i < remainder else 0), tx.gas_limit)
            fee, tip = self._settle(tx.sender, tx.gas_limit, paid, used, env.base_fee)
            mine = tuple(
                e for e, t in zip(events, tagged, strict=True) if not t or t == call.tx_hash
            )
            receipts.append(
                Receipt(call.tx_hash, status, used, fee, tip, results[i], mine, error)  # type: ignore[arg-type]
            )
        return receipts
