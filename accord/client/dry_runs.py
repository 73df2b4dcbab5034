"""A node's dry run (``accord_simulate``, ``docs/node.md``) from the client's side:
the params that ask for one transaction's dry run, and its answer read strictly."""

from __future__ import annotations

from typing import Any

from accord.client.transport import from_json
from accord.device import Transaction
from accord.node.production import SimResult
from accord.node.wire import value_to_json

__all__ = ["SIM_STATUSES", "sim_result", "simulate_params"]

SIM_STATUSES = frozenset({"success", "reverted", "out_of_gas", "rejected"})
"""What a dry run's ``status`` may be."""


def simulate_params(tx: Transaction) -> dict[str, Any]:
    """``accord_simulate``'s params for ``tx``'s fields (its nonce, gas and fees; a dry
    run needs no signature)."""
    return {
        "sender": tx.sender,
        "to": tx.to,
        "method": tx.method,
        "args": value_to_json(tx.args),
        "value": [[asset, amount] for asset, amount in tx.value],
        "nonce": tx.nonce,
        "gas_limit": tx.gas_limit,
        "max_fee": tx.max_fee,
        "priority_fee": tx.priority_fee,
    }


def _int(x: object) -> int:
    if type(x) is not int:
        raise TypeError(f"expected an integer, got {type(x).__name__}")
    return x


def sim_result(found: Any) -> SimResult:
    """The node's answer as a :class:`SimResult`; a wrong shape raises ``KeyError``,
    ``TypeError`` or ``ValueError`` (the caller's ``answer`` makes it one line)."""
    status = found["status"]
    if status not in SIM_STATUSES:
        raise ValueError(f"unknown status {str(status)[:40]!r}")
    error, field, address = found["error"], found["field"], found["contract_address"]
    if not all(x is None or type(x) is str for x in (error, field, address)):
        raise TypeError("error, field and contract_address must be strings or null")
    events = tuple(
        (e["address"], e["name"], tuple(from_json(e["data"]).items())) for e in found["events"]
    )
    result = from_json(found["result"])
    return SimResult(
        status,
        _int(found["gas_used"]),
        _int(found["fee_paid"]),
        result,
        events,
        error,
        address,
        field,
    )
