"""The Graph: originality, validation that names the edge or source, the tolerance."""

from __future__ import annotations

import numpy as np
import pytest

from accord.mechanisms.deepfund.graph import TOLERANCE, Graph, GraphError


def test_originality_is_one_minus_out_weights() -> None:
    g = Graph.from_edges([("a", "b", 0.25), ("a", "c", 0.5), ("b", "c", 0.1)])
    assert g.nodes == ("a", "b", "c")
    assert g.originality.tolist() == [0.25, 0.9, 1.0]
    assert g.out_weight.tolist() == [0.75, 0.1, 0.0]
    assert g.n == 3 and g.m == 3


def test_edges_are_sorted_by_source_stably() -> None:
    g = Graph.from_edges([("b", "c", 0.1), ("a", "c", 0.2), ("b", "a", 0.3), ("a", "b", 0.4)])
    assert g.edges() == [("b", "c", 0.1), ("b", "a", 0.3), ("a", "c", 0.2), ("a", "b", 0.4)]
    assert g.nodes == ("b", "c", "a") and g.src.tolist() == [0, 0, 2, 2]


def test_extra_nodes_come_first_and_may_be_isolated() -> None:
    g = Graph.from_edges([("a", "b", 0.5)], nodes=["z", "a"])
    assert g.nodes == ("z", "a", "b") and g.originality[0] == 1.0


def test_out_weights_over_one_name_the_source_and_the_sum() -> None:
    with pytest.raises(GraphError, match=r"source 'a': outgoing weights sum to 1\.2 > 1"):
        Graph.from_edges([("a", "b", 0.7), ("a", "c", 0.5), ("b", "c", 0.9)])


def test_a_sum_within_the_tolerance_is_scaled_to_exactly_one() -> None:
    over = 1.0 + TOLERANCE / 2
    g = Graph.from_edges([("a", "b", over / 2), ("a", "c", over / 2)])
    assert g.out_weight[0] == 1.0 and g.originality[0] == 0.0
    assert g.weight.sum() == pytest.approx(1.0, abs=1e-15)
    with pytest.raises(GraphError, match="sum to"):
        Graph.from_edges([("a", "b", 0.5), ("a", "c", 0.5 + 3 * TOLERANCE)])


@pytest.mark.parametrize(
    ("edges", "message"),
    [
        ([("a", "b", -0.1)], r"edge 0 \('a' → 'b'\): negative weight -0\.1"),
        ([("a", "b", 0.1), ("b", "b", 0.2)], r"edge 1: self-loop 'b' → itself"),
        ([("a", "b", float("nan"))], r"edge 0 \('a' → 'b'\): weight nan is not finite"),
        ([("a", "", 0.1)], r"edge 0 target must be a non-empty name"),
    ],
)
def test_bad_edges_are_named(edges: list[tuple[str, str, float]], message: str) -> None:
    with pytest.raises(GraphError, match=message):
        Graph.from_edges(edges)


def test_arrays_are_checked_and_owned() -> None:
    src = np.array([1, 0], dtype=np.int32)
    dst = np.array([0, 1], dtype=np.int32)
    w = np.array([0.5, 0.25])
    g = Graph.from_arrays(("x", "y"), src, dst, w)
    assert g.src.tolist() == [0, 1] and g.weight.tolist() == [0.25, 0.5]
    src[0] = 0  # the caller's arrays stay the caller's
    assert g.src.tolist() == [0, 1] and src.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        g.weight[0] = 1.0
    with pytest.raises(GraphError, match=r"edge 1: dst index 2 is outside 0\.\.1"):
        Graph.from_arrays(("x", "y"), np.array([0, 1]), np.array([1, 2]), np.array([0.1, 0.1]))
    with pytest.raises(GraphError, match="differ in length"):
        Graph.from_arrays(("x", "y"), np.array([0]), np.array([1, 0]), np.array([0.1]))
    with pytest.raises(GraphError, match="integer node indices"):
        Graph.from_arrays(("x", "y"), np.array([0.0]), np.array([1]), np.array([0.1]))


def test_parallel_array_edges_add_up() -> None:
    g = Graph.from_arrays(("a", "b"), np.array([0, 0]), np.array([1, 1]), np.array([0.2, 0.3]))
    assert g.out_weight[0] == pytest.approx(0.5)


def test_node_lookup() -> None:
    g = Graph.from_edges([("a", "b", 0.5)])
    assert g.node_index("b") == 1 and g.node_index(0) == 0
    with pytest.raises(GraphError, match="unknown node 'c'"):
        g.node_index("c")
    with pytest.raises(GraphError, match="name or an index"):
        g.node_index(True)
