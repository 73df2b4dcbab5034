"""DeFi agents: sandwich sizing and arbitrage with exact cfmm numbers, observations that
respect the mempool's visibility, and the users' actions on a device."""

from __future__ import annotations

import numpy as np
import pytest

from accord.agents.base import Observation, observe, submit
from accord.agents.defi import Hop, Market, NaiveUser, PoolInfo, RoutedUser, TradeNeed
from accord.agents.defi.searchers import (
    Arbitrageur,
    Sandwicher,
    best_sandwich,
    largest_front_run,
    pool_arbitrage,
    sandwich_at,
)
from accord.contracts.amm import ProductAMM
from accord.device import (
    AssetSpec,
    Bundle,
    Device,
    DeviceConfig,
    Genesis,
    Pending,
    SealedTx,
    Transaction,
)
from accord.mechanisms import cfmm
from accord.mechanisms.cfmm import amount_out
from accord.mechanisms.routing import Route

POOL = cfmm.ProductPool((100_000, 100_000), 30, ("USD", "TOK"))


def test_largest_front_run_is_exactly_the_tolerance_edge() -> None:
    """Victim sells 10,000 USD with 5 % tolerance on a 100k/100k pool (docs/contracts/amm)."""
    alone = amount_out(10_000, 100_000, 100_000)
    min_out = alone * 95 // 100
    f = largest_front_run(POOL, 0, 1, 10_000, min_out, 10**9)
    # f keeps the victim at min_out, f + 1 does not: the bound is exact in integers
    for front, ok in ((f, True), (f + 1, False)):
        fo = amount_out(front, 100_000, 100_000)
        victim = amount_out(10_000, 100_000 + front, 100_000 - fo)
        assert (victim >= min_out) is ok
    assert (alone, min_out, f) == (9066, 8612, 2730)  # tests/contracts/test_amm.py's FRONT


