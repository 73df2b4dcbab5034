"""SchellingOracle: staked commit-reveal votes, resolved by the stake-weighted mode.

A deployment fixes the rules for every question it will answer: the stake ``asset``,
the ``quorum`` (the least total *revealed* stake for a resolution, UMA's GAT), the least
stake per vote, the slash of incoherent voters and of non-revealers (basis points), the
window lengths in blocks, and the ``treasury`` that receives rounding dust and slashes
nobody can be paid. The math is :mod:`accord.mechanisms.schelling` (sources: Kleros'
whitepaper and UMA's DVM 2.0; SchellingCoin).

A question's life:

1. :meth:`SchellingOracle.ask` (anyone) opens it with its allowed answers; the commit
   window is the next ``commit_blocks`` blocks and the reveal window the
   ``reveal_blocks`` after that.
2. :meth:`~SchellingOracle.commit`: a voter locks ``stake`` and publishes
   ``commitment_hash(answer, salt, voter)`` (:mod:`accord.mechanisms.commit_reveal`).
3. :meth:`~SchellingOracle.reveal`: the voter opens it; the answer must be allowed.
4. :meth:`~SchellingOracle.resolve` (anyone, after the reveal window): the stake-weighted
   mode of the revealed answers, if the revealed stake reaches the quorum and the mode is
   unique. Coherent voters get their stake back plus a pro-rata share of the slashes;
   incoherent voters and non-revealers are slashed. Otherwise the round ends with **no
   answer**: revealers are refunded in full, non-revealers are still slashed (to the
   treasury), and anyone may :meth:`~SchellingOracle.reopen` the question for a new round
   with fresh windows and fresh votes (UMA's roll to the next round).

**Views for other contracts** (through ``ctx.call``): :meth:`~SchellingOracle.outcome`
(the answer, or ``None``) and :meth:`~SchellingOracle.status`.

**As a ChallengeGame resolver.** Deploy a :class:`~accord.contracts.challenge.ChallengeGame`
with this oracle's address as its ``resolver``. When an assertion is challenged, anyone
calls :meth:`~SchellingOracle.ask_challenge` ``(game, assertion_id)``: it opens a question
bound to that assertion with answers ``("truthful", "untruthful")`` (first come; the
rules are the deployment's, so whoever opens it cannot bend them). Once it resolves,
anyone calls :meth:`~SchellingOracle.settle_into` ``(game, assertion_id)``, which calls
``game.resolve(assertion_id, answer == "truthful")`` exactly once. The oracle relies on
nothing else of the game. Give the game a ``resolve_timeout_blocks`` longer than
``commit_blocks + reveal_blocks`` plus time to call ``resolve`` and ``settle_into`` (and
more, for rollovers); if the oracle cannot answer in time the assertion expires instead.
Binding is first come: an assertion can be bound before it is challenged, so voters
should judge the assertion, not the timing.

:meth:`resolve` visits every voter of the round once: about 22,000 gas each (measured;
at most about 32,000), so one 30M-gas block resolves a round of about 900 voters.
"""

from __future__ import annotations

from typing import Any

from accord.contracts.commit_reveal import address, lock_or_revert, positive, require
from accord.device import Context, Contract, DeviceError, Map, OutOfGas, Revert, Var, public
from accord.mechanisms import commit_reveal as CR
from accord.mechanisms import schelling as S
from accord.mechanisms.slashing import check_bps

OPEN, RESOLVED, NO_ANSWER = "open", "resolved", "no_answer"
TRUTHFUL, UNTRUTHFUL = "truthful", "untruthful"
CHALLENGE_ANSWERS = (TRUTHFUL, UNTRUTHFUL)

Question = tuple[str, tuple[str, ...], str]
"""``(text, answers, asker)``."""
Round = tuple[int, int, int]
"""``(round, commit_end, reveal_end)``."""
Ballot = tuple[bytes, int, str | None]
"""``(commitment, stake, revealed answer or None)``."""


