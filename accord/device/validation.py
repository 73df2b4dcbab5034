"""Validating a transaction and prepaying its gas: the executor's checks.

Validation changes nothing: a wrong nonce, a fee cap below the base fee, a priority fee
above the fee cap, a gas limit outside ``[intrinsic gas, block gas limit]`` (the
intrinsic gas is ``TX_BASE`` plus EIP-2028's calldata cost,
:func:`accord.device.gas.intrinsic_gas`), an unknown
target, method or contract class, or a sender that cannot prepay
``gas_limit × price`` (plus value in the fee asset) raises a
:class:`~accord.device.errors.Rejected` error naming the field. Prepaying bumps the
nonce and takes ``gas_limit × price`` from the sender, where
``price = base_fee + tip`` and ``tip = min(priority_fee, max_fee - base_fee)`` under
EIP-1559 (``max_fee`` under first price; :mod:`accord.device.fees`); settling refunds
the unused gas. :meth:`TxValidation.never_valid` says when a rejected transaction can
be dropped for good.

The block loop (:mod:`accord.device.block_loop`) inlines these checks on its hot path
and calls :meth:`TxValidation._reject` only to name a failure; the batch rule
(:mod:`accord.device.settlement`) calls :meth:`TxValidation._prepay` and
:meth:`TxValidation._settle` directly.
"""

from __future__ import annotations

import importlib
from typing import Any, NoReturn

from accord.device import gas as G
from accord.device.config import DEFAULT_CONTRACT_MODULES, is_dotted
from accord.device.contract import Contract
from accord.device.errors import (
    BadNonce,
    FeeTooLow,
    GasLimitTooLow,
    InsufficientFunds,
    Rejected,
    UnknownContract,
    UnknownMethod,
)
from accord.device.ledger import MISSING, Ledger
from accord.device.outcome import Prepaid
from accord.device.transaction import DEPLOY, Transaction


def allowlisted(module: str, allowlist: tuple[str, ...]) -> bool:
    """Whether ``module`` is one of ``allowlist``'s modules or inside one of its packages."""
    return any(module == allowed or module.startswith(allowed + ".") for allowed in allowlist)


def resolve_contract_class(path: str, allowlist: tuple[str, ...]) -> type[Contract]:
    """The contract class ``path`` (``"module:QualName"``) names, if the genesis
    allowlist (``Genesis.contract_modules``) admits it.

    Python contract code is trusted code (it runs with the interpreter's privileges),
    so which code may run is the genesis's decision, never a sender's: the path's
    syntax (dotted identifiers, no dunder parts) and its module's place in the
    allowlist are checked *before anything is imported*, so a sender cannot make the
    device import (and run the top level of) any other module. The class found must
    also be defined in an allowlisted module (not merely re-exported by one) and be a
    :class:`Contract` subclass. Raises :class:`UnknownMethod` (field ``method``).
    """
    if type(path) is not str:
        raise UnknownMethod(f"a deploy names its class as a string, got {type(path).__name__}")
    module_name, sep, qualname = path.partition(":")
    if not sep or not is_dotted(module_name) or not is_dotted(qualname):
        raise UnknownMethod(
            f"deploy target {path[:100]!r} is not of the form 'module:QualName' "
            "(dotted identifiers)"
        )
    if any(part.startswith("__") for part in qualname.split(".")):
        raise UnknownMethod(f"deploy target {path!r} names a dunder attribute")
    if not allowlisted(module_name, allowlist):
        raise UnknownMethod(
            f"module {module_name!r} is not in the genesis contract allowlist {list(allowlist)}"
        )
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise UnknownMethod(f"cannot import contract class {path!r}: {exc}") from None
    if not (isinstance(obj, type) and issubclass(obj, Contract)):
        raise UnknownMethod(f"{path!r} is not a Contract subclass")
    if not allowlisted(obj.__module__, allowlist):
        raise UnknownMethod(
            f"{path!r} is defined in {obj.__module__!r}, outside the genesis contract allowlist"
        )
    return obj


