"""Conditional tokens: payouts by phase, redeeming before settlement refused, foreign
assets refused, the branch not taken burned for nothing."""

from __future__ import annotations

from tests.contracts.test_futarchy import FUNDS, call, deploy, make_device, ok


def test_redeem_by_phase() -> None:
    device = make_device()
    market = deploy(device, window=3)
    ok(call(device, "alice", market, "split", 1_000, value={"USD": 1_000}))
    ok(call(device, "alice", market, "split_branch", "FAIL", 400, value={"P1-FAIL": 400}))
    early = call(device, "alice", market, "redeem", value={"P1-PASS": 10})
    assert not early.ok and "P1-PASS cannot be redeemed before the decision is settled" in (
        early.error or ""
    )
    foreign = call(device, "alice", market, "redeem", value={"ETH": 1})
    assert not foreign.ok and "'ETH' is not a token of this market (prefix 'P1')" in (
        foreign.error or ""
    )
    while device.number < device.view(market, "status")[3]:
        ok(call(device, "carol", market, "split", 1, value={"USD": 1}))
    assert ok(call(device, "carol", market, "decide")) == "FAIL"  # equal TWAPs: not above
    # PASS is the branch not taken: 1,000 PASS burned for nothing
    supply = device.supply("P1-PASS")
    assert ok(call(device, "alice", market, "redeem", value={"P1-PASS": 1_000})) == 0
    assert device.supply("P1-PASS") == supply - 1_000
    # FAIL pays 1 now; FAIL-YES waits for the metric
    assert ok(call(device, "alice", market, "redeem", value={"P1-FAIL": 600})) == 600
    wait = call(device, "alice", market, "redeem", value={"P1-FAIL-YES": 400})
    assert not wait.ok and "before the metric is settled" in (wait.error or "")
    ok(call(device, "jury", market, "report_metric", "no"))
    paid = ok(
        call(device, "alice", market, "redeem", value={"P1-FAIL-YES": 400, "P1-FAIL-NO": 400})
    )
    assert paid == 400
    assert device.balance("alice", "USD") == FUNDS - 1_000 + 600 + 400
    empty = call(device, "alice", market, "redeem")
    assert not empty.ok and "redeem must send this market's tokens" in (empty.error or "")
