"""Staking: bond an asset, unbond after a delay, be slashed by rule.

Stake is *locked* under this contract (``ctx.lock``): it stays the staker's in the
ledger, visible and conserved, but only this contract can move it. Per staker the
contract keeps the active bond and an unbonding queue of ``(amount, ready_block)``
entries; the ledger lock always equals ``bonded + Σ unbonding`` (tested).

**Unbonding.** :meth:`Staking.unbond` moves stake from the bond to the queue, ready
``unbonding_blocks`` later; :meth:`Staking.withdraw` unlocks every entry whose ready
block has come. Stake in the queue **remains slashable** until withdrawn, as in Cosmos
(unbonding delegations are slashed for infractions committed while bonded) and
Ethereum (a validator stays slashable until its withdrawable epoch): without the delay a
cheater would unbond the moment it cheats and leave nothing to slash.

**Two slashing rules** (``docs/contracts/staking.md``):

1. *Authority.* A configured **slasher** (an account, or a contract such as a
   :class:`~accord.contracts.challenge.ChallengeGame` or an oracle) calls
   :meth:`Staking.slash` with an amount and a reporter. The slasher is the rule: the
   staking contract trusts it completely, so the slasher set is part of what a staker
   agrees to when bonding. A ``governor`` (``""`` for none) may change the set.
2. *Evidence: double signing.* A bonded staker makes statements with
   :meth:`Staking.attest` ``(slot, statement)``, authenticated by the signed
   transaction that carries them. Two different statements for the same slot are an
   equivocation. The second one is *recorded, not refused* (refusing would let the
   equivocator take it back), and anyone may then call
   :meth:`Staking.report_double_sign`: the offender loses ``⌈slashable × double_sign_bps
   / 10,000⌉`` and is **tombstoned** (it can never bond or attest again, and is slashed
   for double signing at most once, as in Cosmos' ``x/evidence``). Detection is left to
   a reporter so that watching pays, and so that the race to report (and a builder's
   temptation to front-run the report) is visible to experiments.

**Where slashed stake goes.** ``⌊slashed × reporter_bps / 10,000⌋`` to the reporter
(Ethereum's whistleblower reward), the rest to ``destination``: a treasury address, or
:data:`BURN_ADDRESS` to take it out of circulation. (The ledger lets only an asset's
issuer destroy supply, so "burn" here means "sent to an address nobody controls"; the
asset's supply is unchanged, and conservation holds.) A slash is taken from the bond
first, then from unbonding entries, latest first
(:func:`~accord.mechanisms.slashing.allocate_slash`).

Other contracts read :meth:`Staking.bonded` (active bond), :meth:`Staking.slashable`
and :meth:`Staking.total_bonded` with ``ctx.call``.
"""

from __future__ import annotations

from typing import Any

from accord.device import Context, Contract, DeviceError, Map, Revert, Var, public
from accord.mechanisms import slashing as S
from accord.mechanisms.escrow_terms import strict_equal

BURN_ADDRESS = "0x000000000000000000000000000000000000dead"
"""An address no key or contract controls: what is paid there is out of circulation."""


def _address(value: object, name: str, *, allow_empty: bool = False) -> str:
    if type(value) is not str or (not value and not allow_empty):
        raise Revert(
            f"{name} must be a{'n' if allow_empty else ' non-empty'} address str, got {value!r}"
        )
    return value


