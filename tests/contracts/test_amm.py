"""AMM pools on the device: exact swaps, liquidity, flash swaps, batches and sandwiches."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from accord.contracts.amm import AMM, ConstantSumAMM, ProductAMM, WeightedAMM, pool_state
from accord.contracts.amm_flash import FlashBorrower
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, Transaction, checks
from accord.mechanisms import cfmm
from accord.mechanisms.cfmm import Order, amount_in, amount_out, uniform_clearing

USERS = ("alice", "bob", "carol", "mallory")
TOKENS = ("A", "B", "C")


def make_device(ordering: str = "priority", **config: Any) -> Device:
    assets = {
        "ETH": AssetSpec(issuer="treasury", alloc={u: 10**18 for u in (*USERS, "builder")}),
        **{t: AssetSpec(issuer=f"issuer-{t}", alloc=dict.fromkeys(USERS, 10**9)) for t in TOKENS},
    }
    device = Device(DeviceConfig(ordering=ordering, **config), Genesis(assets=assets), seed=3)
    checks.check_every_block(device)  # conservation and no negative balance, every block
    return device


def product_pool(
    device: Device, a: int = 100_000, b: int = 100_000, fee_bps: int = 30
) -> tuple[str, str]:
    alice = device.account("alice")
    pool = device.deploy(alice, ProductAMM, "A", "B", fee_bps)
    receipt = device.call(alice, pool, "add_liquidity", 0, "alice", value={"A": a, "B": b})
    assert receipt.ok, receipt.error
    return pool, storage(device, pool)["lp_asset"]


def storage(device: Device, pool: str) -> dict[str, Any]:
    return device.contract_at(pool).storage()


def assert_reserves_are_balances(device: Device, pool: str) -> None:
    st = storage(device, pool)
    assert st["reserve"] == tuple(device.balance(pool, t) for t in st["symbols"])


def holdings(device: Device, pool: str) -> dict[str, Any]:
    """Everything but the fee asset: token balances, LP supply, pool storage."""
    lp = storage(device, pool)["lp_asset"]
    return {
        "balances": {k: v for k, v in device.ledger.balances.items() if k[1] != "ETH"},
        "locked": dict(device.ledger.locked),
        "lp_supply": device.supply(lp),
        "storage": storage(device, pool),
    }


def swap_tx(
    device: Device, who: str, pool: str, asset: str, amount: int, min_out: int = 0, tip: int = 0
) -> Transaction:
    return device.sign(
        device.account(who), pool, "swap", asset, amount, min_out, who,
        value={asset: amount}, priority_fee=tip,
    )  # fmt: skip


# -- swaps ----------------------------------------------------------------------------------
def test_swaps_pay_exactly_cfmm_amount_out() -> None:
    device = make_device()
    pool, _ = product_pool(device, 100_000, 250_000)
    reserves = (100_000, 250_000)
    for who, asset, amount in [
        ("bob", "A", 1_000),
        ("carol", "B", 77_777),
        ("bob", "A", 3),
        ("mallory", "B", 123),
        ("carol", "A", 50_000),
    ]:
        i = 0 if asset == "A" else 1
        expected = amount_out(amount, reserves[i], reserves[1 - i])
        other = "B" if asset == "A" else "A"
        before = device.balance(who, other)
        receipt = device.call(device.account(who), pool, "swap", asset, amount, 0, who,
                              value={asset: amount})  # fmt: skip
        assert receipt.ok, receipt.error
        assert receipt.result == expected
        assert device.balance(who, other) == before + expected
        r = list(reserves)
        r[i] += amount
        r[1 - i] -= expected
        reserves = (r[0], r[1])
        assert storage(device, pool)["reserve"] == reserves
        assert_reserves_are_balances(device, pool)
        names = [e.name for e in receipt.events]
        assert names == ["Swap", "Sync"]
        assert receipt.events[0].as_dict()["amount_out"] == expected


def test_first_swap_of_the_issue_example() -> None:
    # reserves 1000/1000 (deposited 1000 each: isqrt(10^6) − 1000 = 0 shares would fail),
    # so deposit 2000/2000 and check amount_out(100, 2000, 2000) on the device
    device = make_device()
    pool, _ = product_pool(device, 2_000, 2_000)
    receipt = device.call(device.account("bob"), pool, "swap", "A", 100, 0, "bob",
                          value={"A": 100})  # fmt: skip
    # 100·9970·2000 // (2000·10000 + 100·9970) = 1_994_000_000 // 20_997_000 = 94
    assert receipt.result == 94 == amount_out(100, 2_000, 2_000)


def test_views_quote_reserves_spot_price_tokens() -> None:
    device = make_device()
    pool, _ = product_pool(device, 100_000, 250_000)
    bob = device.account("bob")
    assert device.call(bob, pool, "quote", "A", 1_000).result == amount_out(1_000, 100_000, 250_000)
    assert device.call(bob, pool, "quote", "B", 1_000, "A").result == amount_out(
        1_000, 250_000, 100_000
    )
    assert device.call(bob, pool, "reserves").result == (100_000, 250_000)
    assert device.call(bob, pool, "tokens").result == ("A", "B")
    assert device.call(bob, pool, "spot_price", "A").result == (5, 2)  # 250_000/100_000
    assert device.call(bob, pool, "spot_price", "B", "A").result == (2, 5)
    quote = pool_state(storage(device, pool)).out_given_in(0, 1, 1_000)
    assert quote == amount_out(1_000, 100_000, 250_000)
    receipt = device.call(bob, pool, "reserves", value={"A": 1})
    assert receipt.status == "reverted" and receipt.error == "reserves takes no value, got {'A': 1}"


def test_slippage_reverts_and_changes_nothing_but_the_fee() -> None:
    device = make_device()
    pool, _ = product_pool(device)
    before = holdings(device, pool)
    eth = device.balance("bob", "ETH")
    quote = amount_out(1_000, 100_000, 100_000)  # 987
    receipt = device.call(device.account("bob"), pool, "swap", "A", 1_000, quote + 1, "bob",
                          value={"A": 1_000})  # fmt: skip
    assert receipt.status == "reverted"
    assert receipt.error == f"slippage: amount out {quote} is below min_out {quote + 1}"
    assert receipt.fee_paid > 0
    assert holdings(device, pool) == before
    assert device.balance("bob", "ETH") == eth - receipt.fee_paid
    # the same swap with min_out = quote goes through
    receipt = device.call(device.account("bob"), pool, "swap", "A", 1_000, quote, "bob",
                          value={"A": 1_000})  # fmt: skip
    assert receipt.ok and receipt.result == quote


@pytest.mark.parametrize(
    ("args", "value", "error"),
    [
        (("A", 100, 0, "bob"), {"A": 99}, "swap must send exactly amount_in=100 A as value"),
        (("A", 100, 0, "bob"), {"A": 100, "B": 1}, "swap must send exactly amount_in=100 A"),
        (("C", 100, 0, "bob"), {"C": 100}, "asset_in 'C' is not one of the pool's tokens"),
        (("A", 0, 0, "bob"), None, "amount_in must be positive, got 0"),
        (("A", -5, 0, "bob"), None, "amount_in must be positive, got -5"),
        (("A", 100, -1, "bob"), {"A": 100}, "min_out must be non-negative, got -1"),
        (("A", "100", 0, "bob"), None, "amount_in must be an int in base units, got '100'"),
        (("A", 100, 0, ""), {"A": 100}, "to must be a non-empty address"),
        (("A", 100, 0, "bob", "A"), {"A": 100}, "asset_in and asset_out are both 'A'"),
        (("A", 1, 0, "bob"), {"A": 1}, "insufficient output amount: 1 A buys nothing"),
    ],
)
def test_bad_swaps_revert_with_a_clear_error(
    args: tuple[Any, ...], value: dict[str, int] | None, error: str
) -> None:
    device = make_device()
    pool, _ = product_pool(device)
    before = holdings(device, pool)
    receipt = device.call(device.account("bob"), pool, "swap", *args, value=value)
    assert receipt.status == "reverted"
    assert receipt.error is not None and receipt.error.startswith(error), receipt.error
    assert holdings(device, pool) == before


def test_swap_before_liquidity_reverts() -> None:
    device = make_device()
    pool = device.deploy(device.account("alice"), ProductAMM, "A", "B")
    receipt = device.call(device.account("bob"), pool, "swap", "A", 10, 0, "bob",
                          value={"A": 10})  # fmt: skip
    assert receipt.error == "the pool has no liquidity yet"


def test_deploy_errors_are_named() -> None:
    device = make_device()
    alice = device.account("alice")
    with pytest.raises(Exception, match="token 'Z' does not exist"):
        device.deploy(alice, ProductAMM, "A", "Z")
    with pytest.raises(Exception, match="tokens must be distinct"):
        device.deploy(alice, ProductAMM, "A", "A")
    with pytest.raises(Exception, match="fee_bps must be below 10000"):
        device.deploy(alice, ProductAMM, "A", "B", 10_000)


# -- liquidity ------------------------------------------------------------------------------
def test_liquidity_exact_numbers() -> None:
    device = make_device()
    alice, bob = device.account("alice"), device.account("bob")
    pool = device.deploy(alice, ProductAMM, "A", "B")
    lp = storage(device, pool)["lp_asset"]
    # first deposit: isqrt(4000·9000) − 1000 = 6000 − 1000 = 5000; 1000 locked in the pool
    r = device.call(alice, pool, "add_liquidity", 0, "alice", value={"A": 4_000, "B": 9_000})
    assert r.ok and r.result == 5_000
    assert device.balance("alice", lp) == 5_000 and device.balance(pool, lp) == 1_000
    assert device.supply(lp) == 6_000
    # bob sends 400 A / 1000 B: min(400·6000//4000, 1000·6000//9000) = min(600, 666) = 600
    # shares; the pool takes ceil(600·4000/6000) = 400 A and ceil(600·9000/6000) = 900 B
    # and refunds 100 B
    b0 = device.balance("bob", "B")
    r = device.call(bob, pool, "add_liquidity", 0, "bob", value={"A": 400, "B": 1_000})
    assert r.ok and r.result == 600
    assert device.balance("bob", "B") == b0 - 900
    assert storage(device, pool)["reserve"] == (4_400, 9_900)
    assert [e.name for e in r.events] == ["Mint", "Sync"]
    assert r.events[0].as_dict()["amounts"] == (400, 900)
    # min_shares guards the deposit
    r = device.call(bob, pool, "add_liquidity", 601, "bob", value={"A": 400, "B": 900})
    assert r.status == "reverted" and r.error == "slippage: 600 shares is below min_shares 601"
    # bob burns 600 of 6600: 600·4400//6600 = 400 A, 600·9900//6600 = 900 B
    r = device.call(bob, pool, "remove_liquidity", (0, 0), "bob", value={lp: 600})
    assert r.ok and r.result == (400, 900)
    assert device.supply(lp) == 6_000 and device.balance("bob", lp) == 0
    assert_reserves_are_balances(device, pool)
    # alice's 5000 of 6000 pay 5000·4000//6000 = 3333 A and 5000·9000//6000 = 7500 B
    r = device.call(alice, pool, "remove_liquidity", (3_333, 7_501), "alice", value={lp: 5_000})
    assert r.status == "reverted"
    assert r.error == "slippage: 7500 B is below its minimum 7501"
    r = device.call(alice, pool, "remove_liquidity", (0, 0), "alice", value={"A": 5})
    assert r.error == f"remove_liquidity must send only {lp} shares as value"


def test_first_deposit_too_small_reverts() -> None:
    device = make_device()
    alice = device.account("alice")
    pool = device.deploy(alice, ProductAMM, "A", "B")
    r = device.call(alice, pool, "add_liquidity", 0, "alice", value={"A": 1_000, "B": 1_000})
    assert r.status == "reverted" and "mints no liquidity" in (r.error or "")
    r = device.call(alice, pool, "add_liquidity", 0, "alice", value={"A": 5_000})
    assert r.error == "the first deposit must include every token ('A', 'B')"


def test_donations_are_synced_or_skimmed() -> None:
    device = make_device()
    pool, _ = product_pool(device)
    device.call(device.account("bob"), pool, "", value={"A": 500})  # a plain transfer
    assert storage(device, pool)["reserve"] == (100_000, 100_000)
    r = device.call(device.account("carol"), pool, "skim", "carol")
    assert r.ok and r.result == (500, 0)
    assert_reserves_are_balances(device, pool)
    device.call(device.account("bob"), pool, "", value={"B": 70})
    r = device.call(device.account("carol"), pool, "sync")
    assert r.ok and r.result == (100_000, 100_070)
    assert_reserves_are_balances(device, pool)


# -- flash swaps ------------------------------------------------------------------------------
def flash_setup() -> tuple[Device, str, str]:
    device = make_device()
    pool, _ = product_pool(device)
    borrower = device.deploy(device.account("bob"), FlashBorrower)
    r = device.call(device.account("bob"), borrower, "", value={"A": 5_000, "B": 5_000})
    assert r.ok
    return device, pool, borrower


@pytest.mark.parametrize(
    ("repay", "ok"),
    [
        # borrow 1000 B, repay in A: need (10⁹ + 9970·a)·(99000·10⁴) ≥ 10¹⁰·10⁸,
        # a ≥ 1013.14, so 1014 (= v2's getAmountIn(1000, 10⁵, 10⁵)) and not 1013
        ((1_014, 0), True),
        ((1_013, 0), False),
        # repay in B (a flash loan): 9970·r ≥ 10⁴·1000, r ≥ 1003.0…, so 1004 and not 1003
        ((0, 1_004), True),
        ((0, 1_003), False),
    ],
)
def test_flash_swap_repays_or_reverts_whole(repay: tuple[int, int], ok: bool) -> None:
    device, pool, borrower = flash_setup()
    assert amount_in(1_000, 100_000, 100_000) == 1_014
    before = holdings(device, pool)
    r = device.call(device.account("carol"), pool, "flash_swap", (0, 1_000), borrower, "on_flash",
                    ("repay", repay))  # fmt: skip
    if ok:
        assert r.ok, r.error
        assert r.result == repay
        assert storage(device, pool)["reserve"] == (100_000 + repay[0], 99_000 + repay[1])
        assert device.balance(borrower, "B") == 5_000 + 1_000 - repay[1]
        assert storage(device, borrower)["last_initiator"] == "carol"
        assert [e.name for e in r.events] == ["Swap", "Sync"]
    else:
        assert r.status == "reverted"
        assert r.error == f"K: flash swap not repaid (in {repay}, out (0, 1000), fee included)"
        assert holdings(device, pool) == before  # the loan, the repayment: all unwound
    assert_reserves_are_balances(device, pool)


def test_flash_swap_that_keeps_the_loan_reverts() -> None:
    device, pool, borrower = flash_setup()
    before = holdings(device, pool)
    r = device.call(device.account("carol"), pool, "flash_swap", (2_000, 0), borrower, "on_flash",
                    ("keep", ()))  # fmt: skip
    assert r.status == "reverted" and (r.error or "").startswith("K: flash swap not repaid")
    assert holdings(device, pool) == before
    assert device.balance(borrower, "A") == 5_000


def test_flash_swap_is_not_reentrant() -> None:
    device, pool, borrower = flash_setup()
    r = device.call(device.account("carol"), pool, "flash_swap", (0, 1_000), borrower, "on_flash",
                    ("reenter", ("A", 100)))  # fmt: skip
    assert r.status == "reverted"
    assert r.error == "pool is locked: reentrant call during a flash swap"


def test_flash_swap_bad_arguments() -> None:
    device, pool, borrower = flash_setup()
    carol = device.account("carol")
    for args, error in [
        (((0, 0), borrower, "on_flash", None), "flash_swap must borrow something"),
        (((0, 200_000), borrower, "on_flash", None), "amounts_out[1] = 200000 exceeds the reserve"),
        (((1,), borrower, "on_flash", None), "amounts_out must hold one amount per token"),
        (((1, 0), borrower, "", None), "flash_swap needs the borrower's callback method"),
    ]:
        r = device.call(carol, pool, "flash_swap", *args)
        assert r.status == "reverted" and (r.error or "").startswith(error), r.error


# -- batch settlement ---------------------------------------------------------------------------
def batch_block(
    device: Device, pool: str, orders: list[tuple[str, str, int, int, int]]
) -> dict[str, Any]:
    """Submit (who, asset, amount, min_out, tip) swaps and build one block; who → receipt."""
    txs = {}
    for who, asset, amount, min_out, tip in orders:
        tx = swap_tx(device, who, pool, asset, amount, min_out, tip)
        device.submit(tx)
        txs[tx.hash] = who
    block = device.build_block()
    assert len(block.transactions) == len(orders)
    return {txs[r.tx_hash]: r for r in block.receipts}


def test_opposite_swaps_clear_at_one_price_and_net() -> None:
    device = make_device(ordering="batch")
    pool, _ = product_pool(device, 10_000, 10_000)
    receipts = batch_block(device, pool, [("alice", "A", 1_000, 0, 0), ("bob", "B", 500, 0, 0)])
    # net 475 A goes into the pool for 451 B; the price is (451 + 500)/1000 = 951/1000 B per A
    expected = uniform_clearing(
        cfmm.ProductPool((10_000, 10_000)), 0, 1, (Order(True, 1_000), Order(False, 500))
    )
    assert expected.price == Fraction(951, 1_000)
    assert receipts["alice"].result == 951  # 1000 · 951/1000
    assert receipts["bob"].result == 525  # floor(500 · 1000/951)
    assert storage(device, pool)["reserve"] == (10_475, 9_549) == expected.pool.reserves
    assert_reserves_are_balances(device, pool)
    # each receipt carries its own Swap event and the batch's own (price, new reserves),
    # but not the other calls' events
    assert [e.name for e in receipts["alice"].events] == ["Swap", "Batch", "Sync"]
    assert [e.name for e in receipts["bob"].events] == ["Swap", "Batch", "Sync"]
    assert receipts["alice"].events[1] == receipts["bob"].events[1]
    assert receipts["alice"].events[0] != receipts["bob"].events[0]
    # sequentially, whoever goes first does worse than in the batch:
    alice_first = amount_out(1_000, 10_000, 10_000)  # 906
    bob_first = amount_out(500, 10_000, 10_000)  # 474
    assert (alice_first, bob_first) == (906, 474)
    assert receipts["alice"].result > alice_first and receipts["bob"].result > bob_first
    # (going second, each would have done better: 994 and 571, on the other's impact)
    assert amount_out(1_000, 10_000 - 474, 10_000 + 500) == 994
    assert amount_out(500, 10_000 - 906, 10_000 + 1_000) == 571


def test_same_direction_swaps_share_the_price_and_the_second_trader_gains() -> None:
    device = make_device(ordering="batch")
    pool, _ = product_pool(device, 10_000, 10_000)
    receipts = batch_block(device, pool, [("alice", "A", 1_000, 0, 9), ("carol", "A", 1_000, 0, 0)])
    # the batch trades 2000 A for amount_out(2000) = 1662 B; each gets 831
    assert amount_out(2_000, 10_000, 10_000) == 1_662
    assert receipts["alice"].result == receipts["carol"].result == 831
    first = amount_out(1_000, 10_000, 10_000)  # 906
    second = amount_out(1_000, 11_000, 10_000 - first)  # 755
    assert (first, second) == (906, 755)
    assert receipts["carol"].result > second


@pytest.mark.parametrize(
    "order",
    [
        [0, 1, 2, 3],
        [3, 2, 1, 0],
        [2, 0, 3, 1],
    ],
)
def test_batch_position_and_tips_carry_no_advantage(order: list[int]) -> None:
    swaps = [
        ("alice", "A", 3_000, 0, 0),
        ("bob", "B", 1_000, 0, 50),
        ("carol", "A", 777, 0, 3),
        ("mallory", "B", 2_500, 0, 99),
    ]

    def run(sequence: list[int], tips: bool) -> dict[str, Any]:
        device = make_device(ordering="batch")
        pool, _ = product_pool(device, 50_000, 80_000)
        chosen = [swaps[k] if tips else (*swaps[k][:4], 0) for k in sequence]
        batch_block(device, pool, chosen)
        return holdings(device, pool)

    assert run(order, tips=True) == run([0, 1, 2, 3], tips=False)


def test_batch_refunds_orders_whose_min_out_is_missed() -> None:
    device = make_device(ordering="batch")
    pool, _ = product_pool(device, 10_000, 10_000)
    a0 = device.balance("carol", "A")
    receipts = batch_block(
        device,
        pool,
        [("alice", "A", 1_000, 0, 0), ("carol", "A", 1_000, 900, 0), ("bob", "B", 100, 0, 0)],
    )
    assert receipts["carol"].ok and receipts["carol"].result == 0
    assert [e.name for e in receipts["carol"].events] == ["Refunded", "Batch", "Sync"]
    assert device.balance("carol", "A") == a0
    expected = uniform_clearing(
        cfmm.ProductPool((10_000, 10_000)), 0, 1, (Order(True, 1_000), Order(False, 100))
    )
    assert receipts["alice"].result == expected.outs[0]
    assert receipts["bob"].result == expected.outs[1]
    assert storage(device, pool)["reserve"] == expected.pool.reserves
    assert_reserves_are_balances(device, pool)


def hostile_batch_gas(n: int) -> tuple[int, int]:
    """``n`` swaps from mallory, each asking far more than any price gives and each by a
    different shortfall, so the clearing drops one per round. Returns the gas the batch
    used beyond its transactions' intrinsic gas, and the clearing's curve evaluations."""
    from accord.device.gas import intrinsic_gas

    device = make_device(ordering="batch")
    pool, _ = product_pool(device, 10**6, 10**6)
    intrinsic = 0
    for k in range(n):
        tx = swap_tx(device, "mallory", pool, "B" if k % 2 else "A", 1_000 + k, 10**12 + k)
        device.submit(tx)
        intrinsic += intrinsic_gas(tx.method, tx.args, tx.value)
    block = device.build_block()
    assert len(block.receipts) == n
    assert all(r.ok and r.result == 0 for r in block.receipts)  # every order refunded
    orders = tuple(Order(k % 2 == 0, 1_000 + k, 10**12 + k) for k in range(n))
    clearing = uniform_clearing(cfmm.ProductPool((10**6, 10**6)), 0, 1, orders)
    assert clearing.filled == (False,) * n and clearing.rounds == n + 1
    return sum(r.gas_used for r in block.receipts) - intrinsic, clearing.evaluations


def test_a_hostile_many_order_batch_pays_for_every_round_of_its_clearing() -> None:
    """Clearing drops one order per round, each round walking every order: the batch is
    charged ``ORDER_ROUND_GAS`` per order per round before each round runs (``n + 2``
    charges of ``n`` orders: the validation, ``n + 1`` rounds), so the gas of ``n`` such
    orders has a quadratic part: doubling ``n`` adds ``ORDER_ROUND_GAS · 2n²`` beyond
    twice the gas of ``n``, whatever each order's linear costs (transfer, event)."""
    from accord.mechanisms.cfmm.clearing import EVALUATION_GAS, ORDER_ROUND_GAS

    def rounds(n: int, evaluations: int) -> int:
        return ORDER_ROUND_GAS * n * (n + 2) + EVALUATION_GAS * evaluations

    (g1, e1), (g2, e2), (g3, e3) = (hostile_batch_gas(n) for n in (10, 20, 40))
    # the rest is a fixed part per batch plus a linear part per order (transfer, event):
    # two sizes fix both, and the third must match them exactly
    per_order = (g2 - rounds(20, e2) - (g1 - rounds(10, e1))) // 10
    fixed = g1 - rounds(10, e1) - 10 * per_order
    assert per_order > 0 and fixed >= 0
    assert g3 == fixed + 40 * per_order + rounds(40, e3)  # quadratic in n, all paid


