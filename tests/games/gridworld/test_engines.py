"""Harvest and Cleanup engines: the regrowth rules against their closed forms, moves,
cleaning, determinism, bad maps."""

from __future__ import annotations

import numpy as np
import pytest

from accord.games.gridworld import (
    CLEAN,
    Cleanup,
    CleanupParams,
    Harvest,
    HarvestParams,
    parse_layout,
)
from accord.games.gridworld.layout import diamond, move, neighbour_counts

STAY, UP, DOWN, LEFT, RIGHT = range(5)


def test_diamond_is_the_l1_ball_without_its_centre() -> None:
    assert len(diamond(1)) == 4
    assert len(diamond(2)) == 12  # 2r(r+1)
    assert {(int(a), int(b)) for a, b in diamond(1)} == {(-1, 0), (1, 0), (0, -1), (0, 1)}


def test_neighbour_counts_against_a_brute_force_count() -> None:
    rng = np.random.default_rng(3)
    mask = rng.random((7, 9)) < 0.4
    offsets = diamond(2)
    got = neighbour_counts(mask, offsets, 2)
    for r in range(7):
        for c in range(9):
            want = sum(
                bool(mask[r + dr, c + dc])
                for dr, dc in offsets
                if 0 <= r + dr < 7 and 0 <= c + dc < 9
            )
            assert got[r, c] == want


def test_moves_walls_and_conflicts() -> None:
    walls = parse_layout(["@@@@@", "@P P@", "@   @", "@@@@@"]).walls
    # into a wall: stay; off the map is a wall too
    pos = np.array([[1, 1]])
    assert move(pos, np.array([UP]), walls, np.array([0])).tolist() == [[1, 1]]
    assert move(pos, np.array([DOWN]), walls, np.array([0])).tolist() == [[2, 1]]
    # two agents into one cell: the first in the order gets it
    pos = np.array([[1, 1], [1, 3]])
    both = np.array([RIGHT, LEFT])
    assert move(pos, both, walls, np.array([0, 1])).tolist() == [[1, 2], [1, 3]]
    assert move(pos, both, walls, np.array([1, 0])).tolist() == [[1, 1], [1, 2]]
    # into a cell its holder leaves: only if the holder moved first
    pos = np.array([[2, 1], [2, 2]])
    chain = np.array([RIGHT, RIGHT])
    assert move(pos, chain, walls, np.array([1, 0])).tolist() == [[2, 2], [2, 3]]
    assert move(pos, chain, walls, np.array([0, 1])).tolist() == [[2, 1], [2, 3]]
    # actions past the moves (Cleanup's clean) stay
    assert move(pos, np.array([CLEAN, STAY]), walls, np.array([0, 1])).tolist() == pos.tolist()


def test_harvest_regrowth_follows_the_published_table() -> None:
    """A lone empty cell with n apples around regrows iff its uniform draw is below
    regrowth[min(n, 3)] = (0, 0.005, 0.02, 0.05)[...]: checked draw by draw against a
    twin of the engine's generator (one permutation, then one uniform per cell, each
    step), and the empirical rate is near the table's."""
    table = (0.0, 0.005, 0.02, 0.05)
    for n_near in (0, 1, 2, 3, 4):
        row = list("@  a  @")
        for col in [2, 4, 1, 5][:n_near]:
            row[col] = "A"
        layout = ("@@@@@@@", "".join(row), "@  P  @", "@@@@@@@")
        game = Harvest(HarvestParams(layout=layout, agents=1))
        game.reset(np.random.default_rng(11))
        twin = np.random.default_rng(11)
        twin.permutation(1)  # reset's spawn draw
        rate = table[min(n_near, 3)]
        grown = 0
        for _ in range(1500):
            game.apples[1, 3] = False
            keep = game.apples.copy()
            game.step(np.array([STAY]))
            twin.permutation(1)
            u = twin.random(game.apples.shape)
            assert bool(game.apples[1, 3]) == bool(u[1, 3] < rate)
            grown += bool(game.apples[1, 3])
            game.apples[:] = keep  # the neighbours stay as they were
        assert abs(grown / 1500 - rate) <= 4 * max((rate * (1 - rate) / 1500) ** 0.5, 1e-9)


def test_harvest_keeps_its_neighbour_counts_exact() -> None:
    """The counts the engine updates apple by apple equal a recount, step after step."""
    game = Harvest(HarvestParams(agents=3, regrowth=(0.0, 0.05, 0.1, 0.2)))
    game.reset(np.random.default_rng(2))
    acts = np.random.default_rng(8)
    changed = 0
    for _ in range(400):
        before = game.apples.copy()
        game.step(acts.integers(game.actions, size=3))
        changed += int((before != game.apples).sum())
        assert (game.counts() == game.neighbours()).all()
    assert changed > 50


