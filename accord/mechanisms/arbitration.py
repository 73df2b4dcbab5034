"""Arbitration clauses: who gets what when a dispute ends, and the audit draw. Exact ints.

The stateful shell is :class:`accord.contracts.arbitration_clause.ArbitrationClause`;
this module decides how the money held for one agreement splits, and whether a ruling
is audited. Nothing here touches a device.

**Rulings** follow ERC-792's convention (Lesaege, Ast & George, *ERC-792: Arbitration
standard*, 2019): ``0`` means the arbitrator refused to arbitrate, ``1..choices`` are the
options. A clause offers two: :data:`RELEASE` (pay the escrow to the payee) and
:data:`REFUND` (return it to the payer).

**Who pays** (:func:`settle`), the rule Kleros' arbitrable escrow uses (Lesaege & Ast,
*Kleros* whitepaper, 2019, §"arbitrable transaction": both parties deposit the fee, the
loser's deposit pays, the winner's comes back):

* each party that takes part in a dispute deposits ``fee + levy`` (the adjudicator's fee
  and the audit levy); the **winner's deposit is refunded**; the loser's pays the levy
  to the audit fund and the fee to the adjudicator, **if** the adjudicator's ruling
  stands; if the adjudicator was overturned or never ruled, its fee goes to the winner;
* the adjudicator's **bond** comes back to it unless the final ruling overturns its own
  (a final ruling of 1 or 2 other than the adjudicator's), in which case it goes to the
  **wronged party**: the one the final ruling favours;
* a final ruling of ``0`` (the court refused) splits the escrow, the odd unit to the
  payer (the status quo), takes the levy and the adjudicator's fee (if it ruled) from
  the two deposits together, and splits the rest the same way; the bond comes back.

Everything is conserved: ``amount + deposits + bond`` equals the four payouts
(:meth:`Payouts.total`), which :func:`settle` asserts.

**The audit draw** (:func:`audited`): a ruling that was not appealed is re-tried by the
court with probability ``audit_bps / 10,000``. An adjudicator that could tell in advance
whether it will be audited could be corrupt exactly when it will not be. So the draw
hashes two secrets the parties committed to when they entered the dispute, revealed only
after the ruling (Blum's coin flipping by telephone, 1983), with the device's beacon
(``ctx.beacon``, :mod:`accord.device.beacon`) of the block after the ruling's:
``BLAKE2b-256(salt_payer ‖ salt_payee ‖ clause ‖ id ‖ beacon, person="accord.audit")``,
its first 8 bytes ``x`` as a big-endian int, audited iff ``x · 10,000 < audit_bps · 2^64``.
Either part alone is unknown to the adjudicator when it rules: it would need both
parties' salts *and* to build the ruling's block to predict the draw
(``docs/arbitration.md``). The clause's rules make withholding a reveal useless.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

__all__ = [
    "CHOICES",
    "REFUND",
    "REFUSED",
    "RELEASE",
    "Payouts",
    "audit_seed",
    "audited",
    "check_ruling",
    "escrow_split",
    "settle",
    "side_of",
]

REFUSED, RELEASE, REFUND = 0, 1, 2
"""ERC-792 rulings: refused to arbitrate, pay the payee, refund the payer."""
CHOICES = 2
"""The options a clause offers its arbitrators (``1..CHOICES``)."""
PAYER, PAYEE = "payer", "payee"
AUDIT_PERSON = b"accord.audit"
BPS = 10_000


def check_ruling(ruling: object, allow_refusal: bool = True) -> int:
    """``ruling`` if it is an int in ``0..CHOICES`` (``1..CHOICES`` without
    ``allow_refusal``); ``ValueError`` naming it otherwise."""
    low = REFUSED if allow_refusal else RELEASE
    if type(ruling) is not int or not low <= ruling <= CHOICES:
        raise ValueError(f"ruling must be an int in {low}..{CHOICES}, got {ruling!r}")
    return ruling


def side_of(ruling: int) -> str | None:
    """The party a ruling favours: ``"payee"`` for :data:`RELEASE`, ``"payer"`` for
    :data:`REFUND`, ``None`` for a refusal."""
    return PAYEE if ruling == RELEASE else PAYER if ruling == REFUND else None


def ruling_for(side: str) -> int:
    """The ruling that favours ``side``."""
    return RELEASE if side == PAYEE else REFUND


class Payouts(NamedTuple):
    """What one ended agreement pays out, in base units of the clause's asset."""

    payer: int
    payee: int
    adjudicator: int
    fund: int

    def total(self) -> int:
        return self.payer + self.payee + self.adjudicator + self.fund


