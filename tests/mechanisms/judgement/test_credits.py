"""Scoring lists against the jury and jury-only credits, against closed forms."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from accord.mechanisms.judgement import fit, jury_credits, score, solve_log_credits
from accord.mechanisms.judgement.data import (
    JudgementInputError,
    parse_jury,
    parse_submission,
    read_jury,
)

HEADER = "juror,repo_a,repo_b,parent,choice,multiplier\n"
REAL = Path("/work/shared/data/deepfunding/jury_pairs_l1.csv")


def test_score_is_the_deep_funding_cost() -> None:
    jury = parse_jury(HEADER + "j,a,b,p,2,2\nj,b,c,p,1,4\n")
    # x = (1, 3, 1) (normalisation cancels): residuals log3 - log2 and 0 - log3 + log4
    sub = parse_submission("repo,parent,weight\na,p,10\nb,p,30\nc,p,10\n", "s")
    want = (math.log(3) - math.log(2)) ** 2 + (math.log(1 / 3) + math.log(4)) ** 2
    assert score(jury, sub) == pytest.approx(want, rel=1e-15)


def test_consistent_triangle_recovers_exact_ratios() -> None:
    # b = 2a, c = 3b, c = 6a: shares 1/9, 2/9, 6/9 and zero cost
    jury = parse_jury(HEADER + "j,a,b,p,2,2\nj,b,c,p,2,3\nj,c,a,p,1,6\n")
    cr = jury_credits(jury)
    want = {("p", "a"): 1 / 9, ("p", "b"): 2 / 9, ("p", "c"): 6 / 9}
    for item, share in want.items():
        assert cr.shares[item] == pytest.approx(share, rel=1e-12)
    assert cr.cost == pytest.approx(0.0, abs=1e-24)
    assert cr.components == 1
    assert cr.log_credits.sum() == pytest.approx(0.0, abs=1e-14)  # min-norm: mean 0


def test_inconsistent_triangle_spreads_the_cycle_error_equally() -> None:
    """Closed form: with e = c_ab + c_bc - c_ac, each residual is e/3, cost e²/3."""
    c_ab, c_bc, c_ac = math.log(2), math.log(3), math.log(4)
    jury = parse_jury(HEADER + "j,a,b,p,2,2\nj,b,c,p,2,3\nj,a,c,p,2,4\n")
    cr = jury_credits(jury)
    y = dict(zip(cr.items, cr.log_credits, strict=True))
    e = c_ab + c_bc - c_ac
    assert y[("p", "b")] - y[("p", "a")] == pytest.approx(c_ab - e / 3, rel=1e-12)
    assert y[("p", "c")] - y[("p", "b")] == pytest.approx(c_bc - e / 3, rel=1e-12)
    assert y[("p", "c")] - y[("p", "a")] == pytest.approx(c_ac + e / 3, rel=1e-12)
    assert cr.cost == pytest.approx(e * e / 3, rel=1e-12)


def test_repeated_pair_takes_the_mean_and_ridge_shrinks() -> None:
    jury = parse_jury(HEADER + "j,a,b,p,2,2\nk,a,b,p,2,8\n")
    cr = jury_credits(jury)
    assert cr.shares[("p", "b")] / cr.shares[("p", "a")] == pytest.approx(4.0, rel=1e-12)
    # one pair, ridge λ: (L + λI) y = Dᵀc gives y_b = -y_a = c̄·2/(2 + λ)... per sample
    c = np.array([math.log(2), math.log(8)])
    y, _ = solve_log_credits(2, np.array([0, 0]), np.array([1, 1]), c, ridge=1.0)
    # L = [[2,-2],[-2,2]], rhs = (-Σc, Σc): y_b = Σc / (4 + λ)
    assert y[1] == pytest.approx(c.sum() / 5, rel=1e-12) and y[0] == pytest.approx(-y[1])
    with pytest.raises(ValueError, match="ridge must be a finite number >= 0"):
        solve_log_credits(2, np.array([0]), np.array([1]), c[:1], ridge=-1.0)


def test_two_components_and_two_parents() -> None:
    jury = parse_jury(HEADER + "j,a,b,p,2,4\nj,c,d,p,1,9\nj,u,v,q,2,3\n")
    cr = jury_credits(jury)
    assert cr.components == 3
    s = cr.shares
    # each component has geometric mean 1: a,b = 1/2, 2; c,d = 3, 1/3; so p sums 35/6
    assert s[("p", "a")] == pytest.approx(0.5 / (35 / 6), rel=1e-12)
    assert s[("p", "d")] == pytest.approx((1 / 3) / (35 / 6), rel=1e-12)
    assert s[("q", "v")] == pytest.approx(0.75, rel=1e-12)
    assert sum(v for (p, _), v in s.items() if p == "p") == pytest.approx(1.0, rel=1e-15)


def test_real_jury_credits_pinned() -> None:
    cr = jury_credits(read_jury(REAL))
    assert cr.components == 1 and len(cr.items) == 45
    assert cr.cost == pytest.approx(2851.3699953187715, rel=1e-9)
    top = max(cr.shares, key=cr.shares.__getitem__)
    assert top == ("ethereum", "https://github.com/ethereum/eips")
    assert cr.shares[top] == pytest.approx(0.21597351613887159, rel=1e-9)
    # least squares: the residuals are orthogonal to every indicator of an item
    items, a, b, c = read_jury(REAL).arrays()
    r = cr.log_credits[b] - cr.log_credits[a] - c
    grad = np.bincount(b, r, len(items)) - np.bincount(a, r, len(items))
    assert np.abs(grad).max() < 1e-9


def test_fit_from_files_recovers_the_list_the_jury_agrees_with() -> None:
    jury = parse_jury(HEADER + "j,a,b,p,2,2\nj,b,c,p,2,3\nj,a,c,p,2,6\n")
    good = parse_submission("repo,parent,weight\na,p,1\nb,p,2\nc,p,6\n", "good")
    flat = parse_submission("repo,parent,weight\na,p,1\nb,p,1\nc,p,1\n", "flat")
    result = fit(jury, [flat, good])
    assert result.weights == {"flat": 0.0, "good": 1.0}
    assert result.combined_cost == pytest.approx(0.0, abs=1e-20)
    assert result.costs["flat"] == pytest.approx(
        math.log(2) ** 2 + math.log(3) ** 2 + math.log(6) ** 2, rel=1e-12
    )
    with pytest.raises(JudgementInputError, match="submission name 'good' is given twice"):
        fit(jury, [good, good])
