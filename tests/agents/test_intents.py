"""The three canonical intents, settled on the device against exact Uniswap v2 numbers."""

from __future__ import annotations

from accord.agents.intents import (
    flash_loan_offer,
    flash_loan_use,
    reroute_for_side_payments,
    side_payment,
    swap_call,
    swap_if_offer,
)
from accord.contracts.amm import ProductAMM
from accord.contracts.router import Router
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, checks
from accord.device.commitments.build import commitment, fires, fires_against, transfer, view
from accord.device.commitments.language import Commitment
from accord.games.program_equilibrium import COOPERATEBOT, DEFECTBOT
from accord.mechanisms.cfmm import amount_out

USERS = ("alice", "bob", "xavier", "yana", "lender", "borrower", "lp")
A_RES, D_RES = 1_000_000_000, 1_000_000  # 1,000 A per D


def make_device() -> Device:
    rich = {u: 10**12 for u in USERS if u != "borrower"}
    genesis = Genesis(
        assets={
            "ETH": AssetSpec(issuer="treasury", alloc=dict.fromkeys(USERS, 10**18)),
            "A": AssetSpec(issuer="mint", alloc=rich),
            "D": AssetSpec(issuer="mint", alloc=rich),
            "B": AssetSpec(issuer="mint", alloc=rich),
        }
    )
    device = Device(DeviceConfig(), genesis, seed=1)
    checks.check_every_block(device)
    return device


def pool(device: Device, x: str, y: str, rx: int, ry: int) -> str:
    lp = device.account("lp")
    address = device.deploy(lp, ProductAMM, x, y)
    receipt = device.call(lp, address, "add_liquidity", 0, "lp", value={x: rx, y: ry})
    assert receipt.ok, receipt.error
    return address


def post(device: Device, *items: Commitment) -> None:
    for c in items:
        device.commit(device.account(c.owner), c)


def test_intent_1_swaps_right_after_a_cheap_enough_opposite_swap() -> None:
    device = make_device()
    p = pool(device, "A", "D", A_RES, D_RES)
    # Bob sells 10 D asking at least 9,000 A: a rate of 900 A/D <= 1000.
    bob = commitment(
        "bob", "sell-d", expiry=9, actions=[swap_call(p, "D", 10_000, 9_000_000, "bob")]
    )
    alice = swap_if_offer(
        "alice", "buy-d", pool=p, give=("A", 500_000), want="D", max_rate=(1000, 1), expiry=9
    )
    before = device.balance("alice", "D")
    post(device, alice, bob)  # Alice posts first; `$refs` still puts Bob's swap first
    device.build_block()
    (group,) = device.resolutions[-1].groups
    assert group.ok and group.members == ("bob/sell-d", "alice/buy-d")
    bob_out = amount_out(10_000, D_RES, A_RES)
    alice_out = amount_out(500_000, A_RES - bob_out, D_RES + 10_000)
    assert device.balance("alice", "D") - before == alice_out
    assert alice_out > amount_out(500_000, A_RES, D_RES)  # better than swapping alone


def test_intent_1_does_nothing_when_the_offer_is_too_expensive() -> None:
    device = make_device()
    p = pool(device, "A", "D", A_RES, D_RES)
    pricey = commitment(
        "bob", "sell-d", expiry=1, actions=[swap_call(p, "D", 10_000, 12_000_000, "bob")]
    )  # asks 1,200 A/D: no match (and the pool would not pay it: its swap reverts)
    alice = swap_if_offer(
        "alice", "buy-d", pool=p, give=("A", 500_000), want="D", max_rate=(1000, 1), expiry=3
    )
    before = device.balance("alice", "D")
    post(device, alice, pricey)
    device.build_blocks(3)
    assert device.balance("alice", "D") == before
    assert all("alice/buy-d" not in r.fired for r in device.resolutions)
    assert device.pending_commitments() == []


