"""The fuzzer's ``finality`` class: commitments on the finality atoms, and forks.

The class runs in episodes of its own (:func:`play`), drawn from a random stream of its
own, after the other classes' episodes (:mod:`benchmarks.fuzz_device`): the other
classes' draws, and so their figures, are the same as before it existed.

Each episode is a device that can fork: ``finality_depth`` k in 1..3, inclusions
recorded (nine episodes in ten; the tenth must refuse every ``final_included``),
receipts roots on or off, and the other design switches drawn as for every episode.
Every block gets payments from the hostile senders (the transactions the documents name)
and a batch of commitment postings (:class:`FinalityInputs`):

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

import json
import logging
import random
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from accord.device import Device, Rejected, Transaction
from accord.device.commitments.matching import compare
from accord.device.commitments.registry import REGISTRY_ADDRESS, CommitmentRegistry
from accord.device.forks import ForkRefused
from benchmarks.fuzz_episode import (
    HONEST,
    HOSTILE,
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
from benchmarks.fuzz_inputs import Signer

CLASS = "finality"
PER_BLOCK = 6
"""Commitment postings per block."""
FORK_SHARE = 0.25
"""The share of blocks replaced by a fork."""
CMPS = ("<", "<=", "==", "!=", ">=", ">")
HUGE_DIGITS = "9" * 5_000
BAD_NUMBERS = (
    "-1",
    str(1 << 63),
    str(1 << 64),
    HUGE_DIGITS,
    "-" + HUGE_DIGITS,
    "1e999",
    "NaN",
    "Infinity",
    "-Infinity",
    "3.0",
    "2.5",
    "true",
    '"3"',
    "[3]",
    "{}",
    "null",
)
BAD_HASHES = (
    json.dumps("AB" * 32),
    json.dumps("0x" + "ab" * 32),
    json.dumps("ab" * 31 + "a"),
    json.dumps("ab" * 32 + "a"),
    json.dumps("zz" * 32),
    json.dumps("ab" * 32 + "\n"),
    json.dumps("\u0663" * 64),
    "7",
    "null",
    "[]",
    HUGE_DIGITS,
)


@dataclass(frozen=True)
class Tracked:
    """A posted commitment whose condition is one finality premise (checked if it fires)."""

    kind: str  # "included", "finalized" or "excluded"
    tx: bytes = b""
    by: int | None = None
    cmp: str = ">="
    value: int = 0


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


class FinalityInputs:
    """Payments and finality commitment postings of one episode."""

    def __init__(self, device: Device, rng: random.Random) -> None:
        self.device, self.rng = device, rng
        self.signer = Signer(device)
        self.next_nonce: dict[str, int] = {}
        self.payments: list[Transaction] = []
        self.doubles: dict[bytes, Transaction] = {}
        self.labels = 0

    def nonce(self, sender: str) -> int:
        known = self.device.nonce(sender)
        mine = self.next_nonce.get(sender, known)
        return known if mine < known or mine > known + 8 else mine

    def sign(
        self,
        sender: str,
        to: str,
        method: str,
        args: tuple[Any, ...],
        value: Any,
        gas: int,
        fee: int,
        tip: int,
        nonce: int,
    ) -> Transaction:
        content = (sender, nonce, to, method, args, value, gas, fee, tip)
        return self.signer.sign(sender, content, self.rng)

    def payment(self) -> tuple[Transaction, Transaction]:
        """A hostile sender's payment to an honest one, and a double spend of its nonce
        (to the sender itself, outbidding it) for a fork to use."""
        rng = self.rng
        sender = rng.choice(HOSTILE)
        nonce = self.nonce(sender)
        fee = max(self.device.base_fee * 2, 10_000)
        pay = self.sign(
            sender,
            rng.choice(HONEST),
            "",
            (),
            (("ETH", 1 + rng.randrange(99)),),
            60_000,
            fee,
            1,
            nonce,
        )
        double = self.sign(sender, sender, "", (), (("ETH", 1),), 60_000, fee * 2, 50, nonce)
        self.payments.append(pay)
        self.doubles[pay.hash] = double
        return pay, double

    def submitted(self, tx: Transaction) -> None:
        self.next_nonce[tx.sender] = tx.nonce + 1

    # -- documents ---------------------------------------------------------------------
    def _hash(self) -> bytes:
        rng = self.rng
        if self.payments and rng.random() < 0.85:
            return rng.choice(self.payments[-12:]).hash
        return rng.randbytes(32)

    def _block_number(self) -> int:
        rng = self.rng
        near = self.device.number + rng.randrange(-4, 8)
        return max(0, near) if rng.random() < 0.9 else rng.choice((0, (1 << 63) - 1))

    def _atom(self) -> tuple[dict[str, Any], Tracked]:
        rng = self.rng
        roll = rng.randrange(4)
        if roll == 0:
            h = self._hash()
            return {"op": "final_included", "tx": h.hex()}, Tracked("included", h)
        if roll == 1:
            h, by = self._hash(), self._block_number()
            return {"op": "final_included", "tx": h.hex(), "by": by}, Tracked("included", h, by)
        if roll == 2:
            cmp, value = rng.choice(CMPS), self._block_number()
            atom = {"op": "finalized", "cmp": cmp, "value": value}
            return atom, Tracked("finalized", cmp=cmp, value=value)
        h, by = self._hash(), self._block_number()
        atom = {
            "op": "and",
            "args": [
                {"op": "finalized", "cmp": ">=", "value": by},
                {"op": "not", "arg": {"op": "final_included", "tx": h.hex(), "by": by}},
            ],
        }
        return atom, Tracked("excluded", h, by)

    def _complex(self, owner: str) -> dict[str, Any]:
        rng = self.rng
        size = rng.choice((2, 5, 50, 2_000))
        atoms: list[dict[str, Any]] = []
        for _ in range(size):
            roll = rng.randrange(6)
            if roll < 3:
                atoms.append(self._atom()[0])
            elif roll == 3:
                atoms.append(
                    {
                        "op": "balance",
                        "account": owner,
                        "asset": "USD",
                        "cmp": ">",
                        "value": rng.randrange(-5, 5),
                    }
                )
            elif roll == 4:
                atoms.append({"op": "fires", "ref": f"{rng.choice(HOSTILE)}/f{rng.randrange(50)}"})
            else:
                atoms.append({"op": "not", "arg": self._atom()[0]})
        shape = rng.randrange(4)
        if shape == 0:
            return {"op": "and", "args": atoms}
        if shape == 1:
            return {"op": "or", "args": atoms}
        if shape == 2:
            return {"op": "provable", "arg": {"op": "or", "args": atoms}}
        return {"op": "implies", "premise": atoms[0], "conclusion": {"op": "or", "args": atoms}}

    def _hostile_condition(self) -> str:
        """A finality atom with one field replaced by a hostile JSON text."""
        rng = self.rng
        roll = rng.randrange(4)
        good = self._hash().hex()
        if roll == 0:
            text = f'{{"op":"final_included","tx":{rng.choice(BAD_HASHES)}}}'
        elif roll == 1:
            text = f'{{"op":"final_included","tx":"{good}","by":{rng.choice(BAD_NUMBERS)}}}'
        elif roll == 2:
            text = f'{{"op":"finalized","cmp":">=","value":{rng.choice(BAD_NUMBERS)}}}'
        else:
            cmp = rng.choice(('"=>"', "1", "null", '"= "', '">="'))
            value = rng.choice(("3", *BAD_NUMBERS))
            text = f'{{"op":"finalized","cmp":{cmp},"value":{value}}}'
        if rng.random() < 0.3:  # a valid atom beside a view whose arguments nest a float
            text = json.dumps(self._atom()[0])
            arg = rng.choice(("[[1.5]]", "[[NaN]]", f"[[{HUGE_DIGITS}]]", '[[{"a":1}]]', "[[3]]"))
            view = (
                f'{{"op":"view","contract":"{REGISTRY_ADDRESS}","method":"count",'
                f'"args":{arg},"cmp":">=","value":0}}'
            )
            text = f'{{"op":"or","args":[{text},{view}]}}'
        return text

    def _structural(self, owner: str) -> str:
        rng = self.rng
        roll = rng.randrange(4)
        h = self._hash().hex()
        if roll == 0:
            inner = f'{{"op":"final_included","tx":"{h}"}}'
            return '{"op":"not","arg":' * 5_000 + inner + "}" * 5_000
        if roll == 1:
            op = rng.choice(("final_include", "Finalized", "final_excluded"))
            return f'{{"op":"{op}","tx":"{h}"}}'
        if roll == 2:
            return f'{{"op":"final_included","tx":"{h}","surprise":1}}'
        return f'{{"op":"finalized","cmp":">=","value":1,"by":{rng.randrange(9)}}}'

    def posting(self) -> tuple[Transaction, str, Tracked | None, str]:
        """A signed posting, its kind, and the premise it tracks (None: untracked)."""
        rng = self.rng
        owner = rng.choice(HOSTILE)
        self.labels += 1
        label = f"f{self.labels}"
        expiry = self.device.number + rng.choice((1, 3, 8, 20, 60))
        roll = rng.random()
        tracked: Tracked | None = None
        if roll < 0.35:
            kind = "tracked"
            condition, tracked = self._atom()
            text = self._document(owner, label, expiry, json.dumps(condition))
        elif roll < 0.5:
            kind = "complex"
            text = self._document(owner, label, expiry, json.dumps(self._complex(owner)))
        elif roll < 0.9:
            kind = "hostile_field"
            text = self._document(owner, label, expiry, self._hostile_condition())
        else:
            kind = "structural"
            text = self._document(owner, label, expiry, self._structural(owner))
            if rng.random() < 0.3:
                text = text.replace(f'"owner":"{owner}"', f'"owner":"{rng.choice(HOSTILE)}"', 1)
        gas = 3_000_000
        if kind in ("tracked", "complex"):
            try:
                _, gas = CommitmentRegistry.posting(text, owner, self.device.number + 1)
            except Exception:
                gas = 3_000_000
        gas = min(gas, self.device.config.block_gas_limit)
        fee = max(self.device.base_fee * 2, 10_000)
        nonce = self.nonce(owner)
        tx = self.sign(owner, REGISTRY_ADDRESS, "post", (text,), (), gas, fee, 1, nonce)
        return tx, kind, tracked, f"{owner}/{label}"

    @staticmethod
    def _document(owner: str, label: str, expiry: int, condition: str) -> str:
        action = '{"kind":"transfer","asset":"USD","to":"h0","amount":1}'
        return (
            f'{{"owner":"{owner}","label":"{label}","expiry":{expiry},'
            f'"condition":{condition},"actions":[{action}]}}'
        )


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
