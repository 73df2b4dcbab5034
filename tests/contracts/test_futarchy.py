"""DecisionMarket and its conditional tokens on a device: split/merge/redeem conservation,
LMSR trades charged exactly, the TWAP rule by hand, losing-branch trades undone in value,
settlement by a resolver and by the SchellingOracle, and the maker's bound under random
trading."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accord.contracts.conditional_tokens import FAIL, NO, PASS, YES
from accord.contracts.futarchy import DecisionMarket
from accord.contracts.schelling import SchellingOracle
from accord.device import AssetSpec, Device, DeviceConfig, DeviceError, Genesis, Receipt, checks
from accord.mechanisms import lmsr
from accord.mechanisms.commit_reveal import commitment_hash

USERS = ("sponsor", "alice", "bob", "carol", "jury")
FUNDS = 1_000_000
B = 10_000
SUBSIDY = lmsr.subsidy(B, 2)  # 6,932
GAS = 2_000_000


def make_device() -> Device:
    genesis = Genesis(
        assets={
            "ETH": AssetSpec(issuer="eth-issuer", alloc=dict.fromkeys(USERS, 10**18)),
            "USD": AssetSpec(issuer="fed", alloc=dict.fromkeys(USERS, FUNDS)),
        }
    )
    device = Device(DeviceConfig(), genesis, seed=5)
    checks.check_every_block(device)
    return device


def deploy(
    device: Device,
    *,
    delay: int = 0,
    window: int = 10,
    threshold_bps: int = 0,
    oracle: str = "",
    resolver: str = "jury",
    subsidy: int = SUBSIDY,
) -> str:
    return device.deploy(
        device.account("sponsor"),
        DecisionMarket,
        "USD",
        "P1",
        B,
        delay,
        window,
        threshold_bps,
        "Will revenue reach 1M by Q4?",
        oracle,
        resolver,
        value={"USD": subsidy},
    )


def call(device: Device, who: str, market: str, method: str, *args: Any, **kw: Any) -> Receipt:
    kw.setdefault("gas_limit", GAS)
    return device.call(device.account(who), market, method, *args, **kw)


def ok(receipt: Receipt) -> Any:
    assert receipt.ok, receipt.error
    return receipt.result


def backing(device: Device, market: str) -> None:
    """Collateral held == supply(B) + supply(B-YES) − q_YES == … − q_NO, per branch;
    each pool is the contract's ledger balance and covers what it sold."""
    contract = device.contract_at(market)
    assert isinstance(contract, DecisionMarket)
    held = device.balance(market, "USD")
    for branch in (PASS, FAIL):
        q = contract.q[branch]
        split = device.supply(f"P1-{branch}-YES") - q[0]
        assert split == device.supply(f"P1-{branch}-NO") - q[1]
        if not contract.closed:
            assert device.balance(market, f"P1-{branch}") == contract.pool[branch]
            assert contract.pool[branch] >= max(q)
        if not contract.decision:
            assert held == device.supply(f"P1-{branch}") + split


def test_deploy_opens_both_markets_at_half() -> None:
    device = make_device()
    market = deploy(device)
    assert SUBSIDY == math.ceil(B * math.log(2)) == 6_932
    assert device.balance(market, "USD") == SUBSIDY
    assert device.balance(market, "P1-PASS") == device.balance(market, "P1-FAIL") == SUBSIDY
    assert device.view(market, "price", PASS) == device.view(market, "price", FAIL) == 500_000_000
    backing(device, market)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"subsidy": SUBSIDY - 1}, "subsidy of at least ceil"),
        ({"oracle": "0xabc"}, "exactly one of oracle and resolver"),
        ({"resolver": ""}, "exactly one of oracle and resolver"),
        ({"window": 0}, "window_blocks must be a positive int"),
        ({"threshold_bps": 10_001}, "threshold_bps must be an int in"),
    ],
)
def test_bad_deploys_revert_and_name_the_problem(kwargs: dict[str, Any], message: str) -> None:
    device = make_device()
    with pytest.raises(DeviceError, match=message):
        deploy(device, **kwargs)
    assert device.balance("sponsor", "USD") == FUNDS