def test_intent_1_else_branch_routes_through_the_best_path() -> None:
    device = make_device()
    direct = pool(device, "A", "D", A_RES, D_RES)
    a_b = pool(device, "A", "B", A_RES, A_RES)  # 1 A = 1 B
    b_d = pool(device, "B", "D", A_RES, 2 * D_RES)  # D is half price through B
    router = device.deploy(device.account("lp"), Router, direct, a_b, b_d)
    alice = swap_if_offer(
        "alice",
        "buy-d",
        pool=direct,
        give=("A", 500_000),
        want="D",
        max_rate=(1000, 1),
        expiry=device.number + 2,
        router=router,
    )
    before = device.balance("alice", "D")
    post(device, alice)
    device.build_blocks(2)
    via_b = amount_out(amount_out(500_000, A_RES, A_RES), A_RES, 2 * D_RES)
    assert via_b > amount_out(500_000, A_RES, D_RES)
    assert device.balance("alice", "D") - before == via_b
    (expired,) = device.resolutions[-1].expired
    assert expired.ok and expired.members == ("alice/buy-d",)


def reroute_setup(device: Device) -> tuple[str, str, int, int, int]:
    """X sells 50M A for D; Y does the same right after. Returns pools and the numbers."""
    deep = pool(device, "A", "D", A_RES, D_RES)
    shallow = pool(device, "A", "D", A_RES // 2, D_RES // 2)
    size = 50_000_000
    x_deep = amount_out(size, A_RES, D_RES)
    x_shallow = amount_out(size, A_RES // 2, D_RES // 2)
    y_after_x = amount_out(size, A_RES + size, D_RES - x_deep)
    y_alone = amount_out(size, A_RES, D_RES)
    loss, surplus = x_deep - x_shallow, y_alone - y_after_x
    assert surplus > loss > 0  # rerouting creates value: there is a deal to make
    payment = loss + (surplus - loss) // 2  # compensate X's loss and split the gain
    return deep, shallow, size, x_deep, payment


def test_intent_2_rerouting_for_a_share_of_the_surplus_pays_both() -> None:
    device = make_device()
    deep, shallow, size, x_deep, payment = reroute_setup(device)
    expiry = device.number + 3
    x = reroute_for_side_payments(
        "xavier",
        "route",
        payers=["yana/share"],
        new_route=[swap_call(shallow, "A", size, 1, "xavier")],
        old_route=[swap_call(deep, "A", size, 1, "xavier")],
        expiry=expiry,
    )
    y = side_payment(
        "yana",
        "share",
        rerouter="xavier/route",
        asset="D",
        amount=payment,
        then=[swap_call(deep, "A", size, 1, "yana")],
        expiry=expiry,
    )
    xd, yd = device.balance("xavier", "D"), device.balance("yana", "D")
    post(device, x, y)
    device.build_block()
    (group,) = device.resolutions[-1].groups
    assert group.ok and group.members == ("xavier/route", "yana/share")
    x_gain = device.balance("xavier", "D") - xd
    y_gain = device.balance("yana", "D") - yd
    assert x_gain == amount_out(size, A_RES // 2, D_RES // 2) + payment
    assert y_gain == amount_out(size, A_RES, D_RES) - payment
    # Both beat the uncoordinated outcome (X on the deep pool first, then Y).
    assert x_gain > x_deep
    assert y_gain > amount_out(size, A_RES + size, D_RES - x_deep)


def test_intent_2_without_payers_the_old_route_runs_at_expiry() -> None:
    device = make_device()
    deep, shallow, size, x_deep, _ = reroute_setup(device)
    x = reroute_for_side_payments(
        "xavier",
        "route",
        payers=["yana/share"],
        new_route=[swap_call(shallow, "A", size, 1, "xavier")],
        old_route=[swap_call(deep, "A", size, 1, "xavier")],
        expiry=device.number + 1,
    )
    xd = device.balance("xavier", "D")
    post(device, x)
    device.build_block()
    assert device.balance("xavier", "D") - xd == x_deep


def flash_setup(device: Device, fee: int) -> tuple[Commitment, Commitment, int]:
    cheap = pool(device, "A", "D", A_RES, D_RES)  # 1,000 A/D
    dear = pool(device, "A", "D", 1_100 * D_RES, D_RES)  # 1,100 A/D
    loan = 10_000_000
    d = amount_out(loan, A_RES, D_RES)
    back = amount_out(d, D_RES, 1_100 * D_RES)
    expiry = device.number + 2
    offer = flash_loan_offer(
        "lender", "loan", borrower="borrower/arb", asset="A", amount=loan, fee=fee, expiry=expiry
    )
    use = flash_loan_use(
        "borrower",
        "arb",
        lender="lender/loan",
        asset="A",
        amount=loan,
        fee=fee,
        use=[swap_call(cheap, "A", loan, d, "borrower"), swap_call(dear, "D", d, back, "borrower")],
        expiry=expiry,
    )
    return offer, use, back - loan


def test_intent_3_flash_loan_settles_atomically_with_its_repayment() -> None:
    device = make_device()
    offer, use, gross = flash_setup(device, fee=9_000)
    assert gross > 9_000  # the arbitrage covers the fee
    lender_a = device.balance("lender", "A")
    post(device, offer, use)
    device.build_block()
    (group,) = device.resolutions[-1].groups
    assert group.ok and group.members == ("lender/loan", "borrower/arb")
    assert device.balance("lender", "A") - lender_a == 9_000
    assert device.balance("borrower", "A") == gross - 9_000
    assert device.balance("borrower", "D") == 0


def test_intent_3_an_unprofitable_flash_loan_unwinds_whole() -> None:
    device = make_device()
    loan = 10_000_000
    gross = amount_out(amount_out(loan, A_RES, D_RES), D_RES, 1_100 * D_RES) - loan
    offer2, use2, _ = flash_setup(device, fee=gross + 1)  # one more than the profit
    lender_a = device.balance("lender", "A")
    post(device, offer2, use2)
    before = {(who, a): device.balance(who, a) for who in USERS for a in "AD"}
    device.build_block()
    (group,) = device.resolutions[-1].groups
    assert not group.ok and group.culprit == "borrower/arb"
    assert "InsufficientFunds" in (group.error or "")
    assert device.balance("lender", "A") == lender_a
    assert device.balance("borrower", "A") == 0 and device.balance("borrower", "D") == 0
    assert {(w, a): device.balance(w, a) for w in USERS for a in "AD"} == before


def test_a_pool_price_condition_reads_the_exact_spot_price() -> None:
    device = make_device()
    p = pool(device, "A", "D", A_RES, D_RES)  # spot price of D: exactly 1000 A
    at_most = commitment(
        "alice",
        "cheap",
        expiry=9,
        condition=view(p, "spot_price", "D") <= (1000, 1),
        actions=[transfer("A", "bob", 1)],
    )
    below = commitment(
        "bob",
        "cheaper",
        expiry=9,
        condition=view(p, "spot_price", "D") < (1000, 1),
        actions=[transfer("A", "alice", 1)],
    )
    broken = commitment(
        "xavier",
        "broken",
        expiry=9,
        condition=view(p, "spot_price", "ETH") <= (10**9, 1),  # the view reverts: false
        actions=[transfer("A", "alice", 1)],
    )
    post(device, at_most, below, broken)
    device.build_block()
    assert device.resolutions[-1].fired == ("alice/cheap",)


def test_fires_against_asks_what_a_pending_program_would_do() -> None:
    device = make_device()
    fair = commitment(
        "bob", "pd", expiry=9, counterpart="alice/judge", condition=fires("$cp"), actions=[]
    )
    # Alice pays Bob iff Bob's program would cooperate with CooperateBot (it would:
    # FairBot cooperates with whoever provably cooperates with it).
    judge = commitment(
        "alice",
        "judge",
        expiry=9,
        condition=fires_against("bob/pd", COOPERATEBOT.id),
        actions=[transfer("A", "bob", 5)],
    )
    post(device, fair, judge)
    device.build_block()
    assert set(device.resolutions[-1].fired) == {"alice/judge", "bob/pd"}
    # A judge that also demands Bob's non-cooperation with DefectBot: FairBot would then
    # need a proof of ¬□□⊥, which PA cannot give (Gödel II), so nobody fires.
    device2 = make_device()
    doubter = judge.model_copy(
        update={"condition": ~fires_against("bob/pd", DEFECTBOT.id) & fires("bob/pd")}
    )
    post(device2, fair, doubter)
    device2.build_block()
    assert device2.resolutions[-1].fired == ()
