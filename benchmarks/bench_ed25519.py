"""What one ed25519 verification costs the device, per back end (:mod:`accord.device.ed25519`).

Times :meth:`PublicKey.verify` of a valid signature over a 32-byte payload (what the
device verifies: ``signing_payload``) under each available back end (``openssl``:
``cryptography``; ``libsodium``: PyNaCl), a forged signature (refused), and the key check
a binding runs (:func:`key_problem`). The figure is the median over ``--repeats`` of the
CPU time of ``--loops`` calls, in microseconds (``time.process_time``: on a shared
machine wall time mostly measures the neighbours). ``per_core_tx_per_s`` is what
verification alone allows one core (1e6 / µs).

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_ed25519.py --json    # last stdout line is JSON
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord.device import ed25519


def cpu_us(call: Callable[[], object], loops: int, repeats: int) -> float:
    """Median CPU microseconds a call over ``repeats`` runs of ``loops`` calls."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(loops):
            call()
        times.append(time.process_time() - start)
    return round(statistics.median(times) / loops * 1e6, 1)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print only a JSON line")
    args = parser.parse_args(argv)
    seed = bytes(range(32))
    private = Ed25519PrivateKey.from_private_bytes(seed)
    public = private.public_key().public_bytes_raw()
    payload = bytes(range(100, 132))
    good = private.sign(payload)
    forged = good[:32] + bytes(32 - 1) + b"\x01"
    backends = ["openssl"] + (["libsodium"] if ed25519.BACKEND == "libsodium" else [])
    report: dict[str, Any] = {
        "benchmark": "ed25519 verification, CPU microseconds a call",
        "default_backend": ed25519.BACKEND,
        "loops": args.loops,
        "repeats": args.repeats,
    }
    for backend in backends:
        key = ed25519.PublicKey(public, backend=backend)
        assert key.verify(good, payload) and not key.verify(forged, payload)
        us = cpu_us(lambda k=key: k.verify(good, payload), args.loops, args.repeats)
        report[f"{backend}_verify_us"] = us
        report[f"{backend}_forged_us"] = cpu_us(
            lambda k=key: k.verify(forged, payload), args.loops, args.repeats
        )
        report[f"{backend}_per_core_tx_per_s"] = round(1e6 / us)
    report["key_check_us"] = cpu_us(lambda: ed25519.key_problem(public), args.loops, args.repeats)
    if "libsodium_verify_us" in report:
        report["speedup"] = round(report["openssl_verify_us"] / report["libsodium_verify_us"], 2)
    report["load_1min"] = round(os.getloadavg()[0], 2)
    if args.json:
        print(json.dumps(report))
    else:
        for name, value in report.items():
            print(f"{name:32s} {value}")
    return report


if __name__ == "__main__":
    main()
