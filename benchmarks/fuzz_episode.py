"""One fuzzing episode: a fresh device, hostile blocks, the checks after each block.

:class:`Episode` draws everything from its own seed, records every input the device
admitted (its *actions*), and can re-run itself without some of them
(:meth:`Episode.rerun`), which is how :mod:`benchmarks.fuzz_device` isolates the input
behind a failure. See that module for what counts as a halt or an invariant break.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import inspect
import logging
import random
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from accord.device import (
    AssetSpec,
    Bundle,
    Contract,
    Device,
    DeviceConfig,
    Genesis,
    Rejected,
    Transaction,
    checks,
)
from accord.device.builder import BuildRequest, Choice
from accord.device.replay import replay
from benchmarks.bench_contracts import Escrow, LockBox
from benchmarks.fuzz_inputs import Inputs

CLASSES: dict[str, tuple[int, int]] = {
    "field": (30, 800),
    "forged": (8, 300),
    "wrong_chain": (4, 200),
    "replay": (4, 200),
    "spam": (8, 400),
    "bundle": (8, 40),
    "builder": (5, 20),
    "deploy": (6, 30),
    "contract": (6, 30),
    "commitment": (4, 3),
}
"""Hostile classes: (weight of a block of this class, inputs per such block)."""

ED25519_SHARE = 5
"""Under ed25519 signatures, the large batches (cheap classes) are this many times
smaller: signing and verifying dominate the cost of those inputs there."""
HONEST = ("h0", "h1", "h2")
HOSTILE = ("u0", "u1", "u2", "u3", "u4", "u5")
SPAMMERS = ("z0", "z1", "z2", "z3")
RICH = 10**24
ALLOWLIST = ("accord.contracts", "benchmarks", "tests.device.hostile_contracts")
HOSTILE_MODULE = "tests.device.hostile_contracts"
_PROBE_WINDOW: dict[str, set[str]] = {}
"""``"loaded"``: the probe modules (``Inputs.PROBE_MODULES``, which a hostile deployer names) loaded
when the current probe window opened (:func:`_forget_probes`): one that appears in
``sys.modules`` after that, the device imported. A module someone else had loaded (a
test suite collects ``tests.device.sample_contracts`` before the fuzzer runs) cannot be
seen imported again, and is never unloaded: unloading it would give the next importer a
second copy of its classes (``isinstance`` fails against the first)."""


def device_options(seed: int) -> dict[str, Any]:
    """Keyword arguments that make an episode's device reproducible from its seed: a
    keyring whose secret derives from the seed (keys are otherwise fresh random bytes,
    and a re-run must accept the original's signatures)."""
    try:
        from accord.device.keys import Keyring
    except ImportError:
        return {}
    secret = hashlib.blake2b(str(seed).encode(), digest_size=32, person=b"fuzz.keys").digest()
    return {"keyring": Keyring(secret)}


def replay_log(device: Device) -> Device:
    """Replay ``device``'s log with its keys (a MAC log needs them)."""
    if "keys" in inspect.signature(replay).parameters:
        return replay(device.log, keys=device.keyring)  # type: ignore[call-arg, attr-defined]
    return replay(device.log)


class RolledBack(logging.Handler):
    """The device's error records: a block rolled back for an internal error (the device
    then builds it again without the item at fault, or seals it empty), a halt for the
    fuzzer although ``build_block`` returned."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage()[:300])


@contextlib.contextmanager
def watching(handler: RolledBack) -> Iterator[RolledBack]:
    """``handler`` on the device's logger for the duration."""
    logger = logging.getLogger("accord.device")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


class BlockTimeout(BaseException):
    """A block step ran past the fuzzer's timeout (raised by SIGALRM)."""


def _alarm(signum: int, frame: Any) -> None:
    raise BlockTimeout("block step timed out")


@dataclass(frozen=True)
class Params:
    """An episode's device design."""

    ordering: str
    mempool: str
    fee_market: str
    builder_may_insert: bool
    ordering_enforced: bool
    block_gas_limit: int
    default_latency_ms: int
    mempool_lifetime_ms: int
    extra: tuple[tuple[str, Any], ...] = ()

    def label(self) -> str:
        extra = "".join(f",{k}={v}" for k, v in self.extra)
        return (
            f"{self.ordering},{self.mempool},{self.fee_market},"
            f"insert={self.builder_may_insert},enforced={self.ordering_enforced},"
            f"gas={self.block_gas_limit},latency={self.default_latency_ms}{extra}"
        )

    def config(self) -> DeviceConfig:
        return DeviceConfig(
            ordering=self.ordering,  # type: ignore[arg-type]
            mempool=self.mempool,  # type: ignore[arg-type]
            fee_market=self.fee_market,  # type: ignore[arg-type]
            builder_may_insert=self.builder_may_insert,
            ordering_enforced=self.ordering_enforced,
            block_gas_limit=self.block_gas_limit,
            default_latency_ms=self.default_latency_ms,
            mempool_lifetime_ms=self.mempool_lifetime_ms,
            **dict(self.extra),
        )


def draw_params(rng: random.Random) -> Params:
    extra: list[tuple[str, Any]] = []
    if "signatures" in DeviceConfig.model_fields:
        # ed25519 costs ~50x a MAC per input (signing and verifying): a quarter of the
        # episodes, with smaller batches of the cheap classes (ED25519_SHARE), cover it.
        extra.append(("signatures", rng.choice(("mac", "mac", "mac", "ed25519"))))
    return Params(
        ordering=rng.choice(("fcfs", "priority", "random", "batch")),
        mempool=rng.choice(("public", "private", "sealed")),
        fee_market=rng.choice(("eip1559", "first_price")),
        builder_may_insert=rng.random() < 0.5,
        ordering_enforced=rng.random() < 0.7,
        block_gas_limit=rng.choice((30_000_000, 10**9)),
        default_latency_ms=rng.choice((0, 0, 0, 12_000)),
        mempool_lifetime_ms=rng.choice((3 * 3600 * 1000, 48_000)),
        extra=tuple(extra),
    )


def genesis() -> Genesis:
    holders = (*HONEST, *HOSTILE, "builder")
    fields: dict[str, Any] = {
        "assets": {
            "ETH": AssetSpec(issuer="treasury", alloc=dict.fromkeys(holders, RICH)),
            "USD": AssetSpec(issuer="fed", alloc=dict.fromkeys(holders, 10**12)),
        },
        "accounts": list(SPAMMERS),
    }
    if "contract_modules" in Genesis.model_fields:
        fields["contract_modules"] = ALLOWLIST
    if "metered_modules" in Genesis.model_fields:
        fields["metered_modules"] = (HOSTILE_MODULE,)
    return Genesis(**fields)


def hostile_classes() -> list[type[Contract]]:
    """The hostile test contracts, when they exist and run under the step meter (without
    the meter, an infinite loop would hang the fuzzer rather than test the device)."""
    if "metered_modules" not in Genesis.model_fields:
        return []
    try:
        module = importlib.import_module(HOSTILE_MODULE)
    except ImportError:
        return []
    return [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, Contract) and obj.__module__ == module.__name__
    ]


