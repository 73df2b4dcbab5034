"""Bilateral-trade bidders: the equilibrium bidder plays Chatterjee & Samuelson's linear
strategies, the truthful one its type; reports are rounded and clamped; bad input is a
one-line ValueError."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.agents.bargaining import EquilibriumBidder, TruthfulBidder, make_bidder
from accord.mechanisms.bargaining import AGV, KDoubleAuction, UniformPrior

U = UniformPrior(0.0, 1.0)
DA = KDoubleAuction(0.5).bind(U, U)


@given(v=st.floats(0, 1))
def test_equilibrium_bidders_shade_by_the_linear_strategies(v: float) -> None:
    assert EquilibriumBidder("buyer", DA).message(v) == pytest.approx(2 * v / 3 + 1 / 12)
    assert EquilibriumBidder("seller", DA).message(v) == pytest.approx(2 * v / 3 + 1 / 4)
    assert TruthfulBidder("buyer").message(v) == v
    # in a direct mechanism whose truth is an equilibrium, the two coincide
    assert EquilibriumBidder("seller", AGV().bind(U, U)).message(v) == v


def test_reports_round_to_the_nearest_unit_and_stay_in_range() -> None:
    b = EquilibriumBidder("buyer", DA)
    assert b.report(0.5, 1000, 0, 1000) == 417  # 2/3·0.5 + 1/12 = 0.41666…
    assert TruthfulBidder("seller").report(0.9996, 1000, 0, 1000) == 1000
    assert TruthfulBidder("seller").report(3.0, 1000, 0, 1000) == 1000
    assert TruthfulBidder("seller").report(-3.0, 1000, 0, 1000) == 0


@given(value=st.sampled_from([math.nan, math.inf, -math.inf, "1", None, True]))
def test_hostile_values(value: Any) -> None:
    for bidder in (TruthfulBidder("buyer"), EquilibriumBidder("seller", DA)):
        with pytest.raises(ValueError, match="value must be a finite real number"):
            bidder.message(value)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: TruthfulBidder("broker"), "role must be"),  # type: ignore[arg-type]
        (lambda: EquilibriumBidder("buyer"), "needs a bound Rule"),
        (lambda: EquilibriumBidder("buyer", "rule"), "needs a bound Rule"),  # type: ignore[arg-type]
        (lambda: make_bidder("liar", "buyer", DA), "bidders must be one of"),
        (lambda: TruthfulBidder("buyer").report(0.5, 0, 0, 10), "scale must be"),
        (lambda: TruthfulBidder("buyer").report(0.5, 10, 5, 1), "report range"),
        (lambda: TruthfulBidder("buyer").report(0.5, 10, 0.0, 1), "report range"),  # type: ignore[arg-type]
    ],
)
def test_bad_construction(call: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match) as exc:
        call()
    assert "\n" not in str(exc.value)
