"""FormalContract on a device, through the driver: the life of a contract, worked
examples and every refusal by name."""

from __future__ import annotations

import pytest

from accord.contracts.formal_contract import FormalContract
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, checks
from accord.games.contracting import Contracting, ContractingError
from accord.mechanisms.contracting import (
    cleanup_space,
    fishery_space,
    matrix_space,
    unilateral_space,
)

P = ("ann", "bob", "cat")
REF = "referee"
ENDOW = 10_000


def make_device() -> Device:
    fees = dict.fromkeys((*P, REF, "eve"), 10**18)
    genesis = Genesis(
        assets={
            "ETH": AssetSpec(issuer="treasury", alloc=fees),
            "USD": AssetSpec(issuer="fed", alloc=dict.fromkeys((*P, "eve"), ENDOW)),
        }
    )
    device = Device(DeviceConfig(signatures="mac", fee_market="first_price"), genesis, seed=3)
    checks.check_every_block(device)
    return device


@pytest.fixture
def world() -> tuple[Device, Contracting]:
    device = make_device()
    return device, Contracting.on(device, REF)


def usd(device: Device, who: str) -> int:
    return device.balance(who, "USD")


def locked(device: Device, driver: Contracting, who: str) -> int:
    return device.locked(who, "USD", driver.address)


def test_deploys_once_per_device(world: tuple[Device, Contracting]) -> None:
    device, driver = world
    assert Contracting.on(device, REF) is driver
    assert type(device.contract_at(driver.address)) is FormalContract


def test_prisoners_dilemma_contract_life(world: tuple[Device, Contracting]) -> None:
    device, driver = world
    pd = matrix_space(100)
    cid = driver.propose("ann", P, pd, (30,), asset="USD", deposits=100, observer=REF, end=3)
    assert driver.status(cid) == "proposed"
    assert locked(device, driver, "ann") == 100  # the proposer accepted by proposing
    assert driver.respond("bob", cid, True) == "proposed"
    assert driver.respond("cat", cid, True) == "active"
    assert [locked(device, driver, p) for p in P] == [100, 100, 100]
    # step 0: ann defects, pays 30 split 15/15
    s = driver.settle(REF, cid, 0, (1, 0, 0))
    assert s.transfers == (-30, 15, 15) and s.status == "active" and s.gas_used > 0
    assert s.gas_fee == s.gas_used  # first-price fee of 1 per gas
    assert driver.deposits_left(cid) == (70, 100, 100)
    assert (usd(device, "bob"), usd(device, "cat")) == (ENDOW - 100 + 15, ENDOW - 100 + 15)
    # an idle step is skipped: nothing moves, no block
    number = device.number
    assert driver.settle(REF, cid, 1, (0, 0, 0)) == ((0, 0, 0), (0, 0, 0), "active", 0, 0)
    assert device.number == number
    # unless asked to record it
    assert driver.settle(REF, cid, 2, (0, 0, 0), skip_idle=False).gas_used > 0
    # the last step ends the contract and refunds the remainders
    s = driver.settle(REF, cid, 3, (1, 1, 0))
    assert s.transfers == (-30, -30, 60) and s.status == "ended"
    assert driver.deposits_left(cid) == (0, 0, 0)
    assert driver.transferred(cid) == (-60, -15, 75)
    assert [usd(device, p) for p in P] == [ENDOW - 60, ENDOW - 15, ENDOW + 75]
    assert [locked(device, driver, p) for p in P] == [0, 0, 0]


def test_exhaustion_ends_and_refunds(world: tuple[Device, Contracting]) -> None:
    device, driver = world
    fish = fishery_space(20, 10, 100)
    cid = driver.propose(
        "eve", P, fish, (5, 10), asset="USD", deposits=(40, 25, 25), observer=REF, end=11
    )  # eve proposes but is not a party
    assert locked(device, driver, "eve") == 0
    for p in P:
        driver.respond(p, cid, True)
    s = driver.settle(REF, cid, 0, (7, 5, 5))  # ann 2 over: pays 20, 10 each
    assert s.transfers == (-20, 10, 10) and s.status == "active"
    s = driver.settle(REF, cid, 1, (9, 5, 5))  # owes 40, has 20 left: pays 20, ends
    assert s.transfers == (-20, 10, 10) and s.status == "exhausted"
    assert [usd(device, p) for p in P] == [ENDOW - 40, ENDOW + 20, ENDOW + 20]
    # the driver knows it ended: a later step moves nothing; the device itself refuses
    assert driver.settle(REF, cid, 2, (9, 5, 5)) == ((0, 0, 0), (0, 0, 0), "exhausted", 0, 0)
    tx = driver.settle_tx(REF, cid, 2, (9, 5, 5))
    with pytest.raises(ContractingError, match="exhausted: nothing to settle"):
        Contracting.settled(device.execute(tx))


