"""AMM pools (product, weighted, constant-sum) under generated hostile calls.

Swaps, quotes, liquidity, flash swaps (by a borrower that repays, keeps the loan or
re-enters the pool), ``sync``/``skim`` and plain-transfer donations are drawn in any
order, by any user or a contract, with hostile assets, amounts, minimums, recipients,
values (none, the wrong asset, several, dust) and callback data; the batch path gets
blocks of hostile swaps from several senders. After every call or block: each reserve
is at most the pool's balance, the LP supply is the ledger's, the locked minimum
liquidity stays, a product pool's ``x·y`` per share squared never falls, a successful
swap paid exactly the pool's quote to its recipient, and the shared checks of
:class:`~tests.contracts.hostile_args.Hostile`.
"""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from accord.contracts.amm import AMM, ConstantSumAMM, ProductAMM, WeightedAMM, pool_state
from accord.contracts.amm_flash import FlashBorrower
from accord.device import Device, DeviceError, Receipt
from accord.mechanisms.cfmm import MINIMUM_LIQUIDITY
from tests.contracts.hostile_args import (
    GAS,
    USERS,
    Hostile,
    Relay,
    Snapshot,
    Step,
    amounts,
    call,
    hostile_device,
    mixed,
    names,
    relayed,
    steps,
    values,
)

LP = "LP"
SEED = 100_000
TOKENS = ("USD", "TOK")
ASSET = mixed(st.sampled_from(TOKENS), st.sampled_from(TOKENS), st.just("GOLD"))
OUT = mixed(st.just(""), st.sampled_from(("", "USD", "TOK")))
TO = names("@borrower", "@target")


def swap_call() -> Any:
    """A swap whose value matches its amount, or else is hostile too."""

    def build(drawn: Any, value: Any) -> Any:
        args, _ = drawn
        asset, amount = args[0], args[1]
        matched = {asset: amount} if type(asset) is str and type(amount) is int else None
        return (args, matched if value == "match" else value)

    return st.builds(
        build,
        call(ASSET, amounts(20_000), mixed(st.integers(0, 100)), TO, OUT),
        st.one_of(st.just("match"), st.just("match"), values("USD", "TOK")),
    )


FLASH_DATA = mixed(
    st.builds(lambda a, b: ("repay", (a, b)), st.integers(0, 3_000), st.integers(0, 3_000)),
    st.just(("keep", ())),
    st.builds(lambda a: ("reenter", ("USD", a)), st.integers(1, 100)),
)
POOL = {
    "swap": swap_call(),
    "quote": call(ASSET, amounts(), OUT),
    "tokens": call(),
    "reserves": call(value=values("USD")),
    "spot_price": call(ASSET, OUT),
    "add_liquidity": call(
        amounts(),
        TO,
        value=st.one_of(
            st.builds(
                lambda a, b: {"USD": a, "TOK": b}, st.integers(1, 9_000), st.integers(1, 9_000)
            ),
            values("USD", "TOK", LP),
        ),
    ),
    "remove_liquidity": call(
        mixed(st.tuples(st.integers(0, 50), st.integers(0, 50)), st.just((0, 0, 0))),
        TO,
        value=values(LP, high=5_000),
    ),
    "flash_swap": call(
        mixed(st.tuples(st.integers(0, 10_000), st.integers(0, 10_000))),
        mixed(st.just("@borrower"), st.just("@relay"), st.just("@target")),
        mixed(st.just("on_flash"), st.just("swap"), st.just("tokens")),
        FLASH_DATA,
    ),
    "sync": call(),
    "skim": call(TO),
    "@target:": call(value=values("USD", "TOK", LP, high=5_000)),  # a plain donation
    "@relay:arm": call(
        st.sampled_from(
            (
                ("@target", "sync", ()),
                ("@target", "skim", ("@relay",)),
                ("@target", "remove_liquidity", ((0, 0), "@relay")),
                ("@target", "quote", ("USD", 10)),
            )
        )
    ),
    "@relay:relay": relayed(
        "@target",
        {
            "swap": st.tuples(ASSET, amounts(), amounts(), TO),
            "flash_swap": st.tuples(
                st.tuples(st.integers(0, 999), st.integers(0, 999)),
                st.just("@relay"),
                st.just("on_flash"),
                st.none(),
            ),
            "skim": st.tuples(TO),
        },
    ),
}


