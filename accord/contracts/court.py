"""Court: staked jurors drawn by stake, commit-reveal votes, crowdfunded appeals.

The math is :mod:`accord.mechanisms.court` (after Kleros v2); the staking half is
:class:`accord.contracts.court_jurors.JurorPool`, the books and their settlement
:class:`accord.contracts.court_books.CourtBooks`; the prose, with who can cheat at what
cost, is ``docs/arbitration.md`` ("Court").

**The arbitrator interface** (ERC-792's ``IArbitrator``, in this device's terms). An
*arbitrable* is a contract; it talks to the court with ``ctx.call``:

* ``arbitration_cost() -> int``: view, in the court's ``fee_asset``:
  ``fee_per_juror * 3``.
* ``create_dispute(choices) -> dispute_id``: called by the arbitrable contract (the
  caller *is* the arbitrable; an account may not call it) with ``value={fee_asset:
  arbitration_cost()}`` exactly; ``1 <= choices <= MAX_CHOICES``. Ids count from 0.
* ``appeal_cost(dispute_id) -> int``: the next round's fees, ``fee_per_juror * (2n +
  1)`` (reverts when the juror cap forbids another round).
* ``fund_appeal(dispute_id, choice) -> int``: anyone, with ``value={fee_asset: x}``;
  returns what was taken (the surplus is refunded in the same call).
* ``appeal_period(dispute_id) -> (start, end)``: blocks ``[start, end)`` while the dispute
  is in its appeal period, ``(0, 0)`` otherwise.
* ``current_ruling(dispute_id) -> int``: 0 = refused to arbitrate (also: not yet voted),
  ``1 .. choices`` otherwise; final once the dispute is in ``execution``.
* ``pass_period(dispute_id)``: anyone, once the period's deadline is reached (or earlier
  when everyone has acted); the move into ``execution`` settles every juror and funder.
* ``execute(dispute_id) -> int``: anyone, in ``execution``, once: calls
  ``ctx.call(arbitrable, "rule", dispute_id, ruling)`` (with ``value`` the fee of a
  dispute it could not hear, below) and returns the ruling. The
  arbitrable's ``rule(dispute_id, ruling)`` must check that its caller is the court.

**Periods** (block deadlines, ``durations`` = blocks of each; KlerosCore's ``Period``):
``evidence`` (``submit_evidence`` logs a string) -> draw -> ``commit`` (or until every
drawn juror has committed) -> ``vote`` (or until every committer has revealed) ->
``appeal`` (ends early once a loser can no longer fund and none has) -> ``execution``.
A funded appeal sends the dispute back to ``evidence`` with a new round of ``2n + 1``
jurors.

**Votes** are commit-reveal (:mod:`accord.mechanisms.commit_reveal`): a drawn juror
commits ``commitment_hash((dispute_id, round, choice), salt, juror)`` and reveals
``(choice, salt)`` in the vote period. One vote per juror per round, weighted by its draws.

**Bounds.** ``choices <= MAX_CHOICES`` (8); jurors per round ``<= max_jurors`` (at most
``MAX_JURORS`` = 63, so at most 3 + 7 + 15 + 31 + 63 = 119 draws over 5 rounds); at most
``MAX_CONTRIBUTIONS`` (8) contributions fill a choice in a round (each must bring at least
``ceil(required / 8)``); so the settlement visits at most 119 juror entries and 5 x 9 x 8
contributions, each charged before its work (``court_books``' ``SETTLE_GAS``,
``REPAY_GAS``).

**A round without jurors.** If no staked juror can back a draw when a round is drawn,
the round is not heard: in the first round the dispute ends ruling 0 and the arbitrable
gets its fee back, as the value of the ``rule`` call (so it knows which dispute's fee it
is); in an appeal round the appeal is undone (every contribution of the
appealed round is refunded in full) and the appealed round's ruling stands. A round that
draws fewer jurors than planned goes on with those it drew.
"""

from __future__ import annotations