def test_batch_malformed_order_is_refunded_without_failing_the_batch() -> None:
    device = make_device(ordering="batch")
    pool, _ = product_pool(device, 10_000, 10_000)
    good = swap_tx(device, "alice", pool, "A", 1_000)
    bad = device.sign(device.account("bob"), pool, "swap", "A", 500, 0, "bob", value={"A": 400})
    device.submit(good)
    device.submit(bad)
    block = device.build_block()
    assert block.receipt(good.hash).result == amount_out(1_000, 10_000, 10_000)
    assert block.receipt(bad.hash).result == 0
    assert device.balance("bob", "A") == 10**9
    assert_reserves_are_balances(device, pool)


# -- sandwiches --------------------------------------------------------------------------------
# Pool 100,000 A / 100,000 B at 30 bps. Bob sells 10,000 A with 5 % slippage tolerance:
# quote = amount_out(10_000, 10⁵, 10⁵) = 9066, min_out = 9066·95//100 = 8612. Mallory's
# largest front-run that keeps bob at his minimum sells 2730 A for 2649 B; her back-run
# sells those 2649 B.
FRONT, FRONT_OUT, VICTIM_MIN = 2_730, 2_649, 8_612


def sandwich(ordering: str) -> tuple[Device, str, dict[str, Any]]:
    device = make_device(ordering=ordering)
    pool, _ = product_pool(device)
    n = device.next_nonce("mallory")
    mallory = device.account("mallory")
    front = device.sign(mallory, pool, "swap", "A", FRONT, 0, "mallory", value={"A": FRONT},
                        priority_fee=100, nonce=n)  # fmt: skip
    back = device.sign(mallory, pool, "swap", "B", FRONT_OUT, 0, "mallory",
                       value={"B": FRONT_OUT}, priority_fee=1, nonce=n + 1)  # fmt: skip
    victim = swap_tx(device, "bob", pool, "A", 10_000, VICTIM_MIN, tip=10)
    for tx in (victim, front, back):
        device.submit(tx)
    block = device.build_block()
    receipts = {
        "front": block.receipt(front.hash),
        "victim": block.receipt(victim.hash),
        "back": block.receipt(back.hash),
        "order": [tx.hash for tx in block.transactions] == [front.hash, victim.hash, back.hash],
    }
    return device, pool, receipts


