"""DurableGoodsSale: posted prices per period, a committed path nobody can change, one
unit per buyer at exactly the current price, and the unsold units back to the seller."""

from __future__ import annotations

from accord.contracts.durable_sale import DurableGoodsSale
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, checks


def make(prices: tuple[int, ...]) -> tuple[Device, str]:
    people = ("seller", "bob", "carol")
    dev = Device(
        DeviceConfig(signatures="mac"),
        Genesis(
            assets={
                "ETH": AssetSpec(issuer="treasury", alloc=dict.fromkeys(people, 10**18)),
                "USD": AssetSpec(issuer="fed", alloc={"bob": 1_000, "carol": 1_000}),
                "GOOD": AssetSpec(issuer="maker", alloc={"seller": 3}),
            }
        ),
        seed=1,
    )
    checks.check_every_block(dev)
    sale = dev.deploy(dev.account("seller"), DurableGoodsSale, "USD", "GOOD", 2, 10, prices)
    assert dev.call(dev.account("seller"), sale, "stock", value={"GOOD": 3}).ok
    return dev, sale


def test_an_uncommitted_seller_posts_each_period_once() -> None:
    dev, sale = make(())  # period 1: blocks 2..11, period 2: blocks 12..21
    seller, bob, carol = dev.account("seller"), dev.account("bob"), dev.account("carol")
    assert dev.view(sale, "quote") == (1, 0)
    r = dev.call(bob, sale, "buy", value={"USD": 400})
    assert not r.ok and "no price" in (r.error or "")
    assert dev.call(seller, sale, "post", 400).ok
    assert not dev.call(seller, sale, "post", 300).ok  # once per period
    assert not dev.call(bob, sale, "buy", value={"USD": 399}).ok  # exactly the price
    assert dev.call(carol, sale, "buy", value={"USD": 400}).result == 400
    while dev.number < 11:
        dev.build_block()
    assert dev.call(seller, sale, "post", 200).ok
    assert dev.view(sale, "quote") == (2, 200)
    assert dev.call(bob, sale, "buy", value={"USD": 200}).result == 200
    assert not dev.call(bob, sale, "buy", value={"USD": 200}).ok  # one unit per buyer
    assert dev.balance("seller", "USD") == 600 and dev.balance("bob", "GOOD") == 1
    while dev.number < 21:
        dev.build_block()
    assert dev.call(seller, sale, "withdraw").result == 1
    assert dev.balance("seller", "GOOD") == 1 and dev.balance(sale, "GOOD") == 0


def test_a_committed_path_cannot_be_changed() -> None:
    dev, sale = make((500, 300))
    r = dev.call(dev.account("seller"), sale, "post", 100)
    assert not r.ok and "committed" in (r.error or "")
    assert dev.view(sale, "path") == (500, 300)
    assert dev.call(dev.account("carol"), sale, "buy", value={"USD": 500}).ok
    assert not dev.call(dev.account("seller"), sale, "withdraw").ok  # still running