def deploy(device: Device, kind: str) -> tuple[str, type[AMM]]:
    alice = device.account("alice")
    if kind == "product":
        pool = device.deploy(alice, ProductAMM, *TOKENS, 30, LP)
        cls: type[AMM] = ProductAMM
    elif kind == "weighted":
        pool, cls = device.deploy(alice, WeightedAMM, TOKENS, (3, 1), 30, LP), WeightedAMM
    else:
        pool = device.deploy(alice, ConstantSumAMM, TOKENS, (1, 2), 10, LP)
        cls = ConstantSumAMM
    seeded = device.call(
        alice, pool, "add_liquidity", 0, "alice", value={"USD": SEED, "TOK": SEED}, gas_limit=GAS
    )
    assert seeded.ok, seeded.error
    return pool, cls


def pool_invariant(pool: str, kind: str, last: list[int]) -> Any:
    def check(device: Device) -> None:
        s = device.contract_at(pool).storage()
        reserves = s["reserve"]
        for token, r in zip(TOKENS, reserves, strict=True):
            assert type(r) is int and 0 <= r <= device.balance(pool, token), (token, r)
        supply = s["lp_supply"]
        assert supply == device.supply(LP) and device.balance(pool, LP) >= MINIMUM_LIQUIDITY
        if kind == "product":  # x·y per share² never falls (fees and floors stay in)
            x, y = reserves
            if last:
                px, py, ps = last
                assert x * y * ps * ps >= px * py * supply * supply, "x·y per share fell"
            last[:] = [x, y, supply]

    return check


def pool_rule(pool: str, cls: type[AMM], device: Device) -> Any:
    def rule(step: Step, before: Snapshot, receipt: Receipt) -> None:
        s = before.storage[pool]
        if step.method == "swap":
            asset_in, amount, floor, to = step.args[:4]
            i = s["symbols"].index(asset_in)
            j = 1 - i
            quote = pool_state(s, cls).out_given_in(i, j, amount)
            assert receipt.result == quote >= floor and quote > 0
            token = s["symbols"][j]
            got = device.balance(to, token) - before.balances.get((to, token), 0)
            if to != step.who or token != "ETH":
                assert got == quote or to == pool, (got, quote)
        if step.method == "add_liquidity":
            assert receipt.result >= step.args[0]

    return rule


