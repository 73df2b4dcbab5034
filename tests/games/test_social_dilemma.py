"""The social dilemma scenario: contracts rescue cooperation, money is conserved, runs are
deterministic, and bad parameters are refused."""

from __future__ import annotations

import math

import pytest

from accord.device import DeviceConfig
from accord.games.base import get_game
from accord.games.social_dilemma import SocialDilemmaGame, SocialDilemmaParams

CONFIG = DeviceConfig(fee_market="first_price")


def run(seed: int = 0, **kw: object) -> dict[str, float | int]:
    result = SocialDilemmaGame().run(SocialDilemmaParams(**kw), CONFIG, seed)  # type: ignore[arg-type]
    return dict(result.metrics)


def test_registered_and_deterministic() -> None:
    assert get_game("social_dilemma") is SocialDilemmaGame
    a = SocialDilemmaGame().run(SocialDilemmaParams(), CONFIG, 3)
    b = SocialDilemmaGame().run(SocialDilemmaParams(), CONFIG, 3)
    assert a.state_hash == b.state_hash and a.metrics == b.metrics
    assert set(a.metrics) == set(SocialDilemmaGame.glossary)


@pytest.mark.parametrize(
    ("game", "extra", "theta"),
    [
        ("prisoners_dilemma", {}, 300),
        ("stag_hunt", {}, 400),
        ("public_goods", {"players": 4, "multiplier": "8/5"}, 100),  # θ_dom = 3/5: 60
    ],
)
def test_the_planners_contract_reaches_the_optimum(game, extra, theta) -> None:  # type: ignore[no-untyped-def]
    without = run(game=game, contract="none", strategies=("greedy",), **extra)
    with_ = run(game=game, contract="negotiate", strategies=("planner", "greedy"), **extra)
    assert with_["welfare_vs_optimum"] == 1.0 and with_["cooperation"] == 1.0
    assert with_["in_force"] == 1 and with_["theta"] == theta and with_["acceptance"] == 1.0
    assert without["cooperation"] == 0.0 and without["welfare_vs_optimum"] < 0.95
    assert without["gas_fees"] == 0 < with_["gas_fees"]


def test_public_goods_with_four_players_needs_theta_above_three_fifths() -> None:
    # r = 8/5, n = 4: θ_dom = c(1 - r/n) = 3/5 of a point = 60 base units; menu 100..500
    m = run(game="public_goods", players=4, multiplier="8/5", strategies=("planner", "greedy"))
    assert m["theta"] == 100


def test_a_defector_rejects_and_transfers_move_under_a_fixed_contract() -> None:
    m = run(strategies=("planner", "always_defect"))
    assert m["proposed"] == 1 and m["acceptance"] == 0.0 and m["in_force"] == 0
    # fixed θ = 300 against an unconditional defector: 10 rounds x 300 move to player 0
    m = run(contract="fixed", menu_entry=3, strategies=("cooperator", "always_defect"))
    assert m["transfers"] == 3000 and m["welfare_vs_optimum"] == pytest.approx(50 / 60)
    # rewards: 10 x (0 + 3) = 30 and 10 x (5 - 3) = 20 points: Gini = 10 / (2 * 2 * 25)
    assert m["gini"] == pytest.approx(0.1)


def test_a_short_deposit_is_exhausted() -> None:
    m = run(contract="fixed", menu_entry=3, deposit=700, strategies=("cooperator", "always_defect"))
    # 300 + 300 + the last 100: the contract ends in round 3
    assert m["exhausted"] == 1 and m["transfers"] == 700


def test_keeper_fees_deter_the_planner() -> None:
    # a settled round costs each player fee/2; the gain is 2 points a round in the PD
    cheap = run(fee_payer="parties", keeper_fee=300)
    dear = run(fee_payer="parties", keeper_fee=500)
    assert cheap["in_force"] == 1 and cheap["keeper_fees"] == 10 * 300
    assert dear["in_force"] == 0 and dear["proposed"] == 0 and math.isnan(dear["acceptance"])


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="strategies"):
        SocialDilemmaParams(strategies=("greedy", "greedy", "greedy"))
    with pytest.raises(ValueError, match="strategies"):
        SocialDilemmaParams(strategies=())
    with pytest.raises(ValueError, match="unknown strategy"):
        SocialDilemmaParams(strategies=("skynet",))
    with pytest.raises(ValueError, match="menu_entry"):
        SocialDilemmaParams(menu_entry=7)
    with pytest.raises(ValueError, match="keeper_fee"):
        SocialDilemmaParams(keeper_fee=5)
    with pytest.raises(ValueError, match="proposer"):
        SocialDilemmaParams(proposer=3)


@pytest.mark.parametrize("strategies", [("planner", "greedy"), ("planner", "tit_for_tat")])
def test_ordering_and_mempool_change_nothing_but_gas(strategies: tuple[str, ...]) -> None:
    """Every contracting transaction is alone in its block: the device's ordering rule
    and mempool visibility cannot change the outcome (docs: "Matrix dilemmas")."""
    gas = {"gas_fees", "settle_gas"}
    seen = []
    for ordering in ("fcfs", "priority", "random", "batch"):
        for mempool in ("public", "private", "sealed"):
            config = DeviceConfig(ordering=ordering, mempool=mempool, signatures="mac")
            result = SocialDilemmaGame().run(SocialDilemmaParams(strategies=strategies), config, 5)
            seen.append({k: v for k, v in result.metrics.items() if k not in gas})
    assert all(m == seen[0] for m in seen) and seen[0]["in_force"] == 1


