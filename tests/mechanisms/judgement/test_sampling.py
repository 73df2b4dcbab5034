"""Pair sampling (random and active) and held-out cost on the real level-1 jury data."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from accord.mechanisms.judgement.data import parse_jury, read_jury
from accord.mechanisms.judgement.sampling import (
    active_pairs,
    disagreement,
    held_out_by_juror,
    held_out_by_time,
    pooled,
    random_pairs,
)

REAL = Path("/work/shared/data/deepfunding/jury_pairs_l1.csv")
ITEMS = (("p", "a"), ("p", "b"), ("p", "c"), ("q", "u"), ("q", "v"), ("r", "solo"))


def test_random_pairs_are_within_a_parent_uniform_and_seeded() -> None:
    a, b = random_pairs(ITEMS, 8_000, np.random.default_rng(1))
    a2, b2 = random_pairs(ITEMS, 8_000, np.random.default_rng(1))
    assert a.tolist() == a2.tolist() and b.tolist() == b2.tolist()
    assert all(ITEMS[i][0] == ITEMS[j][0] and i != j for i, j in zip(a, b, strict=True))
    counts = Counter(zip(a.tolist(), b.tolist(), strict=True))
    # p has 3 pairs, q 1, so parents are drawn 3:1; each of p's 6 ordered pairs ≈ 1000,
    # q's 2 ≈ 1000 (binomial sd ≈ 30: ±150 is five sd)
    assert set(counts) == {(0, 1), (1, 0), (0, 2), (2, 0), (1, 2), (2, 1), (3, 4), (4, 3)}
    assert all(abs(v - 1_000) < 150 for v in counts.values())


def test_active_pairs_pick_the_largest_disagreement() -> None:
    # three lists; log-ratio variances across them: a:c 1.52, b:c 1.10, u:v 0.20, a:b 0.04
    logs = np.log(
        np.array(
            [
                [1.0, 1.0, 1.0],
                [2.0, 3.0, 2.0],
                [1.0, 9.0, 0.5],
                [1.0, 1.0, 1.0],
                [1.0, 2.0, 3.0],
                [1.0, 1.0, 1.0],
            ]
        )
    )
    a, b = active_pairs(ITEMS, logs, 2, np.random.default_rng(0))
    assert list(zip(a.tolist(), b.tolist(), strict=True)) == [(0, 2), (1, 2)]
    d = np.log([1.0, 9.0, 0.5]) - np.log([2.0, 3.0, 2.0])  # b:c across the 3 lists
    assert disagreement(logs, np.array([1]), np.array([2]))[0] == pytest.approx(d.var())
    assert disagreement(logs, np.array([1]), np.array([2]))[0] == pytest.approx(1.09618, abs=1e-5)
    a, b = active_pairs(ITEMS, logs, 4, np.random.default_rng(0))
    assert list(zip(a.tolist(), b.tolist(), strict=True)) == [(0, 2), (1, 2), (3, 4), (0, 1)]


def test_held_out_by_juror_and_time_small() -> None:
    text = "timestamp,juror,repo_a,repo_b,parent,choice,multiplier\n"
    text += "1,j1,a,b,p,2,2\n2,j1,b,c,p,2,2\n3,j2,a,c,p,2,4\n4,j2,a,b,p,2,2\n"
    jury = parse_jury(text)
    splits = held_out_by_juror(jury)
    assert [s.label for s in splits] == ["j1", "j2"]
    # leave j1 out: trained on a<c by 4 and a<b by 2, so c/b = 2: j1 exactly predicted
    assert splits[0].credits_cost == pytest.approx(0.0, abs=1e-24)
    assert splits[0].equal_cost == pytest.approx(np.log(2) ** 2, rel=1e-12)
    time = held_out_by_time(jury, folds=2)
    assert [(s.train, s.test, s.linked) for s in time] == [(2, 2, 2)]
    with pytest.raises(ValueError, match="folds must be >= 2"):
        held_out_by_time(jury, folds=1)
    assert len(held_out_by_time(jury, folds=4)) == 3  # one sample a block
    with pytest.raises(ValueError, match="folds must be at most the number of samples, 4 in"):
        held_out_by_time(jury, folds=5)


def test_held_out_on_the_real_level1_jury_pinned() -> None:
    """Computed once on jury_pairs_l1.csv (593 rows, 37 jurors) and pinned: jury-only
    credits beat equal shares on held-out jurors and on later months."""
    jury = read_jury(REAL)
    by_juror = held_out_by_juror(jury)
    assert len(by_juror) == 37 and sum(s.test for s in by_juror) == 593
    assert sum(s.linked for s in by_juror) == 593
    credits, equal = pooled(by_juror)
    assert credits == pytest.approx(5.9902137588919375, rel=1e-9)
    assert equal == pytest.approx(8.124526079183598, rel=1e-9)

    by_time = held_out_by_time(jury, folds=5)
    got = [(s.label, s.train, s.test, s.linked) for s in by_time]
    assert got == [
        ("2025-01-24..2025-03-01", 119, 119, 119),
        ("2025-03-01..2025-03-30", 238, 119, 119),
        ("2025-03-31..2025-09-10", 357, 118, 89),
        ("2025-09-10..2025-09-27", 475, 118, 118),
    ]
    assert [round(s.credits_cost, 3) for s in by_time] == [6.021, 4.684, 6.607, 10.446]
    assert [round(s.equal_cost, 3) for s in by_time] == [6.99, 5.152, 9.181, 13.649]
    credits, equal = pooled(by_time)
    assert credits == pytest.approx(6.932635750957151, rel=1e-9)
    assert equal == pytest.approx(8.731862777803554, rel=1e-9)
    ridge = pooled(held_out_by_juror(jury, ridge=1.0))[0]
    assert ridge == pytest.approx(5.90887123423015, rel=1e-9)


def test_sampling_experiment_figures_pinned() -> None:
    """examples/judgement/sampling_experiment.py, as reported in docs/judgement.md:
    max-disagreement sampling does not beat random sampling on these planted rounds."""
    import runpy

    path = Path(__file__).resolve().parents[3] / "examples" / "judgement"
    module = runpy.run_path(str(path / "sampling_experiment.py"), run_name="experiment")
    iid, blind = module["experiment"]("iid"), module["experiment"]("blind")
    assert round(iid["random"], 4) == 0.1141 and round(iid["active"], 4) == 0.1237
    assert round(blind["random"], 4) == 0.2517 and round(blind["active"], 4) == 0.3108
    assert iid["active_wins"] == 0.525 and blind["active_wins"] == 0.425