def test_sandwich_profits_under_priority_ordering() -> None:
    assert amount_out(10_000, 100_000, 100_000) == 9_066
    assert amount_out(FRONT, 100_000, 100_000) == FRONT_OUT
    assert amount_out(10_000, 100_000 + FRONT, 100_000 - FRONT_OUT) == VICTIM_MIN
    device, pool, r = sandwich("priority")
    assert r["order"]  # front-run, victim, back-run: the tips bought the positions
    assert r["front"].result == FRONT_OUT
    assert r["victim"].result == VICTIM_MIN  # 454 B less than the 9066 quoted
    # back-run: 2649 B into 112,730 A / 88,739 B
    assert r["back"].result == amount_out(FRONT_OUT, 100_000 - FRONT_OUT - VICTIM_MIN, 112_730)
    assert r["back"].result == 3_258
    assert device.balance("mallory", "A") == 10**9 - FRONT + 3_258  # +528 A
    assert device.balance("mallory", "B") == 10**9  # and not a unit of B spent
    assert_reserves_are_balances(device, pool)


def test_sandwich_gives_no_advantage_under_batch_ordering() -> None:
    device, pool, r = sandwich("batch")
    expected = uniform_clearing(
        cfmm.ProductPool((100_000, 100_000)),
        0,
        1,
        (Order(True, FRONT), Order(True, 10_000, VICTIM_MIN), Order(False, FRONT_OUT)),
    )
    price = expected.price
    assert price == Fraction(11_559, 12_730)
    # every order at the same price: front 2730·p = 2478 B, bob 9080 B, back 2649/p = 2917 A
    assert (r["front"].result, r["victim"].result, r["back"].result) == (2_478, 9_080, 2_917)
    # bob does better than alone (9066): mallory's B is netted against his A
    assert r["victim"].result > amount_out(10_000, 100_000, 100_000)
    d_a = device.balance("mallory", "A") - 10**9
    d_b = device.balance("mallory", "B") - 10**9
    assert (d_a, d_b) == (2_917 - FRONT, 2_478 - FRONT_OUT) == (187, -171)
    # valued at the price she traded at, mallory lost the rounding dust, nothing gained
    assert d_a * price + d_b == Fraction(-15_297, 12_730) < 0
    # and at the pool's price after the batch she lost more
    after = Fraction(*reversed(storage(device, pool)["reserve"]))  # B per A
    assert d_a * after + d_b < d_a * price + d_b
    assert_reserves_are_balances(device, pool)


