"""The admission gate: what a transaction or bundle must be to enter the mempool.

One gate, used by :meth:`Device.submit <accord.device.submission.Submission.submit>`,
:meth:`~accord.device.submission.Submission.submit_bundle`, the builder's own inserted
items (:meth:`~accord.device.production.BlockProduction._resolve`) and replay
(:meth:`~accord.device.production.BlockProduction.replay_block`). Whatever it refuses
raises a :class:`~accord.device.errors.Rejected` error whose ``field`` names the field at
fault, and nothing changes. In order:

1. **Fields** (:func:`check_fields`), exactly as :meth:`Account.sign
   <accord.device.transaction.Account.sign>` builds them: a :class:`Transaction` of 11
   fields; ``sender``, ``to`` and ``method`` of type ``str``; ``nonce``, ``gas_limit``,
   ``max_fee`` and ``priority_fee`` of type ``int`` (not ``bool``, float or a numpy
   integer), non-negative, the nonce at most ``2**64 - 1`` (EIP-2681) and fees at most
   ``2**256 - 1`` (the EVM's word); ``priority_fee <= max_fee`` (geth's
   ``ErrTipAboveFeeCap``); the gas limit in ``[intrinsic gas, block gas limit]`` (the
   intrinsic gas is ``TX_BASE`` plus EIP-2028's calldata cost of ``(method, args,
   value)``, :func:`accord.device.gas.intrinsic_gas`; geth's ``ErrIntrinsicGas``); ``args`` a
   tuple of canonical values (:mod:`accord.device.encoding`, tuples only: a list is
   converted by ``sign``, so a list here was not signed by it); ``value`` a tuple of
   ``(asset, amount)`` pairs with positive amounts, assets strictly increasing (sorted
   and unique, as ``_freeze_value`` produces them); ``hash`` 32 bytes (the
   signature's type and length are step 2's). A deploy (``to == DEPLOY``) names
   ``module:QualName`` of ASCII identifiers.
2. **Signature** (:meth:`~accord.device.submission.Submission.verify`): the hash is
   recomputed from the fields and the signature checked with the sender's key.
3. **State**: the nonce is not used, the transaction is not already pending, a deploy's
   class resolves (through the executor's lookup, which the genesis allowlist guards),
   and the sender can pay (:func:`check_funds`): its free balance of the fee asset
   covers ``max_fee × gas_limit`` plus the value it sends in the fee asset (with
   ``DeviceConfig.admission_checks_assets``, its free balance of every other asset it
   sends must cover that amount too). As geth's pool does (``ErrInsufficientFunds``),
   this is checked for the transaction on its own: a sender's other pending
   transactions are not subtracted, and execution checks again.
4. **Pool** (:meth:`Admission._enter`), as geth's ``txpool`` bounds it: a transaction
   with the sender and nonce of a pending one replaces it only if both its ``max_fee``
   and its ``priority_fee`` are higher by ``replacement_bump_pct`` percent (geth's
   ``txpool.pricebump``, ``core/txpool/legacypool/list.go``); otherwise a sender holds
   at most ``max_pending_per_sender`` pending transactions (``txpool.accountslots``),
   and a pool of ``mempool_capacity`` evicts its cheapest transaction
   (:meth:`~accord.device.mempool.Mempool.cheapest`) for a newcomer that pays strictly
   more, or refuses the newcomer (geth's ``ErrUnderpriced``).

Bundles (:func:`check_bundle`): a :class:`Bundle` of 1 to ``max_bundle_txs``
transactions, each through steps 1 and 2 with an unused nonce; ``min_block`` and
``max_block`` ints ``>= 0`` (``max_block`` may be ``None``); ``reverting`` a frozenset of
hashes of its own transactions; the first transaction payable by its sender (nothing
of the bundle has run before it), and at most ``max_pending_bundles_per_sender``
pending bundles per bundle sender.

Replay applies the part of the gate that does not depend on the pool at submission
time (steps 1 and 2, which the log's items all passed when they were admitted), and
raises :class:`LogRejected` naming the block, the item and the field.

:meth:`Submission.submit <accord.device.submission.Submission.submit>` inlines the
common valid case (exact-type tests, atoms-only arguments, no value) and calls
:meth:`Admission._admit` at any doubt, which runs every step in order and names the
first failure.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from accord.device import gas as G
from accord.device.encoding import Canonical
from accord.device.errors import (
    BadNonce,
    BundleFailed,
    FeeTooLow,
    GasLimitTooLow,
    InvalidValue,
    Rejected,
)
from accord.device.transaction import DEPLOY, Bundle, Transaction

if TYPE_CHECKING:
    from accord.device.config import DeviceConfig
    from accord.device.execution import Executor
    from accord.device.ledger import Ledger
    from accord.device.mempool import Mempool

MAX_NONCE = 2**64 - 1
"""The highest nonce (EIP-2681 bounds an account's nonce to ``2**64 - 1``)."""
MAX_AMOUNT = 2**256 - 1
"""The highest fee or amount: the EVM's 256-bit word (geth refuses fee caps and values
beyond it, ``ErrFeeCapVeryHigh``)."""
HASH_BYTES = 32
MAX_ARG_DEPTH = 32
"""How deep arguments may nest (a tuple in a tuple ...): walked without recursion, and
far below ``marshal``'s own limit."""

_FIELDS = ("nonce", "gas_limit", "max_fee", "priority_fee")
_ATOMS = frozenset({int, str, bool, bytes, type(None)})
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_DEPLOY_PATH = re.compile(rf"{_NAME}(?:\.{_NAME})*:{_NAME}(?:\.{_NAME})*", re.ASCII)


class CannotPay(Rejected):
    """The sender's free balance does not cover what the transaction may cost or send."""


class SenderFull(Rejected):
    """The sender already holds as many pending transactions or bundles as it may."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="sender")


class PoolFull(Rejected):
    """The mempool is full and the newcomer pays no more than its cheapest transaction."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="max_fee")


class ReplacementUnderpriced(Rejected):
    """A transaction with a pending one's sender and nonce that does not bump its fees."""


class LogRejected(Rejected):
    """A logged item that the admission gate refuses: the log was not written by a
    device (or was edited). ``field`` is the item's field at fault."""

    def __init__(self, number: int, index: int, cause: Rejected) -> None:
        super().__init__(
            f"block {number}, item {index} fails admission: {cause}", field=cause.field
        )
        self.number = number
        self.index = index
        self.cause = cause


def _non_negative_int(number: object, name: str, cap: int) -> None:
    if type(number) is not int:
        raise InvalidValue(f"must be an int, got {type(number).__name__}", field=name)
    if number < 0:
        raise InvalidValue(f"must be non-negative, got {number}", field=name)
    if number > cap:
        raise InvalidValue(f"must be at most {cap}, got {number}", field=name)


def check_args(args: object) -> None:
    """Raise :class:`InvalidValue` (field ``args[i]...``) unless ``args`` is a tuple of
    canonical values: ``None``, ``bool``, ``int``, ``str``, ``bytes`` or tuples of them
    (exact types), nested at most :data:`MAX_ARG_DEPTH` deep."""
    if type(args) is not tuple:
        raise InvalidValue(f"must be a tuple, got {type(args).__name__}", field="args")
    stack: list[tuple[tuple[Canonical, ...], str, int]] = [(args, "args", 0)]
    while stack:
        items, path, depth = stack.pop()
        for i, item in enumerate(items):
            kind = type(item)
            if kind in _ATOMS:
                continue
            where = f"{path}[{i}]"
            if kind is not tuple:
                raise InvalidValue(
                    f"{kind.__name__} is not a canonical value "
                    "(int, str, bytes, bool, None or tuple)",
                    field=where,
                )
            if depth + 1 >= MAX_ARG_DEPTH:
                raise InvalidValue(f"nested more than {MAX_ARG_DEPTH} deep", field=where)
            stack.append((item, where, depth + 1))  # type: ignore[arg-type]  # a tuple


def check_value(value: object) -> None:
    """Raise :class:`InvalidValue` (field ``value``) unless ``value`` is what
    ``_freeze_value`` makes: a tuple of ``(str, int)`` pairs, amounts in
    ``[1, MAX_AMOUNT]``, assets strictly increasing."""
    if type(value) is not tuple:
        raise InvalidValue(f"must be a tuple of pairs, got {type(value).__name__}", field="value")
    last: str | None = None
    for i, pair in enumerate(value):
        where = f"value[{i}]"
        if type(pair) is not tuple or len(pair) != 2:
            raise InvalidValue("must be an (asset, amount) pair", field=where)
        asset, amount = pair
        if type(asset) is not str:
            raise InvalidValue(f"asset must be a str, got {type(asset).__name__}", field=where)
        if type(amount) is not int or not 0 < amount <= MAX_AMOUNT:
            raise InvalidValue(
                f"amount must be an int in [1, 2**256 - 1], got {amount!r}", field=where
            )
        if last is not None and asset <= last:
            kind = "repeated" if asset == last else "out of order (assets are sorted)"
            raise InvalidValue(f"asset {asset!r} is {kind}", field=where)
        last = asset


def check_deploy_path(path: str) -> None:
    """Raise :class:`InvalidValue` (field ``method``) unless ``path`` is
    ``module:QualName`` made of ASCII identifiers (no leading dot, no relative import)."""
    if _DEPLOY_PATH.fullmatch(path) is None:
        raise InvalidValue(
            f"deploy target {path[:80]!r} is not 'module.path:ClassName' of identifiers",
            field="method",
        )


def check_fields(tx: object, block_gas_limit: int) -> Transaction:
    """Check every field of ``tx`` for type, range and shape (step 1 of the gate, in
    field order; the first failure is raised). Returns ``tx`` as a Transaction."""
    return _check_fields(tx, block_gas_limit)[0]


def _check_fields(tx: object, block_gas_limit: int) -> tuple[Transaction, int]:
    """:func:`check_fields`, also returning the intrinsic gas it computed."""
    if type(tx) is not Transaction:
        raise InvalidValue(f"must be a Transaction, got {type(tx).__name__}", field="tx")
    if len(tx) != 11:
        raise InvalidValue(f"a Transaction has 11 fields, got {len(tx)}", field="tx")
    sender, nonce, to, method, args, value, gas_limit, max_fee, priority_fee, h, _ = tx
    for name, text in (("sender", sender), ("to", to), ("method", method)):
        if type(text) is not str:
            raise InvalidValue(f"must be a str, got {type(text).__name__}", field=name)
    for name, number in zip(_FIELDS, (nonce, gas_limit, max_fee, priority_fee), strict=True):
        _non_negative_int(number, name, MAX_NONCE if name == "nonce" else MAX_AMOUNT)
    check_args(args)
    check_value(value)
    intrinsic = G.intrinsic_gas(method, args, value)
    if gas_limit < intrinsic or gas_limit > block_gas_limit:
        raise GasLimitTooLow(
            f"{gas_limit} is outside [intrinsic gas {intrinsic}, block gas limit {block_gas_limit}]"
        )
    if priority_fee > max_fee:
        raise FeeTooLow(
            f"priority_fee {priority_fee} exceeds max_fee {max_fee}", field="priority_fee"
        )
    if to == DEPLOY:
        check_deploy_path(method)
    if type(h) is not bytes or len(h) != HASH_BYTES:
        raise InvalidValue(f"must be {HASH_BYTES} bytes", field="hash")
    # The signature's type and length are the signature check's (step 2: verify
    # refuses anything but the sender's exact signature, as BadSignature).
    return tx, intrinsic


def check_funds(ledger: Ledger, fee_asset: str, tx: Transaction, assets: bool = False) -> None:
    """Raise :class:`CannotPay` unless ``tx``'s sender can pay for it now: its free
    balance of the fee asset covers ``max_fee × gas_limit`` (the most the gas can cost
    under either fee market) plus the value sent in the fee asset (field ``sender``),
    and, with ``assets``, its free balance of each other asset covers the amount sent
    (field ``value``; ``DeviceConfig.admission_checks_assets``)."""
    sender, value, gas_limit, max_fee = tx[0], tx[5], tx[6], tx[7]
    balances = ledger.balances
    gas = max_fee * gas_limit
    need = gas
    for asset, amount in value:
        if asset == fee_asset:
            need += amount
        elif assets:
            have = balances.get((sender, asset), 0)
            if have < amount:
                raise CannotPay(
                    f"{sender} holds {have} {asset}, sends {amount} (short by {amount - have})",
                    field="value",
                )
    have = balances.get((sender, fee_asset), 0)
    if have < need:
        raise CannotPay(
            f"{sender} holds {have} {fee_asset}, needs {need} (max_fee {max_fee} × "
            f"gas_limit {gas_limit} = {gas}, plus {need - gas} sent; short by {need - have})",
            field="sender",
        )


def bumped(old: int, new: int, pct: int) -> bool:
    """Whether ``new`` is strictly above ``old`` and at least ``pct`` percent above it
    (geth's replacement rule, exact in integers: ``100 × new >= (100 + pct) × old``)."""
    return new > old and 100 * new >= (100 + pct) * old


def check_replacement(old: Transaction, new: Transaction, pct: int) -> None:
    """Raise :class:`ReplacementUnderpriced` unless ``new`` bumps both of ``old``'s fees
    by ``pct`` percent (geth's ``txpool.pricebump``)."""
    for name, was, now in (
        ("max_fee", old.max_fee, new.max_fee),
        ("priority_fee", old.priority_fee, new.priority_fee),
    ):
        if not bumped(was, now, pct):
            raise ReplacementUnderpriced(
                f"replacement underpriced: {old.sender}#{old.nonce} is pending with "
                f"{name} {was}, a replacement needs more than that and at least "
                f"{pct}% more, got {now}",
                field=name,
            )


def check_bundle(bundle: object, block_gas_limit: int, max_txs: int) -> Bundle:
    """Check a bundle's own fields and each transaction's fields (step 1)."""
    if type(bundle) is not Bundle:
        raise InvalidValue(f"must be a Bundle, got {type(bundle).__name__}", field="bundle")
    txs = bundle.txs
    if type(txs) is not tuple or not 1 <= len(txs) <= max_txs:
        raise InvalidValue(f"must be a tuple of 1 to {max_txs} transactions", field="txs")
    for i, tx in enumerate(txs):
        try:
            check_fields(tx, block_gas_limit)
        except Rejected as exc:
            raise BundleFailed(str(exc), index=i, cause=exc) from exc
    _non_negative_int(bundle.min_block, "min_block", MAX_NONCE)
    if bundle.max_block is not None:
        _non_negative_int(bundle.max_block, "max_block", MAX_NONCE)
        if bundle.max_block < bundle.min_block:
            raise InvalidValue("is below min_block", field="max_block")
    reverting: Any = bundle.reverting
    if type(reverting) is not frozenset:
        raise InvalidValue("must be a frozenset of hashes", field="reverting")
    hashes = {tx.hash for tx in txs}
    for h in reverting:
        if type(h) is not bytes or h not in hashes:
            raise InvalidValue("names a hash that is none of the bundle's", field="reverting")
    return bundle


class Admission:
    """The stateful steps of the gate (a part of :class:`~accord.device.device.Device`,
    which sets these attributes and provides ``verify``)."""

    config: DeviceConfig
    ledger: Ledger
    mempool: Mempool
    executor: Executor
    _gas_limit: int
    _now: int
    _arrival: int
    _latency: dict[str, int]
    _default_latency: int
    if TYPE_CHECKING:

        def verify(self, tx: Transaction) -> None: ...

    def _admissible(self, tx: object) -> tuple[Transaction, int]:
        """Steps 1 to 3 for one transaction: raise the first failure, change nothing.
        Returns the transaction and its intrinsic gas."""
        checked, intrinsic = _check_fields(tx, self._gas_limit)
        self.verify(checked)
        sender, nonce = checked[0], checked[1]
        current = self.ledger.nonces.get(sender, 0)
        if nonce < current:
            raise BadNonce(f"replayed: {sender} is at nonce {current}, transaction has {nonce}")
        if checked[9] in self.mempool.txs:
            raise Rejected("already pending", field="hash")
        if checked[2] == DEPLOY:
            self.executor._contract_class(checked[3])
        config = self.config
        check_funds(self.ledger, config.fee_asset, checked, config.admission_checks_assets)
        return checked, intrinsic

    def _arrival_at(self, sender: str, at: object) -> int:
        if at is None and not self._latency:
            return self._arrival
        if at is not None and type(at) is not int:
            raise InvalidValue(f"must be an int (ms) or None, got {type(at).__name__}", field="at")
        sent = self._now if at is None else at
        return sent + self._latency.get(sender, self._default_latency)

    def _admit(self, tx: object, at: object = None) -> bytes:
        """The whole gate (steps 1 to 4) for a submitted transaction, then insertion."""
        checked, gas = self._admissible(tx)
        arrival = self._arrival_at(checked[0], at)
        # The intrinsic gas (step 1's) rides in the mempool entry to the block loop.
        return self._enter(checked, arrival, gas)

    def _enter(self, tx: Transaction, arrival: int, gas: int | None = None) -> bytes:
        """Step 4: replace, or take a slot (evicting the cheapest if the pool is full),
        then add ``tx`` to the mempool (with its intrinsic gas, if computed)."""
        config, mempool = self.config, self.mempool
        if not mempool.room:  # what submit's inlined common case reads
            mempool.room = min(config.max_pending_per_sender, config.mempool_capacity)
            mempool.fee_asset = config.fee_asset
            mempool.checks_assets = config.admission_checks_assets
            mempool.balances = self.ledger.balances
        sender, nonce = tx[0], tx[1]
        lane = mempool.lanes.get(sender) or {}
        old_hash = lane.get(nonce)
        if old_hash is not None and old_hash not in mempool.txs:  # stale (never, normally)
            lane = mempool.lane(sender)
            old_hash = None
        if old_hash is not None:
            old = mempool.txs[old_hash][0]
            check_replacement(old, tx, config.replacement_bump_pct)
            mempool.discard(old_hash)
        else:
            if len(lane) >= config.max_pending_per_sender:
                lane = mempool.lane(sender)  # recount without stale entries first
            if len(lane) >= config.max_pending_per_sender:
                raise SenderFull(
                    f"{sender} has {len(lane)} pending transactions, the most one sender "
                    "may hold (max_pending_per_sender)"
                )
            if len(mempool.txs) >= config.mempool_capacity:
                cheapest = mempool.cheapest()
                if cheapest is None or (tx[7], tx[8]) <= (cheapest[0][7], cheapest[0][8]):
                    low = cheapest[0] if cheapest is not None else tx
                    raise PoolFull(
                        f"the mempool is full ({len(mempool.txs)} pending, mempool_capacity); "
                        f"its cheapest pays max_fee {low[7]}, priority_fee {low[8]}: "
                        "pay more than that to enter"
                    )
                mempool.discard(cheapest[0][9])
        mempool.add(tx, arrival, gas)
        return tx[9]

    def _admit_bundle(self, bundle: object, sender: object, at: object) -> Bundle:
        """The gate for a bundle: its fields, each transaction's fields, signature and
        nonce, its first transaction's funds and the bundle sender's pending bundles."""
        config = self.config
        checked = check_bundle(bundle, self._gas_limit, config.max_bundle_txs)
        if type(sender) is not str:
            raise InvalidValue(f"must be a str, got {type(sender).__name__}", field="sender")
        if at is not None and type(at) is not int:
            raise InvalidValue(f"must be an int (ms) or None, got {type(at).__name__}", field="at")
        nonces = self.ledger.nonces
        for i, tx in enumerate(checked.txs):
            try:
                self.verify(tx)
                if tx[1] < nonces.get(tx[0], 0):
                    raise BadNonce(f"replayed: {tx[0]} is at nonce {nonces.get(tx[0], 0)}")
                if i == 0:
                    check_funds(self.ledger, config.fee_asset, tx, config.admission_checks_assets)
            except Rejected as exc:
                raise BundleFailed(str(exc), index=i, cause=exc) from exc
        held = sum(1 for b in self.mempool.bundles() if b.sender == sender)
        if (
            held >= config.max_pending_bundles_per_sender
            and self.mempool.bundle(checked.hash) is None
        ):
            raise SenderFull(
                f"{sender} has {held} pending bundles, the most one sender may hold "
                "(max_pending_bundles_per_sender)"
            )
        return checked

    def _check_logged(self, number: int, index: int, item: object) -> None:
        """The gate's stateless steps (1 and 2) for a logged item; raises
        :class:`LogRejected` naming the block, the item and the field."""
        try:
            if type(item) is Bundle:
                checked = check_bundle(item, self._gas_limit, self.config.max_bundle_txs)
                for i, tx in enumerate(checked.txs):
                    try:
                        self.verify(tx)
                    except Rejected as exc:
                        raise BundleFailed(str(exc), index=i, cause=exc) from exc
            else:
                self.verify(check_fields(item, self._gas_limit))
        except Rejected as exc:
            raise LogRejected(number, index, exc) from exc
