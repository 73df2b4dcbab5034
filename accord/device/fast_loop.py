"""The block loop's per-item loop: the device's hot path, compiled.

:func:`run_items` is :meth:`BlockLoop.run`'s loop (:mod:`accord.device.block_loop`
documents what it does: validation, prepayment, the call in a journal frame, the
refund, receipts, and how each failure becomes a rejection, a revert or out of gas). It
is ordinary typed Python that the build compiles with mypyc where it can, and runs as
it is where it cannot (:mod:`accord.device.accelerator`); both paths give the same
results, bit for bit.

Everything per transaction is written out in this one loop, with the block's constants
in local variables: the checks of :mod:`accord.device.validation` in one combined test,
the prepayment, the call and the refund inlined, and the lookups the previous
transaction made (sender, target, method, context) reused when the next one repeats
them.

**Typing under compilation.** mypyc checks a value's declared type at run time, where
Python would not. An item may carry fields that never went through admission (an entry
made by hand, a builder's), and their failures must stay the transaction's rejection,
as in Python: so every value that comes from a transaction, and every table keyed by
one, is typed ``Any`` here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, NoReturn, Protocol

from accord.device import gas as G
from accord.device.block import Skipped, Status
from accord.device.contract import NO_VALUE, BatchCall, Context, Contract
from accord.device.errors import GasLimitTooLow, OutOfGas, Rejected, Revert
from accord.device.fast_storage import Meter
from accord.device.ledger import MISSING, Ledger
from accord.device.mempool import PendingBundle
from accord.device.outcome import BlockEnv, Outcome, Prepaid, no_room
from accord.device.transaction import DEPLOY, Bundle, Transaction

_intrinsic_gas: Final = G.intrinsic_gas
_new_context: Final = tuple.__new__
_NOBODY: Final[Any] = object()
"""Is no sender, target or method: an empty slot of :func:`run_items`' caches."""
# Read per transaction: compiled, Final names are C statics (a plain global is a
# dictionary lookup per use). The classes are typed ``object`` so that an identity test
# against them narrows nothing (the item's fields stay ``Any``: module docstring).
_PENDING_BUNDLE: Final[object] = PendingBundle
_TRANSACTION: Final[object] = Transaction
_DEPLOY: Final[Any] = DEPLOY
_MISSING: Final[Any] = MISSING


class LoopHost(Protocol):
    """What the loop uses of the executor (a :class:`~accord.device.block_loop.BlockLoop`,
    named here without importing it back)."""

    ledger: Ledger
    contracts: dict[str, Contract]
    fee_asset: str
    _first_price: bool
    _fee_keys: dict[str, tuple[str, str]]
    _context: type[Context]
    _active: list[Context | None]
    offenders: tuple[object, ...]

    @property
    def meter(self) -> Any: ...

    def _reject(self, tx: Transaction, base_fee: int) -> None: ...

    def _cannot_pay(self, sender: str, need: int, have: int) -> NoReturn: ...

    def never_valid(self, tx: Transaction) -> bool: ...

    def is_batch_call(self, tx: Transaction) -> bool: ...

    def collect_batch_call(
        self, tx: Transaction, env: BlockEnv
    ) -> tuple[Transaction, Prepaid, BatchCall]: ...

    def _run_bundle(
        self, bundle: Bundle, env: BlockEnv, out: Outcome, strict: bool, batch: bool = False
    ) -> None: ...

    def _send_value(self, tx: Transaction, to: str) -> Mapping[str, int]: ...

    def _deploy(self, tx: Transaction, env: BlockEnv) -> str: ...

    def _metered(
        self, contract: Contract | None, method: str, function: Callable[..., Any] | None
    ) -> Callable[..., Any] | None: ...


