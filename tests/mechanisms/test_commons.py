"""The GovSim fishery's pure dynamics against hand-derived numbers and the closed form."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms import commons as M
from accord.mechanisms.commons import GOVSIM, Commons


def test_govsim_constants_and_threshold() -> None:
    # GovSim shows 10 per fisher on a full lake: (100 // 2) // 5
    assert M.threshold(GOVSIM, 100) == 10
    assert M.threshold_total(GOVSIM, 100) == 50
    assert M.threshold(GOVSIM, 60) == 6  # (60 - 30) // 5
    assert M.threshold(GOVSIM, 61) == 6  # 61 - 31 = 30
    # near collapse this keeps the bound (GovSim's S // 2 = 4 would leave 4 < 5)
    assert M.threshold_total(GOVSIM, 8) == 3
    assert M.threshold_total(GOVSIM, 10) == 5  # from 2m on both agree
    assert M.threshold_total(GOVSIM, 4) == 0


def test_regrowth_and_collapse() -> None:
    assert M.regrow(GOVSIM, 30) == 60
    assert M.regrow(GOVSIM, 50) == 100
    assert M.regrow(GOVSIM, 70) == 100  # capped
    assert M.regrow(GOVSIM, 0) == 0
    assert M.collapsed(GOVSIM, 4) and not M.collapsed(GOVSIM, 5)
    with pytest.raises(ValueError, match="stock"):
        M.regrow(GOVSIM, 101)
    with pytest.raises(ValueError, match="stock"):
        M.regrow(GOVSIM, True)


def test_rounds() -> None:
    # five greedy asks for the whole lake: the first served takes it all, the lake dies
    greedy = M.play_round(GOVSIM, 100, [100] * 5)
    assert greedy == M.RoundOutcome((100, 0, 0, 0, 0), 0, True, 0)
    # everyone at the threshold: 50 caught, 50 left, back to 100
    assert M.play_round(GOVSIM, 100, [10] * 5) == M.RoundOutcome((10,) * 5, 50, False, 100)
    # batch: pro rata (by hand: 100 * ask / 207, remainders 64, 32, 102, 137, 79)
    assert M.pro_rata(100, [100, 50, 30, 20, 7]) == (48, 24, 15, 10, 3)
    assert M.play_round(GOVSIM, 100, [100] * 5, batch=True).catches == (20,) * 5
    assert M.serve(10, [4, 4, 4]) == (4, 4, 2)
    with pytest.raises(ValueError, match="asks"):
        M.serve(10, [1, -1])


def test_optimum_govsim() -> None:
    # W* = S1 + (T - 1)(C - k) - m = 100 + 11 * 50 - 5
    assert M.optimal_welfare(GOVSIM) == 645
    assert M.optimal_welfare(GOVSIM, sustain=False) == 650
    path = M.optimal_path(GOVSIM)
    assert path.harvests == (50,) * 11 + (95,)
    assert path.stocks == (100,) * 12
    assert path.welfare == 645
    assert M.optimal_path(GOVSIM, sustain=False).harvests[-1] == 100


def test_optimum_from_a_small_stock() -> None:
    # 20 -> wait -> 40 -> wait -> 80, catch 30 (leave 50) -> 100, then 50 a round, 95 last
    c = Commons(initial=20)
    path = M.optimal_path(c)
    assert path.harvests == (0, 0, 30) + (50,) * 8 + (95,)
    assert path.welfare == 525 == M.optimal_welfare(c)
    assert sum(path.harvests) == path.welfare


def test_gini() -> None:
    assert M.gini([100, 0, 0, 0, 0]) == pytest.approx(0.8)  # (n - 1) / n
    assert M.gini([20] * 5) == 0.0
    assert M.gini([1, 2, 3]) == pytest.approx(8 / 36)  # sum |xi - xj| / (2 n^2 mean)
    assert M.gini([]) == 0.0 and M.gini([0, 0]) == 0.0


def test_bad_constants() -> None:
    with pytest.raises(ValueError, match="growth"):
        Commons(growth=1)
    with pytest.raises(ValueError, match="initial"):
        Commons(initial=101)
    with pytest.raises(ValueError, match="fishers"):
        Commons(fishers=0)


@st.composite
def commons(draw: st.DrawFn) -> Commons:
    cap = draw(st.integers(1, 40))
    return Commons(
        fishers=draw(st.integers(1, 6)),
        capacity=cap,
        initial=draw(st.integers(0, cap)),
        growth=draw(st.integers(2, 4)),
        collapse_below=draw(st.integers(0, min(8, cap))),
        rounds=draw(st.integers(1, 6)),
    )


@settings(max_examples=150, deadline=None)
@given(commons(), st.booleans())
def test_closed_form_equals_the_dynamic_programme(c: Commons, sustain: bool) -> None:
    path = M.optimal_path(c, sustain=sustain)
    if c.initial >= c.keep:  # the telescoped closed form (module docstring)
        last = c.collapse_below if sustain else 0
        want = (
            c.initial - last
            if c.rounds == 1
            else c.initial + (c.rounds - 1) * (c.capacity - c.keep) - last
        )
        assert path.welfare == want
    assert M.optimal_welfare(c, sustain=sustain) == path.welfare
    # the path is feasible and earns what it claims
    stock = c.initial
    for k, h in enumerate(path.harvests):
        assert path.stocks[k] == stock and 0 <= h <= stock
        left = stock - h
        if sustain and c.initial >= c.collapse_below:
            assert left >= c.collapse_below
        stock = M.regrow(c, left)
    assert sum(path.harvests) == path.welfare


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 500), st.lists(st.integers(0, 300), min_size=1, max_size=8))
def test_allocations_conserve(stock: int, asks: list[int]) -> None:
    for got in (M.serve(stock, asks), M.pro_rata(stock, asks)):
        assert sum(got) == min(stock, sum(asks))
        assert all(0 <= g <= a for g, a in zip(got, asks, strict=True))
