"""The CFMM Pigou network against its closed form, and the η and fee variants."""

from __future__ import annotations

import math

import pytest

from accord.mechanisms.congestion import (
    cfmm_braess,
    cfmm_pigou,
    cfmm_pigou_closed_form,
    price_of_anarchy,
)


@pytest.mark.parametrize("eta", [0.0, 0.05, 0.1, 0.2, 0.3, 0.45, 0.5, 0.7])
def test_kulkarni_pigou_matches_its_closed_form(eta: float) -> None:
    """Kulkarni, Diamandis & Chitra's Pigou: x_eq = 1 − 2η, x_opt = √(2(1−η)) − 1,
    PoA = 1/(s(2 − s)) with s = √(2(1 − η)) for η ≤ ½, 1 beyond."""
    s = math.sqrt(2.0 * (1.0 - eta))
    x_eq, x_opt = max(1.0 - 2.0 * eta, 0.0), max(s - 1.0, 0.0)
    poa = 1.0 / (s * (2.0 - s)) if eta <= 0.5 else 1.0
    closed = cfmm_pigou_closed_form(eta=eta)
    assert closed.x_eq == pytest.approx(x_eq, abs=1e-15)
    assert closed.x_opt == pytest.approx(x_opt, abs=1e-15)
    assert closed.cost_eq == pytest.approx(0.5, abs=1e-15)
    assert closed.poa == pytest.approx(poa, rel=1e-14)
    result = price_of_anarchy(cfmm_pigou(eta=eta))
    assert result.equilibrium.edge_flow[0] == pytest.approx(x_eq, abs=1e-6)
    assert result.optimum.edge_flow[0] == pytest.approx(x_opt, abs=1e-6)
    assert result.equilibrium.total_cost == pytest.approx(0.5, abs=1e-10)
    low, high = result.poa_bounds
    assert low <= poa * (1 + 1e-12) and poa <= high * (1 + 1e-12)
    assert high - low < 1e-5
    assert result.value_ratio == pytest.approx(closed.value_ratio(1.0), rel=1e-9)


def test_kulkarni_pigou_at_zero_eta() -> None:
    closed = cfmm_pigou_closed_form()
    assert closed.poa == pytest.approx((1 + math.sqrt(2)) / 2, rel=1e-14)
    assert closed.value_ratio(1.0) == pytest.approx(4 - 2 * math.sqrt(2), rel=1e-14)


@pytest.mark.parametrize(
    ("reserve", "gamma", "link", "eta", "demand"),
    [
        (1.0, 0.997, 0.01, 0.0, 1.0),
        (10.0, 0.997, 0.05, 0.0, 2.0),
        (10.0, 0.99, 0.05, 0.02, 2.0),
        (3.0, 1.0, 0.2, 0.1, 5.0),
        (2.0, 0.95, 0.3, 0.0, 0.5),  # all on the pool at the equilibrium
    ],
)
def test_fee_and_link_variants_match_the_closed_form(
    reserve: float, gamma: float, link: float, eta: float, demand: float
) -> None:
    kw = {"reserve": reserve, "gamma": gamma, "link": link, "eta": eta, "demand": demand}
    closed = cfmm_pigou_closed_form(**kw)
    result = price_of_anarchy(cfmm_pigou(**kw))
    assert result.equilibrium.edge_flow[0] == pytest.approx(closed.x_eq, abs=1e-6 * demand)
    assert result.optimum.edge_flow[0] == pytest.approx(closed.x_opt, abs=1e-6 * demand)
    assert result.equilibrium.total_cost == pytest.approx(closed.cost_eq, rel=1e-9)
    assert result.optimum.total_cost == pytest.approx(closed.cost_opt, rel=1e-9)
    low, high = result.poa_bounds
    assert low <= closed.poa * (1 + 1e-12) and closed.poa <= high * (1 + 1e-12)


def test_closed_form_refuses_a_link_that_loses_everything() -> None:
    with pytest.raises(ValueError, match="link"):
        cfmm_pigou_closed_form(link=1.0)


def test_sandwich_loss_removes_the_braess_paradox() -> None:
    """At η = 0 selfish traders crowd the deep shortcut pool (PoA > 1); at η = 0.2 the
    sandwich on every hop makes the three-hop path dear and the equilibrium optimal."""
    base = price_of_anarchy(cfmm_braess())
    hit = price_of_anarchy(cfmm_braess(eta=0.2))
    assert base.poa_bounds[0] > 1.15
    assert base.equilibrium.edge_flow[4] > 0.9
    assert hit.poa_bounds[1] < 1.0 + 1e-5
    assert hit.equilibrium.edge_flow[4] == pytest.approx(0.0, abs=1e-9)
