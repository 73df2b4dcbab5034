"""ReorgBounty: an escrowed reward for making a transaction not canonical (a time-bandit bribe).

A *sponsor* posts a bounty (:meth:`ReorgBounty.post`): it locks ``amount`` of an asset
for a named *claimant* and states a condition on the current chain up to a *horizon*
block ``D``:

* **exclude** (``alternative == b""``): target transaction ``T`` is not in any block
  ``<= D`` (``ctx.included(T)`` is ``None`` or ``> D``). A sponsor who paid with ``T``
  and wants it undone posts this: a fork that replaces ``T``'s block (a reorg of depth
  ``head - block(T) + 1``) and uses ``T``'s nonce, or keeps it out until after ``D``,
  makes it hold;
* **replace** (``alternative == T'``): ``T'`` is in a block ``<= D``
  (``ctx.included(T')``); a double spend ``T'`` of ``T``'s nonce is the usual one.

The condition is read only once block ``D`` is *final* (``D <= ctx.finalized``,
:mod:`accord.device.forks`): no fork can change which transactions blocks up to ``D``
hold any more, so the answer is settled, and exactly one of the two ends is open:

* :meth:`claim` by the claimant pays it the bounty if the condition holds;
* :meth:`refund` by the sponsor returns the bounty if it does not.

Before ``D`` is final neither is open: a claim made on a reversible block could be
undone with the fork that earned it, and a refund could race a fork still to come. The
contract reads inclusion with ``ctx.included`` (``docs/finality.md``), so the device
must record inclusions (on by default when ``finality_depth > 0``): a device that
cannot fork cannot be bribed to, and :meth:`post` reverts there.

Whoever builds the fork is paid only by naming itself as claimant: the contract cannot
see builders, and a bounty open to "whoever calls first" would be taken by whoever sees
the condition hold first, not by the builder who did the work. The bounty's ``amount``
is the ``B`` the time-bandit model adds to the MEV ``V`` a fork captures
(:mod:`accord.mechanisms.time_bandit`: the fork pays when ``V + B`` exceeds the
threshold ``V*``). Its state is written before the payment (checks, effects,
interactions), so a claimant contract that re-enters finds it closed.

Related designs: Daian et al., "Flash Boys 2.0" (IEEE S&P 2020) on time-bandit attacks;
McCorry, Hicks & Meiklejohn, "Smart Contracts for Bribing Miners" (FC 2018), whose
bribery contracts pay for a fork that excludes or replaces a transaction.
"""

from __future__ import annotations

from accord.device import Context, Contract, DeviceError, Map, Revert, Var, public

OPEN, CLAIMED, REFUNDED = "open", "claimed", "refunded"
HOLDS, FAILS, PENDING = "holds", "fails", "pending"

MAX_HORIZON_BLOCKS = 100_000
"""How far past the posting block a horizon may be: the bounty is locked until the
horizon is final, and a horizon of 2**256 would lock it for ever."""

Bounty = tuple[str, str, bytes, bytes, int, str, int, str]
"""``(sponsor, claimant, target, alternative, horizon, asset, amount, state)``."""


def _hash(value: object, what: str) -> bytes:
    if type(value) is not bytes or len(value) != 32:
        raise Revert(f"{what} must be a 32-byte transaction hash, got {value!r:.80}")
    return value


