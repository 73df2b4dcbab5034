"""ContractSpace: validation, its data form, menus and the planner."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.mechanisms.contracting import (
    ContractError,
    ContractSpace,
    Param,
    best_contract,
    discretise,
    fishery_space,
    grid,
    matrix_space,
    normalised,
)
from tests.contracts.hostile_args import junk


def test_data_round_trip() -> None:
    fish = fishery_space(20, 9, 100)
    assert fish.to_data() == (
        "fishery",
        "over_threshold",
        (("quota", 0, 20), ("penalty", 0, 9)),
        100,
    )
    assert ContractSpace.from_data(fish.to_data()) == fish


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (None, "space must be"),
        (("x", "nope", (("a", 0, 1),), 1), "rule must be one of"),
        (("x", "defector_pays", (("a", 0, 1), ("b", 0, 1)), 1), "takes 1 parameter"),
        (("x", "defector_pays", (("a", 2, 1),), 1), "high bound"),
        (("x", "defector_pays", (("a", -1, 1),), 1), "low bound"),
        (("x", "defector_pays", (("a", 0, 2**97),), 1), "high bound"),
        (("x", "defector_pays", (("a", 0, 1),), 0), "feature_max"),
        (("x", "defector_pays", (("a", 0, True),), 1), "high bound"),
        (("", "defector_pays", (("a", 0, 1),), 1), "space name"),
        (("x", "over_threshold", (("a", 0, 1), ("a", 0, 1)), 1), "appears twice"),
        (("x", "defector_pays", ("a",), 1), "name, low, high"),
    ],
)
def test_bad_space_data_is_refused_by_name(data: object, match: str) -> None:
    with pytest.raises(ContractError, match=match):
        ContractSpace.from_data(data)


@given(junk())
def test_junk_space_data_is_a_contract_error(data: object) -> None:
    with pytest.raises(ContractError):
        ContractSpace.from_data(data)


def test_menus_start_with_no_contract() -> None:
    fish = fishery_space(20, 9, 100)
    menu = discretise(fish, 3)
    assert menu[0] is None
    assert menu[1:] == tuple((q, p) for q in (0, 10, 20) for p in (0, 4, 9))
    assert grid(matrix_space(10), (0, 5, 5, 10)) == (None, (0,), (5,), (10,))
    assert normalised(fish, (10, 9)) == (0.5, 1.0)
    assert normalised(fish, None) == (0.0, 0.0)
    with pytest.raises(ContractError, match="quota"):
        grid(fish, (0, 21), (1,))


def test_planner_maximises_welfare_subject_to_participation() -> None:
    menu = (None, (1,), (2,), (3,), (4,))
    payoffs = {
        None: (1, 1),
        (1,): (5, 0),  # more welfare, but party 1 loses: not acceptable
        (2,): (2, 2),
        (3,): (3, 1),  # same welfare as (2,): menu order decides
        (4,): (Fraction(5, 2), Fraction(3, 2)),
    }
    assert best_contract(menu, payoffs.__getitem__) == 2
    assert best_contract(menu[:2], payoffs.__getitem__) == 0
    with pytest.raises(ContractError, match="empty"):
        best_contract((), payoffs.__getitem__)
    with pytest.raises(ContractError, match="expected 2"):
        best_contract(menu, lambda e: (1, 1) if e is None else (1, 1, 1))


@given(st.lists(st.tuples(st.integers(-5, 5), st.integers(-5, 5)), min_size=1, max_size=12))
def test_planner_against_brute_force(rows: list[tuple[int, int]]) -> None:
    menu = tuple(range(len(rows)))
    k = best_contract(menu, rows.__getitem__)
    ok = [i for i in menu if all(u >= b for u, b in zip(rows[i], rows[0], strict=True))]
    best = max(sum(rows[i]) for i in ok)
    assert k == min(i for i in ok if sum(rows[i]) == best)


def test_param_checks() -> None:
    pd = matrix_space(10)
    assert pd.check_params([3]) == (3,)
    with pytest.raises(ContractError, match="Param"):
        ContractSpace("x", "defector_pays", (("a", 0, 1),), 1)  # type: ignore[arg-type]
    assert ContractSpace("x", "defector_pays", (Param("a", 0, 1),), 1).arity == 1
