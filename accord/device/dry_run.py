"""Dry runs: a transaction executed in the next block's environment, then undone.

:func:`dry_run` orders the arrived pending transactions and bundles by the device's
rule, appends ``tx`` (which needs no valid signature: nothing it does is kept), runs them
through the executor in the environment of the next block (its number, timestamp, base
fee and builder), with room in the block for ``tx`` beyond whatever is pending, and rolls
the whole block back: afterwards ``device.state_hash()`` is the head's, nothing is
sealed and nothing is logged. What comes back is ``tx``'s receipt, or the refusal that
skipped it. This is what a node's ``simulate`` and ``estimateGas`` answer, and what an
x402 facilitator's transaction simulation step runs (``docs/node.md``,
``docs/x402.md``). Under the ``batch`` rule batchable calls run one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from accord.device.execution import BlockEnv
from accord.device.mempool import Pending

if TYPE_CHECKING:
    from accord.device.block import Receipt, ReceiptFields, Skipped
    from accord.device.device import Device
    from accord.device.transaction import Transaction

__all__ = ["DryRun", "dry_run"]

NO_ROOM = "not executed (no room in the block)"
"""The refusal of a transaction the dry run's block never reached."""


@dataclass(frozen=True)
class DryRun:
    """A dry run's outcome: ``receipt`` (the executor's receipt fields, as a block
    records them) when ``tx`` was executed, else ``skipped`` (why the block refused it;
    ``None`` with ``receipt`` ``None`` means :data:`NO_ROOM`)."""

    receipt: Receipt | ReceiptFields | None
    skipped: Skipped | None

    @property
    def refusal(self) -> tuple[str | None, str]:
        """``(field, reason)`` of a refused transaction."""
        if self.skipped is not None:
            return self.skipped.field, self.skipped.reason
        return None, NO_ROOM


def dry_run(device: Device, tx: Transaction) -> DryRun:
    """Run ``tx`` after the pending items, in the next block, and undo it all."""
    number = device.number + 1
    timestamp = device.config.genesis_time_ms + number * device.config.block_time_ms
    pending = [p for p in device.mempool.arrived(timestamp) if p.tx.hash != tx.hash]
    items = [*device._order(list(pending), number), Pending(tx, timestamp, 0)]
    env = BlockEnv(number, timestamp, device.base_fee, device.builder.address)
    point = device._block_savepoint()
    try:
        done = device.executor.run(items, env, device.config.block_gas_limit + tx.gas_limit)
    finally:
        device._roll_back(point)
    for included, receipt in zip(done.included, done.receipts, strict=True):
        if included.hash == tx.hash and receipt is not None:
            return DryRun(receipt, None)
    for skipped in done.skipped:
        if skipped.hash == tx.hash:
            return DryRun(None, skipped)
    return DryRun(None, None)