def test_split_merge_and_branch_split_conserve() -> None:
    device = make_device()
    market = deploy(device)
    ok(call(device, "alice", market, "split", 500, value={"USD": 500}))
    assert device.balance("alice", "P1-PASS") == device.balance("alice", "P1-FAIL") == 500
    assert device.balance("alice", "USD") == FUNDS - 500
    ok(call(device, "alice", market, "split_branch", PASS, 200, value={"P1-PASS": 200}))
    assert device.balance("alice", "P1-PASS") == 300
    assert device.balance("alice", "P1-PASS-YES") == device.balance("alice", "P1-PASS-NO") == 200
    backing(device, market)
    ok(
        call(
            device,
            "alice",
            market,
            "merge_branch",
            PASS,
            50,
            value={"P1-PASS-YES": 50, "P1-PASS-NO": 50},
        )
    )
    ok(call(device, "alice", market, "merge", 350, value={"P1-PASS": 350, "P1-FAIL": 350}))
    assert device.balance("alice", "USD") == FUNDS - 150
    assert device.balance("alice", "P1-FAIL") == 150
    backing(device, market)
    bad = call(device, "alice", market, "merge", 10, value={"P1-FAIL": 10})
    assert not bad.ok and "merge must send exactly" in (bad.error or "")
    bad = call(device, "alice", market, "split", 10, value={"USD": 9})
    assert not bad.ok and "split must send exactly {'USD': 10}" in (bad.error or "")
    bad = call(device, "alice", market, "split_branch", "MAYBE", 1, value={"P1-FAIL": 1})
    assert not bad.ok and "branch must be one of" in (bad.error or "")


def test_buy_and_sell_charge_the_exact_ceiling() -> None:
    device = make_device()
    market = deploy(device)
    ok(call(device, "alice", market, "split", 10_000, value={"USD": 10_000}))
    expected = lmsr.charge((0, 0), (5_000, 0), B)
    assert expected == math.ceil(B * math.log((math.exp(0.5) + 1) / 2))  # 2,810
    cost = ok(
        call(device, "alice", market, "buy", PASS, YES, 5_000, 3_000, value={"P1-PASS": 4_000})
    )
    assert cost == expected == 2_810
    assert device.balance("alice", "P1-PASS") == 10_000 - 2_810  # 4,000 sent, 1,190 back
    assert device.balance("alice", "P1-PASS-YES") == 5_000
    assert device.view(market, "shares", PASS) == (5_000, 0)
    assert device.view(market, "price", PASS) == lmsr.price_ppb((5_000, 0), B, 0) == 622_459_331
    too_dear = call(device, "alice", market, "buy", PASS, YES, 5_000, 100, value={"P1-PASS": 100})
    assert not too_dear.ok and "above the limit 100" in (too_dear.error or "")
    proceeds = ok(call(device, "alice", market, "sell", PASS, YES, 0, value={"P1-PASS-YES": 2_000}))
    assert proceeds == -lmsr.charge((5_000, 0), (-2_000, 0), B)
    assert device.balance("alice", "P1-PASS") == 10_000 - 2_810 + proceeds
    backing(device, market)


def test_buy_to_price_is_a_limit_order() -> None:
    device = make_device()
    market = deploy(device)
    ok(call(device, "bob", market, "split", 20_000, value={"USD": 20_000}))
    shares, cost = ok(
        call(
            device,
            "bob",
            market,
            "buy_to_price",
            FAIL,
            NO,
            700_000_000,
            20_000,
            value={"P1-FAIL": 20_000},
        )
    )
    # NO to 0.7: x = b ln(0.7/0.3) = 8,472.98… shares, floored
    assert shares == math.floor(B * math.log(7 / 3)) == 8_472
    assert cost == lmsr.charge((0, 0), (0, 8_472), B)
    assert device.view(market, "price", FAIL) == pytest.approx(300_000_000, abs=30_000)
    # the budget binds: 1,000 buys what 1,000 buys and no more
    shares2, cost2 = ok(
        call(
            device,
            "bob",
            market,
            "buy_to_price",
            FAIL,
            NO,
            990_000_000,
            1_000,
            value={"P1-FAIL": 5_000},
        )
    )
    assert cost2 <= 1_000 < lmsr.charge((0, 8_472), (0, shares2 + 1), B)
    assert device.balance("bob", "P1-FAIL") == 20_000 - cost - cost2
    # already past the target: nothing bought, everything refunded
    assert ok(
        call(
            device, "bob", market, "buy_to_price", FAIL, NO, 600_000_000, 50, value={"P1-FAIL": 50}
        )
    ) == (0, 0)
    assert device.balance("bob", "P1-FAIL") == 20_000 - cost - cost2
    backing(device, market)