class TxValidation:
    """The executor's validation, prepayment and settlement of one transaction (a part
    of :class:`~accord.device.execution.Executor`, which sets these attributes)."""

    ledger: Ledger
    contracts: dict[str, Contract]
    fee_asset: str
    block_gas_limit: int
    _first_price: bool
    _classes: dict[str, type[Contract]]
    contract_modules: tuple[str, ...] = DEFAULT_CONTRACT_MODULES
    """The genesis contract allowlist (set by the device)."""

    def _reject(self, tx: Transaction, base_fee: int) -> None:
        """Raise the precise :class:`Rejected` error for an invalid ``tx`` (checked in
        the order the fields appear); return if the fields are valid."""
        sender, nonce, to, method, _, _, gas_limit, max_fee, priority_fee = tx[:9]
        expected = self.ledger.nonces.get(sender, 0)
        if nonce != expected:
            kind = "replayed" if nonce < expected else "out of order"
            raise BadNonce(f"{kind}: {sender} is at nonce {expected}, transaction has {nonce}")
        if max_fee < base_fee:
            raise FeeTooLow(f"max_fee {max_fee} is below the base fee {base_fee}")
        if priority_fee > max_fee:
            raise FeeTooLow(
                f"priority_fee {priority_fee} exceeds max_fee {max_fee}", field="priority_fee"
            )
        intrinsic = G.intrinsic_gas(method, tx[4], tx[5])
        if gas_limit < intrinsic or gas_limit > self.block_gas_limit:
            raise GasLimitTooLow(
                f"{gas_limit} is outside [intrinsic gas {intrinsic}, "
                f"block gas limit {self.block_gas_limit}]"
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

    def _prepay(self, tx: Transaction, base_fee: int) -> Prepaid:
        """Validate ``tx`` (raising :class:`Rejected`, nothing changed), then bump its
        nonce and take ``gas_limit × price`` from the sender. Returns ``(price, tip)``.

        This is the first half of what the block loop (:meth:`run`) inlines; the
        batch rule calls it to collect a call without running it.
        """
        self._reject(tx, base_fee)
        sender, max_fee, priority_fee = tx[0], tx[7], tx[8]
        if self._first_price:
            tip = max_fee
        else:
            tip = max_fee - base_fee
            if priority_fee < tip:
                tip = priority_fee
        price = base_fee + tip
        self._take(sender, tx[6] * price, tx[5])
        return price, tip

    def _take(self, sender: str, prepay: int, value: tuple[tuple[str, int], ...]) -> None:
        """Check that ``sender`` can prepay (plus value in the fee asset; raising
        :class:`Rejected`, nothing changed), then bump its nonce and take ``prepay``.

        The block loop (:meth:`run`) inlines this; keep the two in step.
        """
        ledger = self.ledger
        fee_asset = self.fee_asset
        need = prepay
        for asset, amount in value:
            if asset == fee_asset:
                need += amount
        key = (sender, fee_asset)
        balances = ledger.balances
        have = balances.get(key, 0)
        if have < need:
            self._cannot_pay(sender, need, have)
        # ledger.write inlined: journal, origin (for the state hash), canonical zero.
        nonces, journal = ledger.nonces, ledger.journal
        expected = nonces.get(sender, MISSING)
        journal.append((nonces, sender, expected))
        origin = ledger.nonces_origin
        if sender not in origin:
            origin[sender] = expected
        nonces[sender] = 1 if expected is MISSING else expected + 1
        if prepay:
            journal.append((balances, key, have))
            origin = ledger.balances_origin
            if key not in origin:
                origin[key] = have
            if have == prepay:
                del balances[key]
            else:
                balances[key] = have - prepay

    def _cannot_pay(self, sender: str, need: int, have: int) -> NoReturn:
        error = InsufficientFunds(sender, self.fee_asset, need, have)
        raise Rejected(str(error), field="sender") from error

    def _refund(self, sender: str, amount: int) -> None:
        """Give unused gas back to ``sender`` (ledger.credit inlined)."""
        ledger = self.ledger
        balances = ledger.balances
        key = (sender, self.fee_asset)
        have = balances.get(key, MISSING)
        ledger.journal.append((balances, key, have))
        origin = ledger.balances_origin
        if key not in origin:
            origin[key] = have
        balances[key] = amount if have is MISSING else have + amount

    def _settle(
        self, sender: str, gas_limit: int, paid: Prepaid, used: int, base_fee: int
    ) -> tuple[int, int]:
        """Refund unused gas. Returns the receipt's (fee, tip); the block's burn and
        tips follow from its receipts (:meth:`end_block`)."""
        price, tip = paid
        refund = (gas_limit - used) * price
        if refund:
            self._refund(sender, refund)
        return used * price, used * tip

    def never_valid(self, tx: Transaction) -> bool:
        """Whether ``tx`` can never be included, so the mempool may drop it.

        True when its nonce is already used; when its priority fee exceeds its max fee
        (the fields never change); when it names a method its contract does not expose
        or a class that cannot be deployed (code never changes); or when it can never
        pay: even at the lowest price its fee could ever reach (``max_fee`` under first
        price, ``min(priority_fee, max_fee)`` under EIP-1559, where the price is
        ``min(base_fee + priority_fee, max_fee)``), the prepayment exceeds the fee asset's
        whole supply, and that supply can never grow because its issuer is not a
        contract (only contracts mint after genesis). Also true when its gas limit is
        below its intrinsic gas or above the block gas limit, and for a transaction whose
        fields are not even comparable (a malformed one that escaped admission): this
        never raises.
        """
        try:
            return self._never_valid(tx)
        except Exception:
            return True

    def _never_valid(self, tx: Transaction) -> bool:
        sender, nonce, to, method, _, value, gas_limit, max_fee, priority_fee = tx[:9]
        ledger = self.ledger
        if nonce < ledger.nonces.get(sender, 0) or priority_fee > max_fee:
            return True
        if not G.intrinsic_gas(method, tx[4], value) <= gas_limit <= self.block_gas_limit:
            return True
        try:
            if to == DEPLOY:
                self._contract_class(method)
            elif method and to in self.contracts and method not in self.contracts[to]._public:
                return True
        except UnknownMethod:
            return True
        fee_asset = self.fee_asset
        lowest = max_fee if self._first_price else min(priority_fee, max_fee)
        need = gas_limit * lowest + sum(n for asset, n in value if asset == fee_asset)
        can_mint = ledger.issuers.get(fee_asset) in self.contracts
        return not can_mint and need > ledger.supply.get(fee_asset, 0)

    def _contract_class(self, path: str) -> type[Contract]:
        cls = self._classes.get(path)
        if cls is None:
            cls = self._classes[path] = resolve_contract_class(path, self.contract_modules)
        return cls
