"""Soak test: a million random transactions through the device, invariants after every block.

A seeded driver plays ~1,000 accounts against one device:

* plain transfers of four assets (``ETH`` is also the fee asset), some overdrawing and
  reverting;
* calls to an internal-balance escrow (``Escrow.deposit`` / ``Escrow.move``) and to an
  escrow of ledger assets (``LockBox.lock`` / ``unlock`` / ``release``, built on
  ``ctx.lock`` and ``ctx.release``), many of which revert;
* calls that always revert (``LockBox.fail``) or run out of gas (``LockBox.spin``);
* transactions the mempool must refuse: replays, forged signatures, altered contents,
  impossible gas limits and duplicates;
* nonce gaps: a transaction held back one block while the sender's later ones wait;
* bundles from searchers, some landing, some with an allowed revert, some failing whole.

After every block: :func:`accord.device.checks.check_every_block` (conservation and no
negative balances), plus the soak's own checks: the ``LockBox``'s books equal the
ledger's locks under it, and the ``Escrow``'s balances sum to what was deposited. At the
end, every account's nonce must equal the driver's and every valid transaction must have
been included. With ``--check-determinism`` the whole run is repeated and its final state
hash and head hash must be equal.

Everything random comes from one seeded :class:`numpy.random.Generator`; the wall clock is
only read to report the time taken.

Usage (from the repository root)::

    .venv/bin/python benchmarks/soak_device.py                    # 1,000,000 txs
    .venv/bin/python benchmarks/soak_device.py --txs 2000 --json  # last stdout line: JSON
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(ROOT))

from accord.device import (  # noqa: E402
    Account,
    AssetSpec,
    Block,
    Bundle,
    BundleFailed,
    Device,
    DeviceConfig,
    Genesis,
    Rejected,
    Transaction,
    checks,
)
from accord.device.checks import InvariantViolation  # noqa: E402
from accord.device.keys import Keyring  # noqa: E402
from accord.device.store import NullLog  # noqa: E402
from benchmarks.bench_contracts import Escrow, LockBox  # noqa: E402

ASSETS = ("ETH", "USD", "GOLD", "BOND")
FEE_ASSET = "ETH"
KINDS = ("transfer", "move", "deposit", "lock", "unlock", "release", "fail", "out_of_gas", "bad")
PROBS = (0.34, 0.12, 0.04, 0.16, 0.10, 0.10, 0.05, 0.03, 0.06)
TRANSFER_GAS = 60_000
CALL_GAS = 150_000
OOG_GAS = 50_000
MAX_FEE = 1_000
SEARCHERS = 16
GAP_PROBABILITY = 0.005
BUNDLES_PER_BLOCK = 4  # at most


@dataclass
class Tally:
    """What happened, counted by the driver and from the blocks' receipts."""

    txs: int = 0
    """Transactions signed and offered to the device (bundled ones included)."""
    blocks: int = 0
    included: int = 0
    succeeded: int = 0
    reverted: int = 0
    out_of_gas: int = 0
    rejected: int = 0
    """Refused at submission (replay, forgery, alteration, gas limit, duplicate)."""
    gapped: int = 0
    deferred: int = 0
    """Transactions left pending after a block (waiting for a nonce gap to fill)."""
    bundles: int = 0
    bundles_landed: int = 0
    bundles_failed: int = 0
    bundle_txs_dropped: int = 0
    skipped_txs: int = 0
    """Transactions a block attempted or could not fit but left out (``Block.skipped``)."""
    skipped_bundles: int = 0
    dropped: int = 0
    """Skipped items dropped from the mempool as never valid."""
    expected_included: int = 0
    rejections: dict[str, int] = field(default_factory=dict)


KEYRING = Keyring()
"""The accounts' keys: fresh per process, never derived from the seed."""


