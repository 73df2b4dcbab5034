"""The time-bandit model (accord.mechanisms.time_bandit) against its closed forms and a
simulation of the race."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms.time_bandit import (
    MAX_BLOCKS,
    capped_race,
    race,
    rational,
    threshold,
    win_probability,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "finality.md"
shares = st.fractions(min_value=Fraction(1, 100), max_value=Fraction(99, 100))


@settings(max_examples=60, deadline=None)
@given(alpha=shares, depth=st.integers(1, 6), give_up=st.integers(1, 12))
def test_the_solved_race_is_the_gamblers_ruin_closed_form(
    alpha: Fraction, depth: int, give_up: int
) -> None:
    assert race(alpha, depth, give_up).win == win_probability(alpha, depth, give_up)


def test_closed_form_values() -> None:
    # α = 1/3: ρ = 1/2; d = 1, g = 1: N = 3, P = (1/4 - 1/8) / (1 - 1/8) = 1/7.
    assert win_probability(Fraction(1, 3), 1, 1) == Fraction(1, 7)
    # α = 1/2: a fair walk from 2 to 0 before 4: 1/2.
    assert win_probability(Fraction(1, 2), 1, 2) == Fraction(1, 2)
    # α = 1/3, d = 1, g = 1 by hand: from D = 2, win needs A, A (1/9); after A, H the
    # walk is back at 2, after H it is lost. P = 1/9 + (2/9) P: P = 1/7. Lost races:
    # H (A = 0), A H H (A = 1), (A H)^k H or (A H)^k A H H ... E[A; lost] solves
    # F2 = α (F1 + L1) + (1 - α) F3, F1 = α F0 + (1 - α) F2, F0 = F3 = 0.
    outcome = race(Fraction(1, 3), 1, 1)
    # L1 = 1 - P(1); P(1) = 1/3 + 2/3 P(2) = 1/3 + 2/21 = 3/7, L1 = 4/7.
    # F2 = 1/3 (F1 + 4/7), F1 = 2/3 F2 -> F2 = 2/9 F2 + 4/21 -> F2 = 12/49.
    assert outcome.blocks_lost == Fraction(12, 49)
    assert threshold(Fraction(1, 3), 1, 1) == Fraction(12, 49) / Fraction(1, 7) == Fraction(12, 7)


def test_a_long_race_tends_to_nakamotos_catch_up_probability() -> None:
    """As give_up grows, P_win tends to (α / (1 − α))^(d + 1) (Nakamoto 2008, §11)."""
    for alpha, depth in ((Fraction(1, 10), 1), (Fraction(3, 10), 2), (Fraction(2, 5), 3)):
        rho = alpha / (1 - alpha)
        limit = rho ** (depth + 1)
        assert abs(float(win_probability(alpha, depth, 200) - limit)) < 1e-12
        assert win_probability(alpha, depth, 200) < limit


def test_thresholds_grow_with_depth_and_fall_with_share() -> None:
    for g in (2, 6):
        for d in (1, 2, 3):
            values = [threshold(Fraction(a, 10), d, g) for a in (1, 2, 3, 4)]
            assert values == sorted(values, reverse=True)
        for a in (1, 2, 3, 4):
            values = [threshold(Fraction(a, 10), d, g) for d in (1, 2, 3, 4)]
            assert values == sorted(values)
    assert rational(Fraction(3, 10), 1, 6, 2, 100) and not rational(Fraction(1, 10), 3, 6, 2, 100)
    # docs/finality.md: each block of depth multiplies V* by (1 − α) / α or more.
    for a in (1, 2, 3, 4):
        alpha = Fraction(a, 10)
        for d in (1, 2):
            assert threshold(alpha, d + 1, 6) >= threshold(alpha, d, 6) * (1 - alpha) / alpha


def simulate(alpha: float, depth: int, give_up: int, runs: int, seed: int) -> tuple[Any, Any]:
    """Monte Carlo: (win, attacker blocks when lost) per run."""
    rng = np.random.default_rng(seed)
    wins = np.zeros(runs, dtype=bool)
    lost_blocks = np.zeros(runs)
    n = depth + 1 + give_up
    for r in range(runs):
        deficit, mined = depth + 1, 0
        while 0 < deficit < n:
            if rng.random() < alpha:
                deficit, mined = deficit - 1, mined + 1
            else:
                deficit += 1
        wins[r] = deficit == 0
        lost_blocks[r] = 0 if wins[r] else mined
    return wins, lost_blocks


@pytest.mark.parametrize(("alpha", "depth", "give_up"), [(3, 1, 3), (4, 2, 4), (2, 1, 6)])
def test_a_simulated_race_agrees_with_the_model(alpha: int, depth: int, give_up: int) -> None:
    share = Fraction(alpha, 10)
    wins, lost = simulate(float(share), depth, give_up, 20_000, seed=alpha * 100 + depth)
    model = race(share, depth, give_up)
    for sample, exact in ((wins.astype(float), model.win), (lost, model.blocks_lost)):
        error = sample.std() / np.sqrt(len(sample))
        assert abs(sample.mean() - float(exact)) < 4 * error + 1e-9


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((Fraction(0), 1, 1), ValueError),
        ((Fraction(1), 1, 1), ValueError),
        ((0.3, 1, 1), TypeError),
        ((True, 1, 1), TypeError),
        ((Fraction(1, 3), 0, 1), ValueError),
        ((Fraction(1, 3), 1, 0), ValueError),
        ((Fraction(1, 3), 1.0, 1), TypeError),
        ((Fraction(1, 3), MAX_BLOCKS, 1), ValueError),
        ((Fraction(1, 3), -5, 10**30), ValueError),
    ],
)
def test_bad_inputs_are_refused_in_one_line(args: tuple[Any, ...], error: type) -> None:
    with pytest.raises(error) as info:
        race(*args)
    assert "\n" not in str(info.value)
    with pytest.raises(error):
        win_probability(*args)


def test_bad_reward_and_mev_are_refused() -> None:
    with pytest.raises(ValueError):
        threshold(Fraction(1, 3), 1, 1, reward=-1)
    with pytest.raises(ValueError):
        rational(Fraction(1, 3), 1, 1, 1, mev=-1)


def test_the_docs_table_is_the_models() -> None:
    """docs/finality.md's threshold table (V* / R, g = 6) is what the model computes."""
    text = DOCS.read_text()
    rows = re.findall(r"^\| α = (\d+)% \|((?: [\d.]+ \|)+)$", text, re.MULTILINE)
    assert len(rows) == 4
    for percent, cells in rows:
        values = [float(c) for c in cells.split("|") if c.strip()]
        expected = [
            round(float(threshold(Fraction(int(percent), 100), d, 6)), 2) for d in (1, 2, 3)
        ]
        assert values == expected, percent


def test_capped_race_by_hand_and_against_the_uncapped_race() -> None:
    """cap 0, depth 1: the bandit must build 2 blocks before any public one (win α²); it
    loses with 0 blocks (public first) or 1 (bandit, then public): E[A; lost] = α(1-α)."""
    third = Fraction(1, 3)
    hand = capped_race(third, 1, 5, 0)
    assert hand.win == third**2 and hand.blocks_lost == third * (1 - third)
    for alpha, depth, give_up in ((third, 1, 1), (Fraction(3, 10), 2, 6), (Fraction(2, 5), 3, 4)):
        wide, exact = capped_race(alpha, depth, give_up, 200), race(alpha, depth, give_up)
        assert abs(float(wide.win - exact.win)) < 1e-12
        assert abs(float(wide.blocks_lost - exact.blocks_lost)) < 1e-12
        # a tighter cap only ever loses races
        assert capped_race(alpha, depth, give_up, 1).win <= exact.win
    with pytest.raises(ValueError):
        capped_race(third, 1, 1, -1)
    with pytest.raises(TypeError):
        capped_race(third, 1, 1, 1.5)  # type: ignore[arg-type]