# -- other pool kinds -------------------------------------------------------------------------
def test_weighted_pool_contract_matches_cfmm() -> None:
    device = make_device()
    alice, bob = device.account("alice"), device.account("bob")
    pool = device.deploy(alice, WeightedAMM, ("A", "B", "C"), (2, 1, 1), 25)
    r = device.call(alice, pool, "add_liquidity", 0, "alice",
                    value={"A": 400_000, "B": 100_000, "C": 100_000})  # fmt: skip
    assert r.ok, r.error
    # V = (400000²·100000·100000)^(1/4) = 200000, less the 1000 locked
    assert r.result == 200_000 - cfmm.MINIMUM_LIQUIDITY
    curve = cfmm.WeightedPool((400_000, 100_000, 100_000), (2, 1, 1), 25)
    expected = curve.out_given_in(0, 2, 10_000)
    r = device.call(bob, pool, "swap", "A", 10_000, 0, "bob", "C", value={"A": 10_000})
    assert r.ok and r.result == expected
    # (B_B/w_B)/(B_A/w_A) = (100000/1)/(410000/2) = 20/41 B per A after the swap
    assert device.call(bob, pool, "spot_price", "A", "B").result == (20, 41)
    r = device.call(bob, pool, "swap", "A", 10, 0, "bob", value={"A": 10})
    assert r.error == "asset_out is required in a pool of 3 tokens"
    assert_reserves_are_balances(device, pool)


