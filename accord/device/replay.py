"""Replaying an event log: rebuild a run and check every state hash.

Replay constructs a fresh :class:`~accord.device.device.Device` from the log's config,
genesis and seed, then re-executes each logged block's items in their logged order. The
state hash after every block must equal the logged one; the first difference raises
:class:`ReplayMismatch` naming the block.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from accord.device.config import DeviceConfig, Genesis
from accord.device.device import Device
from accord.device.errors import DeviceError
from accord.device.store import AccountRecord, MemoryLog, Record, read_sqlite


class ReplayMismatch(DeviceError):
    """A replayed block's state hash differs from the logged one."""


def replay_records(
    config_json: str, genesis_json: str, seed: int, records: Iterable[Record]
) -> Device:
    """Re-execute ``records`` on a fresh device; returns it after the last block."""
    try:
        config = DeviceConfig.model_validate_json(config_json)
        genesis = Genesis.model_validate_json(genesis_json)
    except ValidationError as exc:
        raise DeviceError(f"the log's config or genesis is invalid: {exc}") from None
    device = Device(config, genesis, seed=seed)
    for record in records:
        if isinstance(record, AccountRecord):
            device.open_account(record.name)
            continue
        block = device.replay_block(record)
        if block.header.state_hash != record.state_hash:
            raise ReplayMismatch(
                f"block {record.number}: replayed state hash {block.header.state_hash.hex()} "
                f"differs from logged {record.state_hash.hex()}"
            )
    return device


def replay(source: str | Path | MemoryLog) -> Device:
    """Replay a SQLite log file or an in-memory log."""
    if isinstance(source, MemoryLog):
        if source.header is None:
            raise DeviceError("the log was never started")
        if source.truncated:
            raise DeviceError(
                f"the in-memory log kept only its last {source.records.maxlen} records "
                "(the device's history); replaying needs a complete log: use store=path"
            )
        config_json, genesis_json, seed = source.header
        return replay_records(config_json, genesis_json, seed, list(source.records))
    (config_json, genesis_json, seed), records = read_sqlite(source)
    return replay_records(config_json, genesis_json, seed, records)
