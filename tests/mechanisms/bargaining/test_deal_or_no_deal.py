"""Deal or No Deal: the 1,000 instances as they are, generation by the same rules, analysis."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from accord.mechanisms.bargaining.deal_or_no_deal import (
    AGREE,
    OFFERS,
    PACKAGED,
    Instance,
    InstanceError,
    analyse,
    format_instances,
    generate,
    offer_action,
    parse_instances,
    read_instances,
    valid_instances,
)

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared" / "data" / "bargaining" / "bargaining_instances1000.txt"
"""The shared data directory beside the repository, when there is one (not in a clone)."""


def instances_file() -> Path:
    """The shared file if it is there, else the copy shipped in the package."""
    return SHARED if SHARED.is_file() else PACKAGED


def test_packaged_copy_is_the_shared_file_unchanged() -> None:
    if not SHARED.is_file():
        pytest.skip(f"no shared data directory at {SHARED.parent} (a fresh clone)")
    assert PACKAGED.read_bytes() == SHARED.read_bytes()


def test_reads_the_1000_instances_as_they_are() -> None:
    inst = read_instances(instances_file())
    assert len(inst) == 1000 and read_instances() == inst
    assert inst[0] == Instance((1, 2, 3), ((8, 1, 0), (4, 0, 2)))
    assert inst[-1].line == instances_file().read_text().splitlines()[-1]
    assert format_instances(inst) == instances_file().read_text()  # round trip, byte for byte
    assert set(inst) <= set(valid_instances())


def test_hand_computed_instances() -> None:
    # 1,2,3 8,1,0 4,0,2: player 0 values A at 8 and B at 1, player 1 values A at 4, C at 2.
    a = analyse(Instance((1, 2, 3), ((8, 1, 0), (4, 0, 2))))
    assert a.frontier_utilities == ((2, 10), (10, 6))  # B to 0 / A+C to 1; A+B to 0 / C to 1
    assert a.nash_division == (1, 2, 0) and a.nash_utilities == (10, 6) and a.nash.value == 60
    assert a.max_joint == 16 and a.nash.unique and len(a.divisions) == 2 * 3 * 4
    # 1,4,1 4,1,2 2,2,0: u0 = 4a + b + 2c, u1 = 10 - 2a - 2b; c = 1 always helps player 0.
    # frontier (2,10) (6,8) (7,6) (8,4) (9,2) (10,0), Nash products 20 48 42 32 18 0.
    b = analyse(Instance((1, 4, 1), ((4, 1, 2), (2, 2, 0))))
    assert b.frontier_utilities == ((2, 10), (6, 8), (7, 6), (8, 4), (9, 2), (10, 0))
    assert b.nash_division == (1, 0, 1) and b.nash.value == 48 and b.max_joint == 14


def test_offer_actions_follow_openspiel_numbering() -> None:
    assert len(OFFERS) == 120 and AGREE == 120
    assert OFFERS[:3] == ((0, 0, 0), (1, 0, 0), (2, 0, 0)) and OFFERS[8] == (0, 1, 0)
    assert OFFERS[-1] == (0, 0, 7) and all(sum(q) <= 7 for q in OFFERS)
    inst = Instance((1, 2, 3), ((8, 1, 0), (4, 0, 2)))
    # player 1 proposing "player 0 gets (1, 2, 0)" keeps (0, 0, 3)
    assert OFFERS[offer_action(inst, (1, 2, 0), 0)] == (1, 2, 0)
    assert OFFERS[offer_action(inst, (1, 2, 0), 1)] == (0, 0, 3)
    with pytest.raises(InstanceError, match="not a division"):
        offer_action(inst, (2, 0, 0), 0)
    with pytest.raises(InstanceError, match="proposer"):
        offer_action(inst, (1, 0, 0), 2)


def _check_analysis(inst: Instance) -> None:
    a = analyse(inst)
    # the maximum joint value, independently: every item to whoever values it more
    assert a.max_joint == sum(
        n * max(v0, v1) for n, v0, v1 in zip(inst.pool, *inst.values, strict=True)
    )
    assert all(u0 + u1 <= a.max_joint for u0, u1 in a.utilities)
    front = set(a.frontier_utilities)
    assert all(a.is_pareto_optimal(u) for u in front)  # undominated
    for u in a.utilities:  # and every division is weakly dominated by a frontier point
        assert any(f[0] >= u[0] and f[1] >= u[1] for f in front)
    assert a.nash_utilities in front and a.nash.value > 0  # the rules exclude a zero product
    assert all(u0 * u1 <= a.nash.value for u0, u1 in a.utilities)
    assert any(u0 + u1 == a.max_joint for u0, u1 in front)


def test_invariants_on_the_1000_instances() -> None:
    inst = read_instances(instances_file())
    for i in inst:
        _check_analysis(i)
    analyses = [analyse(i) for i in inst]
    # figures reported in docs/negotiation.md
    assert sum(a.max_joint for a in analyses) == 15122
    assert sum(a.nash.unique for a in analyses) == 883


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_invariants_on_generated_instances(seed: int) -> None:
    (inst,) = generate(1, np.random.default_rng(seed))
    _check_analysis(inst)


def test_generation_is_seeded_and_follows_the_rules() -> None:
    a = generate(500, np.random.default_rng(7))
    assert a == generate(500, np.random.default_rng(7))
    assert a != generate(500, np.random.default_rng(8))
    assert parse_instances(format_instances(a)) == a  # each passes the rules again
    distinct = generate(2000, np.random.default_rng(1), distinct=True)
    assert len(set(distinct)) == 2000
    with pytest.raises(InstanceError, match="only 5793"):
        generate(6000, np.random.default_rng(1), distinct=True)


def test_the_valid_set_and_openspiels_file_share_one_law() -> None:
    valid = valid_instances()
    assert len(valid) == 5793 and len(set(valid)) == 5793
    # the 1,000 instances' pools against the uniform law over valid instances (31 pools)
    law = Counter(i.pool for i in valid)
    seen = Counter(i.pool for i in read_instances(instances_file()))
    keys = sorted(law)
    expected = np.array([law[k] for k in keys]) * 1000 / len(valid)
    assert stats.chisquare([seen[k] for k in keys], expected).pvalue > 0.01
    # the file has no repeated instance: i.i.d. draws would repeat about 86 times, so
    # OpenSpiel's file is distinct draws (generate(..., distinct=True))
    assert len(set(read_instances(instances_file()))) == 1000
    drawn = generate(20000, np.random.default_rng(3))
    counts = Counter(i.pool for i in drawn)
    assert (
        stats.chisquare(
            [counts[k] for k in keys], np.array([law[k] for k in keys]) * 20000 / len(valid)
        ).pvalue
        > 0.01
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,2,3 8,1,0\n", "line 1: expected 'pool p0_values p1_values'"),
        ("1,2,3 8,1,0 4,0,2\n1,2,3 8,1,0 4,0,x\n", "line 2: expected"),
        ("1,2,3 8,1,0 4,0,2\n\n1,2 8,1,0 4,0,2\n", "line 3: expected"),
        ("1,2,3 8,1,0 4,0,-2\n", "line 1: expected"),
        ("1,2,3 8,1,0 4,0,2 9\n", "line 1: expected"),
        ("1,2,3 8,1,0 4,0,²\n", "line 1: expected"),
        ("2,2,4 8,1,0 4,0,2\n", "line 1: the pool must hold 5 to 7 items, (2, 2, 4) holds 8"),
        ("0,2,3 8,1,0 4,0,2\n", "line 1: each item type needs 1 to 7 items"),
        ("1,2,3 8,1,0 4,0,1\n", "line 1: player 1 values the pool at 7, not 10"),
        ("1,2,3 10,0,0 10,0,0\n", "line 1: an item type is valued by neither"),
        ("1,2,2 10,0,0 0,1,4\n", "line 1: no item type is valued by both"),
        ("1,2,3 8,1,0 4,0,002\n", None),
        ("", "no instances"),
    ],
)
def test_malformed_lines_are_one_line_errors(text: str, message: str | None) -> None:
    if message is None:
        assert parse_instances(text)[0].values[1] == (4, 0, 2)
        return
    with pytest.raises(InstanceError) as err:
        parse_instances(text, "f.txt")
    assert message in str(err.value) and "\n" not in str(err.value)
    assert str(err.value).startswith("f.txt")


def test_unreadable_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(InstanceError, match="no such file"):
        read_instances(tmp_path / "nope.txt")
    with pytest.raises(InstanceError, match="is a directory"):
        read_instances(tmp_path)
    bad = tmp_path / "latin.txt"
    bad.write_bytes(b"1,2,3 8,1,0 4,0,2 \xe9\n")
    with pytest.raises(InstanceError, match="not UTF-8"):
        read_instances(bad)
    long = tmp_path / "long.txt"
    long.write_text("1,2,3 8,1,0 4,0,2 " + "9" * 500 + "\n")
    with pytest.raises(InstanceError, match=r"line 1: .*\.\.\.'$"):
        read_instances(long)


@pytest.mark.parametrize(
    ("pool", "values"),
    [
        ((1, 2), ((8, 1, 0), (4, 0, 2))),
        ((1, 2, 3), ((8, 1, 0),)),
        ((1, 2, 3.0), ((8, 1, 0), (4, 0, 2))),
        ((1, 2, True), ((8, 1, 0), (4, 0, 2))),
        ([1, 2, 3], ((8, 1, 0), (4, 0, 2))),
        ((1, 2, 3), ((8, 1, 0), (4, 0, 2), (1, 1, 1))),
        ((1, 2, 3), ((18, -4, 0), (4, 0, 2))),
    ],
)
def test_hostile_instances_are_refused(pool: object, values: object) -> None:
    with pytest.raises(InstanceError):
        Instance(pool, values)  # type: ignore[arg-type]


junk = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=3),
    st.floats(allow_nan=True),
    st.lists(st.integers(0, 10), max_size=4),
    st.tuples(st.integers(-2, 12), st.integers(-2, 12), st.integers(-2, 12)),
    st.tuples(st.integers(0, 10), st.booleans(), st.integers(0, 10)),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(junk, st.one_of(junk, st.tuples(junk, junk), st.tuples(junk, junk, junk)))
def test_any_junk_instance_is_an_instance_error(pool: object, values: object) -> None:
    try:
        inst = Instance(pool, values)  # type: ignore[arg-type]
    except InstanceError as err:
        assert "\n" not in str(err)
        return
    assert inst in set(valid_instances())  # whatever is accepted follows every rule


def test_bad_generate_arguments() -> None:
    for n in (-1, 1.5, True, None, 10**9):
        with pytest.raises(InstanceError, match="n must be"):
            generate(n, np.random.default_rng(0))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Generator"):
        generate(1, 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Instance"):
        analyse((1, 2, 3))  # type: ignore[arg-type]


line_parts = st.one_of(
    st.sampled_from(["1,2,3", "8,1,0", "4,0,2", "0,0,0", "10,0,0", "7,7,7", "1,1,1,1", ""]),
    st.text(alphabet="0123456789, -\t.x", max_size=12),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(line_parts, max_size=4).map(" ".join), min_size=1, max_size=5))
def test_any_text_parses_or_is_a_one_line_error_naming_its_line(lines: list[str]) -> None:
    text = "\n".join(lines)
    try:
        got = parse_instances(text, "fuzz.txt")
    except InstanceError as err:
        msg = str(err)
        assert "\n" not in msg and msg.startswith("fuzz.txt: ")
        if "no instances" not in msg:
            number = int(msg.split("line ")[1].split(":")[0])
            assert 1 <= number <= len(text.splitlines())
        return
    assert parse_instances(format_instances(got)) == got
