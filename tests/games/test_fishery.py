"""The fishery game: the must-holds of issue 14, conservation, determinism, MEV, the API."""

from __future__ import annotations

import pytest

from accord.agents.commons import Greedy, Terms
from accord.device import DeviceConfig, checks
from accord.games.base import get_game
from accord.games.fishery import FisheryGame, FisheryGameParams, play_season
from accord.games.fishery_session import FisheryError, FisheryParams, FisherySession
from accord.mechanisms.contracting import transfers

ORDERINGS = ("fcfs", "priority", "random", "batch")
GREEDY = ("greedy",) * 5


def run(
    seed: int = 0, ordering: str = "priority", mempool: str = "public", **kw: object
) -> dict[str, float | int]:
    config = DeviceConfig(ordering=ordering, mempool=mempool)  # type: ignore[arg-type]
    return dict(FisheryGame().run(FisheryGameParams(**kw), config, seed).metrics)  # type: ignore[arg-type]


@pytest.mark.parametrize("ordering", ORDERINGS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_must_hold_greedy_collapse_without_a_contract(ordering: str, seed: int) -> None:
    m = run(seed, ordering, negotiate=False, agents=GREEDY)
    assert m["survived"] == 0 and m["rounds_survived"] == 0 and m["final_stock"] == 0
    assert m["welfare"] == 100  # the whole lake in round 1, then nothing
    assert m["accepted"] == 0 and m["quota"] == -1


@pytest.mark.parametrize("ordering", ORDERINGS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_must_hold_the_planners_contract_sustains_all_twelve_rounds(
    ordering: str, seed: int
) -> None:
    # one planner and four greedy fishers: the planner proposes q = 10, p = 2, all accept
    m = run(seed, ordering, agents=("planner", *GREEDY[1:]))
    assert (m["proposed"], m["accepted"], m["quota"], m["penalty"]) == (1, 1, 10, 2)
    assert m["survived"] == 1 and m["rounds_survived"] == 12 and m["final_stock"] == 100
    assert m["welfare"] == 600 and m["optimum"] == 645  # 93% of the optimum
    assert m["gini"] == 0.0 and m["transfers"] == 0


def test_game_is_registered_and_deterministic() -> None:
    assert get_game("fishery") is FisheryGame
    params = FisheryGameParams(
        searchers=1, agents=("planner", "greedy", "tit_for_tat", "sustainable", "greedy")
    )
    a = FisheryGame().run(params, DeviceConfig(ordering="random"), 7)
    b = FisheryGame().run(params, DeviceConfig(ordering="random"), 7)
    assert a.state_hash == b.state_hash and a.metrics == b.metrics and a.tables == b.tables


def test_every_transfer_is_conserved_and_matches_the_rule() -> None:
    # a quota with p = 1 does not deter: greedy fishers exceed and pay, each round checked
    session = FisherySession(FisheryParams(penalties=(1,), quotas=(10,)), DeviceConfig(), 3)
    session.adopt(Terms(10, 1, 90))
    greedy = {name: Greedy(name) for name in session.fishers}
    play_season(session, greedy)
    assert session.history, "no round played"
    for r in session.history:
        assert sum(r.transfers) == 0
        assert r.transfers == transfers(session.params.space, (10, 1), r.catches)
    checks.block_invariants(session.device)
    assert sum(session.payoffs()) == sum(sum(r.catches) for r in session.history)


@pytest.mark.parametrize(
    ("ordering", "mempool", "builder", "taken"),
    [
        ("priority", "public", False, 45),  # its tip puts it before the close
        ("fcfs", "public", False, 0),  # it arrives after the close it saw: reverts
        ("batch", "public", False, 0),  # the harvest settles in the batch, after the close
        ("priority", "private", False, 0),  # it cannot see the close
        ("priority", "private", True, 45),  # the builder can
        ("priority", "sealed", True, 0),  # nobody can
    ],
)
def test_mev_on_the_last_close(ordering: str, mempool: str, builder: bool, taken: int) -> None:
    m = run(0, ordering, mempool, searchers=1, searcher_is_builder=builder)
    assert m["mev_fish"] == taken
    assert m["welfare"] == 600 and m["survived"] == 1  # the fishers keep what they caught


def test_a_greedy_searcher_destroys_the_contracted_commons() -> None:
    m = run(0, "priority", searchers=1, searcher_keep="collapse")
    assert m["mev_fish"] == 45  # 100 - 50 caught - 5 left, in round 1
    assert m["survived"] == 0 and m["welfare"] < 100


def test_session_refuses_bad_decisions() -> None:
    s = FisherySession(FisheryParams(), DeviceConfig(), 0)
    before = s.state_hash()
    with pytest.raises(FisheryError, match="not the harvest phase"):
        s.catch("fisher_0", 3)
    with pytest.raises(FisheryError, match="only fisher_0 proposes"):
        s.propose("fisher_1", None)
    with pytest.raises(FisheryError, match="menu"):
        s.propose("fisher_0", Terms(11, 2, 178))
    with pytest.raises(FisheryError, match="fisher must be one of"):
        s.view("mallory")
    assert s.state_hash() == before
    s.propose("fisher_0", s.menu[1])
    with pytest.raises(FisheryError, match="already answered"):
        s.respond("fisher_0", True)
    with pytest.raises(FisheryError, match="accept must be a bool"):
        s.respond("fisher_1", 1)  # type: ignore[arg-type]
    s.respond("fisher_1", False)  # one rejection ends the negotiation
    assert s.phase == "harvest" and s.contract is None
    for bad in (-1, 1.5, True, "3", None):
        with pytest.raises(FisheryError, match="amount"):
            s.catch("fisher_2", bad)  # type: ignore[arg-type]
    s.catch("fisher_2", 10**30)  # more than the lake: served what is left
    with pytest.raises(FisheryError, match="already asked"):
        s.catch("fisher_2", 1)
    report = s.close_round()
    assert report.catches == (0, 0, 100, 0, 0) and report.collapsed and s.over


def test_view_is_what_govsim_shows() -> None:
    s = FisherySession(FisheryParams(negotiate=False), DeviceConfig(), 0)
    v = s.view("fisher_3")
    assert (v.round, v.stock, v.threshold, v.last_catches, v.contract) == (1, 100, 10, {}, None)
    assert v.balance == 1_000 and v.phase == "harvest" and len(v.menu) == 24
    for name, ask in zip(s.fishers, (5, 10, 15, 0, 20), strict=True):
        s.catch(name, ask)
    s.close_round()
    v = s.view("fisher_3")
    assert v.round == 2 and v.stock == 100 and v.last_catches["fisher_4"] == 20
    assert v.others_last == {"fisher_0": 5, "fisher_1": 10, "fisher_2": 15, "fisher_4": 20}
    hidden = FisherySession(FisheryParams(negotiate=False, observe_others=False), DeviceConfig(), 0)
    for name in hidden.fishers:
        hidden.catch(name, 1)
    hidden.close_round()
    assert hidden.view("fisher_3").last_catches == {"fisher_3": 1}


def test_renegotiation_after_a_deposit_runs_out() -> None:
    # p = 1 does not deter: round 1's greedy catch exhausts the first contract; with
    # renegotiate the next round opens a new proposal by the next fisher in turn
    params = FisheryParams(quotas=(10,), penalties=(1, 2), renegotiate=True, initial=100)
    s = FisherySession(params, DeviceConfig(), 0)
    assert s.proposer == "fisher_0"
    s.propose("fisher_0", Terms(10, 1, 90))
    for f in s.fishers[1:]:
        s.respond(f, True)
    s.catch("fisher_0", 60)  # 50 over: pays 50 of its 90 deposit
    for f in s.fishers[1:]:
        s.catch(f, 0)
    first = s.close_round()
    assert first.transfers == (-50, 13, 13, 12, 12) and s.in_force
    assert s.phase == "harvest"  # the contract is still in force: no proposal
    s.catch("fisher_0", 60)  # of 80: 50 over, 40 left to pay: the deposit runs out
    for f in s.fishers[1:]:
        s.catch(f, 0)
    second = s.close_round()
    # the payer pays what its deposit holds; the contracting mechanism shares it out
    assert second.transfers[0] == -40 and sum(second.transfers) == 0
    assert all(0 <= x <= 13 for x in second.transfers[1:])  # at most the full 50 / 4 share
    assert not s.in_force and s.phase == "propose" and s.proposer == "fisher_2"
    s.propose("fisher_2", Terms(10, 2, 180))
    for f in ("fisher_0", "fisher_1", "fisher_3", "fisher_4"):
        s.respond(f, True)
    assert s.contract == Terms(10, 2, 180) and s.in_force
    assert s.accepted == 2 and s.proposals == 2
    s.catch("fisher_0", 15)
    for f in s.fishers[1:]:
        s.catch(f, 0)
    assert s.close_round().transfers == (-10, 3, 3, 2, 2)
    checks.block_invariants(s.device)


def test_the_keeper_fee_pays_whoever_closes() -> None:
    # 5 fish a round, split among the 5 parties, paid through the lake to the referee
    m = run(0, "priority", keeper_fee=5, agents=("planner", *GREEDY[1:]))
    assert m["survived"] == 1 and m["accepted"] == 1
    assert m["keeper_fees"] == 60 and m["welfare"] == 600 - 60
    s = FisherySession(FisheryParams(keeper_fee=7), DeviceConfig(), 0)
    terms = s.menu[14]
    assert terms is not None and terms.deposit == 2 * 90 + 12 * 2  # fees: ceil(7 / 5) a round
    s.adopt(terms)
    for f in s.fishers:
        s.catch(f, 10)
    report = s.close_round()
    assert report.keeper_fees == (2, 2, 1, 1, 1)  # 7 split: the first 7 % 5 pay one more
    assert s.device.balance("referee", "FISH") == 7
    assert s.device.balance(s.lake, "FISH") == s.stock == 100
    checks.block_invariants(s.device)
