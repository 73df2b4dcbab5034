"""The time-bandit game with backrun MEV: what a fork takes under each ordering and
mempool, read from the device, to the base unit."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from accord.device import DeviceConfig
from accord.games import time_bandit_backrun as BR
from accord.games.time_bandit import TimeBanditGame, TimeBanditParams
from accord.mechanisms.cfmm import Order, ProductPool, uniform_clearing
from accord.mechanisms.cfmm.v2 import amount_out

BACKRUN = 2_233
"""out* − a* for 50,000 USD into a 1,000,000/1,000,000 pool at 30 bps (pinned below
against the pool's v2 arithmetic)."""
BATCH_TAKE = 685
"""What the sale sized for the batch price takes with the trade (pinned below against
the clearing function)."""


def params(**kw: Any) -> TimeBanditParams:
    return TimeBanditParams(**{"mev_kind": "backrun", **kw})


def config(ordering: str = "fcfs", mempool: str = "public", k: int = 4) -> DeviceConfig:
    return DeviceConfig(ordering=ordering, mempool=mempool, finality_depth=k, signatures="mac")  # type: ignore[arg-type]


def play(ordering: str, mempool: str = "public", k: int = 4, seed: int = 3, **kw: Any) -> Any:
    return TimeBanditGame().run(params(**kw), config(ordering, mempool, k), seed)


def test_the_backrun_is_the_pools_exact_optimum() -> None:
    order = BR.plan(params())
    bought = amount_out(50_000, 10**6, 10**6, 30)
    after = (10**6 - bought, 10**6 + 50_000)
    assert order.min_out == amount_out(order.amount, *after, 30)
    assert order.value == BACKRUN
    for a in (order.amount - 1, order.amount + 1):  # the integer peak
        assert amount_out(a, *after, 30) - a <= BACKRUN


def test_batch_order_is_the_clearing_peak() -> None:
    order = BR.batch_order(params(bandit_order="batch"))
    pool = ProductPool((10**6, 10**6), 30)

    def take(s: int) -> int:
        c = uniform_clearing(pool, 0, 1, (Order(False, 50_000, 0), Order(True, s, s + 1)))
        return c.outs[1] - s if c.filled[1] else 0

    assert order.min_out == order.amount + 1 and take(order.amount) == BATCH_TAKE
    assert max(take(s) for s in range(1_000, 100_001, 1_000)) <= BATCH_TAKE


@pytest.mark.parametrize(
    ("ordering", "mempool", "placement", "bandit_order", "value"),
    [
        ("fcfs", "public", "same_block", "backrun", BACKRUN),
        ("priority", "public", "same_block", "backrun", BACKRUN),
        ("fcfs", "sealed", "same_block", "backrun", BACKRUN),
        ("fcfs", "private", "same_block", "backrun", BACKRUN),
        ("batch", "public", "same_block", "backrun", 0),
        ("batch", "sealed", "same_block", "backrun", 0),
        ("batch", "public", "next_block", "backrun", BACKRUN),
        ("batch", "public", "same_block", "batch", BATCH_TAKE),
    ],
)
def test_fork_value_is_read_from_the_device(
    ordering: str, mempool: str, placement: str, bandit_order: str, value: int
) -> None:
    p = params(placement=placement, bandit_order=bandit_order)
    assert BR.fork_value(config(ordering, mempool), p, seed=1) == value


@pytest.mark.parametrize(
    ("ordering", "mempool", "placement", "fork", "honest"),
    [
        ("fcfs", "public", "same_block", BACKRUN, BACKRUN),
        ("priority", "public", "same_block", BACKRUN, BACKRUN),
        ("fcfs", "sealed", "same_block", BACKRUN, 0),
        ("batch", "public", "same_block", 0, 0),
        ("batch", "public", "next_block", BACKRUN, 0),
    ],
)
def test_each_reorg_takes_exactly_the_fork_value(
    ordering: str, mempool: str, placement: str, fork: int, honest: int
) -> None:
    """Every won fork takes V (and B, and T) to the base unit; the searchers keep the
    backrun of every round no fork replaced, where they see the trade and the rule lets
    one capture it."""
    rounds = 20
    r = play(ordering, mempool, rounds=rounds, alpha_bps=4_500, placement=placement)
    m = r.metrics
    reorgs = round(m["reorg_rate"] * rounds)
    assert reorgs > 0 and m["fork_mev"] == fork
    assert m["mev_captured"] == fork * reorgs
    assert [row["fork_take"] for row in r.tables["rounds"] if row["won"]] == [fork] * reorgs
    assert m["bounty_paid"] == 3_000 * reorgs and m["user_losses"] == 10_000 * reorgs
    assert m["honest_mev"] == honest * (rounds - reorgs)


def test_under_batch_only_the_bounty_pays_for_a_race() -> None:
    """Batch clearing leaves the bandit's backrun nothing: with a bounty of 1 no race pays
    (V + B = 1 is below V*), where fcfs's backrun alone pays for one."""
    batch = play("batch", rounds=10, bounty=1).metrics
    assert batch["fork_mev"] == 0 and batch["forks_attempted"] == 0
    assert batch["mev_captured"] == batch["bounty_paid"] == batch["user_losses"] == 0
    fcfs = play("fcfs", rounds=10, bounty=1).metrics
    assert fcfs["fork_mev"] == BACKRUN > fcfs["threshold"] and fcfs["forks_attempted"] == 10


def test_a_final_target_cannot_be_bought_under_any_design() -> None:
    for ordering in ("fcfs", "batch"):
        m = play(ordering, k=1, rounds=6, depth=2).metrics
        assert m["forks_attempted"] == m["bounty_paid"] == m["mev_captured"] == 0


def test_same_seed_same_run() -> None:
    a, b = (play("batch", rounds=8, placement="next_block") for _ in range(2))
    assert a.metrics == b.metrics and a.state_hash == b.state_hash


def test_random_ordering_is_refused_in_one_line() -> None:
    with pytest.raises(ValueError, match=r"device\.ordering") as err:
        play("random", rounds=1)
    assert "\n" not in str(err.value)


def test_a_trade_too_small_to_backrun_is_refused_in_one_line() -> None:
    with pytest.raises(ValidationError, match="victim 1 leaves no backrun"):
        params(victim=1)
    TimeBanditParams(victim=1)  # the prize game does not read it


def test_fork_blocks_refuses_bad_shapes() -> None:
    with pytest.raises(ValueError, match="at least 2 blocks"):
        BR.fork_blocks([], [], "same_block", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="placement must be"):
        BR.fork_blocks([], [], "elsewhere", 3)  # type: ignore[arg-type]


_NOT_INT = st.one_of(
    st.text(alphabet="abc-_ ", max_size=4),
    st.floats().filter(lambda f: f != int(f) if f == f and abs(f) != float("inf") else True),
    st.none(),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=40, deadline=None)
@given(
    key=st.sampled_from(["searchers", "pool_reserve", "victim", "fee_bps"]),
    bad=st.one_of(st.integers(-(10**30), -1), st.integers(10**16, 10**30), _NOT_INT),
)
def test_hostile_numbers_are_refused_naming_the_field(key: str, bad: Any) -> None:
    with pytest.raises(ValidationError) as err:
        params(**{key: bad})
    assert key in str(err.value)


@settings(max_examples=30, deadline=None)
@given(
    key=st.sampled_from(["mev_kind", "placement", "bandit_order"]),
    bad=st.one_of(st.text(max_size=12), st.integers(), st.none(), st.booleans()),
)
def test_hostile_switches_are_refused_naming_the_field(key: str, bad: Any) -> None:
    if bad in ("prize", "backrun", "same_block", "next_block", "batch"):
        return
    with pytest.raises(ValidationError) as err:
        params(**{key: bad})
    assert key in str(err.value)
