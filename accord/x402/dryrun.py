"""The spec's "Transaction Simulation" step, at the settlement block's time.

``specs/x402-specification-v2.md`` (at ``dd927a26``, §6.1.2, step 6) has the
facilitator simulate the settlement before it says a payment is valid. A read-only
``device.view`` would run at the head's timestamp, not at the next block's, where the
settlement lands and where EIP-3009's window is judged; and it would skip the
transaction's own checks (the payee's nonce, its ability to prepay the gas). So
:func:`dry_run` executes the payee's *signed* settlement transaction after the pending
transactions, in the environment of the next block (its number, timestamp, base fee
and builder), and rolls the whole block back, as ``accord node``'s ``simulate`` does
(``accord/node/production.py``): nothing changes (``state_hash()`` is the head's
afterwards), no block is sealed, nothing is logged.
"""

from __future__ import annotations

from accord.device import Device, Transaction
from accord.device.mempool import Pending
from accord.device.outcome import BlockEnv

__all__ = ["dry_run"]


def dry_run(device: Device, tx: Transaction) -> tuple[str, str | None]:
    """``(status, error)`` of ``tx`` run in the next block: ``"success"``,
    ``"reverted"``, ``"out_of_gas"`` or ``"rejected"`` (not executable: its reason)."""
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
            return str(receipt[1]), receipt[7]
    for skipped in done.skipped:
        if skipped.hash == tx.hash:
            return "rejected", f"{skipped.field}: {skipped.reason}"
    return "rejected", "not executed (no room in the block)"
