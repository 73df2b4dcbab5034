"""The DeFi flagship's must-holds (issue 4), with fixed seeds on a small network.

1. Sandwiching disappears under a sealed mempool.
2. The batch rule removes the advantage of position (here on the game; on one pool with
   exact numbers in
   tests/agents/defi/test_users.py::test_batch_rule_removes_the_advantage_of_position,
   and for the CoW settlement in tests/contracts/test_cow.py::test_position_and_tips_buy_nothing).
3. Intent users keep more surplus than naive users: as commitments under priority and
   random, and matched by the CoW settlement under batch (where matching must happen),
   with any mempool, pooled over seeds 2–5 (not on every seed: see the test).
4. The router's objective equals an independent convex solve on small cases: that is
   tests/mechanisms/routing/test_solve.py::test_objective_matches_a_generic_convex_solve and
   ::test_swap_matches_a_generic_convex_solve (SciPy SLSQP on the primal), not repeated here.
5. Conservation holds after every block of a full game run.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from accord.device import DeviceConfig, checks
from accord.games.base import GameResult
from accord.games.defi.routing import Params, play

SMALL = Params(blocks=25, users=30, arrival_rate=1.5, sandwichers=2)


@cache
def _run(ordering: str, mempool: str, builder: str = "honest", blind: bool = False) -> GameResult:
    params = SMALL.model_copy(update={"builder": builder, "rule_blind": blind})
    config = DeviceConfig(ordering=ordering, mempool=mempool, builder_may_insert=True)
    return play(params, config, seed=3)  # conservation is checked after every block


@pytest.mark.parametrize("ordering", ["priority", "random"])
def test_sandwiching_disappears_under_a_sealed_mempool(ordering: str) -> None:
    public = _run(ordering, "public").metrics
    sealed = _run(ordering, "sealed").metrics
    assert public["sandwiches_landed"] > 0 and public["mev_sandwich_usd"] > 0
    assert sealed["sandwich_attempts"] == sealed["sandwiches_landed"] == 0
    assert sealed["mev_sandwich_usd"] == 0


def test_batch_rule_removes_the_advantage_of_position() -> None:
    """Rule-blind sandwichers attack under both rules; only priority pays them."""
    priority = _run("priority", "public", blind=True).metrics
    batch = _run("batch", "public", blind=True).metrics
    assert priority["mev_sandwich_usd"] > 0
    assert (
        batch["sandwiches_landed"] == 0
        or batch["mev_sandwich_usd"] < priority["mev_sandwich_usd"] / 4
    )
    assert batch["user_surplus_bps"] > priority["user_surplus_bps"]


@pytest.mark.parametrize("ordering", ["priority", "random"])
def test_intent_users_keep_more_surplus_than_naive_users(ordering: str) -> None:
    m = _run(ordering, "public").metrics
    assert m["needs_intent"] > 0 and m["needs_naive"] > 0
    assert m["surplus_bps_intent"] > m["surplus_bps_naive"]


@cache
def _batch_rows(mempool: str) -> tuple[list[dict[str, Any]], float]:
    """The needs of four seeds under batch, and the volume the CoW settlement matched."""
    rows: list[dict[str, Any]] = []
    matched = 0.0
    for seed in (2, 3, 4, 5):
        config = DeviceConfig(ordering="batch", mempool=mempool)
        result = play(SMALL, config, seed)
        rows += result.tables["needs"]
        matched += result.metrics["cow_matched_usd"]
    return rows, matched


def _bps(rows: list[dict[str, Any]], kind: str) -> float:
    mine = [r for r in rows if r["kind"] == kind]
    return 1e4 * sum(r["surplus_usd"] for r in mine) / sum(r["notional_usd"] for r in mine)


@pytest.mark.parametrize("mempool", ["public", "private", "sealed"])
def test_intent_users_matched_by_cow_keep_more_surplus_under_batch(mempool: str) -> None:
    """Under batch, intents settled together by the CoW settlement keep more
    (notional-weighted, four seeds pooled) than naive users sending swaps to the pools'
    own batches, and users really were matched with each other.

    The contract only verifies what solver agents submit (issue 11); batch N settles in
    block N + 1 before the pools' own batches of that block, so every kept solution runs
    on the pools its solver read (accord.device.ordering.settlement_order). Pooled over
    seeds 2–5: with a public mempool intents keep 102.1 bps against naive users' 29.2
    (94.4 against 31.7 when the settlement could meet pools moved by their own batches,
    99.0 against 23.8 with the solver in the contract); with a private or sealed one 95.0
    against −16.5 (97.1 against −17.2). Per seed it holds on seeds 2 and 5 with a public
    mempool, not on 3 (−2.5 against 73.8) or 4 (−9.3 against 13.0); with a hidden one on
    2, 4 and 5, not on 3 (8.5 against 36.5). With about 8 intents per seed, one
    batch whose limit the pools no longer reach one block later (refunded whole), or one
    intent filled after its block's pool batches moved the price, decides the sign."""
    rows, matched = _batch_rows(mempool)
    assert matched > 0
    assert sum(r["kind"] == "intent" for r in rows) > 20
    assert _bps(rows, "intent") > _bps(rows, "naive")


def test_conservation_holds_after_every_block(monkeypatch: pytest.MonkeyPatch) -> None:
    """A full run under batch (pools, CoW settlement, escrowed orders, searchers): every
    asset's supply equals the sum of all balances, free and locked, after each block."""
    seen: list[int] = []
    check = checks.block_invariants

    def counted(device: Any) -> None:
        check(device)  # raises InvariantViolation naming the asset and block
        seen.append(device.number)

    monkeypatch.setattr(checks, "block_invariants", counted)
    params = SMALL.model_copy(update={"blocks": 12})
    play(params, DeviceConfig(ordering="batch", mempool="public"), seed=3)
    setup = seen[0]  # the blocks that deployed and funded the pools come first
    assert seen == list(range(setup, setup + len(seen)))
    assert seen[-1] - seen[0] + 1 == len(seen) >= params.blocks
