"""ArbitrationClause: escrowed agreements whose disputes go to a bonded adjudicator, then a court.

One deployment is one **arbitration service**: its asset, its court (an ERC-792 style
arbitrator, :class:`accord.contracts.court.Court`), the adjudicator's fee, the audit
levy, the bond an adjudicator must post to rule, the audit rate and the windows (blocks).
It holds many agreements; every amount it holds is its own balance of ``asset``, and
``held`` says what is owed to whom (:meth:`ArbitrationClause.accounting`). The storage,
the shared checks and the views are :class:`accord.contracts.arbitration_books.
ClauseBooks`; the records :mod:`accord.contracts.arbitration_terms`. The money math is
:mod:`accord.mechanisms.arbitration`; ``docs/arbitration.md`` has the rules and who can
cheat at what cost.

An agreement's phases, each bounded by a window so that **every path ends with the escrow
released, refunded or split** (``docs/arbitration.md`` has the table):
``offered`` (:meth:`~ArbitrationClause.open`, :meth:`~ArbitrationClause.accept`,
:meth:`~ArbitrationClause.cancel`) -> ``active`` (:meth:`~ArbitrationClause.pay`,
:meth:`~ArbitrationClause.waive`, :meth:`~ArbitrationClause.close`,
:meth:`~ArbitrationClause.dispute`) -> ``answer`` (:meth:`~ArbitrationClause.answer`,
:meth:`~ArbitrationClause.default`) -> ``adjudication``
(:meth:`~ArbitrationClause.adjudicate` with the bond, :meth:`~ArbitrationClause.escalate`)
-> ``review`` (:meth:`~ArbitrationClause.appeal`, :meth:`~ArbitrationClause.reveal`,
:meth:`~ArbitrationClause.finalize` with the audit draw) -> ``court`` (the court's
:meth:`~ArbitrationClause.rule`, :meth:`~ArbitrationClause.expire`).

The clause calls out only to the named court (``arbitration_cost``,
``create_dispute``); the agreement's phase is written before each, so a court that
re-enters finds the agreement already in ``court`` with no dispute bound to it yet.
No method loops: every call does a fixed amount of work.
"""

from __future__ import annotations

from accord.contracts.arbitration_books import ClauseBooks
from accord.contracts.arbitration_terms import (
    ACTIVE,
    ADJUDICATION,
    ANSWER,
    APPEAL,
    AUDIT,
    COURT,
    ESCALATION,
    NEW_CASE,
    OFFERED,
    REFUNDED,
    RELEASED,
    REVIEW,
    SPLIT,
    Case,
    Terms,
    window,
)
from accord.contracts.args import address, base_units
from accord.contracts.commit_reveal import require
from accord.device import BEACON_WINDOW, Context, Revert, public
from accord.mechanisms import arbitration as A
from accord.mechanisms import commit_reveal as CR
from accord.mechanisms.beacon import beacon_block
from accord.mechanisms.slashing import check_bps