@settings(max_examples=200, deadline=None)
@given(
    steps(
        POOL,
        senders=("bob", "carol", "mallory", "alice"),
        focus=("swap", "add_liquidity", "remove_liquidity", "flash_swap"),
    ),
    st.sampled_from(("product", "weighted", "constant_sum")),
)
@example([Step("bob", "skim", ("bob",))], "product")
@example(  # the honest moves, with hostile twists between them
    [
        Step("bob", "swap", ("USD", 5_000, 1, "bob", ""), {"USD": 5_000}),
        Step("carol", "swap", ("TOK", 3_000, 0, "@target", ""), {"TOK": 3_000}),  # pays the pool
        Step("carol", "add_liquidity", (1, "carol"), {"USD": 7_000, "TOK": 9_000}),
        Step("carol", "remove_liquidity", ((0, 0), "carol"), {LP: 2_000}),
        Step("carol", "remove_liquidity", ((0, 0), "carol"), {LP: 2_000}),
        Step("bob", "", (), {"USD": 777}, to="@target"),  # a donation
        Step("mallory", "skim", ("mallory",)),
        Step("bob", "", (), {"TOK": 5}, to="@target"),
        Step("mallory", "sync", ()),
        Step("bob", "flash_swap", ((1_000, 0), "@borrower", "on_flash", ("repay", (1_100, 0)))),
        Step("bob", "flash_swap", ((1_000, 0), "@borrower", "on_flash", ("repay", (1_000, 0)))),
        Step("bob", "flash_swap", ((1_000, 0), "@borrower", "on_flash", ("reenter", ("USD", 5)))),
        Step("bob", "flash_swap", ((0, 10), "@borrower", "on_flash", ("keep", ()))),
        Step("mallory", "arm", (("@target", "sync", ()),), to="@relay"),
        Step("bob", "flash_swap", ((0, 10), "@relay", "on_flash", None)),
    ],
    "product",
)
@example(
    [Step("bob", "flash_swap", ((1_000, 0), "@target", "tokens", None))], "product"
)  # the pool as its own borrower
def test_amm_hostile_sequences(sequence: list[Step], kind: str) -> None:
    device = hostile_device()
    relay = device.deploy(device.account("mallory"), Relay)
    borrower = device.deploy(device.account("mallory"), FlashBorrower)
    for token in TOKENS:  # the borrower can repay a loan and its fee
        assert device.call(device.account("mallory"), borrower, "", value={token: 5_000}).ok
    pool, cls = deploy(device, kind)
    hostile = Hostile(device, watch=[pool], aliases={"@relay": relay, "@borrower": borrower})
    hostile.invariant = pool_invariant(pool, kind, [])
    hostile.rule = pool_rule(pool, cls, device)
    hostile.run(pool, sequence)


# -- the batch path -----------------------------------------------------------------------
def batch_blocks() -> Any:
    order = swap_call()
    block = st.lists(st.tuples(st.sampled_from(USERS), order), max_size=4, unique_by=lambda o: o[0])
    return st.lists(block, min_size=1, max_size=6)


@settings(max_examples=80, deadline=None)
@given(batch_blocks(), st.sampled_from(("product", "weighted", "constant_sum")))
@example(
    [
        [
            ("bob", (("USD", 5, 0, "bob", ""), {"USD": 5})),
            ("carol", (("USD", 5, 0, "carol", ""), {"USD": 5})),
        ]
    ],
    "product",
)
@example(  # a recipient that is a list (frozen to a tuple when signed)
    [
        [
            ("alice", (("USD", 9, 0, "alice", ""), {"USD": 9})),
            ("bob", (("USD", 9, 0, [1, 2], ""), {"USD": 9})),
        ]
    ],
    "product",
)
def test_amm_batch_hostile_blocks(blocks: list[Any], kind: str) -> None:
    """Blocks of hostile swaps settled together under the ``batch`` ordering rule: each is
    filled at the batch price or refunded whole, and nobody else's funds move."""
    device = hostile_device(ordering="batch")
    pool, _ = deploy(device, kind)
    hostile = Hostile(device, watch=[pool])
    hostile.invariant = pool_invariant(pool, kind, [])
    for orders in blocks:
        before = hostile.snapshot()
        sent: dict[bytes, tuple[str, tuple[Any, ...]]] = {}
        for who, (args, value) in orders:
            try:
                tx = device.sign(
                    device.account(who), pool, "swap", *args, value=value, gas_limit=GAS
                )
                sent[device.submit(tx)] = (who, args)
            except (DeviceError, ValueError):  # refused at signing or at the gate
                pass
        block = device.build_block()
        done = [(sent[r.tx_hash][0], r) for r in block.receipts if r.tx_hash in sent]
        hostile.check_outcome(before, done)
        paid = {a[3] for _, a in sent.values() if type(a[3]) is str}  # the orders' recipients
        for who, receipt in done:
            args = sent[receipt.tx_hash][1]
            if receipt.ok and receipt.result == 0 and type(args[0]) is str and who not in paid:
                # refunded: the sender's input came back whole
                assert device.balance(who, args[0]) == before.balances.get((who, args[0]), 0)
