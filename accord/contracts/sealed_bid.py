"""SealedBidAuction: a first-price or second-price (Vickrey) auction over commit-reveal.

The seller deploys it and, in the same transaction, escrows the item: ``item_amount`` of
``item_asset`` is locked under the auction (``ctx.lock``). Then:

1. **commit** (blocks ``≤ commit_end``): a bidder calls :meth:`SealedBidAuction.commit`
   with ``commitment_hash(bid, salt, bidder)`` (:mod:`accord.mechanisms.commit_reveal`)
   and a **deposit** of at least ``min_deposit`` of ``pay_asset``, locked.
2. **reveal** (blocks ``commit_end + 1 .. reveal_end``): :meth:`SealedBidAuction.reveal`
   with ``(bid, salt)``. A bid above the bidder's deposit is refused (the deposit must
   cover it, so the winner can always pay), and so is a value that does not open the
   commitment: such a bidder stays a non-revealer.
3. **settle** (from block ``reveal_end + 1``, anyone, once): the winner and price come from
   :func:`accord.mechanisms.auctions.outcome` over the revealed bids. The winner pays the
   price to the seller out of its deposit and gets the item; the rest of every revealed
   deposit is unlocked; a non-revealer forfeits ``min(penalty, deposit)`` to
   ``penalty_to`` and gets the rest back. With no eligible bid the item returns to the
   seller.

**Ties**: the earlier commit (block) wins, then the smaller address.

**Known leakage.** The deposit is public and must cover the bid, so it reveals an upper
bound on the bid: a bidder hides its bid only up to its deposit. A bidder who wants to
hide more deposits more (the surplus is refunded at settlement). Commit *timing* is
public too.

Who can cheat, and what it costs (``tests/contracts/test_sealed_bid.py``):

* *Seller shilling with selective reveals.* Reveals are public and sequential, so a
  seller's sybil who committed several bids can wait for the honest reveals and reveal
  only the one just under the top, raising a Vickrey price (or reveal none). Each
  unrevealed shill bid forfeits ``penalty``, so the attack costs ``penalty × (shills −
  1)`` and is worth at most the gap between the top two honest bids. ``penalty_to``
  must not be the seller, or the forfeits come back to it and shilling is free.
* *Non-paying winner.* Impossible: the bid is covered by a locked deposit.
* *Copying* a rival's commitment: the copier cannot reveal (its address is in the hash)
  and forfeits ``penalty``.
* *A bidder who aborts* (does not reveal a bid it regrets): pays ``penalty``.

:meth:`settle` visits every bidder once: about 18,000 gas each (measured; at most about
25,000), so one 30M-gas block settles about 1,000 bidders.
"""

from __future__ import annotations

from accord.contracts.commit_reveal import address, lock_or_revert, positive, require
from accord.contracts.staking import BURN_ADDRESS
from accord.device import Context, Contract, Map, Revert, Var, public
from accord.mechanisms import auctions as A
from accord.mechanisms import commit_reveal as CR

SealedBid = tuple[bytes, int, int, int | None]
"""``(commitment, deposit, committed_at, revealed bid or None)``."""


