"""An arbitration clause's storage, the checks every phase shares, and its views.

:class:`ClauseBooks` is the bookkeeping half of
:class:`accord.contracts.arbitration_clause.ArbitrationClause` (which subclasses it and
holds the phases): the service's rules, the agreements ``id -> (Terms, Case)``
(:mod:`accord.contracts.arbitration_terms`), what is owed (``held``, the audit ``fund``),
and the helpers that check a caller, a payment, a phase or a window.
"""

from __future__ import annotations

from typing import Any

from accord.contracts.arbitration_terms import Case, Terms
from accord.device import Context, Contract, Map, Revert, Var, public
from accord.mechanisms import arbitration as A


class ClauseBooks(Contract):
    """An arbitration service's storage and shared checks (not deployed alone)."""

    """An arbitration service: agreements ``id -> (Terms, Case)``."""

    asset: Var[str] = Var("")
    court: Var[str] = Var("")
    fee: Var[int] = Var(0)
    levy: Var[int] = Var(0)
    bond: Var[int] = Var(0)
    audit_bps: Var[int] = Var(0)
    accept_blocks: Var[int] = Var(0)
    answer_blocks: Var[int] = Var(0)
    ruling_blocks: Var[int] = Var(0)
    appeal_blocks: Var[int] = Var(0)
    court_blocks: Var[int] = Var(0)
    fund: Var[int] = Var(0)
    """The audit fund: levies and gifts; pays the court for audits and escalations."""
    held: Var[int] = Var(0)
    """Everything owed: escrows, deposits, bonds and the fund (equals the balance)."""
    next_id: Var[int] = Var(0)

    terms: Map[tuple[Any, ...] | None] = Map(None)
    cases: Map[tuple[Any, ...] | None] = Map(None)
    by_dispute: Map[int | None] = Map(None)
    """The court's dispute id -> agreement id."""
    ruled: Map[bool] = Map(False)
    """The court's dispute ids whose ruling has been received."""

    # -- helpers -----------------------------------------------------------------------
    def _paid(self, ctx: Context, expected: int, what: str) -> None:
        """The call must carry exactly ``expected`` of the asset and nothing else."""
        want = {self.asset: expected} if expected else {}
        got = dict(ctx.value)
        if got != want:
            raise Revert(f"{what} must send exactly {want or 'no value'}, sent {got or 'none'}")

    def _load(self, agreement: object) -> tuple[Terms, Case]:
        if type(agreement) is not int:
            raise Revert(f"agreement id must be an int, got {agreement!r}")
        terms, case = self.terms[agreement], self.cases[agreement]
        if terms is None or case is None:
            raise Revert(f"no agreement {agreement}")
        return Terms._make(terms), Case._make(case)

    def _in(self, agreement: object, *phases: str) -> tuple[int, Terms, Case]:
        terms, case = self._load(agreement)
        if case.phase not in phases:
            raise Revert(f"agreement {agreement} is {case.phase}, not {' or '.join(phases)}")
        assert type(agreement) is int
        return agreement, terms, case

    def _side(self, ctx: Context, terms: Terms, agreement: int) -> str:
        if ctx.sender == terms.payer:
            return A.PAYER
        if ctx.sender == terms.payee:
            return A.PAYEE
        raise Revert(f"only the payer or the payee of agreement {agreement} may do this")

    def _store(self, agreement: int, case: Case) -> None:
        self.cases[agreement] = tuple(case)

    def _openwindow(self, ctx: Context, case: Case, agreement: int) -> None:
        if ctx.block_number > case.until:
            raise Revert(
                f"agreement {agreement}'s {case.phase} window closed at block {case.until}"
            )

    def _closedwindow(self, ctx: Context, case: Case, agreement: int) -> None:
        if ctx.block_number <= case.until:
            raise Revert(
                f"agreement {agreement}'s {case.phase} window is open until block {case.until}"
            )

    def _pay(self, ctx: Context, to: str, amount: int) -> None:
        if amount:
            ctx.transfer(self.asset, to, amount)
            self.held = self.held - amount

    # -- views -----------------------------------------------------------------------------
    @public
    def agreement(self, ctx: Context, agreement: int) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """``(Terms, Case)`` of an agreement as plain tuples (the field names are
        :class:`Terms` and :class:`Case`)."""
        terms, case = self._load(agreement)
        return tuple(terms), tuple(case)

    @public
    def phase(self, ctx: Context, agreement: int) -> str:
        """The agreement's phase (final: ``released``, ``refunded`` or ``split``)."""
        return self._load(agreement)[1].phase

    @public
    def deposit(self, ctx: Context) -> int:
        """What disputing or answering deposits: ``fee + levy``."""
        return self.fee + self.levy

    @public
    def accounting(self, ctx: Context) -> tuple[int, int, int]:
        """``(held, balance, fund)``: what the clause owes, what it holds, and the audit
        fund (part of ``held``). ``balance >= held`` always; equal unless someone sent
        the clause funds outside its methods."""
        return self.held, ctx.balance(ctx.this, self.asset), self.fund
