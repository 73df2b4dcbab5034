"""Executing transactions: validation, gas, fees, reverts and receipts.

The life of a transaction (the EVM's, simplified):

1. **Validation** changes nothing. A wrong nonce, a fee cap below the base fee, a gas
   limit below the intrinsic cost, an unknown target or method, or a sender that
   cannot prepay ``gas_limit × price`` (plus value in the fee asset) is *rejected*
   with a typed error naming the field.
2. The nonce is bumped and ``gas_limit × price`` is taken from the sender, where
   ``price = base_fee + tip`` (:mod:`accord.device.fees`).
3. The call runs in a journal frame, metered by :mod:`accord.device.gas`. A
   :class:`~accord.device.errors.Revert` (or any error in contract code) rolls the frame
   back; :class:`~accord.device.errors.OutOfGas` also uses up the whole limit.
4. Unused gas is refunded, ``gas_used × base_fee`` is burned and ``gas_used × tip``
   goes to the block's builder. Nothing else of a reverted call remains.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from accord.device import gas as G
from accord.device.block import Receipt
from accord.device.contract import NO_VALUE, BatchCall, Context, Contract
from accord.device.errors import (
    BadNonce,
    FeeTooLow,
    GasLimitTooLow,
    InsufficientFunds,
    OutOfGas,
    Rejected,
    Revert,
    UnknownContract,
    UnknownMethod,
)
from accord.device.fees import FeeMarket
from accord.device.ledger import MISSING, Ledger
from accord.device.transaction import DEPLOY, Transaction

if TYPE_CHECKING:
    from accord.device.device import Device

UNMETERED = 1 << 62
_new_tuple = tuple.__new__
_new_context = object.__new__


@dataclass(frozen=True, slots=True)
class BlockEnv:
    """The facts of the block a transaction executes in."""

    number: int
    timestamp: int
    base_fee: int
    builder: str


def contract_address(sender: str, nonce: int) -> str:
    """Where a contract deployed by ``sender`` at ``nonce`` lives (like CREATE)."""
    return "0x" + hashlib.blake2b(f"{sender}:{nonce}".encode(), digest_size=20).hexdigest()


def resolve_contract_class(path: str) -> type[Contract]:
    """Import ``module:QualName`` and check that it is a Contract subclass."""
    module_name, _, qualname = path.partition(":")
    if not module_name or not qualname:
        raise UnknownMethod(f"deploy target {path!r} is not of the form 'module:Class'")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise UnknownMethod(f"cannot import contract class {path!r}: {exc}") from None
    if not (isinstance(obj, type) and issubclass(obj, Contract)):
        raise UnknownMethod(f"{path!r} is not a Contract subclass")
    return obj


Prepaid = tuple[int, int]
"""``(price, tip)`` per gas of a validated transaction whose gas is prepaid."""


class Executor:
    """Applies transactions to a ledger and its contracts."""

    def __init__(
        self,
        device: Device,
        ledger: Ledger,
        contracts: dict[str, Contract],
        fee_market: FeeMarket,
        fee_asset: str,
        block_gas_limit: int,
    ) -> None:
        self.device = device
        self.ledger = ledger
        self.contracts = contracts
        self.fee_market = fee_market
        self.fee_asset = fee_asset
        self.block_gas_limit = block_gas_limit
        self._first_price = fee_market.kind == "first_price"
        self.tips = 0
        self.burned = 0
        self._classes: dict[str, type[Contract]] = {}

    # -- block fee accounting ------------------------------------------------------------
    def begin_block(self) -> None:
        """Start accumulating the block's tips and burned base fees."""
        self.tips = 0
        self.burned = 0

    def end_block(self, builder: str) -> None:
        """Pay the block's tips to its builder and burn its base fees.

        Fees are accumulated during the block and settled once here, so the builder's tips
        become spendable from the next block on.
        """
        ledger = self.ledger
        ledger.credit(builder, self.fee_asset, self.tips)
        ledger.burn_fee(self.fee_asset, self.burned)
        self.tips = 0
        self.burned = 0

    def savepoint(self) -> tuple[tuple[int, int], int, int]:
        """A point to roll a group of transactions back to (journal, events, fees)."""
        return self.ledger.mark(), self.tips, self.burned

    def restore(self, point: tuple[tuple[int, int], int, int]) -> None:
        self.ledger.rollback(point[0])
        self.tips = point[1]
        self.burned = point[2]

    # -- validation and prepayment -----------------------------------------------------
    def _prepay(self, tx: Transaction, base_fee: int) -> Prepaid:
        """Validate ``tx`` (raising :class:`Rejected`, nothing changed), then bump its
        nonce and take ``gas_limit × price`` from the sender. Returns ``(price, tip)``."""
        ledger = self.ledger
        sender, nonce, to, method, _, value, gas_limit, max_fee, priority_fee = tx[:9]
        nonces = ledger.nonces
        expected = nonces.get(sender, 0)
        if nonce != expected:
            kind = "replayed" if nonce < expected else "out of order"
            raise BadNonce(f"{kind}: {sender} is at nonce {expected}, transaction has {nonce}")
        if max_fee < base_fee:
            raise FeeTooLow(f"max_fee {max_fee} is below the base fee {base_fee}")
        if priority_fee > max_fee:
            raise FeeTooLow(
                f"priority_fee {priority_fee} exceeds max_fee {max_fee}", field="priority_fee"
            )
        if gas_limit < G.TX_BASE or gas_limit > self.block_gas_limit:
            raise GasLimitTooLow(
                f"{gas_limit} is outside [{G.TX_BASE}, block gas limit {self.block_gas_limit}]"
            )
        if to == DEPLOY:
            self._contract_class(method)
        elif method:
            contract = self.contracts.get(to)
            if contract is None:
                raise UnknownContract(f"no contract at {to!r} (method {method!r} named)")
            if method not in contract._public:
                raise UnknownMethod(
                    f"{type(contract).__name__} at {to} has no public method {method!r}"
                )
        tip = max_fee if self._first_price else min(priority_fee, max_fee - base_fee)
        price = base_fee + tip
        prepay = gas_limit * price
        fee_asset = self.fee_asset
        need = prepay
        for asset, amount in value:
            if asset == fee_asset:
                need += amount
        key = (sender, fee_asset)
        balances = ledger.balances
        have = balances.get(key, 0)
        if have < need:
            error = InsufficientFunds(sender, fee_asset, need, have)
            raise Rejected(str(error), field="sender") from error
        # The writes below are ledger.write inlined: journal, origin (for the state
        # hash), and the canonical form (a zero balance is absent).
        journal = ledger.journal
        old_nonce = expected if expected else MISSING
        journal.append((nonces, sender, old_nonce))
        origin = ledger.nonces_origin
        if sender not in origin:
            origin[sender] = old_nonce
        nonces[sender] = expected + 1
        if prepay:
            journal.append((balances, key, have))
            origin = ledger.balances_origin
            if key not in origin:
                origin[key] = have
            if have == prepay:
                del balances[key]
            else:
                balances[key] = have - prepay
        return price, tip

    def _settle(
        self, sender: str, gas_limit: int, paid: Prepaid, used: int, base_fee: int
    ) -> tuple[int, int]:
        """Refund unused gas and account the burn and the tip. Returns (fee, tip)."""
        price, tip = paid
        refund = (gas_limit - used) * price
        if refund:
            self.ledger.credit(sender, self.fee_asset, refund)
        tip_total = used * tip
        self.tips += tip_total
        self.burned += used * base_fee
        return used * price, tip_total

    # -- execution ---------------------------------------------------------------------
    def apply(self, tx: Transaction, env: BlockEnv) -> Receipt:
        """Apply one transaction; raises :class:`Rejected` (and changes nothing) if invalid."""
        base_fee = env.base_fee
        paid = self._prepay(tx, base_fee)
        sender, _, to, method, args, value, gas_limit = tx[:7]
        ledger = self.ledger
        mark = (len(ledger.journal), len(ledger.events))
        ledger.gas_used = G.TX_BASE
        ledger.gas_limit = gas_limit
        created: str | None = None
        error: str | None = None
        result: object = None
        try:
            if to == DEPLOY:
                created = self._deploy(tx, env)
            else:
                sent = self._send_value(tx, to) if value else NO_VALUE
                if method:
                    # Context.__init__ inlined: this is the hot path of every call.
                    ctx = _new_context(Context)
                    ctx._device = self.device
                    ctx._ledger = ledger
                    ctx.this = to
                    ctx.sender = ctx.origin = sender
                    ctx.value = sent
                    ctx.block_number = env.number
                    ctx.timestamp = env.timestamp
                    result = getattr(self.contracts[to], method)(ctx, *args)
            used = ledger.gas_used
            if used > gas_limit:  # contract code caught an OutOfGas: the call still fails
                raise OutOfGas(used, gas_limit)
            status = "success"
        except OutOfGas as exc:
            ledger.rollback(mark)
            status, used, error, created = "out_of_gas", gas_limit, exc.reason, None
        except Revert as exc:
            ledger.rollback(mark)
            status, used, error, created = "reverted", ledger.gas_used, exc.reason, None
        except Exception as exc:  # a bug or a failed ledger op in contract code: a revert
            ledger.rollback(mark)
            status, used, created = "reverted", ledger.gas_used, None
            error = f"{type(exc).__name__}: {exc}"
        ledger.gas_limit = UNMETERED
        events = tuple(ledger.events[mark[1] :]) if len(ledger.events) > mark[1] else ()
        fee, tip = self._settle(sender, gas_limit, paid, used, base_fee)
        # tuple.__new__ skips the NamedTuple's Python-level __new__ on this hot path.
        return _new_tuple(Receipt, (tx[9], status, used, fee, tip, result, events, error, created))

    def _send_value(self, tx: Transaction, to: str) -> Mapping[str, int]:
        """Move the transaction's ``value`` from its sender to ``to`` (metered)."""
        ledger = self.ledger
        sender = tx[0]
        for asset, amount in tx[5]:
            ledger.use_gas(G.LEDGER_OP)
            ledger.transfer(asset, sender, to, amount)
        return MappingProxyType(dict(tx[5]))

    def _contract_class(self, path: str) -> type[Contract]:
        cls = self._classes.get(path)
        if cls is None:
            cls = self._classes[path] = resolve_contract_class(path)
        return cls

    def _deploy(self, tx: Transaction, env: BlockEnv) -> str:
        ledger = self.ledger
        ledger.use_gas(G.DEPLOY)
        cls = self._contract_class(tx.method)
        address = contract_address(tx.sender, tx.nonce)
        instance = cls.__new__(cls)
        instance._bind(address, ledger)
        ledger.write(self.contracts, address, instance)
        ctx = Context(
            self.device,
            ledger,
            address,
            tx.sender,
            tx.sender,
            self._send_value(tx, address) if tx.value else NO_VALUE,
            env.number,
            env.timestamp,
        )
        instance.setup(ctx, *tx.args)
        return address

    # -- batch settlement (frequent batch auction) -------------------------------------
    def is_batch_call(self, tx: Transaction) -> bool:
        contract = self.contracts.get(tx.to)
        return contract is not None and tx.method in contract._batch

    def collect_batch_call(
        self, tx: Transaction, env: BlockEnv
    ) -> tuple[Transaction, Prepaid, BatchCall]:
        """Prepay a batchable call and lock its value under the contract until settlement."""
        ledger = self.ledger
        fee_asset = self.fee_asset
        for asset, amount in tx.value:
            # The fee asset's value is checked with the prepayment in _prepay.
            have = ledger.balance(tx.sender, asset)
            if asset != fee_asset and have < amount:
                error = InsufficientFunds(tx.sender, asset, amount, have)
                raise Rejected(str(error), field="value") from error
        paid = self._prepay(tx, env.base_fee)
        for asset, amount in tx.value:
            ledger.lock(asset, tx.sender, amount, holder=tx.to)
        call = BatchCall(tx.hash, tx.sender, tx.method, tx.args, MappingProxyType(dict(tx.value)))
        return tx, paid, call

    def settle_batch(
        self, address: str, collected: list[tuple[Transaction, Prepaid, BatchCall]], env: BlockEnv
    ) -> list[Receipt]:
        """Settle every batched call to one contract at once, then charge each call.

        The settlement's metered gas is shared equally among its calls (the remainder to
        the first in canonical order), each paying at most its own gas limit. If the
        settlement reverts, every call reverts and its locked value returns to its sender.
        """
        ledger = self.ledger
        contract = self.contracts[address]
        calls = [call for _, _, call in collected]
        n = len(calls)
        cap = sum(tx.gas_limit - G.BATCH_CALL for tx, _, _ in collected)
        mark = ledger.mark()
        ledger.gas_used = 0
        ledger.gas_limit = max(cap, 0)
        status, error = "success", None
        results: list[object] = [None] * n
        try:
            for call in calls:
                for asset, amount in call.value.items():
                    ledger.use_gas(G.LEDGER_OP)
                    ledger.release(asset, call.sender, amount, address, holder=address)
            ctx = Context(
                self.device,
                ledger,
                address,
                address,
                address,
                NO_VALUE,
                env.number,
                env.timestamp,
            )
            out = contract.settle_batch(ctx, calls)
            if ledger.gas_used > ledger.gas_limit:  # an OutOfGas was caught by the contract
                raise OutOfGas(ledger.gas_used, ledger.gas_limit)
            if len(out) != n:
                raise Revert(f"settle_batch returned {len(out)} results for {n} calls")
            results = list(out)
        except OutOfGas as exc:
            ledger.rollback(mark)
            status, error = "out_of_gas", exc.reason
        except Revert as exc:
            ledger.rollback(mark)
            status, error = "reverted", exc.reason
        except Exception as exc:
            ledger.rollback(mark)
            status, error = "reverted", f"{type(exc).__name__}: {exc}"
        shared = ledger.gas_used if status == "success" else ledger.gas_limit
        ledger.gas_limit = UNMETERED
        if status != "success":
            for call in calls:
                for asset, amount in call.value.items():
                    ledger.unlock(asset, call.sender, amount, holder=address)
        events = tuple(ledger.events[mark[1] :])
        receipts = []
        share, remainder = divmod(shared, n)
        for i, (tx, paid, call) in enumerate(collected):
            used = min(G.BATCH_CALL + share + (1 if i < remainder else 0), tx.gas_limit)
            fee, tip = self._settle(tx.sender, tx.gas_limit, paid, used, env.base_fee)
            mine = tuple(e for e in events if e.data and dict(e.data).get("tx") == call.tx_hash)
            receipts.append(
                Receipt(call.tx_hash, status, used, fee, tip, results[i], mine or events, error)  # type: ignore[arg-type]
            )
        return receipts
