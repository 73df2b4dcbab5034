"""The court's books (its storage) and their settlement: when a dispute enters
``execution``, every juror and every appeal funder of every round is paid, from
:mod:`accord.mechanisms.court`'s formulas.

* **The final ruling** (:mod:`accord.mechanisms.court.coherence`): the last round's
  plurality (0 on a tie), unless its appeal period ended with exactly one choice fully
  funded, which then wins.
* **Jurors, per round** (``coherence.settle_round``): an incoherent or unrevealed vote
  loses ``draws * at_stake`` of the juror's stake (released from its ledger lock to the
  court); coherent votes share the round's fees (``fee_asset``) and its penalties
  (``token``) equally per draw, paid to the jurors' free balances; the remainders, or
  everything when nobody is coherent, go to the treasury.
* **Funders, per round** (``appeals.settle``): refunds of unfunded choices, the winners'
  pro-rata share of the rewards, and the dust to the treasury.

Every loop is bounded by the court's caps (``accord.contracts.court``'s docstring) and
charged before it runs. After it, the court holds nothing more for the dispute: its
``held`` falls by exactly what the dispute brought in.
"""

from __future__ import annotations

from accord.contracts.court_jurors import JurorPool
from accord.device import Context, Map, Var
from accord.mechanisms.court import appeals as A
from accord.mechanisms.court import coherence as C

SETTLE_GAS = 2_000
"""Charged per juror entry of a round before the settlement visits it."""
REPAY_GAS = 2_000
"""Charged per contribution before the settlement repays it."""


def _pay(ctx: Context, asset: str, to: str, amount: int) -> None:
    if amount:
        ctx.transfer(asset, to, amount)


class CourtBooks(JurorPool):
    """The court's storage and its settlement (the court's interface is
    :class:`accord.contracts.court.Court`, which subclasses this)."""

    fee_asset: Var[str] = Var("")
    fee_per_juror: Var[int] = Var(0)
    alpha_bps: Var[int] = Var(0)
    durations: Var[tuple[int, ...]] = Var(())
    """Blocks of the evidence, commit, vote and appeal periods."""
    treasury: Var[str] = Var("")
    seed: Var[bytes] = Var(b"")
    max_jurors: Var[int] = Var(0)
    dispute_count: Var[int] = Var(0)
    held: Var[int] = Var(0)
    """Fee asset the court holds for open disputes (fees and appeal contributions)."""

    # per dispute
    arbitrable: Map[str] = Map("")
    choices: Map[int] = Map(0)
    period: Map[int] = Map(0)
    period_start: Map[int] = Map(0)
    round_count: Map[int] = Map(0)
    final: Map[tuple[int, bool] | None] = Map(None)
    ruled: Map[bool] = Map(False)
    returned: Map[int] = Map(0)
    """Fee the dispute's unheard first round returns to the arbitrable with the ruling."""
    # per (dispute, round)
    planned: Map[int] = Map(0)
    fees: Map[int] = Map(0)
    members: Map[int] = Map(0)
    member: Map[str] = Map("")
    """(d, r, i) -> the i-th distinct juror drawn."""
    draws: Map[int] = Map(0)
    """(d, r, juror) -> times drawn."""
    committed: Map[int] = Map(0)
    revealed: Map[int] = Map(0)
    commitment: Map[bytes] = Map(b"")
    vote: Map[int] = Map(-1)
    """(d, r, juror) -> revealed choice (-1: none)."""
    counts: Map[int] = Map(0)
    """(d, r, choice) -> votes (weighted by draws)."""
    result: Map[tuple[int, bool] | None] = Map(None)
    """(d, r) -> (winner, tied) once tallied."""
    paid: Map[int] = Map(0)
    funded: Map[tuple[int, ...]] = Map(())
    spent: Map[int] = Map(0)
    contributions: Map[int] = Map(0)
    """(d, r, choice) -> number of contributions."""
    contribution: Map[tuple[str, int] | None] = Map(None)
    """(d, r, choice, i) -> (contributor, amount)."""
    contributor_index: Map[int] = Map(0)
    """(d, r, choice, contributor) -> i + 1."""

    def _final_ruling(self, d: int) -> tuple[int, bool]:
        """``(ruling, tied)`` of dispute ``d`` as it ends."""
        last = self.round_count[d] - 1
        funded = self.funded[(d, last)]
        if len(funded) == 1:
            return funded[0], False
        winner, tied = self.result[(d, last)] or (0, True)
        return (0 if tied else winner), tied

    def _settle(self, ctx: Context, d: int) -> None:
        """Fix the final ruling and pay every round's jurors and funders."""
        ruling, tied = self._final_ruling(d)
        self.final[d] = (ruling, tied)
        for r in range(self.round_count[d]):
            self._settle_jurors(ctx, d, r, ruling, tied)
            self._settle_funding(ctx, d, r, ruling)

    def _settle_jurors(self, ctx: Context, d: int, r: int, ruling: int, tied: bool) -> None:
        count = self.members[(d, r)]
        ctx.use_gas(SETTLE_GAS * count)
        jurors = [self.member[(d, r, i)] for i in range(count)]
        votes = []
        for juror in jurors:
            vote = self.vote[(d, r, juror)]
            votes.append(C.JurorVotes(self.draws[(d, r, juror)], None if vote < 0 else vote))
        fees = self.fees[(d, r)]
        per_draw = self.at_stake
        pay = C.settle_round(votes, per_draw, fees, ruling, tied)
        for juror, v, penalty in zip(jurors, votes, pay.penalties, strict=True):
            self._free(ctx, juror, v.draws * per_draw, penalty)
        token, fee_asset = self.token, self.fee_asset
        for juror, fee_reward, stake_reward in zip(
            jurors, pay.fee_rewards, pay.stake_rewards, strict=True
        ):
            _pay(ctx, fee_asset, juror, fee_reward)
            _pay(ctx, token, juror, stake_reward)
        _pay(ctx, fee_asset, self.treasury, pay.fee_dust)
        _pay(ctx, token, self.treasury, pay.stake_dust)
        self.held = self.held - fees
        ctx.emit(
            "RoundSettled",
            dispute=d,
            round=r,
            coherent_draws=pay.coherent_draws,
            penalties=sum(pay.penalties),
            fee_dust=pay.fee_dust,
            stake_dust=pay.stake_dust,
        )

    def _settle_funding(self, ctx: Context, d: int, r: int, ruling: int) -> None:
        entries: list[A.Contribution] = []
        for choice in range(self.choices[d] + 1):
            n = self.contributions[(d, r, choice)]
            ctx.use_gas(REPAY_GAS * n)
            for i in range(n):
                who, amount = self.contribution[(d, r, choice, i)] or ("", 0)
                entries.append(A.Contribution(who, choice, amount))
        if not entries:
            return
        spent = self.spent[(d, r)]
        done = A.settle(entries, self.funded[(d, r)], spent, ruling)
        fee_asset = self.fee_asset
        for entry, out in zip(entries, done.payouts, strict=True):
            _pay(ctx, fee_asset, entry.contributor, out)
        _pay(ctx, fee_asset, self.treasury, done.dust)
        self.held = self.held - (sum(e.amount for e in entries) - spent)
