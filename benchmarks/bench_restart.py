"""What a node's restart costs as its chain grows, and what its memory does per block.

For each chain length (``--lengths``, transactions), it builds a node's ``data_dir`` in
this process (``accord.node.Node``, the server's own object): ``--senders`` accounts
with their own ed25519 keys send signed transfers, ``--block`` of them a block, each
through ``Node.send`` (admission, journal) and ``Node.produce`` (the chain log, the
checkpoints, the block archive). It then closes the node and times ``Node.open`` on
the same directory: the restart, wall (``time.perf_counter``) and CPU
(``time.process_time``: on a shared machine wall time also measures the neighbours),
once with checkpoints off (``checkpoint_every = 0``: the whole chain replayed) and
once with them on (``--every`` blocks), checking each restart ends on the same head
and state hash.

With ``--every`` 64 and 100 transfers a block, the chains of 1,000, 10,000 and 50,000
transfers end 10, 36 and 52 blocks past their newest checkpoint (none, block 64,
block 448): the restart replays those.

Memory: in a fresh process, on a new chain, it produces ``history + 200`` blocks of
``--mem-block`` transfers (the node's window fills), then ``--blocks`` more, and reports
the growth of the process's resident set (``VmRSS`` in ``/proc/self/status``, after a
full collection) a block over those, under the node's defaults (the last ``history``
blocks in memory) and, for comparison, with every block kept (``history = 0``).

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_restart.py --json    # last stdout line is JSON
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(ROOT))

from accord.device import AssetSpec, Device, DeviceConfig, Genesis, Transaction  # noqa: E402
from accord.device.checkpoint import export, restore  # noqa: E402
from accord.node import Node, NodeConfig, Signer, parse_config  # noqa: E402
from accord.node.config import NodeSection  # noqa: E402
from accord.node.wire import transaction_from_json  # noqa: E402

CHAIN_ID = 7


def rss_bytes() -> int:
    """This process's resident set size (Linux ``/proc/self/status``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def known() -> set[str]:
    """The ``[node]`` fields this checkout has (the benchmark also runs on older ones,
    where checkpoints and history do not exist yet: both restarts are then full)."""
    return set(NodeSection.model_fields)


def make_config(data_dir: Path, signers: list[Signer], **node: Any) -> NodeConfig:
    fields = known()
    section = {"data_dir": str(data_dir), **{k: v for k, v in node.items() if k in fields}}
    return parse_config(
        {
            "seed": 1,
            "node": section,
            "device": {"chain_id": CHAIN_ID},
            "genesis": {
                "public_keys": {s.address: s.public_key.hex() for s in signers},
                "assets": {
                    "ETH": {"issuer": "treasury", "alloc": {s.address: 10**30 for s in signers}}
                },
            },
        }
    )


class Load:
    """Pre-signed transfers in a ring, ``block`` of them a block."""

    def __init__(self, senders: int, block: int) -> None:
        self.signers = [Signer.generate(f"s{i}", chain_id=CHAIN_ID) for i in range(senders)]
        self.nonces = [0] * senders
        self.block = block
        self.turn = 0

    def next_block(self) -> list[Transaction]:
        out = []
        count = len(self.signers)
        for _ in range(self.block):
            i = self.turn % count
            self.turn += 1
            signer = self.signers[i]
            to = self.signers[(i + 1) % count].address
            tx = signer.transfer(self.nonces[i], to, {"ETH": 1}, max_fee=10_000)
            self.nonces[i] += 1
            out.append(transaction_from_json(tx))
        return out


def feed(node: Node, load: Load, blocks: int) -> None:
    for _ in range(blocks):
        for tx in load.next_block():
            node.send(tx)
        node.produce()


def timed_open(config: NodeConfig) -> tuple[float, float, int, bytes, bytes]:
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    node = Node.open(config)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    result = (wall, cpu, node.device.number, node.device.head.hash, node.device.state_hash())
    node.close()
    return result


