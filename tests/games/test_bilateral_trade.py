"""The bilateral_trade game: each draw settles through a Mediator on the device, exactly as
the library's rule decides on the same reports (to the unit the device rounds to), and
the metrics say what theory says each mechanism gives up."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from accord.device import DeviceConfig
from accord.games.base import get_game
from accord.games.bilateral_trade import BilateralTradeParams, mechanism_of, play
from accord.mechanisms.bargaining import UniformPrior, bind, expected_outcome

CONFIG = DeviceConfig(signatures="mac")
MECHANISMS = ["k_double_auction", "posted_price", "second_best", "first_best", "vcg", "agv"]


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_device_settles_what_the_library_decides(mechanism: str) -> None:
    p = BilateralTradeParams(mechanism=mechanism, draws=25, scale=1000)
    result = play(p, CONFIG, seed=5)
    u = UniformPrior(0.0, 1.0)
    rule = bind(mechanism_of(p, u, u), u, u)
    unit = 1 / p.scale
    for row in result.tables["draws"]:
        lib = rule.settle(np.array([row["bid"]]), np.array([row["ask"]]))
        assert bool(lib.trade[0]) == bool(row["trade"]), row
        if mechanism == "second_best":
            continue  # same allocation; the mediator's transfers are the ex-post IR ones
        # the device rounds a payment up and a receipt down, each by less than a unit
        assert -1e-9 <= row["paid"] - float(lib.buyer_pays[0]) < unit + 1e-9, row
        assert -1e-9 <= float(lib.seller_gets[0]) - row["got"] < unit + 1e-9, row
    assert result.metrics["on_device"] == 1 and result.blocks >= 3 * p.draws


def test_what_each_mechanism_gives_up_shows_in_the_metrics() -> None:
    m = {
        name: play(BilateralTradeParams(mechanism=name, draws=40), CONFIG, 2).metrics
        for name in MECHANISMS
    }
    for name in ("first_best", "vcg", "agv"):
        assert m[name]["efficiency"] == 1.0
    for name in ("k_double_auction", "second_best", "posted_price"):
        assert m[name]["efficiency"] < 1.0
        assert m[name]["ir_violations"] == 0
        assert m[name]["deficit"] <= 0  # only rounding dust, kept by the protocol
    assert m["vcg"]["deficit"] == pytest.approx(m["vcg"]["first_best_gains"], abs=2e-3)
    assert m["agv"]["ir_violations"] > 0 and m["agv"]["ir_violation"] > 0.05
    assert abs(m["agv"]["deficit"]) <= 2e-3  # balanced up to the units rounded to the sink
    # the k-DA and the second best trade on the same draws (same allocation on U[0,1]²)
    assert m["k_double_auction"]["p_trade"] == m["second_best"]["p_trade"]


def test_theory_metrics_are_the_quadrature() -> None:
    p = BilateralTradeParams(mechanism="vcg", draws=2, buyer_high=2.0, seller_high=1.5)
    metrics = play(p, CONFIG, 0).metrics
    want = expected_outcome(
        mechanism_of(p, UniformPrior(0, 2), UniformPrior(0, 1.5)),
        UniformPrior(0, 2),
        UniformPrior(0, 1.5),
    )
    assert metrics["theory_gains"] == want.gains and metrics["theory_deficit"] == want.deficit


def test_same_seed_same_run_other_seed_other_draws() -> None:
    p = BilateralTradeParams(mechanism="agv", draws=10)
    a, b = play(p, CONFIG, 9), play(p, CONFIG, 9)
    assert a.state_hash == b.state_hash and a.metrics == b.metrics
    assert play(p, CONFIG, 10).state_hash != a.state_hash


def test_off_device_settles_through_the_library_on_any_intervals() -> None:
    p = BilateralTradeParams(
        mechanism="second_best", draws=400, buyer_low=-1.0, buyer_high=2.0, settlement="off_device"
    )
    metrics = play(p, CONFIG, 1).metrics
    assert metrics["on_device"] == 0
    assert abs(metrics["p_trade"] - metrics["theory_p_trade"]) < 4 * math.sqrt(0.25 / 400)
    with pytest.raises(ValueError, match="same buyer and seller interval"):
        play(BilateralTradeParams(mechanism="second_best", draws=2, buyer_high=2.0), CONFIG, 1)


def test_registered() -> None:
    game = get_game("bilateral_trade")
    assert set(game.glossary) >= {"efficiency", "p_trade", "ir_violations", "deficit", "gains"}


bad = st.sampled_from([math.nan, math.inf, -math.inf, "x", None, [1]])


@given(
    field=st.sampled_from(["k", "price", "buyer_low", "buyer_high", "seller_low", "seller_high"]),
    value=bad,
)
def test_hostile_params_are_refused(field: str, value: Any) -> None:
    if field == "price" and value is None:
        return  # None: the best posted price
    with pytest.raises(ValidationError):
        BilateralTradeParams(**{field: value})


@given(
    field=st.sampled_from(["draws", "scale"]),
    value=st.one_of(st.booleans(), st.text(max_size=4), st.floats(), st.just([40])),
)
def test_hostile_counts_are_refused(field: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        BilateralTradeParams(**{field: value})


@pytest.mark.parametrize(
    "kwargs",
    [
        {"buyer_low": 1.0, "buyer_high": 0.5},
        {"seller_low": 0.3, "seller_high": 0.3},
        {"buyer_low": -1.0},
        {"k": 1.5},
        {"k": -0.1},
        {"draws": 0},
        {"draws": 10**9},
        {"scale": 1},
        {"mechanism": "magic"},
        {"bidders": "liars"},
        {"settlement": "moon"},
        {"unknown": 1},
    ],
)
def test_bad_params_name_the_problem(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        BilateralTradeParams(**kwargs)
    assert str(next(iter(kwargs)))[:5] in str(exc.value) or "interval" in str(exc.value)
