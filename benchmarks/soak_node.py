"""Soak test of ``accord node``: kill -9 at seeded moments, restart, nothing acknowledged lost.

The real ``accord node`` runs as a subprocess (config in a temporary directory, a
loopback port, blocks sealed on demand through ``/admin/block``, ``block_time_ms`` 1,000:
3,600 blocks are an hour of device time). Against it:

* worker threads, one account each (:mod:`benchmarks.soak_node_load`): transfers of two
  assets, fee-bump replacements, an escrow deployed and called, commitments through
  ``accord_commit``, bundles, and hostile noise (replays, forgeries, a wrong chain id,
  fields altered after signing) that must all be refused;
* a ``newHeads`` subscriber, reconnecting after each restart;
* a client in its own process, killed with SIGKILL mid-stream (with a batch in flight);
* the node itself, killed with SIGKILL at seeded block heights, alternately while a
  ``/admin/block`` request is being answered and while the clients have requests in
  flight, and restarted on the same ``data_dir`` each time.

Every answer a client got is recorded client-side. At the end, after sealing blocks until
the mempool is empty, the soak asserts: every acknowledged transaction is in a sealed
block, or was replaced by a same-nonce transaction of its sender paying more (counted; the
only way the workload lets one leave the pool: ``docs/node.md``); no sealed block a client
was told of is missing or changed; hostile payloads were all refused; an independent
replay of ``chain.db`` in a fresh process (``accord replay``, and the device's replay API
with conservation checked) gives the node's head state hash; and each asset's supply is
its genesis supply less the base fees burned. Any violation fails with what was lost.

The kill schedule and the workload's choices come from ``--seed``; thread interleavings
and the moment within a block that a kill lands depend on the machine, so two runs differ
in detail (the chain each produces replays to itself, which is what is checked).

Usage (from the repository root)::

    .venv/bin/python benchmarks/soak_node.py                                # 3,600 blocks
    .venv/bin/python benchmarks/soak_node.py --blocks 60 --kills 2 --json  # a short run
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(ROOT))

from accord.node.signing import Signer  # noqa: E402
from benchmarks.soak_node_load import Ack, Book, Heads, HeadWatcher, Worker  # noqa: E402

TOKEN = "soak-admin-token-0123456789abcdef"
CHAIN_ID = 7
ETH0 = 10**18
USD0 = 10**9
OPENED = re.compile(r"\(opened in ([0-9.]+) s\)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def write_config(folder: Path, signers: dict[str, Signer], seed: int) -> tuple[Path, int]:
    """node.toml for the soak: on-demand blocks, limits far above the load."""
    import tomli_w

    port = _free_port()
    config = {
        "seed": seed,
        "node": {
            "port": port,
            "data_dir": "data",
            "admin_token": TOKEN,
            "block_interval_ms": 0,
            "limits": {
                "ip_rate": 1e6,
                "ip_burst": 10**6,
                "key_rate": 1e6,
                "key_burst": 10**6,
                "max_batch": 1_000,
            },
        },
        "device": {"chain_id": CHAIN_ID, "block_time_ms": 1_000},
        "genesis": {
            "public_keys": {n: s.public_key.hex() for n, s in signers.items()},
            "assets": {
                "ETH": {"issuer": "treasury", "alloc": dict.fromkeys(signers, ETH0)},
                "USD": {"issuer": "fed", "alloc": dict.fromkeys(signers, USD0)},
            },
        },
    }
    path = folder / "node.toml"
    path.write_text(tomli_w.dumps(config))
    return path, port


class NodeProcess:
    """The real ``accord node``: started, waited for on ``/health``, killed with -9."""

    def __init__(self, config: Path, port: int, log: Path) -> None:
        self.config = config
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 300.0) -> tuple[float, int]:
        """Start it and wait until ``/health`` answers: (seconds taken, head). The node's
        own figure for opening its files (the replay) is :meth:`opened_s` after."""
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        began = time.perf_counter()
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "accord.cli", "node", "--config", str(self.config)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SoakFailure(f"the node exited ({self.process.returncode}): {self.tail()}")
            try:
                answer = httpx.get(self.url + "/health", timeout=2)
                if answer.status_code == 200:
                    return time.perf_counter() - began, int(answer.json()["number"])
            except httpx.HTTPError:
                time.sleep(0.02)  # not listening yet: poll /health again
        raise SoakFailure(f"the node did not answer /health within {timeout:g} s")

    def opened_s(self) -> float:
        """What the node's last start said opening ``data_dir`` took (replaying
        ``chain.db`` and the journal), from its ``(opened in X s)`` line."""
        found = OPENED.findall(self.log.read_text(errors="replace"))
        if not found:
            raise SoakFailure(f"the node did not say how long it took to open: {self.tail()}")
        return float(found[-1])

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def shutdown(self) -> None:
        assert self.process is not None
        headers = {"Authorization": f"Bearer {TOKEN}"}
        httpx.post(self.url + "/admin/shutdown", headers=headers, timeout=30)
        code = self.process.wait(timeout=60)
        if code != 0:
            raise SoakFailure(f"the node exited with {code} on shutdown: {self.tail()}")

    def tail(self) -> str:
        return " | ".join(self.log.read_text(errors="replace").splitlines()[-5:])


class SoakFailure(AssertionError):
    """Something acknowledged was lost, or the node misbehaved (the message says what)."""


class Soak:
    """One run (module docstring)."""

    def __init__(self, args: argparse.Namespace, folder: Path) -> None:
        self.args = args
        self.folder = folder
        self.rng = np.random.default_rng(args.seed)
        names = [f"w{i}" for i in range(args.workers)] + ["c0"]
        self.signers = {n: Signer.generate(n, chain_id=CHAIN_ID) for n in names}
        config, port = write_config(folder, self.signers, args.seed)
        self.node = NodeProcess(config, port, folder / "node.log")
        self.book = Book()
        self.heads = Heads()
        self.admin = httpx.Client(base_url=self.node.url, timeout=60)
        self.kills = 0
        self.kills_mid_seal = 0
        self.in_flight_at_kills = 0
        self.restart_s: list[float] = []
        """Replay on each restart, as the node reports it (``(opened in X s)``)."""
        self.health_s: list[float] = []
        """Each restart from spawn to ``/health`` answering (imports included)."""
        self.failures: list[str] = []
        self.child_stats: dict[str, Any] = {}

    # -- blocks --------------------------------------------------------------------------
    def seal(self) -> dict[str, Any] | None:
        """Seal one block on demand; its answer recorded, or None if the node died."""
        try:
            answer = self.admin.post("/admin/block", headers={"Authorization": f"Bearer {TOKEN}"})
        except httpx.HTTPError:
            return None
        if answer.status_code != 200:
            raise SoakFailure(f"/admin/block: HTTP {answer.status_code}: {answer.text[:200]}")
        block: dict[str, Any] = answer.json()
        self.book.block(block["number"], block["hash"], block["state_hash"], "/admin/block")
        self.heads.advance(block["number"])
        return block

    # -- kills ---------------------------------------------------------------------------
    def kill_node(self, mode: str) -> None:
        """SIGKILL the node (mode ``seal``: a moment after a ``/admin/block`` request is
        sent; ``load``: while the clients send), restart it and check its head."""
        answered: list[dict[str, Any] | None] = []
        sealer = None
        if mode == "seal":
            sealer = threading.Thread(target=lambda: answered.append(self.seal()))
            sealer.start()
            time.sleep(float(self.rng.uniform(0.0, 0.004)))
        self.in_flight_at_kills += sum(w.in_flight for w in self.workers)
        self.heads.up.clear()
        self.node.kill9()
        if sealer is not None:
            sealer.join()
            self.kills_mid_seal += answered == [None]
        self.kills += 1
        seconds, head = self.node.start()
        self.restart_s.append(self.node.opened_s())
        self.health_s.append(seconds)
        known = max(self.book.blocks, default=0)
        if head < known:
            self.failures.append(f"restart {self.kills}: head {head}, a client was told of {known}")
        self.heads.advance(head)
        self.heads.up.set()
        self.say(
            f"kill {self.kills} ({mode}) at block {head}: replayed in "
            f"{self.restart_s[-1]:.2f} s, answering in {seconds:.2f} s"
        )

    def start_child(self) -> None:
        out = self.folder / "child.jsonl"
        spec = {
            "key": self.signers["c0"].private_key.hex(),
            "name": "c0",
            "chain_id": CHAIN_ID,
            "url": self.node.url,
            "to": "w0",
            "out": str(out),
            "batch": 4,
            "pause": 0.005,
            "seed": self.args.seed,
        }
        path = self.folder / "child.json"
        path.write_text(json.dumps(spec))
        script = ROOT / "benchmarks" / "soak_node_load.py"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.child = subprocess.Popen([sys.executable, str(script), str(path)], cwd=ROOT, env=env)
        self.child_out = out

    def _child_lines(self) -> list[dict[str, Any]]:
        if not self.child_out.exists():
            return []
        lines = []
        for raw in self.child_out.read_text().splitlines():
            with contextlib.suppress(json.JSONDecodeError):  # a line cut by the kill
                lines.append(json.loads(raw))
        return lines

    def kill_child(self) -> None:
        """SIGKILL the client process while a batch is in flight (its last line is a
        send without an answer), then take in what it was told."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            lines = self._child_lines()
            if any("ack" in x for x in lines) and lines and "sent" in lines[-1]:
                break
            time.sleep(0.001)  # poll the child's file for a send without its answer
        self.child.send_signal(signal.SIGKILL)
        self.child.wait(timeout=30)
        lines = self._child_lines()
        acks = [x for x in lines if "ack" in x]
        for x in acks:
            self.book.ack(x["ack"], Ack("child", "c0", (x["nonce"],), (x["ack"],)))
        for x in lines:
            if "refused" in x:
                self.book.refused_honest(f"child c0: {x['error']}")
        self.book.count("resolved", sum("resolved" in x for x in lines))
        self.child_stats = {
            "client_kills": 1,
            "client_acks": len(acks),
            "client_in_flight_at_kill": bool(lines) and "sent" in lines[-1],
        }
        self.say(f"client killed at block {self.heads.number}: {len(acks)} acknowledged")

    # -- the run -------------------------------------------------------------------------
    def say(self, text: str) -> None:
        if not self.args.quiet:
            print(text, file=sys.stderr, flush=True)

    def run(self) -> dict[str, Any]:
        args = self.args
        began = time.perf_counter()
        start_s, _ = self.node.start()
        self.heads.up.set()
        names = list(self.signers)
        self.workers = [
            Worker(
                self.signers[f"w{i}"],
                names,
                self.node.url,
                self.book,
                self.heads,
                np.random.default_rng([args.seed, i]),
                args.per_block,
            )
            for i in range(args.workers)
        ]
        watcher = HeadWatcher(self.node.url, self.book, self.heads)
        for thread in [*self.workers, watcher]:
            thread.start()
        span = range(2, max(3, args.blocks - 1))
        kill_at = sorted(
            int(b) for b in self.rng.choice(span, min(args.kills, len(span)), replace=False)
        )
        modes = ["seal" if i % 2 == 0 else "load" for i in range(len(kill_at))]
        child_at = int(self.rng.integers(max(2, args.blocks // 4), max(3, args.blocks // 2)))
        if args.client_kills:
            self.start_child()
        head = 0
        while head < args.blocks:
            if args.client_kills and not self.child_stats and head >= child_at:
                self.kill_child()
            if kill_at and head >= kill_at[0]:
                kill_at.pop(0)
                self.kill_node(modes.pop(0))
                head = self.heads.number
                continue
            block = self.seal()
            if block is None:
                raise SoakFailure(f"the node stopped answering at block {head}: {self.node.tail()}")
            head = block["number"]
            if head % 500 == 0:
                self.say(f"block {head}")
        if args.client_kills and not self.child_stats:
            self.kill_child()
        self.heads.stop()
        threads: list[Worker | HeadWatcher] = [*self.workers, watcher]
        for thread in threads:
            thread.join(timeout=120)
            if thread.is_alive() or thread.error is not None:
                self.failures.append(f"{thread.name}: {thread.error!r}")
        settled = self.settle()
        result = self.verify()
        result.update(
            {
                "blocks": args.blocks,
                "settle_blocks": settled,
                "device_time_s": self.heads.number,  # block_time_ms = 1,000
                "kills": self.kills,
                "kills_mid_seal": self.kills_mid_seal,
                "requests_in_flight_at_kills": self.in_flight_at_kills,
                "restarts": len(self.restart_s),
                "start_s": round(start_s, 3),
                "restart_s": _median(self.restart_s),
                "restart_s_max": round(max(self.restart_s), 3) if self.restart_s else None,
                "restart_to_health_s": _median(self.health_s),
                "heads_notified": watcher.seen,
                **self.child_stats,
                "wall_s": round(time.perf_counter() - began, 2),
            }
        )
        return result

    def settle(self) -> int:
        """Seal blocks until nothing acknowledged is pending (at most ``--settle``)."""
        sealed = 0
        while sealed < self.args.settle:
            rpc = self.rpc("accord_pendingTransactions")
            if sealed >= 3 and not rpc:
                break
            if self.seal() is None:
                raise SoakFailure("the node died while settling")
            sealed += 1
        return sealed

    def rpc(self, method: str, params: Any = None) -> Any:
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": method}
        if params is not None:
            body["params"] = params
        answer = self.admin.post("/", json=body).json()
        if "error" in answer:
            raise SoakFailure(f"{method}: {answer['error']}")
        return answer["result"]

    def chain(self, head: int) -> list[dict[str, Any]]:
        """Every block 1..head, with full transactions (JSON-RPC batches)."""
        blocks: list[dict[str, Any]] = []
        for first in range(1, head + 1, 500):
            batch = [
                {
                    "jsonrpc": "2.0",
                    "id": n,
                    "method": "accord_getBlock",
                    "params": {"number": n, "full": True},
                }
                for n in range(first, min(head, first + 499) + 1)
            ]
            answers = sorted(self.admin.post("/", json=batch).json(), key=lambda a: a["id"])
            blocks.extend(a["result"] for a in answers)
        return blocks

    def verify(self) -> dict[str, Any]:
        book = self.book
        info = self.rpc("accord_nodeInfo")
        head = info["head"]["number"]
        blocks = self.chain(head)
        included: dict[str, int] = {}
        slots: dict[tuple[str, int], str] = {}
        for block in blocks:
            for tx in block["transactions"]:
                included[tx["hash"]] = block["number"]
                slots[(tx["sender"], tx["nonce"])] = tx["hash"]
        pending = {tx["hash"] for tx in self.rpc("accord_pendingTransactions")}
        outcome = {"included": 0, "replaced": 0, "pending": 0, "lost": 0}
        lost: list[str] = []
        for payload, ack in book.acks.items():
            if all(h in included for h in ack.tx_hashes):
                outcome["included"] += 1
            elif ack.kind != "bundle" and slots.get((ack.sender, ack.nonces[0])) not in (
                None,
                ack.tx_hashes[0],
            ):
                outcome["replaced"] += 1
            elif any(h in pending for h in ack.tx_hashes):
                outcome["pending"] += 1
                lost.append(f"{ack.kind} {payload[:16]} ({ack.sender}#{ack.nonces}) still pending")
            else:
                outcome["lost"] += 1
                lost.append(f"{ack.kind} {payload[:16]} ({ack.sender}#{ack.nonces}) is in no block")
        lost_blocks = []
        for number, (block_hash, state_hash) in sorted(book.blocks.items()):
            have = blocks[number - 1] if number <= len(blocks) else None
            if have is None or (have["hash"], have["state_hash"]) != (block_hash, state_hash):
                lost_blocks.append(
                    f"block {number} {block_hash[:16]}: now {have and have['hash'][:16]}"
                )
        self.node.shutdown()
        replayed = self.replay()
        equal = replayed["state_hash"] == info["state_hash"] == blocks[-1]["state_hash"]
        failures = [*self.failures, *book.conflicts, *lost, *lost_blocks, *book.noise_acked]
        failures += [f"honest payload refused: {x}" for x in book.honest_refused]
        failures += replayed["failures"]
        if not equal:
            failures.append(
                f"replay {replayed['state_hash'][:16]} != node {info['state_hash'][:16]}"
            )
        return {
            "tx_acknowledged": len(book.acks),
            "tx_included": outcome["included"],
            "tx_replaced": outcome["replaced"],
            "tx_evicted": 0,
            "tx_expired": 0,
            "lost": outcome["lost"] + outcome["pending"] + len(lost_blocks),
            "lost_blocks": len(lost_blocks),
            "blocks_acknowledged": len(book.blocks),
            "acknowledged_by_kind": dict(sorted(book.actions.items())),
            "resent_settled": book.resolved,
            "late_replacements": book.late_replacements,
            "transactions_in_chain": len(included),
            "noise_sent": sum(book.noise.values()),
            "noise_refused": sum(book.noise_refused.values()),
            "noise_by_kind": dict(sorted(book.noise.items())),
            "replay_equal": equal,
            "replay_s": replayed["seconds"],
            "supply": replayed["supply"],
            "burned": replayed["burned"],
            "conservation": not replayed["failures"],
            "state_hash": info["state_hash"],
            "failures": failures[:50],
            "ok": not failures,
        }

    def replay(self) -> dict[str, Any]:
        """Replay ``chain.db`` in fresh processes: ``accord replay`` (its last line is the
        state hash) and :func:`check_log` (conservation, supply)."""
        path = self.node.config.parent / "data" / "chain.db"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        began = time.perf_counter()
        cli = subprocess.run(
            [sys.executable, "-m", "accord.cli", "replay", str(path)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            check=False,
        )
        seconds = time.perf_counter() - began
        if cli.returncode != 0:
            raise SoakFailure(f"accord replay failed: {cli.stderr.strip()[-300:]}")
        state = cli.stdout.strip().splitlines()[-1]
        checked = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--check-log", str(path)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            check=False,
        )
        if checked.returncode != 0:
            raise SoakFailure(f"check-log failed: {checked.stderr.strip()[-300:]}")
        report: dict[str, Any] = json.loads(checked.stdout.strip().splitlines()[-1])
        failures = list(report["failures"])
        if report["state_hash"] != state:
            failures.append(f"two replays differ: {report['state_hash'][:16]} vs {state[:16]}")
        genesis = {"ETH": ETH0 * len(self.signers), "USD": USD0 * len(self.signers)}
        expected = {"ETH": genesis["ETH"] - report["burned"], "USD": genesis["USD"]}
        if report["supply"] != expected:
            failures.append(f"supply {report['supply']} != genesis less burned {expected}")
        return {**report, "state_hash": state, "seconds": round(seconds, 3), "failures": failures}


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def check_log(path: str) -> dict[str, Any]:
    """Replay a chain log here (a fresh process) and check conservation: free plus locked
    holdings equal each asset's supply, nothing negative, and the burned base fees."""
    from accord.device import checks, replay

    device = replay(path)
    failures = []
    for check in (checks.conservation, checks.no_negative_balances):
        try:
            check(device)
        except checks.InvariantViolation as exc:
            failures.append(str(exc))
    burned = sum(r.fee_paid - r.tip_paid for b in device.blocks for r in b.receipts)
    return {
        "number": device.number,
        "state_hash": device.state_hash().hex(),
        "supply": {a: device.supply(a) for a in ("ETH", "USD")},
        "burned": burned,
        "failures": failures,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=3_600, help="blocks to seal (3,600: an hour)")
    parser.add_argument("--kills", type=int, default=6, help="node kills (SIGKILL) and restarts")
    parser.add_argument("--client-kills", type=int, choices=(0, 1), default=1)
    parser.add_argument("--workers", type=int, default=4, help="client threads, one account each")
    parser.add_argument("--per-block", type=int, default=2, help="actions per worker per block")
    parser.add_argument("--settle", type=int, default=50, help="most blocks sealed at the end")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="keep the node's files here")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--json", action="store_true", help="the last stdout line is JSON")
    parser.add_argument("--check-log", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.check_log:
        print(json.dumps(check_log(args.check_log)))
        return 0
    with tempfile.TemporaryDirectory(prefix="soak-node-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        soak = Soak(args, folder)
        try:
            result = soak.run()
        finally:
            process = soak.node.process
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
            child = getattr(soak, "child", None)
            if child is not None and child.poll() is None:
                child.kill()
                child.wait()
    result.update({"seed": args.seed, "workers": args.workers, "python": platform.python_version()})
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0 if result["ok"] and result["lost"] == 0 and result["replay_equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