@dataclass
class Failure:
    """A halt or an invariant break, with what is needed to re-run it."""

    halt: bool
    cls: str
    signature: str
    error: str
    block: int
    step: int
    candidates: tuple[int, ...] = ()
    example: str = ""
    stuck: bool | None = None
    at_end: bool = False


def signature(exc: BaseException | str) -> str:
    """A failure's kind: the exception type and its message's start, numbers removed."""
    text = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
    return re.sub(r"0x[0-9a-f]+|[0-9a-f]{16,}|-?\d+", "N", text)[:60]


def check_block(device: Device) -> str | None:
    """What is wrong with the device after a block (None: nothing)."""
    try:
        ledger = device.ledger
        for name, table in (
            ("balance", ledger.balances),
            ("lock", ledger.locked),
            ("supply", ledger.supply),
        ):
            for key, amount in table.items():
                if type(amount) is not int:
                    return f"non-int {name} {key!r} = {amount!r}"
        if type(device.base_fee) is not int:
            return f"non-int base fee {device.base_fee!r}"
        checks.block_invariants(device)
        if device.state_hash() != device.head.state_hash:
            return "state_hash() differs from the head's"
    except Exception as exc:  # a check that cannot even run is a break too
        return f"{type(exc).__name__}: {exc}"
    return None


