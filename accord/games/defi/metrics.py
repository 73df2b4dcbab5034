"""The DeFi routing game's metrics: one run's record turned into its :class:`GameResult`.

Value is at reference prices; each need is scored in bps of its notional against its
ideal execution (its best route alone at the block's start: implementation shortfall
against the arrival quote) and against the block's needs run in arrival order with no
searcher (fcfs without MEV). Welfare is the users' private gains minus the gas burned;
the price of anarchy is ``W_opt / W`` (Roughgarden & Tardos, "How bad is selfish
routing?", JACM 2002), *realised*; beside it ``wardrop_poa`` (and ``wardrop_poa_mev``)
is the *theoretical* one of the run's routing game (:mod:`accord.games.defi.equilibrium`).
MEV is each searcher's and the builder's P&L, ``lp_pnl_usd`` the
pools' value change. The definitions and the accounting identity are in
:mod:`accord.games.defi.routing`'s docstring and ``docs/defi.md``;
:mod:`accord.games.defi.glossary` declares every metric (unit, support, meaning, better
direction) and must be kept in step with :func:`game_result`. Also the result's
tables: ``needs`` (one row per need), ``agents`` and ``blocks``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from accord.agents.defi import USER_KINDS
from accord.games.base import GameResult
from accord.games.defi.equilibrium import wardrop_poas
from accord.games.defi.state import (
    NeedState,
    RunState,
    account_flows,
    flows_value_usd,
    pools_value_usd,
)


def _cow_matched(run: RunState) -> float:
    """Reference value of what buyers got straight from sellers in the CoW settlement."""
    if not run.settlement:
        return 0.0
    matched: dict[str, int] = run.device.contract_at(run.settlement).storage()["matched_volume"]
    return float(sum(run.prices[t] * a for t, a in matched.items()))


def _need_value(run: RunState, need: NeedState, flows: Mapping[str, int]) -> float:
    fee = run.device.config.fee_asset
    tokens = {t: a for t, a in flows.items() if t != fee}
    return flows_value_usd(run, tokens) + run.params.premium * run.prices[
        need.need.buy
    ] * tokens.get(need.need.buy, 0)


def game_result(run: RunState) -> GameResult:
    p = run.params
    fee_asset = run.device.config.fee_asset
    rows: list[dict[str, Any]] = []
    # per kind: surplus vs ideal, surplus vs sequential, notional, needs, filled
    kinds: dict[str, list[float]] = {k: [0.0, 0.0, 0.0, 0.0, 0.0] for k in USER_KINDS}
    users_value = users_ideal = users_ref = ideal_ref = users_pnl = 0.0
    gains_real = gains_opt = 0.0
    filled = 0
    for need in run.needs:
        n = need.need
        realised = need.realised or {}
        v_real = _need_value(run, need, realised)
        v_ideal = _need_value(run, need, need.ideal)
        v_seq = _need_value(run, need, need.seq)
        tokens = {t: a for t, a in realised.items() if t != fee_asset}
        notional = n.amount * run.prices[n.sell]
        got = realised.get(n.buy, 0)
        filled += got > 0
        users_value += v_real
        users_ideal += v_ideal
        users_ref += flows_value_usd(run, tokens)
        ideal_ref += flows_value_usd(run, need.ideal)
        users_pnl += flows_value_usd(run, realised)
        gains_real += p.premium * run.prices[n.buy] * max(got, 0)
        gains_opt += p.premium * run.prices[n.buy] * max(need.ideal.get(n.buy, 0), 0)
        k = kinds[need.kind]
        k[0] += v_real - v_ideal
        k[1] += v_real - v_seq
        k[2] += notional
        k[3] += 1
        k[4] += got > 0
        rows.append(
            {
                "need": n.need_id,
                "user": need.user,
                "kind": need.kind,
                "block": need.block,
                "sell": n.sell,
                "buy": n.buy,
                "amount": n.amount,
                "ideal_out": need.ideal.get(n.buy, 0),
                "sequential_out": need.seq.get(n.buy, 0),
                "realised_out": got,
                "surplus_usd": v_real - v_ideal,
                "surplus_seq_usd": v_real - v_seq,
                "value_ref_usd": flows_value_usd(run, tokens),
                "notional_usd": notional,
            }
        )
    builder = run.device.config.builder
    by_kind: dict[str, float] = {}
    for name, s in run.searchers.items():
        by_kind[s.kind] = by_kind.get(s.kind, 0.0) + run.pnl[name]
    notional_total = sum(k[2] for k in kinds.values())

    def bps(x: float, notional: float = notional_total) -> float:
        return 1e4 * x / notional if notional else 0.0

    surplus_ideal = sum(k[0] for k in kinds.values())
    surplus_seq = sum(k[1] for k in kinds.values())
    burned = (run.fees_paid - run.tips_paid) * run.fee_price
    welfare = gains_real - burned
    wardrop_poa, wardrop_poa_mev = wardrop_poas(run)
    metrics: dict[str, float | int] = {
        "needs": len(run.needs),
        "filled": filled,
        "unfilled": len(run.needs) - filled,
        "user_surplus_bps": bps(surplus_ideal),
        "user_surplus_seq_bps": bps(surplus_seq),
        "user_value_ref_bps": bps(users_ref),
        "ideal_value_ref_bps": bps(ideal_ref),
        "user_surplus_usd": surplus_ideal,
        "user_surplus_seq_usd": surplus_seq,
        "users_value_usd": users_value,
        "users_value_ideal_usd": users_ideal,
        "users_pnl_usd": users_pnl,
        "welfare_realised_usd": welfare,
        "welfare_optimal_usd": gains_opt,
        "welfare_gap_usd": gains_opt - welfare,
        "price_of_anarchy": gains_opt / welfare if welfare > 0 else math.inf,
        "wardrop_poa": wardrop_poa,
        "wardrop_poa_mev": wardrop_poa_mev,
        "mev_searchers_usd": sum(by_kind.values()),
        "mev_sandwich_usd": by_kind.get("sandwich", 0.0),
        "mev_arbitrage_usd": by_kind.get("arbitrage", 0.0),
        "mev_backrun_usd": by_kind.get("backrun", 0.0),
        "mev_builder_usd": run.pnl[builder],
        "lp_pnl_usd": pools_value_usd(run) - run.pools_value_start,
        "cow_matched_usd": _cow_matched(run),
        "cow_solvers_usd": sum(run.pnl[name] for name in run.solvers),
        "cow_dust_usd": flows_value_usd(run, account_flows(run, run.settlement))
        if run.settlement
        else 0.0,
        "arb_gap_usd": float(np.mean(run.arb_gap)) if run.arb_gap else 0.0,
        "builder_tips_usd": run.tips_paid * run.fee_price,
        "fees_burned_usd": burned,
        "fees_paid_usd": run.fees_paid * run.fee_price,
        "sandwich_attempts": run.sandwich_attempts,
        "sandwiches_landed": run.sandwiches_landed,
        "failed_txs": run.failed_txs,
        "gas_used": run.gas_used,
    }
    for kind, (s_ideal, s_seq, notional, count, got_any) in kinds.items():
        metrics[f"needs_{kind}"] = int(count)
        metrics[f"unfilled_{kind}"] = int(count - got_any)
        metrics[f"surplus_bps_{kind}"] = bps(s_ideal, notional)
        metrics[f"surplus_seq_bps_{kind}"] = bps(s_seq, notional)
    agents = [
        {"agent": name, "kind": s.kind, "pnl_usd": run.pnl[name]}
        for name, s in sorted(run.searchers.items())
    ]
    agents += [{"agent": name, "kind": "solver", "pnl_usd": run.pnl[name]} for name in run.solvers]
    agents.append({"agent": builder, "kind": f"builder:{p.builder}", "pnl_usd": run.pnl[builder]})
    return GameResult(
        metrics=metrics,
        state_hash=run.device.state_hash().hex(),
        blocks=run.device.number,
        tables={"needs": rows, "agents": agents, "blocks": run.per_block},
    )
