"""The court's juror pool: stakes locked on the ledger, a sum tree to draw them from.

:class:`JurorPool` is the staking half of :class:`accord.contracts.court.Court` (which
subclasses it); the math is :mod:`accord.mechanisms.court.sortition`.

* A juror stakes with ``set_stake(amount)``: the court **locks** the difference of the
  court's ``token`` on the ledger (the juror still owns it; nobody else can move it), or
  unlocks it when the stake falls. A stake is 0 or at least ``min_stake``, and never
  below what the juror has at stake in open disputes (``locked_of``).
* Each draw locks ``at_stake = min_stake * alpha_bps // 10_000`` of the juror's stake in
  the court's books until the dispute is settled; an incoherent vote loses it (the court
  releases it from the juror's ledger lock), a coherent one frees it.
* A juror's weight in the tree is its whole stake while it can back one more draw
  (``stake - locked >= at_stake``) and 0 otherwise: drawing from this tree is Kleros'
  draw-then-redraw-the-ineligible with the redraws done in advance, so no loop is
  unbounded. ``capacity`` (a power of two) bounds the jurors; a slot freed when a stake
  reaches 0 with nothing at stake is reused.
"""

from __future__ import annotations

from accord.contracts.args import base_units
from accord.device import Context, Contract, DeviceError, Map, Revert, Var, public
from accord.mechanisms.court import sortition as S

TREE_STEP_GAS = 200
"""Charged per tree level before a weight update or a draw walks the tree (on top of the
storage reads and writes the walk pays for itself)."""


class JurorPool(Contract):
    """Stakes, locks and the sum tree (the court's juror half; not deployed alone)."""

    token: Var[str] = Var("")
    min_stake: Var[int] = Var(0)
    at_stake: Var[int] = Var(0)
    capacity: Var[int] = Var(0)
    slots_used: Var[int] = Var(0)
    vacant: Var[int] = Var(0)

    tree: Map[int] = Map(0)
    """Sum-tree node -> sum of the weights below it (root 1)."""
    stake: Map[int] = Map(0)
    """juror -> stake (all of it locked on the ledger under the court)."""
    locked: Map[int] = Map(0)
    """juror -> the part of its stake at stake in open disputes."""
    slot_of: Map[int] = Map(0)
    """juror -> its leaf + 1 (0: none)."""
    juror_at: Map[str] = Map("")
    """leaf -> juror."""
    vacancies: Map[int] = Map(0)
    """stack of freed leaves: index -> leaf."""

    # -- public ------------------------------------------------------------------------
    @public
    def set_stake(self, ctx: Context, amount: int) -> int:
        """Make the caller's stake ``amount`` (0 to leave), locking or unlocking the
        difference of the court's token; returns the new stake."""
        base_units("amount", amount)
        who = ctx.sender
        old, held = self.stake[who], self.locked[who]
        if amount != 0 and amount < self.min_stake:
            raise Revert(f"amount must be 0 or at least min_stake {self.min_stake}, got {amount}")
        if amount < held:
            raise Revert(f"amount {amount} is below the {held} {who} has at stake in disputes")
        if amount == old:
            return old
        if amount > old and self.slot_of[who] == 0:
            self._take_slot(ctx, who)
        token = self.token
        try:
            if amount > old:
                ctx.lock(token, amount - old)
            else:
                ctx.unlock(who, token, old - amount)
        except DeviceError as exc:
            raise Revert(f"cannot stake {amount} {token}: {exc}") from None
        self.stake[who] = amount
        self._refresh(ctx, who)
        ctx.emit("StakeSet", juror=who, amount=amount)
        return amount

    @public
    def stake_of(self, ctx: Context, juror: str) -> tuple[int, int]:
        """``(stake, locked)`` of ``juror``: its stake and the part at stake in disputes."""
        return self.stake[juror], self.locked[juror]

    @public
    def total_weight(self, ctx: Context) -> int:
        """The sum of the drawable jurors' stakes (the tree's root)."""
        return self.tree[1]

    # -- for the court -----------------------------------------------------------------
    def _take_slot(self, ctx: Context, who: str) -> None:
        if self.vacant:
            top = self.vacant - 1
            slot = self.vacancies[top]
            self.vacancies[top] = 0
            self.vacant = top
        elif self.slots_used < self.capacity:
            slot = self.slots_used
            self.slots_used = slot + 1
        else:
            raise Revert(f"the court is full: {self.capacity} jurors hold a stake")
        self.slot_of[who] = slot + 1
        self.juror_at[slot] = who

    def _refresh(self, ctx: Context, who: str) -> None:
        """Put ``who``'s weight in the tree; free its slot once it has nothing staked."""
        slot = self.slot_of[who] - 1
        if slot < 0:
            return
        stake, held = self.stake[who], self.locked[who]
        value = stake if stake - held >= self.at_stake and stake > 0 else 0
        capacity = self.capacity
        if self.tree[capacity + slot] != value:
            ctx.use_gas(TREE_STEP_GAS * (S.depth(capacity) + 1))
            S.set_weight(self.tree, capacity, slot, value)
        if stake == 0 and held == 0:
            self.slot_of[who] = 0
            self.juror_at[slot] = ""
            self.vacancies[self.vacant] = slot
            self.vacant = self.vacant + 1

    def _draw_one(self, ctx: Context, seed: bytes, index: int) -> str:
        """Draw one juror (``""`` if nobody can back a draw) and lock ``at_stake`` of it."""
        if self.tree[1] == 0:
            return ""
        capacity = self.capacity
        ctx.use_gas(TREE_STEP_GAS * (S.depth(capacity) + 1))
        juror = self.juror_at[S.draw(self.tree, capacity, seed, index)]
        self.locked[juror] = self.locked[juror] + self.at_stake
        self._refresh(ctx, juror)
        return juror

    def _free(self, ctx: Context, juror: str, amount: int, penalty: int) -> None:
        """End ``amount`` of ``juror``'s lock; ``penalty`` of it is taken from its stake
        and released (on the ledger) to the court, which pays it out at once."""
        self.locked[juror] = self.locked[juror] - amount
        if penalty:
            self.stake[juror] = self.stake[juror] - penalty
            ctx.release(juror, self.token, penalty, ctx.this)
        self._refresh(ctx, juror)
