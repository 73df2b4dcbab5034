"""The block loop: a block's items executed in order, the device's hot path.

:meth:`BlockLoop.run` takes the ordered items of a block (pending transactions and
bundles) and, for each transaction, validates it, prepays its gas, runs its call in a
journal frame and refunds the unused gas, as :mod:`accord.device.execution` describes;
bundles go to :meth:`~accord.device.execution.Executor.apply_bundle` and, under the
batch rule, batchable calls to :mod:`accord.device.settlement`.

The loop itself, most of what the device costs per transaction, is
:func:`accord.device.fast_loop.run_items`: everything per transaction written out in
one loop with the block's constants in local variables, compiled by the build where it
can (:mod:`accord.device.accelerator`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, NoReturn

from accord.device.contract import BatchCall, Context, Contract
from accord.device.fast_loop import run_items as _run_items
from accord.device.ledger import Ledger
from accord.device.mempool import Item
from accord.device.meter import StepMeter
from accord.device.outcome import UNMETERED, BlockEnv, Outcome, Prepaid
from accord.device.transaction import Bundle, Transaction

_new_context = tuple.__new__


class BlockLoop:
    """The executor's block loop (a part of :class:`~accord.device.execution.Executor`,
    which sets these attributes and provides the methods declared below)."""

    ledger: Ledger
    contracts: dict[str, Contract]
    fee_asset: str
    _first_price: bool
    _fee_keys: dict[str, tuple[str, str]]
    _context: type[Context]
    _active: list[Context | None]
    meter: StepMeter
    _metered_entries: dict[tuple[type[Contract], str], Callable[..., Any]]
    offenders: tuple[object, ...]
    """What the block was processing when an unexpected error escaped :meth:`run` or
    a batch settlement: what the whole-block rollback drops."""

    if TYPE_CHECKING:

        def _reject(self, tx: Transaction, base_fee: int) -> None: ...

        def _cannot_pay(self, sender: str, need: int, have: int) -> NoReturn: ...

        def never_valid(self, tx: Transaction) -> bool: ...

        def is_batch_call(self, tx: Transaction) -> bool: ...

        def collect_batch_call(
            self, tx: Transaction, env: BlockEnv
        ) -> tuple[Transaction, Prepaid, BatchCall]: ...

        def _run_bundle(
            self, bundle: Bundle, env: BlockEnv, out: Outcome, strict: bool, batch: bool = False
        ) -> None: ...

        def _send_value(self, tx: Transaction, to: str) -> Mapping[str, int]: ...

        def _deploy(self, tx: Transaction, env: BlockEnv) -> str: ...

    def _metered(
        self, contract: Contract | None, method: str, function: Callable[..., Any] | None
    ) -> Callable[..., Any] | None:
        """``function`` (a public method of ``contract``), run under the step meter if the
        contract's class is metered (:mod:`accord.device.meter`)."""
        if contract is None or function is None or not self.meter.is_metered(type(contract)):
            return function
        key = (type(contract), method)
        wrapped = self._metered_entries.get(key)
        if wrapped is None:
            wrapped = self._metered_entries[key] = partial(self.meter.call, function)
        return wrapped

    def _call_context(
        self, to: str, sender: str, value: Mapping[str, int], number: int, timestamp: int
    ) -> Context:
        """A transaction's call context: :meth:`ContextKit.make` inlined (a tuple of the
        call's facts, of this device's context class; :mod:`accord.device.context`)."""
        return _new_context(self._context, (to, sender, sender, value, number, timestamp))

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
        ``origin`` dicts) records them all, and that is what the whole-block rollback
        restores (:meth:`~accord.device.production.BlockProduction._execute_block`).

        **Failures.** Any exception while validating or prepaying a transaction is its
        rejection: a :class:`Rejected` error as above, any other (a malformed field
        that escaped admission) skips it and drops it from the mempool. In the call,
        :class:`Revert` and every other :class:`Exception` revert it (fee paid);
        :class:`OutOfGas`, resource exhaustion (``MemoryError``, ``RecursionError``)
        and any other :class:`BaseException` but ``KeyboardInterrupt`` are out of gas
        (the whole limit paid). Anything else that escapes (a bug in the device, or
        ``KeyboardInterrupt``) leaves the item in :attr:`offenders` and propagates, for
        the whole-block rollback.

        A transaction's intrinsic gas is ``TX_BASE`` plus EIP-2028's calldata cost
        (:func:`accord.device.gas.intrinsic_gas`, inlined): its gas limit must cover it,
        and it is charged before the call runs.

        Everything per transaction is written out in this one loop, with the block's
        constants in local variables: validation in one combined test (:meth:`_reject`
        names the failure), then the prepayment (:meth:`_take`), the call and the
        settlement (:meth:`_settle`), inlined. Each receipt is a plain tuple of the
        :class:`Receipt`'s fields, which :class:`Block` wraps when asked.
        """
        self.offenders = ()
        try:
            return self._run(items, env, gas_left, strict, batch)
        finally:
            self.ledger.meter.limit = UNMETERED  # nothing is metered between calls
            self._active[0] = None  # nor does any context act between calls

    def _run(
        self,
        items: Iterable[Item],
        env: BlockEnv,
        gas_left: int,
        strict: bool,
        batch: bool,
    ) -> Outcome:
        """:meth:`run`'s loop: :func:`accord.device.fast_loop.run_items`, compiled when
        the build could (:mod:`accord.device.accelerator`)."""
        return _run_items(self, items, env, gas_left, strict, batch)