def test_weighted_pool_batch_clears_each_pair() -> None:
    device = make_device(ordering="batch")
    alice = device.account("alice")
    pool = device.deploy(alice, WeightedAMM, ("A", "B", "C"), (2, 1, 1), 25)
    device.call(alice, pool, "add_liquidity", 0, "alice",
                value={"A": 400_000, "B": 100_000, "C": 100_000})  # fmt: skip
    txs = [
        device.sign(device.account("bob"), pool, "swap", "A", 5_000, 0, "bob", "B",
                    value={"A": 5_000}),
        device.sign(device.account("carol"), pool, "swap", "C", 2_000, 0, "carol", "A",
                    value={"C": 2_000}),
        device.sign(device.account("mallory"), pool, "swap", "B", 1_000, 0, "mallory", "A",
                    value={"B": 1_000}),
    ]  # fmt: skip
    for tx in txs:
        device.submit(tx)
    block = device.build_block()
    curve: cfmm.Pool = cfmm.WeightedPool((400_000, 100_000, 100_000), (2, 1, 1), 25)
    ab = uniform_clearing(curve, 0, 1, (Order(True, 5_000), Order(False, 1_000)))
    ac = uniform_clearing(ab.pool, 0, 2, (Order(False, 2_000),))
    assert block.receipt(txs[0].hash).result == ab.outs[0]
    assert block.receipt(txs[2].hash).result == ab.outs[1]
    assert block.receipt(txs[1].hash).result == ac.outs[0]
    assert storage(device, pool)["reserve"] == ac.pool.reserves
    assert_reserves_are_balances(device, pool)


