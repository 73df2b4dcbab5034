"""JudgementJury: the jury of distilled human judgement as a ChallengeGame resolver.

Flagging an item is a :class:`~accord.contracts.challenge.ChallengeGame` round
(Buterin, "AI as the engine, humans as the steering wheel": anyone may send an item to
the jury, at a cost, and is paid if the jury agrees):

1. A submitter **asserts** a ratio claim from its list, ``(parent, repo_a, repo_b, num,
   den)`` (":mod:`~accord.mechanisms.judgement.verdict`"), with a bond
   (``game.propose``); with ``staking`` set on the game it must also have stake bonded.
2. A **flagger** who thinks the ratio is wrong **stakes** a matching bond to send the
   item to the jury (``game.challenge``). Unflagged claims finalize after the window.
3. The **jurors** of this contract answer in the deep-funding form ``(choice,
   multiplier)``, the multiplier in hundredths (:meth:`JudgementJury.judge`). When
   ``quorum`` jurors have answered, the contract takes the median ratio and calls
   ``game.resolve(id, holds)``: the claim holds if it is within ``tolerance_bps / 10,000``
   of the jury's ratio. A claim the jury cannot read as a ratio claim is refuted.
4. If the jury **agrees with the flagger** (the claim is refuted) the flagger gets its
   bond back plus the submitter's bond less the game's burn, and the submitter's stake
   is slashed if the game stakes through :class:`~accord.contracts.staking.Staking`. If
   the jury **disagrees**, the flagger's bond goes to the submitter (less the burn).

The answers stay on record (:meth:`JudgementJury.answers`): they are new jury samples
for the next fit. One jury serves any number of games: it only ever resolves the game a
juror names, and only a game that made this contract its resolver accepts the call.
Who can cheat and what it costs is worked out in ``docs/contracts/judgement_challenge.md``.
"""

from __future__ import annotations

from fractions import Fraction

from accord.device import Context, Contract, Map, Revert, Var, public
from accord.mechanisms.judgement import verdict as V

Answer = tuple[str, int, int]
"""``(juror, choice, multiplier_centi)``."""


class JudgementJury(Contract):
    """Jurors' answers per ``(game, id)``; the verdict once ``quorum`` have answered."""

    quorum: Var[int] = Var(0)
    tolerance_bps: Var[int] = Var(0)
    jurors: Map[bool] = Map(False)
    juror_count: Var[int] = Var(0)
    answers_of: Map[tuple[Answer, ...]] = Map(())
    verdicts: Map[bool | None] = Map(None)

    def setup(self, ctx: Context, jurors: tuple[str, ...], quorum: int, tolerance_bps: int) -> None:
        """The juror accounts (fixed for good), how many must answer, and the tolerance
        factor in basis points (``20_000``: a claim within a factor 2 holds)."""
        if type(jurors) is not tuple or not jurors:
            raise Revert(f"jurors must be a non-empty tuple of addresses, got {jurors!r}")
        for who in jurors:
            if type(who) is not str or not who:
                raise Revert(f"a juror must be a non-empty address, got {who!r}")
            if self.jurors[who]:
                raise Revert(f"juror {who} is listed twice")
            self.jurors[who] = True
        if type(quorum) is not int or not 1 <= quorum <= len(jurors):
            raise Revert(f"quorum must be an int in [1, {len(jurors)}], got {quorum!r}")
        if type(tolerance_bps) is not int or tolerance_bps < V.BPS:
            raise Revert(f"tolerance_bps must be an int >= {V.BPS}, got {tolerance_bps!r}")
        self.juror_count = len(jurors)
        self.quorum = quorum
        self.tolerance_bps = tolerance_bps

    @public
    def judge(self, ctx: Context, game: str, aid: int, choice: int, multiplier_centi: int) -> None:
        """A juror's answer on flagged claim ``aid`` of ``game``: did ``repo_a`` (1) or
        ``repo_b`` (2) deserve more, and how many times (in hundredths, ≥ 100)."""
        who = ctx.sender
        if not self.jurors[who]:
            raise Revert(f"{who} is not a juror")
        if type(game) is not str or not game:
            raise Revert(f"game must be a contract address, got {game!r}")
        try:
            V.juror_ratio(choice, multiplier_centi)  # validates the answer
        except ValueError as exc:
            raise Revert(str(exc)) from None
        key = (game, aid)
        if self.verdicts[key] is not None:
            raise Revert(f"claim {aid} of {game} is already judged")
        state = ctx.call(game, "state", aid)
        if state != "challenged":
            raise Revert(f"claim {aid} of {game} is {state}: only a flagged claim goes to the jury")
        answers = self.answers_of[key]
        if any(a[0] == who for a in answers):
            raise Revert(f"juror {who} already answered on claim {aid} of {game}")
        answers = (*answers, (who, choice, multiplier_centi))
        self.answers_of[key] = answers
        ctx.emit("Answered", game=game, id=aid, juror=who)
        if len(answers) < self.quorum:
            return
        holds = self._verdict(
            ctx.call(game, "claim", aid), [V.juror_ratio(c, m) for _, c, m in answers]
        )
        self.verdicts[key] = holds
        ctx.call(game, "resolve", aid, holds)
        ctx.emit("Judged", game=game, id=aid, holds=holds)

    def _verdict(self, claim: object, ratios: list[Fraction]) -> bool:
        try:
            return V.claim_holds(V.check_claim(claim), V.jury_ratio(ratios), self.tolerance_bps)
        except ValueError:
            return False  # the jury cannot read it as a ratio claim: refuted

    # -- views -----------------------------------------------------------------------
    @public
    def answers(self, ctx: Context, game: str, aid: int) -> tuple[Answer, ...]:
        """The answers so far: ``(juror, choice, multiplier_centi)`` in arrival order."""
        return self.answers_of[(game, aid)]

    @public
    def verdict(self, ctx: Context, game: str, aid: int) -> bool | None:
        """``True`` (claim holds), ``False`` (refuted) or ``None`` (not judged yet)."""
        return self.verdicts[(game, aid)]

    @public
    def is_juror(self, ctx: Context, who: str) -> bool:
        return self.jurors[who]
