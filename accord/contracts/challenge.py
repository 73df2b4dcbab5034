"""ChallengeGame: optimistic assertions, bonded challenges, and a resolver's verdict.

An **asserter** posts a claim (any canonical value: a state root, an answer, a price)
with a bond (:meth:`ChallengeGame.propose`). For ``window_blocks`` anyone but the
asserter may **challenge** it by locking a matching bond. Then:

* *unchallenged*: from ``proposed_block + window_blocks`` on, anyone may
  :meth:`~ChallengeGame.finalize` it; it is **accepted** and the bond is returned;
* *challenged*: the configured **resolver** (an account, a court, or a contract such as
  a Schelling-point oracle or a jury, which calls ``resolve(id, truthful)`` through
  ``ctx.call``) rules. The **loser's** bond is forfeited: the winner gets
  ``⌊bond × (10,000 − burn_bps) / 10,000⌋`` plus its own bond back, and the rest goes
  to ``burn_to`` (:func:`~accord.mechanisms.slashing.forfeit_bond`). The claim is
  **upheld** or **refuted**;
* *resolver silent*: if no verdict comes within ``resolve_timeout_blocks`` of the
  challenge, anyone may :meth:`~ChallengeGame.expire` it: both bonds go back and the
  claim is **expired** (never true), so a dead resolver cannot lock funds forever.

The phases are split by block number, never raced: challenge while
``block < proposed + window``, finalize from then on; resolve while
``block < challenged + resolve_timeout``, expire from then on.

This is a fraud proof in the sense of optimistic rollups (Optimism's fault proofs,
Arbitrum's BoLD) and of UMA's Optimistic Oracle (propose, dispute, DVM vote). Its known
weakness is the **watcher assumption**: a false claim that nobody challenges in time is
accepted. Security needs at least one honest, funded, live challenger per window, and a
window long enough for it to get a transaction included (a builder can censor it).
Griefing costs: a false challenge of a true claim loses the challenger's bond, and a
self-challenge (the asserter disputing itself from a second account, to delay) costs the
burn fraction of a bond; with ``burn_bps = 0`` delay is free. ``docs/contracts/challenge.md``
works the numbers.

Optionally the game **stakes through** a :class:`~accord.contracts.staking.Staking`
contract: with ``staking`` set, an asserter must have ``min_stake`` bonded there, and if
its claim is refuted the game (when it is one of the staking contract's slashers) slashes
``min_stake`` of it, with the challenger as reporter. The same stake may back several
claims at once; only the bonds here are per claim.
"""

from __future__ import annotations

from typing import Any

from accord.contracts.staking import BURN_ADDRESS
from accord.device import Context, Contract, DeviceError, Map, OutOfGas, Revert, Var, public
from accord.mechanisms import slashing as S

PENDING, CHALLENGED = "pending", "challenged"
ACCEPTED, UPHELD, REFUTED, EXPIRED = "accepted", "upheld", "refuted", "expired"
TRUE_STATES = (ACCEPTED, UPHELD)


Assertion = tuple[str, Any, int, int, str, int, str]
"""``(asserter, claim, bond, proposed_block, challenger, challenged_block, state)``."""


def _positive(value: object, name: str) -> int:
    if type(value) is not int or value <= 0:
        raise Revert(f"{name} must be a positive int, got {value!r}")
    return value


