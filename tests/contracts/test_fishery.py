"""The Fishery contract: GovSim's dynamics on the device, in the device's order."""

from __future__ import annotations

from accord.contracts.fishery import Fishery
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, checks
from accord.mechanisms import commons as M

FISHERS = tuple(f"fisher_{i}" for i in range(5))
ETH = 10**18


def lake(ordering: str = "priority", **kw: object) -> tuple[Device, str]:
    accounts = (*FISHERS, "referee", "outsider", "builder")
    genesis = Genesis(
        assets={"ETH": AssetSpec(issuer="treasury", alloc=dict.fromkeys(accounts, ETH))}
    )
    device = Device(DeviceConfig(ordering=ordering), genesis, seed=3)  # type: ignore[arg-type]
    checks.check_every_block(device)
    args = dict(capacity=100, initial=100, growth=2, collapse_below=5, rounds=12)
    args.update(kw)  # type: ignore[arg-type]
    address = device.deploy(
        device.account("referee"),
        Fishery,
        "FISH",
        FISHERS,
        args["capacity"],
        args["initial"],
        args["growth"],
        args["collapse_below"],
        args["rounds"],
        1,
        int(args.get("endowment", 0)),  # type: ignore[call-overload]
        bool(args.get("open_access", False)),
    )
    return device, address


def harvest_all(
    device: Device, address: str, round: int, asks: list[int], tips: list[int] | None = None
) -> list[int]:
    hashes = []
    for k, (who, ask) in enumerate(zip(FISHERS, asks, strict=True)):
        tip = tips[k] if tips else 0
        tx = device.sign(
            device.account(who),
            address,
            "harvest",
            round,
            ask,
            gas_limit=250_000,
            priority_fee=tip,
            max_fee=device.default_max_fee(tip),
        )
        hashes.append(device.submit(tx))
    block = device.build_block()
    by = {r.tx_hash: r for r in block.receipts}
    return [by[h].result if by[h].ok else -1 for h in hashes]  # type: ignore[misc]


def close(device: Device, address: str, round: int) -> tuple[int, bool]:
    receipt = device.call(
        device.account("referee"), address, "close_round", round, gas_limit=1_000_000
    )
    assert receipt.ok, receipt.error
    return receipt.result  # type: ignore[return-value]


def test_sustainable_season_keeps_the_lake_full() -> None:
    device, address = lake()
    assert device.view(address, "status") == (1, 100, 10, False, False, 1)
    for r in range(1, 13):
        assert harvest_all(device, address, r, [10] * 5) == [10] * 5
        stock, down = close(device, address, r)
        assert (stock, down) == (100, False)
    status = device.view(address, "status")
    assert status[4] is True  # finished after round 12
    assert [device.balance(f, "FISH") for f in FISHERS] == [120] * 5
    # supply = what the lake holds + what was caught: regrowth was minted, nothing else
    assert device.supply("FISH") == 100 + 600
    assert device.view(address, "catches", 12) == (10,) * 5


def test_greedy_round_collapses_in_the_ordering_rule() -> None:
    device, address = lake("priority")
    # priority ordering: the highest tip is served first and takes the whole lake
    got = harvest_all(device, address, 1, [100] * 5, tips=[0, 0, 7, 0, 0])
    assert got == [0, 0, 100, 0, 0]
    assert close(device, address, 1) == (0, True)
    status = device.view(address, "status")
    assert status[3] is True
    # nothing more can be caught, and the round cannot close again
    tx = device.sign(device.account("fisher_0"), address, "harvest", 2, 1, gas_limit=250_000)
    assert "collapsed" in (device.execute(tx).error or "")


def test_batch_ordering_serves_pro_rata() -> None:
    device, address = lake("batch")
    got = harvest_all(device, address, 1, [100, 50, 30, 20, 7])
    assert got == list(M.pro_rata(100, [100, 50, 30, 20, 7])) == [48, 24, 15, 10, 3]


def test_regrowth_and_threshold_follow_the_mechanism() -> None:
    device, address = lake()
    harvest_all(device, address, 1, [14, 14, 14, 14, 14])  # 70 caught, 30 left
    assert close(device, address, 1) == (60, False)
    assert device.view(address, "status")[:3] == (2, 60, M.threshold(M.GOVSIM, 60))


def test_phases_licence_and_one_harvest_per_round() -> None:
    device, address = lake()
    ref = device.account("referee")
    # the close waits for the harvest block
    assert "can close from block" in (device.call(ref, address, "close_round", 1).error or "")
    out = device.account("outsider")
    assert "no licence" in (device.call(out, address, "harvest", 1, 5).error or "")
    me = device.account("fisher_0")
    assert device.call(me, address, "harvest", 1, 5, gas_limit=250_000).ok
    assert "already harvested" in (
        device.call(me, address, "harvest", 1, 5, gas_limit=250_000).error or ""
    )
    assert "open round 1" in (
        device.call(me, address, "harvest", 2, 5, gas_limit=250_000).error or ""
    )
    close(device, address, 1)
    # a stale harvest for the closed round reverts: it cannot land in round 2
    assert "open round 2" in (
        device.call(me, address, "harvest", 1, 5, gas_limit=250_000).error or ""
    )


def test_open_access_lets_an_outsider_fish_and_endowment_is_minted() -> None:
    device, address = lake(open_access=True, endowment=300)
    assert device.balance("fisher_3", "FISH") == 300
    out = device.account("outsider")
    receipt = device.call(out, address, "harvest", 1, 500, gas_limit=250_000)
    assert receipt.ok and receipt.result == 100  # more than the stock: it gets the stock
    assert device.view(address, "catch_of", 1, "outsider") == 100
    assert device.view(address, "catches", 1) == (0,) * 5  # the licensed fishers' record
