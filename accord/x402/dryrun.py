"""The spec's "Transaction Simulation" step, at the settlement block's time.

``specs/x402-specification-v2.md`` (at ``dd927a26``, §6.1.2, step 6) has the
facilitator simulate the settlement before it says a payment is valid. A read-only
``device.view`` would run at the head's timestamp, not at the next block's, where the
settlement lands and where EIP-3009's window is judged; and it would skip the
transaction's own checks (the payee's nonce, its ability to prepay the gas). So
:func:`dry_run` executes the payee's *signed* settlement transaction after the pending
transactions, in the environment of the next block (its number, timestamp, base fee
and builder), and rolls the whole block back (:func:`accord.device.dry_run.dry_run`,
which ``accord node``'s ``simulate`` runs too): nothing changes (``state_hash()`` is the
head's afterwards), no block is sealed, nothing is logged. On a device behind a node
(:class:`~accord.x402.devices.NodeDevice`) the node runs that same dry run
(``accord_simulate``) on its device.
"""

from __future__ import annotations

from accord.device import Device, Transaction
from accord.device.dry_run import dry_run as device_dry_run
from accord.x402.devices import PaymentDevice

__all__ = ["dry_run"]


def dry_run(device: PaymentDevice, tx: Transaction) -> tuple[str, str | None]:
    """``(status, error)`` of ``tx`` run in the next block: ``"success"``,
    ``"reverted"``, ``"out_of_gas"`` or ``"rejected"`` (not executable: its reason)."""
    if not isinstance(device, Device):
        sim = device.simulate(tx)
        if sim.status != "rejected":
            return sim.status, sim.error
        reason = sim.error or ""
        return "rejected", reason if sim.field is None else f"{sim.field}: {reason}"
    run = device_dry_run(device, tx)
    if run.receipt is not None:
        return str(run.receipt[1]), run.receipt[7]
    field, reason = run.refusal
    return "rejected", reason if field is None else f"{field}: {reason}"
