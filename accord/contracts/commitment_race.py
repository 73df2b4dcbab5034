"""CommitmentRace: two players race to bind an action in Chicken or the ultimatum game.

The pure half (the games, their payoffs, the race's prize) is
:mod:`accord.mechanisms.races`; ``docs/commitment-races.md`` has the model. One
deployment is one play of one game between ``players`` (index 0 and 1; in the
ultimatum game 0 proposes and 1 responds), paid from a pot that the deployer (the
*sponsor*) funds with exactly ``game.pot`` of ``asset``.

Phases are block numbers, fixed at setup:

1. **commit** (blocks ``≤ commit_end``). In the *open* design :meth:`commit` binds the
   sender's action at once if nobody is bound yet; a later commitment is *void* (it is
   included, pays its fee and changes nothing but the record that it was made). Each
   player commits at most once. Marked ``@public(batch=True)``: under the ``batch``
   ordering rule every commitment of a block settles together
   (:meth:`settle_batch`), and two players committing in the same block *cancel*:
   neither binds. In the *sealed* design (a commit-reveal window) a player
   :meth:`seal`\\ s ``commitment_hash(action, salt, sender)`` instead;
2. **reveal** (sealed only, blocks ``commit_end + 1 .. reveal_end``): :meth:`reveal`
   opens it. When the window has closed, exactly one revealed commitment binds; two
   cancel (simultaneous commitments, whatever their order);
3. **play** (``reveal_end + 1 .. play_end``): :meth:`play` records each player's
   action, once; a bound player may only play its commitment. In the ultimatum game the
   responder answers only once the proposer's offer is known (bound or played);
4. **settle** (from ``play_end + 1``, anyone, once): the bound action, else the action
   played, else 0, for each player; the pot pays each its payoff and the rest goes back
   to the sponsor. Money is conserved: the pot is paid out whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accord.contracts.args import address, base_units
from accord.device import BatchCall, Context, Contract, Map, Revert, Var, public
from accord.device.encoding import Canonical
from accord.mechanisms import commit_reveal as CR
from accord.mechanisms.races import RaceGame

__all__ = ["CommitmentRace"]

NOBODY = -1


class CommitmentRace(Contract):
    """One commitment race and the play that follows it (module docstring)."""

    game: Var[tuple[Any, ...]] = Var(())
    """``(kind, T, R, S, P, pie)``: the :class:`RaceGame`."""
    asset: Var[str] = Var("")
    sponsor: Var[str] = Var("")
    players: Var[tuple[str, ...]] = Var(())
    sealed: Var[bool] = Var(False)
    commit_end: Var[int] = Var(0)
    reveal_end: Var[int] = Var(0)
    play_end: Var[int] = Var(0)
    funded: Var[bool] = Var(False)
    bound: Var[int] = Var(NOBODY)
    bound_action: Var[int] = Var(0)
    cancelled: Var[bool] = Var(False)
    settled: Var[bool] = Var(False)
    committed: Map[int | None] = Map(None)
    """``player index -> the block of its commitment`` (open design; void ones too)."""
    seals: Map[bytes | None] = Map(None)
    revealed: Map[int | None] = Map(None)
    plays: Map[int | None] = Map(None)

    def setup(
        self,
        ctx: Context,
        game: tuple[Any, ...],
        asset: str,
        players: tuple[str, str],
        commit_end: int,
        reveal_end: int,
        play_end: int,
        sealed: bool = False,
    ) -> None:
        """The game ``(kind, T, R, S, P, pie)``, the pot's ``asset``, the two players and
        the phases' last blocks (``reveal_end`` must equal ``commit_end`` unless
        ``sealed``)."""
        self.game = self._check_game(game)
        self.asset = address("asset", asset)
        if type(players) is not tuple or len(players) != 2:
            raise Revert(f"players must be a tuple of two addresses, got {players!r}")
        a, b = (address(f"players[{i}]", p) for i, p in enumerate(players))
        if a == b or ctx.sender in (a, b):
            raise Revert("players must be two accounts other than the sponsor")
        self.players = (a, b)
        if type(sealed) is not bool:
            raise Revert(f"sealed must be a bool, got {sealed!r}")
        for name, v in (("commit_end", commit_end), ("reveal_end", reveal_end)):
            base_units(name, v)
        base_units("play_end", play_end)
        if not ctx.block_number < commit_end <= reveal_end < play_end:
            raise Revert(
                f"need block {ctx.block_number} < commit_end <= reveal_end < play_end, got "
                f"{commit_end}, {reveal_end}, {play_end}"
            )
        if sealed == (reveal_end == commit_end):
            raise Revert("a sealed race needs a reveal window; an open one has none")
        self.sealed = sealed
        self.commit_end, self.reveal_end, self.play_end = commit_end, reveal_end, play_end
        self.sponsor = ctx.sender

    @staticmethod
    def _check_game(game: object) -> tuple[Any, ...]:
        if type(game) is not tuple or len(game) != 6:
            raise Revert(f"game must be (kind, T, R, S, P, pie), got {game!r}")
        try:
            RaceGame(*game).check()
        except (ValueError, TypeError) as exc:
            raise Revert(f"game: {exc}") from None
        return game

    def _game(self) -> RaceGame:
        return RaceGame(*self.game)

    def _player(self, who: str) -> int:
        players = self.players
        if who not in players:
            raise Revert(f"{who} is not a player of this race")
        return players.index(who)

    def _action(self, action: object) -> int:
        top = self._game().top
        if type(action) is not int or not 0 <= action <= top:
            raise Revert(f"action must be an int in 0..{top}, got {action!r}")
        return action

    def _window(self, ctx: Context, first: int, last: int, what: str) -> None:
        now = ctx.block_number
        if not first <= now <= last:
            raise Revert(f"{what} is open in blocks {first}..{last}, not {now}")

    # -- funding ---------------------------------------------------------------------
    @public
    def fund(self, ctx: Context) -> None:
        """The sponsor sends exactly the pot (``game.pot`` of ``asset``), once."""
        if ctx.sender != self.sponsor:
            raise Revert("only the sponsor funds the pot")
        if self.funded:
            raise Revert("the pot is already funded")
        pot = self._game().pot
        if dict(ctx.value) != {self.asset: pot}:
            raise Revert(f"fund takes exactly {pot} {self.asset}, got {dict(ctx.value)}")
        self.funded = True

    # -- the open design ---------------------------------------------------------------
    def _check_commit(self, ctx: Context, sender: str, action: object, value: Any) -> int:
        if self.sealed:
            raise Revert("this race is sealed: seal and reveal instead")
        if value:
            raise Revert("commit takes no value")
        if not self.funded:
            raise Revert("the pot is not funded yet")
        self._window(ctx, 0, self.commit_end, "commit")
        who = self._player(sender)
        self._action(action)
        if self.committed[who] is not None:
            raise Revert(f"{sender} has already committed")
        return who

    @public(batch=True)
    def commit(self, ctx: Context, action: int) -> bool:
        """Bind ``action`` if nobody is bound yet (True); else the commitment is void."""
        who = self._check_commit(ctx, ctx.sender, action, ctx.value)
        self.committed[who] = ctx.block_number
        return self._take(ctx, who, action)

    def _take(self, ctx: Context, who: int, action: int) -> bool:
        if self.bound != NOBODY or self.cancelled:
            ctx.emit("Void", player=who, action=action)
            return False
        self.bound, self.bound_action = who, action
        ctx.emit("Bound", player=who, action=action)
        return True

    def settle_batch(self, ctx: Context, calls: Sequence[BatchCall]) -> list[Canonical]:
        """Under the batch rule: a block's commitments settle together; one binds if it is
        alone, two (by both players) cancel. Invalid ones get ``False`` and ``Refused``."""
        results: list[Canonical] = [False] * len(calls)
        valid: list[tuple[int, int, int]] = []
        for k, call in enumerate(calls):
            try:
                if call.method != "commit" or len(call.args) != 1:
                    raise Revert(f"{call.method!r} with {len(call.args)} arguments does not batch")
                who = self._check_commit(ctx, call.sender, call.args[0], call.value)
                if any(w == who for _, w, _ in valid):
                    raise Revert(f"{call.sender} has already committed")
            except Revert as exc:
                ctx.emit("Refused", tx=call.tx_hash, sender=call.sender, reason=exc.reason)
                continue
            action = call.args[0]
            assert type(action) is int
            valid.append((k, who, action))
        for _, who, _ in valid:
            self.committed[who] = ctx.block_number
        if len(valid) == 2 and self.bound == NOBODY and not self.cancelled:
            self.cancelled = True
            ctx.emit("Cancelled", block=ctx.block_number)
            return results
        for k, who, action in valid:
            results[k] = self._take(ctx, who, action)
        return results

    # -- the sealed design -------------------------------------------------------------
    @public
    def seal(self, ctx: Context, commitment: bytes) -> None:
        """Publish ``commitment_hash(action, salt, sender)`` in the commit window, once."""
        if not self.sealed:
            raise Revert("this race is open: commit instead")
        if ctx.value:
            raise Revert("seal takes no value")
        try:
            CR.check_commitment(commitment)
        except ValueError as exc:
            raise Revert(str(exc)) from None
        if not self.funded:
            raise Revert("the pot is not funded yet")
        self._window(ctx, 0, self.commit_end, "sealing")
        who = self._player(ctx.sender)
        if self.seals[who] is not None:
            raise Revert(f"{ctx.sender} has already sealed a commitment")
        self.seals[who] = commitment
        ctx.emit("Sealed", player=who)

    @public
    def reveal(self, ctx: Context, action: int, salt: bytes) -> None:
        """Open the sender's sealed commitment in the reveal window."""
        if not self.sealed:
            raise Revert("this race is open: nothing to reveal")
        if ctx.value:
            raise Revert("reveal takes no value")
        self._window(ctx, self.commit_end + 1, self.reveal_end, "reveal")
        who = self._player(ctx.sender)
        sealed = self.seals[who]
        if sealed is None:
            raise Revert(f"{ctx.sender} has no sealed commitment")
        if self.revealed[who] is not None:
            raise Revert(f"{ctx.sender} has already revealed")
        self._action(action)
        try:
            opens = CR.opens(sealed, action, salt, ctx.sender)
        except ValueError as exc:
            raise Revert(str(exc)) from None
        if not opens:
            raise Revert(f"action and salt do not open the commitment of {ctx.sender}")
        self.revealed[who] = action
        ctx.emit("Revealed", player=who, action=action)

    def _resolve(self, ctx: Context) -> None:
        """After the reveal window of a sealed race: one reveal binds, two cancel."""
        if not self.sealed or self.bound != NOBODY or self.cancelled:
            return
        shown = [(i, self.revealed[i]) for i in (0, 1) if self.revealed[i] is not None]
        if len(shown) == 2:
            self.cancelled = True
            ctx.emit("Cancelled", block=ctx.block_number)
        elif shown:
            who, action = shown[0]
            assert action is not None
            self._take(ctx, who, action)

    # -- play and settlement -----------------------------------------------------------
    @public
    def play(self, ctx: Context, action: int) -> None:
        """Record the sender's action in the play window, once."""
        if ctx.value:
            raise Revert("play takes no value")
        self._window(ctx, self.reveal_end + 1, self.play_end, "play")
        who = self._player(ctx.sender)
        self._action(action)
        self._resolve(ctx)
        if self.plays[who] is not None:
            raise Revert(f"{ctx.sender} has already played")
        if self.bound == who and action != self.bound_action:
            raise Revert(f"{ctx.sender} is bound to {self.bound_action}, not {action}")
        if self._game().kind == "ultimatum" and who == 1 and self._known(0) is None:
            raise Revert("the responder answers once the proposer's offer is known")
        self.plays[who] = action
        ctx.emit("Played", player=who, action=action)

    def _known(self, who: int) -> int | None:
        if self.bound == who:
            return self.bound_action
        return self.plays[who]

    @public
    def settle(self, ctx: Context) -> tuple[int, int]:
        """Anyone, once, after the play window: pay both payoffs from the pot and the rest
        to the sponsor. Returns the payoffs."""
        if ctx.value:
            raise Revert("settle takes no value")
        if ctx.block_number <= self.play_end:
            raise Revert(f"settle opens after block {self.play_end}, now {ctx.block_number}")
        if self.settled:
            raise Revert("the race is already settled")
        self._resolve(ctx)
        self.settled = True
        if not self.funded:
            ctx.emit("Settled", actions=(0, 0), payoffs=(0, 0))
            return (0, 0)
        actions = tuple(self._known(i) or 0 for i in (0, 1))
        game = self._game()
        pay = game.payoffs(actions[0], actions[1])
        for who, amount in zip(self.players, pay, strict=True):
            if amount:
                ctx.transfer(self.asset, who, amount)
        rest = game.pot - sum(pay)
        if rest:
            ctx.transfer(self.asset, self.sponsor, rest)
        ctx.emit("Settled", actions=actions, payoffs=pay)
        return pay

    # -- views ---------------------------------------------------------------------------
    @public
    def status(self, ctx: Context) -> tuple[int, int, bool, bool]:
        """``(bound player or -1, its action, cancelled, settled)`` as stored (a sealed
        race resolves at its first play or settlement)."""
        return (self.bound, self.bound_action, self.cancelled, self.settled)
