"""Device.logs: the events of kept blocks, by range, contract and name, in block order."""

from __future__ import annotations

from accord.device import Device, DeviceConfig
from accord.device.logs import Log
from tests.device.conftest import make_genesis
from tests.device.proof_contracts import Odd


def test_logs_by_range_contract_and_name() -> None:
    device = Device(DeviceConfig(), make_genesis(), seed=4)
    alice = device.account("alice")
    a, b = device.deploy(alice, Odd), device.deploy(alice, Odd)
    hashes = []
    for n in range(3):
        hashes.append(device.call(alice, a, "give", "int", n).tx_hash)
        hashes.append(device.call(alice, b, "give", "int", 10 + n).tx_hash)
        device.call(alice, a, "quiet", n)  # no event
    every = device.logs()
    assert [(log.event.address, dict(log.event.data)["n"]) for log in every] == [
        (a, 0), (b, 10), (a, 1), (b, 11), (a, 2), (b, 12)
    ]  # fmt: skip
    assert [log.tx_hash for log in every] == hashes
    assert all(isinstance(log, Log) and log.log_index == 0 for log in every)
    assert [log.block_number for log in every] == [3, 4, 6, 7, 9, 10]
    assert device.logs(address=b) == [log for log in every if log.event.address == b]
    assert device.logs(name="Nothing") == []
    assert device.logs(4, 7) == every[1:4]
    assert device.logs(11) == [] and device.logs(5, 2) == []
    assert device.logs(0, 10**9, address=a, name="Gave") == every[0::2]


def test_logs_see_only_the_blocks_a_bounded_device_keeps() -> None:
    device = Device(DeviceConfig(), make_genesis(), seed=4, history=2)
    alice = device.account("alice")
    odd = device.deploy(alice, Odd)
    for n in range(4):
        device.call(alice, odd, "give", "int", n)
    assert [dict(log.event.data)["n"] for log in device.logs()] == [2, 3]