def test_constant_sum_pool_contract() -> None:
    device = make_device()
    alice, bob = device.account("alice"), device.account("bob")
    pool = device.deploy(alice, ConstantSumAMM, ("A", "B"), (), 5)
    r = device.call(alice, pool, "add_liquidity", 0, "alice", value={"A": 10_000, "B": 10_000})
    assert r.ok and r.result == 20_000 - cfmm.MINIMUM_LIQUIDITY
    # 1:1 less 5 bps: 4000·9995//10000 = 3998
    r = device.call(bob, pool, "swap", "A", 4_000, 0, "bob", value={"A": 4_000})
    assert r.result == 3_998
    # the output is capped by the reserve: 20000 A buys the remaining 6002 B
    r = device.call(bob, pool, "swap", "A", 20_000, 0, "bob", value={"A": 20_000})
    assert r.ok and r.result == 6_002
    assert storage(device, pool)["reserve"] == (34_000, 0)
    assert device.call(bob, pool, "quote", "A", 5).result == 0
    r = device.call(bob, pool, "swap", "B", 1_000, 0, "bob", value={"B": 1_000})
    assert r.ok and r.result == 999
    assert_reserves_are_balances(device, pool)


# -- device guarantees --------------------------------------------------------------------------
def test_replay_reproduces_an_amm_run() -> None:
    device = make_device()
    pool, lp = product_pool(device)
    device.call(device.account("bob"), pool, "swap", "A", 5_000, 0, "bob", value={"A": 5_000})
    device.call(device.account("alice"), pool, "remove_liquidity", (0, 0), "alice",
                value={lp: 1_000})  # fmt: skip
    checks.block_invariants(device)
    checks.replay_equality(device)