def measure(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="bench-restart-"))
    rows: list[dict[str, Any]] = []
    memory: dict[str, Any] = {}
    try:
        for length in args.lengths:
            load = Load(args.senders, args.block)
            data_dir = work / f"chain-{length}"
            on = make_config(data_dir, load.signers, checkpoint_every=args.every)
            off = make_config(data_dir, load.signers, checkpoint_every=0)
            node = Node.open(on)
            feed(node, load, length // args.block)
            head, state = node.device.head.hash, node.device.state_hash()
            node.close()
            full = timed_open(off)
            fast = timed_open(on)
            node = Node.open(on)  # then what writing one costs the event loop
            wall, cpu = time.perf_counter(), time.process_time()
            node.checkpoint()
            write = (time.perf_counter() - wall, time.process_time() - cpu)
            size = len(export(node.device))
            node.close()
            assert full[3] == fast[3] == head and full[4] == fast[4] == state
            rows.append(
                {
                    "transactions": length,
                    "blocks": full[2],
                    "replayed_after_checkpoint": full[2] % args.every,
                    "full_replay_s": round(full[0], 3),
                    "full_replay_cpu_s": round(full[1], 3),
                    "from_checkpoint_s": round(fast[0], 3),
                    "from_checkpoint_cpu_s": round(fast[1], 3),
                    "checkpoint_write_ms": round(write[0] * 1000, 1),
                    "checkpoint_write_cpu_ms": round(write[1] * 1000, 1),
                    "checkpoint_bytes": size,
                }
            )
            if length != max(args.lengths):
                shutil.rmtree(data_dir)
        window = args.mem_history
        if window is None:
            window = NodeSection.model_fields["history"].default if "history" in known() else 0
        for label, history in (("history_default", window), ("history_all", 0)):
            # each in a fresh process: freed memory of an earlier run would be reused
            # without the resident set growing
            command = [sys.executable, __file__, "--json", "--memory-run", str(history)]
            for name in ("senders", "mem_block", "blocks"):
                command += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
            command += ["--warm", str(window + 200)]
            out = subprocess.run(command, check=True, capture_output=True, text=True)
            memory[label] = json.loads(out.stdout.splitlines()[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "benchmark": "restart",
        "senders": args.senders,
        "block": args.block,
        "checkpoint_every": args.every,
        "restart": rows,
        "memory": memory,
        "checkpoint_by_state": state_sizes(args.state),
    }


def memory_run(args: argparse.Namespace) -> dict[str, Any]:
    """One memory run (``--memory-run HISTORY``), in this process (module docstring)."""
    work = Path(tempfile.mkdtemp(prefix="bench-restart-mem-"))
    try:
        load = Load(args.senders, args.mem_block)
        config = make_config(work / "d", load.signers, history=args.memory_run)
        node = Node.open(config)
        feed(node, load, args.warm)
        gc.collect()
        start = rss_bytes()
        feed(node, load, args.blocks)
        gc.collect()
        grown = rss_bytes() - start
        result = {
            "history": args.memory_run,
            "warm_blocks": args.warm,
            "blocks": args.blocks,
            "transfers_a_block": args.mem_block,
            "rss_growth_bytes_per_block": round(grown / args.blocks),
            "rss_mb_start": round(start / 2**20, 1),
            "rss_mb_end": round((start + grown) / 2**20, 1),
            "blocks_in_memory": len(node.device.blocks),
        }
        node.close()
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def state_sizes(sizes: list[int]) -> list[dict[str, Any]]:
    """A checkpoint's size and CPU cost against the state's size: a device whose genesis
    gives ``n`` accounts a balance each, exported after one block and restored (the
    fresh genesis device the state goes into timed apart: a full replay builds it too)."""
    rows = []
    for n in sizes:
        genesis = Genesis(
            assets={
                "ETH": AssetSpec(issuer="treasury", alloc={f"a{i}": 10**18 + i for i in range(n)})
            }
        )
        device = Device(DeviceConfig(), genesis)
        device.build_block()
        cpu = time.process_time()
        data = export(device)
        exported = time.process_time() - cpu

        def fresh(device: Device = device) -> Device:
            return Device(DeviceConfig(), device.genesis, keyring=device.keyring)

        cpu = time.process_time()
        fresh()
        genesis_cpu = time.process_time() - cpu
        cpu = time.process_time()
        restored = restore(data, fresh)
        restore_cpu = time.process_time() - cpu - genesis_cpu
        assert restored.state_hash() == device.state_hash()
        rows.append(
            {
                "balances": n,
                "checkpoint_bytes": len(data),
                "export_cpu_ms": round(exported * 1000, 1),
                "restore_cpu_ms_beyond_genesis": round(restore_cpu * 1000, 1),
                "genesis_device_cpu_ms": round(genesis_cpu * 1000, 1),
            }
        )
    return rows


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lengths", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    p.add_argument("--senders", type=int, default=50)
    p.add_argument("--block", type=int, default=100, help="transfers a block")
    p.add_argument("--every", type=int, default=64, help="checkpoint every N blocks")
    p.add_argument("--blocks", type=int, default=1_000, help="blocks measured for memory")
    p.add_argument("--mem-block", type=int, default=20, help="transfers a block, memory run")
    p.add_argument(
        "--mem-history", type=int, default=None, help="history of the memory run (the node's)"
    )
    p.add_argument(
        "--state", type=int, nargs="*", default=[1_000, 10_000, 100_000], help="balances"
    )
    p.add_argument("--json", action="store_true", help="print only a JSON line")
    p.add_argument("--memory-run", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--warm", type=int, default=0, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    result = memory_run(args) if args.memory_run is not None else measure(args)
    if args.json:
        print(json.dumps(result))
    else:
        print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