@pytest.mark.parametrize(
    ("game", "theta", "welfare", "optimum"),
    [
        # the planner stakes 2 points (θ_commit; the other defects whatever happens):
        # it cooperates every round, the greedy other defects: 5 a round of 6
        ("prisoners_dilemma", 200, 50.0, 60.0),
        # 4 points (> θ_commit = 3): stag from round 1; the greedy other answers hare in
        # round 1 (its best reply to all-defect), then stag: 3 + 9 x 8 of 80
        ("stag_hunt", 400, 75.0, 80.0),
    ],
)
def test_a_planners_unilateral_commitment(
    game: str, theta: int, welfare: float, optimum: float
) -> None:
    m = run(game=game, contract="negotiate", contract_kind="unilateral")
    assert (m["proposed"], m["in_force"], m["theta"]) == (1, 1, theta)
    assert math.isnan(m["acceptance"])  # nobody was asked
    assert (m["welfare"], m["optimum"]) == (welfare, optimum)
    assert m["transfers"] == 0  # the committer never defected: the stake never paid out
    # chicken's equilibria already reach the optimum's welfare: no commitment
    assert run(game="chicken", contract="negotiate", contract_kind="unilateral")["proposed"] == 0


def test_a_fixed_unilateral_stake_paid_by_a_defecting_committer() -> None:
    # player 0 always defects under its own stake of 300: 10 rounds pay 3000 to player 1
    m = run(
        contract="fixed",
        contract_kind="unilateral",
        menu_entry=3,
        strategies=("always_defect", "greedy"),
    )
    assert (m["transfers"], m["in_force"], m["exhausted"]) == (3000, 1, 0)
    assert m["welfare"] == 20.0  # both defect: P + P a round, transfers cancel


def test_a_keeper_fee_the_committer_alone_pays_deters_the_planner() -> None:
    # 500 base units a round = 5 points for the committer: more than the 3 a round the
    # stake adds to the PD's welfare
    m = run(contract="negotiate", contract_kind="unilateral", fee_payer="parties", keeper_fee=500)
    assert m["proposed"] == 0
    m = run(contract="negotiate", contract_kind="unilateral", fee_payer="parties", keeper_fee=100)
    assert (m["proposed"], m["keeper_fees"]) == (1, 1000)  # settled every round, paid by 0


@pytest.mark.parametrize("kind", ["bilateral", 1, None, "Unilateral"])
def test_a_bad_contract_kind_is_refused(kind: object) -> None:
    with pytest.raises(ValueError, match="contract_kind"):
        SocialDilemmaParams(contract_kind=kind)  # type: ignore[arg-type]


def test_the_table_refuses_out_of_phase_and_wrong_proposals() -> None:
    from accord.games.dilemma_table import Table

    spec = SocialDilemmaParams(contract_kind="unilateral", rounds=2)
    table = Table(spec, ("a", "b"), 2, CONFIG, 0)
    with pytest.raises(ValueError, match="proposer must be a player index < 2"):
        table.propose(2, 100)
    with pytest.raises(ValueError, match="proposer must be a player index"):
        table.propose(True, 100)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="no contract was proposed"):
        table.respond(1, True)
    table.propose(1, 100)  # player 1 commits: active at once, only its deposit locked
    assert table.in_force and table.order == (1, 0)
    assert [table.device.balance(p, "COIN") for p in ("a", "b")] == [1000, 0]
    table.respond(0, False)  # nothing to answer: a unilateral stake needs nobody
    assert table.in_force
    with pytest.raises(RuntimeError, match="already proposed"):
        table.propose(0, 100)
    table.play([0, 1])
    table.play([0, 0])
    assert [table.device.balance(p, "COIN") for p in ("a", "b")] == [1100, 900]
    late = Table(spec, ("a", "b"), 2, CONFIG, 0)
    late.play([0, 0])
    late.play([0, 0])
    with pytest.raises(RuntimeError, match="no round left"):
        late.propose(0, 100)


def test_a_contract_negotiated_mid_run() -> None:
    # PD, planner + greedy, the planner's θ = 300 proposed after 5 rounds of mutual
    # defection (1 + 1 a round): from round 6 both cooperate (a greedy player's gain
    # against a defector is S + 3 - P = 2 > 0), 6 a round: 10 + 30 of 60
    m = run(contract="negotiate", propose_at=5)
    assert (m["proposed"], m["acceptance"], m["in_force"], m["theta"]) == (1, 1.0, 1, 300)
    assert (m["welfare"], m["optimum"], m["transfers"]) == (40.0, 60.0, 0)
    before = run(contract="negotiate")
    assert before["welfare"] == 60.0
    # a fixed unilateral stake signed after 8 rounds: an always-defecting committer
    # pays 300 in rounds 9 and 10 only
    m = run(
        contract="fixed",
        contract_kind="unilateral",
        menu_entry=3,
        propose_at=8,
        strategies=("always_defect", "greedy"),
    )
    assert m["transfers"] == 600


@pytest.mark.parametrize("value", [-1, 10, 11, 10**30, "2", 2.5, None, True])
def test_a_bad_propose_at_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="propose_at"):
        SocialDilemmaParams(propose_at=value)  # type: ignore[arg-type]
