"""Court arithmetic (``accord.mechanisms.court``): the formulas against worked examples
computed by hand, and conservation (every unit paid in is paid out) under Hypothesis."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.mechanisms import court as K
from accord.mechanisms.court import Contribution, JurorVotes


# -- rounds and costs ------------------------------------------------------------------
def test_jurors_double_plus_one() -> None:
    assert [K.jurors_in_round(r) for r in range(6)] == [3, 7, 15, 31, 63, 127]
    assert K.next_round_jurors(3) == 7 and K.next_round_jurors(31) == 63
    assert K.jurors_in_round(2, first=5) == 23  # 5 -> 11 -> 23
    assert K.max_rounds(63) == 5 and K.max_rounds(62) == 4 and K.max_rounds(3) == 1
    assert K.total_draws(63) == 3 + 7 + 15 + 31 + 63 == 119
    with pytest.raises(ValueError, match="below the first round"):
        K.max_rounds(2)


def test_costs_are_fee_per_juror_times_jurors() -> None:
    assert K.arbitration_cost(1_000) == 3_000
    assert K.appeal_cost(1_000, 3) == 7_000
    assert K.appeal_cost(1_000, 7) == 15_000
    assert K.appeal_cost(37, 31) == 37 * 63 == 2_331
    assert K.appeal_possible(31, 63) and not K.appeal_possible(63, 63)
    for bad in (-1, 1.5, True, None):
        with pytest.raises(ValueError):
            K.appeal_cost(bad, 3)  # type: ignore[arg-type]


# -- crowdfunding ----------------------------------------------------------------------
def test_required_funding_with_the_multipliers() -> None:
    # winner: 1x stake, 2x the cost in all; loser: 2x stake, 3x in all
    assert K.multiplier_bps(1, winner=1, tied=False) == 10_000
    assert K.multiplier_bps(2, winner=1, tied=False) == 20_000
    assert K.multiplier_bps(2, winner=1, tied=True) == 10_000  # a tie: all are winners
    assert K.required(7_000, 10_000) == 14_000
    assert K.required(7_000, 20_000) == 21_000
    assert K.required(7, 5_000) == 10  # 7 + 35_000 // 10_000 = 7 + 3


def test_the_loser_has_half_the_period() -> None:
    assert K.loser_deadline(100, 110) == 105
    assert K.loser_deadline(100, 103) == 101  # 3 * 5_000 // 10_000 = 1
    assert K.may_fund(104, 100, 110, loser=True) == ""
    assert "first half" in K.may_fund(105, 100, 110, loser=True)
    assert K.may_fund(109, 100, 110, loser=False) == ""
    assert "appeal period" in K.may_fund(110, 100, 110, loser=False)
    assert "appeal period" in K.may_fund(99, 100, 110, loser=False)


def test_take_caps_and_refunds() -> None:
    assert K.take(14_000, 10_000, 9_000) == (4_000, 5_000)
    assert K.take(14_000, 0, 500) == (500, 0)
    assert K.min_contribution(14_000, 0, 8) == 1_750
    assert K.min_contribution(14_000, 13_000, 8) == 1_000  # all that is missing


def _settle_example(final: int) -> tuple[tuple[int, ...], int]:
    # cost 7,000; winner 1 funded by alice 10,000 + bob 4,000 = 14,000 (1x); loser 2 funded
    # by carol 21,000 (2x); dave's 500 to choice 3 never filled it
    entries = [
        Contribution("alice", 1, 10_000),
        Contribution("bob", 1, 4_000),
        Contribution("carol", 2, 21_000),
        Contribution("dave", 3, 500),
    ]
    done = K.settle(entries, (1, 2), 7_000, final)
    assert done.rewards == 14_000 + 21_000 - 7_000 == 28_000
    return done.payouts, done.dust


def test_settle_worked_examples() -> None:
    # the winner stands: its funders share 28,000 pro rata (2x their money); carol loses
    assert _settle_example(1) == ((20_000, 8_000, 0, 500), 0)
    # the appeal overturns it: carol's 21,000 comes back as 28,000
    assert _settle_example(2) == ((0, 0, 28_000, 500), 0)
    # a third ruling nobody funded: both sides share 28,000 pro rata to 35,000 paid
    assert _settle_example(3) == ((8_000, 3_200, 16_800, 500), 0)
    # rounding: 10 shared by three equal funders of the winner: 3 each, 1 unit of dust
    three = [Contribution(n, 1, 1) for n in ("a", "b", "c")]
    assert K.settle([*three, Contribution("d", 2, 9)], (1, 2), 2, 1) == ((3, 3, 3, 0), 1, 10)
    # only one side funded (no appeal): it wins, its funders are refunded
    assert K.settle([Contribution("a", 2, 21)], (2,), 0, 2).payouts == (21,)


# -- votes and coherence -----------------------------------------------------------------
def test_tally_is_plurality_and_ties_rule_zero() -> None:
    assert K.tally([0, 2, 1]) == ((0, 2, 1), 1, False)
    assert K.tally([0, 2, 1]).ruling == 1
    assert K.tally([0, 0, 0]).tied and K.tally([0, 0, 0]).ruling == 0
    assert K.tally([0, 2, 2]).tied and K.tally([0, 2, 2]).ruling == 0
    assert K.tally([3, 1, 2]).ruling == 0 and not K.tally([3, 1, 2]).tied  # refusal won


def test_settle_round_worked_examples() -> None:
    assert K.at_stake(1_000, 2_000) == 200
    # three draws: juror A drawn twice votes 1, B once votes 2; final 1
    pay = K.settle_round([JurorVotes(2, 1), JurorVotes(1, 2)], 200, 3_000, 1, False)
    assert pay == ((0, 200), (3_000, 0), (200, 0), 0, 0, 2)
    # seven draws, four coherent: 7,000 / 4 = 1,750 each; 3 x 200 = 600 / 4 = 150 each
    jurors = [JurorVotes(1, 1)] * 4 + [JurorVotes(1, 2), JurorVotes(1, None), JurorVotes(1, 0)]
    pay = K.settle_round(jurors, 200, 7_000, 1, False)
    assert pay.fee_rewards == (1_750,) * 4 + (0,) * 3
    assert pay.stake_rewards == (150,) * 4 + (0,) * 3
    assert pay.penalties == (0,) * 4 + (200,) * 3
    assert (pay.fee_dust, pay.stake_dust, pay.coherent_draws) == (0, 0, 4)
    # rounding: 1,000 among three coherent draws: 333 each, 1 to the treasury; 200 / 3
    pay = K.settle_round([JurorVotes(3, 2), JurorVotes(1, 1)], 200, 1_000, 2, False)
    assert pay.fee_rewards == (999, 0) and pay.fee_dust == 1
    assert pay.stake_rewards == (198, 0) and pay.stake_dust == 2
    # the lone voice of reason: one coherent juror of seven takes the round's 7,000 and
    # the six others' 6 x 200 penalties
    lone = [JurorVotes(1, 2)] + [JurorVotes(1, 1)] * 6
    pay = K.settle_round(lone, 200, 7_000, 2, False)
    assert pay.fee_rewards[0] == 7_000 and pay.stake_rewards[0] == 1_200
    assert pay.penalties == (0,) + (200,) * 6 and (pay.fee_dust, pay.stake_dust) == (0, 0)
    # nobody coherent: every fee and penalty to the treasury
    pay = K.settle_round([JurorVotes(2, None), JurorVotes(1, 2)], 200, 3_000, 1, False)
    assert pay == ((400, 200), (0, 0), (0, 0), 3_000, 600, 0)
    # a tie: every revealed vote is coherent, the unrevealed one is not
    pay = K.settle_round(
        [JurorVotes(1, 1), JurorVotes(1, 2), JurorVotes(1, None)], 200, 3_000, 0, True
    )
    assert pay.penalties == (0, 0, 200) and pay.fee_rewards == (1_500, 1_500, 0)


# -- the sum tree ------------------------------------------------------------------------
def _tree(weights: list[int], capacity: int) -> defaultdict[int, int]:
    store: defaultdict[int, int] = defaultdict(int)
    for slot, w in enumerate(weights):
        K.set_weight(store, capacity, slot, w)
    return store


def test_sum_tree_locates_by_cumulative_weight() -> None:
    store = _tree([10, 30, 60], 4)
    assert K.total(store) == 100
    where = {p: K.locate(store, 4, p) for p in (0, 9, 10, 39, 40, 99)}
    assert where == {0: 0, 9: 0, 10: 1, 39: 1, 40: 2, 99: 2}
    K.set_weight(store, 4, 1, 0)
    assert K.total(store) == 70 and K.locate(store, 4, 10) == 2
    with pytest.raises(ValueError):
        K.locate(store, 4, 70)
    assert K.depth(1024) == 10
    for bad in (0, 1, 3, 1000, 2**21, True):
        with pytest.raises(ValueError):
            K.check_capacity(bad)


def test_draws_follow_stake_within_sampling_error() -> None:
    store = _tree([10, 30, 60, 0], 4)
    seed = K.round_seed(b"seed", b"", 0, 0, 1)
    n = 20_000
    hits = [0, 0, 0, 0]
    for i in range(n):
        hits[K.draw(store, 4, seed, i)] += 1
    assert hits[3] == 0
    for slot, share in ((0, 0.1), (1, 0.3), (2, 0.6)):
        sd = (share * (1 - share) / n) ** 0.5
        assert abs(hits[slot] / n - share) < 5 * sd, (slot, hits)


@given(
    st.lists(st.tuples(st.integers(0, 15), st.integers(0, 10**30)), min_size=1, max_size=40),
    st.integers(0, 2**64),
)
def test_sum_tree_matches_a_linear_scan(updates: list[tuple[int, int]], point: int) -> None:
    capacity = 16
    store: defaultdict[int, int] = defaultdict(int)
    weights = [0] * capacity
    for slot, w in updates:
        K.set_weight(store, capacity, slot, w)
        weights[slot] = w
    for node in range(1, capacity):
        assert store[node] == store[2 * node] + store[2 * node + 1]
    assert K.total(store) == sum(weights)
    if sum(weights) == 0:
        return
    p = point % sum(weights)
    low = 0
    for slot, w in enumerate(weights):
        if low <= p < low + w:
            assert K.locate(store, capacity, p) == slot
            break
        low += w


# -- conservation --------------------------------------------------------------------------
@given(
    st.lists(
        st.tuples(st.sampled_from("abcdef"), st.integers(0, 4), st.integers(0, 10**24)),
        max_size=30,
    ),
    st.lists(st.integers(0, 4), max_size=2, unique=True),
    st.integers(0, 4),
    st.integers(0, 10**6),
)
def test_crowdfunding_pays_out_every_unit(
    raw: list[tuple[str, int, int]], funded: list[int], final: int, cost_seed: int
) -> None:
    entries = [Contribution(*e) for e in raw]
    pot = sum(e.amount for e in entries if e.choice in funded)
    cost = cost_seed % (pot + 1) if len(funded) == 2 else 0
    done = K.settle(entries, funded, cost, final)
    assert all(p >= 0 for p in done.payouts) and done.dust >= 0
    assert sum(done.payouts) + done.dust + cost == sum(e.amount for e in entries)
    # nobody gets more than the reward pool, a winner's funder never less than its money
    # back when the loser funded at least the cost
    for e, out in zip(entries, done.payouts, strict=True):
        if e.choice not in funded:
            assert out == e.amount
    with pytest.raises(ValueError):
        K.settle(entries, funded, pot + 1, final)


@given(
    st.lists(st.tuples(st.integers(1, 20), st.none() | st.integers(0, 3)), max_size=40),
    st.integers(0, 10**6),
    st.integers(0, 10**24),
    st.integers(0, 3),
    st.booleans(),
)
def test_coherence_pays_out_every_unit(
    raw: list[tuple[int, int | None]], per_draw: int, fees: int, final: int, tied: bool
) -> None:
    jurors = [JurorVotes(*j) for j in raw]
    pay = K.settle_round(jurors, per_draw, fees, final, tied)
    assert sum(pay.fee_rewards) + pay.fee_dust == fees
    assert sum(pay.stake_rewards) + pay.stake_dust == sum(pay.penalties)
    assert pay.coherent_draws == sum(j.draws for j in jurors if K.coherent(j.vote, final, tied))
    if pay.coherent_draws:
        assert pay.fee_dust < pay.coherent_draws and pay.stake_dust < pay.coherent_draws
    else:
        assert pay.fee_dust == fees
    for j, penalty in zip(jurors, pay.penalties, strict=True):
        assert penalty == (0 if K.coherent(j.vote, final, tied) else j.draws * per_draw)


@given(st.integers(1, 10**9), st.lists(st.integers(1, 10**10), max_size=60), st.integers(1, 12))
def test_capped_contributions_fill_a_choice_in_at_most_k(
    need: int, offers: list[int], k: int
) -> None:
    paid, count = 0, 0
    for offer in offers:
        taken, refund = K.take(need, paid, offer)
        assert taken + refund == offer
        if taken == 0 or taken < K.min_contribution(need, paid, k):
            continue  # the court refuses it
        paid += taken
        count += 1
        assert paid <= need
    assert count <= k
