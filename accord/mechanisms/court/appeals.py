"""Appeal crowdfunding, after Kleros' Classic dispute kit (``DisputeKitClassic``).

An appeal is paid for by whoever wants one, in any number of contributions, per choice
(ruling option). The rules, with their source (Kleros v2, ``DisputeKitClassicBase``:
``fundAppeal``, ``withdrawFeesAndRewards``, ``currentRuling``; the same constants in
Kleros v1's ``ArbitrableProxy`` / dispute-resolver interface, ERC-792 arbitrables):

* **Stake multipliers.** A choice needs ``required = cost + cost * m // BPS`` to be fully
  funded, where ``cost`` is the next round's :func:`~accord.mechanisms.court.rounds.
  appeal_cost` and ``m`` is ``WINNER_MULTIPLIER_BPS`` (1x, so 2x the cost in all) for the
  current winner and ``LOSER_MULTIPLIER_BPS`` (2x, 3x in all) for any other choice. In a
  tie every choice gets the winner's treatment, 1x and the whole period. **This departs
  from Kleros v2**: its ``fundAppeal`` compares the choice with ``currentRuling``, which
  is 0 on a tie, so there only choice 0 ("refuse") is the winner and every real choice
  pays 2x in the first half; this court follows the v1 arbitrables' shared multiplier
  for a round with no winner (Kleros' escrow specification: a "multiplier ... when there
  is no winner and loser in the previous round"), set to the winner's 1x. The
  loser pays more because it is more likely wrong: if it loses again, the winner's
  funders are paid from its stake.
* **The loser's half period.** A choice other than the winner can be funded only while
  ``block - start < (end - start) * LOSER_PERIOD_BPS // BPS`` (half the period), so the
  winner always has time to answer a funded appeal.
* **Contributions are capped** at what the choice still needs; the surplus is refunded
  at once (:func:`take`).
* **Appeal.** When a second choice is fully funded the appeal happens: ``cost`` funds the
  next round, and ``rewards = paid(a) + paid(b) - cost`` is kept for the funders.
* **Default.** If the period ends with exactly one choice funded, that choice wins
  (``currentRuling``'s override) and its funders get their money back; with none funded
  the vote stands.
* **Repayment** (:func:`settle`, ``withdrawFeesAndRewards``), per round, once the dispute
  is final with ruling ``F``: contributions to a choice that was not fully funded are
  refunded in full; contributors to a funded ``F`` share ``rewards`` pro rata to their
  contributions; if ``F`` was not funded in that round, the funded choices' contributors
  share ``rewards`` pro rata; the funders of a funded choice other than a funded ``F``
  get nothing (their stake is the winners' reward). Each share is rounded down; the
  remainder (at most one unit per paid contributor) is the ``dust``, which the court sends to
  its treasury (Kleros leaves it in the contract). So every unit paid in is paid out:
  ``sum(payouts) + dust + cost_spent == sum(contributions)`` (tested with Hypothesis).

This module adds a bound Kleros does not need: at most ``max_contributions``
contributions fill a choice, because each must bring at least
``ceil(required / max_contributions)`` (or all that is still missing): the court repays
contributors in a bounded loop, and a griefer cannot fill the slots with dust.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from accord.mechanisms.court.rounds import BPS

WINNER_MULTIPLIER_BPS = 10_000
"""1x: the current winner's (and, in a tie, every choice's) stake multiplier."""

LOSER_MULTIPLIER_BPS = 20_000
"""2x: the stake multiplier of a choice that lost the round."""

LOSER_PERIOD_BPS = 5_000
"""The loser may fund only in the first half of the appeal period."""


def multiplier_bps(choice: int, winner: int, tied: bool) -> int:
    """The stake multiplier of funding ``choice`` against a round won by ``winner``."""
    return WINNER_MULTIPLIER_BPS if tied or choice == winner else LOSER_MULTIPLIER_BPS


def required(cost: int, multiplier: int) -> int:
    """``cost + cost * multiplier // BPS``: what fully funds a choice."""
    if type(cost) is not int or cost < 0:
        raise ValueError(f"cost must be a non-negative int, got {cost!r}")
    if type(multiplier) is not int or multiplier < 0:
        raise ValueError(f"multiplier must be a non-negative int (bps), got {multiplier!r}")
    return cost + cost * multiplier // BPS


