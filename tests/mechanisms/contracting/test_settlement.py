"""settle_step and payments: deposits, fees, exhaustion, conservation."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.mechanisms.contracting import (
    Book,
    ContractError,
    ContractSpace,
    cleanup_space,
    fishery_space,
    flows,
    matrix_space,
    payments,
    settle_step,
    settle_steps,
    transfers,
    unilateral_space,
)

SPACES = (
    matrix_space(50),
    fishery_space(20, 9, 100),
    cleanup_space(7, 10),
    unilateral_space(3, 40, feature_max=5),
)


def test_covered_step_moves_exactly_the_transfers() -> None:
    done = settle_step((-7, 3, 4), (10, 5, 0))
    assert done == ((0, 0, 0), (-7, 3, 4), (3, 5, 0), False)


def test_short_payer_pays_what_is_left_and_receivers_share_pro_rata() -> None:
    # owed 7, only 5 left: receivers owed 3 and 4 get floor(15/7)=2 and floor(20/7)=2,
    # the one unit left to the first receiver
    done = settle_step((-7, 3, 4), (5, 0, 0))
    assert done == ((0, 0, 0), (-5, 3, 2), (0, 0, 0), True)


def test_fees_come_first() -> None:
    done = settle_step((-4, 4), (5, 9), (2, 0))
    assert done == ((2, 0), (-3, 3), (0, 9), True)
    assert settle_step((0, 0), (1, 1), (2, 0)).exhausted


def test_bad_inputs() -> None:
    with pytest.raises(ContractError, match="sum to 0"):
        settle_step((1, 0), (1, 1))
    with pytest.raises(ContractError, match="net must have 2"):
        settle_step((1, -1, 0), (1, 1))
    with pytest.raises(ContractError, match="left"):
        settle_step((1, -1), (1, -1))


@given(
    st.lists(st.integers(-1000, 1000), min_size=2, max_size=10).map(
        lambda xs: (*xs[:-1], -sum(xs[:-1]))
    ),
    st.data(),
)
def test_settlement_conserves(net: tuple[int, ...], data: st.DataObject) -> None:
    n = len(net)
    left = tuple(data.draw(st.lists(st.integers(0, 3000), min_size=n, max_size=n)))
    fees = tuple(data.draw(st.lists(st.integers(0, 50), min_size=n, max_size=n)))
    done = settle_step(net, left, fees)
    assert sum(done.transfers) == 0
    for i in range(n):
        # what left i's deposit is exactly what it paid
        assert left[i] - done.left[i] == done.fees[i] + max(0, -done.transfers[i])
        assert 0 <= done.fees[i] <= fees[i] and done.left[i] >= 0
        assert (done.transfers[i] >= net[i]) if net[i] < 0 else (0 <= done.transfers[i] <= net[i])
    covered = all(max(0, -t) + f <= d for t, f, d in zip(net, fees, left, strict=True))
    assert done.exhausted == (not covered)
    if covered:
        assert done.transfers == net
    moves = payments(done.transfers)
    assert len(moves) <= max(0, sum(1 for t in done.transfers if t) - 1)
    got = [0] * n
    for payer, receiver, amount in moves:
        assert amount > 0 and done.transfers[payer] < 0 < done.transfers[receiver]
        got[payer] -= amount
        got[receiver] += amount
    assert tuple(got) == done.transfers


@given(
    st.lists(st.integers(0, 500), min_size=2, max_size=8),
    st.data(),
)
def test_flows_realise_outflows_and_inflows(out: list[int], data: st.DataObject) -> None:
    n = len(out)
    total = sum(out)
    cuts = sorted(data.draw(st.lists(st.integers(0, total), min_size=n - 1, max_size=n - 1)))
    into = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
    moves = flows(out, into)
    took, got = [0] * n, [0] * n
    for payer, receiver, amount in moves:
        assert amount > 0
        took[payer] += amount
        got[receiver] += amount
    assert took == out and got == into
    assert len(moves) <= sum(1 for a in out if a) + sum(1 for a in into if a)


@given(st.sampled_from(SPACES), st.integers(2, 4), st.data())
def test_settle_steps_is_settle_step_repeated(
    space: ContractSpace, n: int, data: st.DataObject
) -> None:
    params = tuple(data.draw(st.integers(p.low, min(p.high, 30))) for p in space.params)
    rows = data.draw(
        st.lists(
            st.lists(st.integers(0, min(space.feature_max, 6)), min_size=n, max_size=n),
            max_size=12,
        )
    )
    left = tuple(data.draw(st.lists(st.integers(0, 200), min_size=n, max_size=n)))
    fees = tuple(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    batch = settle_steps(space, params, rows, left, fees)
    rest, want = left, []
    for row in rows:
        step = settle_step(transfers(space, params, row), rest, fees)
        want.append(step)
        rest = step.left
        if step.exhausted:
            break
    assert list(batch.steps) == want and batch.left == rest
    assert batch.exhausted == (bool(want) and want[-1].exhausted)
    for i in range(n):
        assert batch.outflows[i] == sum(max(0, -s.transfers[i]) for s in want)
        assert batch.inflows[i] == sum(max(0, s.transfers[i]) for s in want)
        assert batch.fees[i] == sum(s.fees[i] for s in want)
        assert left[i] - batch.left[i] == batch.outflows[i] + batch.fees[i]


def test_settle_steps_names_the_bad_row() -> None:
    pd = matrix_space(5)
    with pytest.raises(ContractError, match="row 1: feature of party 0"):
        settle_steps(pd, (2,), [(0, 1), (2, 0)], (10, 10), (0, 0))


@pytest.mark.parametrize(
    ("left", "fees", "match"),
    [
        ((10,), (0,), "at least 2 parties"),
        ((10, -1), (0, 0), "left must be non-negative"),
        ((10, 1.0), (0, 0), "left must be non-negative"),
        ((10, True), (0, 0), "left must be non-negative"),
        ((10, 10), (0,), "fees must have 2"),
        ((10, 10), (0, float("nan")), "fees must be non-negative"),
    ],
)
def test_book_refuses_bad_deposits_and_fees(
    left: tuple[Any, ...], fees: tuple[Any, ...], match: str
) -> None:
    with pytest.raises(ContractError, match=match):
        Book(matrix_space(5), (2,), left, fees)


def test_book_settles_step_after_step() -> None:
    book = Book(matrix_space(5), (4,), (6, 6), (1, 0))
    assert book.step((1, 0)) == ((1, 0), (-4, 4), (1, 6), False)
    assert book.step((1, 0)) == ((1, 0), (0, 0), (0, 6), True)
    with pytest.raises(ContractError, match="feature of party 1"):
        book.step((0, 7))
