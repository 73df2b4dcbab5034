"""Extortion: each outcome's payouts from the pot, and the pledge's two effects (no threat
accepted after it; no payment to a threat standing before it)."""

from __future__ import annotations

from accord.contracts.extortion import Extortion
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, checks

W, H, C = 1_000, 800, 300


def make() -> tuple[Device, str, int]:
    people = ("sponsor", "bob", "carol")
    dev = Device(
        DeviceConfig(signatures="mac"),
        Genesis(
            assets={
                "ETH": AssetSpec(issuer="treasury", alloc=dict.fromkeys(people, 10**18)),
                "USD": AssetSpec(issuer="fed", alloc={"sponsor": 10 * W}),
            }
        ),
        seed=1,
    )
    checks.check_every_block(dev)
    now = dev.number + 1
    game = dev.deploy(
        dev.account("sponsor"), Extortion, "USD", "bob", "carol", W, H, C, now + 3, now + 5
    )
    assert dev.call(dev.account("sponsor"), game, "fund", value={"USD": 2 * W}).ok
    return dev, game, now + 5


def settle(dev: Device, game: str, pay_end: int) -> tuple[int, int]:
    while dev.number <= pay_end:
        dev.build_block()
    r = dev.call(dev.account("sponsor"), game, "settle")
    assert r.ok, r.error
    assert dev.balance(game, "USD") == 0
    assert (
        dev.balance("bob", "USD") + dev.balance("carol", "USD") + dev.balance("sponsor", "USD")
        == 10 * W
    )
    return tuple(r.result)  # type: ignore[return-value]


def test_no_threat_pays_each_its_wealth() -> None:
    dev, game, end = make()
    assert settle(dev, game, end) == (W, W)


def test_a_paid_threat_moves_the_demand() -> None:
    dev, game, end = make()
    assert dev.call(dev.account("bob"), game, "threaten", H - 1).ok
    assert dev.call(dev.account("carol"), game, "pay").ok
    assert settle(dev, game, end) == (W + H - 1, W - H + 1)


def test_a_refused_threat_is_carried_out() -> None:
    dev, game, end = make()
    assert dev.call(dev.account("bob"), game, "threaten", 500).ok
    assert settle(dev, game, end) == (W - C, W - H)
    assert dev.balance("sponsor", "USD") == 8 * W + C + H


def test_a_pledge_refuses_later_threats_and_payments_to_earlier_ones() -> None:
    dev, game, end = make()
    assert dev.call(dev.account("carol"), game, "pledge").ok
    r = dev.call(dev.account("bob"), game, "threaten", 500)
    assert not r.ok and "pledged" in (r.error or "")
    assert settle(dev, game, end) == (W, W)
    dev, game, end = make()
    assert dev.call(dev.account("bob"), game, "threaten", 500).ok
    assert dev.call(dev.account("carol"), game, "pledge").ok
    r = dev.call(dev.account("carol"), game, "pay")
    assert not r.ok and "never to yield" in (r.error or "")
    assert settle(dev, game, end) == (W - C, W - H)