def loser_deadline(start: int, end: int) -> int:
    """First block in which a loser may no longer fund: ``start + (end - start) * 5000 //
    10000`` (a loser funds while ``block - start < (end - start) * 5000 // 10000``)."""
    return start + (end - start) * LOSER_PERIOD_BPS // BPS


def may_fund(block: int, start: int, end: int, loser: bool) -> str:
    """``""`` if ``block`` may fund (a loser's choice if ``loser``) in the appeal period
    ``[start, end)``; otherwise the reason it may not."""
    if not start <= block < end:
        return f"the appeal period is blocks {start}..{end - 1} (now block {block})"
    if loser and block >= loser_deadline(start, end):
        return (
            f"a losing choice may be funded only in the first half of the appeal period, "
            f"blocks {start}..{loser_deadline(start, end) - 1} (now block {block})"
        )
    return ""


def min_contribution(need: int, paid: int, max_contributions: int) -> int:
    """The least a new contribution must bring: ``min(need - paid, ceil(need / k))``."""
    return min(need - paid, -(-need // max_contributions))


class Taken(NamedTuple):
    """What a contribution adds to the choice, and what goes back to the contributor."""

    taken: int
    refund: int


def take(need: int, paid: int, offered: int) -> Taken:
    """Take up to what the choice still needs (``need - paid``); refund the rest."""
    taken = min(offered, max(0, need - paid))
    return Taken(taken, offered - taken)


class Contribution(NamedTuple):
    """One contribution of a round, as recorded: who, for which choice, how much."""

    contributor: str
    choice: int
    amount: int


class Settlement(NamedTuple):
    """A round's crowdfunding, repaid: one payout per contribution (same order), the
    rounding dust, and ``rewards`` (what was shared among the funded choices)."""

    payouts: tuple[int, ...]
    dust: int
    rewards: int


def settle(
    contributions: Sequence[Contribution],
    funded: Sequence[int],
    cost_spent: int,
    final_ruling: int,
) -> Settlement:
    """Repay one round's contributions once the dispute's ruling is ``final_ruling``.

    ``funded`` lists the fully funded choices (in the order they were funded);
    ``cost_spent`` is the appeal cost the round paid to the next round (``0`` when no
    appeal happened, or when the appeal round drew no juror and its fees came back).
    Raises ``ValueError`` when the books do not add up (``cost_spent`` above what the
    funded choices paid).
    """
    paid: dict[int, int] = {}
    for c in contributions:
        if type(c.amount) is not int or c.amount < 0:
            raise ValueError(f"contribution amount must be a non-negative int, got {c.amount!r}")
        paid[c.choice] = paid.get(c.choice, 0) + c.amount
    funded_set = set(funded)
    pot = sum(paid.get(f, 0) for f in funded_set)
    if type(cost_spent) is not int or not 0 <= cost_spent <= pot:
        raise ValueError(f"cost_spent {cost_spent!r} is not within what was funded ({pot})")
    rewards = pot - cost_spent
    final_funded = final_ruling in funded_set
    payouts: list[int] = []
    shared = 0
    for c in contributions:
        if c.choice not in funded_set:
            out = c.amount  # funding failed: refunded in full
        elif c.choice == final_ruling:
            out = c.amount * rewards // paid[c.choice] if paid[c.choice] else 0
            shared += out
        elif not final_funded:
            out = c.amount * rewards // pot if pot else 0
            shared += out
        else:
            out = 0  # funded the loser against a funded winner: the winners' reward
        payouts.append(out)
    return Settlement(tuple(payouts), rewards - shared, rewards)
