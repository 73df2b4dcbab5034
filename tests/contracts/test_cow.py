"""The CoW settlement contract: orders escrowed per block, solutions from solvers verified
exactly in integers, the best one settled at the deadline, every order filled within its
limit or refunded whole. Hostile solutions: tests/contracts/test_cow_hostile.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from accord.contracts.amm import ProductAMM
from accord.contracts.cow import ORDER_GAS, CowSettlement, settle_gas
from accord.device import AssetSpec, Device, DeviceConfig, DeviceError, Genesis, checks
from accord.mechanisms.cfmm import amount_out

USERS = ("alice", "bob", "carol", "dave", "lp", "solver", "rival")
TOKENS = ("A", "B", "C")
DEPTH = 1_000_000
SUPPLY = 10**9


def make(
    ordering: str = "batch",
    pairs: tuple[tuple[str, str], ...] = (("A", "B"),),
    solvers: tuple[str, ...] = (),
    window: int = 1,
) -> tuple[Device, list[str], str]:
    assets = {
        "ETH": AssetSpec(issuer="treasury", alloc={u: 10**18 for u in (*USERS, "builder")}),
        **{t: AssetSpec(issuer=f"issuer-{t}", alloc=dict.fromkeys(USERS, SUPPLY)) for t in TOKENS},
    }
    # the hostile tests deploy contracts of their own, under tests/
    genesis = Genesis(assets=assets, contract_modules=("accord.contracts", "tests"))
    device = Device(DeviceConfig(ordering=ordering), genesis, seed=7)
    checks.check_every_block(device)  # conservation and no negative balance, every block
    lp = device.account("lp")
    pools = []
    for a, b in pairs:
        pool = device.deploy(lp, ProductAMM, a, b, 30)
        device.call(lp, pool, "add_liquidity", 0, "lp", value={a: DEPTH, b: DEPTH})
        pools.append(pool)
    described = tuple((p, "product", 30, ()) for p in pools)
    cow = device.deploy(lp, CowSettlement, described, "A", solvers, window)
    return device, pools, cow


def order(device: Device, cow: str, who: str, sell: str, amount: int, buy: str, floor: int,
          *extra: object, tip: int = 0) -> bytes:  # fmt: skip
    tx = device.sign(
        device.account(who), cow, "order", sell, amount, buy, floor, *extra,
        value={sell: amount}, gas_limit=300_000, priority_fee=tip,
    )  # fmt: skip
    return device.submit(tx)


def settle(device: Device, cow: str, who: str, batch: int, solution: Any) -> bytes:
    gas = settle_gas(solution) + 600_000
    return device.submit(device.sign(device.account(who), cow, "settle", batch, solution,
                                     gas_limit=gas))  # fmt: skip


def execute(device: Device, cow: str, who: str, batch: int) -> bytes:
    return device.submit(device.sign(device.account(who), cow, "execute", batch,
                                     gas_limit=3_000_000))  # fmt: skip


def holdings(device: Device, who: str) -> dict[str, int]:
    return {t: device.balance(who, t) for t in TOKENS}


def delta(device: Device, before: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {u: {t: device.balance(u, t) - v for t, v in b.items()} for u, b in before.items()}


def ids(device: Device, hashes: list[bytes]) -> list[int]:
    """The order ids the ``order`` calls returned."""
    return [device.receipt(h).result for h in hashes]


def test_a_two_order_cow_match_settles_exactly_as_computed_by_hand() -> None:
    """100 A for ≥ 99 B against 100 B for ≥ 99 A, prices A = B = 1: each gets 100, the
    pool never trades, the score is (100 − 99) + (100 − 99) = 2 units of A (the pool's
    spot price is 1)."""
    device, (pool,), cow = make()
    reserves = device.contract_at(pool).storage()["reserve"]
    before = {u: holdings(device, u) for u in ("alice", "bob")}
    hashes = [
        order(device, cow, "alice", "A", 100, "B", 99),
        order(device, cow, "bob", "B", 100, "A", 99),
    ]
    block = device.build_block()
    a, b = ids(device, hashes)
    assert device.view(cow, "batch", block.number)  # escrowed, readable by every solver
    assert delta(device, before) == {"alice": {"A": -100, "B": 0, "C": 0},
                                     "bob": {"A": 0, "B": -100, "C": 0}}  # fmt: skip
    solution = ((("A", 1, 1), ("B", 1, 1)), tuple(sorted([(a, 100, 100), (b, 100, 100)])), ())
    s = settle(device, cow, "solver", block.number, solution)
    x = execute(device, cow, "solver", block.number)
    device.build_block()
    assert device.receipt(s).status == "success" and device.receipt(s).result == 0
    assert device.receipt(x).result == "settled by solver"
    assert delta(device, before) == {"alice": {"A": -100, "B": 100, "C": 0},
                                     "bob": {"A": 100, "B": -100, "C": 0}}  # fmt: skip
    assert device.contract_at(pool).storage()["reserve"] == reserves
    assert device.view(cow, "matched", "A") == device.view(cow, "matched", "B") == 100
    assert {t: device.view(cow, "dust", t) for t in TOKENS} == dict.fromkeys(TOKENS, 0)
    assert device.view(cow, "batch", block.number) == ()  # closed: nothing left escrowed
    submitted = [e for e in device.receipt(s).events if e.name == "Submitted"]
    assert dict(submitted[0].data)["score"] == "2"


def test_a_ring_clears_among_users() -> None:
    """A → B → C → A, 1,000 each for ≥ 990: all prices 1, each gets 1,000, no pool trades;
    score 3 × 10 = 30."""
    pairs = (("A", "B"), ("B", "C"), ("C", "A"))
    device, pools, cow = make(pairs=pairs)
    reserves = [device.contract_at(p).storage()["reserve"] for p in pools]
    ring = (("alice", "A", "B"), ("bob", "B", "C"), ("carol", "C", "A"))
    before = {who: holdings(device, who) for who, _, _ in ring}
    hashes = [order(device, cow, who, s, 1_000, b, 990) for who, s, b in ring]
    block = device.build_block()
    trades = tuple(sorted((oid, 1_000, 1_000) for oid in ids(device, hashes)))
    solution = ((("A", 1, 1), ("B", 1, 1), ("C", 1, 1)), trades, ())
    s = settle(device, cow, "solver", block.number, solution)
    execute(device, cow, "solver", block.number)
    device.build_block()
    assert dict(device.receipt(s).events[0].data)["score"] == "30"
    moved = delta(device, before)
    assert moved == {
        "alice": {"A": -1_000, "B": 1_000, "C": 0},
        "bob": {"A": 0, "B": -1_000, "C": 1_000},
        "carol": {"A": 1_000, "B": 0, "C": -1_000},
    }
    assert [device.contract_at(p).storage()["reserve"] for p in pools] == reserves
    assert [device.view(cow, "matched", t) for t in TOKENS] == [1_000] * 3


def test_a_pool_interaction_pays_the_user_the_pools_exact_output() -> None:
    """Nothing to match: the contract swaps 10,000 A on the pool for Uniswap v2's
    ``amount_out`` of B and pays all of it to alice at the price A = out, B = 10,000."""
    device, (pool,), cow = make()
    out = amount_out(10_000, DEPTH, DEPTH)
    (h,) = [order(device, cow, "alice", "A", 10_000, "B", out * 99 // 100)]
    block = device.build_block()
    (oid,) = ids(device, [h])
    before = holdings(device, "alice")
    solution = ((("A", out, out), ("B", 10_000, 10_000)), ((oid, 10_000, out),),
                ((pool, "A", 10_000, "B", out),))  # fmt: skip
    settle(device, cow, "solver", block.number, solution)
    execute(device, cow, "solver", block.number)
    device.build_block()
    assert holdings(device, "alice")["B"] - before["B"] == out
    assert device.contract_at(pool).storage()["reserve"] == (DEPTH + 10_000, DEPTH - out)
    assert device.view(cow, "traded", "B") == out and device.view(cow, "matched", "B") == 0
    assert {t: device.view(cow, "dust", t) for t in TOKENS} == dict.fromkeys(TOKENS, 0)


def test_cow_match_plus_a_pool_for_the_imbalance() -> None:
    """alice sells 1,000 A for B, bob 400 B for A. By hand: the pool takes x = 599 A for
    o = amount_out(599) = 596 B; one rate for everyone, A = 400 + o = 996 and B = 1,000:
    alice gets ⌊1000·996/1000⌋ = 996 B = bob's 400 + the pool's 596, bob gets
    ⌊400·1000/996⌋ = 401 A = 1,000 − 599. Conservation exact, no dust. (With x = 600 bob
    would be due 401 A of only 400: short by one unit, refused.)"""
    device, (pool,), cow = make()
    x = 599
    o = amount_out(x, DEPTH, DEPTH)
    assert o == 596
    hashes = [order(device, cow, "alice", "A", 1_000, "B", 900),
              order(device, cow, "bob", "B", 400, "A", 390)]  # fmt: skip
    block = device.build_block()
    a, b = ids(device, hashes)
    pa, pb = 400 + o, 1_000
    solution = ((("A", pa, pa), ("B", pb, pb)),
                tuple(sorted([(a, 1_000, 996), (b, 400, 401)])),
                ((pool, "A", x, "B", o),))  # fmt: skip
    off = ((("A", 997, 997), ("B", pb, pb)),
           tuple(sorted([(a, 1_000, 997), (b, 400, 401)])),
           ((pool, "A", 600, "B", 597),))  # fmt: skip
    before = {u: holdings(device, u) for u in ("alice", "bob")}
    refused = settle(device, cow, "solver", block.number, off)
    s = settle(device, cow, "solver", block.number, solution)
    execute(device, cow, "solver", block.number)
    device.build_block()
    assert "conservation: 'A' is short by 1" in (device.receipt(refused).error or "")
    assert device.receipt(s).status == "success", device.receipt(s).error
    assert delta(device, before)["alice"] == {"A": 0, "B": 996, "C": 0}  # escrowed before
    assert delta(device, before)["bob"] == {"A": 401, "B": 0, "C": 0}
    assert device.contract_at(pool).storage()["reserve"] == (DEPTH + x, DEPTH - o)
    assert device.view(cow, "dust", "A") == device.view(cow, "dust", "B") == 0
    assert device.view(cow, "matched", "B") == 400


def test_the_best_solution_wins_and_a_tie_goes_to_the_earlier_submission() -> None:
    """alice sells 150 A (≥ 140 B, partial), bob 100 B (≥ 99 A), carol 100 B (≥ 90 A,
    partial), all at 1:1. ``small`` fills alice for 100 and bob: score
    (100 − 100·140/150) + 1 = 23/3. ``good`` fills alice whole, bob, and 50 of carol's:
    10 + 1 + (50 − 45) = 16. ``good`` wins over ``small`` sent before it; the same
    ``good`` from a rival, sent after, ties and loses; one short of B is refused."""
    device, _, cow = make(ordering="fcfs", solvers=("solver", "rival"), window=2)
    hashes = [order(device, cow, "alice", "A", 150, "B", 140, "", True),
              order(device, cow, "bob", "B", 100, "A", 99),
              order(device, cow, "carol", "B", 100, "A", 90, "", True)]  # fmt: skip
    block = device.build_block()
    a, b, c = ids(device, hashes)
    prices = (("A", 1, 1), ("B", 1, 1))
    small = (prices, tuple(sorted([(a, 100, 100), (b, 100, 100)])), ())
    good = (prices, tuple(sorted([(a, 150, 150), (b, 100, 100), (c, 50, 50)])), ())
    short = (prices, tuple(sorted([(a, 150, 150), (b, 100, 100)])), ())
    early = settle(device, cow, "rival", block.number, small)
    first = settle(device, cow, "solver", block.number, good)
    second = settle(device, cow, "rival", block.number, good)
    bad = settle(device, cow, "rival", block.number, short)
    device.build_block()  # fcfs: the block runs them in the order sent
    execute(device, cow, "rival", block.number)
    before = {u: holdings(device, u) for u in ("alice", "bob", "carol")}
    after_block = device.build_block()
    assert device.receipt(bad).status == "reverted"
    assert "conservation: 'B' is short by 50" in (device.receipt(bad).error or "")
    scores = [dict(device.receipt(h).events[0].data)["score"] for h in (early, first, second)]
    assert scores == ["23/3", "16", "16"]
    assert [device.receipt(h).result for h in (early, first, second)] == [0, 0, 1]
    settled = [e for r in after_block.receipts for e in r.events if e.name == "Settled"]
    assert dict(settled[0].data)["solver"] == "solver"
    assert delta(device, before)["carol"] == {"A": 50, "B": 50, "C": 0}  # half back
    assert delta(device, before)["alice"] == {"A": 0, "B": 150, "C": 0}


def test_no_solution_refunds_every_order_whole_and_anyone_may_execute() -> None:
    device, _, cow = make()
    before = {u: holdings(device, u) for u in ("alice", "bob")}
    order(device, cow, "alice", "A", 100, "B", 99)
    order(device, cow, "bob", "B", 100, "A", 99)
    block = device.build_block()
    device.build_block()  # nobody solves
    device.build_block()
    x = execute(device, cow, "alice", block.number)  # the owner closes it herself
    device.build_block()
    assert device.receipt(x).result == "refunded: no solution was submitted"
    assert delta(device, before) == {u: dict.fromkeys(TOKENS, 0) for u in before}
    assert device.view(cow, "batch", block.number) == ()
    again = execute(device, cow, "bob", block.number)
    device.build_block()
    assert "has no open orders" in str(device.receipt(again).result)


def test_a_pool_that_moved_fails_the_best_and_the_next_one_runs() -> None:
    """The exact solution promises the pool's whole output; a swap sent by dave moves the
    pool in the same block before the settlement, so it fails (rolled back whole) and the
    kept variant with 1% slack runs."""
    device, (pool,), cow = make(ordering="fcfs", window=5)
    out = amount_out(10_000, DEPTH, DEPTH)
    h = order(device, cow, "alice", "A", 10_000, "B", out * 95 // 100)
    block = device.build_block()
    (oid,) = ids(device, [h])
    exact = ((("A", out, out), ("B", 10_000, 10_000)), ((oid, 10_000, out),),
             ((pool, "A", 10_000, "B", out),))  # fmt: skip
    slack = out * 99 // 100
    loose = ((("A", slack, slack), ("B", 10_000, 10_000)), ((oid, 10_000, slack),),
             ((pool, "A", 10_000, "B", slack),))  # fmt: skip
    settle(device, cow, "solver", block.number, exact)
    settle(device, cow, "solver", block.number, loose)
    device.build_block()
    dave = device.account("dave")
    device.call(dave, pool, "swap", "A", 1_000, 0, "dave", "B", value={"A": 1_000})
    before = holdings(device, "alice")
    x = execute(device, cow, "solver", block.number)
    done = device.build_block()
    assert device.receipt(x).result == "settled by solver"
    failed = [e for r in done.receipts for e in r.events if e.name == "Failed"]
    assert [dict(e.data)["rank"] for e in failed] == [0]
    assert holdings(device, "alice")["B"] - before["B"] == slack
    assert device.view(cow, "dust", "B") > 0  # what the pool paid beyond min_out


def test_order_checks_and_gas() -> None:
    device, _, cow = make()
    alice = device.account("alice")
    bad = [
        (("A", 500, "A", 1), {"A": 500}, "are both"),
        (("A", 500, "B", 1), {"A": 400}, "exactly sell_amount=500"),
        (("A", 0, "B", 1), {}, "sell_amount must be positive"),
        (("A", 2**130, "B", 1), {"A": 2**130}, ""),
        (("A", 5, "B", -1), {"A": 5}, "min_buy must be non-negative"),
        (("A", 5, "B", 1, 7), {"A": 5}, "to must be an address"),
        (("A", 5, "B", 1, "", 1), {"A": 5}, "partial must be a bool"),
    ]
    before = holdings(device, "alice")
    for args, value, reason in bad:
        try:
            receipt = device.call(alice, cow, "order", *args, value=value, gas_limit=300_000)
        except DeviceError:
            continue  # refused before execution (unaffordable value): nothing changed either
        assert receipt.status == "reverted" and reason in (receipt.error or ""), receipt.error
    assert holdings(device, "alice") == before
    receipt = device.call(alice, cow, "order", "A", 5, "B", 1, value={"A": 5}, gas_limit=300_000)
    assert receipt.ok and receipt.gas_used >= ORDER_GAS


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
    with pytest.raises(DeviceError, match="solvers must be a tuple"):
        device.deploy(lp, CowSettlement, (), "A", ("ok", 3))


def test_conservation_and_replay_across_users_pools_and_the_contract() -> None:
    """Orders, a solver's settlement with a pool and refunds: every token's total over
    users, pool and contract is unchanged, and the log replays to the same state hash."""
    device, (pool,), cow = make()
    everyone = [*USERS, pool, cow]
    total = {t: sum(device.balance(w, t) for w in everyone) for t in TOKENS}
    out = amount_out(10_000, DEPTH, DEPTH)
    h = order(device, cow, "alice", "A", 10_000, "B", out * 99 // 100)
    order(device, cow, "bob", "B", 50, "A", 10_000)  # a limit no solution meets
    block = device.build_block()
    (oid,) = ids(device, [h])
    solution = ((("A", out, out), ("B", 10_000, 10_000)), ((oid, 10_000, out),),
                ((pool, "A", 10_000, "B", out),))  # fmt: skip
    settle(device, cow, "solver", block.number, solution)
    execute(device, cow, "solver", block.number)
    device.build_block()
    assert {t: sum(device.balance(w, t) for w in everyone) for t in TOKENS} == total
    assert device.balance("bob", "B") == SUPPLY  # refunded whole
    checks.replay_equality(device)


def test_position_and_tips_buy_nothing() -> None:
    """The same orders with different tips (hence positions in the block) are the same
    batch, and the same solution settles them identically."""
    outcomes = []
    for tips in ((0, 0), (10**6, 0), (0, 10**6)):
        device, _, cow = make()
        hashes = [order(device, cow, "alice", "A", 100, "B", 99, tip=tips[0]),
                  order(device, cow, "bob", "B", 100, "A", 99, tip=tips[1])]  # fmt: skip
        block = device.build_block()
        trades = tuple(sorted((oid, 100, 100) for oid in ids(device, hashes)))
        settle(device, cow, "solver", block.number, ((("A", 1, 1), ("B", 1, 1)), trades, ()))
        execute(device, cow, "solver", block.number)
        device.build_block()
        outcomes.append((holdings(device, "alice"), holdings(device, "bob")))
    assert outcomes[0] == outcomes[1] == outcomes[2]


def test_valuation_is_fixed_per_batch_and_exact() -> None:
    device, _, cow = make()
    order(device, cow, "alice", "A", 100, "B", 99)
    block = device.build_block()
    assert device.contract_at(cow).storage()["batch_valuation"] == {}
    hashes = device.view(cow, "batch", block.number)
    (row,) = hashes
    solution = ((("A", 1, 1), ("B", 1, 1)), ((row[0], 100, 100),), ())
    s = settle(device, cow, "solver", block.number, solution)  # B short: reverted
    device.build_block()
    assert device.receipt(s).status == "reverted"
    assert device.contract_at(cow).storage()["batch_valuation"] == {}  # a revert keeps nothing


def test_the_doc_example_runs_and_prints_what_it_says(capsys: pytest.CaptureFixture[str]) -> None:
    text = (Path(__file__).parents[2] / "docs" / "contracts" / "cow.md").read_text()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(code, "docs/contracts/cow.md", "exec"), {})
    assert capsys.readouterr().out.split() == ["100", "100"]


def test_under_batch_the_settlement_runs_before_the_blocks_pool_batches() -> None:
    """Batch ``N`` settles at the start of block ``N + 1``'s batch phase, before the pools'
    own batches of ``N + 1`` (batches settle in the order their books closed:
    accord.device.ordering.settlement_order). dave's swap on the same pool in block
    ``N + 1`` would leave the exact solution short if the pool's batch ran first (its
    address sorts before the settlement's); instead alice gets exactly the output the
    solver computed from the pool after block ``N``, and dave trades after her."""
    device, (_, pool), cow = make(pairs=(("A", "B"), ("B", "C")))
    assert pool < cow  # by address alone the pool's batch would settle first
    out = amount_out(10_000, DEPTH, DEPTH)
    h = order(device, cow, "alice", "B", 10_000, "C", out * 99 // 100)
    block = device.build_block()
    (oid,) = ids(device, [h])
    exact = ((("B", out, out), ("C", 10_000, 10_000)), ((oid, 10_000, out),),
             ((pool, "B", 10_000, "C", out),))  # fmt: skip
    settle(device, cow, "solver", block.number, exact)
    x = execute(device, cow, "solver", block.number)
    dave = device.account("dave")
    swap = device.sign(dave, pool, "swap", "B", 1_000, 0, "dave", "C", value={"B": 1_000},
                       gas_limit=300_000)  # fmt: skip
    device.submit(swap)
    alice, dave_before = holdings(device, "alice"), holdings(device, "dave")
    done = device.build_block()
    assert device.receipt(x).result == "settled by solver"
    assert not [e for r in done.receipts for e in r.events if e.name == "Failed"]
    assert holdings(device, "alice")["C"] - alice["C"] == out
    dave_out = amount_out(1_000, DEPTH + 10_000, DEPTH - out)
    assert holdings(device, "dave")["C"] - dave_before["C"] == dave_out
    reserve = device.contract_at(pool).storage()["reserve"]
    assert reserve == (DEPTH + 11_000, DEPTH - out - dave_out)
    assert device.view(cow, "dust", "C") == 0
