"""The routing game: path enumeration and hostile construction."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms.congestion import (
    Affine,
    Cfmm,
    Demand,
    Edge,
    Game,
    braess,
    cfmm_pigou,
    constant,
    pigou,
)


def test_braess_has_three_paths_shortest_first() -> None:
    game = braess()
    assert game.paths == ((0, 1), (2, 3), (0, 4, 3))
    assert game.incidence.sum(axis=0).tolist() == [2, 2, 3]
    assert game.reach.tolist() == [1.0] * 5
    assert len(braess(shortcut=False).paths) == 2


def test_parallel_edges_are_distinct_paths() -> None:
    assert pigou().paths == ((0,), (1,))


def test_with_eta_touches_only_cfmm_edges_and_with_demand_scales() -> None:
    game = cfmm_pigou().with_eta(0.3)
    assert isinstance(game.edges[0].cost, Cfmm) and game.edges[0].cost.eta == 0.3
    assert game.edges[1].cost == constant(0.5)
    assert pigou(2.0).with_demand(1.5).total_demand == 3.0
    with pytest.raises(ValueError, match="demand scale"):
        pigou().with_demand(0.0)


def _edge(tail: str = "s", head: str = "t") -> Edge:
    return Edge(tail, head, Affine(0.0, 1.0))


BAD = [
    (lambda: Game.build([], Demand("s", "t", 1.0)), "at least one edge"),
    (lambda: Game.build([_edge()], []), "at least one demand"),
    (lambda: Game.build([_edge("s", "s")], Demand("s", "t", 1.0)), "loop"),
    (lambda: Game.build([_edge("", "t")], Demand("s", "t", 1.0)), "non-empty string"),
    (lambda: Game.build([_edge()], Demand("s", "x", 1.0)), "no edge touches"),
    (lambda: Game.build([_edge()], Demand("t", "s", 1.0)), "no path"),
    (lambda: Game.build([_edge()], Demand("s", "s", 1.0)), "to itself"),
    (lambda: Game.build([_edge()], Demand("s", "t", 0.0)), "finite and positive"),
    (lambda: Game.build([_edge()], Demand("s", "t", float("nan"))), "finite and positive"),
    (lambda: Game.build([_edge()], Demand("s", "t", "1")), "must be a number"),  # type: ignore[arg-type]
    (lambda: Game.build(["s-t"], Demand("s", "t", 1.0)), "not an Edge"),  # type: ignore[list-item]
    (lambda: Game.build([_edge()], ["s-t"]), "not a Demand"),  # type: ignore[list-item]
    (lambda: Game.build([Edge("s", "t", 1.0)], Demand("s", "t", 1.0)), "congestion cost"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("make", "message"), BAD)
def test_bad_games_are_refused_with_a_named_error(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


def test_too_many_paths_is_refused() -> None:
    layers = 8  # 2 parallel edges per layer: 2**8 paths
    edges = [Edge(f"n{i}", f"n{i + 1}", constant(1.0)) for i in range(layers) for _ in range(2)]
    game = Game.build(edges, Demand("n0", f"n{layers}", 1.0))
    assert len(game.paths) == 2**layers
    with pytest.raises(ValueError, match="max_paths"):
        Game.build(edges, Demand("n0", f"n{layers}", 1.0), max_paths=100)


@settings(deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=12))
def test_every_enumerated_path_is_a_simple_source_sink_walk(pairs: list[tuple[int, int]]) -> None:
    edges = [Edge(f"v{a}", f"v{b}", constant(1.0)) for a, b in pairs if a != b]
    edges.append(Edge("v0", "v4", constant(1.0)))
    game = Game.build(edges, Demand("v0", "v4", 1.0))
    assert len(set(game.paths)) == len(game.paths)
    for path in game.paths:
        nodes = [game.edges[path[0]].tail] + [game.edges[e].head for e in path]
        assert nodes[0] == "v0" and nodes[-1] == "v4"
        assert len(set(nodes)) == len(nodes)
        assert all(game.edges[a].head == game.edges[b].tail for a, b in itertools.pairwise(path))