class FixedBuilder:
    """Replays a hostile builder's recorded choices (for re-runs)."""

    follows_rule: ClassVar[bool] = False

    def __init__(self, address: str, choices: list[Choice]) -> None:
        self.address, self.choices = address, choices

    def build(self, request: BuildRequest) -> list[Choice]:
        return list(self.choices)


class HostileBuilder:
    """A builder that picks unknown, duplicate and out-of-range items and inserts
    hostile ones of its own."""

    follows_rule: ClassVar[bool] = False

    def __init__(self, address: str, inputs: Inputs, rng: random.Random, n: int) -> None:
        self.address, self.inputs, self.rng, self.n = address, inputs, rng, n
        self.choices: list[Choice] = []

    def build(self, request: BuildRequest) -> list[Choice]:
        rng, inputs = self.rng, self.inputs
        pending = [p.hash for p in request.pending]
        rng.shuffle(pending)
        out: list[Any] = pending[: rng.randrange(len(pending) + 1)]
        out.extend(b.hash for b in request.bundles)
        for _ in range(self.n):
            roll = rng.randrange(8)
            if roll == 0:
                out.append(rng.randbytes(32))  # an unknown hash
            elif roll == 1 and out:
                out.append(rng.choice(out))  # a duplicate
            elif roll == 2:
                out.append(inputs.field())
            elif roll == 3:
                out.append(inputs.forged())
            elif roll == 4:
                out.append(inputs.bundle(request.number, []))
            elif roll == 5:
                out.append(inputs.valid("builder"))
            elif roll == 6:
                out.append(rng.choice((None, "x", 7, b"short")))
            else:
                out.append(inputs.spam())
        self.choices = out
        return list(out)


@dataclass
class Action:
    """An input the device admitted (or a block built), in episode order."""

    kind: str  # "tx", "bundle", "build"
    obj: Any
    cls: str
    sender: str = ""
    hashes: tuple[bytes, ...] = ()


@contextlib.contextmanager
def _classes_as(state: dict[type[Contract], dict[str, Any]]) -> Iterator[None]:
    """Put each class's attributes back to ``state`` for the block, then as they were.

    A hostile contract that keeps state on its own class (``mutate_class``) returns a
    result that depends on it, and a block header commits to its receipts' results (the
    receipts root): its run replays alike only from the class state the run started
    from. That is the contract's nondeterminism, not the device's (contract code runs
    with Python's privileges: ``docs/device.md``)."""
    now = {cls: dict(vars(cls)) for cls in state}

    def put(target: dict[type[Contract], dict[str, Any]]) -> None:
        for cls, attributes in target.items():
            for name in set(vars(cls)) - set(attributes):
                delattr(cls, name)
            for name, value in attributes.items():
                if vars(cls).get(name, _ABSENT) is not value:
                    setattr(cls, name, value)

    put(state)
    try:
        yield
    finally:
        put(now)


_ABSENT = object()