@dataclass
class Soak:
    """One run of the soak workload on a fresh device."""

    txs: int
    seed: int
    accounts: int = 1_000
    block_size: int = 1_000
    on_block: Callable[[int], None] | None = None
    tally: Tally = field(default_factory=Tally)

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        self.rng = rng
        width = len(str(self.accounts - 1))
        self.names = [f"acct{i:0{width}d}" for i in range(self.accounts)]
        self.searchers = [f"searcher{i:02d}" for i in range(SEARCHERS)]
        alloc: dict[str, dict[str, int]] = {asset: {} for asset in ASSETS}
        for name in self.names:
            alloc[FEE_ASSET][name] = 10**15
        for asset in ASSETS[1:]:
            amounts = rng.integers(0, 10_000, size=self.accounts).tolist()
            for name, amount in zip(self.names, amounts, strict=True):
                alloc[asset][name] = amount
        for name in [*self.searchers, "deployer"]:
            for asset in ASSETS:
                alloc[asset][name] = 10**15
        genesis = Genesis(
            assets={a: AssetSpec(issuer="treasury", alloc=alloc[a]) for a in ASSETS},
            contract_modules=("accord.contracts", "benchmarks"),
        )
        config = DeviceConfig(
            signatures="mac",
            block_gas_limit=(self.block_size + 4 * BUNDLES_PER_BLOCK) * CALL_GAS,
            initial_base_fee=100,
        )
        # One keyring for every run in this process: header hashes commit to the public
        # keys (through the genesis hash), and --check-determinism compares them.
        self.device = Device(
            config, genesis, seed=self.seed, store=NullLog(), history=1, keyring=KEYRING
        )
        dev = self.device
        deployer = dev.account("deployer")
        self.escrow = dev.deploy(deployer, Escrow)
        self.lockbox = dev.deploy(deployer, LockBox)
        self.accts: list[Account] = [dev.account(n) for n in self.names]
        self.searcher_accts = [dev.account(n) for n in self.searchers]
        self.nonces = [dev.nonce(n) for n in self.names]
        self.withheld: list[Transaction] = []
        self.last_txs: tuple[Transaction, ...] = ()
        self.deposited = 0
        self.pending_deposits: dict[bytes, int] = {}
        checks.check_every_block(dev)
        dev.block_hooks.append(self._check_contracts)

    # -- invariants beyond the device's own ----------------------------------------------
    def _check_contracts(self, dev: Device, block: Block) -> None:
        for receipt in block.receipts:
            amount = self.pending_deposits.pop(receipt.tx_hash, None)
            if amount is not None and receipt.ok:
                self.deposited += amount
        balances = dev.contract_at(self.escrow).storage()["balances"]
        if sum(balances.values()) != self.deposited:
            raise InvariantViolation(
                f"block {block.header.number}: Escrow holds {sum(balances.values())}, "
                f"deposits total {self.deposited}"
            )
        held = dev.contract_at(self.lockbox).storage()["held"]
        box = self.lockbox
        locks = {(o, a): v for (o, a, h), v in dev.ledger.locked.items() if h == box}
        if held != locks:
            raise InvariantViolation(
                f"block {block.header.number}: LockBox books {held} != ledger locks {locks}"
            )

    # -- the driver ---------------------------------------------------------------------
    def _submit(self, tx: Transaction) -> None:
        self.device.submit(tx)
        self.tally.expected_included += 1

    def _refuse(self, tx: Transaction, what: str) -> None:
        """Submit a transaction the device must reject."""
        try:
            self.device.submit(tx)
        except Rejected as exc:
            kind = type(exc).__name__
            self.tally.rejected += 1
            self.tally.rejections[kind] = self.tally.rejections.get(kind, 0) + 1
            return
        raise InvariantViolation(f"the device accepted a {what} transaction: {tx.short()}")

    def _block(self) -> None:
        dev = self.device
        tally = self.tally
        n = self.block_size
        rng = self.rng
        kinds = rng.choice(len(KINDS), size=n, p=PROBS).tolist()
        senders = rng.integers(0, self.accounts, size=n).tolist()
        others = rng.integers(0, self.accounts - 1, size=n).tolist()
        assets = rng.integers(0, len(ASSETS), size=n).tolist()
        amounts = rng.integers(1, 2_000, size=n).tolist()
        tips = rng.integers(0, 4, size=n).tolist()
        aux = rng.integers(0, 1 << 30, size=n).tolist()
        gaps = (rng.random(n) < GAP_PROBABILITY).tolist()

        for tx in self.withheld:  # fill last block's nonce gaps
            self._submit(tx)
        self.withheld = []

        names, accts, nonces = self.names, self.accts, self.nonces
        escrow, lockbox = self.escrow, self.lockbox
        submitted: Transaction | None = None
        for i in range(n):
            kind = KINDS[kinds[i]]
            s = senders[i]
            o = others[i]
            o = o + 1 if o >= s else o
            account, other = accts[s], names[o]
            asset, amount, tip = ASSETS[assets[i]], amounts[i], tips[i]
            nonce = nonces[s]
            tally.txs += 1
            if kind == "bad":
                self._bad(account, nonce, other, asset, amount, aux[i], submitted)
                continue
            if kind == "transfer":
                tx = account.sign(
                    nonce,
                    other,
                    value={asset: amount},
                    gas_limit=TRANSFER_GAS,
                    max_fee=MAX_FEE,
                    priority_fee=tip,
                )
            else:
                gas_limit = CALL_GAS
                args: tuple[str | int, ...]
                if kind == "move":
                    to, method, args = escrow, "move", (account.address, other, amount)
                elif kind == "deposit":
                    to, method, args = escrow, "deposit", (account.address, amount)
                elif kind == "lock":
                    to, method, args = lockbox, "lock", (asset, amount)
                elif kind == "unlock":
                    to, method, args = lockbox, "unlock", (asset, amount)
                elif kind == "release":
                    to, method, args = lockbox, "release", (asset, amount, other)
                elif kind == "fail":
                    to, method, args = lockbox, "fail", (f"no {i}",)
                else:  # out_of_gas
                    to, method, args = lockbox, "spin", (10**6,)
                    gas_limit = OOG_GAS
                tx = account.sign(
                    nonce,
                    to,
                    method,
                    *args,
                    gas_limit=gas_limit,
                    max_fee=MAX_FEE,
                    priority_fee=tip,
                )
                if kind == "deposit":
                    self.pending_deposits[tx.hash] = amount
            nonces[s] = nonce + 1
            if gaps[i]:
                self.withheld.append(tx)
                tally.gapped += 1
            else:
                self._submit(tx)
                submitted = tx

        sent_bundles = self._bundles()
        block = dev.build_block()
        self._count(block, sent_bundles)

    def _bad(
        self,
        account: Account,
        nonce: int,
        other: str,
        asset: str,
        amount: int,
        choice: int,
        submitted: Transaction | None,
    ) -> None:
        """A transaction the device must refuse; it uses no nonce."""
        which = choice % 5
        if which == 0 and self.last_txs:
            self._refuse(self.last_txs[choice % len(self.last_txs)], "replayed")
        elif which == 1 and submitted is not None:
            self._refuse(submitted, "duplicate")
        elif which == 2:
            tx = account.sign(nonce, other, value={asset: amount}, max_fee=MAX_FEE)
            self._refuse(tx._replace(value=((asset, amount * 1000),)), "altered")
        elif which == 3:
            self._refuse(account.sign(nonce, other, value={asset: amount}, gas_limit=1_000), "")
        else:
            tx = account.sign(nonce, other, value={asset: amount}, max_fee=MAX_FEE)
            self._refuse(tx._replace(signature=bytes(16)), "forged")

    def _bundles(self) -> dict[bytes, Bundle]:
        """Send up to BUNDLES_PER_BLOCK bundles for the next block, from distinct searchers."""
        dev, rng = self.device, self.rng
        count = int(rng.integers(0, BUNDLES_PER_BLOCK + 1))
        if not count:
            return {}
        target = dev.number + 1
        picks = rng.choice(SEARCHERS, size=count, replace=False).tolist()
        sizes = rng.integers(2, 4, size=count).tolist()
        shapes = rng.integers(0, 3, size=count).tolist()  # 0 ok, 1 allowed revert, 2 failing
        receivers = rng.integers(0, self.accounts, size=(count, 3)).tolist()
        sent: dict[bytes, Bundle] = {}
        for j in range(count):
            searcher = self.searcher_accts[picks[j]]
            nonce = dev.nonce(searcher.address)  # bundles land or expire within one block
            # (to, method, args, value, gas_limit) of each transaction, in order
            specs: list[tuple[str, str, tuple[str, ...], dict[str, int], int]] = [
                (self.names[receivers[j][k]], "", (), {ASSETS[1 + k % 3]: 1 + k}, TRANSFER_GAS)
                for k in range(sizes[j])
            ]
            if shapes[j]:  # a call that reverts, second in the bundle
                specs.insert(1, (self.lockbox, "fail", ("bundle",), {}, CALL_GAS))
            txs = [
                searcher.sign(
                    nonce + k,
                    to,
                    method,
                    *args,
                    value=value,
                    gas_limit=gas_limit,
                    max_fee=MAX_FEE,
                    priority_fee=5,
                )
                for k, (to, method, args, value, gas_limit) in enumerate(specs)
            ]
            reverting = frozenset({txs[1].hash}) if shapes[j] == 1 else frozenset()
            bundle = Bundle(tuple(txs), min_block=target, max_block=target, reverting=reverting)
            try:
                dev.submit_bundle(bundle, sender=searcher.address)
            except BundleFailed as exc:
                raise InvariantViolation(f"a valid bundle was refused: {exc}") from exc
            self.tally.txs += len(txs)
            self.tally.bundles += 1
            sent[txs[0].hash] = bundle
        return sent

    def _count(self, block: Block, bundles: dict[bytes, Bundle]) -> None:
        tally = self.tally
        tally.blocks += 1
        included = {tx.hash for tx in block.transactions}
        for first, bundle in bundles.items():
            if first in included:
                tally.bundles_landed += 1
                tally.expected_included += len(bundle.txs)
            else:
                tally.bundles_failed += 1
                tally.bundle_txs_dropped += len(bundle.txs)
        for receipt in block.receipts:
            tally.included += 1
            if receipt.status == "success":
                tally.succeeded += 1
            elif receipt.status == "out_of_gas":
                tally.out_of_gas += 1
            else:
                tally.reverted += 1
        for item in block.skipped:
            if item.kind == "bundle":
                tally.skipped_bundles += 1
            else:
                tally.skipped_txs += 1
            tally.dropped += item.dropped
        if len(bundles) - sum(1 for first in bundles if first in included) != sum(
            1 for item in block.skipped if item.kind == "bundle"
        ):
            raise InvariantViolation(f"block {block.number}: failed bundles not all in skipped")
        tally.deferred += len(self.device.mempool)
        self.last_txs = block.transactions
        if self.on_block is not None:
            self.on_block(self.tally.txs)

    def run(self) -> dict[str, Any]:
        start = time.perf_counter()
        while self.tally.txs < self.txs:
            self._block()
        for _ in range(3):  # drain: fill the last nonce gaps
            if not self.withheld and not len(self.device.mempool):
                break
            for tx in self.withheld:
                self._submit(tx)
            self.withheld = []
            self._count(self.device.build_block(), {})
        elapsed = time.perf_counter() - start
        self._final_checks()
        t = self.tally
        return {
            "txs": t.txs,
            "blocks": t.blocks,
            "included": t.included,
            "succeeded": t.succeeded,
            "reverted": t.reverted,
            "out_of_gas": t.out_of_gas,
            "rejected": t.rejected,
            "rejections": dict(sorted(t.rejections.items())),
            "gapped": t.gapped,
            "deferred": t.deferred,
            "bundles": t.bundles,
            "bundles_landed": t.bundles_landed,
            "bundles_failed": t.bundles_failed,
            "bundle_txs_dropped": t.bundle_txs_dropped,
            "skipped_txs": t.skipped_txs,
            "skipped_bundles": t.skipped_bundles,
            "dropped": t.dropped,
            "elapsed_s": round(elapsed, 3),
            "tx_per_s": round(t.txs / elapsed, 1),
            "included_per_s": round(t.included / elapsed, 1),
            "state_hash": self.device.state_hash().hex(),
            "head_hash": self.device.head.hash.hex(),
        }

    def _final_checks(self) -> None:
        dev, t = self.device, self.tally
        if len(dev.mempool) or self.withheld:
            raise InvariantViolation(f"{len(dev.mempool)} transactions still pending at the end")
        for name, nonce in zip(self.names, self.nonces, strict=True):
            if dev.nonce(name) != nonce:
                raise InvariantViolation(f"{name}: device nonce {dev.nonce(name)} != {nonce}")
        if t.included != t.expected_included:
            raise InvariantViolation(f"included {t.included} != expected {t.expected_included}")
        accounted = t.included + t.rejected + t.bundle_txs_dropped
        if accounted != t.txs:
            raise InvariantViolation(f"{t.txs} txs offered but {accounted} accounted for")
        checks.block_invariants(dev)
        checks.state_hash_matches(dev)  # the incremental hash equals a full recompute


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--txs", type=int, default=1_000_000, help="transactions to offer (at least)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--accounts", type=int, default=1_000)
    p.add_argument("--block-size", type=int, default=1_000, help="random txs per block")
    p.add_argument(
        "--check-determinism", action="store_true", help="run twice; hashes must be equal"
    )
    p.add_argument("--json", action="store_true", help="no progress bar; print only JSON")
    args = p.parse_args(argv)
    if args.txs <= 0 or args.block_size <= 0 or args.accounts < 2:
        p.error("--txs and --block-size must be positive and --accounts at least 2")
    return args


