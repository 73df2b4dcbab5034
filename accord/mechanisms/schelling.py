"""Schelling-point voting: the stake-weighted mode, who is slashed, who is paid.

Voters stake, commit to an answer, reveal it; the answer backed by the most revealed
stake is the outcome. Since nobody sees the others' votes before committing, each voter's
best guess of what the others will say is the answer it believes true: truth is the
focal point (Schelling, *The Strategy of Conflict*, 1960; Buterin, "SchellingCoin: A
Minimal-Trust Universal Data Feed", 2014). Coherence is paid for with incoherence:

* **Kleros** (Lesaege, Ast & George, *Kleros* whitepaper, 2019, §"Incentive system"):
  jurors whose vote differs from the ruling lose part of their stake, which is
  redistributed to the coherent jurors; ties are a ruling of their own ("refuse to
  arbitrate"), not a coin flip.
* **UMA's DVM** (UMA docs, "DVM 2.0": staking, slashing, GAT and SPAT): a vote resolves
  only when enough tokens took part (the GAT), otherwise it rolls to the next round;
  voters who vote wrong or do not vote are slashed, and the slash is paid to the correct
  voters pro rata to their stake.

This module is that rule, in exact integers (``docs/contracts/schelling.md``)::

    tally[a]   = Σ stake of the voters who revealed answer a
    revealed   = Σ tally
    outcome    = the a with the largest tally, if revealed ≥ quorum and it is unique;
                 otherwise None ("no answer": the round can be rolled over)

    with an outcome:
      incoherent (revealed another answer): slashed ⌈stake × slash_bps / 10⁴⌉
      non-revealer:                          slashed ⌈stake × nonreveal_bps / 10⁴⌉
      coherent:                              reward ⌊pool × stake / coherent stake⌋
      pool = Σ slashed;   dust = pool − Σ reward  → the treasury
    with no answer:
      revealers get their stake back; non-revealers are slashed as above, to the treasury

Slashes round up and rewards round down (:mod:`accord.mechanisms.slashing`'s rule:
towards the protocol); the dust goes to the treasury, so
``Σ stake == Σ (stake − slashed + reward) + to_treasury`` exactly.

Known limits. A coalition holding more revealed stake than any other answer decides the
outcome and is *paid* for it out of the honest voters' slashes (the 51% attack of every
Schelling scheme; Kleros and UMA rely on the token's value falling if it is attacked).
A briber can promise to refund a voter's slash if the bribed answer loses (the P + ε
attack, Buterin 2015); commit-reveal hides votes but does not stop such contracts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from accord.mechanisms.shares import pro_rata
from accord.mechanisms.slashing import check_bps, penalty


class Vote(NamedTuple):
    """One voter's stake and revealed answer (``None``: committed but never revealed)."""

    voter: str
    stake: int
    answer: str | None


class Payout(NamedTuple):
    """What one voter gets back: ``stake − slashed + reward``."""

    voter: str
    stake: int
    slashed: int
    reward: int

    @property
    def paid(self) -> int:
        return self.stake - self.slashed + self.reward


class Settlement(NamedTuple):
    """A round's result: the outcome (``None``: no answer), the stake per answer, the
    payouts in vote order, and what goes to the treasury (dust, or undistributable
    slashes)."""

    answer: str | None
    tally: tuple[tuple[str, int], ...]
    revealed_stake: int
    payouts: tuple[Payout, ...]
    to_treasury: int


def check_answers(answers: object) -> tuple[str, ...]:
    """``answers`` if it is a tuple of at least two distinct non-empty strs."""
    if type(answers) is not tuple or len(answers) < 2:
        raise ValueError(f"answers must be a tuple of at least two strs, got {answers!r}")
    for a in answers:
        if type(a) is not str or not a:
            raise ValueError(f"each answer must be a non-empty str, got {a!r}")
    if len(set(answers)) != len(answers):
        raise ValueError(f"answers must be distinct, got {answers!r}")
    return answers


def tally(votes: Sequence[Vote], answers: Sequence[str]) -> dict[str, int]:
    """Revealed stake per allowed answer (every answer present, in ``answers`` order).

    A revealed answer outside ``answers`` is a ``ValueError``: the contract refuses such
    reveals, so the pure function does too.
    """
    out = dict.fromkeys(answers, 0)
    for v in votes:
        if type(v.stake) is not int or v.stake <= 0:
            raise ValueError(f"stake of {v.voter!r} must be a positive int, got {v.stake!r}")
        if v.answer is None:
            continue
        if v.answer not in out:
            raise ValueError(f"{v.voter!r} revealed {v.answer!r}, not one of {tuple(answers)}")
        out[v.answer] += v.stake
    return out


def weighted_mode(stakes: dict[str, int], quorum: int) -> str | None:
    """The answer with strictly the most stake, if the total reaches ``quorum``.

    ``None`` when fewer than ``quorum`` units were revealed (UMA's GAT) or when two or
    more answers share the top (Kleros: a tie is no ruling).
    """
    if type(quorum) is not int or quorum <= 0:
        raise ValueError(f"quorum must be a positive int, got {quorum!r}")
    if sum(stakes.values()) < quorum:
        return None
    top = max(stakes.values())
    leaders = [a for a, s in stakes.items() if s == top]
    return leaders[0] if len(leaders) == 1 else None


def settle(
    votes: Sequence[Vote],
    answers: Sequence[str],
    quorum: int,
    slash_bps: int,
    nonreveal_bps: int,
) -> Settlement:
    """Resolve a round and compute every voter's payout (see the module docstring).

    Voters must be distinct. ``slash_bps`` applies to incoherent revealers,
    ``nonreveal_bps`` to those who committed and did not reveal, both in basis points.
    """
    check_bps(slash_bps, "slash_bps")
    check_bps(nonreveal_bps, "nonreveal_bps")
    if len({v.voter for v in votes}) != len(votes):
        raise ValueError("each voter may vote once")
    stakes = tally(votes, answers)
    answer = weighted_mode(stakes, quorum)
    slashed: list[int] = []
    for v in votes:
        if v.answer is None:
            slashed.append(penalty(v.stake, nonreveal_bps))
        elif answer is not None and v.answer != answer:
            slashed.append(penalty(v.stake, slash_bps))
        else:
            slashed.append(0)
    pool = sum(slashed)
    weights = [v.stake if answer is not None and v.answer == answer else 0 for v in votes]
    rewards = pro_rata(pool, weights)
    payouts = tuple(
        Payout(v.voter, v.stake, s, r)
        for v, s, r in zip(votes, slashed, rewards.parts, strict=True)
    )
    return Settlement(
        answer,
        tuple(stakes.items()),
        sum(stakes.values()),
        payouts,
        rewards.dust,
    )
