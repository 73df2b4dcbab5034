"""ERC-8004's summaries: exact values on the standard's examples, and against exact
rational arithmetic for any entries (Hypothesis)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from accord.mechanisms.agent_summaries import feedback_summary, trunc_div, validation_summary

ENTRY = st.tuples(st.integers(-(2**127), 2**127 - 1), st.integers(0, 18))


def test_the_standards_examples() -> None:
    assert feedback_summary([]) == (0, 0, 0)
    assert feedback_summary([(87, 0)]) == (1, 87, 0)
    assert feedback_summary([(9977, 2), (9900, 2), (87, 0)]) == (3, 9525, 2)
    assert feedback_summary([(1, 0), (5, 1)]) == (2, 0, 0)  # (1 + 0.5) / 2 = 0.75 -> 0 at 0 dp
    assert feedback_summary([(-32, 1)]) == (1, -32, 1)  # -3.2% yield
    assert validation_summary([]) == (0, 0)
    assert validation_summary([100, 33]) == (2, 66)
    assert trunc_div(-7, 2) == -3 and trunc_div(7, 2) == 3


@given(st.lists(ENTRY, max_size=30))
def test_feedback_summary_is_the_exact_mean_truncated_at_the_mode_decimals(
    entries: list[tuple[int, int]],
) -> None:
    count, value, decimals = feedback_summary(entries)
    assert count == len(entries)
    if not entries:
        assert (value, decimals) == (0, 0)
        return
    counts = [sum(1 for _, d in entries if d == k) for k in range(19)]
    assert counts[decimals] == max(counts) and counts.index(max(counts)) == decimals
    mean = sum(Fraction(v, 10**d) for v, d in entries) / len(entries)
    scaled = mean * 10**decimals
    # truncated toward zero, at most one unit off the exact mean (two truncations)
    assert abs(Fraction(value) - scaled) < 1
    assert value == 0 or (value > 0) == (scaled > 0)
    assert abs(value) <= abs(scaled)


@given(st.lists(st.integers(0, 100), max_size=50))
def test_validation_summary_floors_the_mean(responses: list[int]) -> None:
    count, average = validation_summary(responses)
    assert count == len(responses)
    assert average == (sum(responses) // len(responses) if responses else 0)
    assert 0 <= average <= 100
