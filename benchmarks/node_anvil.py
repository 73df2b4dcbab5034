"""The anvil side of ``bench_node.py``: the same workload on Foundry's anvil.

**Install.** anvil comes from the npm package ``@foundry-rs/anvil`` (version
:data:`ANVIL_VERSION`, pinned), whose platform package (``@foundry-rs/anvil-linux-amd64``
…, an optional dependency) ships the binary. :func:`anvil_binary` looks for
``$ACCORD_ANVIL``, then ``~/.cache/accord/anvil/node_modules/.bin/anvil``, and otherwise
installs the package there with ``npm install --prefix``; it runs the platform package's
binary itself (``.bin/anvil`` is a Node.js launcher that spawns it) and checks
``anvil --version`` runs. If any of that fails, the benchmark reports anvil as null with the reason.

**Chain.** anvil is started on a free loopback port with ``--no-mining`` and sealed on
demand: the load sends ``evm_mine`` every ``block_ms`` on its own connection (as the
accord node's timer seals every ``block_interval_ms``; automine would seal one block per
transaction). The block gas limit is 10^12 (no block is ever full, as on the accord
side); ``--silent``.

**Stranded transactions.** Under this load anvil 1.7.1 strands transactions: one that
arrives while its sender's previous one is being mined is filed in the pool's *queued*
set although its nonce is the account's next, and it and every later one of that sender
stay there, never mined (e.g. nonce 1005 queued with the account at 1005). With
``--block-time`` (interval mining) it happened within 2 to 3 repetitions of 4,000
transactions, and even among the 16 setup deposits; with ``evm_mine`` it is rarer, but
seen. So when every client is done
and acknowledged transactions have waited a second unmined, :meth:`AnvilNode.repair`
empties anvil's pool and sends every outstanding transaction's same signed bytes again
(same hashes), sender by sender in nonce order, which anvil then files as ready. The
count is reported (``anvil_repaired``), and the time lost stays in anvil's figures.

**Workload.** K clients, each with its own secp256k1 key (funded with
``anvil_setBalance``), send EIP-1559 transactions signed with ``eth-account``
(:data:`MAX_FEE_PER_GAS` covers any base fee the run can reach) through
``eth_sendRawTransaction``: alternately a transfer of 1 wei to a sink address and
``move(me, sink, 1)`` on ``benchmarks/escrow.vy``, compiled with the ``vyper`` package at
benchmark time and deployed by client 0; each client deposits into its own balance
before the clock starts. :meth:`AnvilNode.verify` checks every receipt's status, every
nonce, the sink's balance and every escrow balance.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.node_accord import free_port
from benchmarks.node_load import Connection, LoadError, Plan, norm, rpc_body, wait_until_up

ANVIL_VERSION = "1.7.1"
CACHE = Path.home() / ".cache" / "accord" / "anvil"
VYPER_SOURCE = Path(__file__).resolve().parent / "escrow.vy"
FUNDS = 10**30
DEPOSIT = 10**12
SINK = "0x" + "5" * 40
MAX_FEE_PER_GAS = 10**11
PRIORITY_FEE = 10**9
TRANSFER_GAS = 21_000
CALL_GAS = 100_000


def anvil_binary(install: bool = True) -> tuple[Path | None, str]:
    """anvil's path and its ``--version`` line, or None and why not (module docstring)."""
    given = os.environ.get("ACCORD_ANVIL")
    if given:
        return _version(Path(given))
    cached = CACHE / "node_modules" / ".bin" / "anvil"
    if not cached.exists() and install:
        failed = _npm_install()
        if failed:
            return None, failed
    if not cached.exists():
        return None, f"anvil not found at {cached} (and not installing)"
    # .bin/anvil is a Node.js launcher that spawns the platform package's binary: run
    # that binary itself, so that the server's CPU time (/proc) is anvil's own.
    native = sorted((CACHE / "node_modules" / "@foundry-rs").glob("anvil-*/bin/anvil"))
    return _version(native[0] if native else cached)


def _npm_install() -> str | None:
    """Install the pinned package into :data:`CACHE`; None, or why it failed."""
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not installed, so @foundry-rs/anvil cannot be"
    CACHE.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            npm,
            "install",
            "--prefix",
            str(CACHE),
            "--no-audit",
            "--no-fund",
            f"@foundry-rs/anvil@{ANVIL_VERSION}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return f"npm install @foundry-rs/anvil@{ANVIL_VERSION} failed: {tail[0]}"
    return None


def _version(path: Path) -> tuple[Path | None, str]:
    try:
        done = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError as exc:
        return None, f"{path} does not run: {exc}"
    if done.returncode != 0:
        return None, f"{path} --version failed: {done.stderr.strip()[:200]}"
    return path, done.stdout.strip().splitlines()[0]


def _selector(signature: str) -> bytes:
    from eth_utils.abi import function_signature_to_4byte_selector

    selector: bytes = function_signature_to_4byte_selector(signature)
    return selector