def test_twap_and_decision_by_hand() -> None:
    """Window = blocks [start, start + 10). PASS's price stands at p₁ for 6 window blocks
    and at 0.5 for the 4 before; FAIL stays at 0.5. With a 10 % threshold the rule is
    TWAP(PASS) · 10⁴ > TWAP(FAIL) · 11,000."""
    device = make_device()
    market = deploy(device, delay=3, window=10, threshold_bps=1_000)
    deployed = device.number
    start = deployed + 3
    ok(call(device, "alice", market, "split", 50_000, value={"USD": 50_000}))  # block d+1
    while device.number < start + 3:
        ok(call(device, "carol", market, "split", 1, value={"USD": 1}))
    # this trade lands in block start + 4: price 0.5 counted for blocks start..start+3
    ok(call(device, "alice", market, "buy", PASS, YES, 3_000, 50_000, value={"P1-PASS": 50_000}))
    assert device.number == start + 4
    p1 = lmsr.price_ppb((3_000, 0), B, 0)
    while device.number < start + 10:
        ok(call(device, "carol", market, "split", 1, value={"USD": 1}))
    early = call(device, "carol", market, "buy", PASS, YES, 1, 10, value={"P1-PASS": 1})
    assert not early.ok and "trading closed" in (early.error or "")
    expected = (4 * 500_000_000 + 6 * p1) // 10
    assert device.view(market, "twap", PASS) == expected
    decision = ok(call(device, "carol", market, "decide"))
    # 0.5 + 0.6 (p1 − 0.5) = 0.5447 > 0.5 · 1.1 = 0.55? No: FAIL.
    assert expected * 10_000 <= 500_000_000 * 11_000
    assert decision == FAIL
    again = call(device, "carol", market, "decide")
    assert not again.ok and "already decided: FAIL" in (again.error or "")


def test_decision_passes_without_threshold_and_pays_out_exactly() -> None:
    """Full life: trade in both branches, decide PASS, the jury reports the metric,
    everyone redeems, the sponsor closes. The FAIL market's trades are undone in value:
    each trader's collateral moves by its PASS-market P&L alone."""
    device = make_device()
    market = deploy(device, window=8)
    for who in ("alice", "bob"):
        ok(call(device, who, market, "split", 30_000, value={"USD": 30_000}))
    c1 = ok(
        call(device, "alice", market, "buy", PASS, YES, 9_000, 30_000, value={"P1-PASS": 30_000})
    )
    c2 = ok(call(device, "bob", market, "buy", PASS, NO, 2_000, 30_000, value={"P1-PASS": 30_000}))
    ok(call(device, "bob", market, "buy", FAIL, YES, 12_000, 30_000, value={"P1-FAIL": 30_000}))
    ok(call(device, "alice", market, "buy", FAIL, NO, 1_000, 30_000, value={"P1-FAIL": 30_000}))
    while device.number < device.view(market, "status")[3]:
        ok(call(device, "carol", market, "split", 1, value={"USD": 1}))
    assert ok(call(device, "carol", market, "decide")) == PASS
    early = call(device, "alice", market, "redeem", value={"P1-PASS-YES": 9_000})
    assert not early.ok and "before the metric is settled" in (early.error or "")
    not_jury = call(device, "alice", market, "report_metric", "yes")
    assert not not_jury.ok and "only the resolver jury" in (not_jury.error or "")
    assert ok(call(device, "jury", market, "report_metric", "yes")) == YES
    for who in ("alice", "bob"):
        value = {
            t: device.balance(who, t)
            for t in (
                "P1-PASS",
                "P1-FAIL",
                "P1-PASS-YES",
                "P1-PASS-NO",
                "P1-FAIL-YES",
                "P1-FAIL-NO",
            )
            if device.balance(who, t)
        }
        ok(call(device, who, market, "redeem", value=value))
    assert device.balance("alice", "USD") == FUNDS - c1 + 9_000
    assert device.balance("bob", "USD") == FUNDS - c2
    refund = ok(call(device, "carol", market, "close"))
    q_yes = 9_000
    assert refund == SUBSIDY + c1 + c2 - q_yes
    assert device.balance("sponsor", "USD") == FUNDS - SUBSIDY + refund
    carol_split = device.balance("carol", "P1-PASS")
    assert device.balance(market, "USD") == carol_split  # only carol's unredeemed PASS is left
    assert sum(device.balance(u, "USD") for u in USERS) + carol_split == len(USERS) * FUNDS