def test_keeper_fee_reimburses_the_observer(world: tuple[Device, Contracting]) -> None:
    device, driver = world
    clean = cleanup_space(5, 10)
    cid = driver.propose(
        "ann",
        P,
        clean,
        (2,),
        asset="USD",
        deposits=50,
        observer=REF,
        end=9,
        fee_payer="*",
        keeper_fee=4,
    )
    driver.respond("bob", cid, True)
    driver.respond("cat", cid, True)
    s = driver.settle(REF, cid, 0, (0, 3, 0))  # bob cleaned 3: 6 from ann and cat
    assert s.fees == (2, 1, 1) and s.transfers == (-3, 6, -3)
    assert usd(device, REF) == 4
    assert driver.deposits_left(cid) == (45, 49, 46)


def test_unilateral_commitment_is_active_on_proposal(world: tuple[Device, Contracting]) -> None:
    device, driver = world
    uni = unilateral_space(0, 500)
    cid = driver.propose(
        "ann", P, uni, (0, 90), asset="USD", deposits=(90, 0, 0), observer=REF, start=5, end=9
    )
    assert driver.status(cid) == "active"
    assert locked(device, driver, "ann") == 90
    with pytest.raises(ContractingError, match=r"step must be an int in \[5, 9\]"):
        driver.settle(REF, cid, 4, (1, 0, 0))
    s = driver.settle(REF, cid, 5, (1, 1, 1))  # only the committer owes
    assert s.transfers == (-90, 45, 45) and s.status == "active"
    s = driver.settle(REF, cid, 6, (1, 1, 1))
    assert s.transfers == (0, 0, 0) and s.status == "exhausted"
    assert usd(device, "ann") == ENDOW - 90 and locked(device, driver, "ann") == 0


def test_reject_and_expiry_refund(world: tuple[Device, Contracting]) -> None:
    device, driver = world
    pd = matrix_space(10)
    cid = driver.propose("ann", P, pd, (5,), asset="USD", deposits=7, observer=REF, end=3)
    driver.respond("bob", cid, True)
    assert driver.respond("cat", cid, False) == "rejected"
    assert [usd(device, p) for p in P] == [ENDOW] * 3
    # a proposal that is not accepted by its start step expires
    cid = driver.propose("ann", P, pd, (5,), asset="USD", deposits=7, observer=REF, start=2, end=3)
    with pytest.raises(ContractingError, match=r"not active|step must"):
        driver.settle(REF, cid, 1, (0, 0, 0), skip_idle=False)
    assert driver.settle(REF, cid, 2, (1, 0, 0)).status == "expired"
    assert usd(device, "ann") == ENDOW


def test_refusals_are_named(world: tuple[Device, Contracting]) -> None:
    _, driver = world
    pd = matrix_space(10)
    cid = driver.propose("ann", P, pd, (5,), asset="USD", deposits=7, observer=REF, end=3)
    with pytest.raises(ContractingError, match="eve is not a party"):
        driver.respond("eve", cid, True)
    with pytest.raises(ContractingError, match="already accepted"):
        driver.respond("ann", cid, True)
    driver.respond("bob", cid, True)
    driver.respond("cat", cid, True)
    with pytest.raises(ContractingError, match="only the observer"):
        driver.settle("bob", cid, 0, (0, 1, 0))
    with pytest.raises(ContractingError, match="one per party"):
        driver.settle(REF, cid, 0, (0, 1), skip_idle=False)
    driver.settle(REF, cid, 1, (0, 1, 0))
    with pytest.raises(ContractingError, match=r"step must be an int in \[2, 3\]"):
        driver.settle(REF, cid, 1, (0, 1, 0))
    with pytest.raises(ContractingError, match="only the observer"):
        driver.close("ann", cid)
    assert driver.close(REF, cid) == "ended"
    with pytest.raises(ContractingError, match="already ended"):
        driver.close(REF, cid)
    with pytest.raises(ContractingError, match="observer must not be a party"):
        driver.propose("ann", P, pd, (5,), asset="USD", deposits=7, observer="bob", end=3)
    with pytest.raises(ContractingError, match="parties must be distinct"):
        driver.propose(
            "ann", ("ann", "ann"), pd, (5,), asset="USD", deposits=7, observer=REF, end=3
        )
    with pytest.raises(ContractingError, match="theta"):
        driver.propose("ann", P, pd, (11,), asset="USD", deposits=7, observer=REF, end=3)
    with pytest.raises(ContractingError, match="cannot lock"):
        driver.propose("ann", P, pd, (5,), asset="USD", deposits=10**9, observer=REF, end=3)
    with pytest.raises(ContractingError, match="does not exist"):
        driver.propose("ann", P, pd, (5,), asset="XYZ", deposits=7, observer=REF, end=3)


def test_deadline_lets_anyone_close(world: tuple[Device, Contracting]) -> None:
    device, driver = world
    pd = matrix_space(10)
    deadline = device.number + 3
    cid = driver.propose(
        "ann", P, pd, (5,), asset="USD", deposits=7, observer=REF, end=3, deadline=deadline
    )
    with pytest.raises(ContractingError, match="only after its deadline"):
        driver.close("eve", cid)
    device.build_blocks(3)
    with pytest.raises(ContractingError, match=r"deadline block \d+ has passed"):
        driver.respond("bob", cid, True)
    assert driver.close("eve", cid) == "expired"
    assert usd(device, "ann") == ENDOW