def test_amm_base_is_abstract() -> None:
    assert {"swap", "add_liquidity", "remove_liquidity", "flash_swap"} <= AMM._public
    assert AMM._batch == frozenset({"swap"})


def test_a_huge_first_weighted_deposit_is_exact_bounded_and_charged() -> None:
    """The issue's first WeightedAMM deposit of ~1e24 at weights 80/20 ran for minutes
    (a float-guessed root walked by +1) for 51,800 gas; its root is now Newton's from
    above, exact, in a few steps, and charged before it runs for the work's size."""
    from accord.mechanisms.introot import iroot, root_gas

    big = 10**24
    assets = {
        "ETH": AssetSpec(issuer="treasury", alloc={"alice": 10**18, "builder": 10**18}),
        "A": AssetSpec(issuer="ia", alloc={"alice": big}),
        "B": AssetSpec(issuer="ib", alloc={"alice": big + 12_345}),
    }
    device = Device(DeviceConfig(), Genesis(assets=assets), seed=3)
    checks.check_every_block(device)
    alice = device.account("alice")
    pool = device.deploy(alice, WeightedAMM, ("A", "B"), (80, 20))
    receipt = device.call(
        alice, pool, "add_liquidity", 0, "alice", value={"A": big, "B": big + 12_345}
    )
    assert receipt.ok, receipt.error
    exact = iroot(big**4 * (big + 12_345), 5)  # weights 80/20 reduce to 4/1
    assert exact**5 <= big**4 * (big + 12_345) < (exact + 1) ** 5
    assert device.balance("alice", storage(device, pool)["lp_asset"]) == (
        exact - cfmm.MINIMUM_LIQUIDITY
    )
    charged = device.contract_at(pool).initial_shares_gas((big, big + 12_345))  # type: ignore[attr-defined]
    assert charged > root_gas(big**4 * (big + 12_345), 5) > 0