def test_harvest_eating_and_the_sparse_feature() -> None:
    layout = ("@@@@@@@@", "@PA AAA@", "@    A @", "@@@@@@@@")
    game = Harvest(HarvestParams(layout=layout, agents=1, sparse_below=3, regrowth=(0.0,)))
    game.reset(np.random.default_rng(0))
    step = game.step(np.array([RIGHT]))  # the apple at (1, 2) has 1 neighbour (1, 4)
    assert step.eaten.tolist() == [1] and step.sparse.tolist() == [1]
    game.step(np.array([RIGHT]))
    step = game.step(np.array([RIGHT]))  # (1, 4): neighbours (1, 5), (1, 6), (2, 5) -> 3
    assert step.eaten.tolist() == [1] and step.sparse.tolist() == [0]
    assert int(game.apples.sum()) == 3


def test_harvest_sparse_counts_apples_eaten_in_the_same_step() -> None:
    """Two agents eat neighbouring apples at once: each counts the other's (before)."""
    layout = ("@@@@@@", "@PAAP@", "@@@@@@")
    game = Harvest(HarvestParams(layout=layout, agents=2, sparse_below=2, regrowth=(0.0,)))
    game.reset(np.random.default_rng(0))
    step = game.step(np.array([RIGHT, LEFT]))
    assert step.eaten.tolist() == [1, 1]
    assert step.sparse.tolist() == [1, 1]  # one neighbour each: fewer than 2
    game = Harvest(HarvestParams(layout=layout, agents=2, sparse_below=1, regrowth=(0.0,)))
    game.reset(np.random.default_rng(0))
    assert game.step(np.array([RIGHT, LEFT])).sparse.tolist() == [0, 0]


def test_cleanup_apple_probability_is_the_linear_ramp() -> None:
    game = Cleanup(CleanupParams(apple_rate=0.05, depletion=0.4, restoration=0.1))
    assert game.apple_probability(0.0) == 0.05
    assert game.apple_probability(0.1) == 0.05
    assert game.apple_probability(0.25) == pytest.approx(0.025)
    assert game.apple_probability(0.4) == 0.0
    assert game.apple_probability(0.9) == 0.0


def test_cleanup_cleaning_counts_cells_and_waste_spawns_until_depletion() -> None:
    game = Cleanup(CleanupParams(agents=1, waste_rate=1.0))
    game.reset(np.random.default_rng(0))
    before = int(game.waste.sum())
    assert before == 17 and game.waste_share() == pytest.approx(17 / 21)
    game.positions[:] = (2, 2)  # the middle of the river's top: 3 x 3 = 9 river cells
    box = int(game.waste[1:4, 1:4].sum())
    step = game.step(np.array([CLEAN]))
    assert step.cleaned.tolist() == [box]
    # d = (17 - box) / 21 >= 0.4 still: no waste spawns, no apple grows
    assert int(game.waste.sum()) == before - box and not game.apples.any()
    game.waste[:] = False
    game.step(np.array([STAY]))  # d = 0 < depletion: one cell fills (waste_rate = 1)
    assert int(game.waste.sum()) == 1


@pytest.mark.parametrize("engine", [Harvest, Cleanup])
def test_engines_are_deterministic_per_seed(engine: type[Harvest] | type[Cleanup]) -> None:
    def run(seed: int) -> tuple[bytes, list[int]]:
        game = engine()
        game.reset(np.random.default_rng(seed))
        acts = np.random.default_rng(99)
        totals = []
        for _ in range(200):
            out = game.step(acts.integers(game.actions, size=2))
            totals.append(int(out.eaten.sum()))
        return game.observe().tobytes(), totals

    assert run(5) == run(5)
    assert run(5) != run(6)


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ((), "non-empty"),
        ("@P@", "sequence of strings"),
        (("@P@", "@@"), "same non-zero width"),
        (("@P@", "@X@"), "unknown symbols"),
        (("@@@", "@A@"), "no spawn point"),
    ],
)
def test_bad_layouts_are_refused(rows: tuple[str, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_layout(rows)


def test_bad_params_are_refused() -> None:
    with pytest.raises(ValueError, match="spawn points"):
        HarvestParams(agents=4)
    with pytest.raises(ValueError, match=r"regrowth probabilities"):
        HarvestParams(regrowth=(0.0, 1.5))
    with pytest.raises(ValueError, match="restoration"):
        CleanupParams(restoration=0.5, depletion=0.4)
    with pytest.raises(ValueError, match="no river"):
        CleanupParams(layout=("@@@@", "@PA@", "@@@@"))
    with pytest.raises(ValueError, match="extra"):
        CleanupParams(waste=1)  # type: ignore[call-arg]