@dataclass
class Episode:
    """A fresh device under ``params``, driven by ``seed``."""

    params: Params
    seed: int
    timeout: float = 30.0
    inputs: Counter[str] = field(default_factory=Counter)
    admitted: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    unclean: Counter[str] = field(default_factory=Counter)
    unclean_examples: dict[str, str] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    honest: int = 0
    blocks: int = 0
    max_block_ms: float = 0.0
    max_block_cls: str = ""

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.slow_signatures = dict(self.params.extra).get("signatures") == "ed25519"
        self.device = Device(
            self.params.config(), genesis(), seed=self.seed, **device_options(self.seed)
        )
        device = self.device
        deployer = device.account("h0")
        contracts = [device.deploy(deployer, Escrow), device.deploy(deployer, LockBox)]
        self.targets: list[tuple[str, str, int]] = []
        self._class_state = {cls: dict(vars(cls)) for cls in hostile_classes()}
        """Each hostile class's attributes as the episode starts: one of them keeps state on
        its class, outside the device (``mutate_class``), so the replay runs from these."""
        for cls in hostile_classes():
            try:
                address = device.deploy(deployer, cls)
            except Exception:
                continue
            for method in sorted(cls._public):
                arity = len(inspect.signature(getattr(cls, method)).parameters) - 2
                self.targets.append((address, method, max(arity, 0)))
        self.gen = Inputs(device, self.rng, senders=HOSTILE, spammers=SPAMMERS, contracts=contracts)
        self._other: Inputs | None = None
        self._honest_last: dict[str, bytes] = {}
        self._included: set[bytes] = set()
        self._labels = 0

    # -- inputs ------------------------------------------------------------------------
    def _offer(self, cls: str, obj: Any, sender: str = "") -> None:
        """Submit one hostile input; count what the device did with it."""
        device = self.device
        self.inputs[cls] += 1
        before = (len(device.mempool), len(device.mempool._bundles))
        try:
            if isinstance(obj, Bundle):
                device.submit_bundle(obj, sender=sender or "u0")
            else:
                device.submit(obj)
        except Rejected:
            self.refused[cls] += 1
        except Exception as exc:
            self.unclean[cls] += 1
            self.unclean_examples.setdefault(
                f"{cls}:{type(exc).__name__}", f"{exc!s:.150} <- {_short(obj)}"
            )
        else:
            self.admitted[cls] += 1
            if cls == "deploy" or cls == "field":
                _check_probes(cls, obj)
            hashes: tuple[bytes, ...] = ()
            if isinstance(obj, Bundle):
                txs = obj.txs if isinstance(obj.txs, (tuple, list)) else ()
                hashes = tuple(t.hash for t in txs if isinstance(t, Transaction))
            elif isinstance(obj, Transaction):
                hashes = (obj.hash,)
            kind = "bundle" if isinstance(obj, Bundle) else "tx"
            self.actions.append(Action(kind, obj, cls, sender or "u0", hashes))
            return
        if (len(device.mempool), len(device.mempool._bundles)) != before:
            raise _Refusal(cls, obj, "refused input changed the mempool")
        if cls == "deploy" or cls == "field":
            _check_probes(cls, obj)

    def _batch(self, cls: str, n: int) -> None:
        gen, rng, device = self.gen, self.rng, self.device
        if cls == "field":
            for _ in range(n):
                self._offer(cls, gen.field())
        elif cls == "forged":
            for _ in range(n):
                self._offer(cls, gen.forged())
        elif cls == "wrong_chain":
            other = self._other_chain()
            for _ in range(n):
                self._offer(cls, other.valid(rng.choice(HOSTILE)))
        elif cls == "replay":
            included = [tx for block in device.blocks for tx in block.transactions]
            for _ in range(n):
                self._offer(cls, rng.choice(included) if included else gen.forged())
        elif cls == "spam":
            for _ in range(n):
                self._offer(cls, gen.spam())
        elif cls == "bundle":
            pending = [p[0] for p in list(device.mempool.txs.values())[:8]]
            for _ in range(n):
                sender = rng.choice((*HOSTILE, "z0"))
                self._offer(cls, gen.bundle(device.number, pending), sender)
        elif cls == "deploy":
            for _ in range(n):
                self._offer(cls, gen.deploy())
        elif cls == "contract":
            for _ in range(n):
                self._offer(cls, gen.contract_call(self.targets))
        elif cls == "commitment":
            for _ in range(n):
                self._labels += 1
                self._offer(cls, gen.commitment(self._labels))

    def _other_chain(self) -> Inputs:
        """Inputs signed for another device: same genesis, another seed (and chain id)."""
        if self._other is None:
            config = self.params.config()
            options = device_options(self.seed)  # the same keys, where there is a keyring
            if "chain_id" in DeviceConfig.model_fields:
                config = config.model_copy(update={"chain_id": config.chain_id + 1})  # type: ignore[attr-defined]
            else:
                options = {}  # no chain id: another seed gives other keys
            other = Device(config, genesis(), seed=self.seed + 1, **options)
            self._other = Inputs(
                other,
                random.Random(self.seed + 1),
                senders=HOSTILE,
                spammers=SPAMMERS,
                contracts=[],
            )
            self._other.device = self.device  # nonces from this device, keys from the other
        return self._other

    def _honest(self) -> None:
        device = self.device
        for name in HONEST:
            last = self._honest_last.get(name)
            if last is not None and last in device.mempool:
                continue
            content = self.gen.base_content(name)
            content = (name, device.nonce(name), *content[2:6], 60_000, 10**9, 1)
            tx = self.gen.signer.sign(name, content, self.rng)
            try:
                device.submit(tx)
            except Rejected:
                continue
            self._honest_last[name] = tx.hash
            self.honest += 1
            self.actions.append(Action("tx", tx, "honest", name, (tx.hash,)))

    # -- the episode -------------------------------------------------------------------
    def play(self, blocks: int, remaining: int, every_class: bool = False) -> list[Failure]:
        """Run up to ``blocks`` hostile blocks (fewer once ``remaining`` inputs are
        tried); return the failures (at most one halt or break, plus replay's). With
        ``every_class``, the classes take turns (each block the next one) rather than
        being drawn by weight."""
        names = [n for n in CLASSES if n != "contract" or self.targets]
        weights = [CLASSES[n][0] for n in names]
        previous = signal.signal(signal.SIGALRM, _alarm)
        try:
            for index in range(blocks):
                if every_class:
                    cls = names[index % len(names)]
                else:
                    cls = self.rng.choices(names, weights)[0]
                failure = self._block(cls)
                if failure is not None:
                    return [failure]
                if sum(self.inputs.values()) >= remaining:
                    break
            end = self._replay_check()
            return [] if end is None else [end]
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def _block(self, cls: str) -> Failure | None:
        device = self.device
        number = device.number + 1
        step = len(self.actions)
        _forget_probes()
        builder: HostileBuilder | None = None
        signal.setitimer(signal.ITIMER_REAL, self.timeout)
        try:
            self._honest()
            size = CLASSES[cls][1]
            if self.slow_signatures and size > 100:
                size //= ED25519_SHARE
            if cls == "builder":
                builder = HostileBuilder(device.config.builder, self.gen, self.rng, size)
                self.inputs[cls] += size
            else:
                self._batch(cls, size)
            held = self._honest_holdings()
            started = time.perf_counter()
            with watching(RolledBack()) as rolled_back:
                device.build_block(builder)
            elapsed = (time.perf_counter() - started) * 1000
        except _Refusal as bad:
            signal.setitimer(signal.ITIMER_REAL, 0)
            return Failure(
                False,
                cls,
                signature(bad.message),
                bad.message,
                number,
                step,
                example=_short(bad.obj),
            )
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            signal.setitimer(signal.ITIMER_REAL, 0)
            self.actions.append(Action("build", builder.choices if builder else None, cls))
            return self._halt(cls, exc, number, builder)
        signal.setitimer(signal.ITIMER_REAL, 0)
        self.actions.append(Action("build", builder.choices if builder else None, cls))
        if rolled_back.records:  # production moved on, but not with what was sent
            error = f"block rolled back: {rolled_back.records[0]}"
            return Failure(
                True,
                cls,
                signature(error),
                error,
                number,
                len(self.actions) - 1,
                () if builder else self._candidates(),
                _short(builder.choices) if builder else "",
            )
        self.blocks += 1
        if device.blocks[-1].builder_refused is not None:
            # A hostile builder's block refused whole: the device's honest builder built
            # it instead (the checks below still run on what was sealed).
            self.refused[cls] += 1
        if elapsed > self.max_block_ms:
            self.max_block_ms, self.max_block_cls = elapsed, cls
        problem = check_block(device) or _imported() or self._acted_for(held)
        if problem is not None:
            return Failure(
                False,
                cls,
                signature(problem),
                problem,
                number,
                len(self.actions) - 1,
                self._candidates(),
            )
        for block_tx in device.blocks[-1].transactions:
            self._included.add(block_tx.hash)
        return None

    def _honest_holdings(self) -> dict[tuple[str, str], int]:
        balances = self.device.ledger.balances
        return {(h, a): balances.get((h, a), 0) for h in HONEST for a in ("ETH", "USD")}

    def _acted_for(self, held: dict[tuple[str, str], int]) -> str | None:
        """Whether an honest account lost more in the last block than its own included
        transactions can take (fees at their cap, value sent, USD it locked): if so,
        someone acted for it."""
        device = self.device
        budget = dict.fromkeys(held, 0)
        for tx in device.blocks[-1].transactions:
            if tx.sender not in HONEST:
                continue
            budget[(tx.sender, "ETH")] += tx.gas_limit * tx.max_fee
            for asset, amount in tx.value:
                budget[(tx.sender, asset)] += amount
            if tx.method == "lock":
                budget[(tx.sender, tx.args[0])] += tx.args[1]
        balances = device.ledger.balances
        for key, before in held.items():
            lost = before - balances.get(key, 0)
            if lost > budget[key]:
                return (
                    f"{key[0]} lost {lost} {key[1]} in a block where it spent at most {budget[key]}"
                )
        return None

    def _halt(
        self, cls: str, exc: BaseException, number: int, builder: HostileBuilder | None
    ) -> Failure:
        device = self.device
        half = device.state_hash() != device.head.state_hash
        stuck: bool | None
        signal.setitimer(signal.ITIMER_REAL, self.timeout)
        try:
            device.build_block()
            stuck = False
        except KeyboardInterrupt:
            raise
        except BaseException:
            stuck = True
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        error = f"{type(exc).__name__}: {exc}" + (" (state half-applied)" if half else "")
        example = _short(builder.choices) if builder else ""
        return Failure(
            True,
            cls,
            signature(exc),
            error,
            number,
            len(self.actions) - 1,
            () if builder else self._candidates(),
            example,
            stuck,
        )

    def _candidates(self, everything: bool = False) -> tuple[int, ...]:
        """Admitted hostile inputs not included in a block that passed its checks."""
        included = self._included
        return tuple(
            i
            for i, a in enumerate(self.actions)
            if a.kind in ("tx", "bundle")
            and a.cls != "honest"
            and (everything or not any(h in included for h in a.hashes))
        )

    def _replay_check(self) -> Failure | None:
        device = self.device
        try:
            with _classes_as(self._class_state):
                again = replay_log(device)
            problem = None
            if again.head.hash != device.head.hash:
                problem = "replay ended at another head"
        except Exception as exc:
            problem = f"replay: {type(exc).__name__}: {exc}"
        if problem is None:
            return None
        return Failure(
            False,
            "replay",
            signature(problem),
            problem,
            device.number,
            len(self.actions),
            self._candidates(everything=True),
            at_end=True,
        )

    # -- re-runs -----------------------------------------------------------------------
    def rerun(self, actions: list[Action], failure: Failure, keep: set[int]) -> Failure | None:
        """Re-run another episode's ``actions`` on this one (fresh, from the same seed
        and params) through ``failure``'s step, leaving out the candidates not in
        ``keep``; return the failure it ends in, if any."""
        drop = set(failure.candidates) - keep
        device = self.device
        self.actions = actions
        signal.setitimer(signal.ITIMER_REAL, self.timeout)
        _forget_probes()
        try:
            for i, action in enumerate(actions[: failure.step + 1]):
                if i in drop:
                    continue
                if action.kind == "build":
                    builder = (
                        FixedBuilder(device.config.builder, action.obj) if action.obj else None
                    )
                    try:
                        with watching(RolledBack()) as rolled_back:
                            device.build_block(builder)
                    except KeyboardInterrupt:
                        raise
                    except BaseException as exc:
                        if i == failure.step and failure.halt:
                            return Failure(
                                True,
                                action.cls,
                                signature(exc),
                                f"{type(exc).__name__}: {exc}",
                                0,
                                i,
                            )
                        return None
                    if i == failure.step and failure.halt and rolled_back.records:
                        error = f"block rolled back: {rolled_back.records[0]}"
                        return Failure(True, action.cls, signature(error), error, 0, i)
                    if i == failure.step and not failure.halt:
                        problem = check_block(device) or _imported()
                        if problem is None:
                            return None
                        return Failure(False, action.cls, signature(problem), problem, 0, i)
                    _forget_probes()  # as the original did before the next block
                    continue
                with _quiet():
                    if action.kind == "bundle":
                        device.submit_bundle(action.obj, sender=action.sender)
                    else:
                        device.submit(action.obj)
            if failure.at_end:
                return self._replay_check()
            return None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def describe(self, index: int) -> str:
        action = self.actions[index]
        return f"[{action.cls}] {_short(action.obj)}"

    def input_class(self, index: int) -> str:
        return self.actions[index].cls


