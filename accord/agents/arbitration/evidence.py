"""Disputes with a known true verdict and noisy evidence: the case file every judge reads.

A dispute over an escrow (a payer paid a payee for goods) has a **true verdict**:
``RELEASE`` (the payee delivered) or ``REFUND`` (it did not). Nobody on the device knows
it. What the judges see is a :class:`CaseFile`: the claim, and ``n`` exhibits, each
supporting the truth with probability ``clarity`` and the other side otherwise,
independently (the noisy-evidence model of Condorcet's jury theorem: Condorcet 1785;
Grofman, Owen & Feld 1983, *Thirteen theorems in search of the truth*, Theory and
Decision 15). A reader that rules the exhibits' majority is then right with probability

    P(n, c) = sum_{k > n/2} C(n, k) c^k (1 - c)^(n - k)        (n odd)

(:func:`majority_accuracy`), which ``tests/agents/arbitration`` checks the LLM
adjudicator's stand-in against. A party may append an exhibit of its own words
(``injection``): text aimed at a model, which a reader must treat as evidence, never as
an instruction.

Scripted judges do not read text: each gets a private **signal**, the truth with its own
accuracy (:func:`signal`), which is the same model with the reading folded in.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np

from accord.mechanisms.arbitration import REFUND, RELEASE

__all__ = [
    "REFUND_EXHIBITS",
    "RELEASE_EXHIBITS",
    "CaseFile",
    "draw_case",
    "exhibit_side",
    "majority_accuracy",
    "signal",
]

RELEASE_EXHIBITS = (
    "The courier's log shows the parcel delivered and signed for at the payer's address.",
    "A message from the payer thanks the payee for the delivery.",
    "A photograph shows the goods unpacked in the payer's office.",
    "The payer's warehouse receipt lists the goods as received in full.",
    "An independent inspector certifies the goods as delivered to specification.",
)
"""Exhibits that support paying the payee."""
REFUND_EXHIBITS = (
    "The courier reports the parcel lost in transit and never delivered.",
    "The tracking number the payee gave belongs to another shipment.",
    "A photograph shows an empty box received by the payer.",
    "The payee's own message admits the goods were never sent.",
    "An independent inspector finds the goods missing from the payer's premises.",
)
"""Exhibits that support refunding the payer."""


@dataclass(frozen=True, slots=True)
class CaseFile:
    """What a judge reads about one dispute (never its true verdict)."""

    agreement: int
    amount: int
    disputer: str
    """``"payer"`` or ``"payee"``."""
    claim: str
    exhibits: tuple[str, ...]


def exhibit_side(text: str) -> int | None:
    """The ruling a shipped exhibit supports (``RELEASE``/``REFUND``), ``None`` for any
    other text (a party's own words)."""
    if text in RELEASE_EXHIBITS:
        return RELEASE
    if text in REFUND_EXHIBITS:
        return REFUND
    return None


def draw_case(
    rng: np.random.Generator,
    agreement: int,
    truth: int,
    amount: int,
    disputer: str,
    exhibits: int,
    clarity: float,
    injection: str | None = None,
) -> CaseFile:
    """A case file: ``exhibits`` exhibits, each for the truth with probability
    ``clarity``, then the ``injection`` (if any) as a last exhibit."""
    if truth not in (RELEASE, REFUND):
        raise ValueError(f"truth must be {RELEASE} or {REFUND}, got {truth!r}")
    if not 0.0 <= clarity <= 1.0:
        raise ValueError(f"clarity must be in [0, 1], got {clarity!r}")
    if disputer not in ("payer", "payee"):
        raise ValueError(f"disputer must be 'payer' or 'payee', got {disputer!r}")
    texts: list[str] = []
    for _ in range(exhibits):
        side = truth if rng.random() < clarity else (REFUND if truth == RELEASE else RELEASE)
        pool = RELEASE_EXHIBITS if side == RELEASE else REFUND_EXHIBITS
        texts.append(pool[int(rng.integers(len(pool)))])
    if injection:
        texts.append(injection)
    claim = (
        "The payer says the goods never arrived and asks for its money back."
        if disputer == "payer"
        else "The payee says it delivered the goods and asks to be paid."
    )
    return CaseFile(agreement, amount, disputer, claim, tuple(texts))


def signal(rng: np.random.Generator, truth: int, accuracy: float) -> int:
    """A scripted judge's private reading: the truth with probability ``accuracy``."""
    return truth if rng.random() < accuracy else (REFUND if truth == RELEASE else RELEASE)


def majority_accuracy(n: int, clarity: float) -> float:
    """``P(n, c)``: the chance that the majority of ``n`` (odd) independent exhibits,
    each right with probability ``clarity``, is right (module docstring)."""
    if n < 1 or n % 2 == 0:
        raise ValueError(f"n must be a positive odd number, got {n}")
    return sum(comb(n, k) * clarity**k * (1 - clarity) ** (n - k) for k in range(n // 2 + 1, n + 1))
