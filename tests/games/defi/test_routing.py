"""The DeFi routing game: registry, parameters, metrics and their accounting.

The issue's must-holds are in tests/games/defi/test_must_hold.py (sharing its runs)."""

from __future__ import annotations

import pytest

from accord.device import DeviceConfig
from accord.games.base import get_game
from accord.games.defi.routing import DefiRouting, Params, play
from tests.games.defi.test_must_hold import SMALL, _run


def test_registered_and_deterministic() -> None:
    assert get_game("defi_routing") is DefiRouting
    a = DefiRouting().run(SMALL.model_copy(update={"blocks": 8}), DeviceConfig(), 5)
    b = DefiRouting().run(SMALL.model_copy(update={"blocks": 8}), DeviceConfig(), 5)
    assert a.state_hash == b.state_hash and a.metrics == b.metrics
    assert {"needs", "agents", "blocks"} <= set(a.tables)


def test_bad_params_name_the_key() -> None:
    with pytest.raises(ValueError, match="mix"):
        Params(mix={"lazy": 1.0})
    with pytest.raises(ValueError, match="depth_usd"):
        Params(depth_usd=(5.0, 1.0))


def test_sealed_mempool_stops_an_extracting_builder_too() -> None:
    private = _run("priority", "private", "extracting").metrics
    sealed = _run("priority", "sealed", "extracting").metrics
    assert private["sandwiches_landed"] > 0  # a private mempool only moves MEV to the builder
    assert sealed["sandwiches_landed"] == 0


@pytest.mark.parametrize(
    ("ordering", "mempool"), [("priority", "public"), ("batch", "private"), ("fcfs", "sealed")]
)
def test_metrics_are_consistent(ordering: str, mempool: str) -> None:
    r = _run(ordering, mempool)
    m = r.metrics
    rows = r.tables["needs"]
    assert len(rows) == m["needs"] == sum(m[f"needs_{k}"] for k in ("naive", "routed", "intent"))
    assert sum(row["surplus_usd"] for row in rows) == pytest.approx(m["user_surplus_usd"])
    assert sum(row["surplus_seq_usd"] for row in rows) == pytest.approx(m["user_surplus_seq_usd"])
    assert m["users_value_ideal_usd"] - m["users_value_usd"] == pytest.approx(
        -m["user_surplus_usd"]
    )
    # every dollar is somebody's: users + searchers + builder + LPs + CoW dust + CoW
    # solvers + burned = 0
    total = (
        m["users_pnl_usd"]
        + m["mev_searchers_usd"]
        + m["mev_builder_usd"]
        + m["lp_pnl_usd"]
        + m["cow_dust_usd"]
        + m["cow_solvers_usd"]
        + m["fees_burned_usd"]
    )
    if ordering == "batch":  # intents went through the CoW settlement, which kept ~no dust
        assert m["cow_dust_usd"] < 1e-3 * m["welfare_optimal_usd"]
    assert abs(total) < 1e-6 * m["welfare_optimal_usd"]
    assert m["welfare_gap_usd"] == pytest.approx(
        m["welfare_optimal_usd"] - m["welfare_realised_usd"]
    )
    assert 0 < m["welfare_realised_usd"] <= m["welfare_optimal_usd"] * 1.05
    assert m["price_of_anarchy"] == pytest.approx(
        m["welfare_optimal_usd"] / m["welfare_realised_usd"]
    )
    assert m["mev_builder_usd"] >= 0 and m["gas_used"] > 0
    assert len(r.tables["blocks"]) == SMALL.blocks


def test_sequential_baseline_is_the_ideal_for_a_blocks_first_need() -> None:
    rows = _run("fcfs", "public").tables["needs"]
    firsts = [r for k, r in enumerate(rows) if k == 0 or rows[k - 1]["block"] != r["block"]]
    assert firsts and all(r["sequential_out"] == r["ideal_out"] for r in firsts)
    later = [r for k, r in enumerate(rows) if r not in firsts]
    assert any(r["sequential_out"] != r["ideal_out"] for r in later)


def test_batch_aware_arbitrage_keeps_batch_pools_fresh() -> None:
    """Two arbitrageurs each sending the lone optimum into one batch trade away the profit
    (refunded together on small gaps, tests/agents/defi/test_users.py); Cournot-sized orders
    clear and keep the pools fresher at the start of each block. Summed over three seeds:
    since a batch drops only its worst-missing order, naive arbitrage fills more often and
    on seed 3 alone the two are within 2 %. Measured: $785 against $841 (-6.6 %) since
    the CoW settlement runs before the pools' batches ($776 against $867 before, -10.5 %;
    the change is seed 4's: the settlement now trades on pools not yet arbitraged)."""
    config = DeviceConfig(ordering="batch", mempool="private")
    naive = aware = 0.0
    for seed in (3, 4, 5):
        naive += play(
            SMALL.model_copy(update={"batch_aware_arbitrage": False}), config, seed
        ).metrics["arb_gap_usd"]
        aware += play(SMALL, config, seed).metrics["arb_gap_usd"]
    assert aware < 0.95 * naive