def _calldata(signature: str, types: list[str], values: list[Any]) -> bytes:
    from eth_abi.abi import encode

    return _selector(signature) + encode(types, values)


class AnvilNode:
    """anvil with K funded clients and the Vyper escrow deployed."""

    name = "anvil"

    def __init__(self, binary: Path, clients: int, block_ms: int, seed: int = 0) -> None:
        from eth_account import Account

        self.binary = binary
        self.block_ms = block_ms
        self.accounts = [
            Account.from_key(hashlib.sha256(f"bench-node-{seed}-{k}".encode()).digest())
            for k in range(clients)
        ]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.http = httpx.Client(timeout=60)
        self.nonces = [0] * clients
        self.transfers = [0] * clients
        self.moves = [0] * clients
        self.sent: list[str] = []
        self.raw: dict[str, str] = {}
        """Every signed transaction's raw bytes (0x-hex) by hash, for :meth:`repair`."""
        self.order: dict[str, tuple[int, int]] = {}
        """Every signed transaction's (client, nonce) by hash, for :meth:`repair`."""
        self.chain_id = 0
        self.address = ""

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                str(self.binary),
                "--port",
                str(self.port),
                "--host",
                "127.0.0.1",
                "--no-mining",
                "--gas-limit",
                str(10**12),
                "--silent",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

        def answers() -> bool:
            self.chain_id = int(self.rpc("eth_chainId", []), 16)
            return True

        wait_until_up(self.process, "anvil", answers)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.http.close()
        self.process = None

    def rpc(self, method: str, params: list[Any]) -> Any:
        answer = self.http.post(self.url, content=rpc_body(method, params), headers=_JSON).json()
        if "error" in answer:
            raise LoadError(f"anvil {method}: {answer['error']}")
        return answer["result"]

    def _receipt(self, tx_hash: str, timeout: float = 30.0) -> dict[str, Any]:
        self.rpc("evm_mine", [])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            receipt = self.rpc("eth_getTransactionReceipt", [tx_hash])
            if receipt is not None:
                if receipt["status"] != "0x1":
                    raise LoadError(f"anvil: {tx_hash} reverted: {receipt}")
                return dict(receipt)
            time.sleep(0.02)
        raise LoadError(f"anvil: {tx_hash} not mined within {timeout:g} s")

    def _signed(self, k: int, to: str | None, data: bytes, gas: int, value: int = 0) -> Any:
        tx: dict[str, Any] = {
            "type": 2,
            "chainId": self.chain_id,
            "nonce": self.nonces[k],
            "value": value,
            "gas": gas,
            "maxFeePerGas": MAX_FEE_PER_GAS,
            "maxPriorityFeePerGas": PRIORITY_FEE,
            "data": data,
        }
        if to is not None:
            tx["to"] = to
        self.nonces[k] += 1
        return self.accounts[k].sign_transaction(tx)

    def _send(self, signed: Any) -> str:
        got: str = self.rpc("eth_sendRawTransaction", ["0x" + signed.raw_transaction.hex()])
        return got

    def setup(self) -> None:
        """Fund the clients, deploy the escrow and fund their escrow balances."""
        import vyper  # type: ignore[import-untyped]

        for account in self.accounts:
            self.rpc("anvil_setBalance", [account.address, hex(FUNDS)])
        code = vyper.compile_code(VYPER_SOURCE.read_text(), output_formats=["bytecode"])
        bytecode = bytes.fromhex(code["bytecode"].removeprefix("0x"))
        receipt = self._receipt(self._send(self._signed(0, None, bytecode, 1_000_000)))
        from eth_utils.address import to_checksum_address

        self.address = to_checksum_address(receipt["contractAddress"])
        deposits = [
            self._send(
                self._signed(
                    k,
                    self.address,
                    _calldata(
                        "deposit(address,uint256)", ["address", "uint256"], [a.address, DEPOSIT]
                    ),
                    CALL_GAS,
                )
            )
            for k, a in enumerate(self.accounts)
        ]
        for h in deposits:
            self._receipt(h)

    def sign(self, k: int) -> Any:
        """Client ``k``'s next transaction: a transfer or an escrow move, alternately."""
        if self.nonces[k] % 2:
            self.transfers[k] += 1
            return self._signed(k, SINK, b"", TRANSFER_GAS, value=1)
        self.moves[k] += 1
        data = _calldata(
            "move(address,address,uint256)",
            ["address", "address", "uint256"],
            [self.accounts[k].address, SINK, 1],
        )
        return self._signed(k, self.address, data, CALL_GAS)

    def plans(self, per_client: int, batch: int) -> list[Plan]:
        plans = []
        for k in range(len(self.accounts)):
            first = self.nonces[k]
            txs = [self.sign(k) for _ in range(per_client)]
            raws = ["0x" + t.raw_transaction.hex() for t in txs]
            hashes_all = [norm(t.hash.hex()) for t in txs]
            self.sent += hashes_all
            self.raw.update(zip(hashes_all, raws, strict=True))
            self.order.update((h, (k, first + i)) for i, h in enumerate(hashes_all))
            bodies, hashes = [], []
            for i in range(0, per_client, batch):
                chunk = raws[i : i + batch]
                if batch == 1:
                    body = rpc_body("eth_sendRawTransaction", chunk)
                else:
                    body = json.dumps(
                        [
                            {
                                "jsonrpc": "2.0",
                                "id": j,
                                "method": "eth_sendRawTransaction",
                                "params": [raw],
                            }
                            for j, raw in enumerate(chunk)
                        ],
                        separators=(",", ":"),
                    ).encode()
                bodies.append(body)
                hashes.append(hashes_all[i : i + batch])
            plans.append(Plan(bodies, hashes))
        return plans

    # -- Side ----------------------------------------------------------------------------
    def acked(self, answer: Any) -> list[str]:
        return [norm(r) for r in _results(answer)]

    def head_body(self) -> bytes:
        return rpc_body("eth_blockNumber", [])

    def head_of(self, answer: Any) -> int:
        return int(_results(answer)[0], 16)

    def block_body(self, number: int) -> bytes:
        return rpc_body("eth_getBlockByNumber", [hex(number), False])

    def hashes_of(self, answer: Any) -> list[str]:
        block = _results(answer)[0]
        return list(block["transactions"]) if block else []

    def mine_body(self) -> bytes | None:
        return rpc_body("evm_mine", [])  # sent every block_ms by the load

    async def repair(self, conn: Connection, outstanding: list[str]) -> int:
        """Put back the stranded, once every client is done: empty the pool
        (``anvil_dropAllTransactions``; dropping one transaction leaves it "already
        imported") and send every outstanding transaction's same signed bytes again,
        sender by sender in nonce order (same hashes), which anvil files as ready.
        Returns how many were sent again."""

        async def call(method: str, params: list[Any]) -> Any:
            answer = json.loads(await conn.post(rpc_body(method, params)))
            if "error" in answer:
                return LoadError(f"anvil {method}: {answer['error']}")
            return answer["result"]

        dropped = await call("anvil_dropAllTransactions", [])
        if isinstance(dropped, LoadError):
            raise dropped
        resent = 0
        for h in sorted(outstanding, key=self.order.__getitem__):
            got = await call("eth_sendRawTransaction", [self.raw[h]])
            if isinstance(got, LoadError):
                if "nonce too low" in str(got).lower():
                    continue  # mined meanwhile
                raise got
            if norm(got) != h:
                raise LoadError(f"anvil: resending {h} answered {got}")
            resent += 1
        return resent

    def verify(self) -> None:
        """Every acknowledged transaction mined with status 1; balances as expected."""
        for i in range(0, len(self.sent), 100):
            chunk = self.sent[i : i + 100]
            body = json.dumps(
                [
                    {
                        "jsonrpc": "2.0",
                        "id": j,
                        "method": "eth_getTransactionReceipt",
                        "params": ["0x" + h],
                    }
                    for j, h in enumerate(chunk)
                ]
            ).encode()
            answer = self.http.post(self.url, content=body, headers=_JSON).json()
            for h, receipt in zip(chunk, _results(answer), strict=True):
                if receipt is None or receipt["status"] != "0x1":
                    raise LoadError(f"anvil: transaction {h} not mined with status 1: {receipt}")
        for k, account in enumerate(self.accounts):
            nonce = int(self.rpc("eth_getTransactionCount", [account.address, "latest"]), 16)
            if nonce != self.nonces[k]:
                raise LoadError(
                    f"anvil: {account.address} nonce {nonce}, expected {self.nonces[k]}"
                )
            held = self._escrow(account.address)
            if held != DEPOSIT - self.moves[k]:
                raise LoadError(
                    f"anvil: escrow of client {k} holds {held}, expected {DEPOSIT - self.moves[k]}"
                )
        sink = int(self.rpc("eth_getBalance", [SINK, "latest"]), 16)
        if sink != sum(self.transfers):
            raise LoadError(f"anvil: sink holds {sink} wei, expected {sum(self.transfers)}")
        if self._escrow(SINK) != sum(self.moves):
            raise LoadError(
                f"anvil: escrow sink holds {self._escrow(SINK)}, expected {sum(self.moves)}"
            )

    def _escrow(self, who: str) -> int:
        data = _calldata("balances(address)", ["address"], [who])
        out = self.rpc("eth_call", [{"to": self.address, "data": "0x" + data.hex()}, "latest"])
        return int(out, 16)


_JSON = {"Content-Type": "application/json"}


def _results(answer: Any) -> list[Any]:
    answers = sorted(answer, key=lambda a: a.get("id", 0)) if isinstance(answer, list) else [answer]
    results = []
    for a in answers:
        if "error" in a:
            raise LoadError(f"anvil: refused: {a['error']}")
        results.append(a["result"])
    return results