class SealedBidAuction(Contract):
    """One item, sealed bids, first or second price, settled in one transaction."""

    seller: Var[str] = Var("")
    rule: Var[str] = Var("")
    item_asset: Var[str] = Var("")
    item_amount: Var[int] = Var(0)
    pay_asset: Var[str] = Var("")
    reserve: Var[int] = Var(0)
    min_deposit: Var[int] = Var(0)
    penalty: Var[int] = Var(0)
    penalty_to: Var[str] = Var("")
    commit_end: Var[int] = Var(0)
    reveal_end: Var[int] = Var(0)
    count: Var[int] = Var(0)
    result: Var[tuple[str, int] | None] = Var(None)
    """``(winner, price)`` once settled; winner ``""`` for no sale."""

    bidders: Map[str] = Map("")
    """``index -> bidder``, in commit order."""
    bids: Map[SealedBid | None] = Map(None)

    def setup(
        self,
        ctx: Context,
        rule: str,
        item_asset: str,
        item_amount: int,
        pay_asset: str,
        reserve: int,
        min_deposit: int,
        penalty: int,
        commit_end: int,
        reveal_end: int,
        penalty_to: str = BURN_ADDRESS,
    ) -> None:
        """The seller (the deployer) escrows ``item_amount`` of ``item_asset``; bids are in
        ``pay_asset`` with a ``reserve`` price, deposits of at least ``min_deposit``, and a
        non-reveal ``penalty`` (at most ``min_deposit``) paid to ``penalty_to``."""
        self.rule = require(A.check_rule, rule)
        self.item_asset = address(item_asset, "item_asset")
        self.item_amount = positive(item_amount, "item_amount")
        self.pay_asset = address(pay_asset, "pay_asset")
        self.reserve = require(A.check_bid, reserve, "reserve")
        self.min_deposit = positive(min_deposit, "min_deposit")
        self.penalty = require(A.check_bid, penalty, "penalty")
        if penalty > min_deposit:
            raise Revert(f"penalty {penalty} must not exceed min_deposit {min_deposit}")
        require(CR.check_windows, ctx.block_number, commit_end, reveal_end)
        self.commit_end = commit_end
        self.reveal_end = reveal_end
        self.penalty_to = address(penalty_to, "penalty_to")
        self.seller = ctx.sender
        lock_or_revert(ctx, item_asset, item_amount, "the item")

    @public
    def commit(self, ctx: Context, commitment: bytes, deposit: int) -> int:
        """Seal a bid: ``commitment_hash(bid, salt, sender)`` with ``deposit`` locked (it
        must cover the bid). Returns the bidder's index."""
        require(CR.check_commitment, commitment)
        require(CR.require_phase, CR.COMMIT, ctx.block_number, self.commit_end, self.reveal_end)
        who = ctx.sender
        if who == self.seller:
            raise Revert("the seller may not bid in its own auction")
        if self.bids[who] is not None:
            raise Revert(f"{who} has already bid")
        least = self.min_deposit
        if type(deposit) is not int or deposit < least:
            raise Revert(f"deposit must be an int of at least {least}, got {deposit!r}")
        lock_or_revert(ctx, self.pay_asset, deposit, "the bid deposit")
        index = self.count
        self.count = index + 1
        self.bidders[index] = who
        self.bids[who] = (commitment, deposit, ctx.block_number, None)
        ctx.emit("BidCommitted", bidder=who, commitment=commitment, deposit=deposit)
        return index

    @public
    def reveal(self, ctx: Context, bid: int, salt: bytes) -> None:
        """Open the sender's sealed bid. The bid must be covered by the deposit."""
        require(CR.require_phase, CR.REVEAL, ctx.block_number, self.commit_end, self.reveal_end)
        who = ctx.sender
        entry = self.bids[who]
        if entry is None:
            raise Revert(f"{who} has no sealed bid to reveal")
        commitment, deposit, committed_at, revealed = entry
        if revealed is not None:
            raise Revert(f"{who} has already revealed")
        require(A.check_bid, bid)
        if not require(CR.opens, commitment, bid, salt, who):
            raise Revert(f"bid and salt do not open the sealed bid of {who}")
        if bid > deposit:
            raise Revert(f"bid {bid} exceeds the deposit {deposit} of {who}")
        self.bids[who] = (commitment, deposit, committed_at, bid)
        ctx.emit("BidRevealed", bidder=who, bid=bid)

    @public
    def settle(self, ctx: Context) -> tuple[str, int]:
        """Anyone, once, after the reveal window: pay the seller, hand over the item,
        refund the losers, penalise the non-revealers. Returns ``(winner, price)``
        (``("", 0)``: no sale)."""
        require(CR.require_phase, CR.CLOSED, ctx.block_number, self.commit_end, self.reveal_end)
        if self.result is not None:
            raise Revert("the auction is already settled")
        entries: list[tuple[str, int, int | None]] = []
        revealed: list[A.Bid] = []
        for i in range(self.count):
            who = self.bidders[i]
            entry = self.bids[who]
            if entry is None:  # unreachable: every listed bidder has a bid
                raise Revert(f"bidder {who} has no bid")
            _, deposit, committed_at, bid = entry
            entries.append((who, deposit, bid))
            if bid is not None:
                revealed.append(A.Bid(who, bid, committed_at))
        winner, price = require(A.outcome, revealed, self.reserve, self.rule)
        seller, pay, penalty, sink = self.seller, self.pay_asset, self.penalty, self.penalty_to
        for who, deposit, bid in entries:
            if who == winner and price:
                ctx.release(who, pay, price, seller)
                deposit -= price
            elif bid is None:
                forfeit = A.non_reveal_penalty(deposit, penalty)
                if forfeit:
                    ctx.release(who, pay, forfeit, sink)
                    deposit -= forfeit
                    ctx.emit("Penalised", bidder=who, amount=forfeit)
            if deposit:
                ctx.unlock(who, pay, deposit)
        item, amount = self.item_asset, self.item_amount
        if winner is None:
            ctx.unlock(seller, item, amount)
        else:
            ctx.release(seller, item, amount, winner)
        self.result = (winner or "", price)
        ctx.emit("Settled", winner=winner or "", price=price)
        return (winner or "", price)

    # -- views -------------------------------------------------------------------------
    @public
    def phase(self, ctx: Context) -> str:
        """``commit``, ``reveal`` or ``closed`` at the current block."""
        return CR.phase(ctx.block_number, self.commit_end, self.reveal_end)

    @public
    def bid_of(self, ctx: Context, who: str) -> SealedBid | None:
        """``(commitment, deposit, committed_at, revealed bid or None)`` of ``who``."""
        return self.bids[who]

    @public
    def outcome(self, ctx: Context) -> tuple[str, int] | None:
        """``(winner, price)`` once settled (winner ``""``: no sale), else ``None``."""
        return self.result
