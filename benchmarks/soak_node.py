"""Soak test of ``accord node``: kill -9 at seeded moments, restart, nothing acknowledged lost.

The real ``accord node`` runs as a subprocess (:mod:`benchmarks.soak_node_process`:
config in a temporary directory, a loopback port, ``block_time_ms`` 1,000, so 3,600
blocks are an hour of device time). Blocks are sealed on demand through ``/admin/block``
as fast as the node answers, or with ``--block-interval-ms`` by the node's own timer.
Against it:

* worker threads, one account each (:mod:`benchmarks.soak_node_load`): transfers of two
  assets, fee-bump replacements, an escrow deployed and called, commitments through
  ``accord_commit``, bundles, accounts opened over the network, and hostile noise
  (replays, forgeries, a wrong chain id, fields altered after signing) that must all be
  refused;
* a ``newHeads`` subscriber, reconnecting after each restart;
* a client in its own process (:mod:`benchmarks.soak_node_child`), killed with SIGKILL
  mid-stream, with a batch in flight;
* the node itself, killed with SIGKILL at seeded block heights, in turn: a moment after a
  ``/admin/block`` request is sent (under the timer: a seeded moment into the block
  interval), while the clients have requests in flight, and again while restarting (while
  it replays ``chain.db``: :meth:`Soak.kill_restarting`); restarted on the same
  ``data_dir`` each time.

Every answer a client got is recorded client-side. At the end (under the timer, after a
restart with the timer off), after sealing blocks until the mempool is empty, the soak
asserts: every acknowledged transaction is in a sealed block, or was replaced by a
same-nonce transaction of its sender paying more (counted: the one way this workload lets
one leave the pool; it cannot fill the pool to eviction, 65,536, nor outlive a pending
transaction's lifetime, 3 hours of device time, so any other disappearance is a loss); every
account whose opening was answered has its key; no sealed block a client was told of is
missing or changed; hostile payloads were all refused; two independent replays of
``chain.db``, each in a fresh process, give the node's head state hash; and each asset's
supply is its genesis supply less the base fees burned, holdings equal to supply. Any
violation fails with what was lost.

The kill schedule and the workload's choices come from ``--seed``; thread interleavings
and the moment within a block that a kill lands depend on the machine, so two runs differ
in detail (the chain each produces replays to itself, which is what is checked).

Usage (from the repository root)::

    .venv/bin/python benchmarks/soak_node.py                                # 3,600 blocks
    .venv/bin/python benchmarks/soak_node.py --blocks 60 --kills 2 --json  # a short run
    .venv/bin/python benchmarks/soak_node.py --block-interval-ms 20        # the timer seals
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(ROOT))

from accord.node.signing import Signer  # noqa: E402
from benchmarks.soak_node_load import Ack, Book, Heads, HeadWatcher, Worker  # noqa: E402
from benchmarks.soak_node_process import (  # noqa: E402
    CHAIN_ID,
    TOKEN,
    NodeProcess,
    SoakFailure,
    free_port,
    node_config,
    replay_in_fresh_processes,
)

MODES = ("seal", "startup", "load")
"""The node kills in turn (module docstring)."""
CHILD_MIN_ACKS = 12
"""Answers the killed client must have had first (three batches): killed mid-stream."""


class Soak:
    """One run (module docstring)."""

    def __init__(self, args: argparse.Namespace, folder: Path) -> None:
        self.args = args
        self.folder = folder
        self.rng = np.random.default_rng(args.seed)
        names = [f"w{i}" for i in range(args.workers)] + ["c0"]
        self.signers = {n: Signer.generate(n, chain_id=CHAIN_ID) for n in names}
        self.node = NodeProcess(folder, node_config(self.signers, args.seed, free_port()))
        self.node.configure(args.block_interval_ms)
        self.timer = args.block_interval_ms > 0
        self.book = Book()
        self.heads = Heads()
        self.admin = httpx.Client(base_url=self.node.url, timeout=60)
        self.workers: list[Worker] = []
        self.child: subprocess.Popen[bytes] | None = None
        self.child_out = folder / "child.jsonl"
        self.kills = 0
        self.kills_mid_seal = 0
        self.kills_in_startup = 0
        """Kills while restarting, before the node answered ``/health``..."""
        self.kills_after_open = 0
        """... of which after it had replayed and restored its journal."""
        self.in_flight_at_kills = 0
        self.restart_s: list[float] = []
        """Replay on each restart, as the node reports it (``(opened in X s)``)."""
        self.health_s: list[float] = []
        """Each restart from spawn to ``/health`` answering (imports included)."""
        self.failures: list[str] = []
        self.child_stats: dict[str, Any] = {}

    def say(self, text: str) -> None:
        if not self.args.quiet:
            print(text, file=sys.stderr, flush=True)

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

    def next_head(self, head: int) -> int:
        """Under the timer: poll ``/health`` until the node has sealed past ``head``."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            number = self.node.health(timeout=30)
            if number is None:
                raise SoakFailure(f"the node stopped answering at block {head}: {self.node.tail()}")
            if number > head:
                self.heads.advance(number)
                return number
            time.sleep(self.args.block_interval_ms / 4000)  # a quarter of the block timer
        raise SoakFailure(f"the block timer sealed nothing past {head} in 120 s")

    # -- node kills ----------------------------------------------------------------------
    def kill_node(self, mode: str) -> None:
        """SIGKILL the node in ``mode`` (module docstring), restart it, check its head."""
        answered: list[dict[str, Any] | None] = []
        sealer = None
        if mode == "seal" and self.timer:
            self.next_head(self.heads.number)
            time.sleep(float(self.rng.uniform(0, self.args.block_interval_ms / 1000)))
        elif mode == "seal":
            sealer = threading.Thread(target=lambda: answered.append(self.seal()))
            sealer.start()
            time.sleep(float(self.rng.uniform(0.0, 0.004)))  # the kill's seeded moment
        self.in_flight_at_kills += sum(w.in_flight for w in self.workers)
        self.heads.up.clear()
        self.node.kill9()
        self.kills += 1
        if sealer is not None:
            sealer.join()
            self.kills_mid_seal += answered == [None]
        if mode == "startup":
            self.kill_restarting()
        seconds, head = self.node.start()
        self.restart_s.append(self.node.opened_s())
        self.health_s.append(seconds)
        known = max(self.book.blocks, default=0)
        if head < known:
            self.failures.append(f"kill {self.kills}: head {head}, a client was told of {known}")
        self.heads.advance(head)
        self.heads.up.set()
        self.say(
            f"kill {self.kills} ({mode}) at block {head}: replayed in "
            f"{self.restart_s[-1]:.2f} s, answering in {seconds:.2f} s"
        )

    def kill_restarting(self) -> None:
        """Spawn the node and SIGKILL it while it replays ``chain.db``: once it has the
        file open (``/proc``; elsewhere, a seeded moment in its first second), a seeded
        moment within the last replay's duration. Where it was is reported: not yet
        answering ``/health`` (``kills_in_startup``), and of those, done replaying and
        restoring its journal (``kills_in_startup_after_open``)."""
        opened = self.node.opened_count()
        self.node.spawn()
        began = time.perf_counter()
        if not self.node.wait_open(self.node.chain):
            time.sleep(float(self.rng.uniform(0.0, 1.0)))
        last = self.restart_s[-1] if self.restart_s else 0.1
        time.sleep(float(self.rng.uniform(0.0, last)))
        answering = self.node.health(timeout=0.2) is not None
        after_open = self.node.opened_count() > opened
        self.node.kill9()
        self.kills += 1
        self.kills_in_startup += not answering
        self.kills_after_open += not answering and after_open
        where = "answering" if answering else "opened" if after_open else "replaying"
        self.say(f"kill {self.kills} (startup) {time.perf_counter() - began:.2f} s in: {where}")

    # -- the client killed mid-stream ----------------------------------------------------
    def start_child(self) -> None:
        spec = {
            "key": self.signers["c0"].private_key.hex(),
            "name": "c0",
            "chain_id": CHAIN_ID,
            "url": self.node.url,
            "to": "w0",
            "out": str(self.child_out),
            "batch": 4,
            "pause": 0.005,
            "seed": self.args.seed,
        }
        path = self.folder / "child.json"
        path.write_text(json.dumps(spec))
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-m", "benchmarks.soak_node_child", str(path)]
        self.child = subprocess.Popen(command, cwd=ROOT, env=env)

    def _child_lines(self) -> list[dict[str, Any]]:
        if not self.child_out.exists():
            return []
        lines = []
        for raw in self.child_out.read_text().splitlines():
            with contextlib.suppress(json.JSONDecodeError):  # a line cut by the kill
                lines.append(json.loads(raw))
        return lines

    def _wait_child(self, ready: Callable[[list[dict[str, Any]]], bool]) -> None:
        """Poll the client's file until ``ready`` holds of its lines (at most 120 s)."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            lines = self._child_lines()
            if lines and ready(lines):
                return
            time.sleep(0.001)  # the client appends a line per send and per answer
        raise SoakFailure(f"the client process did not get there in 120 s: {lines[-1:]}")

    def kill_child(self) -> None:
        """SIGKILL the client process mid-stream: once it has had :data:`CHILD_MIN_ACKS`
        answers, the node is paused (SIGSTOP) until the client's last line is a batch
        sent without its answer, so that the batch is surely in flight; the client is
        killed, the node resumed (SIGCONT: it then reads a request whose client is dead),
        and what the client was told is taken in."""
        assert self.child is not None and self.node.process is not None
        self._wait_child(lambda lines: sum("ack" in x for x in lines) >= CHILD_MIN_ACKS)
        self.node.process.send_signal(signal.SIGSTOP)
        try:
            self._wait_child(lambda lines: "sent" in lines[-1])
            time.sleep(float(self.rng.uniform(0.0, 0.02)))  # its request reaches the socket
            self.child.send_signal(signal.SIGKILL)
            self.child.wait(timeout=30)
        finally:
            self.node.process.send_signal(signal.SIGCONT)
        lines = self._child_lines()
        acks = [x for x in lines if "ack" in x]
        for x in acks:
            self.book.ack(x["ack"], Ack("child", "c0", (x["nonce"],), (x["ack"],)))
        for x in lines:
            if "refused" in x:
                self.book.refused_honest(f"child c0: {x['error']}")
        for x in lines:
            if "resolved" in x:
                self.book.settle(Ack("child", "c0", (x["nonce"],), (x["resolved"],)))
        self.child_stats = {
            "client_kills": 1,
            "client_acks": len(acks),
            "client_in_flight_at_kill": bool(lines) and "sent" in lines[-1],
        }
        self.say(f"client killed at block {self.heads.number}: {len(acks)} acknowledged")

    # -- the run -------------------------------------------------------------------------
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
        chosen = self.rng.choice(span, min(args.kills, len(span)), replace=False)
        kill_at = sorted(int(b) for b in chosen)
        modes = [MODES[i % len(MODES)] for i in range(len(kill_at))]
        child_at = int(self.rng.integers(max(2, args.blocks // 4), max(3, args.blocks // 2)))
        if args.client_kills:
            self.start_child()
        head = shown = 0
        while head < args.blocks or kill_at:  # every kill scheduled is made
            if args.client_kills and not self.child_stats and head >= child_at:
                self.kill_child()
            if kill_at and head >= kill_at[0]:
                kill_at.pop(0)
                self.kill_node(modes.pop(0))
                head = self.heads.number
                continue
            if self.timer:
                head = self.next_head(head)
            else:
                block = self.seal()
                if block is None:
                    raise SoakFailure(f"the node stopped answering at {head}: {self.node.tail()}")
                head = block["number"]
            if head // 500 > shown:
                shown = head // 500
                self.say(f"block {head}")
        if args.client_kills and not self.child_stats:
            self.kill_child()
        self.heads.stop()
        threads: list[Worker | HeadWatcher] = [*self.workers, watcher]
        for thread in threads:
            thread.join(timeout=120)
            if thread.is_alive() or thread.error is not None:
                self.failures.append(f"{thread.name}: {thread.error!r}")
        if self.timer:  # the end is checked on a still chain: restart with the timer off
            self.node.shutdown()
            self.node.configure(0)
            self.node.start()
        settled = self.settle()
        result = self.verify()
        result.update(
            {
                "blocks": args.blocks,
                "block_interval_ms": args.block_interval_ms,
                "settle_blocks": settled,
                "device_time_s": result["head"],  # block_time_ms = 1,000
                "kills": self.kills,
                "kills_mid_seal": self.kills_mid_seal,
                "kills_in_startup": self.kills_in_startup,
                "kills_in_startup_after_open": self.kills_after_open,
                "requests_in_flight_at_kills": self.in_flight_at_kills,
                "restarts": self.kills,
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
        """Seal blocks until nothing acknowledged is pending (at least 3, at most
        ``--settle``): bundles are not shown as pending, and land in the next block."""
        sealed = 0
        while sealed < self.args.settle:
            if sealed >= 3 and not self.rpc("accord_pendingTransactions"):
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
        resent = dict.fromkeys(outcome, 0)
        lost: list[str] = []
        payloads = [(p, a, outcome) for p, a in book.acks.items()]
        payloads += [(p, a, resent) for p, a in book.settled.items()]
        for payload, ack, tally in payloads:
            what = f"{ack.kind} {payload[:16]} ({ack.sender}#{ack.nonces})"
            if all(h in included for h in ack.tx_hashes):
                tally["included"] += 1
            elif ack.kind != "bundle" and slots.get((ack.sender, ack.nonces[0])) not in (
                None,
                ack.tx_hashes[0],
            ):
                tally["replaced"] += 1
            elif any(h in pending for h in ack.tx_hashes):
                tally["pending"] += 1
                lost.append(f"{what} still pending")
            else:
                tally["lost"] += 1
                lost.append(f"{what} is in no block")
        lost_accounts = []
        for name, key in sorted(book.accounts.items()):
            account = self.rpc("accord_getAccount", {"account": name})
            if account is None or account["public_key"] != key:
                lost_accounts.append(f"account {name} opened with {key[:16]}: now {account}")
        lost_blocks = []
        for number, (block_hash, state_hash) in sorted(book.blocks.items()):
            have = blocks[number - 1] if number <= len(blocks) else None
            if have is None or (have["hash"], have["state_hash"]) != (block_hash, state_hash):
                lost_blocks.append(
                    f"block {number} {block_hash[:16]}: now {have and have['hash'][:16]}"
                )
        self.node.shutdown()
        replayed = replay_in_fresh_processes(self.node.chain, len(self.signers))
        equal = replayed["state_hash"] == info["state_hash"] == blocks[-1]["state_hash"]
        failures = [*self.failures, *book.conflicts, *lost, *lost_accounts, *lost_blocks]
        failures += book.noise_acked
        failures += [f"honest payload refused: {x}" for x in book.honest_refused]
        failures += replayed["failures"]
        if not equal:
            failures.append(
                f"replay {replayed['state_hash'][:16]} != node {info['state_hash'][:16]}"
            )
        return {
            "head": head,
            "tx_acknowledged": len(book.acks),
            "tx_included": outcome["included"],
            "tx_replaced": outcome["replaced"],
            "lost": len(lost) + len(lost_blocks) + len(lost_accounts),
            "accounts_opened": len(book.accounts),
            "lost_accounts": len(lost_accounts),
            "lost_blocks": len(lost_blocks),
            "blocks_acknowledged": len(book.blocks),
            "acknowledged_by_kind": dict(sorted(book.actions.items())),
            "resent_settled": book.resolved,
            "resent_settled_landed": resent["included"] + resent["replaced"],
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


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=3_600, help="blocks to seal (3,600: an hour)")
    parser.add_argument("--kills", type=int, default=6, help="node kills scheduled (SIGKILL)")
    parser.add_argument("--client-kills", type=int, choices=(0, 1), default=1)
    parser.add_argument("--workers", type=int, default=4, help="client threads, one account each")
    parser.add_argument("--per-block", type=int, default=2, help="actions per worker per block")
    parser.add_argument(
        "--block-interval-ms", type=int, default=0, help="the node's block timer (0: on demand)"
    )
    parser.add_argument("--settle", type=int, default=50, help="most blocks sealed at the end")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="keep the node's files here")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--json", action="store_true", help="the last stdout line is JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="soak-node-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        soak = Soak(args, folder)
        try:
            result = soak.run()
        finally:
            soak.node.stop()
            if soak.child is not None and soak.child.poll() is None:
                soak.child.kill()
                soak.child.wait()
    result.update({"seed": args.seed, "workers": args.workers, "python": platform.python_version()})
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0 if result["ok"] and result["lost"] == 0 and result["replay_equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
