"""The durable-goods monopolist on the device reproduces the theory to the base unit
(accord/games/coase.py, accord/mechanisms/coase.py)."""

from __future__ import annotations

import pytest

from accord.device import DeviceConfig
from accord.games.coase import CoaseGame, CoaseParams
from accord.mechanisms import coase as C

CONFIG = DeviceConfig(signatures="mac")


def run(**params: object) -> tuple[dict[str, float | int], list[dict[str, int]]]:
    result = CoaseGame().run(CoaseParams(**params), CONFIG, 0)  # type: ignore[arg-type]
    return dict(result.metrics), list(result.tables["periods"])


@pytest.mark.parametrize("periods", [1, 2, 5, 12])
def test_without_commitment_the_sandbox_walks_the_subgame_perfect_path(periods: int) -> None:
    m, rows = run(periods=periods, buyers=60)
    delta = C.per_period(0.1, periods)
    path = C.uncommitted_path(periods, delta, 1_000_000)
    assert [r["price"] for r in rows] == list(path.prices)
    theory = C.realise(C.buyer_values(60, 1_000_000), path, delta, committed=False)
    assert [r["sales"] for r in rows] == [len(s) for s in theory.sales]
    assert m["revenue"] == theory.revenue
    assert m["revenue_pv"] == theory.present_value == m["theory_revenue_pv"]
    # within about one buyer per period of the continuum N vmax c_T
    assert abs(m["revenue_pv"] - m["continuum_revenue_pv"]) <= periods * 1_000_000


def test_prices_and_revenue_fall_as_periods_shorten_the_coase_conjecture() -> None:
    firsts, shares = [], []
    for periods in (1, 2, 5, 10, 20):
        m, _ = run(periods=periods)
        firsts.append(m["first_price"])
        shares.append(m["revenue_vs_static"])
    assert firsts == sorted(firsts, reverse=True) and firsts[0] == 500_000
    assert shares == sorted(shares, reverse=True)
    assert shares[-1] == pytest.approx(0.5145, abs=0.01)  # c_20 = 0.129 of 1/4


@pytest.mark.parametrize("periods", [1, 5, 20])
def test_a_committed_path_holds_the_monopoly_price(periods: int) -> None:
    m, rows = run(periods=periods, commitment=True)
    assert {r["price"] for r in rows} == {505_000}  # the grid's monopoly price
    assert rows[0]["sales"] == 50 and all(r["sales"] == 0 for r in rows[1:])
    assert m["revenue"] == 505_000 * 50 == m["revenue_pv"] == m["theory_revenue_pv"]
    assert m["revenue_vs_static"] == pytest.approx(1.01)
    unc, _ = run(periods=periods)
    assert unc["revenue_pv"] < m["revenue_pv"]


def test_a_run_is_a_pure_function_of_its_seed() -> None:
    a = CoaseGame().run(CoaseParams(periods=3, buyers=10), CONFIG, 4)
    b = CoaseGame().run(CoaseParams(periods=3, buyers=10), CONFIG, 4)
    assert a.state_hash == b.state_hash and a.metrics == b.metrics
