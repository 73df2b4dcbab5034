"""One scenario that walks every branch of the device's hot path, for comparing its two
implementations (compiled and pure Python, :mod:`accord.device.accelerator`).

``python -m tests.device.accelerator_scenario`` prints one JSON line: which path ran,
each submission's result (the hash, or the refusal's type, field and message), each
block's receipts and skipped items, and the state hash after every block.
``tests/device/test_accelerator.py`` runs it under each path in a subprocess (the path
is chosen when ``accord.device`` is imported) and compares everything but the path.

The keys come from a fixed secret, so signatures, and everything else, are the same
on every run.
"""

from __future__ import annotations

import json
from typing import Any

from accord.device import Device, DeviceConfig, Transaction, accelerator
from accord.device.errors import Rejected
from accord.device.keys import Keyring
from tests.device.conftest import make_genesis
from tests.device.hostile import sign_fields
from tests.device.sample_contracts import Vault

SECRET = bytes(range(32))


def _submit(device: Device, tx: object, at: int | None = None) -> str:
    try:
        return device.submit(tx, at=at).hex()  # type: ignore[arg-type]
    except Rejected as exc:
        return f"{type(exc).__name__}[{exc.field}]: {exc}"


def _hostile(device: Device, vault: str) -> list[object]:
    """Transactions for each of the fast path's doubts, signed by their sender."""
    good = ["bob", 0, vault, "deposit", ("bob", 1), (), 100_000, 10_000, 1]
    cases: list[object] = [["not", "a", "transaction"], ("a", "tuple"), None]
    for index, bad in [
        (1, -1),
        (1, 2**31),
        (1, 2**64),
        (1, True),
        (1, 1.0),
        (6, 2**31),
        (6, 10),
        (6, 10**12),
        (7, 2**40),
        (7, -5),
        (8, 20_000),
        (8, -1),
        (2, ""),
        (2, ".x:Y"),
        (2, ["list"]),
        (2, "unknown-contract"),
        (2, "ünïcode"),
        (3, b"bytes"),
        (4, ("bob", ("nested", 1))),
        (4, ("bob", 1.5)),
        (4, ["bob", 1]),
        (5, (("ETH", 5),)),
        (5, (("ETH", -5),)),
        (5, (("ETH", 5), ("ETH", 5))),
        (5, (("USD", 5),)),
        (5, (("USD", 10**9),)),
        (5, (("ETH", 5, 6),)),
        (5, ("ETH",)),
        (0, "nobody"),
        (0, "empty"),
    ]:
        fields = list(good)
        fields[1] = 100 + len(cases)  # each case its own nonce: no replacement
        fields[index] = bad
        cases.append(sign_fields(device, "empty" if bad == "empty" else "bob", fields))
    signed = sign_fields(device, "bob", good)
    cases.append(signed._replace(signature=bytes(16)))  # forged
    cases.append(signed._replace(hash=bytes(32)))  # altered
    cases.append(signed._replace(method="withdraw"))  # altered content
    cases.append(signed)  # finally admitted
    cases.append(signed)  # a duplicate
    return cases


def run(blocks: int = 4) -> dict[str, Any]:
    """The scenario's record (module docstring)."""
    config = DeviceConfig(signatures="mac", initial_base_fee=1_000, latency_ms={"carol": 1})
    device = Device(config, make_genesis(), keyring=Keyring(SECRET))
    alice = device.account("alice")
    vault = device.deploy(alice, Vault)
    submitted: list[str] = []
    record: dict[str, Any] = {"hot_path": accelerator.compiled_modules()}
    record["submitted"] = submitted
    record["hostile"] = [_submit(device, tx) for tx in _hostile(device, vault)]
    senders = {name: device.account(name) for name in ("alice", "bob", "carol", "dave")}
    results: list[Any] = []
    for block in range(blocks):
        for i, (name, account) in enumerate(senders.items()):
            nonce = device.next_nonce(name)
            txs: list[Transaction] = [
                account.sign(nonce, vault, "deposit", name, 10 + i, priority_fee=i),
                account.sign(nonce + 1, vault, "move", name, "x", 3, priority_fee=1),
                account.sign(nonce + 2, "treasury", value={"ETH": 7}, priority_fee=2),
                account.sign(nonce + 3, vault, "pay_in", value={"ETH": 11}),
                account.sign(nonce + 4, vault, "move", name, "y", 10**6),  # reverts
                account.sign(nonce + 5, vault, "boom"),  # an error in contract code
                account.sign(nonce + 6, vault, "burn_gas", 10**7, gas_limit=50_000),
                account.sign(nonce + 7, "treasury", value={"USD": 1 + block}),
                account.sign(nonce + 9, vault, "deposit", name, 1),  # a nonce gap
            ]
            if block % 2:  # a replacement by fee bump, and one underpriced
                txs.append(account.sign(nonce + 9, vault, "deposit", name, 2, max_fee=20_000))
                txs.append(account.sign(nonce + 9, vault, "deposit", name, 3, max_fee=20_001))
            for tx in txs:
                submitted.append(_submit(device, tx, at=None if i else block * 1000))
        built = device.build_block()
        results.append(
            {
                "number": built.header.number,
                "receipts": [
                    [
                        r.tx_hash.hex(),
                        r.status,
                        r.gas_used,
                        r.fee_paid,
                        r.tip_paid,
                        repr(r.result),
                        r.error,
                    ]
                    for r in built.receipts
                ],
                "skipped": [[s.hash.hex(), s.field, s.reason, s.dropped] for s in built.skipped],
                "state": built.header.state_hash.hex(),
                "head": built.header.hash.hex(),
            }
        )
    record["blocks"] = results
    record["state_hash"] = device.state_hash().hex()
    record["pending"] = len(device.mempool)
    return record


if __name__ == "__main__":
    print(json.dumps(run()))
