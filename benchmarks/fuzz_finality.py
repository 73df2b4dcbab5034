"""The fuzzer's ``finality`` class: commitments on the finality atoms, and forks.

The class runs in episodes of its own (:func:`play`), drawn from a random stream of its
own, after the other classes' episodes (:mod:`benchmarks.fuzz_device`): the other
classes' draws, and so their figures, are the same as before it existed.

Each episode is a device that can fork: ``finality_depth`` k in 1..3, inclusions
recorded (nine episodes in ten; the tenth must refuse every ``final_included``),
receipts roots on or off, and the other design switches drawn as for every episode.
Every block gets payments from the hostile senders (the transactions the documents name)
and a batch of commitment postings (:class:`~benchmarks.fuzz_finality_inputs.FinalityInputs`):

* **tracked** (a third): ``final_included(tx)``, ``final_included(tx, by)``,
  ``finalized CMP n`` or ``final_excluded(tx, D)`` alone, naming a payment included,
  pending, double-spent by a later fork, or unknown;
* **complex**: those atoms under and/or/not/implies/provable, with balance and ``fires``
  atoms, up to 2,000 of them;
* **hostile fields**: one field of a finality atom replaced by a hostile value written
  as JSON text (negative, 2^63, a 5,000-digit integer, ``1e999``, ``NaN``,
  ``Infinity``, ``3.0``, ``true``, ``"3"``, ``[3]``, ``{}``, ``null``; hashes in upper
  case, with ``0x``, 63 or 65 digits, non-hex, non-ASCII digits), or a valid one
  beside a view atom whose arguments nest a float, NaN, an object or a 5,000-digit
  integer;
* **structural**: 5,000 nested ``not``, a misspelt ``op``, unknown keys, an owner that
  is not the sender.

One block in four is then replaced by a fork of depth 1..k (a double spend of a recent
payment, pending transactions, or nothing), built by ``bandit``.

Checks, on top of the fuzzer's own (:func:`~benchmarks.fuzz_episode.check_block`, the
replay at the episode's end):

* **halt**: ``build_block`` or ``reorg`` raised (anything but ``ForkRefused``), a step
  ran past the timeout, or a block was rolled back for an internal error
  (:class:`~benchmarks.fuzz_episode.RolledBack`: the device then seals it without the
  item at fault, or empty, so production moves on but not with what was sent);
* **invariant break**: a tracked commitment fired on information that was not final
  (its transaction's block above ``N - 1 - k``, ``finalized`` compared false, an
  exclusion not yet final), or a later fork changed what a firing relied on (the
  transaction moved, left, or arrived in an excluded range).
"""

from __future__ import annotations

import logging
import random
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from accord.device import Device, Rejected, Transaction
from accord.device.commitments.matching import compare
from accord.device.forks import ForkRefused
from benchmarks.fuzz_episode import (
    Params,
    RolledBack,
    _alarm,
    check_block,
    device_options,
    draw_params,
    genesis,
    replay_log,
    signature,
)
from benchmarks.fuzz_finality_inputs import FinalityInputs, Tracked

CLASS = "finality"
PER_BLOCK = 6
"""Commitment postings per block."""
FORK_SHARE = 0.25
"""The share of blocks replaced by a fork."""


@dataclass
class Totals:
    """The class's figures over its episodes."""

    inputs: int = 0
    admitted: int = 0
    refused: int = 0
    unclean: int = 0
    halts: int = 0
    breaks: int = 0
    replay_breaks: int = 0
    episodes: int = 0
    blocks: int = 0
    forks: int = 0
    forks_refused: int = 0
    posted: int = 0
    """Postings included with status success (a pending commitment; the others reverted)."""
    tracked_fired: int = 0
    """Firings of tracked commitments, each checked at firing and after every later block."""
    max_block_ms: float = 0.0
    kinds: Counter[str] = field(default_factory=Counter)
    failures: list[dict[str, Any]] = field(default_factory=list)


def _premise_holds(premise: Tracked, device: Device, number: int, k: int) -> str | None:
    """Why ``premise`` is not (or no longer) final information at block ``number``."""
    final = max(0, number - 1 - k)
    found = device.ledger.inclusions.get(premise.tx) if premise.tx else None
    if premise.kind == "finalized":
        return None if compare(final, premise.cmp, premise.value) else "finalized compared false"
    limit = final if premise.by is None else min(final, premise.by)
    if premise.kind == "included":
        if found is None or found > limit:
            return f"its transaction is in block {found}, not final by {limit}"
        return None
    assert premise.by is not None
    if premise.by > final:
        return f"block {premise.by} is not final at block {number}"
    if found is not None and found <= premise.by:
        return f"its transaction is in block {found} <= {premise.by}"
    return None


