"""Router: exhaustive best-path search with the pools' exact quotes."""

from __future__ import annotations

import pytest

from accord.contracts.router import Router
from accord.device import Device, DeviceError
from accord.mechanisms.cfmm import amount_out
from tests.agents.test_intents import A_RES, D_RES, make_device, pool


def setup() -> tuple[Device, str, str, str, str]:
    device = make_device()
    direct = pool(device, "A", "D", A_RES, D_RES)
    a_b = pool(device, "A", "B", A_RES, A_RES)
    b_d = pool(device, "B", "D", A_RES, 2 * D_RES)
    router = device.deploy(device.account("lp"), Router, direct, a_b, b_d)
    return device, direct, a_b, b_d, router


def test_quote_best_picks_the_two_hop_path_when_it_pays_more() -> None:
    device, _direct, a_b, b_d, router = setup()
    r = device.call(device.account("alice"), router, "quote_best", "A", 500_000, "D")
    via_b = amount_out(amount_out(500_000, A_RES, A_RES), A_RES, 2 * D_RES)
    assert r.ok and r.result == (via_b, (a_b, b_d))


def test_swap_best_delivers_exactly_the_best_quote_or_reverts_whole() -> None:
    device, _direct, _a_b, _b_d, router = setup()
    alice = device.account("alice")
    d0, a0 = device.balance("alice", "D"), device.balance("alice", "A")
    via_b = amount_out(amount_out(500_000, A_RES, A_RES), A_RES, 2 * D_RES)
    r = device.call(
        alice, router, "swap_best", "A", 500_000, "D", via_b, "alice", value={"A": 500_000}
    )
    assert r.ok and r.result == via_b
    assert device.balance("alice", "D") - d0 == via_b
    assert device.balance("alice", "A") == a0 - 500_000
    assert device.balance(router, "B") == 0  # nothing stuck
    r = device.call(
        alice, router, "swap_best", "A", 500_000, "D", 10**9, "alice", value={"A": 500_000}
    )
    assert not r.ok and "slippage" in (r.error or "")
    assert device.balance("alice", "A") == a0 - 500_000


def test_bad_routes_are_refused() -> None:
    device, _direct, _a_b, _b_d, router = setup()
    alice = device.account("alice")
    r = device.call(alice, router, "quote_best", "A", 5, "ETH")
    assert not r.ok and "no path from A to ETH" in (r.error or "")
    r = device.call(alice, router, "quote_best", "A", 0, "D")
    assert not r.ok and "amount_in must be positive" in (r.error or "")
    with pytest.raises(DeviceError, match="Router takes pool addresses"):
        device.deploy(alice, Router)
