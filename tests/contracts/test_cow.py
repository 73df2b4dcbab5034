"""The CoW settlement contract: one batch for every intent of a block, exact and conserved."""

from __future__ import annotations

from typing import Any

import pytest

from accord.contracts import cow as cow_module
from accord.contracts.amm import ProductAMM
from accord.contracts.cow import CowSettlement
from accord.device import AssetSpec, Device, DeviceConfig, DeviceError, Genesis, checks
from accord.mechanisms.cfmm import amount_out

USERS = ("alice", "bob", "carol", "dave", "lp")
TOKENS = ("A", "B", "C")
DEPTH = 1_000_000


def make(ordering: str = "batch", pairs: tuple[tuple[str, str], ...] = (("A", "B"),)) -> Any:
    assets = {
        "ETH": AssetSpec(issuer="treasury", alloc={u: 10**18 for u in (*USERS, "builder")}),
        **{t: AssetSpec(issuer=f"issuer-{t}", alloc=dict.fromkeys(USERS, 10**9)) for t in TOKENS},
    }
    device = Device(DeviceConfig(ordering=ordering), Genesis(assets=assets), seed=7)
    checks.check_every_block(device)  # conservation and no negative balance, every block
    lp = device.account("lp")
    pools = []
    for a, b in pairs:
        pool = device.deploy(lp, ProductAMM, a, b, 30)
        device.call(lp, pool, "add_liquidity", 0, "lp", value={a: DEPTH, b: DEPTH})
        pools.append(pool)
    settlement = device.deploy(lp, CowSettlement, tuple((p, "product", 30, ()) for p in pools), "A")
    return device, pools, settlement


def order(device: Device, cow: str, who: str, sell: str, amount: int, buy: str, floor: int,
          *extra: object, tip: int = 0) -> bytes:  # fmt: skip
    tx = device.sign(
        device.account(who), cow, "order", sell, amount, buy, floor, *extra,
        value={sell: amount}, gas_limit=600_000, priority_fee=tip,
    )  # fmt: skip
    return device.submit(tx)


def holdings(device: Device, who: str) -> dict[str, int]:
    return {t: device.balance(who, t) for t in TOKENS}


