"""The flagship's theoretical price of anarchy: the run's pools as a routing game."""

from __future__ import annotations

import pytest

from accord.device import DeviceConfig
from accord.games.defi import Params, play
from accord.games.defi.equilibrium import poa, pool_game
from accord.mechanisms.cfmm import ProductPool, WeightedPool
from accord.mechanisms.congestion import cfmm_pigou_closed_form, price_of_anarchy

E9 = 10**9


def test_pool_game_has_two_edges_per_pool_valued_at_reference_prices() -> None:
    pools = [
        ProductPool((1_000 * E9, 2_000 * E9), 30, ("A", "B")),
        WeightedPool((4_000 * E9, 500 * E9), (80, 20), 30, ("B", "C")),
    ]
    prices = {"A": 2.0 / E9, "B": 1.0 / E9, "C": 2.0 / E9}
    game = pool_game(pools, prices, {("A", "C"): 10.0, ("C", "B"): 0.0})
    assert len(game.edges) == 4 and len(game.demands) == 1
    forward = game.edges[0].cost
    assert forward.value_in == pytest.approx(2_000.0) and forward.value_out == pytest.approx(
        2_000.0
    )
    assert forward.spot == pytest.approx(0.997)  # at reference: the fee is the whole cost
    weighted = game.edges[2].cost
    assert weighted.spot == pytest.approx(0.997)
    assert game.paths == ((0, 2),)


def test_two_pools_as_a_pigou() -> None:
    """One pool A→B against a deep pool, both at the reference: the shallow pool is a
    CFMM and the deep one nearly a constant link; PoA matches the closed form's limit."""
    pools = [
        ProductPool((E9, E9), 0, ("A", "B")),
        ProductPool((10**6 * E9, 10**6 * E9), 5_000, ("A", "B")),
    ]
    prices = {"A": 1.0 / E9, "B": 1.0 / E9}
    game = pool_game(pools, prices, {("A", "B"): 1.0})
    closed = cfmm_pigou_closed_form(link=0.5)
    assert poa(game) == pytest.approx(closed.poa, rel=1e-5)
    assert price_of_anarchy(game).poa == pytest.approx(poa(game), rel=1e-9)


def test_bad_pools_prices_and_demands_are_refused() -> None:
    three = WeightedPool((E9, E9, E9), (1, 1, 1), 30, ("A", "B", "C"))
    with pytest.raises(ValueError, match="two-token"):
        pool_game([three], {"A": 1.0, "B": 1.0, "C": 1.0}, {("A", "B"): 1.0})
    pool = ProductPool((E9, E9), 30, ("A", "B"))
    with pytest.raises(ValueError, match=r"\['B'\] with no reference price"):
        pool_game([pool], {"A": 1.0}, {("A", "B"): 1.0})
    for bad in (float("nan"), -1.0, float("inf")):
        with pytest.raises(ValueError, match="finite and non-negative"):
            pool_game([pool], {"A": 1.0, "B": 1.0}, {("A", "B"): bad})
    with pytest.raises(ValueError, match="at least one demand"):
        pool_game([pool], {"A": 1.0, "B": 1.0}, {("A", "B"): 0.0})


def test_a_run_reports_both_and_they_are_design_independent() -> None:
    params = Params(blocks=6, users=8, arrival_rate=2.0, sandwichers=1)
    rows = [play(params, DeviceConfig(ordering=o), 3).metrics for o in ("fcfs", "batch")]
    for m in rows:
        assert 1.0 <= m["wardrop_poa"] < 1.5
        assert 1.0 <= m["wardrop_poa_mev"] < 1.5
    assert rows[0]["needs"] == rows[1]["needs"] > 0  # the same needs under both designs
    assert rows[0]["wardrop_poa"] == rows[1]["wardrop_poa"]
    assert rows[0]["wardrop_poa_mev"] == rows[1]["wardrop_poa_mev"]