class ArbitrationClause(ClauseBooks):
    """An arbitration service: agreements ``id -> (Terms, Case)``."""

    def setup(
        self,
        ctx: Context,
        asset: str,
        court: str,
        fee: int,
        levy: int,
        bond: int,
        audit_bps: int,
        accept_blocks: int,
        answer_blocks: int,
        ruling_blocks: int,
        appeal_blocks: int,
        court_blocks: int,
    ) -> None:
        """The service's rules, fixed for every agreement: amounts in base units of
        ``asset`` (the court's fee asset too), the audit rate in basis points, windows
        in blocks. ``court_blocks`` must cover the court's whole procedure."""
        self.asset = address("asset", asset)
        self.court = address("court", court)
        if court == ctx.this:
            raise Revert("court must be another contract, not the clause itself")
        self.fee = base_units("fee", fee)
        self.levy = base_units("levy", levy)
        self.bond = base_units("bond", bond, positive=True)
        self.audit_bps = require(check_bps, audit_bps, "audit_bps")
        self.accept_blocks = window(accept_blocks, "accept_blocks")
        self.answer_blocks = window(answer_blocks, "answer_blocks")
        self.ruling_blocks = window(ruling_blocks, "ruling_blocks")
        self.appeal_blocks = window(appeal_blocks, "appeal_blocks")
        self.court_blocks = window(court_blocks, "court_blocks")

    def _end(self, ctx: Context, agreement: int, terms: Terms, case: Case, final: int) -> None:
        """Settle by ``final`` (:func:`accord.mechanisms.arbitration.settle`) and pay out."""
        out = A.settle(
            terms.amount,
            self.fee,
            self.levy,
            final,
            case.ruling,
            case.bond,
            case.paid_payer,
            case.paid_payee,
        )
        phase = RELEASED if final == A.RELEASE else REFUNDED if final == A.REFUND else SPLIT
        self._store(agreement, case._replace(phase=phase, final=final))
        self._pay(ctx, terms.payer, out.payer)
        self._pay(ctx, terms.payee, out.payee)
        self._pay(ctx, terms.adjudicator, out.adjudicator)
        self.fund = self.fund + out.fund  # still held: it moves into the audit fund
        overturned = case.ruling != A.REFUSED and final not in (A.REFUSED, case.ruling)
        ctx.emit(
            "Ended",
            agreement=agreement,
            phase=phase,
            ruling=final,
            overturned=overturned,
            payer=out.payer,
            payee=out.payee,
            adjudicator=out.adjudicator,
            fund=out.fund,
        )

    def _end_plain(
        self, ctx: Context, agreement: int, terms: Terms, case: Case, release: bool
    ) -> None:
        """End an undisputed agreement: the escrow to the payee or back to the payer."""
        final = A.RELEASE if release else A.REFUND
        self._end(ctx, agreement, terms, case, final)

    def _to_court(self, ctx: Context, agreement: int, case: Case, route: str, cost: int) -> None:
        """Hand the case to the court, paying ``cost`` that the caller has taken (from
        the appellant or the fund) and counted in ``held``."""
        until = ctx.block_number + self.court_blocks
        case = case._replace(phase=COURT, route=route, until=until, cost=cost)
        self._store(agreement, case)  # before the call: a re-entrant court finds no dispute
        self.held = self.held - cost
        dispute = ctx.call(self.court, "create_dispute", A.CHOICES, value={self.asset: cost})
        if type(dispute) is not int or self.by_dispute[dispute] is not None:
            raise Revert(f"court returned an unusable dispute id {dispute!r}")
        self.by_dispute[dispute] = agreement
        case = case._replace(dispute=dispute)
        self._store(agreement, case)
        ctx.emit("ToCourt", agreement=agreement, route=route, dispute=dispute, cost=cost)

    def _court_cost(self, ctx: Context) -> int:
        cost = ctx.call(self.court, "arbitration_cost")
        if type(cost) is not int or cost < 0:
            raise Revert(f"court quoted an unusable arbitration cost {cost!r}")
        return cost

    # -- agreements --------------------------------------------------------------------
    @public
    def open(self, ctx: Context, payee: str, adjudicator: str, term_blocks: int) -> int:
        """The payer (the caller) escrows the value it sends for ``payee``, naming
        ``adjudicator``; disputes may be raised for ``term_blocks`` blocks after
        acceptance. Returns the agreement id."""
        payer = ctx.sender
        address("payee", payee)
        address("adjudicator", adjudicator)
        if payee == payer:
            raise Revert("payee must differ from the payer")
        if adjudicator in (payer, payee, ctx.this, self.court):
            raise Revert("adjudicator must be a third party: not a party, the clause or the court")
        term = window(term_blocks, "term_blocks")
        amount = dict(ctx.value).get(self.asset, 0)
        if amount <= 0:
            raise Revert(f"open must send a positive amount of {self.asset}")
        self._paid(ctx, amount, "open")
        agreement = self.next_id
        self.next_id = agreement + 1
        self.terms[agreement] = (payer, payee, adjudicator, amount, term)
        self._store(agreement, NEW_CASE._replace(until=ctx.block_number + self.accept_blocks))
        self.held = self.held + amount
        ctx.emit("Opened", agreement=agreement, payer=payer, payee=payee, amount=amount)
        return agreement

    @public
    def accept(self, ctx: Context, agreement: int) -> None:
        """The payee accepts the terms; the term starts now."""
        agreement, terms, case = self._in(agreement, OFFERED)
        if ctx.sender != terms.payee:
            raise Revert(f"only the payee {terms.payee} may accept agreement {agreement}")
        self._openwindow(ctx, case, agreement)
        deadline = ctx.block_number + terms.deadline
        self.terms[agreement] = tuple(terms._replace(deadline=deadline))
        self._store(agreement, case._replace(phase=ACTIVE, until=deadline))
        ctx.emit("Accepted", agreement=agreement, deadline=deadline)

    @public
    def cancel(self, ctx: Context, agreement: int) -> None:
        """Refund an offer nobody accepted: the payer at any time, anyone after the
        acceptance window."""
        agreement, terms, case = self._in(agreement, OFFERED)
        if ctx.sender != terms.payer:
            self._closedwindow(ctx, case, agreement)
        self._end_plain(ctx, agreement, terms, case, False)

    @public
    def pay(self, ctx: Context, agreement: int) -> None:
        """The payer releases the escrow to the payee (no dispute)."""
        agreement, terms, case = self._in(agreement, ACTIVE)
        if ctx.sender != terms.payer:
            raise Revert(f"only the payer {terms.payer} may pay agreement {agreement}")
        self._end_plain(ctx, agreement, terms, case, True)

    @public
    def waive(self, ctx: Context, agreement: int) -> None:
        """The payee gives the escrow back (no dispute)."""
        agreement, terms, case = self._in(agreement, ACTIVE)
        if ctx.sender != terms.payee:
            raise Revert(f"only the payee {terms.payee} may waive agreement {agreement}")
        self._end_plain(ctx, agreement, terms, case, False)

    @public
    def close(self, ctx: Context, agreement: int) -> None:
        """Anyone, after the deadline with no dispute: release to the payee."""
        agreement, terms, case = self._in(agreement, ACTIVE)
        self._closedwindow(ctx, case, agreement)
        self._end_plain(ctx, agreement, terms, case, True)

    # -- disputes ----------------------------------------------------------------------
    def _deposit(self, ctx: Context, what: str) -> int:
        deposit = self.fee + self.levy
        self._paid(ctx, deposit, what)
        self.held = self.held + deposit
        return deposit

    @public
    def dispute(self, ctx: Context, agreement: int, commitment: bytes) -> None:
        """A party disputes before the deadline, depositing ``fee + levy`` and
        ``commitment_hash(agreement, salt, sender)`` for the audit draw."""
        agreement, terms, case = self._in(agreement, ACTIVE)
        side = self._side(ctx, terms, agreement)
        self._openwindow(ctx, case, agreement)
        require(CR.check_commitment, commitment)
        deposit = self._deposit(ctx, "dispute")
        case = case._replace(
            phase=ANSWER, until=ctx.block_number + self.answer_blocks, disputer=side
        )
        if side == A.PAYER:
            case = case._replace(paid_payer=deposit, commit_payer=commitment)
        else:
            case = case._replace(paid_payee=deposit, commit_payee=commitment)
        self._store(agreement, case)
        ctx.emit("Disputed", agreement=agreement, by=side)

    @public
    def answer(self, ctx: Context, agreement: int, commitment: bytes) -> None:
        """The other party joins the dispute with the same deposit and its own commitment."""
        agreement, terms, case = self._in(agreement, ANSWER)
        side = self._side(ctx, terms, agreement)
        if side == case.disputer:
            raise Revert(f"the {side} raised the dispute; only the other party answers")
        self._openwindow(ctx, case, agreement)
        require(CR.check_commitment, commitment)
        deposit = self._deposit(ctx, "answer")
        case = case._replace(phase=ADJUDICATION, until=ctx.block_number + self.ruling_blocks)
        if side == A.PAYER:
            case = case._replace(paid_payer=deposit, commit_payer=commitment)
        else:
            case = case._replace(paid_payee=deposit, commit_payee=commitment)
        self._store(agreement, case)
        ctx.emit("Answered", agreement=agreement, by=side)

    @public
    def default(self, ctx: Context, agreement: int) -> None:
        """Anyone, after an unanswered answer window: the disputer wins."""
        agreement, terms, case = self._in(agreement, ANSWER)
        self._closedwindow(ctx, case, agreement)
        self._end(ctx, agreement, terms, case, A.ruling_for(case.disputer))

    @public
    def adjudicate(self, ctx: Context, agreement: int, ruling: int) -> None:
        """The named adjudicator rules (1 release, 2 refund), posting ``bond`` with it."""
        agreement, terms, case = self._in(agreement, ADJUDICATION)
        if ctx.sender != terms.adjudicator:
            raise Revert(f"only the adjudicator {terms.adjudicator} may rule on {agreement}")
        self._openwindow(ctx, case, agreement)
        require(A.check_ruling, ruling, False)
        self._paid(ctx, self.bond, "adjudicate (the bond)")
        self.held = self.held + self.bond
        case = case._replace(
            phase=REVIEW, until=ctx.block_number + self.appeal_blocks, ruling=ruling, bond=self.bond
        )
        self._store(agreement, case)
        ctx.emit("Adjudicated", agreement=agreement, ruling=ruling)

    @public
    def escalate(self, ctx: Context, agreement: int) -> None:
        """Anyone, after the adjudicator let its window pass: the court decides, paid
        from the audit fund; if the fund cannot pay, the escrow is split."""
        agreement, terms, case = self._in(agreement, ADJUDICATION)
        self._closedwindow(ctx, case, agreement)
        cost = self._fund_pays(ctx, agreement)
        if cost is None:
            self._end(ctx, agreement, terms, case, A.REFUSED)
            return
        self._to_court(ctx, agreement, case, ESCALATION, cost)

    def _fund_pays(self, ctx: Context, agreement: int) -> int | None:
        """Take the court's cost from the audit fund, or ``None`` if it is short."""
        cost = self._court_cost(ctx)
        if cost > self.fund:
            ctx.emit("FundShort", agreement=agreement, cost=cost, fund=self.fund)
            return None
        self.fund = self.fund - cost
        return cost

    @public
    def appeal(self, ctx: Context, agreement: int) -> None:
        """The loser of the adjudicator's ruling appeals to the court within the review
        window, sending exactly the court's arbitration cost."""
        agreement, terms, case = self._in(agreement, REVIEW)
        side = self._side(ctx, terms, agreement)
        if side == A.side_of(case.ruling):
            raise Revert(f"the {side} won the adjudicator's ruling; only the loser appeals")
        self._openwindow(ctx, case, agreement)
        cost = self._court_cost(ctx)
        self._paid(ctx, cost, "appeal (the court's arbitration cost)")
        self.held = self.held + cost
        self._to_court(ctx, agreement, case, APPEAL, cost)

    @public
    def reveal(self, ctx: Context, agreement: int, salt: bytes) -> None:
        """A party opens its commitment during the review window."""
        agreement, terms, case = self._in(agreement, REVIEW)
        side = self._side(ctx, terms, agreement)
        self._openwindow(ctx, case, agreement)
        commitment = case.commit_payer if side == A.PAYER else case.commit_payee
        if not require(CR.opens, commitment, agreement, salt, ctx.sender):
            raise Revert(f"salt does not open the {side}'s commitment")
        payer = side == A.PAYER
        case = case._replace(salt_payer=salt) if payer else case._replace(salt_payee=salt)
        self._store(agreement, case)
        ctx.emit("Revealed", agreement=agreement, by=side)

    @public
    def finalize(self, ctx: Context, agreement: int) -> bool:
        """Anyone, after the review window with no appeal: draw the audit (module
        docstring); the ruling stands unless audited. Returns whether it was audited.

        A ruling's winner that did not reveal forfeits its deposit to the audit fund
        and is audited (withholding cannot dodge an audit); a loser that did not reveal
        forgoes its audit (only it could want one)."""
        agreement, terms, case = self._in(agreement, REVIEW)
        self._closedwindow(ctx, case, agreement)
        rate = self.audit_bps
        audit = rate == A.BPS
        if 0 < rate < A.BPS:
            winner = A.side_of(case.ruling)
            won_salt = case.salt_payee if winner == A.PAYEE else case.salt_payer
            lost_salt = case.salt_payer if winner == A.PAYEE else case.salt_payee
            if not won_salt:
                forfeit = case.paid_payee if winner == A.PAYEE else case.paid_payer
                self.fund = self.fund + forfeit
                if winner == A.PAYEE:
                    case = case._replace(paid_payee=0)
                else:
                    case = case._replace(paid_payer=0)
                self._store(agreement, case)
                ctx.emit("Forfeited", agreement=agreement, by=winner, amount=forfeit)
                audit = True
            elif lost_salt:
                # The beacon of the block after the ruling's (adjudicate set ``until`` to
                # its block + appeal_blocks): unknown when the adjudicator ruled.
                target = case.until - self.appeal_blocks + 1
                block = beacon_block(target, ctx.block_number, BEACON_WINDOW)
                beacon = ctx.beacon(block)
                seed = A.audit_seed(case.salt_payer, case.salt_payee, ctx.this, agreement, beacon)
                audit = A.audited(seed, rate)
        if audit:
            cost = self._fund_pays(ctx, agreement)
            if cost is not None:
                self._to_court(ctx, agreement, case, AUDIT, cost)
                return True
        self._end(ctx, agreement, terms, case, case.ruling)
        return False

    @public
    def rule(self, ctx: Context, dispute: int, ruling: int) -> None:
        """The court only, once per dispute: its final ruling (0 refused, 1 release,
        2 refund), carrying back (as the call's value, at most what it was paid) the fee
        of a case it could not hear. A ruling that arrives after :meth:`expire` is
        recorded and changes nothing but that fee's return, so the court's own execution
        never fails on it."""
        if ctx.sender != self.court:
            raise Revert(f"only the court {self.court} may rule")
        if type(dispute) is not int:
            raise Revert(f"dispute id must be an int, got {dispute!r}")
        agreement = self.by_dispute[dispute]
        if agreement is None:
            raise Revert(f"dispute {dispute} is not one of this clause's")
        if self.ruled[dispute]:
            raise Revert(f"dispute {dispute} has already been ruled")
        require(A.check_ruling, ruling)
        self.ruled[dispute] = True
        terms, case = self._load(agreement)
        back = dict(ctx.value)
        returned = back.pop(self.asset, 0)
        if back or returned > case.cost:
            raise Revert(f"the court may return at most its fee {case.cost} {self.asset}")
        self._court_refund(ctx, agreement, terms, case, returned)
        if case.phase != COURT or case.dispute != dispute:
            ctx.emit("LateRuling", agreement=agreement, dispute=dispute, ruling=ruling)
            return
        self._end(ctx, agreement, terms, case, ruling)

    def _court_refund(
        self, ctx: Context, agreement: int, terms: Terms, case: Case, back: int
    ) -> None:
        """The fee a court that could not hear the case returns with its ruling (the
        court's "round without jurors") goes back to whoever paid it: the appellant or
        the audit fund. Only what arrives with this dispute's ruling counts: a transfer
        outside a ruling cannot be told apart from a gift, and attributing it to the
        next ruling would pay one appellant another's fee."""
        if back <= 0:
            return
        ctx.emit("CourtRefund", agreement=agreement, amount=back)
        if case.route != APPEAL:
            self.held = self.held + back
            self.fund = self.fund + back
            return
        ctx.transfer(self.asset, terms.payee if case.ruling == A.REFUND else terms.payer, back)

    @public
    def expire(self, ctx: Context, agreement: int) -> None:
        """Anyone, once the court has let ``court_blocks`` pass without ruling: the
        adjudicator's ruling stands (a split if it never ruled)."""
        agreement, terms, case = self._in(agreement, COURT)
        self._closedwindow(ctx, case, agreement)
        ctx.emit("CourtExpired", agreement=agreement, dispute=case.dispute)
        self._end(ctx, agreement, terms, case, case.ruling)

    # -- the audit fund ------------------------------------------------------------------
    @public
    def fund_audits(self, ctx: Context) -> int:
        """Anyone adds the value it sends to the audit fund; returns the fund."""
        amount = dict(ctx.value).get(self.asset, 0)
        if amount <= 0:
            raise Revert(f"fund_audits must send a positive amount of {self.asset}")
        self._paid(ctx, amount, "fund_audits")
        self.held = self.held + amount
        self.fund = self.fund + amount
        return self.fund
