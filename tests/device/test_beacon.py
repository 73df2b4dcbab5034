"""The device's randomness beacon (``accord/device/beacon.py``, ``docs/device.md``).

Pins: the beacon is a pure function of the design, the seed and the chain (same scenario
and seed, same beacons and state hash; whatever keys were drawn); each block carries it;
the replay reproduces it bit for bit; a contract reads the current and past blocks'
beacons through ``ctx.beacon``, pays ``BEACON`` gas for it, and is refused a future
block's, one outside the window, and every height that is not an int, with a one-line
revert that changes nothing.
"""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.device import BEACON_WINDOW, Device, gas, replay
from accord.device.beacon import BeaconWindow, beacon_value
from accord.device.keys import Keyring
from tests.device.beacon_contracts import MADE, BeaconReader
from tests.device.conftest import make_device

GAS = 200_000


def _run(seed: int, keyring: Keyring | None = None) -> tuple[Device, str]:
    device = make_device(seed=seed, keyring=keyring)
    address = device.deploy(device.account("alice"), BeaconReader)
    for i in range(4):
        device.call(device.account("bob"), address, "read_current", gas_limit=GAS)
        device.build_blocks(i)
    return device, address


def test_every_block_carries_the_beacon_its_parent_fixes() -> None:
    device, _ = _run(7)
    headers = device.headers
    assert headers[0].beacon == beacon_value(device.beacon_root, 0, None)
    for parent, header in pairwise(headers):
        assert len(header.beacon) == 32
        assert header.beacon == beacon_value(device.beacon_root, header.number, parent)
    assert len({h.beacon for h in headers}) == len(headers)  # no repeats
    # the window already holds the next block's beacon: known once the head is sealed
    assert device.beacons.latest == device.number + 1


def test_same_scenario_and_seed_same_beacons_whatever_the_keys() -> None:
    a, _ = _run(7, Keyring())
    b, _ = _run(7, Keyring())  # fresh random keys: another genesis hash
    c, _ = _run(8)
    assert a.genesis_hash != b.genesis_hash
    assert [h.beacon for h in a.headers] == [h.beacon for h in b.headers]
    assert a.state_hash() == b.state_hash()
    assert a.headers[1].beacon != c.headers[1].beacon  # another seed, other beacons


def test_a_contract_reads_the_current_block_beacon_and_pays_for_it() -> None:
    device, address = _run(3)
    receipt = device.call(device.account("bob"), address, "read_current", gas_limit=GAS)
    assert receipt.ok, receipt.error
    number = device.number
    assert receipt.result == device.headers[number].beacon
    past = device.call(device.account("bob"), address, "read", 2, gas_limit=GAS)
    assert past.ok and past.result == device.headers[2].beacon
    # any two heights in the window cost the same (one BEACON charge, same storage)
    other = device.call(device.account("bob"), address, "read", 3, gas_limit=GAS)
    assert other.ok and other.gas_used == past.gas_used
    assert gas.BEACON == 20


def test_the_replay_reproduces_beacons_and_state_hash() -> None:
    device, _ = _run(5)
    again = replay(device.log)
    assert [h.beacon for h in again.headers] == [h.beacon for h in device.headers]
    assert [h.hash for h in again.headers] == [h.hash for h in device.headers]
    assert again.state_hash() == device.state_hash()


HOSTILE = (
    -1,
    -(10**30),
    10**30,
    True,
    False,
    "1",
    b"\x01",
    None,
    (1,),
    ((), ()),
)


def _refused(device: Device, address: str, height: object, method: str = "read") -> str:
    before = (device.view(address, "seen"), device.state_hash())
    receipt = device.call(device.account("bob"), address, method, height, gas_limit=GAS)
    assert receipt.status == "reverted", (height, receipt)
    error = receipt.error or ""
    assert "\n" not in error and "beacon" in error, error
    assert device.view(address, "seen") == before[0]
    return error


def test_a_future_height_is_refused() -> None:
    device, address = _run(1)
    for ahead in (1, 2, BEACON_WINDOW, 10**6):
        error = _refused(device, address, device.number + 1 + ahead)
        assert "not known yet" in error


def test_hostile_heights_are_one_line_errors_that_change_nothing() -> None:
    device, address = _run(2)
    for height in HOSTILE:
        _refused(device, address, height)
    # what no transaction can carry, contract code can still pass
    for kind in MADE:
        error = _refused(device, address, kind, "read_made")
        assert "must be an int" in error, error


@settings(max_examples=40, deadline=None)
@given(
    st.one_of(
        st.integers(max_value=-1),
        st.integers(min_value=10**4),
        st.booleans(),
        st.text(max_size=8),
        st.binary(max_size=8),
        st.tuples(st.integers()),
        st.none(),
    )
)
def test_generated_hostile_heights_change_nothing(height: object) -> None:
    device, address = _DEVICE
    _refused(device, address, height)


_DEVICE = _run(4)


def test_a_height_that_left_the_window_is_refused() -> None:
    device, address = _run(6)
    device.build_blocks(BEACON_WINDOW + 3)
    oldest = device.number + 1 - BEACON_WINDOW + 1  # the call runs in block number + 1
    ok = device.call(device.account("bob"), address, "read", oldest, gas_limit=GAS)
    assert ok.ok and ok.result == device.headers[oldest].beacon
    error = _refused(device, address, device.number + 1 - BEACON_WINDOW)
    assert "left the window" in error


def test_the_window_holds_heights_in_order_only() -> None:
    window = BeaconWindow()
    window.push(0, b"a" * 32)
    for bad in (0, 2, -1):
        try:
            window.push(bad, b"b" * 32)
        except ValueError as exc:
            assert "after block 0" in str(exc)
        else:
            raise AssertionError(f"pushed height {bad} after 0")
    assert window.read(0, 0) == b"a" * 32
