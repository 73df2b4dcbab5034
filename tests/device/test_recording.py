"""recording(): devices created inside the block log to the factory's logs; outside, and
with an explicit store, nothing changes."""

from __future__ import annotations

from accord.device import Device, DeviceConfig, Genesis, replay
from accord.device.recording import recorded_log, recording
from accord.device.store import MemoryLog


def test_devices_inside_recording_log_to_the_factory() -> None:
    made: list[MemoryLog] = []
    seen: list[Device] = []

    def factory(device: Device) -> MemoryLog:
        seen.append(device)
        made.append(MemoryLog())
        return made[-1]

    assert recorded_log(None) is None
    explicit = MemoryLog()
    with recording(factory):
        first = Device(DeviceConfig(), Genesis(), seed=1)
        second = Device(DeviceConfig(), Genesis(), seed=2, history=2)
        kept = Device(DeviceConfig(), Genesis(), seed=3, store=explicit)
    after = Device(DeviceConfig(), Genesis(), seed=4)
    assert [first.log, second.log] == made
    assert kept.log is explicit and after.log not in made
    assert recorded_log(None) is None
    assert seen == [first, second]
    first.build_blocks(3)
    assert replay(made[0]).state_hash() == first.state_hash()
