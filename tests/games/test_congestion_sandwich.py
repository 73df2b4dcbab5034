"""The congestion game's MEV pieces: exact slippage limits, the η-model with only the
shallow pool sandwiched, the sequential model's closed form, and a sandwicher that
reads hostile mempool contents without halting or moving money it should not."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.contracts.amm import ProductAMM
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, checks
from accord.games.congestion_sandwich import PoolSandwicher, limit, sequential, shallow_eta
from accord.mechanisms.cfmm import ProductPool
from accord.mechanisms.congestion import (
    Cfmm,
    cfmm_pigou_closed_form,
    parallel_pools,
    pigou,
    price_of_anarchy,
)

R = 10**12


def test_limit_is_exact_integer_arithmetic() -> None:
    assert limit(1_000_000, 0) == 1_000_000
    assert limit(1_000_000, 1000) == 900_000
    assert limit(999, 1) == 998  # ⌊999 · 9999 / 10⁴⌋ = ⌊998.9001⌋
    assert limit(10**30 + 7, 3333) == (10**30 + 7) * 6667 // 10_000
    assert limit(0, 5000) == 0


@pytest.mark.parametrize(
    ("quote", "eta_bps", "field"),
    [
        (-1, 0, "quote"),
        (1.5, 0, "quote"),
        (True, 0, "quote"),
        ("9", 0, "quote"),
        (10, -1, "eta_bps"),
        (10, 10_000, "eta_bps"),
        (10, 0.1, "eta_bps"),
        (10, None, "eta_bps"),
    ],
)
def test_limit_refuses_bad_input_by_name(quote: Any, eta_bps: Any, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        limit(quote, eta_bps)


def test_shallow_eta_is_the_cfmm_pigou_closed_form() -> None:
    """Only the shallow pool is sandwiched: the game's equilibrium and optimum are the
    CFMM Pigou's closed form, x_eq = 1 − 2η and x_opt = √(2(1 − η)) − 1, to the deep
    pool's curvature (10⁴ times deeper: within 1e-3)."""
    pools = [
        ProductPool((R, R), 0, ("X", "Y")),
        ProductPool((10**4 * R, 10**4 * R // 2), 0, ("X", "Y")),
    ]
    base = parallel_pools(pools, "X", R, "Y")
    for eta in (0.0, 0.1, 0.3):
        game = shallow_eta(base, eta)
        first, second = game.edges[0].cost, game.edges[1].cost
        assert isinstance(first, Cfmm) and isinstance(second, Cfmm)
        assert first.eta == eta and second.eta == 0.0
        result = price_of_anarchy(game)
        closed = cfmm_pigou_closed_form(eta=eta)
        assert float(result.equilibrium.edge_flow[0]) / R == pytest.approx(closed.x_eq, abs=1e-3)
        assert float(result.optimum.edge_flow[0]) / R == pytest.approx(closed.x_opt, abs=1e-3)
        assert result.poa == pytest.approx(closed.poa, abs=1e-3)


def test_shallow_eta_needs_a_cfmm_first_edge() -> None:
    with pytest.raises(ValueError, match="edge 0"):
        shallow_eta(pigou(), 0.1)


def test_the_sequential_model_in_closed_form() -> None:
    """Unsandwiched it stops where the marginal price meets the deep pool's: x = √2 − 1,
    output 2 − √2 (the optimum's); sandwiched, the users send x*/(1 − η)."""
    plain = sequential(1.0, 0.5, 1.0, 0.0, anticipate=False, sandwiched=False)
    assert plain.share == pytest.approx(math.sqrt(2) - 1, rel=1e-12)
    assert plain.out == pytest.approx(2 - math.sqrt(2), rel=1e-12)
    s = math.sqrt(2 * 0.9)
    hit = sequential(1.0, 0.5, 1.0, 0.1, anticipate=True, sandwiched=True)
    assert hit.share == pytest.approx((s - 1) / 0.9, rel=1e-12)
    assert hit.out == pytest.approx(1 - 1 / s + 0.5 * (1 - (s - 1) / 0.9), rel=1e-12)
    full = sequential(1.0, 0.5, 0.1, 0.1, anticipate=False, sandwiched=True)
    assert full.share == 1.0 and full.out == pytest.approx(0.09 / 1.09, rel=1e-12)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((0.0, 0.5, 1.0, 0.1), "reserve"),
        ((1.0, math.nan, 1.0, 0.1), "deep_price"),
        ((1.0, 0.5, math.inf, 0.1), "demand"),
        ((1.0, 0.5, 1.0, 1.0), "eta"),
        ((1.0, 0.5, 1.0, -0.1), "eta"),
    ],
)
def test_the_sequential_model_refuses_bad_input(args: tuple[float, ...], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        sequential(*args, anticipate=False, sandwiched=True)


def _device(ordering: str = "priority", mempool: str = "public") -> tuple[Device, str]:
    config = DeviceConfig(signatures="mac", ordering=ordering, mempool=mempool)
    fees = dict.fromkeys(["lp", "searcher", "user"], 10**18)
    genesis = Genesis(
        assets={
            config.fee_asset: AssetSpec(issuer="treasury", alloc=fees),
            "X": AssetSpec(issuer="fed", alloc={"lp": R, "searcher": R, "user": R}),
            "Y": AssetSpec(issuer="fed", alloc={"lp": R, "user": R}),
        }
    )
    dev = Device(config, genesis, seed=0)
    checks.check_every_block(dev)
    lp = dev.account("lp")
    pool = dev.deploy(lp, ProductAMM, "X", "Y", 0)
    assert dev.call(lp, pool, "add_liquidity", 0, "lp", value={"X": R, "Y": R}).ok
    return dev, pool


def test_a_visible_swap_is_sandwiched_to_its_limit_under_priority() -> None:
    dev, pool = _device()
    quote = dev.view(pool, "quote", "X", R // 10)
    floor = limit(quote, 1000)
    user = dev.account("user")
    dev.submit(dev.sign(user, pool, "swap", "X", R // 10, floor, "user", "Y", value={"X": R // 10}))
    searcher = PoolSandwicher(dev, dev.account("searcher"), [pool], 0, "X", "Y")
    assert searcher.attack() == 1
    dev.build_block()
    searcher.settle()
    assert searcher.landed == 1
    got = dev.balance("user", "Y") - R
    assert floor <= got <= floor + 1  # pushed to its limit, to the bisection's unit
    assert dev.balance("searcher", "X") > R  # the take


@pytest.mark.parametrize(("ordering", "mempool"), [("fcfs", "public"), ("priority", "sealed")])
def test_fcfs_and_a_sealed_mempool_defeat_the_sandwich(ordering: str, mempool: str) -> None:
    dev, pool = _device(ordering, mempool)
    quote = dev.view(pool, "quote", "X", R // 10)
    user = dev.account("user")
    floor = limit(quote, 1000)
    dev.submit(dev.sign(user, pool, "swap", "X", R // 10, floor, "user", "Y", value={"X": R // 10}))
    searcher = PoolSandwicher(dev, dev.account("searcher"), [pool], 0, "X", "Y")
    searcher.attack()
    dev.build_block()
    searcher.settle()
    assert searcher.landed == 0 and dev.balance("searcher", "X") == R


HOSTILE = st.one_of(
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True),
    st.text(max_size=4),
    st.none(),
    st.booleans(),
    st.sampled_from(["X", "Y", "ETH", ""]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(HOSTILE, min_size=0, max_size=6), st.sampled_from(["swap", "quote", "x"]))
def test_hostile_pending_calls_never_halt_the_searcher(args: list[Any], method: str) -> None:
    """Whatever a user sends to the pool (wrong types, negative, huge, wrong asset, other
    methods), the searcher's read never raises, the block is built, and no money is
    created or destroyed (checks run after every block); the searcher never loses X."""
    dev, pool = _device()
    user = dev.account("user")
    try:
        dev.submit(dev.sign(user, pool, method, *args))
    except Exception as exc:  # the device's own gate refused it: also fine
        assert str(exc) and "\n" not in str(exc).strip()
    searcher = PoolSandwicher(dev, dev.account("searcher"), [pool], 0, "X", "Y")
    searcher.attack()
    dev.build_block()
    searcher.settle()
    assert dev.balance("searcher", "X") >= R
