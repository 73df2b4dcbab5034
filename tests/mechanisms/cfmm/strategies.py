"""Hypothesis strategies for CFMM pools and orders, shared by the cfmm test modules."""

from __future__ import annotations

from hypothesis import strategies as st

from accord.mechanisms.cfmm import ConstantSumPool, Order, ProductPool, WeightedPool

reserve = st.integers(min_value=1, max_value=10**30)
small_reserve = st.integers(min_value=1_000, max_value=10**24)
amount = st.integers(min_value=0, max_value=10**30)
fee = st.integers(min_value=0, max_value=9_999)
weight = st.integers(min_value=1, max_value=20)


def product_pools() -> st.SearchStrategy[ProductPool]:
    return st.builds(lambda r0, r1, f: ProductPool((r0, r1), f), reserve, reserve, fee)


def weighted_pools() -> st.SearchStrategy[WeightedPool]:
    @st.composite
    def build(draw: st.DrawFn) -> WeightedPool:
        n = draw(st.integers(2, 4))
        rs = tuple(draw(small_reserve) for _ in range(n))
        ws = tuple(draw(weight) for _ in range(n))
        return WeightedPool(rs, ws, draw(fee))

    return build()


def sum_pools() -> st.SearchStrategy[ConstantSumPool]:
    @st.composite
    def build(draw: st.DrawFn) -> ConstantSumPool:
        n = draw(st.integers(2, 3))
        rs = tuple(draw(st.integers(0, 10**24)) for _ in range(n))
        ps = tuple(draw(st.integers(1, 1_000)) for _ in range(n))
        return ConstantSumPool(rs, draw(fee), ps)

    return build()


orders_strategy = st.lists(
    st.builds(Order, st.booleans(), st.integers(1, 10**22), st.integers(0, 10**20)),
    min_size=1,
    max_size=6,
)


any_pool = st.one_of(product_pools(), weighted_pools(), sum_pools())