def test_a_first_deposit_whose_root_work_exceeds_the_gas_limit_runs_out_of_gas() -> None:
    """Huge amounts make the root's work, and so its charge, grow: the charge comes
    before the work, so an unpayable root is never computed."""
    big = 10**3000
    assets = {
        "ETH": AssetSpec(issuer="treasury", alloc={"alice": 10**18, "builder": 10**18}),
        "A": AssetSpec(issuer="ia", alloc={"alice": big}),
        "B": AssetSpec(issuer="ib", alloc={"alice": big}),
    }
    device = Device(DeviceConfig(), Genesis(assets=assets), seed=3)
    alice = device.account("alice")
    pool = device.deploy(alice, WeightedAMM, ("A", "B"), (255, 256))
    receipt = device.call(alice, pool, "add_liquidity", 0, "alice", value={"A": big, "B": big})
    assert receipt.status == "out_of_gas"
    assert device.balance("alice", "A") == big


def test_a_weighted_quote_pays_exactly_its_powers_and_newton_steps() -> None:
    """On the device, a weighted pool's quote pays its curve's charges (the powers, then
    one charge per Newton step before it runs) on top of the flat curve gas: two quotes
    on a 1:40 pool differ in gas by exactly the difference of what the math charged."""
    from accord.device.gas import intrinsic_gas

    big = 10**24
    assets = {
        "ETH": AssetSpec(issuer="treasury", alloc={"alice": 10**18, "builder": 10**18}),
        "A": AssetSpec(issuer="ia", alloc={"alice": big}),
        "B": AssetSpec(issuer="ib", alloc={"alice": big}),
    }
    device = Device(DeviceConfig(), Genesis(assets=assets), seed=3)
    alice = device.account("alice")
    pool = device.deploy(alice, WeightedAMM, ("A", "B"), (1, 40))
    value = {"A": big, "B": big}
    deposit = device.call(alice, pool, "add_liquidity", 0, "alice", value=value, gas_limit=10**7)
    assert deposit.ok, deposit.error
    curve = pool_state(storage(device, pool), WeightedAMM)
    gas, charged = [], []
    for amount in (10**6, 10**23):
        charges: list[int] = []
        expected = curve.out_given_in(0, 1, amount, charges.append)
        tx = device.sign(alice, pool, "quote", "A", amount, "B", gas_limit=5_000_000)
        receipt = device.execute(tx)
        assert receipt.ok and receipt.result == expected, receipt.error
        gas.append(receipt.gas_used - intrinsic_gas(tx.method, tx.args, tx.value))
        charged.append(sum(charges))
        assert len(charges) >= 3  # the powers, at least one Newton step, the final check
    assert gas[1] - gas[0] == charged[1] - charged[0]
