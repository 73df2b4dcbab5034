"""Votes, rulings and coherence: who is paid and who pays, after Kleros.

**The vote** (Classic dispute kit, "Vote Aggregation: Plurality Voting"). Each draw is
one vote; a juror drawn ``k`` times casts ``k`` equal votes for one choice in ``0 ..
choices`` (0 is "refuse to arbitrate"). The choice with the most votes wins; a tie for
the most, or no vote at all, is a tie and rules 0 (:func:`tally`).

**The final ruling** is the last round's, except that a round whose appeal period ended
with exactly one choice fully funded is won by that choice (``currentRuling``'s
override; :mod:`accord.mechanisms.court.appeals`). Coherence in *every* round is judged
against the final ruling (Kleros' ``getDegreeOfCoherence`` reads ``core.currentRuling``),
so jurors of an overturned round are incoherent.

**Coherence** (KlerosCore ``_executePenalties``/``_executeRewards``; Classic kit
``getPenalty``/``getRewards``). A vote is coherent iff it was revealed and it equals the
final ruling, or the final ruling is a tie (then every revealed vote is coherent). Every
draw locks ``at_stake = min_stake * alpha // BPS`` of the juror's stake
(``pnkAtStakePerJuror = (court.minStake * court.alpha) / ALPHA_DIVISOR``); an incoherent
or missing vote loses it (degree of coherence 0: penalty ``at_stake * (BPS - 0) // BPS``).
With ``C`` coherent votes in the round, each coherent vote is paid ``fees // C`` of the
round's fees and ``penalties // C`` of the round's penalties ("Equal split among
coherent votes"; a juror's share is pro rata to its coherent draws). The remainders
(``fees - C * (fees // C)``, and likewise for penalties) and, **when nobody is coherent,
all of the fees and all of the penalties** go to the court's treasury (KlerosCore sends
them to its governor: ``LeftoverRewardSent``). Every unit is accounted for:
``sum(fee rewards) + fee dust == fees`` and ``sum(stake rewards) + stake dust ==
sum(penalties)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from accord.mechanisms.court.rounds import BPS


class Tally(NamedTuple):
    """A round's votes per choice (index = choice), its winner and whether it tied."""

    counts: tuple[int, ...]
    winner: int
    tied: bool

    @property
    def ruling(self) -> int:
        """The round's ruling: 0 on a tie, else the winner."""
        return 0 if self.tied else self.winner


def tally(counts: Sequence[int]) -> Tally:
    """Plurality over ``counts[c]`` votes for choice ``c`` (``c = 0 .. choices``)."""
    if not counts:
        raise ValueError("counts must cover at least choice 0")
    for c, n in enumerate(counts):
        if type(n) is not int or n < 0:
            raise ValueError(f"counts[{c}] must be a non-negative int, got {n!r}")
    best = max(counts)
    winners = [c for c, n in enumerate(counts) if n == best]
    tied = best == 0 or len(winners) > 1
    return Tally(tuple(counts), 0 if tied else winners[0], tied)


def at_stake(min_stake: int, alpha_bps: int) -> int:
    """``min_stake * alpha_bps // BPS``: what each draw locks and an incoherent vote loses."""
    if type(min_stake) is not int or min_stake < 0:
        raise ValueError(f"min_stake must be a non-negative int, got {min_stake!r}")
    if type(alpha_bps) is not int or not 0 <= alpha_bps <= BPS:
        raise ValueError(f"alpha_bps must be an int in [0, {BPS}], got {alpha_bps!r}")
    return min_stake * alpha_bps // BPS


def coherent(vote: int | None, final_ruling: int, final_tied: bool) -> bool:
    """Whether a vote (``None``: not revealed) is coherent with the final ruling."""
    return vote is not None and (final_tied or vote == final_ruling)


class JurorVotes(NamedTuple):
    """One juror of a round: how many times it was drawn and its revealed vote."""

    draws: int
    vote: int | None


class RoundPay(NamedTuple):
    """A round's settlement, per juror (same order as given): the stake each loses, the
    fees and the stake each gains, and what goes to the treasury."""

    penalties: tuple[int, ...]
    fee_rewards: tuple[int, ...]
    stake_rewards: tuple[int, ...]
    fee_dust: int
    stake_dust: int
    coherent_draws: int


def settle_round(
    jurors: Sequence[JurorVotes],
    stake_per_draw: int,
    fees: int,
    final_ruling: int,
    final_tied: bool,
) -> RoundPay:
    """Penalties and rewards of one round (module docstring for the rules)."""
    if type(fees) is not int or fees < 0:
        raise ValueError(f"fees must be a non-negative int, got {fees!r}")
    if type(stake_per_draw) is not int or stake_per_draw < 0:
        raise ValueError(f"stake_per_draw must be a non-negative int, got {stake_per_draw!r}")
    good: list[int] = []  # each juror's coherent draws (0 if incoherent)
    for i, j in enumerate(jurors):
        if type(j.draws) is not int or j.draws < 1:
            raise ValueError(f"jurors[{i}].draws must be a positive int, got {j.draws!r}")
        good.append(j.draws if coherent(j.vote, final_ruling, final_tied) else 0)
    penalties = tuple((j.draws - g) * stake_per_draw for j, g in zip(jurors, good, strict=True))
    pool = sum(penalties)
    count = sum(good)
    if count == 0:
        zeros = tuple(0 for _ in jurors)
        return RoundPay(penalties, zeros, zeros, fees, pool, 0)
    fee_each, stake_each = fees // count, pool // count
    fee_rewards = tuple(g * fee_each for g in good)
    stake_rewards = tuple(g * stake_each for g in good)
    return RoundPay(
        penalties,
        fee_rewards,
        stake_rewards,
        fees - count * fee_each,
        pool - count * stake_each,
        count,
    )
