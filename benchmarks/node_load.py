"""The load of ``bench_node.py``: K closed-loop clients over loopback, one side at a time.

Each client owns one keep-alive HTTP/1.1 connection and posts its pre-signed requests
one after the other (closed loop: the next is sent when the previous is answered), so
the node sees K requests in flight. A monitor on its own connection polls the head
every ``poll_s`` seconds and lists each new block's transaction hashes; a transaction
is *included* when the monitor first sees it in a block (its receipt is then available
on both sides).

The HTTP client is a minimal HTTP/1.1 writer/reader over :func:`asyncio.open_connection`
(``Content-Length`` or chunked answers), not httpx: on a 2-core machine the client
shares the CPU with the node, and httpx's per-request cost (several hundred µs) would
bound the figure of a fast server by the client's own speed. Both sides are driven by
the same client, so its cost is the same on both.

A side may strand an acknowledged transaction (anvil 1.7.1 does, under this load: see
:mod:`benchmarks.node_anvil`): when every client is done and some have waited ``stall_s``
without inclusion, the monitor asks the side to put back what it stranded
(:meth:`Side.repair`) and counts it (``repaired``); the time lost stays in the figures.
What is still missing after ``timeout_s`` fails the run.

Figures per run (:class:`RunResult`):

* ``ack_ms``: per request, from writing it to reading its whole answer (the hashes);
* ``include_ms``: per transaction, from its request's send to the monitor seeing it in
  a block (bounded below by the block interval and the poll period);
* ``tx_per_s``: transactions acknowledged *and* included, over the time from the first
  send to the last inclusion seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx


class LoadError(AssertionError):
    """A run that cannot be reported: a refusal, a lost transaction, a timeout."""


class Connection:
    """One keep-alive HTTP/1.1 connection that POSTs JSON to ``/``."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._head = (
            f"POST / HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: application/json\r\nContent-Length: "
        ).encode()

    async def open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self._writer.wait_closed()

    async def post(self, body: bytes) -> bytes:
        """Send ``body``; the answer's body (an HTTP status other than 200 raises)."""
        reader, writer = self._reader, self._writer
        if reader is None or writer is None:
            raise LoadError("connection not open")
        writer.write(self._head + str(len(body)).encode() + b"\r\n\r\n" + body)
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, _, val = line.partition(":")
                headers[name.strip().lower()] = val.strip()
        if "content-length" in headers:
            data = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            data = b"".join(parts)
        else:
            raise LoadError(f"an answer with neither Content-Length nor chunks: {lines[0]}")
        if len(status) < 2 or status[1] != "200":
            raise LoadError(f"HTTP {lines[0]}: {data[:200]!r}")
        return data


class Side(Protocol):
    """What the load needs of a side: JSON-RPC bodies and how to read their answers."""

    name: str

    def acked(self, answer: Any) -> list[str]:
        """The hashes a send answered (in request order), or :class:`LoadError`."""
        ...

    def head_body(self) -> bytes:
        """A request for the head's number."""
        ...

    def head_of(self, answer: Any) -> int: ...

    def block_body(self, number: int) -> bytes:
        """A request for block ``number``'s transaction hashes."""
        ...

    def hashes_of(self, answer: Any) -> list[str]: ...

    def mine_body(self) -> bytes | None:
        """A request that seals a block, sent every ``block_ms`` by the load; None when
        the side seals on its own timer."""
        ...

    block_ms: int

    async def repair(self, conn: Connection, outstanding: list[str]) -> int:
        """Called once every client is done and acknowledged transactions
        (``outstanding``) have waited ``stall_s`` without being included: put back what
        the side has stranded (anvil's pool race, :mod:`benchmarks.node_anvil`); returns
        how many. accord repairs nothing."""
        ...


@dataclass(frozen=True, slots=True)
class Plan:
    """One client's pre-signed requests: each body and the transaction hashes in it."""

    bodies: list[bytes]
    hashes: list[list[str]]


@dataclass(slots=True)
class RunResult:
    """One run of one configuration on one side."""

    side: str
    mode: str
    clients: int
    txs: int
    requests: int
    elapsed_s: float
    ack_ms: list[float] = field(default_factory=list)
    include_ms: list[float] = field(default_factory=list)
    repaired: int = 0
    """Transactions the side stranded and the load put back (:meth:`Side.repair`)."""
    server_cpu_s: float | None = None
    """CPU seconds the server process (all its threads) used during the run, or None
    where ``/proc`` cannot say (:func:`process_cpu_seconds`)."""

    @property
    def tx_per_s(self) -> float:
        return self.txs / self.elapsed_s


