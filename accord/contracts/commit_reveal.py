"""CommitReveal: one round of deposit-backed commitments, reveals and forfeits.

The pure half (the hash, the phases, the split of forfeits) is
:mod:`accord.mechanisms.commit_reveal`; clients compute
``commitment_hash(value, salt, sender)`` there, off-device. One deployment is one round:

1. **commit** (blocks ``≤ commit_end``): :meth:`CommitReveal.commit` publishes a 32-byte
   commitment and locks ``deposit`` of ``asset`` under the contract. One per address.
2. **reveal** (blocks ``commit_end + 1 .. reveal_end``): :meth:`CommitReveal.reveal`
   with ``(value, salt)``; if it opens the sender's commitment, the value is recorded
   and the deposit is unlocked at once.
3. **finalize** (from block ``reveal_end + 1``, anyone, once): every deposit still
   locked (its owner did not reveal) is forfeited. With ``redistribute=False`` each one
   goes to ``penalty_to``. With ``redistribute=True`` the forfeits are shared among the
   revealers pro rata to their deposits (equal deposits: equal shares), rounded down,
   the dust to ``penalty_to``; if nobody revealed, everything goes to ``penalty_to``.

Who can cheat, and what it costs (``tests/contracts/test_commit_reveal.py``):

* *Copying* another's commitment fails: the sender is inside the hash, so the copier can
  never reveal and loses its deposit. Copies are not refused at commit time (refusing a
  duplicate hash would let a front-runner block the original by committing it first).
* *Selective revealing* (committing and then aborting once others' reveals are seen)
  costs exactly the deposit: the deposit is the price of that option, so set it above
  what aborting can be worth. With ``redistribute=True`` it is paid to the revealers.
* *Changing one's mind* is impossible: a value other than the committed one does not open
  the commitment.
* *Late reveals* by a builder censoring a reveal transaction until the window closes are
  not prevented: choose a reveal window several blocks long.

``finalize`` visits every committer once, so its gas grows linearly: about 14,000 gas per
committer (measured with half of them revealing; at most about 25,000), so a round that
must finalize in one 30M-gas block holds about 1,000 committers.
"""

from __future__ import annotations

from typing import Any

from accord.contracts.staking import BURN_ADDRESS
from accord.device import Context, Contract, DeviceError, Map, Revert, Var, public
from accord.mechanisms import commit_reveal as CR

Commitment = tuple[bytes, int]
"""``(commitment, block)``: the hash and the block it was committed in."""


def require(check: Any, *args: Any) -> Any:
    """Run a pure check from :mod:`accord.mechanisms`; its ``ValueError`` becomes a
    :class:`Revert` with the same message (so a bad call changes nothing but its fee)."""
    try:
        return check(*args)
    except ValueError as exc:
        raise Revert(str(exc)) from None


def lock_or_revert(ctx: Context, asset: str, amount: int, what: str) -> None:
    """Lock the caller's ``amount`` of ``asset``, or revert naming what it was for."""
    try:
        ctx.lock(asset, amount)
    except DeviceError as exc:
        raise Revert(f"cannot lock {amount} {asset} for {what}: {exc}") from None


def address(value: object, name: str) -> str:
    """``value`` if it is a non-empty str, else a Revert naming ``name``."""
    if type(value) is not str or not value:
        raise Revert(f"{name} must be a non-empty address str, got {value!r}")
    return value


def positive(value: object, name: str) -> int:
    """``value`` if it is a positive int (not a bool), else a Revert naming ``name``."""
    if type(value) is not int or value <= 0:
        raise Revert(f"{name} must be a positive int in base units, got {value!r}")
    return value


