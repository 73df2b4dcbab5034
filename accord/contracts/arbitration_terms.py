"""An arbitration clause's records: an agreement's fixed :class:`Terms`, its mutable
:class:`Case`, the phases and the window bound (``accord.contracts.arbitration_clause``)."""

from __future__ import annotations

from typing import NamedTuple

from accord.device import Revert

OFFERED, ACTIVE, ANSWER, ADJUDICATION, REVIEW, COURT = (
    "offered",
    "active",
    "answer",
    "adjudication",
    "review",
    "court",
)
RELEASED, REFUNDED, SPLIT = "released", "refunded", "split"
FINAL = (RELEASED, REFUNDED, SPLIT)
APPEAL, AUDIT, ESCALATION = "appeal", "audit", "escalation"
MAX_WINDOW = 1_000_000
"""The longest window or term in blocks a clause accepts (about 140 days of 12 s blocks)."""
NO_DISPUTE = -1


class Terms(NamedTuple):
    """An agreement's fixed terms."""

    payer: str
    payee: str
    adjudicator: str
    amount: int
    deadline: int


class Case(NamedTuple):
    """An agreement's mutable state (stored as a plain tuple)."""

    phase: str
    until: int
    """Last block of the current phase's window."""
    disputer: str
    """``"payer"``, ``"payee"`` or ``""``."""
    paid_payer: int
    paid_payee: int
    commit_payer: bytes
    commit_payee: bytes
    salt_payer: bytes
    salt_payee: bytes
    ruling: int
    """The adjudicator's ruling (0: none yet)."""
    bond: int
    route: str
    """Why the court has it: ``appeal``, ``audit``, ``escalation`` or ``""``."""
    dispute: int
    """The court's dispute id, or :data:`NO_DISPUTE`."""
    final: int
    """The ruling that decided (meaningful once the phase is final)."""
    cost: int
    """What the court was paid for this agreement's dispute."""


NEW_CASE = Case(OFFERED, 0, "", 0, 0, b"", b"", b"", b"", 0, 0, "", NO_DISPUTE, 0, 0)


def window(value: object, name: str) -> int:
    if type(value) is not int or not 1 <= value <= MAX_WINDOW:
        raise Revert(f"{name} must be an int number of blocks in [1, {MAX_WINDOW}], got {value!r}")
    return value
