"""The device tour: one short run that touches every switch of the commitment device.

``accord demo`` and ``python examples/device_tour.py`` both run :func:`run_tour`:

1. genesis with two assets (``ETH`` pays for gas, ``USD`` is escrowed);
2. deploy :class:`~accord.contracts.vault.Vault` and
   :class:`~accord.contracts.escrow_demo.Escrow`;
3. users send transactions through the mempool under the chosen ordering rule and
   mempool visibility; one of them is slow (latency) and lands a block later;
4. a builder with discretion inserts a transaction of its own;
5. two bundles: one lands whole, one fails and leaves nothing behind;
6. a revert, which changes nothing but the fee;
7. an escrow that locks and releases real ``USD``;
8. the blocks and receipts as tables, then the event log (``runs/tour.db``) replayed,
   block by block, to the same state hashes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich import box
from rich.console import Console
from rich.table import Table

from accord.contracts.escrow_demo import Escrow
from accord.contracts.vault import Vault
from accord.device import (
    DEPLOY,
    AssetSpec,
    BuildRequest,
    Bundle,
    Device,
    DeviceConfig,
    Genesis,
    Pending,
    Transaction,
    checks,
    replay,
)
from accord.device.builder import Choice
from accord.device.config import Ordering, Visibility
from accord.device.store import SqliteLog, is_event_log

USERS = ("alice", "bob", "carol")
ETH = 10**18


@dataclass(frozen=True, slots=True)
class TourResult:
    """What the tour leaves behind: the device, its log and the replayed device."""

    device: Device
    replayed: Device
    path: Path

    @property
    def matches(self) -> bool:
        """Whether replay reproduced every block header (state hashes included)."""
        return self.device.headers == self.replayed.headers


class SkimmingBuilder:
    """A builder with discretion: it includes everything it sees, then adds a Vault
    deposit for itself. The device accepts the insertion only because the config sets
    ``builder_may_insert``; where the order lands is still the rule's, since the device
    enforces it (``ordering_enforced``)."""

    follows_rule: ClassVar[bool] = False

    def __init__(self, device: Device, vault: str) -> None:
        self.address = device.config.builder
        self._device = device
        self._vault = vault

    def build(self, request: BuildRequest) -> list[Choice]:
        choices: list[Choice] = [p.hash for p in request.pending]
        choices.extend(b.hash for b in request.bundles)
        me = self._device.account(self.address)
        choices.append(self._device.sign(me, self._vault, "deposit", self.address, 1))
        return choices


class TourOutError(ValueError):
    """Where the tour would write its log is not safe to write: the message says why."""


def _fresh(path: Path, *, force: bool = False) -> None:
    """Make room for the tour's log at ``path``, or refuse, changing nothing.

    An earlier accord event log there is replaced (SQLite refuses to append a second run).
    Anything else is the user's and is kept: a directory is refused; a file that is not an
    event log, or a symbolic link (whose target would be written through), is refused
    unless ``force``, and then only the file or the link itself is replaced, never a link's
    target. A missing parent directory is refused rather than created.
    """
    if path.is_symlink():
        if not force:
            raise TourOutError(
                f"{path} is a symbolic link (to {os.readlink(path)}); give a plain path, or "
                "--force to replace the link (its target is left alone)"
            )
    elif path.is_dir():
        raise TourOutError(f"{path} is a directory; give a file path, e.g. {path / 'tour.db'}")
    elif path.exists() and not force and not is_event_log(path):
        raise TourOutError(
            f"{path} exists and is not an accord event log; refusing to overwrite it "
            "(--force overwrites it)"
        )
    if not path.parent.is_dir():
        raise TourOutError(f"{path.parent} does not exist; create it first (mkdir -p)")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def run_tour(
    path: str | Path = "runs/tour.db",
    *,
    ordering: Ordering = "priority",
    mempool: Visibility = "sealed",
    seed: int = 7,
    console: Console | None = None,
    force: bool = False,
) -> TourResult:
    """Run the tour, print what happens, persist it to ``path`` and replay it.

    ``path`` may hold an earlier event log, which is replaced; anything else there is
    refused with :class:`TourOutError` unless ``force`` (see :func:`_fresh`)."""
    out = console or Console()
    path = Path(path)
    _fresh(path, force=force)

    # 1. The device's design is data: every switch below is a parameter of the run.
    config = DeviceConfig(
        ordering=ordering,
        mempool=mempool,
        builder_may_insert=True,
        latency_ms={"carol": 15_000},  # carol's transactions take longer than a block
        finality_depth=2,
    )
    genesis = Genesis(
        assets={
            "ETH": AssetSpec(issuer="treasury", alloc=dict.fromkeys((*USERS, "builder"), ETH)),
            "USD": AssetSpec(issuer="bank", alloc={"alice": 1_000, "bob": 1_000}),
        }
    )
    device = Device(config, genesis, seed=seed, store=path)
    checks.check_every_block(device)  # conservation and no negative balance, every block
    alice, bob, carol = (device.account(name) for name in USERS)
    out.rule(f"[bold]accord device tour[/]: ordering={ordering}, mempool={mempool}")

    # 2. Deploy contracts. `deploy` and `call` automine: one block each, like a dev chain.
    vault = device.deploy(alice, Vault)
    escrow = device.deploy(alice, Escrow)
    out.print(f"Vault at {vault}, Escrow at {escrow} (blocks 1-2)")

    # 3. Users sign and submit; the builder orders by the rule. Tips matter under
    #    `priority` only. Carol's latency keeps her transaction out of the next block.
    for account, tip, amount in ((alice, 1, 100), (bob, 50, 40), (carol, 20, 10)):
        tx = device.sign(account, vault, "deposit", account.address, amount, priority_fee=tip)
        device.submit(tx)
    arrival = device.now + config.block_time_ms
    seen = device.pending_view("bob", at=arrival)
    out.print(f"What bob sees of the mempool ({mempool}) when the next block is built:")
    for item in seen:
        if isinstance(item, Pending):
            out.print(f"  {item.tx.short()} args={item.tx.args} tip={item.tx.priority_fee}")
        else:
            out.print(f"  sealed {item.hash.hex()[:12]} from {item.sender} tip={item.priority_fee}")
    first = device.build_block()
    second = device.build_block()
    out.print(
        f"block {first.number}: {len(first.transactions)} txs; "
        f"block {second.number}: {len(second.transactions)} (carol's arrives late)"
    )

    # 4. A builder with discretion inserts its own transaction.
    device.submit(device.sign(bob, vault, "move", "bob", "alice", 15, priority_fee=5))
    block = device.build_block(SkimmingBuilder(device, vault))
    out.print(
        f"block {block.number} by a skimming builder: "
        + ", ".join(tx.short() for tx in block.transactions)
    )

    # 5. Bundles (eth_sendBundle): all-or-nothing, within a block range. (Moves only: under
    # the batch rule a bundle may not hold a batchable call such as deposit.)
    target = device.number + 1
    n = device.nonce("bob")
    good = Bundle(
        (
            device.sign(bob, vault, "move", "bob", "alice", 5, nonce=n, priority_fee=2),
            device.sign(bob, vault, "move", "bob", "carol", 20, nonce=n + 1, priority_fee=2),
        ),
        min_block=target,
        max_block=target,
    )
    m = device.nonce("carol")
    bad = Bundle(
        (
            device.sign(carol, vault, "move", "carol", "alice", 1, nonce=m, priority_fee=2),
            device.sign(carol, vault, "move", "carol", "alice", 10_000, nonce=m + 1),
        ),
        min_block=target,
        max_block=target,
    )
    device.submit_bundle(good, sender="bob")
    device.submit_bundle(bad, sender="carol")
    block = device.build_block()
    storage = device.contract_at(vault).storage()
    out.print(
        f"block {block.number}: bob's bundle landed ({len(block.transactions)} txs); "
        f"carol's failed whole: her nonce is still {device.nonce('carol')}, "
        f"vault balances {storage['balances']}"
    )

    # 6. A revert: the call changes nothing but the fee it pays.
    before = device.balance("carol", "ETH")
    receipt = device.call(carol, vault, "move", "carol", "bob", 10_000)
    out.print(
        f"carol overdraws: {receipt.status} ({receipt.error}); "
        f"she paid {before - device.balance('carol', 'ETH')} wei of gas, nothing else changed"
    )

    # 7. Escrow with real assets: lock on open, release on pay.
    deal = device.call(alice, escrow, "open", "bob", "USD", 300).result
    locked = device.locked("alice", "USD", escrow)
    device.call(alice, escrow, "pay", deal)
    out.print(
        f"escrow deal {deal}: locked {locked} USD, then paid; "
        f"bob holds {device.balance('bob', 'USD')} USD, alice {device.balance('alice', 'USD')}"
    )
    out.print(f"head {device.number}, finalized {device.finalized} (finality depth 2)")

    out.print(blocks_table(device))
    out.print(receipts_table(device))

    # 8. The event log, closed (one self-contained file) and replayed from SQLite,
    #    reproduces every block's state hash.
    if isinstance(device.log, SqliteLog):
        device.log.close()
    replayed = replay(path)
    result = TourResult(device, replayed, path)
    verdict = "[green]match[/]" if result.matches else "[red]DIFFER[/]"
    out.print(
        f"replayed {replayed.number} blocks from {path}: state hashes {verdict} "
        f"({replayed.state_hash().hex()[:16]}…)"
    )
    return result


def blocks_table(device: Device) -> Table:
    """Every block in memory: number, transactions, gas, base fee, builder, state hash."""
    table = Table(title="blocks", box=box.SIMPLE_HEAD)
    for column in ("#", "txs", "gas used", "base fee", "builder", "state hash"):
        table.add_column(column, justify="right" if column != "builder" else "left")
    for block in device.blocks:
        h = block.header
        table.add_row(
            str(h.number),
            str(len(block.transactions)),
            f"{h.gas_used:,}",
            f"{h.base_fee:,}",
            h.builder,
            h.state_hash.hex()[:12],
        )
    return table


def receipts_table(device: Device) -> Table:
    """Every receipt in memory: what each transaction did and what it paid."""
    table = Table(title="receipts", box=box.SIMPLE_HEAD)
    table.add_column("#", justify="right", min_width=2)
    table.add_column("transaction", min_width=21, no_wrap=True)
    table.add_column("status", min_width=8)
    table.add_column("gas", justify="right", min_width=6)
    table.add_column("fee (wei)", justify="right", min_width=10)
    table.add_column("result / error", max_width=18, no_wrap=True, overflow="ellipsis")
    for block in device.blocks:
        for tx, r in zip(block.transactions, block.receipts, strict=True):
            style = "green" if r.ok else "red"
            table.add_row(
                str(block.number),
                _label(tx),
                f"[{style}]{r.status}[/]",
                f"{r.gas_used:,}",
                f"{r.fee_paid:,}",
                _brief(r.contract_address or (r.result if r.ok else r.error)),
            )
    return table


def _label(tx: Transaction) -> str:
    """``sender#nonce method``, or ``sender#nonce deploy Class``."""
    action = f"deploy {tx.method.rpartition(':')[2]}" if tx.to == DEPLOY else tx.method
    return f"{tx.sender}#{tx.nonce} {action or 'transfer'}"


def _brief(value: object, width: int = 18) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"
