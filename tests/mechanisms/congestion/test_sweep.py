"""Sweeps over η and demand: rows carry the closed forms where they exist."""

from __future__ import annotations

import math

import pytest

from accord.mechanisms.congestion import cfmm_pigou, cfmm_pigou_closed_form, pigou, sweep


def test_eta_sweep_rows_match_the_closed_form() -> None:
    etas = [0.0, 0.1, 0.25, 0.5, 0.8]
    rows = sweep(cfmm_pigou(), etas=etas)
    for r, eta in zip(rows, etas, strict=True):
        closed = cfmm_pigou_closed_form(eta=eta)
        assert r["eta"] == eta
        assert r["poa_low"] <= closed.poa * (1 + 1e-12) <= r["poa_high"] * (1 + 1e-12)
        assert r["eq_cfmm"] == pytest.approx(closed.x_eq, abs=1e-6)
        assert r["opt_cfmm"] == pytest.approx(closed.x_opt, abs=1e-6)
    assert [r["poa"] for r in rows] == sorted((r["poa"] for r in rows), reverse=True)


def test_demand_sweep_on_pigou() -> None:
    """Pigou with demand D ≥ ½: equilibrium cost D·min(D, 1), optimum D − ¼ for
    D ≥ ½ (half a unit on the variable link at marginal cost 1)."""
    rows = sweep(pigou(), demands=[0.5, 1.0, 2.0])
    for r, d in zip(rows, [0.5, 1.0, 2.0], strict=True):
        assert r["cost_eq"] == pytest.approx(d * min(d, 1.0), rel=1e-9)
        assert r["cost_opt"] == pytest.approx(d * d if d <= 0.5 else d - 0.25, rel=1e-9)
    assert math.isclose(rows[1]["poa"], 4 / 3, rel_tol=1e-9)


def test_sweep_needs_exactly_one_axis() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        sweep(pigou())
    with pytest.raises(ValueError, match="exactly one"):
        sweep(pigou(), etas=[0.1], demands=[1.0])