def test_metric_settled_by_the_schelling_oracle() -> None:
    device = make_device()
    voters = ("alice", "bob", "carol")
    oracle = device.deploy(
        device.account("jury"), SchellingOracle, "USD", "jury", 100, 10, 1_000, 2_000, 6, 4
    )
    market = deploy(device, window=4, oracle=oracle, resolver="")
    ok(call(device, "alice", market, "split", 5_000, value={"USD": 5_000}))
    ok(call(device, "alice", market, "buy", FAIL, YES, 4_000, 5_000, value={"P1-FAIL": 5_000}))
    while device.number < device.view(market, "status")[3]:
        ok(call(device, "carol", market, "split", 1, value={"USD": 1}))
    assert ok(call(device, "carol", market, "decide")) == FAIL
    qid = device.contract_at(market).storage()["question_id"]
    text = device.view(oracle, "question", qid)[0]
    assert text == "Will revenue reach 1M by Q4? (decision: FAIL)"
    pending = call(device, "carol", market, "settle_metric")
    assert not pending.ok and f"oracle question {qid} has no answer yet (status open)" in (
        pending.error or ""
    )
    salt = b"a salt of 16+ bytes"
    for v in voters:
        ok(call(device, v, oracle, "commit", qid, commitment_hash("no", salt, v), 100))
    while device.view(oracle, "question", qid)[3] >= device.number:
        ok(call(device, "carol", market, "split", 1, value={"USD": 1}))
    for v in voters:
        ok(call(device, v, oracle, "reveal", qid, "no", salt))
    while device.view(oracle, "question", qid)[4] >= device.number:
        ok(call(device, "carol", market, "split", 1, value={"USD": 1}))
    assert ok(call(device, "carol", oracle, "resolve", qid)) == "no"
    assert ok(call(device, "carol", market, "settle_metric")) == NO
    # alice bought FAIL-YES and the metric is NO: her 5,000 FAIL − cost and YES pay 0
    paid = ok(
        call(
            device,
            "alice",
            market,
            "redeem",
            value={"P1-FAIL": device.balance("alice", "P1-FAIL"), "P1-FAIL-YES": 4_000},
        )
    )
    cost = lmsr.charge((0, 0), (4_000, 0), B)
    assert paid == 5_000 - cost
    assert ok(call(device, "carol", market, "close")) == SUBSIDY + cost  # q_NO = 0


trade = st.tuples(
    st.sampled_from(["alice", "bob"]),
    st.sampled_from([PASS, FAIL]),
    st.sampled_from([YES, NO]),
    st.integers(-15_000, 40_000),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trades=st.lists(trade, min_size=1, max_size=12), metric=st.sampled_from(["yes", "no"]))
