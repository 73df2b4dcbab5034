"""Stage 2 of the two-stage protocol on hand-made values: acceptance is individual
rationality, and the proposer proposes the best contract all accept."""

from __future__ import annotations

import numpy as np
import pytest

from accord.agents.learning.tabular import linear_decay
from accord.agents.learning.two_stage import stage_two


def test_responders_accept_exactly_what_beats_no_contract() -> None:
    # entry 0 is no contract; b loses under entry 1, gains under 2 and 3
    values = {"a": [1.0, 5.0, 3.0, 2.0], "b": [1.0, 0.5, 3.0, 2.0]}
    two = stage_two(values, "a", iterations=3000, seed=0)
    assert [two.accepts("b", k) for k in (1, 2, 3)] == [False, True, True]
    # a would like entry 1 (5) but b rejects it: a proposes 2 (3 > 2 > 1)
    assert two.proposal == 2
    assert two.proposal_values[1] < two.proposal_values[2]  # entry 1 mostly ended in V_a(0)


def test_a_proposer_that_gains_nothing_proposes_nothing() -> None:
    # chicken as the learners found it: the proposer drives (5), the other swerves (1)
    values = {"a": [5.0, 3.0, 3.0], "b": [1.0, 3.0, 3.0]}
    assert stage_two(values, "a", iterations=2000, seed=1).proposal == 0
    # the swerver proposes, the driver rejects: no contract
    two = stage_two(values, "b", iterations=2000, seed=1)
    assert not two.accepts("a", 1) and not two.accepts("a", 2)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="proposer"):
        stage_two({"a": [1.0]}, "z", iterations=10, seed=0)
    with pytest.raises(ValueError, match="one value per menu entry"):
        stage_two({"a": [1.0, 2.0], "b": [1.0]}, "a", iterations=10, seed=0)
    with pytest.raises(ValueError, match="iterations"):
        stage_two({"a": [1.0]}, "a", iterations=0, seed=0)


def test_linear_decay() -> None:
    eps = linear_decay(1.0, 0.0, 5)
    assert [eps(t) for t in range(7)] == pytest.approx([1.0, 0.75, 0.5, 0.25, 0.0, 0.0, 0.0])
    assert linear_decay(0.3, 0.1, 1)(0) == 0.1
    with pytest.raises(ValueError, match="start"):
        linear_decay(1.5, 0.0, 3)
    assert np.isfinite(eps(10**9))