class Staking(Contract):
    """Bonds of one asset; slashing by configured slashers and by the double-sign rule."""

    asset: Var[str] = Var("")
    unbonding_blocks: Var[int] = Var(0)
    destination: Var[str] = Var("")
    reporter_bps: Var[int] = Var(0)
    double_sign_bps: Var[int] = Var(0)
    governor: Var[str] = Var("")
    total: Var[int] = Var(0)
    """Σ active bonds (unbonding stake excluded)."""

    slashers: Map[bool] = Map(False)
    stakes: Map[int] = Map(0)
    queues: Map[tuple[tuple[int, int], ...]] = Map(())
    statements: Map[Any] = Map(None)
    """``(staker, slot) -> statement``: the first statement for the slot."""
    conflicts: Map[Any] = Map(None)
    """``(staker, slot) -> statement``: a second, different statement (the evidence)."""
    tombstoned: Map[bool] = Map(False)

    def setup(
        self,
        ctx: Context,
        asset: str,
        unbonding_blocks: int,
        slashers: tuple[str, ...] = (),
        destination: str = BURN_ADDRESS,
        reporter_bps: int = 0,
        double_sign_bps: int = 0,
        governor: str = "",
    ) -> None:
        """``asset`` staked; ``unbonding_blocks ≥ 0`` of delay; the slasher set; where
        slashed stake goes; the reporter's share and the double-sign penalty in basis
        points; the ``governor`` who may change slashers (``""``: nobody, ever)."""
        self.asset = _address(asset, "asset")
        if type(unbonding_blocks) is not int or unbonding_blocks < 0:
            raise Revert(f"unbonding_blocks must be a non-negative int, got {unbonding_blocks!r}")
        self.unbonding_blocks = unbonding_blocks
        if type(slashers) is not tuple:
            raise Revert(f"slashers must be a tuple of addresses, got {slashers!r}")
        for who in slashers:
            self.slashers[_address(who, "slasher")] = True
        self.destination = _address(destination, "destination")
        try:
            self.reporter_bps = S.check_bps(reporter_bps, "reporter_bps")
            self.double_sign_bps = S.check_bps(double_sign_bps, "double_sign_bps")
        except ValueError as exc:
            raise Revert(str(exc)) from None
        self.governor = _address(governor, "governor", allow_empty=True)

    # -- bonding -----------------------------------------------------------------------
    @public
    def bond(self, ctx: Context, amount: int) -> int:
        """Lock ``amount`` more of the caller's asset as active stake; returns the bond."""
        who = ctx.sender
        if type(amount) is not int or amount <= 0:
            raise Revert(f"amount must be a positive int in base units, got {amount!r}")
        if self.tombstoned[who]:
            raise Revert(f"{who} is tombstoned for double signing and may not bond")
        asset = self.asset
        try:
            ctx.lock(asset, amount)
        except DeviceError as exc:
            raise Revert(f"cannot bond {amount} {asset}: {exc}") from None
        bonded = self.stakes[who] + amount
        self.stakes[who] = bonded
        self.total = self.total + amount
        ctx.emit("Bonded", staker=who, amount=amount)
        return bonded

    @public
    def unbond(self, ctx: Context, amount: int) -> int:
        """Start unbonding ``amount`` of the caller's bond; returns the block from which
        it can be withdrawn. It stays slashable until then."""
        who = ctx.sender
        if type(amount) is not int or amount <= 0:
            raise Revert(f"amount must be a positive int in base units, got {amount!r}")
        bonded = self.stakes[who]
        if amount > bonded:
            raise Revert(f"{who} has {bonded} bonded, cannot unbond {amount}")
        ready = ctx.block_number + self.unbonding_blocks
        self.stakes[who] = bonded - amount
        self.total = self.total - amount
        self.queues[who] = (*self.queues[who], (amount, ready))
        ctx.emit("Unbonding", staker=who, amount=amount, ready_block=ready)
        return ready

    @public
    def withdraw(self, ctx: Context) -> int:
        """Unlock every unbonding entry of the caller that is ready; returns the amount."""
        who = ctx.sender
        queue = self.queues[who]
        ready, waiting = S.mature(queue, ctx.block_number)
        if ready == 0:
            if not queue:
                raise Revert(f"{who} has nothing unbonding")
            raise Revert(
                f"nothing ready: {who}'s next unbonding entry is ready at block "
                f"{min(at for _, at in queue)} (now {ctx.block_number})"
            )
        self.queues[who] = waiting
        ctx.unlock(who, self.asset, ready)
        ctx.emit("Withdrawn", staker=who, amount=ready)
        return ready

    # -- slashing ----------------------------------------------------------------------
    def _slash(self, ctx: Context, offender: str, amount: int, reporter: str) -> int:
        bonded, queue = self.stakes[offender], self.queues[offender]
        cut = S.allocate_slash(bonded, queue, amount)
        if cut.taken == 0:
            raise Revert(f"{offender} has no slashable stake")
        self.stakes[offender] = cut.bonded
        self.total = self.total - (bonded - cut.bonded)
        self.queues[offender] = cut.unbonding
        split = S.split_slash(cut.taken, self.reporter_bps if reporter else 0)
        asset = self.asset
        if split.to_party:
            ctx.release(offender, asset, split.to_party, reporter)
        if split.to_protocol:
            ctx.release(offender, asset, split.to_protocol, self.destination)
        ctx.emit(
            "Slashed",
            offender=offender,
            amount=cut.taken,
            reporter=reporter,
            to_reporter=split.to_party,
            to_destination=split.to_protocol,
        )
        return cut.taken

    @public
    def slash(self, ctx: Context, offender: str, amount: int, reporter: str) -> int:
        """A slasher only: take up to ``amount`` of ``offender``'s slashable stake (capped
        at what is there; returns what was taken). ``reporter`` (``""`` for none) gets
        the reporter share, the destination the rest."""
        if not self.slashers[ctx.sender]:
            raise Revert(f"{ctx.sender} is not a slasher of this staking contract")
        _address(offender, "offender")
        _address(reporter, "reporter", allow_empty=True)
        if type(amount) is not int or amount <= 0:
            raise Revert(f"amount must be a positive int in base units, got {amount!r}")
        return self._slash(ctx, offender, amount, reporter)

    @public
    def attest(self, ctx: Context, slot: int, statement: Any) -> None:
        """A bonded staker's signed statement for ``slot`` (a block, a round, a question).

        A second, *different* statement for a slot already attested is recorded as
        evidence of equivocation (see :meth:`report_double_sign`); repeating the same
        statement, or a third statement, reverts.
        """
        who = ctx.sender
        if type(slot) is not int or slot < 0:
            raise Revert(f"slot must be a non-negative int, got {slot!r}")
        if statement is None:
            raise Revert("statement must not be None")
        if self.tombstoned[who]:
            raise Revert(f"{who} is tombstoned for double signing and may not attest")
        if self.stakes[who] == 0:
            raise Revert(f"{who} has no bonded stake: only bonded stakers attest")
        key = (who, slot)
        first = self.statements[key]
        if first is None:
            self.statements[key] = statement
            ctx.emit("Attested", staker=who, slot=slot)
            return
        if strict_equal(first, statement):
            raise Revert(f"{who} already attested this statement for slot {slot}")
        if self.conflicts[key] is not None:
            raise Revert(f"{who} already equivocated on slot {slot}")
        self.conflicts[key] = statement
        ctx.emit("Equivocated", staker=who, slot=slot)

    @public
    def report_double_sign(self, ctx: Context, offender: str, slot: int) -> int:
        """Anyone but the offender: slash an equivocation on ``slot`` by the rule, pay the
        caller the reporter share, and tombstone the offender. Returns the amount slashed.
        """
        _address(offender, "offender")
        if type(slot) is not int or slot < 0:
            raise Revert(f"slot must be a non-negative int, got {slot!r}")
        if ctx.sender == offender:
            raise Revert("an offender may not report itself")
        if self.tombstoned[offender]:
            raise Revert(f"{offender} is already tombstoned: double signing is slashed once")
        if self.conflicts[(offender, slot)] is None:
            raise Revert(f"no evidence: {offender} made no conflicting statements for slot {slot}")
        at_stake = S.slashable(self.stakes[offender], self.queues[offender])
        amount = S.penalty(at_stake, self.double_sign_bps)
        self.tombstoned[offender] = True
        if amount == 0:  # a zero penalty rule, or nothing left: tombstone only
            ctx.emit("Tombstoned", offender=offender, slot=slot)
            return 0
        return self._slash(ctx, offender, amount, ctx.sender)

    # -- governance ------------------------------------------------------------------
    @public
    def set_slasher(self, ctx: Context, who: str, allowed: bool) -> None:
        """The governor only: add (``True``) or remove a slasher."""
        governor = self.governor
        if not governor or ctx.sender != governor:
            raise Revert(f"only the governor may change slashers (governor: {governor!r})")
        if type(allowed) is not bool:
            raise Revert(f"allowed must be a bool, got {allowed!r}")
        self.slashers[_address(who, "slasher")] = allowed
        ctx.emit("SlasherSet", slasher=who, allowed=allowed)

    @public
    def renounce_governor(self, ctx: Context) -> None:
        """The governor only: give up governance; the slasher set is frozen from now on."""
        if not self.governor or ctx.sender != self.governor:
            raise Revert("only the governor may renounce")
        self.governor = ""

    # -- views -----------------------------------------------------------------------
    @public
    def bonded(self, ctx: Context, account: str) -> int:
        """Active (not unbonding) stake of ``account``."""
        return self.stakes[account]

    @public
    def unbonding(self, ctx: Context, account: str) -> tuple[tuple[int, int], ...]:
        """``account``'s unbonding entries ``(amount, ready_block)``."""
        return self.queues[account]

    @public
    def slashable(self, ctx: Context, account: str) -> int:
        """Bond plus unbonding entries not yet withdrawn: what a slash can reach."""
        return S.slashable(self.stakes[account], self.queues[account])

    @public
    def total_bonded(self, ctx: Context) -> int:
        """Σ active bonds."""
        return self.total

    @public
    def is_slasher(self, ctx: Context, who: str) -> bool:
        return self.slashers[who]

    @public
    def is_tombstoned(self, ctx: Context, who: str) -> bool:
        return self.tombstoned[who]
