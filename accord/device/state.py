"""The canonical serialisation of device state, and its hash.

The state is: free balances, locks, supplies, issuers, nonces, every contract's class and
storage, and the chain parameters that shape the next block (head number and base fee).
Each table is serialised as its items sorted by key (keys of mixed types sort by their
``repr``), with ``repr`` of canonical values as the byte form
(:mod:`accord.device.encoding`). Two devices in equal states have equal hashes, however
they reached them: zero balances and default storage slots are never stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from accord.device.contract import Contract
from accord.device.ledger import Ledger


def sorted_items(table: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
    """Items sorted by key; keys that do not compare sort by ``repr``."""
    try:
        return sorted(table.items())
    except TypeError:
        return sorted(table.items(), key=lambda kv: repr(kv[0]))


def canonical_state(
    ledger: Ledger, contracts: Mapping[str, Contract], number: int, base_fee: int
) -> tuple[Any, ...]:
    """The state as one nested tuple of canonical values."""
    return (
        ("head", number, base_fee),
        ("balances", tuple(sorted_items(ledger.balances))),
        ("locked", tuple(sorted_items(ledger.locked))),
        ("supply", tuple(sorted_items(ledger.supply))),
        ("issuers", tuple(sorted_items(ledger.issuers))),
        ("nonces", tuple(sorted_items(ledger.nonces))),
        (
            "contracts",
            tuple(
                (
                    address,
                    contract.class_path(),
                    tuple(sorted_items(contract._vars)),
                    tuple(
                        (name, tuple(sorted_items(contract.__dict__[name]._data)))
                        for name in sorted(contract._maps)
                    ),
                )
                for address, contract in sorted_items(contracts)
            ),
        ),
    )


def state_hash(
    ledger: Ledger, contracts: Mapping[str, Contract], number: int, base_fee: int
) -> bytes:
    """BLAKE2b-256 of :func:`canonical_state`."""
    data = repr(canonical_state(ledger, contracts, number, base_fee)).encode()
    return hashlib.blake2b(data, digest_size=32).digest()
