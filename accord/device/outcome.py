"""What a block's transactions execute under and what executing them produced.

Shared by the executor's parts (:mod:`accord.device.execution`,
:mod:`accord.device.block_loop`, :mod:`accord.device.validation`,
:mod:`accord.device.settlement`): the block's facts (:class:`BlockEnv`), a prepaid
transaction's price (:data:`Prepaid`) and the result of running a block's items
(:class:`Outcome`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from accord.device.block import Receipt, ReceiptFields, Skipped
from accord.device.contract import BatchCall
from accord.device.transaction import Bundle, Transaction

UNMETERED = 1 << 62
"""The gas limit outside calls: nothing is metered between them."""


@dataclass(frozen=True, slots=True)
class BlockEnv:
    """The facts of the block a transaction executes in."""

    number: int
    timestamp: int
    base_fee: int
    builder: str


Prepaid = tuple[int, int]
"""``(price, tip)`` per gas of a validated transaction whose gas is prepaid."""


def no_room(item_hash: bytes, kind: Literal["tx", "bundle"], needed: int, left: int) -> Skipped:
    """The record of an item that does not fit the block's gas left."""
    reason = f"needs {needed} gas, the block has {left} left"
    return Skipped(item_hash, kind, "gas_limit", reason, False)


@dataclass(slots=True)
class Outcome:
    """What :meth:`~accord.device.execution.Executor.run` did with a block's items."""

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