def delta(device: Device, before: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {u: {t: device.balance(u, t) - v for t, v in b.items()} for u, b in before.items()}


def test_opposite_orders_match_each_other_and_leave_the_pool_alone() -> None:
    """100 A for ≥ 99 B against 100 B for ≥ 99 A at the pool's price of 1: a full match,
    each gets 100, the pool never trades."""
    device, (pool,), cow = make()
    reserves = device.contract_at(pool).storage()["reserve"]
    before = {u: holdings(device, u) for u in ("alice", "bob")}
    a = order(device, cow, "alice", "A", 100, "B", 99)
    b = order(device, cow, "bob", "B", 100, "A", 99)
    device.build_block()
    assert device.receipt(a).result == 100 and device.receipt(b).result == 100
    assert delta(device, before) == {
        "alice": {"A": -100, "B": 100, "C": 0},
        "bob": {"A": 100, "B": -100, "C": 0},
    }
    assert device.contract_at(pool).storage()["reserve"] == reserves
    assert device.view(cow, "matched", "A") == device.view(cow, "matched", "B") == 100
    assert {t: device.view(cow, "dust", t) for t in TOKENS} == dict.fromkeys(TOKENS, 0)


def test_a_ring_clears_among_users() -> None:
    """A → B → C → A: each sells 1,000 and gets 1,000, no pool trades."""
    pairs = (("A", "B"), ("B", "C"), ("C", "A"))
    device, pools, cow = make(pairs=pairs)
    reserves = [device.contract_at(p).storage()["reserve"] for p in pools]
    ring = (("alice", "A", "B"), ("bob", "B", "C"), ("carol", "C", "A"))
    hashes = [order(device, cow, who, s, 1_000, b, 990) for who, s, b in ring]
    block = device.build_block()
    assert [device.receipt(h).result for h in hashes] == [1_000] * 3
    assert [device.contract_at(p).storage()["reserve"] for p in pools] == reserves
    assert not [e for r in block.receipts for e in r.events if e.name == "Swap"]
    assert [device.view(cow, "matched", t) for t in TOKENS] == [1_000] * 3


def test_a_lone_order_gets_the_pools_exact_output() -> None:
    """Nothing to match: the imbalance is the whole order, routed into the pool, and the
    user gets exactly Uniswap v2's amount_out."""
    device, (pool,), cow = make()
    expected = amount_out(10_000, DEPTH, DEPTH)
    h = order(device, cow, "alice", "A", 10_000, "B", expected * 99 // 100)
    before = holdings(device, "alice")
    device.build_block()
    assert device.receipt(h).result == expected
    assert holdings(device, "alice")["B"] - before["B"] == expected
    assert device.contract_at(pool).storage()["reserve"] == (DEPTH + 10_000, DEPTH - expected)
    assert device.view(cow, "matched", "B") == 0 and device.view(cow, "traded", "B") == expected


def test_a_missed_limit_is_refunded_in_full_and_the_rest_still_settles() -> None:
    device, _, cow = make()
    before = {u: holdings(device, u) for u in ("alice", "bob", "carol")}
    greedy = order(device, cow, "carol", "A", 1_000, "B", 2_000)  # wants twice the price
    a = order(device, cow, "alice", "A", 100, "B", 99)
    b = order(device, cow, "bob", "B", 100, "A", 99)
    block = device.build_block()
    receipt = device.receipt(greedy)
    assert receipt.status == "success" and receipt.result == 0
    names = [e.name for e in receipt.events]
    assert "Refunded" in names and "Filled" not in names
    moved = delta(device, before)
    assert moved["carol"] == dict.fromkeys(TOKENS, 0)  # the whole escrow is back
    assert device.receipt(a).result == 100 and device.receipt(b).result == 100
    assert all(r.status == "success" for r in block.receipts)


def test_malformed_orders_are_refunded_alone() -> None:
    device, _, cow = make()
    before = holdings(device, "carol")
    bad = device.submit(
        device.sign(
            device.account("carol"),
            cow,
            "order",
            "A",
            500,
            "A",
            1,
            value={"A": 500},
            gas_limit=600_000,
        )
    )
    wrong_value = device.submit(
        device.sign(
            device.account("dave"),
            cow,
            "order",
            "A",
            500,
            "B",
            1,
            value={"A": 400},
            gas_limit=600_000,
        )
    )
    a = order(device, cow, "alice", "A", 100, "B", 99)
    b = order(device, cow, "bob", "B", 100, "A", 99)
    device.build_block()
    assert holdings(device, "carol") == before
    reasons = {
        h: [e.as_dict()["reason"] for e in device.receipt(h).events if e.name == "Refunded"]
        for h in (bad, wrong_value)
    }
    assert "both 'A'" in reasons[bad][0]
    assert "exactly sell_amount=500" in reasons[wrong_value][0]
    assert device.receipt(a).result == 100 and device.receipt(b).result == 100


def test_conservation_across_users_pools_and_the_contract() -> None:
    """Every token's holdings of users, pool and settlement add up to the same total, and
    the settlement pays out exactly its batch's inflows (its dust is what it keeps)."""
    pairs = (("A", "B"), ("B", "C"), ("C", "A"))
    device, pools, cow = make(pairs=pairs)
    everyone = [*USERS, *pools, cow]
    total = {t: sum(device.balance(w, t) for w in everyone) for t in TOKENS}
    order(device, cow, "alice", "A", 40_000, "B", 30_000)
    order(device, cow, "bob", "B", 10_000, "C", 9_000)
    order(device, cow, "carol", "C", 25_000, "A", 20_000)
    order(device, cow, "dave", "B", 7_000, "A", 6_000)
    device.build_block()
    assert {t: sum(device.balance(w, t) for w in everyone) for t in TOKENS} == total
    checks.block_invariants(device)
    assert all(device.view(cow, "dust", t) <= 3 for t in TOKENS)  # floors, a unit per order
    checks.replay_equality(device)  # the event log replays to the same state hash


def test_position_and_tips_buy_nothing() -> None:
    """The same orders with different tips (hence positions) settle identically."""
    outcomes = []
    for tips in ((0, 0, 0), (10**6, 0, 0), (0, 0, 10**6)):
        device, _, cow = make()
        spec = (("alice", "A", 30_000, "B"), ("bob", "B", 10_000, "A"), ("carol", "A", 5_000, "B"))
        hashes = [
            order(device, cow, w, s, x, b, x * 9 // 10, tip=tip)
            for (w, s, x, b), tip in zip(spec, tips, strict=True)
        ]
        device.build_block()
        outcomes.append([device.receipt(h).result for h in hashes])
    assert outcomes[0] == outcomes[1] == outcomes[2]
    assert all(r > 0 for r in outcomes[0])


def test_outside_the_batch_rule_an_order_settles_alone_or_reverts() -> None:
    device, _, cow = make("fcfs")
    alice = device.account("alice")
    expected = amount_out(5_000, DEPTH, DEPTH)
    receipt = device.call(alice, cow, "order", "A", 5_000, "B", expected, value={"A": 5_000},
                          gas_limit=600_000)  # fmt: skip
    assert receipt.ok and receipt.result == expected
    before = holdings(device, "alice")
    receipt = device.call(alice, cow, "order", "A", 5_000, "B", 6_000, value={"A": 5_000},
                          gas_limit=600_000)  # fmt: skip
    assert receipt.status == "reverted" and "min_buy 6000 not met" in (receipt.error or "")
    assert holdings(device, "alice") == before


def test_a_solver_failure_refunds_everyone(monkeypatch: pytest.MonkeyPatch) -> None:
    device, _, cow = make()

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("no solution")

    monkeypatch.setattr(cow_module, "clear", broken)
    before = {u: holdings(device, u) for u in ("alice", "bob")}
    a = order(device, cow, "alice", "A", 100, "B", 99)
    order(device, cow, "bob", "B", 100, "A", 99)
    device.build_block()
    assert delta(device, before) == {u: dict.fromkeys(TOKENS, 0) for u in before}
    assert "Unsettled" in [e.name for e in device.receipt(a).events] or any(
        e.name == "Refunded" for e in device.receipt(a).events
    )


def test_setup_checks_every_pool_description() -> None:
    device, (pool,), _ = make()
    lp = device.account("lp")
    with pytest.raises(DeviceError, match=r"pools\[0\]: the pool quotes .* description is wrong"):
        device.deploy(lp, CowSettlement, ((pool, "product", 5, ()),))
    with pytest.raises(DeviceError, match=r"pools\[0\]: kind must be one of"):
        device.deploy(lp, CowSettlement, ((pool, "curve", 30, ()),))
    with pytest.raises(DeviceError, match=r"pools\[0\].*is not a pool"):
        device.deploy(lp, CowSettlement, (("0xnothing", "product", 30, ()),))
    with pytest.raises(DeviceError, match="one address twice"):
        device.deploy(lp, CowSettlement, ((pool, "product", 30, ()),) * 2)


def test_a_two_hop_order_runs_hop_by_hop_from_the_escrow_alone() -> None:
    """A → C over an A/B and a B/C pool, with the B/C pool registered first: the
    settlement holds no B before the first hop, so the A → B swap must run first (the
    block's checks see no negative balance). The user gets exactly the two Uniswap v2
    hops chained (the pools' whole output, by price improvement) and the contract keeps
    no dust."""
    device, pools, cow = make(pairs=(("B", "C"), ("A", "B")))
    hop = amount_out(10_000, DEPTH, DEPTH)
    expected = amount_out(hop, DEPTH, DEPTH)
    h = order(device, cow, "alice", "A", 10_000, "C", expected * 99 // 100)
    before = holdings(device, "alice")
    block = device.build_block()
    assert device.receipt(h).result == expected
    assert holdings(device, "alice")["C"] - before["C"] == expected
    swaps = [e.as_dict() for r in block.receipts for e in r.events if e.name == "Swap"]
    assert len(swaps) == 2
    assert device.contract_at(pools[1]).storage()["reserve"] == (DEPTH + 10_000, DEPTH - hop)
    assert device.contract_at(pools[0]).storage()["reserve"] == (DEPTH + hop, DEPTH - expected)
    assert {t: device.view(cow, "dust", t) for t in TOKENS} == dict.fromkeys(TOKENS, 0)


def test_buyers_of_a_token_share_the_pools_output_at_one_rate() -> None:
    """Two orders sell A for C in one block over two hops: the pools' output goes to
    both at one rate (uniform directional price), all of it but the rounding."""
    device, _, cow = make(pairs=(("A", "B"), ("B", "C")))
    total = 30_000
    expected = amount_out(amount_out(total, DEPTH, DEPTH), DEPTH, DEPTH)
    a = order(device, cow, "alice", "A", 10_000, "C", 9_000)
    b = order(device, cow, "bob", "A", 20_000, "C", 18_000)
    device.build_block()
    got_a, got_b = device.receipt(a).result, device.receipt(b).result
    assert got_a + got_b + device.view(cow, "dust", "C") == expected
    assert device.view(cow, "dust", "C") <= 1  # less than one base unit per buyer
    assert abs(got_b - 2 * got_a) <= 2  # the same rate, floored
    assert device.view(cow, "dust", "A") == device.view(cow, "dust", "B") == 0


def test_the_doc_example_runs_and_prints_what_it_says(capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "contracts" / "cow.md").read_text()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(code, "docs/contracts/cow.md", "exec"), {})
    assert capsys.readouterr().out.split() == ["100", "100"]