def test_random_trading_settles_exactly(
    trades: list[tuple[str, str, str, int]], metric: str
) -> None:
    """Any trades: the backing holds after each, and after settlement every holder is
    paid and the sponsor refunded out of exactly the collateral held (nothing short,
    nothing stranded), and the sponsor never loses more than ⌈b ln 2⌉."""
    device = make_device()
    market = deploy(device, window=len(trades) + 3)
    for who in ("alice", "bob"):
        ok(call(device, who, market, "split", 200_000, value={"USD": 200_000}))
    for who, branch, outcome, shares in trades:
        if shares > 0:
            r = call(
                device,
                who,
                market,
                "buy",
                branch,
                outcome,
                shares,
                10**9,
                value={f"P1-{branch}": device.balance(who, f"P1-{branch}")},
            )
        else:
            have = device.balance(who, f"P1-{branch}-{outcome}")
            if not have:
                continue
            r = call(
                device,
                who,
                market,
                "sell",
                branch,
                outcome,
                0,
                value={f"P1-{branch}-{outcome}": min(have, -shares or 1)},
            )
        ok(r)
        backing(device, market)
    while device.number < device.view(market, "status")[3]:
        ok(call(device, "carol", market, "split", 1, value={"USD": 1}))
    ok(call(device, "carol", market, "decide"))
    ok(call(device, "jury", market, "report_metric", metric))
    for who in ("alice", "bob", "carol"):
        value = {
            f"P1-{b}{s}": device.balance(who, f"P1-{b}{s}")
            for b in (PASS, FAIL)
            for s in ("", "-YES", "-NO")
            if device.balance(who, f"P1-{b}{s}")
        }
        if value:
            ok(call(device, who, market, "redeem", value=value))
    refund = ok(call(device, "carol", market, "close"))
    assert refund >= 0
    assert device.balance(market, "USD") == 0
    assert device.balance("sponsor", "USD") >= FUNDS - SUBSIDY
    assert sum(device.balance(u, "USD") for u in USERS) == len(USERS) * FUNDS


hostile = st.one_of(
    st.sampled_from([5_000, 300_000_000, 600_000_000, 999_999_999]),  # valid: trades happen
    st.sampled_from([0, 1, -1, 2, 10**9, 10**9 - 1, 10**40, -(10**40), True, None]),
    st.sampled_from([0.5, float("nan"), float("inf"), "1", b"1", [1], (1,), {"a": 1}]),
    st.integers(),
)
outcomes = st.sampled_from([YES, NO, "MAYBE", "", 0, None, [YES], YES.lower()])
branches = st.sampled_from([PASS, FAIL, "P1", 1, None])


def token_balances(device: Device, market: str) -> dict[tuple[str, str], int]:
    tokens = ["USD"] + [f"P1-{b}{s}" for b in (PASS, FAIL) for s in ("", "-YES", "-NO")]
    return {(w, t): device.balance(w, t) for w in (*USERS, market) for t in tokens}


