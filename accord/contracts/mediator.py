"""Mediator: sealed reports, a rule published at deployment, and an atomic settlement.

A neutral, credible mediator for two or more named parties. The deployer publishes the
**rule** (:func:`accord.mechanisms.bargaining.mediation_rules.parse_rule`: a bilateral
trade mechanism or a bargaining solution over a finite set of outcomes), the parties,
the assets (``assets[0]`` is the money), a non-reveal ``penalty`` and two deadlines, and
funds the rule's worst deficit (VCG's) with a ``subsidy`` locked at once. Then:

1. **commit** (until every party has committed, at the latest at block ``commit_end``):
   a party calls :meth:`Mediator.commit` with ``commitment_hash(report, salt, party)``
   (:mod:`accord.mechanisms.commit_reveal`) and locks its **collateral**: for each asset,
   the most the rule can make it pay over *all* reports (:meth:`MediationRule.exposure`),
   and at least ``penalty`` of the money. The collateral is fixed by the rule, not
   chosen, so it says nothing about the report.
2. **reveal** (once every party has committed, until block ``reveal_end``):
   :meth:`Mediator.reveal` with ``(report, salt)``; a report out of the rule's range,
   or one that does not open the commitment, is refused. **The last reveal settles**:
   the rule's exact transfers (:meth:`MediationRule.settle`, rounded towards the
   protocol) are paid out of the locked collateral and the subsidy in the same
   transaction, the rounding dust goes to ``sink``, and everything else is unlocked.
3. **expire** (anyone, once, when a deadline has passed without a settlement):
   * not every party committed by ``commit_end``: every committer gets its collateral
     back whole. Nobody's report was ever opened, so there is nothing to punish.
   * every party committed but some did not reveal by ``reveal_end``: each revealer gets
     its collateral back; each **non-revealer forfeits ``penalty``** of money, shared
     equally among the revealers (:func:`accord.mechanisms.commit_reveal.redistribute`,
     dust to ``sink``; to ``sink`` if nobody revealed), and gets the rest back.
     Why: reveals are public and sequential, so the last party to reveal has seen the
     others' reports and can abort a settlement it dislikes; the penalty is the price of
     that option, paid to the parties it wrongs (whose time and locked funds it wasted).
   The subsidy returns to the deployer.

**Nobody sees a report early**, the deployer included: before every party has
committed, storage and events hold only the salted hashes (the sender inside the hash:
a commitment cannot be copied), reveals are refused, and the collateral is the same
whatever the report (``tests/contracts/test_mediator.py`` searches the state and the
events for the reports). The contract makes no call to another contract, so nothing can
re-enter it. Every loop is over the parties and assets (at most 8 × 4) or the rule's
outcomes (at most 64), charged :data:`RULE_GAS` per cell before the rule runs.

Who can cheat, and at what cost: ``docs/contracts/mediator.md``.
"""

from __future__ import annotations

from typing import Any

from accord.contracts.commit_reveal import lock_or_revert, require
from accord.contracts.staking import BURN_ADDRESS
from accord.device import Context, Contract, Map, Revert, Var, public
from accord.mechanisms import commit_reveal as CR
from accord.mechanisms.bargaining.mediation_rules import (
    MAX_AMOUNT,
    MediationRule,
    Table,
    parse_rule,
)
from accord.mechanisms.shares import pro_rata

COMMIT, REVEAL, SETTLED, EXPIRED, LAPSED = "commit", "reveal", "settled", "expired", "lapsed"
"""Phases; ``lapsed``: a deadline passed, waiting for someone to call ``expire``."""

RULE_GAS = 200
"""Gas per cell a rule reads (a report entry, an outcome's row), charged before parsing
the rule and before settling: the rule is pure Python, outside the storage meter."""


def _assets(value: object, count: int) -> tuple[str, ...]:
    if type(value) is not tuple or len(value) != count:
        raise Revert(
            f"assets must be a tuple of {count} asset symbols for this rule, got {value!r}"
        )
    for i, a in enumerate(value):
        if type(a) is not str or not a:
            raise Revert(f"assets[{i}] must be a non-empty asset symbol, got {a!r}")
    if len(set(value)) != count:
        raise Revert(f"assets must be distinct, got {value!r}")
    return value