class ReorgBounty(Contract):
    """Many bounties, ``id -> Bounty``; a closed bounty keeps its final state."""

    next_id: Var[int] = Var(0)
    bounties: Map[Bounty | None] = Map(None)

    @public
    def post(
        self,
        ctx: Context,
        target: bytes,
        alternative: bytes,
        horizon: int,
        claimant: str,
        asset: str,
        amount: int,
    ) -> int:
        """Lock ``amount`` of the caller's ``asset`` for ``claimant``, paid if ``target``
        is in no block ``<= horizon`` (``alternative == b""``) or ``alternative`` is in
        one; returns the bounty id. ``horizon`` must not be final yet."""
        sponsor = ctx.sender
        _hash(target, "target")
        if alternative != b"":
            _hash(alternative, "alternative")
            if alternative == target:
                raise Revert("alternative must differ from the target")
        if type(horizon) is not int:
            raise Revert(f"horizon must be a block number (int), got {horizon!r:.80}")
        if horizon <= ctx.finalized:
            raise Revert(
                f"horizon {horizon} is already final (final up to {ctx.finalized}): "
                "nothing a fork does can change it"
            )
        if horizon > ctx.block_number + MAX_HORIZON_BLOCKS:
            raise Revert(
                f"horizon {horizon} is more than {MAX_HORIZON_BLOCKS} blocks after "
                f"block {ctx.block_number}"
            )
        if type(claimant) is not str or not claimant:
            raise Revert(f"claimant must be a non-empty address, got {claimant!r:.80}")
        if claimant == sponsor:
            raise Revert("claimant must differ from the sponsor")
        if type(asset) is not str or not asset:
            raise Revert(f"asset must be a non-empty symbol, got {asset!r:.80}")
        if type(amount) is not int or amount <= 0:
            raise Revert(f"amount must be a positive int in base units, got {amount!r:.80}")
        ctx.included(target)  # reverts on a device that records no inclusions
        try:
            ctx.lock(asset, amount)
        except DeviceError as exc:
            raise Revert(f"cannot lock {amount} {asset} of {sponsor}: {exc}") from None
        bounty = self.next_id
        self.next_id = bounty + 1
        self.bounties[bounty] = (
            sponsor,
            claimant,
            target,
            alternative,
            horizon,
            asset,
            amount,
            OPEN,
        )
        ctx.emit("Posted", bounty=bounty, sponsor=sponsor, claimant=claimant, amount=amount)
        return bounty

    # -- reading -----------------------------------------------------------------------
    def _get(self, bounty: object) -> Bounty:
        if type(bounty) is not int:
            raise Revert(f"bounty id must be an int, got {bounty!r:.80}")
        terms = self.bounties[bounty]
        if terms is None:
            raise Revert(f"no bounty {bounty}")
        return terms

    @staticmethod
    def _condition(ctx: Context, terms: Bounty) -> str:
        """``holds``/``fails`` once the horizon is final, ``pending`` before."""
        _, _, target, alternative, horizon, _, _, _ = terms
        if horizon > ctx.finalized:
            return PENDING
        if alternative == b"":
            at = ctx.included(target)
            return HOLDS if at is None or at > horizon else FAILS
        at = ctx.included(alternative)
        return HOLDS if at is not None and at <= horizon else FAILS

    @public
    def bounty(self, ctx: Context, bounty: int) -> Bounty:
        """A bounty's terms and state."""
        return self._get(bounty)

    @public
    def condition(self, ctx: Context, bounty: int) -> str:
        """``holds``, ``fails`` (both final) or ``pending`` (the horizon is not final)."""
        return self._condition(ctx, self._get(bounty))

    # -- ending ------------------------------------------------------------------------
    def _settled(
        self, ctx: Context, bounty: int, terms: Bounty, role: str, party: str, verb: str
    ) -> str:
        """What ``claim`` and ``refund`` both check first: the sender is ``party`` (the
        bounty's ``role``), the bounty is open and its horizon final. Returns the
        condition, ``HOLDS`` or ``FAILS``."""
        horizon, state = terms[4], terms[7]
        if ctx.sender != party:
            raise Revert(f"only the {role} {party} may {verb} bounty {bounty}")
        if state != OPEN:
            raise Revert(f"bounty {bounty} is {state}")
        held = self._condition(ctx, terms)
        if held == PENDING:
            raise Revert(
                f"bounty {bounty}: horizon {horizon} is not final yet (final up to {ctx.finalized})"
            )
        return held

    def _close(self, ctx: Context, bounty: int, terms: Bounty, state: str) -> None:
        self.bounties[bounty] = (*terms[:7], state)

    @public
    def claim(self, ctx: Context, bounty: int) -> int:
        """The claimant only, once the horizon is final and the condition holds: pay it
        the bounty. Returns the amount paid."""
        terms = self._get(bounty)
        sponsor, claimant, _, _, horizon, asset, amount, _ = terms
        if self._settled(ctx, bounty, terms, "claimant", claimant, "claim") == FAILS:
            raise Revert(f"bounty {bounty}: the condition does not hold at horizon {horizon}")
        self._close(ctx, bounty, terms, CLAIMED)
        ctx.release(sponsor, asset, amount, claimant)
        ctx.emit("Claimed", bounty=bounty, claimant=claimant, amount=amount)
        return amount

    @public
    def refund(self, ctx: Context, bounty: int) -> int:
        """The sponsor only, once the horizon is final and the condition does not hold:
        unlock the bounty back to it. Returns the amount returned."""
        terms = self._get(bounty)
        sponsor, _, _, _, _, asset, amount, _ = terms
        if self._settled(ctx, bounty, terms, "sponsor", sponsor, "refund") == HOLDS:
            raise Revert(f"bounty {bounty}: the condition holds, the claimant is owed it")
        self._close(ctx, bounty, terms, REFUNDED)
        ctx.unlock(sponsor, asset, amount)
        ctx.emit("Refunded", bounty=bounty, sponsor=sponsor, amount=amount)
        return amount
