"""Issue 14's variants in the matrix env: a unilateral commitment (``contract_kind =
"unilateral"``) and a contract proposed mid-episode (``propose_at``), by hand on the
device, against theory (:mod:`accord.mechanisms.stakes`), under the baseline learners,
and against hostile options."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("pettingzoo")

from pettingzoo.test import parallel_api_test, parallel_seed_test

from accord.envs import matrix_dilemma_v0
from accord.envs.learners import Discretiser, QLearner, evaluate, linear_decay, train
from accord.mechanisms.contracting import UNILATERAL
from accord.mechanisms.dilemmas import optimal_welfare
from accord.mechanisms.stakes import pure_equilibria, stake_payoffs, surviving, theta_commit

P0, P1 = "player_0", "player_1"


def coin(env: Any) -> list[int]:
    return [env.device.balance(a, "COIN") for a in env.possible_agents]


@pytest.mark.parametrize(
    "params",
    [
        {"rounds": 4, "contract_kind": "unilateral", "negotiate": True},
        {"rounds": 4, "contract_kind": "unilateral", "negotiate": True, "propose_at": 2},
        {"rounds": 5, "negotiate": True, "players": 3, "propose_at": 3},
        {"rounds": 3, "contract_kind": "unilateral", "contract": 2, "propose_at": 1},
    ],
)
def test_the_variants_pass_the_parallel_api_test(params: dict[str, Any]) -> None:
    parallel_api_test(matrix_dilemma_v0.parallel_env(**params), num_cycles=40)


@pytest.mark.parametrize(
    "params",
    [
        {"contract_kind": "unilateral", "negotiate": True, "propose_at": 1},
        {"negotiate": True, "propose_at": 2},
        {"contract_kind": "unilateral", "contract": 4, "propose_at": 2},
    ],
)
def test_the_variants_pass_the_seed_test(params: dict[str, Any]) -> None:
    parallel_seed_test(lambda: matrix_dilemma_v0.parallel_env(rounds=4, **params), num_cycles=40)


# -- unilateral commitment ----------------------------------------------------------------


def test_the_unilateral_menu_and_space() -> None:
    env = matrix_dilemma_v0.parallel_env(contract_kind="unilateral", thetas=(150, 300))
    assert env.contract_menu == (None, (0, 150), (0, 300))  # (threshold, stake)
    space = env.contract_space
    assert space.rule == UNILATERAL and space.feature_max == 1
    assert [(p.name, p.low, p.high) for p in space.params] == [
        ("threshold", 0, 0),
        ("rate", 0, 300),
    ]
    assert env.theta(2) == 300 and env.theta(0) is None


def test_stag_hunt_stake_by_hand_only_the_committer_pays() -> None:
    # stag hunt R=4, T=P=3, S=0; player 0 stakes θ = 400 (4 points) on its own defection
    env = matrix_dilemma_v0.parallel_env(game="stag_hunt", rounds=3, contract_kind="unilateral")
    _, info = env.reset(seed=0, options={"contract": 4})
    assert info[P0]["contract"] == 4 and info[P0]["in_force"]
    # only the committer deposits (max θ x rounds = 1500); player 1's COIN stays free
    assert coin(env) == [0, 1500]
    _, r, _, _, info = env.step({P0: 1, P1: 0})  # hare vs stag: 3 - 4 and 0 + 4
    assert r == {P0: -1.0, P1: 4.0} and [info[a]["transfer"] for a in info] == [-400, 400]
    _, r, _, _, info = env.step({P0: 0, P1: 1})  # stag vs hare: the other never pays
    assert r == {P0: 0.0, P1: 3.0} and info[P1]["transfer"] == 0
    _, r, term, _, info = env.step({P0: 1, P1: 1})  # hare vs hare: 3 - 4 and 3 + 4
    assert r == {P0: -1.0, P1: 7.0} and all(term.values())
    assert coin(env) == [1500 - 800, 1500 + 800] and sum(coin(env)) == 3000
    assert not info[P0]["in_force"]  # the last round ended it and refunded the rest


def test_a_committer_other_than_player_0_and_three_players_split_exactly() -> None:
    # player 2 commits θ = 101: its defection pays 51 + 50 (the device's exact split)
    env = matrix_dilemma_v0.parallel_env(
        players=3, rounds=2, contract_kind="unilateral", proposer=2, thetas=(101,), contract=1
    )
    env.reset(seed=0)
    assert coin(env) == [202, 202, 0]
    _, _, _, _, info = env.step({P0: 1, P1: 1, "player_2": 1})
    assert [info[a]["transfer"] for a in env.possible_agents] == [51, 50, -101]
    _, _, _, _, info = env.step({P0: 1, P1: 0, "player_2": 0})  # the others defect: 0
    assert [info[a]["transfer"] for a in env.possible_agents] == [0, 0, 0]
    assert coin(env) == [202 + 51, 202 + 50, 202 - 101]


def test_negotiated_commitment_needs_no_acceptance_step() -> None:
    env = matrix_dilemma_v0.parallel_env(
        game="stag_hunt", rounds=2, contract_kind="unilateral", negotiate=True
    )
    obs, info = env.reset(seed=0)
    assert info[P0]["phase"] == "propose"
    assert info[P0]["action_mask"].tolist() == [1] * 6 and info[P1]["action_mask"].tolist() == [
        1,
        0,
        0,
        0,
        0,
        0,
    ]
    # player 1 cannot propose (its menu index is out of its mask, flagged, ignored)
    obs, r, _, _, info = env.step({P0: 4, P1: 3})
    assert info[P1]["invalid"] and not info[P0]["invalid"]
    assert info[P0]["phase"] == "play" and info[P0]["contract"] == 4 and info[P0]["in_force"]
    assert obs[P1][4] == pytest.approx(0.8) and obs[P1][5] == 1.0  # 400 of 500, in force
    assert r == {P0: 0.0, P1: 0.0} and coin(env) == [0, 1000]
    _, r, _, _, _ = env.step({P0: 0, P1: 0})
    _, r, term, _, _ = env.step({P0: 0, P1: 0})
    assert r == {P0: 4.0, P1: 4.0} and all(term.values())
    assert coin(env) == [1000, 1000]


@pytest.mark.parametrize("game", ["stag_hunt", "prisoners_dilemma"])
def test_greedy_play_under_the_stake_is_the_theory_outcome(game: str) -> None:
    """Iterated best response from all-defect, played on the device: with the stake
    above θ_commit (4 points in the stag hunt, 3 in the PD), play reaches the profile
    iterated strict dominance leaves, and the env pays what :func:`stake_payoffs` says."""
    env = matrix_dilemma_v0.parallel_env(game=game, rounds=4, contract_kind="unilateral")
    entry = {"stag_hunt": 4, "prisoners_dilemma": 3}[game]
    theta = env.theta(entry)
    assert theta is not None and theta > theta_commit(env.game) * env.params.unit
    left = surviving(env.game, theta // env.params.unit)
    assert all(len(m) == 1 for m in left)
    profile = tuple(m[0] for m in left)
    assert pure_equilibria(env.game, theta // env.params.unit) == (profile,)
    expected = stake_payoffs(env.game, theta // env.params.unit, profile)
    env.reset(seed=0, options={"contract": entry})
    moves = {P0: 1, P1: 1}
    for _ in range(4):  # each round both best-respond to the last one
        _, r, _, _, _ = env.step(moves)
        last = (moves[P0] == 0, moves[P1] == 0)
        moves = {
            a: 0 if max((True, False), key=lambda c, i=i: _payoff_if(env, theta, last, i, c)) else 1
            for i, a in enumerate(env.possible_agents)
        }
    assert (moves[P0] == 0, moves[P1] == 0) == profile
    assert tuple(r.values()) == tuple(float(x) for x in expected)
    if game == "stag_hunt":
        assert profile == (True, True) and sum(expected) == optimal_welfare(env.game) == 8
    else:  # the committer cooperates, the other still defects: 5 of the optimum 6
        assert profile == (True, False) and expected == (0, 5)
        assert sum(expected) == 5 < optimal_welfare(env.game)


def _payoff_if(env: Any, theta: int, last: tuple[bool, bool], i: int, c: bool) -> Any:
    """Player ``i``'s payoff if it plays ``c`` against the other's last move."""
    profile = tuple(c if j == i else last[j] for j in range(2))
    return stake_payoffs(env.game, theta // env.params.unit, profile)[i]


@pytest.mark.parametrize(
    ("game", "entry", "expected"),
    [
        ("stag_hunt", 4, {P0: 4.0, P1: 4.0}),  # stag dominant for 0, then 1's best reply
        ("prisoners_dilemma", 3, {P0: 0.0, P1: 5.0}),  # 0 cooperates, 1 still defects
        ("stag_hunt", 0, {P0: 3.0, P1: 3.0}),  # no stake: the risk-dominant all-hare
        ("prisoners_dilemma", 0, {P0: 1.0, P1: 1.0}),
    ],
)
@pytest.mark.parametrize("seed", range(5))
def test_q_learners_under_a_stake_reach_the_theory_outcome(
    game: str, entry: int, expected: dict[str, float], seed: int
) -> None:
    """Stateless independent Q-learners (sample-average steps, γ = 0), 60 episodes of
    10 rounds, ε from 1 to 0 over the first 30, greedy evaluation; player 0 committed
    to menu entry ``entry`` (θ = 400 / 300 base units). Seeds 0-4 here; seeds 0-9 all
    gave the same outcome when this was written, nothing is tuned per seed."""
    env = matrix_dilemma_v0.parallel_env(game=game, rounds=10, contract_kind="unilateral")
    learners = {
        a: QLearner(2, Discretiser({}), np.random.default_rng([seed, i]))
        for i, a in enumerate(env.possible_agents)
    }
    options = {"contract": entry}
    train(
        env,
        learners,
        episodes=60,
        seed=seed,
        epsilon=linear_decay(1.0, 0.0, 30),
        options=lambda episode: options,
    )
    mean = evaluate(
        env, {a: q.greedy for a, q in learners.items()}, episodes=1, seed=seed, options=options
    )
    assert mean == expected


# -- mid-episode ------------------------------------------------------------------------


def test_a_contract_negotiated_after_two_rounds_settles_only_the_rounds_after() -> None:
    env = matrix_dilemma_v0.parallel_env(rounds=4, negotiate=True, propose_at=2)
    _, info = env.reset(seed=0)
    assert info[P0]["phase"] == "play" and info[P0]["contract"] is None
    assert env.table.cid is None and coin(env) == [2000, 2000]  # nothing on the device
    for _ in range(2):  # C vs D uncontracted: S and T, nothing moves
        _, r, term, _, info = env.step({P0: 0, P1: 1})
        assert r == {P0: 0.0, P1: 5.0} and info[P1]["transfer"] == 0 and not any(term.values())
    assert info[P0]["phase"] == "propose" and info[P0]["action_mask"].sum() == 6
    _, r, _, _, info = env.step({P0: 3, P1: 0})  # θ = 300 from round 3
    assert info[P0]["phase"] == "accept" and r == {P0: 0.0, P1: 0.0}
    assert coin(env) == [1000, 2000]  # the deposit covers the 2 rounds left: 500 x 2
    terms = env.table.driver.terms(env.table.cid)  # type: ignore[union-attr]
    assert (terms[9], terms[10]) == (3, 4)  # start, end
    _, _, _, _, info = env.step({P0: 0, P1: 1})
    assert info[P0]["phase"] == "play" and info[P0]["contract"] == 3 and coin(env) == [1000, 1000]
    _, r, _, _, info = env.step({P0: 0, P1: 1})  # round 3: C vs D pays 300
    assert r == {P0: 3.0, P1: 2.0} and info[P1]["transfer"] == -300
    _, r, term, _, info = env.step({P0: 0, P1: 0})
    assert r == {P0: 3.0, P1: 3.0} and all(term.values())
    assert coin(env) == [2300, 1700] and sum(coin(env)) == 4000


def test_a_mid_episode_proposal_rejected_leaves_nothing_locked() -> None:
    env = matrix_dilemma_v0.parallel_env(rounds=3, negotiate=True, propose_at=1)
    env.reset(seed=0)
    env.step({P0: 1, P1: 1})
    env.step({P0: 5, P1: 0})
    assert coin(env) == [1500 - 1000, 1500]  # the proposer's deposit (500 x 2) locked
    _, _, _, _, info = env.step({P0: 0, P1: 0})  # player 1 rejects
    assert info[P0]["contract"] == 0 and not info[P0]["in_force"]
    assert env.table.driver.status(env.table.cid) == "rejected"  # type: ignore[union-attr]
    assert coin(env) == [1500, 1500]  # refunded at once
    for _ in range(2):
        _, r, _, _, info = env.step({P0: 0, P1: 1})
        assert r == {P0: 0.0, P1: 5.0} and info[P1]["transfer"] == 0
    assert coin(env) == [1500, 1500]


def test_a_fixed_contract_signed_mid_episode_and_a_unilateral_one() -> None:
    env = matrix_dilemma_v0.parallel_env(rounds=3, contract=3, propose_at=1)
    env.reset(seed=0)
    _, _, _, _, info = env.step({P0: 0, P1: 1})
    assert info[P1]["transfer"] == 0 and info[P0]["contract"] == 3 and info[P0]["in_force"]
    _, _, _, _, info = env.step({P0: 0, P1: 1})
    assert info[P1]["transfer"] == -300
    # unilateral, negotiated after 2 rounds: propose, then play at once
    env = matrix_dilemma_v0.parallel_env(
        rounds=3, contract_kind="unilateral", negotiate=True, propose_at=2
    )
    env.reset(seed=0)
    for _ in range(2):
        _, _, _, _, info = env.step({P0: 1, P1: 0})
        assert info[P0]["transfer"] == 0
    _, _, _, _, info = env.step({P0: 2, P1: 0})
    assert info[P0]["phase"] == "play" and info[P0]["contract"] == 2
    assert coin(env) == [1500 - 500, 1500]  # max θ x the 1 round left
    _, r, term, _, info = env.step({P0: 1, P1: 0})
    assert info[P0]["transfer"] == -200 and r == {P0: 3.0, P1: 2.0} and all(term.values())
    assert coin(env) == [1300, 1700]


def test_same_seed_same_state_hash_for_the_variants() -> None:
    def run(seed: int) -> tuple[str, list[dict[str, float]]]:
        env = matrix_dilemma_v0.parallel_env(
            rounds=4, negotiate=True, propose_at=2, contract_kind="unilateral"
        )
        env.reset(seed=seed)
        out = []
        rng = np.random.default_rng(seed)
        while env.agents:
            acts = {a: int(rng.integers(0, 2)) for a in env.agents}
            _, r, _, _, _ = env.step(acts)
            out.append(r)
        return env.state_hash(), out

    assert run(5) == run(5)
    assert run(5)[0] != run(6)[0]  # the episode seed reaches the device


@settings(max_examples=40, deadline=None)
@given(
    players=st.integers(2, 4),
    kind=st.sampled_from(["mutual", "unilateral"]),
    theta=st.integers(1, 10**6),
    deposit_rounds=st.integers(0, 4),
    propose_at=st.integers(0, 5),
    moves=st.lists(st.lists(st.integers(0, 1), min_size=4, max_size=4), min_size=1, max_size=6),
)
def test_every_variant_transfer_is_conserved_to_the_unit(
    players: int,
    kind: str,
    theta: int,
    deposit_rounds: int,
    propose_at: int,
    moves: list[list[int]],
) -> None:
    """Generated stakes, deposits (which may run out), start rounds and moves: nothing
    moves before ``propose_at``, each player's final COIN is its genesis balance plus the
    transfers the env reported, to the unit, and the total never changes."""
    rounds = len(moves)
    propose_at %= rounds
    deposit = theta * deposit_rounds + deposit_rounds
    env = matrix_dilemma_v0.parallel_env(
        players=players,
        rounds=rounds,
        thetas=(theta,),
        contract=1,
        deposit=deposit,
        contract_kind=kind,
        propose_at=propose_at,
    )
    env.reset(seed=0)
    reported = dict.fromkeys(env.possible_agents, 0)
    for k, row in enumerate(moves, start=1):
        _, _, _, _, infos = env.step(dict(zip(env.possible_agents, row, strict=False)))
        assert sum(infos[a]["transfer"] for a in infos) == 0
        if k <= propose_at:
            assert all(infos[a]["transfer"] == 0 for a in infos)
        if kind == "unilateral":  # only the committer ever pays
            assert all(infos[a]["transfer"] >= 0 for a in env.possible_agents[1:])
        for a in infos:
            reported[a] += infos[a]["transfer"]
    final = {a: env.device.balance(a, "COIN") for a in env.possible_agents}
    assert final == {a: deposit + reported[a] for a in env.possible_agents}
    assert sum(final.values()) == players * deposit and min(final.values()) >= 0


# -- hostile options ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"propose_at": -1}, "propose_at"),
        ({"propose_at": 4}, "propose_at must leave a round"),  # = rounds: nothing to settle
        ({"propose_at": 10**30}, "propose_at"),
        ({"propose_at": "2"}, "propose_at"),
        ({"propose_at": 2.0}, "propose_at"),
        ({"propose_at": True}, "propose_at"),
        ({"propose_at": None}, "propose_at"),
        ({"propose_at": [1]}, "propose_at"),
        ({"contract_kind": "bilateral"}, "contract_kind"),
        ({"contract_kind": "UNILATERAL"}, "contract_kind"),
        ({"contract_kind": 1}, "contract_kind"),
        ({"contract_kind": None}, "contract_kind"),
        ({"contract_kind": ["unilateral"]}, "contract_kind"),
        ({"contract_kind": "unilateral", "proposer": 2}, "proposer"),
    ],
)
def test_hostile_variant_options_are_refused_in_one_line(
    params: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match) as err:
        matrix_dilemma_v0.parallel_env(rounds=4, **params)
    assert "\n" not in str(err.value)


def test_out_of_phase_and_wrong_sender_actions_are_flagged_and_change_nothing() -> None:
    env = matrix_dilemma_v0.parallel_env(
        rounds=3, negotiate=True, propose_at=1, contract_kind="unilateral"
    )
    env.reset(seed=0)
    # a proposal during play (menu index 4, outside the play mask): counts as defect
    _, r, _, _, info = env.step({P0: 4, P1: 0})
    assert info[P0]["invalid"] and info[P0]["cooperated"] is False and r[P0] == 5.0
    assert env.table.cid is None  # nothing was proposed
    # player 1 is not the proposer: its menu index is ignored, player 0 proposes nothing
    _, _, _, _, info = env.step({P0: 0, P1: 5})
    assert info[P1]["invalid"] and info[P0]["contract"] == 0 and env.table.cid is None
    assert coin(env) == [1500, 1500]
    with pytest.raises(ValueError, match="action"):
        env.step({P0: 6, P1: 0})  # outside the action space: refused, nothing changes
    _, _, term, _, _ = env.step({P0: 0, P1: 0})
    _, _, term, _, _ = env.step({P0: 0, P1: 0})
    assert all(term.values())
    with pytest.raises(RuntimeError, match="over"):
        env.step({P0: 0, P1: 0})


@pytest.mark.parametrize("seed", range(3))
def test_two_stage_a_self_interested_committer_stakes_in_the_stag_hunt_not_in_the_pd(
    seed: int,
) -> None:
    """The two-stage protocol (``two_stage``: 120 stage-1 episodes, 1000 stage-2
    negotiations) on the negotiated unilateral env, seeds 0-2: the proposer's stake is
    in force at once (no acceptance step) and it stakes only where staking pays *it*.
    In the stag hunt it commits (entry 5, 3 and 5 on seeds 0, 1, 2; on seed 1 θ = 300 is
    θ_commit, where stag is only weakly dominant, and the learners still hunt stag)
    and play reaches the optimum, 8 a round. In the PD a stake would move it from
    P = 1 to S = 0 while the other keeps defecting, so it stakes nothing: 2 a round."""
    from accord.agents.learning.two_stage import evaluate_negotiated, two_stage

    for game, welfare in (("stag_hunt", 8.0), ("prisoners_dilemma", 2.0)):
        env = matrix_dilemma_v0.parallel_env(
            game=game, rounds=10, negotiate=True, contract_kind="unilateral"
        )
        one, two = two_stage(env, episodes=120, iterations=1000, seed=seed)
        out = evaluate_negotiated(env, one, two, seed=seed)
        assert out.welfare_per_step == welfare
        if game == "stag_hunt":
            assert out.proposal == out.contract == (5, 3, 5)[seed] and out.accepted
            assert env.theta(out.proposal) >= theta_commit(env.game) * env.params.unit  # type: ignore[operator]
        else:
            assert out.proposal == out.contract == 0
