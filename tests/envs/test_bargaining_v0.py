"""The Deal-or-No-Deal env: conformance, OpenSpiel's rules, scripted opponents, bad actions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("pettingzoo")

from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test

from accord.agents.bargaining import NEGOTIATORS, NMI, ResponseType, SAOState, run_negotiation
from accord.envs import bargaining_v0
from accord.envs.bargaining import BargainingEnv
from accord.mechanisms.bargaining.deal_or_no_deal import AGREE, OFFERS, offer_action

P0, P1 = "player_0", "player_1"


def test_passes_the_parallel_api_test() -> None:
    parallel_api_test(bargaining_v0.parallel_env(), num_cycles=50)
    parallel_api_test(bargaining_v0.parallel_env(opponent="Boulware"), num_cycles=50)
    parallel_api_test(bargaining_v0.parallel_env(opponent="Conceder", opponent_seat=0), 50)


def test_passes_the_seed_test() -> None:
    parallel_seed_test(lambda: bargaining_v0.parallel_env(), num_cycles=50)
    parallel_seed_test(lambda: bargaining_v0.parallel_env(opponent="Linear"), num_cycles=50)


def test_aec_version_passes_the_api_test() -> None:
    api_test(bargaining_v0.env(), num_cycles=50)


def test_a_deal_by_hand_on_instance_0() -> None:
    # 1,2,3 8,1,0 4,0,2: player 0 keeps A and both Bs, player 1 agrees: 10 and 6
    env = bargaining_v0.parallel_env()
    obs, info = env.reset(seed=5, options={"instance": 0})
    assert info[P0]["instance"] == 0
    mask = obs[P0]["action_mask"]
    assert mask[AGREE] == 0 and obs[P1]["action_mask"].sum() == 0
    assert mask.sum() == 2 * 3 * 4  # every keep within the pool (1, 2, 3)
    o = obs[P0]["observation"]
    assert o[:3].tolist() == [1, 0, 1] and o[7:10] == pytest.approx([0.8, 0.1, 0.0])
    keep = OFFERS.index((1, 2, 0))
    obs, r, term, trunc, info = env.step({P0: keep, P1: 0})  # player 1's action is ignored
    assert r == {P0: 0.0, P1: 0.0} and not any(term.values())
    assert env.offers[-1].outcome == (1, 2, 0)
    assert obs[P1]["action_mask"][AGREE] == 1 and obs[P0]["action_mask"].sum() == 0
    # player 1 sees what the offer gives it: the three Cs, worth 6 to it
    assert obs[P1]["observation"][11:14] == pytest.approx([0, 0, 3 / 7])
    assert obs[P1]["observation"][14] == pytest.approx(0.6)
    obs, r, term, trunc, info = env.step({P1: AGREE})
    assert r == {P0: 10.0, P1: 6.0} and all(term.values()) and not any(trunc.values())
    assert info[P0]["agreement"] == (1, 2, 0) and env.agents == []
    with pytest.raises(RuntimeError, match="episode is over"):
        env.step({P0: 0})


def test_no_deal_after_max_turns_offers() -> None:
    env = bargaining_v0.parallel_env(max_turns=4)
    env.reset(seed=0, options={"instance": 0})
    for k in range(4):
        mover = (P0, P1)[k % 2]
        _, r, term, _, info = env.step({mover: OFFERS.index((0, 0, 0))})
    assert all(term.values()) and r == {P0: 0.0, P1: 0.0}
    assert info[P0]["ended_by"] == "max_turns" and info[P0]["agreement"] is None


def test_illegal_moves_end_the_episode_as_pettingzoo_classic_does() -> None:
    env = bargaining_v0.parallel_env(illegal_reward=-2.5)
    env.reset(seed=0, options={"instance": 0})
    _, r, term, _, info = env.step({P0: AGREE})  # nothing on the table yet
    assert r == {P0: -2.5, P1: 0.0} and all(term.values()) and info[P1]["illegal_move"]
    env.reset(seed=0, options={"instance": 0})
    env.step({P0: OFFERS.index((0, 0, 0))})
    _, r, term, _, info = env.step({P1: OFFERS.index((2, 0, 0))})  # 2 As, the pool has 1
    assert r == {P0: 0.0, P1: -2.5} and info[P0]["ended_by"] == "illegal"


@pytest.mark.parametrize("bad", [121, -1, 1.5, "0", None, [0], np.int64(500), True])
def test_actions_outside_the_space_are_refused_and_change_nothing(bad: Any) -> None:
    env = bargaining_v0.parallel_env()
    env.reset(seed=0, options={"instance": 0})
    with pytest.raises(ValueError, match="player_0: action"):
        env.step({P0: bad, P1: 0})
    with pytest.raises(KeyError, match="no action for player_0"):
        env.step({P1: 0})
    with pytest.raises(KeyError, match="not in the episode"):
        env.step({P0: 0, "player_2": 0})
    assert env.offers == ()
    _, _, term, _, _ = env.step({P0: 0})
    assert not any(term.values()) and len(env.offers) == 1


def test_bad_params_and_resets() -> None:
    with pytest.raises(ValueError, match="max_turns"):
        bargaining_v0.parallel_env(max_turns=1)
    with pytest.raises(ValueError, match="extra"):
        bargaining_v0.parallel_env(turns=3)
    with pytest.raises(ValueError, match="unknown opponent"):
        bargaining_v0.parallel_env(opponent="Skynet")
    with pytest.raises(TypeError, match="opponent must be"):
        bargaining_v0.parallel_env(opponent=3)
    with pytest.raises(ValueError, match="render_mode"):
        bargaining_v0.parallel_env(render_mode="human")
    env = bargaining_v0.parallel_env()
    with pytest.raises(ValueError, match="seed"):
        env.reset(seed=-1)
    with pytest.raises(ValueError, match="instance"):
        env.reset(options={"instance": 1000})
    with pytest.raises(RuntimeError, match="reset"):
        _ = env.instance


def _drive(env: BargainingEnv, negotiator: Any, seat: int) -> int:
    """The action a negotiator takes in the env at its turn (the SAO-to-OpenSpiel mapping)."""
    inst, hist = env.instance, env.offers
    n_steps = env.params.max_turns - 1
    if hist:
        last = hist[-1]
        state = SAOState(last.step, n_steps, last.outcome, last.proposer, hist)
        if negotiator.respond(state, last.outcome) is ResponseType.ACCEPT_OFFER:
            return AGREE
    cur = hist[-1] if hist else None
    state = SAOState(
        min(len(hist), n_steps),
        n_steps,
        cur.outcome if cur else None,
        cur.proposer if cur else None,
        hist,
    )
    return offer_action(inst, negotiator.propose(state), seat)


@pytest.mark.parametrize(("mine", "theirs"), [("Boulware", "Conceder"), ("TitForTat", "Linear")])
def test_scripted_opponent_plays_as_the_runner_does(mine: str, theirs: str) -> None:
    env = bargaining_v0.parallel_env(opponent=theirs)
    for k in range(0, 1000, 25):
        env.reset(seed=0, options={"instance": k})
        me = NEGOTIATORS[mine]()
        inst = env.instance
        me.on_negotiation_start(NMI(0, inst.pool, inst.values[0], 9, inst.divisions()))
        rewards: dict[str, float] = {}
        while env.agents:
            _, rewards, _, _, info = env.step({P0: _drive(env, me, 0)})
        expected = run_negotiation(
            env.instance, [NEGOTIATORS[mine](), NEGOTIATORS[theirs]()], n_steps=9
        )
        assert info[P0]["agreement"] == expected.agreement
        assert rewards[P0] == expected.utilities[0]


moves = st.one_of(
    st.integers(0, AGREE),
    st.integers(-5, 300),
    st.sampled_from([None, "1", 1.0, True, [1], np.int64(3), np.int64(121)]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(moves, moves), max_size=15), st.sampled_from([None, "Boulware"]))
def test_hostile_action_sequences_never_break_the_env(
    seq: list[tuple[Any, Any]], opponent: str | None
) -> None:
    env = bargaining_v0.parallel_env(opponent=opponent)
    env.reset(seed=3)
    for a0, a1 in seq:
        if not env.agents:
            break
        before = env.offers
        actions = {p: a for p, a in zip((P0, P1), (a0, a1), strict=True) if p in env.agents}
        try:
            _, rewards, term, _, _ = env.step(actions)
        except (ValueError, KeyError) as err:
            assert env.offers == before and str(err)  # refused, nothing changed
            continue
        assert all(isinstance(r, float) for r in rewards.values())
        assert len(env.offers) <= env.params.max_turns
        if any(term.values()):
            assert env.agents == []