@dataclass
class Episode:
    """One device that can fork, fed payments, finality postings and forks."""

    params: Params
    seed: int
    timeout: float
    totals: Totals

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        rng = self.rng
        self.k = rng.randrange(1, 4)
        extra = (
            ("finality_depth", self.k),
            ("record_inclusions", rng.random() < 0.9),
            ("receipts_roots", rng.random() < 0.5),
        )
        self.params = Params(**{**vars(self.params), "extra": (*self.params.extra, *extra)})
        self.device = Device(
            self.params.config(), genesis(), seed=self.seed, **device_options(self.seed)
        )
        self.gen = FinalityInputs(self.device, rng)
        self.tracked: dict[str, Tracked] = {}
        self.relied: list[tuple[str, int, Tracked]] = []
        """Firings seen (id, block, premise): each re-checked after every later block."""

    def _fail(self, halt: bool, error: str, postings: list[str] | None = None) -> None:
        """Record a failure with the block's postings (not isolated: one of them, or a
        fork, is at fault)."""
        t = self.totals
        if halt:
            t.halts += 1
        else:
            t.breaks += 1
        if len(t.failures) < 20:
            t.failures.append(
                {
                    "kind": "halt" if halt else "break",
                    "class": CLASS,
                    "signature": signature(error),
                    "error": error[:300],
                    "block": self.device.number,
                    "design": self.params.label(),
                    "episode_seed": self.seed,
                    "inputs": postings or [],
                }
            )

    def _offer(self, tx: Transaction, kind: str) -> bool:
        t = self.totals
        t.inputs += 1
        t.kinds[kind] += 1
        try:
            self.device.submit(tx)
        except Rejected:
            t.refused += 1
            return False
        except Exception:
            t.unclean += 1
            return False
        t.admitted += 1
        self.gen.submitted(tx)
        return True

    def _fork(self) -> None:
        device, rng, k = self.device, self.rng, self.k
        depth = rng.randrange(1, min(k, device.number - 1) + 1)
        recent = [p for p in self.gen.payments[-6:] if device.ledger.inclusions.get(p.hash)]
        first: list[Transaction] = []
        roll = rng.randrange(3)
        if roll == 0 and recent:
            first = [self.gen.doubles[rng.choice(recent).hash]]
        elif roll == 1:
            first = [p[0] for p in list(device.mempool.txs.values())[: rng.randrange(4)]]
        blocks = [first] + [[] for _ in range(depth + rng.randrange(1, k + 1) - 1)]
        self.totals.forks += 1
        try:
            device.reorg(depth, blocks, builder="bandit")
        except ForkRefused:
            self.totals.forks_refused += 1

    def _step(self, errors: RolledBack) -> bool:
        """One block (and maybe a fork); False once the episode failed."""
        device, rng, gen = self.device, self.rng, self.gen
        texts: list[str] = []
        posts: set[bytes] = set()
        for _ in range(rng.randrange(1, 3)):
            pay, _ = gen.payment()
            self._offer(pay, "payment")
        for _ in range(PER_BLOCK):
            tx, kind, premise, cid = gen.posting()
            if self._offer(tx, kind):
                posts.add(tx.hash)
                if premise is not None:
                    self.tracked[cid] = premise
            texts.append(repr(tx.args[0])[:150])
        started = time.perf_counter()
        before = len(errors.records)
        try:
            signal.setitimer(signal.ITIMER_REAL, self.timeout)
            block = device.build_block()
            self.totals.posted += sum(
                1 for r in block.receipts if r.tx_hash in posts and r.status == "success"
            )
            if device.number > 2 and rng.random() < FORK_SHARE:
                self._fork()
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            self._fail(True, f"{type(exc).__name__}: {exc}", texts)
            return False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        self.totals.max_block_ms = max(
            self.totals.max_block_ms, (time.perf_counter() - started) * 1000
        )
        self.totals.blocks += 1
        if len(errors.records) > before:
            self._fail(True, f"block rolled back: {errors.records[before]}", texts)
            return False
        problem = check_block(device) or self._soundness()
        if problem is not None:
            self._fail(False, problem, texts)
            return False
        return True

    def _soundness(self) -> str | None:
        """Every tracked firing on the current chain relied on final information, and no
        fork since changed what any firing (undone ones too) relied on."""
        device = self.device
        seen = {(cid, n) for cid, n, _ in self.relied}
        for resolution in device.resolutions:
            for cid in resolution.fired:
                premise = self.tracked.get(cid)
                if premise is None or (cid, resolution.number) in seen:
                    continue
                why = _premise_holds(premise, device, resolution.number, self.k)
                if why is not None:
                    return f"{cid} fired in block {resolution.number} but {why}"
                self.relied.append((cid, resolution.number, premise))
                self.totals.tracked_fired += 1
        for cid, number, premise in self.relied:
            why = _premise_holds(premise, device, number, self.k)
            if why is not None:
                return f"a fork changed what {cid} (fired in block {number}) relied on: {why}"
        return None

    def play(self, blocks: int, errors: RolledBack) -> None:
        for _ in range(blocks):
            if not self._step(errors):
                return
        try:
            again = replay_log(self.device)
            if again.head.hash != self.device.head.hash:
                raise RuntimeError("replay ended at another head")
        except Exception as exc:
            self.totals.replay_breaks += 1
            self._fail(False, f"replay: {type(exc).__name__}: {exc}")


def play(rng: random.Random, inputs: int, blocks: int, timeout: float) -> Totals:
    """Episodes of the finality class until ``inputs`` inputs were tried."""
    totals = Totals()
    errors = RolledBack()
    logger = logging.getLogger("accord.device")
    logger.addHandler(errors)
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        while totals.inputs < inputs:
            params = draw_params(rng)
            episode = Episode(params, rng.getrandbits(32), timeout, totals)
            totals.episodes += 1
            episode.play(blocks, errors)
    finally:
        signal.signal(signal.SIGALRM, previous)
        logger.removeHandler(errors)
    return totals
