"""A device's event logs: every event of the kept blocks in a range, filtered by contract
and event name (what the node's ``accord_getLogs`` answers, as Python values).

An event is kept in its receipt (:class:`~accord.device.block.Receipt`'s ``events``);
:func:`logs` walks the blocks still in ``device.blocks`` (all of them unless the device
was created with ``history=n``) and returns each matching event with where it was
emitted: Ethereum's ``eth_getLogs``, filtered by contract address and event name rather
than by topics.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from accord.device.contract import Event


class Log(NamedTuple):
    """One event, where it was emitted."""

    block_number: int
    tx_hash: bytes
    log_index: int
    """Its position among its transaction's events (Ethereum's ``logIndex`` counts in the block)."""
    event: Event


def logs(
    device: Any,
    from_block: int = 0,
    to_block: int | None = None,
    *,
    address: str | None = None,
    name: str | None = None,
) -> list[Log]:
    """Every event of blocks ``from_block`` to ``to_block`` (default: the head) still
    kept, of contract ``address`` and named ``name`` when given, in block order."""
    last = device.number if to_block is None else min(to_block, device.number)
    out: list[Log] = []
    for block in device.blocks:
        if not from_block <= block.number <= last:
            continue
        for receipt in block.receipts:
            for index, event in enumerate(receipt.events):
                if (address is None or event.address == address) and (
                    name is None or event.name == name
                ):
                    out.append(Log(block.number, receipt.tx_hash, index, event))
    return out
