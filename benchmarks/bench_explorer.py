"""How the explorer's read methods cost as the chain grows (``docs/node.md``, "Explorer").

A node (``accord.node.Node``, in process, in a temporary directory) with ``--accounts``
genesis accounts seals blocks of ``--per-block`` signed transfers each. When the chain
is ``--blocks // 10`` blocks long, and again at ``--blocks``, each explorer method is
answered ``--repeat`` times through the node's JSON-RPC handler (the same code path
as ``POST /``, without HTTP) and its median time is taken. The methods are meant to
build at most ``limit`` rows and scan no chain, so their times should not grow with
the chain (``ratio`` = large / small, about 1); ``accord_getLogs`` over its full
1,000-block window is the reference of a read that does scan.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_explorer.py            # a table
    .venv/bin/python benchmarks/bench_explorer.py --json     # last stdout line is JSON
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from accord.node import Node, Signer, parse_config
from accord.node.limits import RateLimiter
from accord.node.methods import METHODS, Session
from accord.node.rpc import handle
from accord.node.wire import transaction_from_json

CHAIN_ID = 7
SENDERS = 5
"""The accounts that send (in turn), so that each has many transactions."""


def _calls(accounts: int) -> dict[str, tuple[str, dict[str, Any]]]:
    """The calls timed: each answers a full page at both sizes (rows in the report)."""
    return {
        "listAccounts": ("accord_listAccounts", {"offset": accounts // 2, "limit": 100}),
        "getAccountTransactions": (
            "accord_getAccountTransactions",
            {"account": "a0", "offset": 50, "limit": 100},
        ),
        "getStorage": ("accord_getStorage", {"address": "commitments"}),
        "getBlock (reference)": ("accord_getBlock", {"number": "latest", "full": True}),
        "getLogs (reference)": ("accord_getLogs", {"from_block": 0, "to_block": 999}),
    }


def _rows(result: Any) -> int:
    for key in ("accounts", "transactions"):
        if isinstance(result, dict) and key in result:
            return len(result[key])
    return len(result) if isinstance(result, list) else 1


def _time(session: Session, method: str, params: dict[str, Any], repeat: int) -> tuple[float, int]:
    """The median µs of ``repeat`` answers, and how many rows the answer has."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    times = []
    answer: Any = None
    for _ in range(repeat):
        began = time.perf_counter()
        answer = handle(body, METHODS, session, max_batch=100)
        times.append(time.perf_counter() - began)
        assert isinstance(answer, dict) and "result" in answer, answer
    return statistics.median(times) * 1e6, _rows(answer["result"])


def run(blocks: int, per_block: int, accounts: int, repeat: int) -> dict[str, Any]:
    names = [f"a{i}" for i in range(accounts)]
    signers = {n: Signer.generate(n, chain_id=CHAIN_ID) for n in names}
    with tempfile.TemporaryDirectory() as folder:
        config = parse_config(
            {
                "seed": 1,
                "node": {"data_dir": folder},
                "device": {"chain_id": CHAIN_ID},
                "genesis": {
                    "public_keys": {n: s.public_key.hex() for n, s in signers.items()},
                    "assets": {
                        "ETH": {"issuer": "treasury", "alloc": dict.fromkeys(names, 10**21)}
                    },
                },
            }
        )
        node = Node.open(config)
        try:
            limits = config.node.limits
            session = Session(node, limits, RateLimiter(1e9, 10**9))
            nonces = dict.fromkeys(names, 0)
            calls = _calls(accounts)
            figures: dict[str, dict[str, float]] = {name: {} for name in calls}
            checkpoints = {max(blocks // 10, 1): "small_us", blocks: "large_us"}
            k = 0
            for number in range(1, blocks + 1):
                for _ in range(per_block):
                    sender = names[k % min(len(names), SENDERS)]
                    k += 1
                    wire = signers[sender].transfer(nonces[sender], names[-1], {"ETH": 1})
                    node.send(transaction_from_json(wire))
                    nonces[sender] += 1
                node.produce()
                if number in checkpoints:
                    for name, (method, params) in calls.items():
                        at = checkpoints[number]
                        us, rows = _time(session, method, params, repeat)
                        figures[name][at] = us
                        figures[name][at.replace("_us", "_rows")] = rows
        finally:
            node.close()
    for row in figures.values():
        row["ratio"] = row["large_us"] / row["small_us"]
    return {
        "blocks_small": max(blocks // 10, 1),
        "blocks_large": blocks,
        "transactions_large": blocks * per_block,
        "accounts": accounts,
        "repeat": repeat,
        "methods": figures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--blocks", type=int, default=1000)
    parser.add_argument("--per-block", type=int, default=10)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print one JSON line last")
    args = parser.parse_args()
    report = run(args.blocks, args.per_block, args.accounts, args.repeat)
    if args.json:
        print(json.dumps(report))
        return
    print(
        f"{report['blocks_small']} vs {report['blocks_large']} blocks "
        f"({report['transactions_large']} transfers, {report['accounts']} accounts); "
        f"median of {report['repeat']} calls"
    )
    print(f"{'method':<26}{'rows':>10}{'small µs':>12}{'large µs':>12}{'ratio':>8}")
    for name, row in report["methods"].items():
        rows = f"{row['small_rows']:.0f}/{row['large_rows']:.0f}"
        print(
            f"{name:<26}{rows:>10}{row['small_us']:>12.1f}{row['large_us']:>12.1f}"
            f"{row['ratio']:>8.2f}"
        )


if __name__ == "__main__":
    main()