class ChallengeGame(Contract):
    """Assertions ``id -> Assertion``; settled ones keep their final state."""

    asset: Var[str] = Var("")
    min_bond: Var[int] = Var(0)
    window_blocks: Var[int] = Var(0)
    resolver: Var[str] = Var("")
    resolve_timeout_blocks: Var[int] = Var(0)
    burn_bps: Var[int] = Var(0)
    burn_to: Var[str] = Var("")
    staking: Var[str] = Var("")
    min_stake: Var[int] = Var(0)
    next_id: Var[int] = Var(0)
    assertions: Map[Assertion | None] = Map(None)

    def setup(
        self,
        ctx: Context,
        asset: str,
        min_bond: int,
        window_blocks: int,
        resolver: str,
        resolve_timeout_blocks: int,
        burn_bps: int = 0,
        burn_to: str = BURN_ADDRESS,
        staking: str = "",
        min_stake: int = 0,
    ) -> None:
        """Bonds in ``asset`` of at least ``min_bond``; a challenge window and a verdict
        deadline in blocks; the ``resolver``; the burnt fraction of a forfeited bond and
        where it goes; optionally a staking contract and the stake an asserter needs."""
        for name, value in (("asset", asset), ("resolver", resolver), ("burn_to", burn_to)):
            if type(value) is not str or not value:
                raise Revert(f"{name} must be a non-empty str, got {value!r}")
        self.asset = asset
        self.min_bond = _positive(min_bond, "min_bond")
        self.window_blocks = _positive(window_blocks, "window_blocks")
        self.resolver = resolver
        self.resolve_timeout_blocks = _positive(resolve_timeout_blocks, "resolve_timeout_blocks")
        try:
            self.burn_bps = S.check_bps(burn_bps, "burn_bps")
        except ValueError as exc:
            raise Revert(str(exc)) from None
        self.burn_to = burn_to
        if type(staking) is not str:
            raise Revert(f"staking must be a contract address or '', got {staking!r}")
        if type(min_stake) is not int or min_stake < 0:
            raise Revert(f"min_stake must be a non-negative int, got {min_stake!r}")
        if min_stake and not staking:
            raise Revert("min_stake needs a staking contract")
        self.staking = staking
        self.min_stake = min_stake

    # -- the game --------------------------------------------------------------------
    @public
    def propose(self, ctx: Context, claim: Any, bond: int) -> int:
        """Assert ``claim`` with ``bond`` (≥ ``min_bond``) locked; returns its id."""
        who = ctx.sender
        if claim is None:
            raise Revert("claim must not be None")
        if type(bond) is not int or bond < self.min_bond:
            raise Revert(f"bond must be an int of at least {self.min_bond}, got {bond!r}")
        staking, need = self.staking, self.min_stake
        if need:
            have = ctx.call(staking, "bonded", who)
            if have < need:
                raise Revert(f"{who} has {have} bonded in {staking}, needs {need} to assert")
        self._lock(ctx, bond, "propose")
        aid = self.next_id
        self.next_id = aid + 1
        self.assertions[aid] = (who, claim, bond, ctx.block_number, "", 0, PENDING)
        ctx.emit("Proposed", id=aid, asserter=who, bond=bond)
        return aid

    @public
    def challenge(self, ctx: Context, aid: int) -> None:
        """Anyone but the asserter, inside the window: dispute with a matching bond."""
        a = self._get(aid)
        asserter, claim, bond, proposed, _, _, state = a
        if state != PENDING:
            raise Revert(f"assertion {aid} is {state}, not open to challenge")
        closes = proposed + self.window_blocks
        if ctx.block_number >= closes:
            raise Revert(
                f"challenge window of assertion {aid} closed at block {closes} "
                f"(now {ctx.block_number})"
            )
        if ctx.sender == asserter:
            raise Revert("the asserter may not challenge its own assertion")
        self._lock(ctx, bond, "challenge")
        self.assertions[aid] = (
            asserter,
            claim,
            bond,
            proposed,
            ctx.sender,
            ctx.block_number,
            CHALLENGED,
        )
        ctx.emit("Challenged", id=aid, challenger=ctx.sender)

    @public
    def resolve(self, ctx: Context, aid: int, truthful: bool) -> None:
        """The resolver only, before the verdict deadline: rule on a challenged claim.
        ``truthful`` upholds it (the asserter wins), ``False`` refutes it."""
        a = self._get(aid)
        asserter, _, bond, _, challenger, challenged, state = a
        if ctx.sender != self.resolver:
            raise Revert(f"only the resolver {self.resolver} may resolve")
        if type(truthful) is not bool:
            raise Revert(f"truthful must be a bool, got {truthful!r}")
        if state != CHALLENGED:
            raise Revert(f"assertion {aid} is {state}: only a challenged one is resolved")
        deadline = challenged + self.resolve_timeout_blocks
        if ctx.block_number >= deadline:
            raise Revert(f"verdict deadline of assertion {aid} passed at block {deadline}")
        winner, loser = (asserter, challenger) if truthful else (challenger, asserter)
        asset = self.asset
        split = S.forfeit_bond(bond, self.burn_bps)
        self.assertions[aid] = (*a[:6], UPHELD if truthful else REFUTED)
        ctx.unlock(winner, asset, bond)
        if split.to_party:
            ctx.release(loser, asset, split.to_party, winner)
        if split.to_protocol:
            ctx.release(loser, asset, split.to_protocol, self.burn_to)
        ctx.emit(
            "Resolved",
            id=aid,
            truthful=truthful,
            winner=winner,
            won=split.to_party,
            burned=split.to_protocol,
        )
        if not truthful and self.min_stake:
            self._slash_stake(ctx, asserter, challenger)

    def _slash_stake(self, ctx: Context, asserter: str, challenger: str) -> None:
        """Slash the refuted asserter's stake; a failure (not a slasher, nothing left)
        must not block the verdict, so it is logged, not raised."""
        try:
            taken = ctx.call(self.staking, "slash", asserter, self.min_stake, challenger)
            ctx.emit("StakeSlashed", asserter=asserter, amount=taken)
        except OutOfGas:
            raise
        except (Revert, DeviceError) as exc:
            ctx.emit("StakeSlashFailed", asserter=asserter, reason=str(exc))

    @public
    def finalize(self, ctx: Context, aid: int) -> None:
        """Anyone, once the window has closed unchallenged: accept the claim and return
        the asserter's bond."""
        a = self._get(aid)
        asserter, _, bond, proposed, _, _, state = a
        if state != PENDING:
            raise Revert(f"assertion {aid} is {state}: only an unchallenged one finalizes")
        closes = proposed + self.window_blocks
        if ctx.block_number < closes:
            raise Revert(
                f"assertion {aid} is challengeable until block {closes} (now {ctx.block_number})"
            )
        self.assertions[aid] = (*a[:6], ACCEPTED)
        ctx.unlock(asserter, self.asset, bond)
        ctx.emit("Accepted", id=aid)

    @public
    def expire(self, ctx: Context, aid: int) -> None:
        """Anyone, once a challenged claim's verdict deadline passed without a verdict:
        both bonds go back, the claim is expired (not true)."""
        a = self._get(aid)
        asserter, _, bond, _, challenger, challenged, state = a
        if state != CHALLENGED:
            raise Revert(f"assertion {aid} is {state}: only a challenged one expires")
        deadline = challenged + self.resolve_timeout_blocks
        if ctx.block_number < deadline:
            raise Revert(f"resolver has until block {deadline} (now {ctx.block_number})")
        self.assertions[aid] = (*a[:6], EXPIRED)
        ctx.unlock(asserter, self.asset, bond)
        ctx.unlock(challenger, self.asset, bond)
        ctx.emit("Expired", id=aid)

    # -- helpers ---------------------------------------------------------------------
    def _get(self, aid: int) -> Assertion:
        if type(aid) is not int:
            raise Revert(f"assertion id must be an int, got {aid!r}")
        a = self.assertions[aid]
        if a is None:
            raise Revert(f"no assertion {aid}")
        return a

    def _lock(self, ctx: Context, bond: int, what: str) -> None:
        asset = self.asset
        try:
            ctx.lock(asset, bond)
        except DeviceError as exc:
            raise Revert(f"cannot {what}: bond of {bond} {asset} not covered: {exc}") from None

    # -- views -----------------------------------------------------------------------
    @public
    def assertion(self, ctx: Context, aid: int) -> Assertion:
        """``(asserter, claim, bond, proposed_block, challenger, challenged_block, state)``."""
        return self._get(aid)

    @public
    def state(self, ctx: Context, aid: int) -> str:
        """``pending``, ``challenged``, ``accepted``, ``upheld``, ``refuted`` or ``expired``."""
        return self._get(aid)[6]

    @public
    def claim(self, ctx: Context, aid: int) -> Any:
        """The claim, for a resolver (an oracle or a jury) to judge."""
        return self._get(aid)[1]

    @public
    def is_true(self, ctx: Context, aid: int) -> bool:
        """Whether the claim has been settled as true (accepted or upheld)."""
        return self._get(aid)[6] in TRUE_STATES