class SchellingOracle(Contract):
    """Questions ``id -> Question``; votes per ``(id, round, voter)``."""

    asset: Var[str] = Var("")
    treasury: Var[str] = Var("")
    quorum: Var[int] = Var(0)
    min_stake: Var[int] = Var(0)
    slash_bps: Var[int] = Var(0)
    nonreveal_bps: Var[int] = Var(0)
    commit_blocks: Var[int] = Var(0)
    reveal_blocks: Var[int] = Var(0)
    next_id: Var[int] = Var(0)

    questions: Map[Question | None] = Map(None)
    rounds: Map[Round | None] = Map(None)
    statuses: Map[str] = Map("")
    answers_given: Map[str | None] = Map(None)
    """``id -> answer`` once resolved."""
    voters: Map[str] = Map("")
    """``(id, round, index) -> voter``, in commit order."""
    counts: Map[int] = Map(0)
    """``(id, round) -> number of voters``."""
    ballots: Map[Ballot | None] = Map(None)
    """``(id, round, voter) -> Ballot``."""
    bound: Map[int | None] = Map(None)
    """``(challenge game, assertion id) -> question id``."""
    binding: Map[tuple[str, Any] | None] = Map(None)
    """``question id -> (challenge game, assertion id)``."""
    settled_into_game: Map[bool] = Map(False)

    def setup(
        self,
        ctx: Context,
        asset: str,
        treasury: str,
        quorum: int,
        min_stake: int,
        slash_bps: int,
        nonreveal_bps: int,
        commit_blocks: int,
        reveal_blocks: int,
    ) -> None:
        """The rules of every question: stakes in ``asset`` of at least ``min_stake``; a
        resolution needs ``quorum`` revealed stake; incoherent voters lose ``slash_bps``
        and non-revealers ``nonreveal_bps`` of their stake; windows of ``commit_blocks``
        and ``reveal_blocks``; dust and unpayable slashes to ``treasury``."""
        self.asset = address(asset, "asset")
        self.treasury = address(treasury, "treasury")
        self.quorum = positive(quorum, "quorum")
        self.min_stake = positive(min_stake, "min_stake")
        self.slash_bps = require(check_bps, slash_bps, "slash_bps")
        self.nonreveal_bps = require(check_bps, nonreveal_bps, "nonreveal_bps")
        self.commit_blocks = positive(commit_blocks, "commit_blocks")
        self.reveal_blocks = positive(reveal_blocks, "reveal_blocks")

    # -- questions ---------------------------------------------------------------------
    @public
    def ask(self, ctx: Context, question: str, answers: tuple[str, ...]) -> int:
        """Open a question with its allowed ``answers``; returns its id."""
        if type(question) is not str or not question:
            raise Revert(f"question must be a non-empty str, got {question!r}")
        require(S.check_answers, answers)
        qid = self.next_id
        self.next_id = qid + 1
        self.questions[qid] = (question, answers, ctx.sender)
        self._open_round(ctx, qid, 0)
        ctx.emit("Asked", id=qid, question=question, answers=answers)
        return qid

    @public
    def ask_challenge(self, ctx: Context, game: str, assertion_id: Any) -> int:
        """Open the question "is assertion ``assertion_id`` of ``game`` truthful?", bound
        to it, with answers ``("truthful", "untruthful")``; returns its id."""
        address(game, "game")
        key = (game, assertion_id)
        existing = self.bound[key]
        if existing is not None:
            raise Revert(f"assertion {assertion_id!r} of {game} already has question {existing}")
        qid = self.ask(ctx, f"Is assertion {assertion_id!r} of {game} truthful?", CHALLENGE_ANSWERS)
        self.bound[key] = qid
        self.binding[qid] = key
        return qid

    def _open_round(self, ctx: Context, qid: int, number: int) -> Round:
        commit_end = ctx.block_number + self.commit_blocks
        r = (number, commit_end, commit_end + self.reveal_blocks)
        self.rounds[qid] = r
        self.statuses[qid] = OPEN
        return r

    def _question(self, qid: object) -> Question:
        if type(qid) is not int:
            raise Revert(f"question id must be an int, got {qid!r}")
        q = self.questions[qid]
        if q is None:
            raise Revert(f"no question {qid}")
        return q

    def _open(self, qid: int) -> Round:
        status = self.statuses[qid]
        if status != OPEN:
            raise Revert(f"question {qid} is {status}, not open for votes")
        return self._round(qid)

    def _round(self, qid: int) -> Round:
        r = self.rounds[qid]
        if r is None:
            raise Revert(f"no question {qid}")
        return r

    # -- voting ------------------------------------------------------------------------
    @public
    def commit(self, ctx: Context, qid: int, commitment: bytes, stake: int) -> int:
        """Lock ``stake`` and publish ``commitment_hash(answer, salt, sender)`` for the
        current round of question ``qid``; returns the voter's index in the round."""
        self._question(qid)
        number, commit_end, reveal_end = self._open(qid)
        require(CR.check_commitment, commitment)
        require(CR.require_phase, CR.COMMIT, ctx.block_number, commit_end, reveal_end)
        who = ctx.sender
        key = (qid, number, who)
        if self.ballots[key] is not None:
            raise Revert(f"{who} has already voted on question {qid} (round {number})")
        least = self.min_stake
        if type(stake) is not int or stake < least:
            raise Revert(f"stake must be an int of at least {least}, got {stake!r}")
        lock_or_revert(ctx, self.asset, stake, "the vote stake")
        index = self.counts[(qid, number)]
        self.counts[(qid, number)] = index + 1
        self.voters[(qid, number, index)] = who
        self.ballots[key] = (commitment, stake, None)
        ctx.emit("VoteCommitted", id=qid, round=number, voter=who, stake=stake)
        return index

    @public
    def reveal(self, ctx: Context, qid: int, answer: str, salt: bytes) -> None:
        """Open the sender's vote on question ``qid``; ``answer`` must be allowed."""
        _, answers, _ = self._question(qid)
        number, commit_end, reveal_end = self._open(qid)
        require(CR.require_phase, CR.REVEAL, ctx.block_number, commit_end, reveal_end)
        who = ctx.sender
        key = (qid, number, who)
        ballot = self.ballots[key]
        if ballot is None:
            raise Revert(f"{who} has no vote on question {qid} (round {number}) to reveal")
        commitment, stake, revealed = ballot
        if revealed is not None:
            raise Revert(f"{who} has already revealed on question {qid}")
        if not require(CR.opens, commitment, answer, salt, who):
            raise Revert(f"answer and salt do not open the vote of {who} on question {qid}")
        if answer not in answers:
            raise Revert(f"answer {answer!r} is not one of {answers}")
        self.ballots[key] = (commitment, stake, answer)
        ctx.emit("VoteRevealed", id=qid, round=number, voter=who, answer=answer)

    @public
    def resolve(self, ctx: Context, qid: int) -> str | None:
        """Anyone, after the reveal window: settle the round; returns the answer, or
        ``None`` for no answer (quorum missed or a tie)."""
        _, answers, _ = self._question(qid)
        number, commit_end, reveal_end = self._open(qid)
        require(CR.require_phase, CR.CLOSED, ctx.block_number, commit_end, reveal_end)
        votes: list[S.Vote] = []
        for i in range(self.counts[(qid, number)]):
            who = self.voters[(qid, number, i)]
            ballot = self.ballots[(qid, number, who)]
            if ballot is None:  # unreachable: every listed voter has a ballot
                raise Revert(f"question {qid}: voter {who} has no ballot")
            votes.append(S.Vote(who, ballot[1], ballot[2]))
        result = require(S.settle, votes, answers, self.quorum, self.slash_bps, self.nonreveal_bps)
        asset = self.asset
        for p in result.payouts:
            if p.slashed:
                ctx.release(p.voter, asset, p.slashed, ctx.this)
            if p.stake > p.slashed:
                ctx.unlock(p.voter, asset, p.stake - p.slashed)
        for p in result.payouts:
            if p.reward:
                ctx.transfer(asset, p.voter, p.reward)
        if result.to_treasury:
            ctx.transfer(asset, self.treasury, result.to_treasury)
        answer: str | None = result.answer
        self.statuses[qid] = NO_ANSWER if answer is None else RESOLVED
        self.answers_given[qid] = answer
        ctx.emit(
            "Resolved",
            id=qid,
            round=number,
            answer=answer,
            revealed_stake=result.revealed_stake,
            to_treasury=result.to_treasury,
        )
        return answer

    @public
    def reopen(self, ctx: Context, qid: int) -> int:
        """Anyone, after a round with no answer: open the next round with fresh windows
        (votes do not carry over). Returns the new round's number."""
        self._question(qid)
        status = self.statuses[qid]
        if status != NO_ANSWER:
            raise Revert(f"question {qid} is {status}: only a round with no answer reopens")
        number, commit_end, reveal_end = self._open_round(ctx, qid, self._round(qid)[0] + 1)
        ctx.emit("Reopened", id=qid, round=number, commit_end=commit_end, reveal_end=reveal_end)
        return number

    @public
    def settle_into(self, ctx: Context, game: str, assertion_id: Any) -> bool:
        """Anyone, once the bound question resolved: call
        ``game.resolve(assertion_id, truthful)``. Returns ``truthful``."""
        qid = self.bound[(game, assertion_id)]
        if qid is None:
            raise Revert(f"no question is bound to assertion {assertion_id!r} of {game}")
        status = self.statuses[qid]
        if status != RESOLVED:
            raise Revert(f"question {qid} is {status}: only a resolved question settles")
        if self.settled_into_game[qid]:
            raise Revert(f"question {qid} has already been settled into {game}")
        self.settled_into_game[qid] = True
        truthful = self.answers_given[qid] == TRUTHFUL
        try:
            ctx.call(game, "resolve", assertion_id, truthful)
        except OutOfGas:
            raise
        except (Revert, DeviceError) as exc:
            raise Revert(f"{game} refused resolve({assertion_id!r}, {truthful}): {exc}") from None
        ctx.emit("SettledInto", id=qid, game=game, assertion_id=assertion_id, truthful=truthful)
        return truthful

    # -- views -------------------------------------------------------------------------
    @public
    def outcome(self, ctx: Context, qid: int) -> str | None:
        """The resolved answer of question ``qid``, or ``None`` (open, or no answer)."""
        self._question(qid)
        return self.answers_given[qid]

    @public
    def status(self, ctx: Context, qid: int) -> str:
        """``open``, ``resolved`` or ``no_answer`` (the last round's result)."""
        self._question(qid)
        return self.statuses[qid]

    @public
    def question(self, ctx: Context, qid: int) -> tuple[str, tuple[str, ...], int, int, int, str]:
        """``(text, answers, round, commit_end, reveal_end, status)``."""
        text, answers, _ = self._question(qid)
        r = self._round(qid)
        return (text, answers, r[0], r[1], r[2], self.statuses[qid])

    @public
    def ballot(self, ctx: Context, qid: int, voter: str) -> Ballot | None:
        """``(commitment, stake, revealed answer or None)`` of ``voter`` this round."""
        self._question(qid)
        return self.ballots[(qid, self._round(qid)[0], voter)]
