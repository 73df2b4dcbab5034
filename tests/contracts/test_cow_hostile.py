"""Hostile solutions, solvers and pools against the CoW settlement: each refused with its
reason, and nothing changed but the solver's fee.

Pure checks (:func:`accord.contracts.cow_verify.verify`) are fuzzed with Hypothesis on
mutations of a valid solution and on arbitrary nested values; the device-level tests
send the same kinds of solution as transactions and compare the whole state before and
after (every balance but the solver's fee asset, every contract's storage)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.contracts.amm import ProductAMM
from accord.contracts.cow import settle_gas
from accord.contracts.cow_verify import MAX_AMOUNT, BookOrder, InvalidSolution, verify
from accord.device import Context, Revert, Var, public
from accord.mechanisms.cfmm import amount_out
from tests.contracts.test_cow import DEPTH, TOKENS, USERS, execute, make, order, settle

# -- the pure check -------------------------------------------------------------------------
BOOK = {
    0: BookOrder(5, "alice", "alice", "A", 100, "B", 99, False),
    1: BookOrder(5, "bob", "bob", "B", 100, "A", 99, False),
    2: BookOrder(5, "carol", "carol", "A", 10_000, "B", 9_000, True),
}
POOLS = {"pool": ("A", "B")}
VALUE = {"A": Fraction(1), "B": Fraction(1)}
OUT = amount_out(10_000, DEPTH, DEPTH)


def quote(pool: str, asset_in: str, amount: int, asset_out: str) -> int:
    return amount_out(amount, DEPTH, DEPTH)


MATCH = ((("A", 1, 1), ("B", 1, 1)), ((0, 100, 100), (1, 100, 100)), ())
POOLED = ((("A", OUT, OUT), ("B", 10_000, 10_000)), ((2, 10_000, OUT),),
          (("pool", "A", 10_000, "B", OUT),))  # fmt: skip


def check(solution: object) -> Any:
    return verify(BOOK, solution, POOLS, VALUE, quote)


def test_the_valid_solutions_verify_with_their_exact_scores() -> None:
    assert check(MATCH).score == 2
    assert check(POOLED).score == OUT - 9_000


def _set(solution: Any, path: tuple[int, ...], value: object) -> Any:
    if not path:
        return value
    head, *rest = path
    items = list(solution)
    items[head] = _set(items[head], tuple(rest), value)
    return tuple(items)


# (name, base, path to the entry, new value, expected words of the reason)
MUTATIONS: list[tuple[str, Any, tuple[int, ...], object, str]] = [
    ("wrong price", MATCH, (0, 1, 1), 2, "floor(sold·price/buy_price)"),
    ("non-uniform price", MATCH, (1, 1, 2), 99, "floor(sold·price/buy_price)"),
    ("buy price above price", MATCH, (0, 0, 2), 2, "buy_price"),
    ("zero price", MATCH, (0, 0, 1), 0, "price"),
    ("order twice", MATCH, (1, 1, 0), 0, "listed twice"),
    ("unknown order", MATCH, (1, 1, 0), 7, "not in this batch"),
    ("fill-or-kill cut", MATCH, (1, 0, 1), 50, "fill-or-kill"),
    ("sold more than escrowed", POOLED, (1, 0, 1), 10_001, "sold"),
    ("negative sold", MATCH, (1, 0, 1), -100, "sold"),
    ("float sold", MATCH, (1, 0, 1), 100.0, "must be an int"),
    ("bool bought", MATCH, (1, 0, 2), True, "must be an int"),
    ("huge bought", MATCH, (1, 0, 2), MAX_AMOUNT, "bought"),
    ("str order id", MATCH, (1, 0, 0), "0", "must be an int"),
    ("min_out above the quote", POOLED, (2, 0, 4), OUT + 1, "pays"),
    ("conservation off by one", POOLED, (2, 0, 4), OUT - 1, "conservation: 'B' is short by 1"),
    ("unregistered pool", POOLED, (2, 0, 0), "evil", "not a registered pool"),
    ("wrong pair", POOLED, (2, 0, 3), "C", "trades"),
    ("negative swap", POOLED, (2, 0, 2), -1, "amount_in"),
    ("prices out of order", MATCH, (0,), (("B", 1, 1), ("A", 1, 1)), "is not after"),
    ("price entry too short", MATCH, (0, 0), ("A", 1), "3 entries"),
    ("trades not a tuple", MATCH, (1,), [(0, 100, 100)], "must be a tuple"),
    ("solution too short", MATCH, (2,), None, "must be a tuple"),
]


@pytest.mark.parametrize(("name", "base", "path", "value", "reason"), MUTATIONS)
def test_each_hostile_mutation_is_refused_with_its_reason(
    name: str, base: Any, path: tuple[int, ...], value: object, reason: str
) -> None:
    with pytest.raises(InvalidSolution, match=None) as caught:
        check(_set(base, path, value))
    assert reason in str(caught.value), (name, str(caught.value))


def test_a_limit_violation_is_refused() -> None:
    """carol sells 10,000 A for ≥ 9,000 B: a price of 0.8 B per A breaks her limit."""
    low = ((("A", 4, 4), ("B", 5, 5)), ((2, 10_000, 8_000),), (("pool", "A", 10_000, "B", OUT),))
    with pytest.raises(InvalidSolution, match="limit price is violated"):
        check(low)


def test_a_solution_with_no_surplus_is_refused() -> None:
    with pytest.raises(InvalidSolution, match="score must be positive"):
        check(((("A", 1, 1),), (), ()))


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """A valid solution with one leaf replaced by a hostile value."""
    base = draw(st.sampled_from([MATCH, POOLED]))
    leaves: list[tuple[int, ...]] = []

    def walk(node: Any, path: tuple[int, ...]) -> None:
        if isinstance(node, tuple):
            for k, child in enumerate(node):
                walk(child, (*path, k))
        else:
            leaves.append(path)

    walk(base, ())
    path = draw(st.sampled_from(leaves))
    old = base
    for k in path:
        old = old[k]
    hostile = draw(
        st.one_of(
            st.integers(min_value=-(2**600), max_value=2**600).filter(lambda v: v != old),
            st.floats(allow_nan=True),
            st.booleans(),
            st.text(max_size=5),
            st.binary(max_size=5),
            st.none(),
            st.tuples(st.integers(), st.integers()),
            st.just(old + 1 if isinstance(old, int) else old + "x"),
            st.just(old - 1 if isinstance(old, int) else ""),
        )
    )
    return base, _set(base, path, hostile)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_any_one_changed_leaf_is_refused_or_still_exact(case: tuple[Any, Any]) -> None:
    """Change one leaf of a valid solution to anything: it is refused with an
    :class:`InvalidSolution` (never another exception), or it is still a valid solution
    and then every check holds when recomputed here independently."""
    _, solution = case
    try:
        result = check(solution)
    except InvalidSolution as exc:
        assert str(exc).startswith("solution.")
        return
    prices = dict((t, (p, q)) for t, p, q in solution[0])
    flow: dict[str, int] = {}
    for oid, sold, bought in solution[1]:
        o = BOOK[oid]
        assert bought == sold * prices[o.sell_token][0] // prices[o.buy_token][1]
        assert bought * o.sell_amount >= sold * o.min_buy
        assert o.partial or sold == o.sell_amount
        flow[o.sell_token] = flow.get(o.sell_token, 0) + sold
        flow[o.buy_token] = flow.get(o.buy_token, 0) - bought
    for _, a, x, b, y in solution[2]:
        assert y <= quote("pool", a, x, b)
        flow[a] = flow.get(a, 0) - x
        flow[b] = flow.get(b, 0) + y
    assert all(v >= 0 for v in flow.values()) and result.score > 0


leaf = st.one_of(
    st.integers(min_value=-(2**300), max_value=2**300),
    st.floats(),
    st.text(max_size=4),
    st.none(),
    st.booleans(),
    st.binary(max_size=4),
)
garbage = st.recursive(
    leaf,
    lambda inner: st.tuples(inner, inner) | st.lists(inner, max_size=4).map(tuple),
    max_leaves=40,
)


@settings(max_examples=400)
@given(garbage)
def test_arbitrary_nested_garbage_is_refused_cleanly(solution: object) -> None:
    with pytest.raises(InvalidSolution):
        check(solution)


# -- on the device ----------------------------------------------------------------------------
def snapshot(device: Any, contracts: list[str], sender: str) -> tuple[Any, ...]:
    """Every balance (but the sender's fee asset) and every contract's storage."""
    fee = device.config.fee_asset
    balances = {
        (who, t): device.balance(who, t)
        for who in (*USERS, *contracts)
        for t in (*TOKENS, fee)
        if not (who == sender and t == fee)
    }
    return balances, [device.contract_at(c).storage() for c in contracts]


@pytest.fixture(scope="module")
def rig() -> dict[str, Any]:
    """One batch with alice's and bob's orders and carol's partial one, open for a long
    window, and a solver allowlist."""
    device, (pool,), cow = make(solvers=("solver",), window=10**6)
    hashes = [order(device, cow, "alice", "A", 100, "B", 99),
              order(device, cow, "bob", "B", 100, "A", 99),
              order(device, cow, "carol", "A", 10_000, "B", 9_000, "", True)]  # fmt: skip
    block = device.build_block()
    ids = [device.receipt(h).result for h in hashes]
    device.build_block()
    return {"device": device, "pool": pool, "cow": cow, "batch": block.number, "ids": ids}


def _refused(rig: dict[str, Any], who: str, batch: object, solution: object) -> str:
    device, cow = rig["device"], rig["cow"]
    before = snapshot(device, [cow, rig["pool"]], who)
    fee_before = device.balance(who, device.config.fee_asset)
    h = settle(device, cow, who, batch, solution)  # type: ignore[arg-type]
    device.build_block()
    receipt = device.receipt(h)
    assert receipt.status == "reverted", receipt.result
    assert snapshot(device, [cow, rig["pool"]], who) == before
    assert device.balance(who, device.config.fee_asset) == fee_before - receipt.fee_paid
    assert receipt.fee_paid > 0
    assert receipt.gas_used >= settle_gas(solution)  # the verification, charged up front
    return receipt.error or ""


def _match(rig: dict[str, Any]) -> Any:
    a, b, _ = rig["ids"]
    return ((("A", 1, 1), ("B", 1, 1)), tuple(sorted([(a, 100, 100), (b, 100, 100)])), ())


def test_device_refuses_each_hostile_settlement_and_changes_nothing_but_the_fee(
    rig: dict[str, Any],
) -> None:
    a, b, c = rig["ids"]
    good = _match(rig)
    pool = rig["pool"]
    cases: list[tuple[str, object, object, str]] = [
        ("wrong batch id", rig["batch"] + 1, good, "has no open orders"),
        ("early", 10**9, good, "(early)"),
        ("negative batch", -1, good, "batch_id must be non-negative"),
        ("str batch", "1", good, "batch_id must be an int"),
        ("non-uniform", rig["batch"], _set(good, (1, 1, 2), 101), "floor("),
        ("order twice", rig["batch"], _set(good, (1, 1, 0), min(a, b)), "listed twice"),
        ("unknown order", rig["batch"], _set(good, (1, 1, 0), 99), "not in this batch"),
        ("conservation off by one", rig["batch"],
         ((("A", OUT, OUT), ("B", 10_000, 10_000)), ((c, 10_000, OUT),),
          ((pool, "A", 10_000, "B", OUT - 1),)), "short by 1"),
        ("min_out above the quote", rig["batch"],
         ((("A", OUT, OUT), ("B", 10_000, 10_000)), ((c, 10_000, OUT),),
          ((pool, "A", 10_000, "B", OUT + 1),)), "pays"),
        ("huge amount", rig["batch"], _set(good, (1, 0, 2), 2**200), "bought"),
        ("negative amount", rig["batch"], _set(good, (1, 0, 1), -5), "sold"),
        ("wrong type", rig["batch"], "solution", "must be a tuple"),
    ]  # fmt: skip
    for name, batch, solution, reason in cases:
        error = _refused(rig, "solver", batch, solution)
        assert reason in error, (name, error)


def test_device_refuses_a_non_solver(rig: dict[str, Any]) -> None:
    error = _refused(rig, "rival", rig["batch"], _match(rig))
    assert "not an allowlisted solver" in error


def test_a_late_solution_is_refused() -> None:
    device, _, cow = make(window=1)
    hashes = [order(device, cow, "alice", "A", 100, "B", 99),
              order(device, cow, "bob", "B", 100, "A", 99)]  # fmt: skip
    block = device.build_block()
    device.build_block()
    trades = tuple(sorted((device.receipt(h).result, 100, 100) for h in hashes))
    h = settle(device, cow, "solver", block.number, ((("A", 1, 1), ("B", 1, 1)), trades, ()))
    device.build_block()
    assert "(late)" in (device.receipt(h).error or "")


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.recursive(
    st.one_of(st.integers(min_value=-(2**200), max_value=2**200), st.text(max_size=3),
              st.none(), st.booleans(), st.binary(max_size=3)),
    lambda inner: st.lists(inner, max_size=4).map(tuple), max_leaves=30))  # fmt: skip
def test_device_refuses_generated_garbage_and_changes_nothing_but_the_fee(
    rig: dict[str, Any], solution: object
) -> None:
    _refused(rig, "solver", rig["batch"], solution)


# -- a re-entrant pool -----------------------------------------------------------------------
class ReentrantPool(ProductAMM):
    """A product pool whose ``swap`` first calls back into the settlement (``execute``,
    ``settle``, ``order``) and records what happened, then swaps honestly."""

    target: Var[str] = Var("")
    seen: Var[tuple[str, ...]] = Var(())

    @public
    def aim(self, ctx: Context, target: str) -> None:
        self.target = target

    @public(batch=True)
    def swap(
        self, ctx: Context, asset_in: str, amount_in: int, min_out: int, to: str,
        asset_out: str = "",
    ) -> int:  # fmt: skip
        if self.target:
            for method, args in (
                ("execute", (0,)),
                ("settle", (0, ())),
                ("order", ("A", 1, "B", 0)),
            ):
                try:
                    ctx.call(self.target, method, *args)
                    self.seen = (*self.seen, f"{method}: ran")
                except Revert as exc:
                    self.seen = (*self.seen, f"{method}: {exc.reason}")
        return int(ProductAMM.swap(self, ctx, asset_in, amount_in, min_out, to, asset_out))


def test_a_re_entrant_pool_cannot_call_back_into_a_running_settlement() -> None:
    device, _, _ = make()
    lp = device.account("lp")
    pool = device.deploy(lp, ReentrantPool, "A", "B", 30)
    device.call(lp, pool, "add_liquidity", 0, "lp", value={"A": DEPTH, "B": DEPTH})
    from accord.contracts.cow import CowSettlement

    cow = device.deploy(lp, CowSettlement, ((pool, "product", 30, ()),), "A")
    device.call(lp, pool, "aim", cow)
    h = order(device, cow, "alice", "A", 10_000, "B", OUT * 99 // 100)
    block = device.build_block()
    oid = device.receipt(h).result
    solution = ((("A", OUT, OUT), ("B", 10_000, 10_000)), ((oid, 10_000, OUT),),
                ((pool, "A", 10_000, "B", OUT),))  # fmt: skip
    settle(device, cow, "solver", block.number, solution)
    x = execute(device, cow, "solver", block.number)
    device.build_block()
    assert device.receipt(x).result == "settled by solver"
    seen = device.contract_at(pool).storage()["seen"]
    assert len(seen) == 3 and all("re-entrant call" in s for s in seen), seen
    assert device.balance("alice", "B") == 10**9 + OUT
