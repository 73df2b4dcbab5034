"""The contracting driver: what envs call each step, with the inputs envs really pass
(numpy integers) and the ones they must not (floats, bools, wrong lengths)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.device import AssetSpec, Device, DeviceConfig, Genesis
from accord.games.contracting import Contracting, ContractingError, settle_gas_limit
from accord.mechanisms.contracting import (
    ContractSpace,
    cleanup_space,
    harvest_space,
    matrix_space,
)

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


@settings(max_examples=30, deadline=None)
@given(
    st.sampled_from((matrix_space(9), harvest_space(5, 3), cleanup_space(4, 3))),
    st.lists(st.lists(st.integers(0, 3), min_size=3, max_size=3), min_size=1, max_size=40),
    st.integers(20, 200),
    st.integers(1, 9),
    st.sampled_from(("", "*")),
)
def test_deferred_settlement_moves_what_step_by_step_settlement_moves(
    space: ContractSpace,
    rows: list[list[int]],
    deposit: int,
    batch: int,
    fee_payer: str,
) -> None:
    rows = [[min(x, space.feature_max) for x in row] for row in rows]
    params = tuple(p.high for p in space.params)
    fee = 1 if fee_payer else 0
    outcomes = []
    for deferred in (False, True):
        device = make_device()
        driver = Contracting.on(device, REF)
        cid = active(
            driver,
            space,
            params,
            deposits=deposit,
            end=len(rows) + 5,
            fee_payer=fee_payer,
            keeper_fee=fee,
        )
        blocks = device.number
        got = []
        if deferred:
            d = driver.deferred(REF, cid, batch=batch)
            got = [d.settle(t, row)[:3] for t, row in enumerate(rows)]
            final = d.close()
            assert d.batches <= -(-len(rows) // batch) + 1
            assert device.number - blocks <= d.batches + 1
        else:
            got = [driver.settle(REF, cid, t, row)[:3] for t, row in enumerate(rows)]
            final = driver.close(REF, cid) if driver.is_open(cid) else driver.status(cid)
        usd = {a: device.balance(a, "USD") for a in (*P, REF)}
        outcomes.append((got, final, usd, driver.state(cid)[2:5]))
    assert outcomes[0] == outcomes[1]


def test_deferred_notices_a_contract_changed_behind_its_back() -> None:
    device = make_device()
    driver = Contracting.on(device, REF)
    cid = active(driver, matrix_space(9), (3,), deposits=50, end=20, deadline=device.number + 8)
    d = driver.deferred(REF, cid, batch=10)
    assert d.settle(0, (1, 0, 0)).transfers == (-3, 2, 1)
    device.build_blocks(10)
    driver.close("p1", cid)  # anyone may, after the deadline
    with pytest.raises(ContractingError, match="settle_many failed: contract 0 is ended"):
        d.flush()
    with pytest.raises(ContractingError, match="only an active one"):
        driver.deferred(REF, cid)
    with pytest.raises(ContractingError, match="batch must be"):
        Contracting.on(make_device(), REF).deferred(REF, 0, batch=0)
