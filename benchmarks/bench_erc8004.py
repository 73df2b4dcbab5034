"""Gas per call of the ERC-8004 registries (``accord.contracts.agents``).

Runs the scripted life of the three registries (``tests/contracts/agents/scenario.py``:
two agents registered, URI, metadata and wallet set, three feedbacks, one revoked,
a response, a validation request and response, the summaries, a transfer) and reports
the gas of each method's first call; then the gas of ``getSummary`` over 1, 8 and 64
clients of one feedback each, and over one client of 1, 10 and 100 feedbacks (its
work is one ``READ`` per client and per feedback walked). Gas is exact and the same
on every machine, except ``setAgentWallet``'s few gas of signature calldata, which
depend on the key (EIP-2028 prices zero and non-zero bytes differently).

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_erc8004.py            # a table
    .venv/bin/python benchmarks/bench_erc8004.py --json     # last stdout line is JSON
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.contracts.agents.scenario import play
from tests.contracts.agents.world import H0, make_world


def summary_gas(clients: int, per_client: int) -> int:
    """Gas of one ``getSummary`` over ``clients`` clients of ``per_client`` feedbacks."""
    w = make_world()
    device = w.device
    w.ok("alice", w.identity, "register", "", ())
    names = [f"client{i}" for i in range(clients)]
    for name in names:
        device.open_account(name)
        device.call(device.account("bob"), name, "", value={"ETH": 10**16})
        for _ in range(per_client):
            w.ok(name, w.reputation, "giveFeedback", 0, 50, 0, "", "", "", "", H0)
    receipt = w.call("bob", w.reputation, "getSummary", 0, tuple(names), "", "")
    assert receipt.ok and receipt.result == (clients * per_client, 50, 0), receipt
    return receipt.gas_used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON line last")
    parser.add_argument("--quick", action="store_true", help="smaller summary sizes")
    args = parser.parse_args()
    gas = play(make_world())
    by_clients = {n: summary_gas(n, 1) for n in ((1, 8) if args.quick else (1, 8, 64))}
    by_feedback = {n: summary_gas(1, n) for n in ((1, 10) if args.quick else (1, 10, 100))}
    report = {
        "gas_per_call": gas,
        "summary_gas_by_clients": by_clients,
        "summary_gas_by_feedbacks": by_feedback,
    }
    if args.json:
        print(json.dumps(report))
        return
    print(f"{'method':<32}{'gas':>10}")
    for method, used in gas.items():
        print(f"{method:<32}{used:>10,}")
    for n, used in by_clients.items():
        print(f"{f'reputation.getSummary, {n} clients':<32}{used:>10,}")
    for n, used in by_feedback.items():
        print(f"{f'  1 client x {n} feedbacks':<32}{used:>10,}")


if __name__ == "__main__":
    main()