def test_best_sandwich_exact_amounts_and_profit() -> None:
    alone = amount_out(10_000, 100_000, 100_000)
    sw = best_sandwich(POOL, 0, 1, 10_000, alone * 95 // 100, 10**9)
    assert sw is not None
    fo = amount_out(sw.front_in, 100_000, 100_000)
    vo = amount_out(10_000, 100_000 + sw.front_in, 100_000 - fo)
    bo = amount_out(fo, 100_000 - fo - vo, 100_000 + sw.front_in + 10_000)
    assert (sw.front_out, sw.victim_out, sw.back_out) == (fo, vo, bo)
    assert sw.victim_out >= alone * 95 // 100
    assert sw.profit == bo - sw.front_in > 0
    # the best profit is at least that of every other admissible front-run size
    f_max = largest_front_run(POOL, 0, 1, 10_000, alone * 95 // 100, 10**9)
    assert all(
        sandwich_at(POOL, 0, 1, 10_000, f).profit <= sw.profit for f in range(0, f_max + 1, 7)
    )
    assert (sw.front_in, sw.profit) == (2730, 528)  # the 528 of docs/contracts/amm.md


def test_no_sandwich_without_slack_or_budget() -> None:
    alone = amount_out(10_000, 100_000, 100_000)
    assert best_sandwich(POOL, 0, 1, 10_000, alone, 10**9) is None  # zero tolerance
    assert best_sandwich(POOL, 0, 1, 10_000, alone * 95 // 100, 0) is None  # no budget
    assert largest_front_run(POOL, 0, 1, 10_000, alone + 1, 10**9) == -1  # fails alone


def test_pool_arbitrage_trades_back_to_the_reference_price() -> None:
    pool = cfmm.ProductPool((110_000_000, 90_000_000), 30, ("A", "B"))  # A cheap in the pool
    arb = pool_arbitrage("0xpool", pool, {"A": 1.0, "B": 1.0})
    assert arb is not None
    h = arb.hop
    assert (h.asset_in, h.asset_out) == ("B", "A")
    assert arb.amount_out == pool.out_given_in(1, 0, h.amount_in)
    assert arb.value == pytest.approx(arb.amount_out - h.amount_in)
    # the closed form is the optimum: trading 1 % more or less earns no more
    for k in (0.99, 1.01):
        x = int(h.amount_in * k)
        assert pool.out_given_in(1, 0, x) - x <= arb.value + 1
    after = pool.after(1, 0, h.amount_in, arb.amount_out)
    spot = after.reserves[1] / after.reserves[0]
    assert abs(spot - 1.0) < 0.004  # inside the fee band around the reference price
    assert (
        pool_arbitrage(
            "0xpool", cfmm.ProductPool((10**8, 10**8), 30, ("A", "B")), {"A": 1.0, "B": 1.0}
        )
        is None
    )


# -- on a device -------------------------------------------------------------------------
PEOPLE = ("alice", "bob", "searcher", "builder")


def _device(ordering: str = "priority", mempool: str = "public") -> tuple[Device, str]:
    money = dict.fromkeys(PEOPLE, 10**9)
    genesis = Genesis(
        assets={
            "ETH": AssetSpec(issuer="treasury", alloc=dict.fromkeys(PEOPLE, 10**18)),
            "USD": AssetSpec(issuer="fed", alloc=money),
            "TOK": AssetSpec(issuer="mint", alloc=money),
        }
    )
    device = Device(DeviceConfig(ordering=ordering, mempool=mempool), genesis, seed=0)
    alice = device.account("alice")
    pool = device.deploy(alice, ProductAMM, "USD", "TOK", 30)
    device.call(alice, pool, "add_liquidity", 0, "alice", value={"USD": 100_000, "TOK": 100_000})
    return device, pool


def _market(device: Device, pool: str) -> Market:
    from accord.contracts.amm import pool_state

    curve = pool_state(device.contract_at(pool).storage(), ProductAMM)
    assert isinstance(curve, cfmm.ProductPool)
    return Market((PoolInfo(pool, curve),), {"USD": 1.0, "TOK": 1.0}, 1e-12, "USD")


def _bob_swaps(device: Device, pool: str, tolerance_bps: int = 500) -> bytes:
    market = _market(device, pool)
    bob = NaiveUser(device.account("bob"), np.random.default_rng(0))
    need = TradeNeed(0, "USD", "TOK", 10_000, tolerance_bps)
    obs = observe(device, "bob", state={"market": market}, private={"need": need})
    (done,) = submit(device, "bob", bob.act(obs))
    assert done.hash is not None
    return done.hash


@pytest.mark.parametrize("mempool", ["public", "private", "sealed"])
def test_observations_respect_visibility(mempool: str) -> None:
    device, pool = _device(mempool=mempool)
    victim = _bob_swaps(device, pool)
    seen = observe(device, "searcher", assets=("USD",)).mempool
    own = observe(device, "bob").mempool
    assert [p.hash for p in own] == [victim] and type(own[0]) is Pending  # always see your own
    if mempool == "public":
        assert type(seen[0]) is Pending and seen[0].tx.args[1] == 10_000
    elif mempool == "private":
        assert seen == ()
    else:
        assert type(seen[0]) is SealedTx and not hasattr(seen[0], "tx")
    obs = observe(device, "searcher", assets=("USD",), state={"market": _market(device, pool)})
    actions = Sandwicher(device.account("searcher"), np.random.default_rng(1)).act(obs)
    assert bool(actions) is (mempool == "public")


def test_sandwich_bundle_lands_under_priority_and_keeps_the_victim_at_min_out() -> None:
    device, pool = _device("priority")
    victim = _bob_swaps(device, pool)
    obs = observe(
        device, "searcher", assets=("USD", "TOK"), state={"market": _market(device, pool)}
    )
    (bundle,) = Sandwicher(device.account("searcher"), np.random.default_rng(1)).act(obs)
    assert isinstance(bundle, Bundle) and bundle.txs[1].hash == victim
    usd = device.balance("searcher", "USD")
    submit(device, "searcher", [bundle])
    block = device.build_block()
    assert [r.status for r in block.receipts] == ["success"] * 3
    assert device.receipt(victim).result >= amount_out(10_000, 100_000, 100_000) * 95 // 100
    assert device.balance("searcher", "USD") - usd == 528


def test_sandwich_bundle_fails_free_under_fcfs() -> None:
    device, pool = _device("fcfs")
    _bob_swaps(device, pool)
    obs = observe(
        device, "searcher", assets=("USD", "TOK"), state={"market": _market(device, pool)}
    )
    actions = Sandwicher(device.account("searcher"), np.random.default_rng(1)).act(obs)
    before = (device.balance("searcher", "USD"), device.balance("searcher", "ETH"))
    submit(device, "searcher", actions)
    device.build_block()
    # the victim arrived first, so the bundle (which contains it) can no longer apply
    assert (device.balance("searcher", "USD"), device.balance("searcher", "ETH")) == before


def _blind_batch(front_tip: int, back_tip: int) -> tuple[int, int, set[object]]:
    """Bob's swap and a rule-blind sandwich around it, cleared in one batch."""
    device, pool = _device("batch")
    _bob_swaps(device, pool)
    market = _market(device, pool)
    obs = observe(device, "searcher", assets=("USD", "TOK"), state={"market": market})
    assert Sandwicher(device.account("searcher"), np.random.default_rng(1)).act(obs) == []
    blind = Sandwicher(device.account("searcher"), np.random.default_rng(1), rule_blind=True)
    front, back = blind.act(obs)
    assert isinstance(front, Transaction) and isinstance(back, Transaction)
    searcher = device.account("searcher")
    txs = [
        searcher.sign(
            t.nonce,
            t.to,
            t.method,
            *t.args,
            value=dict(t.value),
            gas_limit=t.gas_limit,
            max_fee=obs.max_fee(tip),
            priority_fee=tip,
        )
        for t, tip in ((front, front_tip), (back, back_tip))
    ]
    usd, tok = device.balance("searcher", "USD"), device.balance("searcher", "TOK")
    submit(device, "searcher", txs)
    block = device.build_block()
    prices = {e.as_dict()["price"] for r in block.receipts for e in r.events if e.name == "Swap"}
    return device.balance("searcher", "USD") - usd, device.balance("searcher", "TOK") - tok, prices


def test_batch_rule_removes_the_advantage_of_position() -> None:
    """Under ``batch`` the attack's transactions trade at the victim's price whatever their
    tips, and earn less than the 528 the same sandwich takes under ``priority``."""
    outcome = _blind_batch(0, 0)
    assert _blind_batch(10**6, 0) == outcome == _blind_batch(0, 10**6)  # tips buy nothing
    usd, tok, prices = outcome
    assert len(prices) == 1  # every swap on the pool cleared at one price
    assert usd + tok < 528


def test_routed_user_executes_the_router_integers() -> None:
    device, pool = _device()
    market = _market(device, pool)
    user = RoutedUser(device.account("bob"), np.random.default_rng(0))
    need = TradeNeed(0, "USD", "TOK", 1_000, 100)
    (tx,) = user.act(observe(device, "bob", state={"market": market}, private={"need": need}))
    route = market.best_route("USD", 1_000, "TOK")
    assert isinstance(route, Route)
    (trade,) = route.trades
    assert tx.args[:3] == ("USD", trade.tendered_int[0], trade.received_int[1] * 99 // 100)
    assert trade.received_int[1] == POOL.out_given_in(0, 1, trade.tendered_int[0])


def test_arbitrageur_restores_the_reference_price() -> None:
    device, pool = _device()
    device.call(
        device.account("alice"), pool, "swap", "USD", 20_000, 0, "alice", value={"USD": 20_000}
    )
    market = _market(device, pool)
    obs = observe(device, "searcher", assets=("USD", "TOK"), state={"market": market})
    (tx,) = Arbitrageur(device.account("searcher"), np.random.default_rng(0)).act(obs)
    value = {a: device.balance("searcher", a) for a in ("USD", "TOK")}
    submit(device, "searcher", [tx])
    device.build_block()
    gained = sum(device.balance("searcher", a) - v for a, v in value.items())
    arb = pool_arbitrage(pool, market.pools[0].curve, market)
    assert arb is not None and gained == arb.amount_out - arb.hop.amount_in > 0


def test_observation_is_frozen() -> None:
    obs = Observation("a", 1, 0, 0, "fcfs", "public", "eip1559", 0)
    with pytest.raises(AttributeError):
        obs.number = 2  # type: ignore[misc]
    assert Hop("p", "A", 1, "B", 0).min_out == 0


def _two_arbitrageurs(push: int, competitors: int) -> tuple[dict[str, int], float]:
    """Both arbitrageurs' profits and the arbitrage value left after one batch."""
    device, pool = _device("batch", "private")
    alice = device.account("alice")
    device.call(alice, pool, "swap", "USD", push, 0, "alice", value={"USD": push})
    market = _market(device, pool)
    before = {n: {a: device.balance(n, a) for a in ("USD", "TOK")} for n in ("searcher", "bob")}
    for name in before:
        obs = observe(device, name, assets=("USD", "TOK"), state={"market": market})
        arb = Arbitrageur(device.account(name), np.random.default_rng(0), competitors=competitors)
        submit(device, name, arb.act(obs))
    device.build_block()
    profit = {n: sum(device.balance(n, a) - v for a, v in b.items()) for n, b in before.items()}
    after = _market(device, pool)
    gap = pool_arbitrage(pool, after.pools[0].curve, after)
    return profit, gap.value if gap is not None else 0.0


def test_two_arbitrageurs_in_one_batch() -> None:
    """Two arbitrageurs with the same information each send an order into one batch.

    Each sending the lone optimum x* (``competitors=1``) trades 2·x*, which on a small
    mispricing leaves no profit: both orders miss their floors, are refunded, and the
    pool stays stale. Sized to the Cournot share 2·x*/3 (``competitors=2``) both clear at
    one price with identical profits (equal P&L is a real effect, not double counting)
    and the pool is fresh. On a large mispricing, 2·x* overshoots; Cournot earns more
    and leaves less.
    """
    naive, stale = _two_arbitrageurs(2_000, 1)
    aware, fresh = _two_arbitrageurs(2_000, 2)
    assert naive == {"searcher": 0, "bob": 0} and stale > 0
    assert aware["searcher"] == aware["bob"] > 0 and fresh == 0
    naive, left_naive = _two_arbitrageurs(20_000, 1)
    aware, left_aware = _two_arbitrageurs(20_000, 2)
    assert aware["searcher"] == aware["bob"] and naive["searcher"] == naive["bob"]
    assert sum(aware.values()) > sum(naive.values()) and left_aware < left_naive


def test_shared_sandwich_sizing_equals_best_sandwich() -> None:
    """The per-block memo shared by sandwichers gives best_sandwich's exact answer."""
    from accord.agents.defi.searchers import SwapCall, shared_best_sandwich

    weighted = cfmm.WeightedPool((80_000, 20_000), (80, 20), 30, ("USD", "TOK"))
    for curve in (POOL, weighted):
        market = Market((PoolInfo("p", curve),), {"USD": 1.0, "TOK": 1.0}, 1e-12, "USD")
        alone = curve.out_given_in(0, 1, 10_000)
        s = SwapCall(None, "p", curve, 0, 1, 10_000, alone * 95 // 100)  # type: ignore[arg-type]
        for budget in (0, 500, 2_000, 10**9, 1_000, 10**9):
            expected = best_sandwich(curve, 0, 1, 10_000, s.min_out, budget)
            assert shared_best_sandwich(market, s, budget) == expected