def soak(args: argparse.Namespace, on_block: Callable[[int], None] | None = None) -> Soak:
    return Soak(args.txs, args.seed, args.accounts, args.block_size, on_block)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.json:
        report = soak(args).run()
        again = soak(args).run() if args.check_determinism else None
    else:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        runs = 2 if args.check_determinism else 1
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        ) as progress:
            reports = []
            for run in range(runs):
                task = progress.add_task(f"run {run + 1}/{runs} txs", total=args.txs)

                def on_block(offered: int, task: Any = task) -> None:
                    progress.update(task, completed=min(offered, args.txs))

                reports.append(soak(args, on_block).run())
            report, again = reports[0], (reports[1] if runs == 2 else None)
    deterministic: bool | None = None
    if again is not None:
        deterministic = (again["state_hash"], again["head_hash"]) == (
            report["state_hash"],
            report["head_hash"],
        )
    report = {
        **report,
        "seed": args.seed,
        "accounts": args.accounts,
        "block_size": args.block_size,
        "deterministic": deterministic,
        "python": platform.python_version(),
    }
    if not args.json:
        print_summary(report)
    print(json.dumps(report))
    if deterministic is False:
        raise SystemExit(f"NOT deterministic: second run ended in {again}")
    return report


def print_summary(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"soak: seed {report['seed']}, {report['accounts']:,} accounts")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in report.items():
        if key in ("seed", "accounts"):
            continue
        shown = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value
        table.add_row(key, str(shown))
    Console().print(table)


if __name__ == "__main__":
    main()