class CommitReveal(Contract):
    """One commit-reveal round with a deposit per commitment."""

    asset: Var[str] = Var("")
    deposit: Var[int] = Var(0)
    commit_end: Var[int] = Var(0)
    reveal_end: Var[int] = Var(0)
    penalty_to: Var[str] = Var("")
    redistribute: Var[bool] = Var(False)
    finalized: Var[bool] = Var(False)
    count: Var[int] = Var(0)
    revealed_count: Var[int] = Var(0)

    committers: Map[str] = Map("")
    """``index -> address``, in commit order."""
    commits: Map[Commitment | None] = Map(None)
    """``address -> (commitment, block)``."""
    reveals: Map[tuple[Any] | None] = Map(None)
    """``address -> (value,)`` once revealed (a 1-tuple, so that ``None`` can be revealed)."""

    def setup(
        self,
        ctx: Context,
        asset: str,
        deposit: int,
        commit_end: int,
        reveal_end: int,
        penalty_to: str = BURN_ADDRESS,
        redistribute: bool = False,
    ) -> None:
        """Deposits of ``deposit`` ``asset`` per commitment; commits up to block
        ``commit_end``, reveals up to ``reveal_end``; forfeits to ``penalty_to`` or, with
        ``redistribute``, to the revealers (dust to ``penalty_to``)."""
        self.asset = address(asset, "asset")
        self.deposit = positive(deposit, "deposit")
        require(CR.check_windows, ctx.block_number, commit_end, reveal_end)
        self.commit_end = commit_end
        self.reveal_end = reveal_end
        self.penalty_to = address(penalty_to, "penalty_to")
        if type(redistribute) is not bool:
            raise Revert(f"redistribute must be a bool, got {redistribute!r}")
        self.redistribute = redistribute

    @public
    def commit(self, ctx: Context, commitment: bytes) -> int:
        """Publish ``commitment_hash(value, salt, sender)`` and lock the deposit; returns
        the commit's index."""
        require(CR.check_commitment, commitment)
        require(CR.require_phase, CR.COMMIT, ctx.block_number, self.commit_end, self.reveal_end)
        who = ctx.sender
        if self.commits[who] is not None:
            raise Revert(f"{who} has already committed")
        lock_or_revert(ctx, self.asset, self.deposit, "the commit deposit")
        index = self.count
        self.count = index + 1
        self.committers[index] = who
        self.commits[who] = (commitment, ctx.block_number)
        ctx.emit("Committed", who=who, commitment=commitment, index=index)
        return index

    @public
    def reveal(self, ctx: Context, value: Any, salt: bytes) -> None:
        """Open the sender's commitment with ``(value, salt)``; the deposit comes back."""
        require(CR.require_phase, CR.REVEAL, ctx.block_number, self.commit_end, self.reveal_end)
        who = ctx.sender
        entry = self.commits[who]
        if entry is None:
            raise Revert(f"{who} has no commitment to reveal")
        if self.reveals[who] is not None:
            raise Revert(f"{who} has already revealed")
        if not require(CR.opens, entry[0], value, salt, who):
            raise Revert(f"value and salt do not open the commitment of {who}")
        self.reveals[who] = (value,)
        self.revealed_count = self.revealed_count + 1
        ctx.unlock(who, self.asset, self.deposit)
        ctx.emit("Revealed", who=who, value=value)

    @public
    def finalize(self, ctx: Context) -> int:
        """Anyone, once, after the reveal window: forfeit every unrevealed deposit.
        Returns the total forfeited."""
        require(CR.require_phase, CR.CLOSED, ctx.block_number, self.commit_end, self.reveal_end)
        if self.finalized:
            raise Revert("the round is already finalized")
        self.finalized = True
        asset, deposit, sink = self.asset, self.deposit, self.penalty_to
        pooled = self.redistribute and self.revealed_count > 0
        revealers: list[str] = []
        forfeited = 0
        for i in range(self.count):
            who = self.committers[i]
            if self.reveals[who] is not None:
                revealers.append(who)
                continue
            forfeited += deposit
            ctx.release(who, asset, deposit, ctx.this if pooled else sink)
            ctx.emit("Forfeited", who=who, amount=deposit)
        if pooled and forfeited:
            split = CR.redistribute(forfeited, [deposit] * len(revealers))
            for who, share in zip(revealers, split.shares, strict=True):
                if share:
                    ctx.transfer(asset, who, share)
            if split.to_sink:
                ctx.transfer(asset, sink, split.to_sink)
        return forfeited

    # -- views -------------------------------------------------------------------------
    @public
    def phase(self, ctx: Context) -> str:
        """``commit``, ``reveal`` or ``closed`` at the current block."""
        return CR.phase(ctx.block_number, self.commit_end, self.reveal_end)

    @public
    def commitment_of(self, ctx: Context, who: str) -> Commitment | None:
        """``(commitment, block)`` of ``who``, or ``None``."""
        return self.commits[who]

    @public
    def revealed(self, ctx: Context, who: str) -> tuple[Any] | None:
        """``(value,)`` once ``who`` has revealed, else ``None``."""
        return self.reveals[who]
