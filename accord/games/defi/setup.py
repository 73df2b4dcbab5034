"""The DeFi routing game's setup: the token network and the agents, from the seed.

``tokens`` tokens with log-normal reference prices; a hub token (``T0``) paired with every
other token in a constant-product pool (Uniswap v2), plus ``extra_pools`` pools between
random pairs, each weighted with probability ``weighted_share`` (Balancer; weights from
:data:`WEIGHTS`). Each pool's depth is drawn from ``depth_usd`` and its reserves are set so
that its spot price equals the reference prices (for weighted pools, value shares equal
the weights). Then the device (genesis inventories, every pool deployed and funded, the
CoW settlement under ``batch`` if ``cow``, with ``cow_solvers`` allowlisted solvers), and
the users (``mix``), searchers, solvers and their seeded generators, each from its own
child of the run's ``SeedSequence``. Internal to
:mod:`accord.games.defi.routing`, which re-exports :data:`WEIGHTS` and :data:`PoolSpec`.
"""

from __future__ import annotations

import numpy as np

from accord.agents.defi import USER_KINDS, IntentUser, User
from accord.agents.defi.searchers import Arbitrageur, Sandwicher, Searcher
from accord.agents.defi.solver import CowSolver
from accord.contracts.amm import ProductAMM, WeightedAMM
from accord.contracts.cow import POOL_GAS, CowSettlement
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, checks
from accord.games.defi.params import Params
from accord.games.defi.state import RunState, pools_value_usd, read_market

__all__ = ["WEIGHTS", "PoolSpec"]

WEIGHTS = ((80, 20), (20, 80), (60, 40), (40, 60), (50, 50))

PoolSpec = tuple[str, str, tuple[int, int] | None, float]


def _network(
    params: Params, rng: np.random.Generator
) -> tuple[list[str], dict[str, float], list[PoolSpec]]:
    """Tokens, reference prices per base unit, and pools ``(a, b, weights|None, depth)``."""
    tokens = [f"T{k}" for k in range(params.tokens)]
    usd = np.exp(rng.normal(0.0, 1.5, size=params.tokens))
    usd[0] = 1.0
    scale = 10.0**params.decimals
    prices = {t: float(u) / scale for t, u in zip(tokens, usd, strict=True)}
    lo, hi = params.depth_usd
    specs: list[PoolSpec] = []
    for t in tokens[1:]:
        specs.append(("T0", t, None, float(rng.uniform(lo, hi))))
    for _ in range(params.extra_pools):
        a, b = (tokens[int(k)] for k in rng.choice(params.tokens, size=2, replace=False))
        weighted = bool(rng.random() < params.weighted_share)
        w = WEIGHTS[int(rng.integers(len(WEIGHTS)))] if weighted else None
        specs.append((a, b, w, float(rng.uniform(lo, hi))))
    return tokens, prices, specs


