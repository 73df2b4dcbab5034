"""Exact propagation's work is charged before it runs (issue 11, "Gas bounds work").

Pins ``accord/mechanisms/deepfund/exact.py``: :func:`exact_shares` charges the graph walk,
then the structural bound of every rational operation (edges, nodes, each cycle's
``k²(k+1) + k²`` elimination steps), then each operation's size surcharge, each before the
work it pays for; the charges are deterministic and add up to ``ExactSplit.work``. A
dense cycle whose elimination used to run for seconds before being charged is refused by
its structural charge before the first elimination.
"""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
from hypothesis import given, settings

from accord.mechanisms.deepfund import exact
from accord.mechanisms.deepfund.exact import (
    FRACTION_OP_WORK,
    UnitEdge,
    adjacency,
    exact_shares,
    fraction_op_work,
    payout_work,
)
from tests.mechanisms.deepfund.test_exact import unit_graphs


class Unaffordable(Exception):
    pass


def dense_cycle(k: int, scale: int, seed: int = 0) -> list[UnitEdge]:
    """Every node sends to every other (a single strongly connected component of ``k``)."""
    rng = random.Random(seed)
    return [
        (f"n{i}", f"n{j}", rng.randint(1, scale // k)) for i in range(k) for j in range(k) if i != j
    ]


def structural(adj: exact.Adjacency, cycle_sizes: list[int]) -> int:
    edges = sum(len(out) for out in adj.values())
    nodes = len({*adj, *(t for out in adj.values() for t, _ in out)})
    return FRACTION_OP_WORK * (
        edges + nodes + sum(k * k * (k + 1) + k * k for k in cycle_sizes if k > 1)
    )


@settings(max_examples=150, deadline=None)
@given(unit_graphs(max_nodes=8))
def test_every_charge_comes_first_and_they_add_up_to_the_work(
    case: tuple[int, list[UnitEdge]],
) -> None:
    scale, edges = case
    adj = adjacency(edges, scale)
    root = edges[0][0] if edges else "n0"
    charges: list[int] = []
    split = exact_shares(adj, scale, root, charges.append)
    assert sum(split.shares.values()) == 1
    assert sum(charges) == split.work
    assert charges[0] == 1 + len(adj) + len(edges)  # the walk, from the input's size
    assert charges[1] >= FRACTION_OP_WORK * len(split.shares)  # the structural bound
    again: list[int] = []
    assert exact_shares(adj, scale, root, again.append) == split  # deterministic
    assert again == charges
    assert exact_shares(adj, scale, root).shares == split.shares  # charging changes nothing


def test_the_structural_charge_is_the_cycles_elimination_count() -> None:
    adj = adjacency(dense_cycle(6, 10**6), 10**6)
    charges: list[int] = []
    exact_shares(adj, 10**6, "n0", charges.append)
    assert charges[1] == structural(adj, [6])
    assert all(c >= 0 for c in charges) and len(charges) > 2 + 6  # surcharges per row op


def test_a_dense_cycle_that_cannot_pay_stops_before_its_first_elimination(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 60-node dense cycle at scale 10^18: its elimination ran ~12 s and was charged
    11M gas after it. Its structural charge alone (at the contract's 50 gas a unit) is
    ~90M gas: past a 30M block, it is refused before any rational operation."""
    scale = 10**18
    adj = adjacency(dense_cycle(60, scale), scale)
    solved: list[int] = []
    real = exact._solve_cycle
    monkeypatch.setattr(exact, "_solve_cycle", lambda *a: solved.append(1) or real(*a))
    budget = 30_000_000 // 50
    spent: list[int] = []

    def charge(work: int) -> None:
        if sum(spent) + work > budget:
            raise Unaffordable(work)
        spent.append(work)

    with pytest.raises(Unaffordable) as refused:
        exact_shares(adj, scale, "n0", charge)
    assert solved == []  # no elimination started
    assert spent == [1 + len(adj) + 60 * 59]  # only the graph walk was paid (and done)
    assert refused.value.args[0] == structural(adj, [60]) > budget


def test_size_surcharges_grow_with_the_numbers() -> None:
    """The same cycle at a larger scale has larger rationals: same structure, more work."""
    small, big = (adjacency(dense_cycle(8, s, seed=1), s) for s in (10**3, 10**30))
    work_small = exact_shares(small, 10**3, "n0").work
    work_big = exact_shares(big, 10**30, "n0").work
    assert structural(small, [8]) == structural(big, [8])
    assert work_big > work_small > structural(small, [8])


def test_payout_work_bounds_the_common_denominator() -> None:
    shares = [Fraction(1, 3), Fraction(1, 7), Fraction(11, 21)]
    bits = sum(f.denominator.bit_length() for f in shares) + (10**6).bit_length() + 64
    assert payout_work(shares, 10**6) == 3 * 3 * fraction_op_work(bits)
    assert fraction_op_work(64) == FRACTION_OP_WORK
    assert fraction_op_work(64 * 100) == FRACTION_OP_WORK + 100 * 100 // 2