from accord.contracts.args import address, base_units
from accord.contracts.court_books import CourtBooks
from accord.device import BEACON_WINDOW, Context, Revert, public
from accord.mechanisms import commit_reveal as CR
from accord.mechanisms.beacon import beacon_block
from accord.mechanisms.court import appeals as A
from accord.mechanisms.court import coherence as C
from accord.mechanisms.court import rounds as R
from accord.mechanisms.court import sortition as S

MAX_CHOICES = 8
MAX_JURORS = 63
MAX_CONTRIBUTIONS = 8
MAX_EVIDENCE_CHARS = 1_000

PERIODS = ("evidence", "commit", "vote", "appeal", "execution")
EVIDENCE, COMMIT, VOTE, APPEAL, EXECUTION = range(5)


def _int_in(value: object, name: str, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise Revert(f"{name} must be an int in [{low}, {high}], got {value!r}")
    return value


class Court(CourtBooks):
    """A Kleros-style court for ERC-792-style arbitrables (module docstring)."""

    def setup(
        self,
        ctx: Context,
        token: str,
        fee_asset: str,
        fee_per_juror: int,
        min_stake: int,
        alpha_bps: int,
        durations: tuple[int, ...],
        treasury: str,
        seed: bytes = b"",
        max_jurors: int = 31,
        capacity: int = 1024,
    ) -> None:
        """Jurors stake ``token``; fees are paid in ``fee_asset``, ``fee_per_juror`` per
        juror; each draw locks ``min_stake * alpha_bps // 10_000`` (at least 1);
        ``durations`` = blocks of (evidence, commit, vote, appeal), appeal at least 2;
        dust and unearned rewards go to ``treasury`` (not the court itself); ``seed``
        (at most 64 bytes) keys the draws; at most ``max_jurors`` per round and
        ``capacity`` jurors staked."""
        for name, value in (("token", token), ("fee_asset", fee_asset)):
            address(name, value)
            if not ctx.asset_exists(value):
                raise Revert(f"{name} {value!r} is not an asset on this device")
        self.token, self.fee_asset = token, fee_asset
        self.fee_per_juror = base_units("fee_per_juror", fee_per_juror, positive=True)
        self.min_stake = base_units("min_stake", min_stake, positive=True)
        self.alpha_bps = _int_in(alpha_bps, "alpha_bps", 1, R.BPS)
        self.at_stake = C.at_stake(min_stake, alpha_bps)
        if self.at_stake < 1:
            raise Revert(f"min_stake * alpha_bps // {R.BPS} must be at least 1")
        if type(durations) is not tuple or len(durations) != 4:
            raise Revert(f"durations must be (evidence, commit, vote, appeal), got {durations!r}")
        for period, blocks, low in zip(PERIODS, durations, (1, 1, 1, 2), strict=False):
            _int_in(blocks, f"{period} blocks", low, 10**9)
        self.durations = durations
        self.treasury = address("treasury", treasury)
        if treasury == ctx.this:
            raise Revert("treasury must not be the court itself (its dust would stay in it)")
        if type(seed) is not bytes or len(seed) > 64:
            raise Revert(f"seed must be at most 64 bytes, got {seed!r:.80}")
        self.seed = seed
        self.max_jurors = _int_in(max_jurors, "max_jurors", R.FIRST_ROUND_JURORS, MAX_JURORS)
        try:
            self.capacity = S.check_capacity(capacity)
        except ValueError as exc:
            raise Revert(str(exc)) from None
        if capacity > 1 << 16:
            raise Revert(f"capacity must be at most {1 << 16}, got {capacity}")

    # -- the arbitrator interface ------------------------------------------------------
    @public
    def arbitration_cost(self, ctx: Context) -> int:
        """``fee_per_juror * 3``, in ``fee_asset``."""
        return R.arbitration_cost(self.fee_per_juror)

    @public
    def create_dispute(self, ctx: Context, choices: int) -> int:
        """Open a dispute with ``choices`` rulings for the calling arbitrable contract,
        paid with exactly ``arbitration_cost()`` of ``fee_asset``; returns its id."""
        who = ctx.sender
        if not who.startswith("0x"):
            raise Revert(f"create_dispute must be called by the arbitrable contract, not {who}")
        _int_in(choices, "choices", 1, MAX_CHOICES)
        cost = R.arbitration_cost(self.fee_per_juror)
        self._exact_value(ctx, cost, "arbitration_cost()")
        d = self.dispute_count
        self.dispute_count = d + 1
        self.arbitrable[d] = who
        self.choices[d] = choices
        self.period_start[d] = ctx.block_number
        self.round_count[d] = 1
        self.planned[(d, 0)] = R.FIRST_ROUND_JURORS
        self.fees[(d, 0)] = cost
        self.held = self.held + cost
        ctx.emit("DisputeCreation", dispute=d, arbitrable=who, choices=choices)
        return d

    @public
    def appeal_cost(self, ctx: Context, dispute_id: int) -> int:
        """The next round's fees, ``fee_per_juror * (2n + 1)``."""
        d = self._dispute(dispute_id)
        return self._next_cost(d, self.round_count[d] - 1)

    @public
    def appeal_period(self, ctx: Context, dispute_id: int) -> tuple[int, int]:
        """``(start, end)`` blocks of the appeal period, ``(0, 0)`` outside it."""
        d = self._dispute(dispute_id)
        if self.period[d] != APPEAL:
            return (0, 0)
        start = self.period_start[d]
        return (start, start + self.durations[APPEAL])

    @public
    def current_ruling(self, ctx: Context, dispute_id: int) -> int:
        """The ruling as it stands: final in ``execution``; before, the last round's
        (0 on a tie, or while its votes are not yet counted)."""
        d = self._dispute(dispute_id)
        final = self.final[d]
        if final is not None:
            return final[0]
        result = self.result[(d, self.round_count[d] - 1)]
        return 0 if result is None or result[1] else result[0]

    @public
    def submit_evidence(self, ctx: Context, dispute_id: int, evidence: str) -> None:
        """Log ``evidence`` (a string, e.g. a URI) for the jurors, before execution."""
        d = self._dispute(dispute_id)
        if self.period[d] == EXECUTION:
            raise Revert(f"dispute {d} is in execution: evidence is closed")
        if type(evidence) is not str or not 0 < len(evidence) <= MAX_EVIDENCE_CHARS:
            raise Revert(f"evidence must be a str of 1..{MAX_EVIDENCE_CHARS} characters")
        ctx.emit("Evidence", dispute=d, party=ctx.sender, evidence=evidence)

    # -- periods -----------------------------------------------------------------------
    @public
    def pass_period(self, ctx: Context, dispute_id: int) -> str:
        """Move the dispute to its next period once this one is over; returns its name."""
        d = self._dispute(dispute_id)
        p, start, now = self.period[d], self.period_start[d], ctx.block_number
        r = self.round_count[d] - 1
        due = start + self.durations[p] if p < EXECUTION else 0
        if p == EVIDENCE:
            self._not_before(due, now, "evidence")
            if not self._draw_round(ctx, d, r):
                return self._unheard(ctx, d, r)
        elif p == COMMIT:
            if self.committed[(d, r)] < self.members[(d, r)]:
                self._not_before(due, now, "commit")
        elif p == VOTE:
            if self.revealed[(d, r)] < self.committed[(d, r)]:
                self._not_before(due, now, "vote")
            self._tally(d, r)
        elif p == APPEAL:
            if not self._appeal_over(d, r, now):
                self._not_before(due, now, "appeal")
        else:
            raise Revert(f"dispute {d} is already in execution")
        return self._enter(ctx, d, p + 1)

    @public
    def execute(self, ctx: Context, dispute_id: int) -> int:
        """Give the arbitrable its ruling, once: ``arbitrable.rule(dispute_id, ruling)``."""
        d = self._dispute(dispute_id)
        final = self.final[d]
        if final is None:
            raise Revert(f"dispute {d} is in its {PERIODS[self.period[d]]} period, not execution")
        if self.ruled[d]:
            raise Revert(f"dispute {d}'s ruling has already been executed")
        self.ruled[d] = True  # before the call: a re-entrant execute finds it done
        ruling = final[0]
        back = self.returned[d]
        self.held = self.held - back
        ctx.emit("Ruling", dispute=d, arbitrable=self.arbitrable[d], ruling=ruling)
        value = {self.fee_asset: back} if back else None
        ctx.call(self.arbitrable[d], "rule", d, ruling, value=value)
        return ruling

    # -- jurors ------------------------------------------------------------------------
    @public
    def commit(self, ctx: Context, dispute_id: int, commitment: bytes) -> None:
        """A drawn juror's sealed vote: ``commitment_hash((dispute_id, round, choice),
        salt, juror)``."""
        d, who = self._in_period(dispute_id, COMMIT), ctx.sender
        r = self.round_count[d] - 1
        if self.draws[(d, r, who)] == 0:
            raise Revert(f"{who} was not drawn in round {r} of dispute {d}")
        if self.commitment[(d, r, who)]:
            raise Revert(f"{who} has already committed in round {r} of dispute {d}")
        try:
            CR.check_commitment(commitment)
        except ValueError as exc:
            raise Revert(str(exc)) from None
        self.commitment[(d, r, who)] = commitment
        self.committed[(d, r)] = self.committed[(d, r)] + 1
        ctx.emit("CommitCast", dispute=d, round=r, juror=who)

    @public
    def reveal(self, ctx: Context, dispute_id: int, choice: int, salt: bytes) -> None:
        """Open the caller's commitment: its vote, weighted by its draws, is counted."""
        d, who = self._in_period(dispute_id, VOTE), ctx.sender
        r = self.round_count[d] - 1
        sealed = self.commitment[(d, r, who)]
        if not sealed:
            raise Revert(f"{who} has no commitment in round {r} of dispute {d}")
        if self.vote[(d, r, who)] >= 0:
            raise Revert(f"{who} has already voted in round {r} of dispute {d}")
        _int_in(choice, "choice", 0, self.choices[d])
        try:
            ok = CR.opens(sealed, (d, r, choice), CR.check_salt(salt), who)
        except ValueError as exc:
            raise Revert(str(exc)) from None
        if not ok:
            raise Revert(f"choice and salt do not open {who}'s commitment")
        self.vote[(d, r, who)] = choice
        self.counts[(d, r, choice)] = self.counts[(d, r, choice)] + self.draws[(d, r, who)]
        self.revealed[(d, r)] = self.revealed[(d, r)] + 1
        ctx.emit("VoteCast", dispute=d, round=r, juror=who, choice=choice)

    # -- appeals -----------------------------------------------------------------------
    @public
    def fund_appeal(self, ctx: Context, dispute_id: int, choice: int) -> int:
        """Contribute ``value={fee_asset: x}`` to an appeal for ``choice``; returns the
        amount taken (the surplus is refunded). The second choice fully funded appeals."""
        d, now, who = self._in_period(dispute_id, APPEAL), ctx.block_number, ctx.sender
        r = self.round_count[d] - 1
        _int_in(choice, "choice", 0, self.choices[d])
        cost = self._next_cost(d, r)
        funded = self.funded[(d, r)]
        if choice in funded:
            raise Revert(f"choice {choice} is already fully funded")
        winner, tied = self.result[(d, r)] or (0, True)
        start = self.period_start[d]
        loser = not (tied or choice == winner)
        reason = A.may_fund(now, start, start + self.durations[APPEAL], loser)
        if reason:
            raise Revert(reason)
        offered = self._exact_value(ctx, None, "a contribution")
        need = A.required(cost, A.multiplier_bps(choice, winner, tied))
        key = (d, r, choice)
        have = self.paid[key]
        taken, refund = A.take(need, have, offered)
        least = A.min_contribution(need, have, MAX_CONTRIBUTIONS)
        if taken < least:
            raise Revert(f"a contribution to choice {choice} must bring at least {least}")
        slot = self.contributor_index[(*key, who)]
        if slot:
            _, before = self.contribution[(*key, slot - 1)] or (who, 0)
            self.contribution[(*key, slot - 1)] = (who, before + taken)
        else:
            i = self.contributions[key]
            self.contributions[key] = i + 1
            self.contribution[(*key, i)] = (who, taken)
            self.contributor_index[(*key, who)] = i + 1
        self.paid[key] = have + taken
        self.held = self.held + taken
        if refund:
            ctx.transfer(self.fee_asset, who, refund)
        ctx.emit("Contribution", dispute=d, round=r, choice=choice, contributor=who, amount=taken)
        if have + taken == need:
            funded = (*funded, choice)
            self.funded[(d, r)] = funded
            ctx.emit("ChoiceFunded", dispute=d, round=r, choice=choice)
            if len(funded) == 2:
                self._appeal(ctx, d, r, cost)
        return taken

    # -- views -------------------------------------------------------------------------
    @public
    def dispute(self, ctx: Context, dispute_id: int) -> tuple[str, int, str, int, int, bool]:
        """``(arbitrable, choices, period, period_start, rounds, ruled)``."""
        d = self._dispute(dispute_id)
        return (
            self.arbitrable[d],
            self.choices[d],
            PERIODS[self.period[d]],
            self.period_start[d],
            self.round_count[d],
            self.ruled[d],
        )

    @public
    def drawn(self, ctx: Context, dispute_id: int, round_index: int) -> tuple[tuple[str, int], ...]:
        """``((juror, draws), ...)`` of a round, in the order first drawn."""
        d = self._dispute(dispute_id)
        r = _int_in(round_index, "round_index", 0, self.round_count[d] - 1)
        jurors = (self.member[(d, r, i)] for i in range(self.members[(d, r)]))
        return tuple((j, self.draws[(d, r, j)]) for j in jurors)

    @public
    def duty(self, ctx: Context, dispute_id: int, juror: str) -> tuple[str, int, int, bool, bool]:
        """What ``juror`` owes the dispute now: ``(period, round, draws, committed,
        revealed)`` in the current round (``draws`` 0: not drawn)."""
        d = self._dispute(dispute_id)
        r = self.round_count[d] - 1
        key = (d, r, juror)
        return (
            PERIODS[self.period[d]],
            r,
            self.draws[key],
            bool(self.commitment[key]),
            self.vote[key] >= 0,
        )

    @public
    def funding(self, ctx: Context, dispute_id: int, choice: int) -> tuple[int, int, bool]:
        """``(paid, required, funded)`` for ``choice`` in the current appeal period."""
        d = self._in_period(dispute_id, APPEAL)
        r = self.round_count[d] - 1
        _int_in(choice, "choice", 0, self.choices[d])
        winner, tied = self.result[(d, r)] or (0, True)
        need = A.required(self._next_cost(d, r), A.multiplier_bps(choice, winner, tied))
        return self.paid[(d, r, choice)], need, choice in self.funded[(d, r)]

    # -- internals ---------------------------------------------------------------------
    def _dispute(self, dispute_id: object) -> int:
        if type(dispute_id) is not int or not 0 <= dispute_id < self.dispute_count:
            raise Revert(f"unknown dispute {dispute_id!r}")
        return dispute_id

    def _in_period(self, dispute_id: object, want: int) -> int:
        d = self._dispute(dispute_id)
        if self.period[d] != want:
            raise Revert(
                f"dispute {d} is in its {PERIODS[self.period[d]]} period, not {PERIODS[want]}"
            )
        return d

    def _exact_value(self, ctx: Context, amount: int | None, what: str) -> int:
        sent = dict(ctx.value)
        fee = self.fee_asset
        if set(sent) != {fee} or (amount is not None and sent[fee] != amount):
            want = f"exactly {amount} {fee}" if amount is not None else f"only {fee}"
            raise Revert(f"{what} must be paid with {want}, got {sent}")
        return sent[fee]

    def _next_cost(self, d: int, r: int) -> int:
        n = self.planned[(d, r)]
        if not R.appeal_possible(n, self.max_jurors):
            raise Revert(f"no appeal: a round of {2 * n + 1} jurors exceeds {self.max_jurors}")
        return R.appeal_cost(self.fee_per_juror, n)

    @staticmethod
    def _not_before(due: int, now: int, name: str) -> None:
        if now < due:
            raise Revert(f"the {name} period runs until block {due} (now block {now})")

    def _enter(self, ctx: Context, d: int, p: int) -> str:
        self.period[d] = p
        self.period_start[d] = ctx.block_number
        if p == EXECUTION:
            self._settle(ctx, d)
        ctx.emit("NewPeriod", dispute=d, period=PERIODS[p])
        return PERIODS[p]

    def _draw_round(self, ctx: Context, d: int, r: int) -> int:
        # The draw reads the beacon of the first block after the evidence period (fixed
        # when the period opened, unknown until its last block is sealed), not of the
        # block of the call: whoever passes the period cannot pick a block whose draw
        # suits it. Called too late for the window: accord.mechanisms.beacon's fallback.
        due = self.period_start[d] + self.durations[EVIDENCE]
        block = beacon_block(due, ctx.block_number, BEACON_WINDOW)
        seed = S.round_seed(self.seed, ctx.beacon(block), d, r, block)
        drawn = members = 0
        for i in range(self.planned[(d, r)]):
            juror = self._draw_one(ctx, seed, i)
            if not juror:
                break
            drawn += 1
            times = self.draws[(d, r, juror)]
            if times == 0:
                self.member[(d, r, members)] = juror
                members += 1
            self.draws[(d, r, juror)] = times + 1
            ctx.emit("Draw", dispute=d, round=r, juror=juror, index=i)
        self.members[(d, r)] = members
        return drawn

    def _unheard(self, ctx: Context, d: int, r: int) -> str:
        """No juror could be drawn for round ``r`` (module docstring)."""
        if r == 0:
            # the fee goes back with the ruling (execute), so the arbitrable can tell
            # whose fee it is; it stays in ``held`` until then
            self.returned[d] = self.fees[(d, 0)]
            self.fees[(d, 0)] = 0
            self.result[(d, 0)] = (0, True)
        else:
            self.round_count[d] = r
            self.fees[(d, r)] = 0
            self.funded[(d, r - 1)] = ()
            self.spent[(d, r - 1)] = 0
        ctx.emit("RoundUnheard", dispute=d, round=r)
        return self._enter(ctx, d, EXECUTION)

    def _tally(self, d: int, r: int) -> None:
        t = C.tally([self.counts[(d, r, c)] for c in range(self.choices[d] + 1)])
        self.result[(d, r)] = (t.winner, t.tied)

    def _appeal_over(self, d: int, r: int, now: int) -> bool:
        """Kleros' ``isAppealTimeFinished``: no appeal can come any more."""
        n = self.planned[(d, r)]
        if not R.appeal_possible(n, self.max_jurors):
            return True
        winner, tied = self.result[(d, r)] or (0, True)
        if tied:
            return False
        start = self.period_start[d]
        late = now >= A.loser_deadline(start, start + self.durations[APPEAL])
        return late and all(c == winner for c in self.funded[(d, r)])

    def _appeal(self, ctx: Context, d: int, r: int, cost: int) -> None:
        self.spent[(d, r)] = cost
        self.planned[(d, r + 1)] = R.next_round_jurors(self.planned[(d, r)])
        self.fees[(d, r + 1)] = cost
        self.round_count[d] = r + 2
        ctx.emit("AppealDecision", dispute=d, round=r + 1, jurors=self.planned[(d, r + 1)])
        self.period[d] = EVIDENCE
        self.period_start[d] = ctx.block_number
        ctx.emit("NewPeriod", dispute=d, period=PERIODS[EVIDENCE])