def setup_run(params: Params, config: DeviceConfig, seed: int) -> RunState:
    root = np.random.SeedSequence(seed)
    net_seq, agents_seq = root.spawn(2)
    rng = np.random.default_rng(net_seq)
    tokens, prices, specs = _network(params, rng)
    kinds = sorted(params.mix)
    shares = np.array([params.mix[k] for k in kinds], dtype=float)
    counts = np.floor(shares / shares.sum() * params.users).astype(int)
    counts[int(np.argmax(shares))] += params.users - int(counts.sum())
    user_kinds = [k for k, c in zip(kinds, counts, strict=True) for _ in range(int(c))]
    user_names = [f"user{u:04d}" for u in range(params.users)]
    searcher_specs = (
        [("sandwich", f"sandwich{k}") for k in range(params.sandwichers)]
        + [("arbitrage", f"arb{k}") for k in range(params.arbitrageurs)]
        + [("backrun", f"backrun{k}") for k in range(params.backrunners)]
    )
    cow = params.cow and config.ordering == "batch"
    solver_names = [f"solver{k}" for k in range(params.cow_solvers)] if cow else []
    holders = [*user_names, *(n for _, n in searcher_specs), *solver_names, config.builder]
    lp_alloc = {t: 0 for t in tokens}
    pool_amounts: list[tuple[int, int]] = []
    for a, b, w, depth in specs:
        wa, wb = w if w is not None else (1, 1)
        amt_a = int(depth * wa / (wa + wb) / prices[a])
        amt_b = int(depth * wb / (wa + wb) / prices[b])
        pool_amounts.append((amt_a, amt_b))
        lp_alloc[a] += amt_a
        lp_alloc[b] += amt_b

    def holding(t: str) -> int:
        return int(params.inventory_usd / prices[t])

    assets = {
        t: AssetSpec(
            issuer="mint",
            alloc={
                "lp": lp_alloc[t],
                **dict.fromkeys(holders, int(params.inventory_usd / prices[t])),
            },
        )
        for t in tokens
    }
    fee = config.fee_asset
    assets[fee] = AssetSpec(issuer="treasury", alloc=dict.fromkeys(["lp", *holders], 10**24))
    device = Device(config, Genesis(assets=assets), seed=seed, history=4)
    if params.check_conservation:
        checks.check_every_block(device)
    lp = device.account("lp")
    pools: list[tuple[str, type[ProductAMM] | type[WeightedAMM]]] = []
    for (a, b, w, _), (amt_a, amt_b) in zip(specs, pool_amounts, strict=True):
        if w is None:
            address = device.deploy(lp, ProductAMM, a, b, params.fee_bps)
            pools.append((address, ProductAMM))
        else:
            address = device.deploy(lp, WeightedAMM, (a, b), w, params.fee_bps)
            pools.append((address, WeightedAMM))
        device.call(lp, address, "add_liquidity", 0, "lp", value={a: amt_a, b: amt_b})
    settlement = ""
    if cow:
        described = tuple(
            (address, "product" if kind is ProductAMM else "weighted", params.fee_bps, w or ())
            for (address, kind), (_, _, w, _) in zip(pools, specs, strict=True)
        )
        settlement = device.deploy(
            lp,
            CowSettlement,
            described,
            "T0",
            tuple(solver_names),
            gas_limit=1_000_000 + POOL_GAS * len(pools),
        )
    solvers = {
        name: CowSolver(device.account(name), max_candidates=max(1, params.cow_max_candidates >> k))
        for k, name in enumerate(solver_names)
    }
    seqs = agents_seq.spawn(len(user_names) + len(searcher_specs) + 1)
    users: dict[str, User] = {}
    for name, kind, s in zip(user_names, user_kinds, seqs, strict=False):
        cls = USER_KINDS[kind]
        account = device.account(name)
        r = np.random.default_rng(s)
        if cls is IntentUser:
            users[name] = IntentUser(
                account,
                r,
                priority_fee=params.user_priority_fee,
                patience=params.intent_patience,
                fallback_bps=params.slippage_bps,
            )
        else:
            users[name] = cls(account, r, priority_fee=params.user_priority_fee)
    searchers: dict[str, Searcher] = {}
    for (role, name), s in zip(searcher_specs, seqs[len(user_names) :], strict=False):
        account, r = device.account(name), np.random.default_rng(s)
        if role == "sandwich":
            searchers[name] = Sandwicher(
                account,
                r,
                bid_share=params.bid_share,
                bundles=params.searcher_bundles,
                rule_blind=params.rule_blind,
            )
        else:
            arbs = params.arbitrageurs + params.backrunners
            searchers[name] = Arbitrageur(
                account,
                r,
                backrun=role == "backrun",
                bid_share=params.bid_share,
                competitors=arbs if params.batch_aware_arbitrage else 1,
            )
    run = RunState(
        params,
        device,
        tuple(tokens),
        prices,
        pools,
        "T0",
        users,
        searchers,
        params.fee_price_usd,
        settlement,
        solvers,
    )
    run.pnl = dict.fromkeys([*searchers, *solvers, config.builder], 0.0)
    run.pools_value_start = pools_value_usd(run)
    run.start_pools = tuple(info.curve for info in read_market(run).pools)
    return run