def run_items(
    loop: LoopHost, items: Iterable[Any], env: BlockEnv, gas_left: Any, strict: bool, batch: bool
) -> Outcome:
    """:meth:`BlockLoop.run`'s loop over a block's ``items`` (its docstring)."""
    out = Outcome([], [], [], [], {}, [], 0, gas_left)
    attempted, included, receipts = out.attempted, out.included, out.receipts
    ledger: Any = loop.ledger
    meter: Meter = ledger.meter  # the running call's gas (compiled: a C struct's fields)
    nonces: dict[Any, Any] = ledger.nonces
    balances: dict[Any, Any] = ledger.balances
    journal: list[Any] = ledger.journal
    events: list[Any] = ledger.events
    nonces_origin: dict[Any, Any] = ledger.nonces_origin
    balances_origin: dict[Any, Any] = ledger.balances_origin
    contracts: dict[Any, Any] = loop.contracts
    fee_keys: dict[Any, Any] = loop._fee_keys
    fee_asset: str = loop.fee_asset
    first_price: bool = loop._first_price
    active: list[Any] = loop._active  # the running call's context (ContextKit.active)
    context_class: Any = loop._context
    metering = bool(loop.meter.prefixes)
    # One read-only context per (contract, sender) for the block's value-less calls:
    # their facts are equal, so they may share one.
    contexts: dict[Any, dict[Any, Any]] = {}
    known: set[Any] = set()  # senders whose nonce and fee-balance origins are recorded
    base_fee: int = env.base_fee
    number: int = env.number
    timestamp: int = env.timestamp
    # The previous transaction's sender, target and method, and what was looked up
    # for them: consecutive transactions often share them, and an identity test is
    # cheaper than the lookups. (Nothing a lookup found can change within a block:
    # contracts are only ever added, at fresh addresses.)
    last_sender: object = _NOBODY
    last_to: object = _NOBODY
    last_method: object = _NOBODY
    key: Any = ("", "")
    contract: Any = None
    entry: Any = None
    ctx: Any = None
    # ``attempted`` is every item tried, in order. While every one tried was also
    # included it equals ``included``, so it is only filled in (``tracking``) from
    # the first item that is not a plain included transaction.
    tracking = False
    item: Any = None
    # The numbers, ints (compiled: machine words where they fit): gas left in the
    # block, and each transaction's limit, fees, intrinsic gas, nonce, price, prepay...
    left: int = gas_left
    limit = fee_cap = tip_cap = intrinsic = tx_nonce = expected = 0
    tip = price = prepay = need = have = back = used = 0
    try:
        for item in items:
            if type(item) is _PENDING_BUNDLE:
                if not tracking:
                    attempted.extend(included)
                    tracking = True
                out.gas_left = left
                loop._run_bundle(item[0], env, out, strict, batch)
                left = out.gas_left
                continue
            tx: Any = item[0]  # a transaction entry
            if type(tx) is _TRANSACTION and len(tx) == 11:
                fields: tuple[Any, ...] = tx  # a tuple's items, read without an iterator
                (
                    sender,
                    nonce,
                    to,
                    method,
                    args,
                    value,
                    gas_limit,
                    max_fee,
                    priority_fee,
                    tx_hash,
                    _,
                ) = fields
            else:  # made by hand: any sequence (anything else fails the whole block)
                (
                    sender,
                    nonce,
                    to,
                    method,
                    args,
                    value,
                    gas_limit,
                    max_fee,
                    priority_fee,
                    tx_hash,
                    _,
                ) = tx
            try:
                # The gate's types (an item that escaped admission may differ): from
                # here on the numbers are ints (compiled: machine words where they fit).
                if not (
                    type(nonce) is int
                    and type(gas_limit) is int
                    and type(max_fee) is int
                    and type(priority_fee) is int
                ):
                    raise TypeError("nonce, gas_limit, max_fee and priority_fee must be ints")
                tx_nonce, limit, fee_cap, tip_cap = nonce, gas_limit, max_fee, priority_fee
                # gas_left never exceeds the block gas limit, so this also catches a
                # gas limit above it (_reject names both).
                if limit > left:
                    if strict:
                        raise GasLimitTooLow(f"{limit} exceeds the block's gas left {left}")
                    out.skipped.append(no_room(tx_hash, "tx", limit, left))
                    continue
                if batch and loop.is_batch_call(tx):
                    collected = loop.collect_batch_call(tx, env)
                    out.batched.setdefault(to, []).append(collected)
                    left -= limit
                    if tracking:
                        attempted.append(tx)
                    included.append(tx)
                    receipts.append(None)  # filled at settlement
                    continue
                # -- intrinsic gas: TX_BASE + EIP-2028 calldata (gas.intrinsic_gas) --
                # computed at admission: the entry's gas (item is no PendingBundle here)
                try:
                    found_gas: Any = item[3]
                except IndexError:  # an (tx, arrival, seq) item made by hand
                    found_gas = None
                if type(found_gas) is not int:  # a bundle's, or not admitted through the
                    # pool (not canonical: UNPAYABLE, refused for its gas limit)
                    found_gas = _intrinsic_gas(method, args, value)
                intrinsic = found_gas
                # -- validation: one combined test, _reject() names the failure --
                expected = nonces.get(sender, 0)  # a nonce is never stored as 0
                if (
                    tx_nonce != expected
                    or fee_cap < base_fee
                    or tip_cap > fee_cap
                    or limit < intrinsic
                    or to == _DEPLOY
                ):
                    loop._reject(tx, base_fee)  # raises, unless a valid deployment
                    entry = None
                    last_to = _NOBODY
                elif to is not last_to or method is not last_method:
                    if method:
                        found = contracts.get(to)
                        function = None if found is None else found._entries.get(method)
                        if function is None:
                            loop._reject(tx, base_fee)  # raises
                        if metering:
                            function = loop._metered(found, method, function)
                        contract, entry = found, function
                    else:
                        entry = None
                    last_to, last_method = to, method
                    last_sender = _NOBODY  # the cached context was for another target
                if first_price:
                    tip = fee_cap
                else:
                    tip = fee_cap - base_fee
                    if tip_cap < tip:
                        tip = tip_cap
                price = base_fee + tip
                # -- prepay (_take inlined) --
                prepay = limit * price
                need = prepay
                if value:
                    for asset, amount in value:
                        if asset == fee_asset:
                            need += amount
                if sender is not last_sender:
                    got = fee_keys.get(sender)
                    if got is None:  # one (sender, fee asset) key per sender
                        got = fee_keys[sender] = (sender, fee_asset)
                    key, ctx, last_sender = got, None, sender
                    if sender not in known:
                        # The state hash's origins of the sender's nonce and fee
                        # balance, taken before this block writes them here
                        # (harmless if it does not: the old and new values are then
                        # equal). They are also the whole-block rollback's record.
                        known.add(sender)
                        if sender not in nonces_origin:
                            nonces_origin[sender] = expected or _MISSING
                        if key not in balances_origin:
                            balances_origin[key] = balances.get(key, _MISSING)
                have = balances.get(key, 0)
                if have < need:
                    loop._cannot_pay(sender, need, have)
            except Exception as exc:
                # A rejection; anything else (a field of the wrong type that escaped
                # admission) is one too, and the transaction can never be valid.
                if strict:
                    if isinstance(exc, Rejected):
                        raise
                    raise Rejected(_describe(exc), field="tx") from exc
                if not tracking:
                    attempted.extend(included)
                    tracking = True
                attempted.append(tx)
                if isinstance(exc, Rejected):
                    skip = Skipped(tx_hash, "tx", exc.field, str(exc), loop.never_valid(tx))
                else:
                    skip = Skipped(tx_hash, "tx", "tx", _describe(exc), True)
                out.skipped.append(skip)
                last_sender = last_to = _NOBODY  # the caches may be half-updated
                continue
            if tracking:
                attempted.append(tx)
            nonces[sender] = expected + 1
            if prepay:
                if have == prepay:
                    del balances[key]
                else:
                    balances[key] = have - prepay
            # -- the call, in a journal frame --
            journal_mark, events_mark = len(journal), len(events)
            meter.used = intrinsic
            meter.limit = limit
            created: str | None = None
            error: str | None = None
            result: object = None
            status: Status
            try:
                if entry is not None:
                    if value:
                        sent = loop._send_value(tx, to)
                        call_ctx = _new_context(
                            context_class, (to, sender, sender, sent, number, timestamp)
                        )
                    else:
                        if ctx is None:
                            by_sender = contexts.get(to)
                            if by_sender is None:
                                by_sender = contexts[to] = {}
                            ctx = by_sender.get(sender)
                            if ctx is None:
                                ctx = by_sender[sender] = _new_context(
                                    context_class,
                                    (to, sender, sender, NO_VALUE, number, timestamp),
                                )
                        call_ctx = ctx
                    active[0] = call_ctx  # only the running call's context acts
                    # The method's function (Contract._entries: no bound method
                    # to build), with positional arguments spelled out for short
                    # argument lists: a call with *args costs twice as much. (A tuple's
                    # items are read as a tuple's; admission gives a tuple, and other
                    # arguments come from an item made by hand.)
                    n = len(args)
                    if type(args) is not tuple:
                        result = entry(contract, call_ctx, *args)
                    elif n == 3:
                        result = entry(contract, call_ctx, args[0], args[1], args[2])
                    elif n == 2:
                        result = entry(contract, call_ctx, args[0], args[1])
                    elif n == 1:
                        result = entry(contract, call_ctx, args[0])
                    elif n == 0:
                        result = entry(contract, call_ctx)
                    else:
                        result = entry(contract, call_ctx, *args)
                elif to == _DEPLOY:
                    created = loop._deploy(tx, env)
                elif value:  # a plain transfer
                    loop._send_value(tx, to)
                used = meter.used
                if used > limit:  # contract code caught an OutOfGas: still fails
                    raise OutOfGas(used, limit)
                status = "success"
            except OutOfGas as exc:
                ledger.rollback((journal_mark, events_mark))
                status, used, error, created = "out_of_gas", limit, exc.reason, None
            except Revert as exc:
                ledger.rollback((journal_mark, events_mark))
                status, used, error, created = "reverted", meter.used, exc.reason, None
                if used > limit:  # it caught an OutOfGas, then reverted
                    status, used = "out_of_gas", limit
            except (MemoryError, RecursionError) as exc:  # resource exhaustion
                ledger.rollback((journal_mark, events_mark))
                status, used, created = "out_of_gas", limit, None
                error = f"out of gas: {_describe(exc)}"
            except Exception as exc:  # a bug or a failed ledger op in contract code
                ledger.rollback((journal_mark, events_mark))
                status, used, created = "reverted", meter.used, None
                error = _describe(exc)
                if used > limit:  # it caught an OutOfGas, then raised this
                    status, used = "out_of_gas", limit
            except KeyboardInterrupt:
                raise  # the user's: the whole block is rolled back
            except BaseException as exc:  # SystemExit, GeneratorExit... from a contract
                ledger.rollback((journal_mark, events_mark))
                status, used, created = "out_of_gas", limit, None
                error = f"out of gas: {_describe(exc)}"
            emitted = tuple(events[events_mark:]) if events and len(events) > events_mark else ()
            # -- settle (_settle inlined): refund unused gas; burn, tip per block --
            refund = (limit - used) * price
            if refund:  # (the key's origin is recorded: the sender was known)
                back = balances.get(key, 0)
                balances[key] = back + refund
            included.append(tx)
            receipts.append(
                (
                    tx_hash,
                    status,
                    used,
                    used * price,
                    used * tip,
                    result,
                    emitted,
                    error,
                    created,
                )
            )
            left -= used
    except BaseException:
        # An unexpected error (a bug in the device, or KeyboardInterrupt): what the
        # whole-block rollback drops.
        loop.offenders = () if item is None else (item,)
        raise
    if not tracking:
        attempted.extend(included)
    out.gas_left = left
    return out


def _describe(exc: BaseException) -> str:
    """``"TypeName: message"``, never raising (a hostile ``__str__`` is not called
    twice, and one that fails gives the type name alone)."""
    name = type(exc).__name__
    try:
        text = str(exc)
    except KeyboardInterrupt:
        raise
    except BaseException:
        return name
    return f"{name}: {text}"[:500] if text else name
