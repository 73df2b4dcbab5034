"""Stream trees: exact largest-remainder splits, recursion, conservation, cycles."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms.streams import (
    StreamError,
    flow,
    largest_remainder,
    shares,
    topological_order,
)


def test_largest_remainder_by_hand() -> None:
    assert largest_remainder(10, [1, 1, 1]) == (4, 3, 3)  # ties to the lower index
    assert largest_remainder(100, [0.5, 0.3, 0.2]) == (50, 30, 20)
    assert largest_remainder(7, [Fraction(1, 3), Fraction(2, 3)]) == (2, 5)  # 2.33, 4.67
    assert largest_remainder(5, [0, 3]) == (0, 5)
    assert largest_remainder(0, [1, 2]) == (0, 0)
    # quotas 1.6, 1.6, 1.8 with total 5 → floors 1,1,1 and 2 units to .8, then the first .6
    assert largest_remainder(5, [8, 8, 9]) == (2, 1, 2)


@settings(max_examples=200, deadline=None)
@given(
    total=st.integers(0, 10**20),
    weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=8).filter(any),
)
def test_largest_remainder_conserves_and_stays_within_one(total: int, weights: list[int]) -> None:
    parts = largest_remainder(total, weights)
    assert sum(parts) == total
    whole = sum(weights)
    for p, w in zip(parts, weights, strict=True):
        quota = Fraction(total * w, whole)
        assert quota - 1 < p < quota + 1


def test_flow_recursion_by_hand() -> None:
    # forecaster F keeps 40 %, streams 30 % to A and 30 % to B; A streams half to C.
    streams = {"F": {"A": 3_000, "B": 3_000}, "A": {"C": 5_000}}
    assert flow(streams, {"F": 1_000}) == {"F": 400, "A": 150, "B": 300, "C": 150}
    assert shares(streams, "F") == {
        "F": Fraction(2, 5),
        "A": Fraction(3, 20),
        "B": Fraction(3, 10),
        "C": Fraction(3, 20),
    }
    # a node with two parents splits the sum of what it receives, once
    diamond = {"R": {"X": 5_000, "Y": 5_000}, "X": {"Z": 10_000}, "Y": {"Z": 10_000}}
    assert flow(diamond, {"R": 101}) == {"R": 0, "X": 0, "Y": 0, "Z": 101}


def test_flow_rounding_is_exact_and_documented() -> None:
    streams = {"F": {"A": 3_333, "B": 3_333}}
    # quotas 33.33, 33.33, 33.34 of 100 → floors 33, 33, 33, one unit to F (largest .34)
    assert flow(streams, {"F": 100}) == {"F": 34, "A": 33, "B": 33}


def test_cycles_are_rejected_by_name() -> None:
    with pytest.raises(StreamError, match="cycle in streams: a -> b -> c -> a"):
        topological_order({"a": {"b": 100}, "b": {"c": 100}, "c": {"a": 100}})
    with pytest.raises(StreamError, match="cycle in streams: me -> me"):
        flow({"me": {"me": 5_000}}, {"me": 10})


@pytest.mark.parametrize(
    ("streams", "message"),
    [
        ({"F": {"A": 6_000, "B": 5_000}}, "stream of F sends 11000 bps, more than 10000"),
        ({"F": {"A": 0}}, r"share to A must be an int in \(0, 10000\]"),
        ({"F": {"A": 1.5}}, "share to A must be an int"),
        ({"F": {"": 10}}, "child must be a non-empty str"),
    ],
)
def test_bad_streams_name_the_problem(streams: dict[str, dict[str, object]], message: str) -> None:
    with pytest.raises(StreamError, match=message):
        flow(streams, {"F": 10})  # type: ignore[arg-type]


def test_bad_inflow_names_the_node() -> None:
    with pytest.raises(StreamError, match="inflow to 'F' must be a non-negative int"):
        flow({}, {"F": -1})


names = st.sampled_from(["a", "b", "c", "d", "e", "f"])


@settings(max_examples=200, deadline=None)
@given(
    edges=st.lists(st.tuples(names, names, st.integers(1, 4_000)), max_size=12),
    inflow=st.dictionaries(names, st.integers(0, 10**12), min_size=1),
)
def test_flow_conserves_money(edges: list[tuple[str, str, int]], inflow: dict[str, int]) -> None:
    # keep only edges from an earlier letter to a later one: acyclic by construction
    streams: dict[str, dict[str, int]] = {}
    for src, dst, bps in edges:
        if src < dst and sum(streams.get(src, {}).values()) + bps <= 10_000:
            streams.setdefault(src, {})[dst] = bps
    kept = flow(streams, inflow)
    assert sum(kept.values()) == sum(inflow.values())
    assert all(v >= 0 for v in kept.values())
    # each node keeps its exact share within the rounding of each split on the way
    for root, amount in inflow.items():
        if len(inflow) == 1:
            for v, frac in shares(streams, root).items():
                assert abs(kept.get(v, 0) - amount * frac) < 7
