"""The router's dual oracle: closed-form Hessians, compiled against NumPy kernels."""

from __future__ import annotations

import math

import numpy as np
import pytest

from accord.mechanisms.cfmm import ConstantSumPool, Pool, ProductPool, WeightedPool
from accord.mechanisms.routing.kernels import COMPILED, evaluate, new_cases, pool_hessians
from accord.mechanisms.routing.network import Network, random_network

KERNELS = [False, True] if COMPILED else [False]


def _network(seed: int, pools: int) -> tuple[Network, np.ndarray]:
    network, reference = random_network(np.random.default_rng(seed), pools)
    c = np.array([reference[t] for t in network.tokens])
    return network, c


def test_product_pool_hessian_is_the_hand_derived_two_by_two() -> None:
    # q = γR₂ν₂/(R₁ν₁) > 1: tender token 1. Differentiating Δ₁ = R₁(√q − 1)/γ and
    # Λ₂ = R₂(1 − 1/√q) gives ∂net₁/∂ν₁ = R₁√q/(2γν₁), ∂net₂/∂ν₂ = R₂/(2√q ν₂) and
    # ∂net₁/∂ν₂ = −R₁√q/(2γν₂).
    r1, r2, gamma, v1, v2 = 1000.0, 2000.0, 0.997, 1.0, 2.2
    assert gamma * r2 * v2 > r1 * v1  # outside the band, on the tendering side of token 1
    q = gamma * r2 * v2 / (r1 * v1)
    root = math.sqrt(q)
    net = np.array([[-r1 * (root - 1) / gamma, r2 * (1 - 1 / root)]])
    hess = pool_hessians(np.array([[r1, r2]]), np.array([gamma]), np.array([[v1, v2]]), net)[0]
    assert hess[0, 0] == pytest.approx(r1 * root / (2 * gamma * v1), rel=1e-12)
    assert hess[1, 1] == pytest.approx(r2 / (2 * root * v2), rel=1e-12)
    assert hess[0, 1] == pytest.approx(-r1 * root / (2 * gamma * v2), rel=1e-12)
    assert hess[1, 0] == pytest.approx(hess[0, 1], rel=1e-12)
    assert abs(hess @ np.array([v1, v2])).max() <= 1e-9 * abs(hess).max()  # Euler: Hν = 0


def test_no_trade_means_no_curvature() -> None:
    net = np.zeros((1, 2))
    hess = pool_hessians(np.array([[5.0, 5.0]]), np.array([0.997]), np.array([[1.0, 1.0]]), net)
    assert (hess == 0).all()


@pytest.mark.parametrize("compiled", KERNELS)
def test_hessian_matches_finite_differences_of_the_gradient(compiled: bool) -> None:
    network, c = _network(7, 300)
    rng = np.random.default_rng(1)
    nu = c * np.exp(0.03 * rng.normal(size=len(c)))
    ev = evaluate(network.view, nu, hessian=True, compiled=compiled)
    assert ev.hess is not None
    step = nu * 1e-7 * rng.normal(size=len(c))
    up = evaluate(network.view, nu + step, compiled=compiled).grad
    down = evaluate(network.view, nu - step, compiled=compiled).grad
    central = (up - down) / 2
    predicted = ev.hess @ step
    assert abs(central - predicted).max() <= 1e-6 * abs(predicted).max()
    # symmetric, positive semidefinite, and Hν = 0 (g is positively homogeneous)
    assert abs(ev.hess - ev.hess.T).max() <= 1e-12 * abs(ev.hess).max()
    scaled = ev.hess * nu[:, None] * nu[None, :]
    assert np.linalg.eigvalsh(scaled).min() >= -1e-9 * abs(scaled).max()
    assert abs(ev.hess @ nu).max() <= 1e-9 * abs(ev.hess).max() * nu.max()


@pytest.mark.skipif(not COMPILED, reason="the fast extra (Numba) is not installed")
def test_compiled_and_numpy_kernels_agree() -> None:
    network, c = _network(11, 2000)
    nu = c * np.exp(0.05 * np.random.default_rng(2).normal(size=len(c)))
    scale = nu * 3.0
    fast = evaluate(network.view, nu, hessian=True, compiled=True, scale=scale)
    slow = evaluate(network.view, nu, hessian=True, compiled=False, scale=scale)
    assert fast.value == pytest.approx(slow.value, rel=1e-12)
    assert abs(fast.grad - slow.grad).max() <= 1e-12 * abs(slow.through).max()
    assert fast.through == pytest.approx(slow.through, rel=1e-12)
    assert fast.hess is not None and slow.hess is not None
    assert abs(fast.hess - slow.hess).max() <= 1e-11 * abs(slow.hess).max()
    for a, b in zip(fast.nets, slow.nets, strict=True):
        assert abs(a - b).max() <= 1e-12 * max(abs(b).max(), 1.0) * 1e3
        assert ((a == 0) == (b == 0)).all()  # the same pools trade


@pytest.mark.skipif(not COMPILED, reason="the fast extra (Numba) is not installed")
def test_remembered_cases_give_the_same_answer_bit_for_bit() -> None:
    network, c = _network(5, 1500)
    rng = np.random.default_rng(3)
    first = c * np.exp(0.04 * rng.normal(size=len(c)))
    second = first * np.exp(1e-4 * rng.normal(size=len(c)))
    cases = new_cases(network.view)
    evaluate(network.view, first, hessian=True, cases=cases)  # leaves the cases of `first`
    remembered = evaluate(network.view, second, hessian=True, cases=cases)
    fresh = evaluate(network.view, second, hessian=True, cases=new_cases(network.view))
    assert remembered.value == fresh.value
    assert (remembered.grad == fresh.grad).all()
    assert remembered.hess is not None and fresh.hess is not None
    assert (remembered.hess == fresh.hess).all()
    assert any((case != 0).any() for case in cases)  # weighted pools of 3-4 tokens used them


@pytest.mark.parametrize("compiled", KERNELS)
def test_equal_weights_weighted_pool_is_the_product_pool(compiled: bool) -> None:
    pools: list[Pool] = [
        ProductPool((10**9, 3 * 10**9), 30),
        WeightedPool((10**9, 3 * 10**9), (1, 1), 30),
    ]
    network = Network.build(pools, [("A", "B"), ("A", "B")])
    ev = evaluate(network.view, np.array([3.2, 1.0]), hessian=True, compiled=compiled)
    kinds = [g.kind for g in network.view.groups]
    product, weighted = (ev.nets[kinds.index(kind)] for kind in ("product", "weighted"))
    assert weighted == pytest.approx(product, rel=1e-12)
    assert (product[0] != 0).all()


def test_constant_sum_pools_have_no_hessian() -> None:
    network = Network.build([ConstantSumPool((100, 100), 30, (1, 1))], [("A", "B")])
    with pytest.raises(ValueError, match="constant-sum"):
        evaluate(network.view, np.array([1.0, 1.0]))