class _Refusal(Exception):
    """A submission broke an invariant (it changed the mempool although refused, or
    imported a module it named)."""

    def __init__(self, cls: str, obj: Any, message: str) -> None:
        super().__init__(message)
        self.cls, self.obj, self.message = cls, obj, message


def _check_probes(cls: str, obj: Any) -> None:
    """Raise if submitting ``obj`` imported a probe module (admission must import
    nothing a sender names)."""
    found = _imported()
    if found is not None:
        raise _Refusal(cls, obj, f"at submission: {found}")


class _quiet:
    """Ignore a submission's refusal during a re-run."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return exc[0] is not None and issubclass(exc[0], Exception)  # type: ignore[arg-type]


def _forget_probes() -> None:
    """Open a probe window: unload the probe modules the device imported in the last
    window (so that the next import of one is seen), and note which are loaded now."""
    for name in _newly_loaded():
        sys.modules.pop(name, None)
    _PROBE_WINDOW["loaded"] = {n for n in Inputs.PROBE_MODULES if n in sys.modules}


def _newly_loaded() -> list[str]:
    """Probe modules loaded since the window opened (none before the first window: what
    was loaded until then, the fuzzer did not cause)."""
    loaded = _PROBE_WINDOW.get("loaded")
    if loaded is None:
        return []
    return [n for n in Inputs.PROBE_MODULES if n in sys.modules and n not in loaded]


def _imported() -> str | None:
    found = _newly_loaded()
    return f"imported {found}, which a deployer named" if found else None


def _short(obj: Any, limit: int = 300) -> str:
    try:
        text = repr(obj)
    except Exception as exc:  # a repr that fails is still an input
        text = f"<unrepresentable {type(obj).__name__}: {exc}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."