def _parties(value: object) -> tuple[str, ...]:
    if type(value) is not tuple:
        raise Revert(f"parties must be a tuple of addresses, got {value!r}")
    for i, p in enumerate(value):
        if type(p) is not str or not p:
            raise Revert(f"parties[{i}] must be a non-empty address, got {p!r}")
    if len(set(value)) != len(value):
        raise Revert(f"parties must be distinct, got {value!r}")
    return value


def _size(spec: object) -> int:
    """Cells in a canonical spec (bounded walk, for gas before parsing)."""
    if type(spec) is tuple:
        return 1 + sum(_size(x) for x in spec)
    return 1


class Mediator(Contract):
    """One mediation: named parties, sealed reports with collateral, one settlement."""

    rule_spec: Var[Any] = Var(None)
    parties: Var[tuple[str, ...]] = Var(())
    assets: Var[tuple[str, ...]] = Var(())
    collateral: Var[Table] = Var(())
    """``[party][asset]``: what each party locks at commit."""
    penalty: Var[int] = Var(0)
    sponsor: Var[str] = Var("")
    subsidy: Var[int] = Var(0)
    sink: Var[str] = Var("")
    commit_end: Var[int] = Var(0)
    reveal_end: Var[int] = Var(0)
    committed: Var[int] = Var(0)
    revealed: Var[int] = Var(0)
    closed: Var[str] = Var("")
    """``""`` while open, then ``settled`` or ``expired``."""
    result: Var[Any] = Var(None)
    """``(outcome, transfers)`` once settled."""

    commits: Map[bytes | None] = Map(None)
    """``party -> commitment`` (a salted hash: nothing about the report)."""
    reports: Map[tuple[Any] | None] = Map(None)
    """``party -> (report,)`` once revealed (every party has committed by then)."""

    def setup(
        self,
        ctx: Context,
        rule: Any,
        parties: tuple[str, ...],
        assets: tuple[str, ...],
        penalty: int,
        commit_end: int,
        reveal_end: int,
        sink: str = BURN_ADDRESS,
        subsidy: int = 0,
    ) -> None:
        """Publish ``rule`` for ``parties`` over ``assets`` (money first); a non-reveal
        ``penalty`` in money; commits until ``commit_end``, reveals until
        ``reveal_end``; dust and unshared forfeits to ``sink``. The deployer locks
        ``subsidy`` of money, which must cover the rule's worst deficit."""
        names = _parties(parties)
        ctx.use_gas(RULE_GAS * min(_size(rule), 10**6))
        parsed = require(parse_rule, rule, len(names))
        self.assets = _assets(assets, parsed.assets)
        if type(penalty) is not int or not 0 <= penalty <= MAX_AMOUNT:
            raise Revert(f"penalty must be an int in [0, {MAX_AMOUNT}], got {penalty!r}")
        require(CR.check_windows, ctx.block_number, commit_end, reveal_end)
        if type(sink) is not str or not sink:
            raise Revert(f"sink must be a non-empty address, got {sink!r}")
        if sink in names:
            raise Revert("sink must not be a party (forfeits and dust would flow back to it)")
        if sink == ctx.this:
            raise Revert("sink must not be the mediator itself (dust and forfeits would be stuck)")
        if type(subsidy) is not int or not 0 <= subsidy <= MAX_AMOUNT:
            raise Revert(f"subsidy must be an int in [0, {MAX_AMOUNT}], got {subsidy!r}")
        need = parsed.max_deficit()
        if subsidy < need:
            raise Revert(
                f"rule {parsed.name} can run a deficit of {need}: the deployer must fund a "
                f"subsidy of at least {need}, got {subsidy}"
            )
        exposure = parsed.exposure()
        self.collateral = tuple((max(row[0], penalty), *row[1:]) for row in exposure)
        self.rule_spec = rule
        self.parties = names
        self.penalty = penalty
        self.commit_end, self.reveal_end = commit_end, reveal_end
        self.sink = sink
        self.sponsor = ctx.sender
        self.subsidy = subsidy
        if subsidy:
            lock_or_revert(ctx, self.assets[0], subsidy, "the subsidy")
        ctx.emit("Published", rule=rule, parties=names, collateral=self.collateral)

    # -- phases ------------------------------------------------------------------------
    def _phase(self, block: int) -> str:
        if self.closed:
            return self.closed
        n = len(self.parties)
        if self.committed < n:
            return COMMIT if block <= self.commit_end else LAPSED
        return REVEAL if block <= self.reveal_end else LAPSED

    def _party(self, who: str) -> int:
        names = self.parties
        if who not in names:
            raise Revert(f"{who} is not a party to this mediation ({', '.join(names)})")
        return names.index(who)

    def _rule(self, ctx: Context) -> MediationRule:
        spec = self.rule_spec
        ctx.use_gas(RULE_GAS * _size(spec))
        parsed: MediationRule = require(parse_rule, spec, len(self.parties))
        return parsed

    # -- commit, reveal ------------------------------------------------------------------
    @public
    def commit(self, ctx: Context, commitment: bytes) -> int:
        """A party seals ``commitment_hash(report, salt, party)`` and locks its collateral;
        returns how many parties have committed."""
        require(CR.check_commitment, commitment)
        phase = self._phase(ctx.block_number)
        if phase != COMMIT:
            raise Revert(f"commits are closed (phase {phase}, commit_end {self.commit_end})")
        who = ctx.sender
        i = self._party(who)
        if self.commits[who] is not None:
            raise Revert(f"{who} has already committed")
        for asset, amount in zip(self.assets, self.collateral[i], strict=True):
            if amount:
                lock_or_revert(ctx, asset, amount, f"{who}'s collateral")
        self.commits[who] = commitment
        self.committed = self.committed + 1
        ctx.emit("Committed", who=who, commitment=commitment)
        return self.committed

    @public
    def reveal(self, ctx: Context, report: Any, salt: bytes) -> Any:
        """A party opens its report; the last reveal settles. Returns the settlement's
        ``(outcome, transfers)`` on the last reveal, else ``None``."""
        phase = self._phase(ctx.block_number)
        if phase != REVEAL:
            raise Revert(
                f"reveals are open once every party has committed, until block "
                f"{self.reveal_end} (phase {phase})"
            )
        who = ctx.sender
        i = self._party(who)
        commitment = self.commits[who]
        if commitment is None:  # unreachable: every party has committed in this phase
            raise Revert(f"{who} has no commitment")
        if self.reports[who] is not None:
            raise Revert(f"{who} has already revealed")
        rule = self._rule(ctx)
        require(rule.check_report, i, report)
        if not require(CR.opens, commitment, report, salt, who):
            raise Revert(f"report and salt do not open the commitment of {who}")
        self.reports[who] = (report,)
        self.revealed = self.revealed + 1
        ctx.emit("Revealed", who=who, report=report)
        if self.revealed == len(self.parties):
            return self._settle(ctx, rule)
        return None

    def _settle(self, ctx: Context, rule: MediationRule) -> tuple[Any, Table]:
        names, assets = self.parties, self.assets
        reports = []
        for who in names:
            entry = self.reports[who]
            if entry is None:  # unreachable: called once every party has revealed
                raise Revert(f"{who} has not revealed")
            reports.append(entry[0])
        ctx.use_gas(RULE_GAS * rule.work())
        settled = rule.settle(reports)
        transfers, here, collateral = settled.transfers, ctx.this, self.collateral
        for a, asset in enumerate(assets):
            column = [row[a] for row in transfers]
            for who, t, lock in zip(names, column, collateral, strict=True):
                if t < 0:
                    if -t > lock[a]:  # unreachable: collateral covers the rule's exposure
                        raise Revert(f"{who} owes {-t} {asset}, above its collateral {lock[a]}")
                    ctx.release(who, asset, -t, here)
            total = sum(column)
            if a == 0 and total > 0:
                if total > self.subsidy:  # unreachable: setup checked the worst deficit
                    raise Revert(f"deficit {total} exceeds the subsidy {self.subsidy}")
                ctx.release(self.sponsor, asset, total, here)
            for who, t in zip(names, column, strict=True):
                if t > 0:
                    ctx.transfer(asset, who, t)
            if total < 0:
                ctx.transfer(asset, self.sink, -total)
            for who, t, lock in zip(names, column, collateral, strict=True):
                rest = lock[a] - max(0, -t)
                if rest:
                    ctx.unlock(who, asset, rest)
        used = max(0, sum(row[0] for row in transfers))
        if self.subsidy - used:
            ctx.unlock(self.sponsor, assets[0], self.subsidy - used)
        self.closed = SETTLED
        self.result = (settled.outcome, transfers)
        ctx.emit("Settled", outcome=settled.outcome, transfers=transfers)
        return (settled.outcome, transfers)

    # -- timeouts ------------------------------------------------------------------------
    @public
    def expire(self, ctx: Context) -> int:
        """Anyone, once a deadline has passed unsettled: refund, and forfeit the
        non-revealers' penalties to the revealers. Returns the total forfeited."""
        phase = self._phase(ctx.block_number)
        if phase != LAPSED:
            raise Revert(
                f"nothing to expire in phase {phase} (commits until {self.commit_end}, "
                f"reveals until {self.reveal_end})"
            )
        names, assets, collateral = self.parties, self.assets, self.collateral
        opened = self.committed == len(names)
        revealers = [w for w in names if self.reports[w] is not None]
        money, penalty, forfeited = assets[0], self.penalty, 0
        for who, lock in zip(names, collateral, strict=True):
            if self.commits[who] is None:
                continue
            fine = penalty if opened and self.reports[who] is None else 0
            if fine:
                ctx.release(who, money, fine, ctx.this)
                forfeited += fine
                ctx.emit("Forfeited", who=who, amount=fine)
            for a, asset in enumerate(assets):
                rest = lock[a] - (fine if a == 0 else 0)
                if rest:
                    ctx.unlock(who, asset, rest)
        if forfeited:
            split = pro_rata(forfeited, [1] * len(revealers))
            for who, share in zip(revealers, split.parts, strict=True):
                if share:
                    ctx.transfer(money, who, share)
            if split.dust:
                ctx.transfer(money, self.sink, split.dust)
        if self.subsidy:
            ctx.unlock(self.sponsor, money, self.subsidy)
        self.closed = EXPIRED
        ctx.emit("Expired", forfeited=forfeited, revealers=tuple(revealers))
        return forfeited

    # -- views -------------------------------------------------------------------------
    @public
    def phase(self, ctx: Context) -> str:
        """``commit``, ``reveal``, ``lapsed`` (call ``expire``), ``settled`` or ``expired``."""
        return self._phase(ctx.block_number)

    @public
    def terms(self, ctx: Context) -> tuple[Any, ...]:
        """``(rule, parties, assets, collateral, penalty, subsidy, commit_end, reveal_end,
        sink)``: everything a party should read before committing."""
        return (
            self.rule_spec,
            self.parties,
            self.assets,
            self.collateral,
            self.penalty,
            self.subsidy,
            self.commit_end,
            self.reveal_end,
            self.sink,
        )

    @public
    def commitment_of(self, ctx: Context, who: str) -> bytes | None:
        """``who``'s commitment, or ``None``."""
        return self.commits[who]

    @public
    def report_of(self, ctx: Context, who: str) -> tuple[Any] | None:
        """``(report,)`` once ``who`` has revealed, else ``None``."""
        return self.reports[who]

    @public
    def outcome(self, ctx: Context) -> Any:
        """``(outcome, transfers)`` once settled, else ``None``."""
        return self.result