def wait_until_up(
    process: subprocess.Popen[bytes], name: str, answers: Callable[[], bool], seconds: float = 60
) -> None:
    """Poll ``answers`` (True once the server serves; an ``httpx.HTTPError`` while it does
    not listen yet) every 0.1 s until it is True; raise :class:`LoadError` if ``process``
    exits first (with the end of its stderr) or after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode() if process.stderr else ""
            raise LoadError(f"{name} exited: {err[-500:]}")
        with contextlib.suppress(httpx.HTTPError):
            if answers():
                return
        time.sleep(0.1)
    raise LoadError(f"{name} did not start within {seconds:g} s")


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` and all its threads so far, from
    ``/proc/<pid>/stat`` (fields 14 and 15, in clock ticks; proc(5)); None off Linux.
    Unlike wall time, this does not grow when other jobs take the machine's cores."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rpartition(")")[2].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime after ") state"


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (no interpolation): the smallest value with at
    least ``q`` percent of the values at or below it."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def rpc_body(method: str, params: Any, request_id: int = 1) -> bytes:
    return json.dumps(
        {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params},
        separators=(",", ":"),
    ).encode()


def norm(tx_hash: str) -> str:
    """A hash as lowercase hex without ``0x`` (accord answers bare hex, anvil 0x-hex)."""
    tx_hash = tx_hash.lower()
    return tx_hash[2:] if tx_hash.startswith("0x") else tx_hash


async def run_load(
    side: Side,
    host: str,
    port: int,
    plans: list[Plan],
    *,
    mode: str,
    poll_s: float = 0.005,
    stall_s: float = 1.0,
    timeout_s: float = 120.0,
    clock: Callable[[], float] = time.perf_counter,
) -> RunResult:
    """Send every plan's requests (one client task each) while blocks are produced;
    wait until every acknowledged transaction is seen in a block. Raises
    :class:`LoadError` on any refusal, a hash answered other than the one signed, or a
    transaction not included within ``timeout_s``."""
    sent_at: dict[str, float] = {}
    included_at: dict[str, float] = {}
    ack_ms: list[float] = []
    repaired = 0
    expected = sum(len(h) for plan in plans for h in plan.hashes)
    connections = [Connection(host, port) for _ in plans]
    monitor, miner = Connection(host, port), Connection(host, port)
    for conn in [*connections, monitor, miner]:
        await conn.open()
    seen = side.head_of(json.loads(await monitor.post(side.head_body())))
    clients_done = asyncio.Event()
    start = clock()

    async def client(conn: Connection, plan: Plan) -> None:
        for body, hashes in zip(plan.bodies, plan.hashes, strict=True):
            t0 = clock()
            answer = await conn.post(body)
            t1 = clock()
            got = side.acked(json.loads(answer))
            if got != hashes:
                raise LoadError(f"{side.name}: answered {got[:3]}..., signed {hashes[:3]}...")
            ack_ms.append((t1 - t0) * 1e3)
            for h in hashes:
                sent_at[h] = t0

    async def watch() -> None:
        nonlocal seen, repaired
        deadline, checked = start + timeout_s, start
        while True:
            head = side.head_of(json.loads(await monitor.post(side.head_body())))
            for number in range(seen + 1, head + 1):
                answer = json.loads(await monitor.post(side.block_body(number)))
                now = clock()
                for h in side.hashes_of(answer):
                    included_at.setdefault(norm(h), now)
            seen = max(seen, head)
            if clients_done.is_set() and all(h in included_at for h in sent_at):
                return
            now = clock()
            if now - checked > stall_s:
                checked = now
                waiting = [h for h in sent_at if h not in included_at]
                if clients_done.is_set() and any(now - sent_at[h] > stall_s for h in waiting):
                    repaired += await side.repair(monitor, waiting)
            if now > deadline:
                missing = [h for h in sent_at if h not in included_at]
                raise LoadError(
                    f"{side.name}: {len(missing)} acknowledged transactions not included "
                    f"within {timeout_s:g} s (first {missing[:2]})"
                )
            await asyncio.sleep(poll_s)

    async def mine(body: bytes) -> None:
        while True:
            await asyncio.sleep(side.block_ms / 1000)
            answer = json.loads(await miner.post(body))
            if "error" in answer:
                raise LoadError(f"{side.name}: sealing a block failed: {answer['error']}")

    async def clients() -> None:
        await asyncio.gather(*(client(c, p) for c, p in zip(connections, plans, strict=True)))
        clients_done.set()

    mine_body = side.mine_body()
    mining = None if mine_body is None else asyncio.ensure_future(mine(mine_body))
    try:
        await asyncio.gather(clients(), watch())
    finally:
        if mining is not None:
            mining.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await mining
        for conn in [*connections, monitor, miner]:
            await conn.close()
    if len(sent_at) != expected:
        raise LoadError(f"{side.name}: {len(sent_at)} acknowledged of {expected} sent")
    last = max(included_at[h] for h in sent_at)
    return RunResult(
        side=side.name,
        mode=mode,
        clients=len(plans),
        txs=expected,
        requests=sum(len(p.bodies) for p in plans),
        elapsed_s=last - start,
        ack_ms=ack_ms,
        include_ms=[(included_at[h] - sent_at[h]) * 1e3 for h in sent_at],
        repaired=repaired,
    )
