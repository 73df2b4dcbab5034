"""Conformance checks anyone can run on their own contracts and scenarios.

In the spirit of PettingZoo's ``api_test``: import these, point them at a device (or at
a function that builds and runs one) and they raise :class:`InvariantViolation` with a
precise message when the device's guarantees do not hold.

* :func:`conservation` — for every asset, free plus locked holdings across accounts and
  contracts equal the supply, which only mint and burn change.
* :func:`no_negative_balances` — no balance, lock or supply is negative.
* :func:`determinism` — the same scenario and seed give the same state hash.
* :func:`replay_equality` — replaying the device's event log gives its state hash.
* :func:`state_hash_matches` — the incrementally maintained state hash equals the
  hash recomputed from scratch.
* :func:`check_every_block` — installs the first two as a hook run after every block.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from accord.device.errors import DeviceError

if TYPE_CHECKING:
    from accord.device.block import Block
    from accord.device.device import Device


class InvariantViolation(AssertionError):
    """A device guarantee does not hold."""


def conservation(device: Device) -> None:
    """Free + locked holdings of every asset equal its supply."""
    ledger = device.ledger
    held: dict[str, int] = dict.fromkeys(ledger.issuers, 0)
    for (_, asset), amount in ledger.balances.items():
        held[asset] = held.get(asset, 0) + amount
    for (_, asset, _), amount in ledger.locked.items():
        held[asset] = held.get(asset, 0) + amount
    bad = {
        asset: (amount, ledger.supply.get(asset, 0))
        for asset, amount in held.items()
        if amount != ledger.supply.get(asset, 0)
    }
    if bad:
        detail = ", ".join(f"{a}: held {h} != supply {s}" for a, (h, s) in sorted(bad.items()))
        raise InvariantViolation(f"conservation broken at block {device.number}: {detail}")


def no_negative_balances(device: Device) -> None:
    """No free balance, lock or supply is negative."""
    ledger = device.ledger
    for table_name, table in (
        ("balance", ledger.balances),
        ("lock", ledger.locked),
        ("supply", ledger.supply),
    ):
        for key, amount in table.items():
            if amount < 0:
                raise InvariantViolation(
                    f"negative {table_name} {key!r} = {amount} at block {device.number}"
                )


def block_invariants(device: Device) -> None:
    """Conservation and non-negativity together."""
    conservation(device)
    no_negative_balances(device)


def check_every_block(device: Device) -> None:
    """Run :func:`block_invariants` after every block the device seals from now on."""

    def hook(dev: Device, block: Block) -> None:
        block_invariants(dev)

    device.block_hooks.append(hook)


def full_state_hash(device: Device) -> bytes:
    """The device's state hash recomputed from scratch (see :mod:`accord.device.state`)."""
    from accord.device.state import full_state_hash as full

    return full(device.ledger, device.contracts, device.number, device.base_fee)


def state_hash_matches(device: Device) -> bytes:
    """The incremental state hash must equal the one recomputed from the whole state.

    A difference means state was changed without going through the ledger's writes
    (the journal and its tracking), which would also escape reverts and replay.
    """
    incremental, full = device.state_hash(), full_state_hash(device)
    if incremental != full:
        raise InvariantViolation(
            f"state hash at block {device.number}: incremental {incremental.hex()} "
            f"!= recomputed {full.hex()}"
        )
    return full


def determinism(run: Callable[[int], Device], seed: int = 0) -> bytes:
    """Run a scenario twice with one seed; both must end in the same state hash."""
    first = run(seed).state_hash()
    second = run(seed).state_hash()
    if first != second:
        raise InvariantViolation(
            f"seed {seed} gave two state hashes: {first.hex()} and {second.hex()}"
        )
    return first


def replay_equality(device: Device) -> bytes:
    """Replay the device's event log; every block's and the final state hash must match."""
    from accord.device.replay import replay
    from accord.device.store import MemoryLog, SqliteLog

    log = device.log
    if isinstance(log, MemoryLog):
        replayed = replay(log, keys=device.keyring)
    elif isinstance(log, SqliteLog):
        replayed = replay(log.path, keys=device.keyring)
    else:
        raise DeviceError(f"cannot replay a log of type {type(log).__name__}")
    # The original's hash is recomputed from scratch, so that state changed behind the
    # ledger's back (outside any transaction, untracked) shows up as a difference.
    original, again = full_state_hash(device), replayed.state_hash()
    if original != again:
        raise InvariantViolation(f"replay gave {again.hex()}, the run {original.hex()}")
    return again
