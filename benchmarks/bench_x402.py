"""x402 pay-per-call on the device: gas per PaymentToken call, latency of a paid call.

Gas of each ``PaymentToken`` method (``accord.contracts.payments``): exact and the same
on every machine, except the authorization methods' few gas of signature calldata,
which depend on the key (EIP-2028 prices zero and non-zero bytes differently). Then
the wall time of ``N`` paid calls end to end in one process (the unpaid 402, signing,
``/verify``, the route, settlement in a new block, ``PAYMENT-RESPONSE``) through
Starlette's test client, and of the unpaid 402 alone; with ``--remote`` the middleware
reaches the facilitator over HTTP (``HttpFacilitator``) instead of in process; with
``--node`` the facilitator settles on an in-process ``accord node`` through a
``RemoteDevice`` holding the payee's key (verify's simulation is the node's
``accord_simulate``, each settlement one ``/admin/block``: ``docs/x402.md``).

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_x402.py            # a table
    .venv/bin/python benchmarks/bench_x402.py --json     # last stdout line is JSON
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from accord.contracts.payments import RECEIVE, TRANSFER, authorization_message, cancel_message
from tests.x402.node_world import node_world
from tests.x402.world import PAYEE, PAYER, THIEF, World, make_world, nonce


def gas_per_call(world: World) -> dict[str, int]:
    device = world.device

    def gas(who: str, method: str, *args: object, **kw: object) -> int:
        receipt = device.call(device.account(who), world.token, method, *args, **kw)
        assert receipt.ok, receipt.error
        return int(receipt.gas_used)

    def auth(kind: str, n: int) -> tuple[object, ...]:
        after, before = 0, world.now() + 3600
        message = authorization_message(
            kind,  # type: ignore[arg-type]
            token=world.token,
            name="Accord USD",
            version="1",
            from_=PAYER,
            to=PAYEE,
            value=10,
            valid_after=after,
            valid_before=before,
            nonce=nonce(n),
        )
        signature = device.account(PAYER).sign_message(message)
        return (PAYER, PAYEE, 10, after, before, nonce(n), signature)

    cancel = cancel_message(
        token=world.token, name="Accord USD", version="1", authorizer=PAYER, nonce=nonce(10**9 + 2)
    )
    return {
        "deposit": gas(PAYER, "deposit", value={"USD": 10}),
        "withdraw": gas(PAYER, "withdraw", 10),
        "transfer": gas(PAYER, "transfer", PAYEE, 10),
        "transferWithAuthorization": gas(
            THIEF, "transferWithAuthorization", *auth(TRANSFER, 10**9)
        ),
        "receiveWithAuthorization": gas(
            PAYEE, "receiveWithAuthorization", *auth(RECEIVE, 10**9 + 1)
        ),
        "cancelAuthorization": gas(
            THIEF,
            "cancelAuthorization",
            PAYER,
            nonce(10**9 + 2),
            device.account(PAYER).sign_message(cancel),
        ),
    }


def percentile(sorted_ms: list[float], q: float) -> float:
    return round(sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))], 3)


def latency(world: World, calls: int, remote: bool) -> dict[str, float]:
    if remote:
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse
        from starlette.routing import Route
        from starlette.testclient import TestClient

        from accord.x402 import HttpFacilitator, PaidRoute, PaymentMiddleware

        async def quote(request: object) -> JSONResponse:
            return JSONResponse({"out": 1})

        app = Starlette(routes=[Route("/quote", quote)])
        app.add_middleware(
            PaymentMiddleware,
            facilitator=HttpFacilitator(world.facilitator_http, network="accord:1"),
            routes=[PaidRoute("/quote", (world.requirements,))],
        )
        world.http = TestClient(app)
    client = world.client(max_amount=10**9)
    paid, unpaid = [], []
    for _ in range(calls):
        start = time.perf_counter()
        assert client.request("GET", "/quote").response.status_code == 200
        paid.append((time.perf_counter() - start) * 1e3)
        start = time.perf_counter()
        assert world.http.get("/quote").status_code == 402
        unpaid.append((time.perf_counter() - start) * 1e3)
    paid.sort()
    unpaid.sort()
    return {
        "paid_call_p50_ms": percentile(paid, 0.5),
        "paid_call_p99_ms": percentile(paid, 0.99),
        "paid_calls_per_s": round(1e3 * len(paid) / sum(paid), 1),
        "unpaid_402_p50_ms": percentile(unpaid, 0.5),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON line last")
    parser.add_argument("--calls", type=int, default=300, help="paid calls timed")
    parser.add_argument("--quick", action="store_true", help="20 calls (a smoke run)")
    parser.add_argument("--remote", action="store_true", help="facilitator over HTTP")
    parser.add_argument("--node", action="store_true", help="settle through an accord node")
    args = parser.parse_args()
    calls = 20 if args.quick else args.calls
    world = make_world()
    report = {
        "gas_per_call": gas_per_call(world),
        "calls": calls,
        "facilitator": "http" if args.remote else "in-process",
        "device": "node" if args.node else "embedded",
    }
    if args.node:
        with tempfile.TemporaryDirectory() as data, node_world(Path(data) / "node") as on_node:
            report.update(latency(on_node, calls, args.remote))
    else:
        report.update(latency(make_world(), calls, args.remote))
    for method, gas in report["gas_per_call"].items():  # type: ignore[union-attr]
        print(f"{method:28s} {gas:>8,d} gas")
    for key, value in report.items():
        if key != "gas_per_call":
            print(f"{key:28s} {value}")
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