valid_call = st.tuples(
    st.sampled_from(["buy_to_price", "buy"]),
    st.sampled_from([PASS, FAIL]),
    st.sampled_from([YES, NO]),
    st.integers(1, 10**9 - 1),
    st.integers(0, 10**6),
    st.sampled_from([1, 500, 30_000, 10**5]),
)
hostile_call = st.tuples(
    st.sampled_from(["buy_to_price", "buy", "quote"]),
    branches,
    outcomes,
    hostile,
    hostile,
    st.sampled_from([0, 1, 500, 30_000, 10**12]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calls=st.lists(st.one_of(valid_call, hostile_call), min_size=1, max_size=6))
def test_hostile_orders_settle_exactly_or_change_nothing(
    calls: list[tuple[str, Any, Any, Any, Any, int]],
) -> None:
    """Hostile limits, budgets, share counts, branches and outcomes (0, 1, huge, negative,
    float, NaN, wrong type, wrong outcome): each call either trades at the exact integer
    charge or reverts changing no token balance; the backing and the collateral's
    conservation hold after every call, and a limit order never buys past its limit."""
    device = make_device()
    market = deploy(device, window=50)
    ok(call(device, "alice", market, "split", 200_000, value={"USD": 200_000}))
    total_usd = sum(device.balance(u, "USD") for u in (*USERS, market))
    traded = 0
    for method, branch, outcome, first, second, paid in calls:
        value = {f"P1-{branch}": paid} if branch in (PASS, FAIL) and paid else {}
        before = token_balances(device, market)
        q_before = {br: device.view(market, "shares", br) for br in (PASS, FAIL)}
        try:
            receipt = call(
                device, "alice", market, method, branch, outcome, first, second, value=value
            )
        except DeviceError:  # refused at signing or admission (floats, lists, dicts …)
            assert token_balances(device, market) == before
            continue
        after = token_balances(device, market)
        if not receipt.ok or method == "quote":
            assert after == before, receipt.error
        else:
            q = q_before[branch]
            i = 0 if outcome == YES else 1
            if method == "buy_to_price":
                shares, cost = receipt.result
                assert 0 < first < 10**9 and type(first) is int
                if shares:
                    delta = (shares, 0) if i == 0 else (0, shares)
                    assert cost == lmsr.charge(q, delta, B) <= min(paid, second)
                    new_q = (q[0] + delta[0], q[1] + delta[1])
                    assert lmsr.price_at_most(new_q, B, i, first)
            else:
                delta = (first, 0) if i == 0 else (0, first)
                assert receipt.result == lmsr.charge(q, delta, B) <= min(paid, second)
            traded += 1
            spent = before[("alice", f"P1-{branch}")] - after[("alice", f"P1-{branch}")]
            assert spent == (receipt.result[1] if method == "buy_to_price" else receipt.result)
        assert all(type(v) is int and v >= 0 for v in after.values())
        assert sum(device.balance(u, "USD") for u in (*USERS, market)) == total_usd
        backing(device, market)
    event(f"trades: {min(traded, 2)}")


def test_limit_order_bisection_is_charged_as_gas() -> None:
    """A huge budget sizes in a bounded number of evaluations, each charged: the gas used
    grows with the budget's bit length, and a gas limit below it reverts the order."""
    device = make_device()
    market = deploy(device)
    ok(call(device, "alice", market, "split", 500_000, value={"USD": 500_000}))
    small = call(
        device, "alice", market, "buy_to_price", PASS, YES, 600_000_000, 10, value={"P1-PASS": 10}
    )
    big = call(
        device,
        "alice",
        market,
        "buy_to_price",
        PASS,
        YES,
        600_000_000,
        400_000,
        value={"P1-PASS": 400_000},
    )
    assert ok(small)[0] > 0 and ok(big)[0] > 0
    steps_small = lmsr.buy_steps((0, 0), B, 0, 10)
    steps_big = lmsr.buy_steps(device.view(market, "shares", PASS), B, 0, 400_000)
    assert big.gas_used - small.gas_used >= 20_000 * (steps_big - steps_small) - 20_000
    before = token_balances(device, market)
    starved = call(device, "bob", market, "split", 1, value={"USD": 1})
    assert starved.ok
    poor = call(
        device,
        "alice",
        market,
        "buy_to_price",
        PASS,
        YES,
        900_000_000,
        10_000,
        value={"P1-PASS": 10_000},
        gas_limit=100_000,
    )
    assert not poor.ok and "gas" in (poor.error or "").lower()
    assert token_balances(device, market)[("alice", "P1-PASS")] == before[("alice", "P1-PASS")]


# -- docs/contracts/futarchy.md ---------------------------------------------------------------
def test_doc_example_prints_what_the_page_says(capsys: pytest.CaptureFixture[str]) -> None:
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parents[2] / "docs" / "contracts" / "futarchy.md"
    found = re.search(
        r"^```python\n(.*?)^```\n.*?^```text\n(.*?)^```",
        page.read_text(),
        flags=re.DOTALL | re.MULTILINE,
    )
    assert found, "no ```python block followed by ```text"
    exec(compile(found.group(1), str(page), "exec"), {"__name__": "docs_futarchy"})
    assert capsys.readouterr().out == found.group(2)


def test_doc_page_names_every_public_method() -> None:
    from pathlib import Path

    from accord.contracts.futarchy import DecisionMarket as Documented

    text = (Path(__file__).resolve().parents[2] / "docs" / "contracts" / "futarchy.md").read_text()
    missing = sorted(m for m in Documented._public if f"`{m}(" not in text)
    assert not missing, f"docs/contracts/futarchy.md does not document {missing}"
