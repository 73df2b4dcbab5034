"""The Kripke-frame solver: cycles, chains, negation, nesting, patterns and state atoms."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.device.commitments.build import (
    FALSE,
    TRUE,
    balance,
    commitment,
    consistent,
    exists,
    fires,
    provable,
)
from accord.device.commitments.language import Commitment, Formula, Pattern
from accord.device.commitments.modal import ModalSolver, StateAtom


def c(owner: str, condition: Formula) -> Commitment:
    return commitment(owner, "c", expiry=9, condition=condition)


def solve(*commitments: Commitment, **kw: object) -> dict[str, bool]:
    programs = {x.id: x for x in commitments}
    solver = ModalSolver(programs, **kw)  # type: ignore[arg-type]
    solution = solver.solve(solver.instance(i) for i in programs)
    return {i: solution.fires[solver.instance(i)] for i in programs}


def test_mutual_conditions_fire_together() -> None:
    # "I pay iff you deliver" meets "I deliver iff you pay": Löb gives both.
    assert solve(c("a", fires("b/c")), c("b", fires("a/c"))) == {"a/c": True, "b/c": True}


def test_a_three_cycle_with_one_refusal_fires_nothing() -> None:
    out = solve(c("a", fires("b/c")), c("b", fires("c/c")), c("c", fires("a/c") & FALSE))
    assert out == {"a/c": False, "b/c": False, "c/c": False}


def test_referring_to_an_absent_commitment_is_false() -> None:
    assert solve(c("a", fires("nobody/c"))) == {"a/c": False}
    assert solve(c("a", ~fires("nobody/c"))) == {"a/c": True}


def test_a_long_chain_resolves_with_one_world_per_link() -> None:
    n = 2_000
    chain = [c(f"p{i}", fires(f"p{i + 1}/c")) for i in range(n)] + [c(f"p{n}", FALSE)]
    programs = {x.id: x for x in chain}
    solver = ModalSolver(programs)
    solution = solver.solve(solver.instance(i) for i in programs)
    assert not any(solution.fires.values())
    assert solution.worlds == n + 1
    ok = [c(f"q{i}", fires(f"q{i + 1}/c")) for i in range(n)] + [c(f"q{n}", TRUE)]
    assert all(solve(*ok).values())


def test_nested_boxes() -> None:
    # □□⊥ is false in the standard model; ¬□□⊥ is true.
    assert solve(c("a", provable(provable(FALSE)))) == {"a/c": False}
    assert solve(c("a", ~provable(provable(FALSE)))) == {"a/c": True}
    assert solve(c("a", provable(consistent()))) == {"a/c": False}  # Gödel II


def test_state_atoms_and_patterns_use_the_given_oracles() -> None:
    seen: list[tuple[str, str]] = []

    def state(atom: StateAtom, program: Commitment) -> bool:
        seen.append((atom.op, program.id))
        return atom.op == "balance"

    def matcher(pattern: Pattern, self_id: str) -> list[str]:
        return ["b/c", "z/c"] if pattern.owner is None else []

    out = solve(
        c("a", exists() & (balance("a", "X") >= 1)),
        c("b", TRUE),
        c("z", FALSE),
        state=state,
        matcher=matcher,
    )
    assert out == {"a/c": True, "b/c": True, "z/c": False}
    assert seen == [("balance", "a/c")]


def test_state_atoms_need_a_state() -> None:
    with pytest.raises(ValueError, match="a/c reads device state"):
        solve(c("a", balance("a", "X") >= 1))


@st.composite
def monotone_systems(draw: st.DrawFn) -> list[tuple[bool, list[int]]]:
    n = draw(st.integers(1, 7))
    return [
        (draw(st.booleans()), draw(st.lists(st.integers(0, n - 1), max_size=3))) for _ in range(n)
    ]


@settings(max_examples=200, deadline=None)
@given(monotone_systems())
def test_positive_systems_resolve_to_the_greatest_fixed_point(
    system: list[tuple[bool, list[int]]],
) -> None:
    # Without negation, Löbian resolution = the largest set S such that every member's
    # base holds and all the members it refers to are in S (computed here by pruning).
    programs = [
        c(f"p{i}", (TRUE if ok else FALSE) & (TRUE if not refs else _all(refs)))
        for i, (ok, refs) in enumerate(system)
    ]
    alive = set(range(len(system)))
    changed = True
    while changed:
        changed = False
        for i in sorted(alive):
            ok, refs = system[i]
            if not ok or any(r not in alive for r in refs):
                alive.discard(i)
                changed = True
    assert solve(*programs) == {f"p{i}/c": i in alive for i in range(len(system))}


def _all(refs: list[int]) -> Formula:
    out: Formula = TRUE
    for r in refs:
        out = out & fires(f"p{r}/c")
    return out
