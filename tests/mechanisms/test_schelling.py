"""Schelling-point math against hand-computed numbers, plus conservation properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.mechanisms import schelling as S
from accord.mechanisms.schelling import Payout, Vote

YES_NO = ("yes", "no")


def test_tally_and_mode() -> None:
    votes = [Vote("a", 100, "yes"), Vote("b", 50, "yes"), Vote("c", 60, "no"), Vote("d", 40, None)]
    stakes = S.tally(votes, YES_NO)
    assert stakes == {"yes": 150, "no": 60}
    assert S.weighted_mode(stakes, 100) == "yes"
    assert S.weighted_mode(stakes, 210) == "yes"  # quorum met exactly
    assert S.weighted_mode(stakes, 211) is None  # one unit short: no answer
    assert S.weighted_mode({"yes": 70, "no": 70}, 1) is None  # a tie is no answer
    assert S.weighted_mode({"yes": 0, "no": 0}, 1) is None
    # stake weight, not head count: one large voter beats two small ones
    assert (
        S.weighted_mode(
            S.tally([Vote("a", 3, "no"), Vote("b", 1, "yes"), Vote("c", 1, "yes")], YES_NO), 1
        )
        == "no"
    )


def test_settlement_hand_computed() -> None:
    """slash 10 %, non-reveal 20 %: carol ⌈6.0⌉ = 6, dave ⌈8.0⌉ = 8; pool 14 over 150
    coherent stake: a ⌊9.33⌋ = 9, b ⌊4.67⌋ = 4; dust 14 − 13 = 1."""
    votes = [Vote("a", 100, "yes"), Vote("b", 50, "yes"), Vote("c", 60, "no"), Vote("d", 40, None)]
    result = S.settle(votes, YES_NO, 100, 1_000, 2_000)
    assert result.answer == "yes"
    assert result.tally == (("yes", 150), ("no", 60))
    assert result.revealed_stake == 210
    assert result.payouts == (
        Payout("a", 100, 0, 9),
        Payout("b", 50, 0, 4),
        Payout("c", 60, 6, 0),
        Payout("d", 40, 8, 0),
    )
    assert [p.paid for p in result.payouts] == [109, 54, 54, 32]
    assert result.to_treasury == 1


def test_slashes_round_up_rewards_round_down() -> None:
    # 15 × 10 % = 1.5 → 2 taken; the pool of 2 over coherent stakes 1 and 2 → 0 and 1
    votes = [Vote("a", 1, "yes"), Vote("b", 2, "yes"), Vote("c", 15, "no"), Vote("d", 20, "yes")]
    result = S.settle(votes, YES_NO, 1, 1_000, 0)
    assert result.answer == "yes"
    assert [p.slashed for p in result.payouts] == [0, 0, 2, 0]
    # pool 2 over 23 coherent: ⌊2/23⌋ = 0, ⌊4/23⌋ = 0, ⌊40/23⌋ = 1; 1 unit of dust
    assert [p.reward for p in result.payouts] == [0, 0, 0, 1]
    assert result.to_treasury == 1


def test_no_answer_refunds_revealers_and_slashes_non_revealers_to_the_treasury() -> None:
    votes = [Vote("a", 60, "no"), Vote("b", 30, None)]
    result = S.settle(votes, YES_NO, 100, 1_000, 2_000)
    assert result.answer is None
    assert result.payouts == (Payout("a", 60, 0, 0), Payout("b", 30, 6, 0))
    assert result.to_treasury == 6
    tie = S.settle([Vote("a", 5, "yes"), Vote("b", 5, "no")], YES_NO, 1, 10_000, 10_000)
    assert tie.answer is None and tie.to_treasury == 0
    assert [p.paid for p in tie.payouts] == [5, 5]


def test_full_slash_and_no_coherent_voter() -> None:
    # everyone who revealed is coherent; the only slash is a non-revealer's whole stake
    result = S.settle([Vote("a", 10, "no"), Vote("b", 7, None)], YES_NO, 1, 10_000, 10_000)
    assert result.answer == "no"
    assert [p.paid for p in result.payouts] == [17, 0]
    assert result.to_treasury == 0


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="answers must be a tuple of at least two"):
        S.check_answers(("yes",))
    with pytest.raises(ValueError, match="answers must be distinct"):
        S.check_answers(("yes", "yes"))
    with pytest.raises(ValueError, match="each answer must be a non-empty str"):
        S.check_answers(("yes", ""))
    with pytest.raises(ValueError, match="'a' revealed 'maybe', not one of"):
        S.tally([Vote("a", 1, "maybe")], YES_NO)
    with pytest.raises(ValueError, match="stake of 'a' must be a positive int"):
        S.tally([Vote("a", 0, "yes")], YES_NO)
    with pytest.raises(ValueError, match="quorum must be a positive int"):
        S.weighted_mode({"yes": 1}, 0)
    with pytest.raises(ValueError, match="each voter may vote once"):
        S.settle([Vote("a", 1, "yes"), Vote("a", 2, "no")], YES_NO, 1, 0, 0)
    with pytest.raises(ValueError, match="slash_bps must be an int in"):
        S.settle([], YES_NO, 1, 10_001, 0)


VOTES = st.lists(
    st.tuples(st.integers(1, 10**6), st.sampled_from(["yes", "no", "maybe", None])),
    max_size=10,
).map(lambda xs: [Vote(f"v{i}", s, a) for i, (s, a) in enumerate(xs)])


@given(
    votes=VOTES,
    quorum=st.integers(1, 3 * 10**6),
    slash_bps=st.integers(0, 10_000),
    nonreveal_bps=st.integers(0, 10_000),
)
def test_settlement_conserves_and_follows_the_rules(
    votes: list[Vote], quorum: int, slash_bps: int, nonreveal_bps: int
) -> None:
    answers = ("yes", "no", "maybe")
    result = S.settle(votes, answers, quorum, slash_bps, nonreveal_bps)
    # conservation, to the unit
    assert sum(p.paid for p in result.payouts) + result.to_treasury == sum(v.stake for v in votes)
    stakes = dict(result.tally)
    for v, p in zip(votes, result.payouts, strict=True):
        assert (p.voter, p.stake) == (v.voter, v.stake)
        assert 0 <= p.slashed <= p.stake and p.reward >= 0
        if v.answer is None:
            assert p.slashed == -(-v.stake * nonreveal_bps // 10_000)
        elif result.answer is None or v.answer == result.answer:
            assert p.slashed == 0  # coherent voters (or everyone, with no answer) lose nothing
        else:
            assert p.slashed == -(-v.stake * slash_bps // 10_000) and p.reward == 0
    if result.answer is not None:
        assert result.revealed_stake >= quorum
        assert all(stakes[result.answer] > s for a, s in stakes.items() if a != result.answer)
        coherent = [
            p for v, p in zip(votes, result.payouts, strict=True) if v.answer == result.answer
        ]
        pool = sum(p.slashed for p in result.payouts)
        assert result.to_treasury < max(1, len(coherent))  # dust: under a unit per payee
        assert sum(p.reward for p in coherent) == pool - result.to_treasury
    else:
        assert all(p.reward == 0 for p in result.payouts)
        assert result.to_treasury == sum(p.slashed for p in result.payouts)