def escrow_split(amount: int, ruling: int) -> tuple[int, int]:
    """``(to payer, to payee)`` of an escrowed ``amount`` under a final ``ruling``:
    everything to the side it favours; half each on a refusal, the odd unit to the payer."""
    if ruling == RELEASE:
        return 0, amount
    if ruling == REFUND:
        return amount, 0
    return amount - amount // 2, amount // 2


def settle(
    amount: int,
    fee: int,
    levy: int,
    final: int,
    adjudicator_ruling: int,
    bond: int,
    paid_payer: int,
    paid_payee: int,
) -> Payouts:
    """Split an ended dispute's money (module docstring, "Who pays").

    ``amount`` is the escrow, ``paid_payer``/``paid_payee`` the deposits each party
    still has in the dispute (``fee + levy``, or 0: never answered or forfeited),
    ``adjudicator_ruling`` the adjudicator's ruling (``0``: it never ruled, and then
    ``bond`` must be 0), ``final`` the ruling that decides.
    """
    check_ruling(final)
    check_ruling(adjudicator_ruling)
    for name, value in (
        ("amount", amount),
        ("fee", fee),
        ("levy", levy),
        ("bond", bond),
        ("paid_payer", paid_payer),
        ("paid_payee", paid_payee),
    ):
        if type(value) is not int or value < 0:
            raise ValueError(f"{name} must be a non-negative int, got {value!r}")
    if adjudicator_ruling == REFUSED and bond:
        raise ValueError("a bond without an adjudicator's ruling")
    payer, payee = escrow_split(amount, final)
    adjudicator = fund = 0
    ruled = adjudicator_ruling != REFUSED
    # The bond: back to the adjudicator unless the final ruling overturns its own.
    if ruled and final != REFUSED and final != adjudicator_ruling:
        if final == RELEASE:
            payee += bond
        else:
            payer += bond
    else:
        adjudicator += bond
    if final == REFUSED:
        pool = paid_payer + paid_payee
        to_fund = min(levy, pool)
        to_adjudicator = min(fee, pool - to_fund) if ruled else 0
        rest = pool - to_fund - to_adjudicator
        fund += to_fund
        adjudicator += to_adjudicator
        payer += rest - rest // 2
        payee += rest // 2
    else:
        won, lost = (paid_payee, paid_payer) if final == RELEASE else (paid_payer, paid_payee)
        to_fund = min(levy, lost)
        to_fee = lost - to_fund
        fund += to_fund
        winner_gets = won + (0 if adjudicator_ruling == final else to_fee)
        if adjudicator_ruling == final:
            adjudicator += to_fee
        if final == RELEASE:
            payee += winner_gets
        else:
            payer += winner_gets
    out = Payouts(payer, payee, adjudicator, fund)
    assert out.total() == amount + paid_payer + paid_payee + bond, (out, amount)
    return out


def audit_seed(
    salt_payer: bytes, salt_payee: bytes, clause: str, agreement: int, beacon: bytes = b""
) -> bytes:
    """The audit draw's 32 bytes: ``BLAKE2b-256(salt_payer ‖ salt_payee ‖ clause ‖ id ‖
    beacon)`` (lengths prefixed, so no two inputs share an encoding), personalised
    ``accord.audit``; ``beacon`` is the device's beacon of the block after the ruling's."""
    parts = (salt_payer, salt_payee, clause.encode(), str(agreement).encode(), beacon)
    data = b"".join(len(p).to_bytes(4, "big") + p for p in parts)
    return hashlib.blake2b(data, digest_size=32, person=AUDIT_PERSON).digest()


def audited(seed: bytes, audit_bps: int) -> bool:
    """Whether the draw ``seed`` audits at rate ``audit_bps``: its first 8 bytes ``x``
    (big-endian) satisfy ``x · 10,000 < audit_bps · 2^64``; exact, so the rate is
    ``audit_bps / 10,000`` up to ``2^-64``."""
    if type(audit_bps) is not int or not 0 <= audit_bps <= BPS:
        raise ValueError(f"audit_bps must be an int in [0, {BPS}], got {audit_bps!r}")
    x = int.from_bytes(seed[:8], "big")
    return x * BPS < audit_bps * (1 << 64)
