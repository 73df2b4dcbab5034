"""The deal_or_no_deal game: scripted negotiators bargain on the device.

On the device the negotiations end exactly as the off-device runner ends them (same
agreement, same number of offers), for every ordered pair of negotiators in one mixed
wave; every item is conserved after every block and ends where the agreements say;
negotiators that answer junk are refused by the device and their negotiation lapses
with the items back at the host; the metrics follow the exact analysis of each
instance; the same run gives the same state hash.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from accord.agents.bargaining import NMI, ResponseType, SAOState, run_negotiation
from accord.device import DeviceConfig, checks
from accord.games.bargaining_device import HOST, ITEMS, PLAYERS, Match, new_table, wave_size
from accord.games.base import GAMES, get_game
from accord.games.deal_or_no_deal import (
    NEGOTIATORS,
    DealOrNoDealGame,
    DealOrNoDealParams,
    pick_instances,
    summarise,
)
from accord.mechanisms.bargaining.deal_or_no_deal import Division, analyse, read_instances

CONFIG = DeviceConfig(signatures="mac", block_gas_limit=2_000_000_000)
N_STEPS = 9


def _play(matches: list[Match], config: DeviceConfig = CONFIG, wave: int = 1000) -> Any:
    instances = [m.instance for m in matches]
    table = new_table(config, instances, 0, n_steps=N_STEPS)
    checks.check_every_block(table.device)
    return table, table.play(matches, wave_size(config, wave))


def test_every_pair_on_the_device_ends_as_off_the_device() -> None:
    instances = read_instances()[:8]
    pairs = list(itertools.product(NEGOTIATORS, repeat=2))
    matches = [
        Match(inst, (NEGOTIATORS[a](), NEGOTIATORS[b]()), tag=(a, b))
        for inst in instances
        for a, b in pairs
    ]
    table, episodes = _play(matches)
    assert len(episodes) == len(pairs) * len(instances)
    agreements = 0
    for e in episodes:
        a, b = e.match.tag
        off = run_negotiation(e.match.instance, [NEGOTIATORS[a](), NEGOTIATORS[b]()], N_STEPS)
        assert (e.agreement, e.offers) == (off.agreement, off.steps), (a, b, e)
        assert e.utilities == off.utilities
        agreements += e.agreement is not None
    assert agreements > 0
    # the items ended exactly where the agreements put them; nothing is locked
    device = table.device
    assert not any(n for (_, _, holder), n in device.ledger.locked.items() if holder == table.venue)
    for i, item in enumerate(ITEMS):
        got0 = sum(e.agreement[i] for e in episodes if e.agreement is not None)
        got1 = sum(
            e.match.instance.pool[i] - e.agreement[i] for e in episodes if e.agreement is not None
        )
        assert device.balance(PLAYERS[0], item) == got0
        assert device.balance(PLAYERS[1], item) == got1
        supply = sum(m.instance.pool[i] for m in matches)
        assert device.balance(HOST, item) + got0 + got1 == supply


class Junk:
    """A negotiator whose offers and answers are hostile values."""

    def __init__(self, offer: Any, answer: Any = ResponseType.REJECT_OFFER) -> None:
        self.offer, self.answer = offer, answer

    def on_negotiation_start(self, nmi: NMI) -> None:
        self.pool = nmi.pool

    def propose(self, state: SAOState) -> Division:
        offer: Division = self.offer(self.pool) if callable(self.offer) else self.offer
        return offer

    def respond(self, state: SAOState, offer: Division) -> ResponseType:
        answer: ResponseType = self.answer
        return answer


@pytest.mark.parametrize(
    "offer",
    [
        (-1, 0, 0),
        (10**30, 0, 0),
        lambda pool: (pool[0] + 1, 0, 0),
        (1, 1),
        (1, 1, 1, 1),
        ("a", 0, 0),
        (1.5, 0, 0),
        None,
        "all of it",
        (True, 0, 0),
    ],
)
def test_junk_offers_are_refused_by_the_device(offer: Any) -> None:
    instance = read_instances()[0]
    table, [episode] = _play([Match(instance, (Junk(offer), NEGOTIATORS["Linear"]()))])
    assert episode.agreement is None and episode.utilities == (0, 0)
    assert episode.ended_by == "refused offer by player 0"
    for i, item in enumerate(ITEMS):
        assert table.device.balance(HOST, item) == instance.pool[i]


SCALAR = st.one_of(
    st.integers(-(2**70), 2**70),
    st.integers(-2, 6),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.text(max_size=5),
    st.binary(max_size=5),
)
HOSTILE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(tuple),
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=2), inner, max_size=2),
    ),
    max_leaves=8,
)


@settings(max_examples=40, deadline=None)
@given(offer=st.one_of(HOSTILE, st.tuples(SCALAR, SCALAR, SCALAR)), index=st.integers(0, 999))
def test_generated_junk_offers_never_move_an_item(offer: Any, index: int) -> None:
    """Whatever a negotiator proposes reaches the device as it is: anything but a
    division of the pool is refused there and the items go back to the host (the
    conservation checks run after every block); a division is an ordinary offer."""
    instance = read_instances()[index]
    table, [episode] = _play([Match(instance, (Junk(offer), NEGOTIATORS["Linear"]()))])
    if instance.is_division(offer):
        assert episode.ended_by != "refused offer by player 0"
        return
    assert episode.agreement is None and episode.utilities == (0, 0) and episode.offers == 0
    assert episode.ended_by == "refused offer by player 0"
    for i, item in enumerate(ITEMS):
        assert table.device.balance(HOST, item) == instance.pool[i]
        assert all(table.device.balance(p, item) == 0 for p in PLAYERS)


@given(
    field=st.sampled_from(["first", "second", "instances", "n_steps", "turn_blocks", "wave"]),
    value=st.one_of(
        st.sampled_from([0, -1, 10**6, math.nan, math.inf, "Nobody", None, [1], True]),
        st.text(max_size=4),
    ),
)
def test_generated_hostile_params_are_refused(field: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        DealOrNoDealParams(**{field: value})


@given(rate=st.sampled_from([math.nan, math.inf, -math.inf, -1e-9, "fast", None]))
def test_a_hostile_discount_rate_is_refused(rate: Any) -> None:
    with pytest.raises(ValidationError):
        DealOrNoDealParams(discount_rate_per_s=rate)


@pytest.mark.parametrize("answer", [ResponseType.END_NEGOTIATION, "yes", None, 1])
def test_a_negotiation_ended_or_answered_with_junk_lapses(answer: Any) -> None:
    instance = read_instances()[1]
    fair = (instance.pool[0], 0, 0)
    table, [episode] = _play([Match(instance, (NEGOTIATORS["Boulware"](), Junk(fair, answer)))])
    assert episode.agreement is None and episode.offers == 1
    assert episode.ended_by.split(" ")[0] in ("end_negotiation", "invalid")
    for i, item in enumerate(ITEMS):
        assert table.device.balance(HOST, item) == instance.pool[i]


def test_accepting_everything_settles_the_first_offer() -> None:
    instance = read_instances()[2]
    greedy = instance.pool
    table, [episode] = _play(
        [Match(instance, (Junk(greedy), Junk((0, 0, 0), ResponseType.ACCEPT_OFFER)))]
    )
    assert episode.agreement == greedy and episode.offers == 1
    assert episode.blocks == 2  # the offer's block, then the acceptance's
    assert episode.utilities == (instance.value(0, greedy), 0)
    for i, item in enumerate(ITEMS):
        assert table.device.balance(PLAYERS[0], item) == greedy[i]


def test_waves_smaller_than_the_batch_give_the_same_outcomes() -> None:
    instances = read_instances()[10:16]

    def make() -> list[Match]:
        return [
            Match(i, (NEGOTIATORS["Conceder"](), NEGOTIATORS["TitForTat"]())) for i in instances
        ]

    _, whole = _play(make())
    _, waves = _play(make(), wave=4)
    assert [(e.agreement, e.offers) for e in whole] == [(e.agreement, e.offers) for e in waves]


def test_metrics_follow_the_exact_analysis() -> None:
    instances = read_instances()[:30]
    matches = [
        Match(i, (NEGOTIATORS["ParetoAware"](), NEGOTIATORS["Conceder"]())) for i in instances
    ]
    _, episodes = _play(matches)
    m = summarise(episodes, delta=0.5, offline=[True] * len(episodes))
    agreed = [e for e in episodes if e.agreement is not None]
    assert m["agreement_rate"] == len(agreed) / 30
    assert m["pareto_rate"] <= m["agreement_rate"]
    expected_joint = sum(sum(e.utilities) / analyse(e.match.instance).max_joint for e in episodes)
    assert m["joint_value_ratio"] == pytest.approx(expected_joint / 30, abs=1e-12)
    discounted = sum(
        sum(e.utilities) / analyse(e.match.instance).max_joint * 0.5**e.blocks for e in agreed
    )
    assert m["discounted_joint_value_ratio"] == pytest.approx(discounted / 30, abs=1e-12)
    nash = [analyse(e.match.instance).nash_utilities for e in episodes]
    dist = sum(math.dist(e.utilities, n) for e, n in zip(episodes, nash, strict=True)) / 30
    assert m["nash_distance"] == pytest.approx(dist, abs=1e-12)
    # a negotiation that agrees on the Nash split is at distance 0 and Pareto optimal
    for e, n in zip(episodes, nash, strict=True):
        if e.utilities == n:
            assert analyse(e.match.instance).is_pareto_optimal(n)


def test_the_game_is_registered_and_deterministic() -> None:
    get_game("toy")
    assert GAMES["deal_or_no_deal"] is DealOrNoDealGame
    params = DealOrNoDealParams(first="Linear", second="ParetoAware", instances=12)
    one = DealOrNoDealGame().run(params, CONFIG, seed=3)
    two = DealOrNoDealGame().run(params, CONFIG, seed=3)
    assert one.state_hash == two.state_hash and one.metrics == two.metrics
    assert one.metrics["matches_offline"] == 1.0 and one.metrics["episodes"] == 12
    assert len(one.tables["negotiations"]) == 12
    assert pick_instances(12, 3) == pick_instances(12, 3) != pick_instances(12, 4)
    assert len(pick_instances(1000, 0)) == 1000


def test_the_game_fits_a_small_block_gas_limit() -> None:
    """With the default 30 M gas per block only a few negotiations fit a block; waves
    shrink to fit and the outcomes are the same."""
    small = DeviceConfig(signatures="mac")
    params = DealOrNoDealParams(first="Conceder", second="Linear", instances=6)
    big = DealOrNoDealGame().run(params, CONFIG, seed=1)
    tight = DealOrNoDealGame().run(params, small, seed=1)
    assert wave_size(small, 1000) == 75
    assert big.metrics == tight.metrics


def test_latency_slows_the_negotiations_but_not_their_outcomes() -> None:
    """Agents 15 s away from a 12 s-block device: each answer lands two blocks later. A
    4-block window still fits every answer (outcomes as off the device, more blocks);
    a 2-block window does not even fit the joins (the join deadline lapses first),
    which is a clear error."""
    slow = DeviceConfig(signatures="mac", block_gas_limit=2_000_000_000, default_latency_ms=15_000)
    instances = read_instances()[20:26]

    def matches() -> list[Match]:
        return [Match(i, (NEGOTIATORS["Linear"](), NEGOTIATORS["Conceder"]())) for i in instances]

    _, fast = _play(matches())
    table = new_table(slow, instances, 0, n_steps=N_STEPS, turn_blocks=4)
    checks.check_every_block(table.device)
    delayed = table.play(matches(), 1000)
    assert [(e.agreement, e.offers) for e in delayed] == [(e.agreement, e.offers) for e in fast]
    assert all(d.blocks > f.blocks for d, f in zip(delayed, fast, strict=True))
    tight = new_table(slow, instances, 0, n_steps=N_STEPS, turn_blocks=2)
    with pytest.raises(RuntimeError, match=r"join of match 0 failed: negotiation 0 is failed"):
        tight.play(matches(), 1000)
