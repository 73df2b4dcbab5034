"""The accord side of ``bench_node.py``: the real ``accord node`` as a subprocess.

The node serves a fresh chain in a temporary ``data_dir`` (chain log and mempool
journal on disk, as in production) with its block timer at ``block_ms`` and its rate
limits raised past the load (the limits are configuration, ``docs/node.md``; the
defaults, 50 payloads a second per key, would measure the limiter). K clients ``c0`` …
each hold their own ed25519 key (:class:`accord.node.Signer`); the genesis binds their
public keys and funds them. ``c0`` deploys ``benchmarks.bench_contracts:Escrow`` and each
client deposits into its own escrow balance before the clock starts.

The workload alternates, per client, a plain transfer of 1 ETH base unit to ``sink``
and ``Escrow.move(c_k, "sink", 1)``. :meth:`AccordNode.verify` checks at the end that
every acknowledged transaction has a ``success`` receipt, every client's nonce, the
sink's balance and every escrow balance.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import tomli_w

from accord.node import Signer
from benchmarks.node_load import Connection, LoadError, Plan, norm, rpc_body, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
CHAIN_ID = 7
TOKEN = "bench-node-admin-token-0123456789"
FUNDS = 10**30
DEPOSIT = 10**12
TRANSFER_GAS = 50_000
CALL_GAS = 100_000
MAX_FEE = 10_000
ESCROW = "benchmarks.bench_contracts:Escrow"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class AccordNode:
    """``accord node`` with K funded clients and the escrow deployed."""

    name = "accord"

    def __init__(self, clients: int, block_ms: int, workdir: Path, max_batch: int) -> None:
        self.signers = [Signer.generate(f"c{k}", chain_id=CHAIN_ID) for k in range(clients)]
        self.block_ms = block_ms
        self.workdir = workdir
        self.max_batch = max_batch
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.http = httpx.Client(timeout=60)
        self.nonces = [0] * clients
        self.transfers = [0] * clients
        self.moves = [0] * clients
        self.sent: list[str] = []
        self.address = ""

    # -- the node process ----------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        many = 10**9
        return {
            "seed": 0,
            "node": {
                "port": self.port,
                "data_dir": str(self.workdir / "data"),
                "admin_token": TOKEN,
                "block_interval_ms": self.block_ms,
                "limits": {
                    "ip_rate": float(many),
                    "ip_burst": many,
                    "key_rate": float(many),
                    "key_burst": many,
                    "max_batch": self.max_batch,
                    "max_request_bytes": 16 * 1024 * 1024,
                },
            },
            "device": {"chain_id": CHAIN_ID, "block_gas_limit": 10**12},
            "genesis": {
                "contract_modules": ["accord.contracts", "benchmarks"],
                "public_keys": {s.address: s.public_key.hex() for s in self.signers},
                "assets": {
                    "ETH": {
                        "issuer": "treasury",
                        "alloc": {**{s.address: FUNDS for s in self.signers}, "sink": 1},
                    }
                },
            },
        }

    def start(self, profile: Path | None = None, spy: Path | None = None) -> None:
        """Start the node (under cProfile, writing ``profile`` at shutdown, if given; or
        sampled by ``py-spy record``, its raw folded stacks written to ``spy``)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        path = self.workdir / "node.toml"
        path.write_text(tomli_w.dumps(self.config()))
        prefix = [sys.executable]
        if profile is not None:
            prefix += ["-m", "cProfile", "-o", str(profile)]
        if spy is not None:
            tool = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
            prefix = [tool, "record", "-r", "500", "-f", "raw", "-o", str(spy), "--", *prefix]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [*prefix, "-m", "accord.cli", "node", "--config", str(path)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        wait_until_up(
            self.process,
            "accord node",
            lambda: self.http.get(self.url + "/health", timeout=1).status_code == 200,
        )

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            try:
                self._admin("shutdown")
                process.wait(timeout=30)
            except (httpx.HTTPError, subprocess.TimeoutExpired):
                process.kill()
                process.wait(timeout=10)
        self.http.close()
        self.process = None

    # -- JSON-RPC ------------------------------------------------------------------------
    def rpc(self, method: str, params: Any = None) -> Any:
        answer = self.http.post(
            self.url + "/", content=rpc_body(method, params or {}), headers=_JSON
        ).json()
        if "error" in answer:
            raise LoadError(f"accord {method}: {answer['error']}")
        return answer["result"]

    def _admin(self, what: str) -> Any:
        response = self.http.post(
            f"{self.url}/admin/{what}", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        response.raise_for_status()
        return response.json()

    def setup(self) -> None:
        """Deploy the escrow and fund every client's escrow balance (not timed)."""
        c0 = self.signers[0]
        deploy = c0.sign(self._nonce(0), "", ESCROW, (), gas_limit=1_000_000, max_fee=MAX_FEE)
        self.rpc("accord_sendTransaction", {"transaction": deploy})
        self._admin("block")
        receipt = self.rpc("accord_getTransactionReceipt", {"hash": deploy["hash"]})
        if receipt is None or receipt["status"] != "success":
            raise LoadError(f"accord: the escrow was not deployed: {receipt}")
        self.address = receipt["contract_address"]
        deposits = []
        for k, signer in enumerate(self.signers):
            tx = signer.sign(
                self._nonce(k),
                self.address,
                "deposit",
                (signer.address, DEPOSIT),
                gas_limit=CALL_GAS,
                max_fee=MAX_FEE,
            )
            self.rpc("accord_sendTransaction", {"transaction": tx})
            deposits.append(tx["hash"])
        self._admin("block")
        for h in deposits:
            receipt = self.rpc("accord_getTransactionReceipt", {"hash": h})
            if receipt is None or receipt["status"] != "success":
                raise LoadError(f"accord: a deposit failed: {receipt}")

    def _nonce(self, k: int) -> int:
        nonce = self.nonces[k]
        self.nonces[k] += 1
        return nonce

    # -- the workload --------------------------------------------------------------------
    def sign(self, k: int) -> dict[str, Any]:
        """Client ``k``'s next transaction: a transfer or an escrow move, alternately."""
        signer = self.signers[k]
        nonce = self._nonce(k)
        if nonce % 2:
            self.transfers[k] += 1
            return signer.transfer(
                nonce, "sink", {"ETH": 1}, gas_limit=TRANSFER_GAS, max_fee=MAX_FEE
            )
        self.moves[k] += 1
        return signer.sign(
            nonce,
            self.address,
            "move",
            (signer.address, "sink", 1),
            gas_limit=CALL_GAS,
            max_fee=MAX_FEE,
        )

    def plans(self, per_client: int, batch: int) -> list[Plan]:
        """Every client's requests, signed now (before the clock starts)."""
        plans = []
        for k in range(len(self.signers)):
            txs = [self.sign(k) for _ in range(per_client)]
            self.sent += [norm(tx["hash"]) for tx in txs]
            bodies, hashes = [], []
            for i in range(0, per_client, batch):
                chunk = txs[i : i + batch]
                if batch == 1:
                    body = rpc_body("accord_sendTransaction", {"transaction": chunk[0]})
                else:
                    body = _batch("accord_sendTransaction", [{"transaction": t} for t in chunk])
                bodies.append(body)
                hashes.append([norm(t["hash"]) for t in chunk])
            plans.append(Plan(bodies, hashes))
        return plans

    # -- Side ----------------------------------------------------------------------------
    def acked(self, answer: Any) -> list[str]:
        return [norm(r) for r in _results("accord", answer)]

    def head_body(self) -> bytes:
        return rpc_body("eth_blockNumber", [])

    def head_of(self, answer: Any) -> int:
        return int(_results("accord", answer)[0], 16)

    def block_body(self, number: int) -> bytes:
        return rpc_body("accord_getBlock", {"number": number})

    def hashes_of(self, answer: Any) -> list[str]:
        block = _results("accord", answer)[0]
        return list(block["transactions"]) if block else []

    def mine_body(self) -> bytes | None:
        return None  # the node's own timer (block_interval_ms) seals blocks

    async def repair(self, conn: Connection, outstanding: list[str]) -> int:
        return 0  # nothing is put back: a transaction accord loses fails the run

    # -- the end -------------------------------------------------------------------------
    def verify(self) -> None:
        """Every acknowledged transaction included with success; balances as expected."""
        for i in range(0, len(self.sent), self.max_batch):
            chunk = self.sent[i : i + self.max_batch]
            body = _batch("accord_getTransactionReceipt", [{"hash": h} for h in chunk])
            answer = self.http.post(self.url + "/", content=body, headers=_JSON).json()
            for h, receipt in zip(chunk, _results("accord", answer), strict=True):
                if receipt is None or receipt["status"] != "success":
                    raise LoadError(f"accord: transaction {h} not included with success: {receipt}")
        for k, signer in enumerate(self.signers):
            account = self.rpc("accord_getAccount", {"account": signer.address})
            if account["nonce"] != self.nonces[k]:
                raise LoadError(
                    f"accord: {signer.address} nonce {account['nonce']}, expected {self.nonces[k]}"
                )
            held, want = self._escrow(signer.address), DEPOSIT - self.moves[k]
            if held != want:
                raise LoadError(f"accord: escrow {signer.address} holds {held}, expected {want}")
        sink = self.rpc("accord_getBalance", {"account": "sink", "asset": "ETH"})
        if sink != 1 + sum(self.transfers):
            raise LoadError(f"accord: sink holds {sink}, expected {1 + sum(self.transfers)}")
        if self._escrow("sink") != sum(self.moves):
            raise LoadError(
                f"accord: escrow sink holds {self._escrow('sink')}, expected {sum(self.moves)}"
            )

    def _escrow(self, who: str) -> int:
        held: int = self.rpc(
            "accord_call", {"to": self.address, "method": "balance_of", "args": [who]}
        )
        return held


_JSON = {"Content-Type": "application/json"}


def _batch(method: str, params: list[Any]) -> bytes:
    import json

    return json.dumps(
        [{"jsonrpc": "2.0", "id": i, "method": method, "params": p} for i, p in enumerate(params)],
        separators=(",", ":"),
    ).encode()


def _results(side: str, answer: Any) -> list[Any]:
    """The results of one answer or a batch (in id order); any error raises."""
    answers = sorted(answer, key=lambda a: a.get("id", 0)) if isinstance(answer, list) else [answer]
    results = []
    for a in answers:
        if "error" in a:
            raise LoadError(f"{side}: refused: {a['error']}")
        results.append(a["result"])
    return results
