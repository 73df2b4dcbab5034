"""The contracting driver: what envs call each step, with the inputs envs really pass
(numpy integers) and the ones they must not (floats, bools, wrong lengths)."""

from __future__ import annotations

import numpy as np
import pytest

from accord.device import AssetSpec, Device, DeviceConfig, Genesis
from accord.games.contracting import Contracting, ContractingError, settle_gas_limit
from accord.mechanisms.contracting import cleanup_space, harvest_space, matrix_space

P = ("p0", "p1", "p2")
REF = "referee"


def make_device(seed: int = 0) -> Device:
    genesis = Genesis(
        assets={
            "ETH": AssetSpec(issuer="treasury", alloc=dict.fromkeys((*P, REF), 10**18)),
            "USD": AssetSpec(issuer="fed", alloc=dict.fromkeys(P, 1_000)),
        }
    )
    return Device(DeviceConfig(signatures="mac", fee_market="first_price"), genesis, seed=seed)


def active(driver: Contracting, space: object, params: tuple[int, ...], **kw: object) -> int:
    cid = driver.propose("p0", P, space, params, asset="USD", observer=REF, **kw)  # type: ignore[arg-type]
    for who in P[1:]:
        if driver.status(cid) == "proposed":
            driver.respond(who, cid, True)
    assert driver.status(cid) == "active"
    return cid


def test_numpy_features_are_ints_and_floats_are_refused() -> None:
    driver = Contracting.on(make_device(), REF)
    cid = active(driver, harvest_space(5, 10), (0, 4), deposits=100, end=50)
    s = driver.settle(REF, cid, np.int64(0), np.array([2, 0, 0], dtype=np.int64))  # type: ignore[arg-type]
    assert s.transfers == (-8, 4, 4)
    for bad in ((0.0, 1, 0), (True, 0, 0), (0, 1), ("1", 0, 0), (np.float32(1), 0, 0)):
        with pytest.raises(ContractingError):
            driver.settle(REF, cid, 1, bad, skip_idle=False)
    with pytest.raises(ContractingError, match="feature of party 0"):
        driver.settle(REF, cid, 1, (11, 0, 0))  # caught off-device by skip_idle's check
    assert driver.transferred(cid) == (-8, 4, 4)


def test_settle_tx_shares_a_block_with_other_transactions() -> None:
    device = make_device()
    driver = Contracting.on(device, REF)
    cid = active(driver, cleanup_space(5, 10), (2,), deposits=100, end=50)
    number = device.number
    tx = driver.settle_tx(REF, cid, 0, (0, 0, 3))
    device.submit(tx)
    other = device.sign(device.account("p1"), "p2", value={"USD": 5})
    device.submit(other)
    device.build_block()
    assert device.number == number + 1
    s = Contracting.settled(device.receipt(tx.hash))
    assert s.transfers == (-3, -3, 6) and s.gas_used <= settle_gas_limit(3)
    assert device.balance("p2", "USD") == 1_000 - 100 + 6 + 5


def test_skip_idle_never_skips_a_fee_or_the_last_step() -> None:
    device = make_device()
    driver = Contracting.on(device, REF)
    cid = active(driver, matrix_space(9), (3,), deposits=50, end=2, fee_payer="p0", keeper_fee=1)
    assert driver.settle(REF, cid, 0, (0, 0, 0)).fees == (1, 0, 0)
    assert driver.settle(REF, cid, 1, (0, 0, 0)).gas_used > 0
    last = driver.settle(REF, cid, 2, (0, 0, 0))
    assert last.status == "ended" and last.gas_used > 0
    assert device.balance(REF, "USD") == 3
    assert device.balance("p0", "USD") == 1_000 - 3


def test_another_driver_instance_reads_the_terms_from_the_device() -> None:
    device = make_device()
    driver = Contracting.on(device, REF)
    cid = active(driver, matrix_space(9), (3,), deposits=50, end=20)
    fresh = Contracting(device, driver.address)  # knows nothing of cid yet
    assert fresh.settle(REF, cid, 0, (0, 0, 0)).gas_used == 0  # idle: skipped
    assert fresh.settle(REF, cid, 1, (0, 1, 0)).transfers == (2, -3, 1)
    assert fresh.close(REF, cid) == "ended"
    # once it has seen the end, the driver moves nothing and reports the final status
    assert fresh.settle(REF, cid, 2, (0, 1, 0)) == ((0, 0, 0), (0, 0, 0), "ended", 0, 0)
    # a driver that has not seen it asks the device, which refuses
    with pytest.raises(ContractingError, match="ended: nothing to settle"):
        Contracting(device, driver.address).settle(REF, cid, 2, (0, 1, 0))


def test_runs_are_deterministic_per_seed_and_steps_after_exhaustion_move_nothing() -> None:
    def episode(seed: int) -> tuple[bytes, tuple[int, ...], list[str]]:
        device = make_device(seed)
        driver = Contracting.on(device, REF)
        cid = active(driver, matrix_space(9), (5,), deposits=40, end=30)
        rng = np.random.default_rng(seed)
        statuses = []
        for step in range(30):
            statuses.append(driver.settle(REF, cid, step, tuple(rng.integers(0, 2, 3))).status)
        return device.state_hash(), driver.state(cid)[3], statuses

    first = episode(4)
    assert first == episode(4)
    assert first[0] != episode(5)[0]
    statuses = first[2]
    k = statuses.index("exhausted")  # 40 covers 8 defections of 5: someone ran out
    assert set(statuses[:k]) == {"active"} and set(statuses[k:]) == {"exhausted"}
    assert sum(first[1]) == 0
