"""The ledger: balances, locks (escrow), assets and nonces, with a write journal.

All mutable device state lives in plain dicts owned by :class:`Ledger`; every write goes
through :meth:`Ledger.write`, which records the old value in a journal. Undoing a call,
a transaction or a whole bundle is replaying the journal backwards to a mark
(:meth:`Ledger.rollback`). This is the EVM's journaling scheme; it makes a revert cost
what the call wrote, not what the state holds.

State is canonical: a zero balance or lock is *absent*, never stored as ``0``, so two
equal states serialise, and hash, identically however they were reached.

Every table that is part of the state hash is *tracked* (:meth:`Ledger.track`): beside
the journal, which is cleared after every transaction, each tracked table has an
``origin`` dict that remembers, for every key written since the last state hash, the
value it held before its first write. That is all :mod:`accord.device.state` needs to
update the state hash incrementally: the keys a block touched and their old values. A
write that is rolled back leaves its origin behind, which is harmless: the key's old
and new values are then equal.

Money is exact: every amount is a Python ``int`` in base units. Assets are created with
an issuer; only the issuer mints or burns. ``supply[asset]`` is the sum of all free and
locked holdings of the asset: the conservation invariant that
:mod:`accord.device.checks` verifies.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from accord.device import gas as G
from accord.device.errors import (
    InsufficientFunds,
    NotHolder,
    NotIssuer,
    OutOfGas,
    UnknownAsset,
)
from accord.device.missing import MISSING as MISSING  # (re-exported: its home before)
from accord.device.permits import NotAllowed, check_amount, check_name

if TYPE_CHECKING:
    from accord.device.fast_storage import Meter


JournalEntry = tuple[dict[Any, Any], Any, Any]
Label = tuple[str, ...]
"""How a tracked table is named in the state's canonical entries: ``("balances",)``,
``("var", address)``, ``("map", address, name)``..."""


class Tracked:
    """A table that is part of the state, with the origins of its keys written since the
    state hash last folded them in (see :mod:`accord.device.state`)."""

    __slots__ = ("data", "label", "origin")

    def __init__(self, label: Label, data: dict[Any, Any]) -> None:
        self.label = label
        self.data = data
        self.origin: dict[Any, Any] = {}


class MeterToken:
    """Keeps a ledger's gas meter in :mod:`accord.device.fast_storage`'s table while
    the ledger or any of its storage maps lives (each holds it; it holds nothing)."""

    __slots__ = ("__weakref__",)


class Ledger:
    """Balances, locks, assets, nonces and contract storage dicts, plus the journal and
    the gas meter of the call being executed (:attr:`meter`)."""

    __slots__ = (
        "allowances",
        "balances",
        "balances_origin",
        "events",
        "inclusions",
        "inclusions_origin",
        "issuers",
        "journal",
        "locked",
        "meter",
        "meter_token",
        "nonces",
        "nonces_origin",
        "permit_nonces",
        "supply",
        "tracked",
    )

    def __init__(self) -> None:
        self.balances: dict[tuple[str, str], int] = {}
        self.locked: dict[tuple[str, str, str], int] = {}
        self.supply: dict[str, int] = {}
        self.issuers: dict[str, str] = {}
        self.nonces: dict[str, int] = {}
        self.journal: list[JournalEntry] = []
        self.events: list[Any] = []
        from accord.device.fast_storage import Meter, release  # (it imports this module)

        self.meter: Meter = Meter(self.journal)
        """The running call's gas (``used``, ``limit``) and this journal, which contract
        storage charges and writes (:mod:`accord.device.fast_storage`)."""
        self.meter_token = MeterToken()
        """Held by this ledger and each of its storage maps: the meter stays in
        :mod:`~accord.device.fast_storage`'s table while any of them lives."""
        weakref.finalize(self.meter_token, release, self.meter.key)
        self.tracked: dict[int, Tracked] = {}
        """Tables in the state hash, by ``id`` of their dict (each holds a reference)."""
        self.balances_origin = self.track(("balances",), self.balances)
        self.track(("locked",), self.locked)
        self.track(("supply",), self.supply)
        self.track(("issuers",), self.issuers)
        self.nonces_origin = self.track(("nonces",), self.nonces)
        self.allowances: dict[tuple[str, str, str], int] = {}
        """``(owner, spender, asset) -> amount`` that ``spender`` may take of ``owner``'s
        free ``asset`` (:mod:`accord.device.permits`)."""
        self.permit_nonces: dict[str, int] = {}
        """The nonce of each owner's next permit (absent: 0)."""
        self.track(("allowances",), self.allowances)
        self.track(("permit_nonces",), self.permit_nonces)
        self.inclusions: dict[bytes, int] = {}
        """``tx hash -> block number`` of each included transaction, when the device
        records inclusions (``DeviceConfig.record_inclusions``; written at the seal:
        :meth:`accord.device.production.BlockProduction._seal`). Empty otherwise, so it
        adds nothing to the state hash."""
        self.inclusions_origin = self.track(("inclusions",), self.inclusions)

    @property
    def gas_used(self) -> int:
        """Gas used by the running call (:attr:`meter`'s ``used``)."""
        return self.meter.used

    @gas_used.setter
    def gas_used(self, used: int) -> None:
        self.meter.used = used

    @property
    def gas_limit(self) -> int:
        """The running call's gas limit (:attr:`meter`'s ``limit``)."""
        return self.meter.limit

    @gas_limit.setter
    def gas_limit(self, limit: int) -> None:
        self.meter.limit = limit

    def track(self, label: Label, data: dict[Any, Any]) -> dict[Any, Any]:
        """Make ``data`` part of the state under ``label``; returns its origin dict.

        Whoever writes to ``data`` outside :meth:`write` must record the first old value
        of each key in the origin dict (``if key not in origin: origin[key] = old``).
        """
        tracked = self.tracked.get(id(data))
        if tracked is None:
            tracked = self.tracked[id(data)] = Tracked(label, data)
        return tracked.origin

    # -- journal -----------------------------------------------------------------------
    def write(self, table: dict[Any, Any], key: Any, value: Any) -> None:
        """Set ``table[key] = value`` (deleting it when falsy-zero), journaled."""
        old = table.get(key, MISSING)
        self.journal.append((table, key, old))
        tracked = self.tracked.get(id(table))
        if tracked is not None and key not in tracked.origin:
            tracked.origin[key] = old
        if type(value) is int and value == 0:
            table.pop(key, None)
        else:
            table[key] = value

    def mark(self) -> tuple[int, int]:
        """A point to roll back to: (journal length, events length)."""
        return len(self.journal), len(self.events)

    def rollback(self, mark: tuple[int, int]) -> None:
        """Undo every write after ``mark``, newest first, and drop its events."""
        journal = self.journal
        stop = mark[0]
        while len(journal) > stop:
            table, key, old = journal.pop()
            if old is MISSING:
                table.pop(key, None)
            else:
                table[key] = old
        del self.events[mark[1] :]

    def commit(self) -> None:
        """Forget the journal: what is written can no longer be undone."""
        self.journal.clear()

    # -- gas ---------------------------------------------------------------------------
    def use_gas(self, amount: int) -> None:
        """Charge ``amount`` gas to the running call; raises :class:`OutOfGas` past its limit."""
        meter = self.meter
        used = meter.used + amount
        meter.used = used
        if used > meter.limit:
            raise OutOfGas(used, meter.limit)

    # -- reads -------------------------------------------------------------------------
    def balance(self, account: str, asset: str) -> int:
        """Free (unlocked) balance."""
        return self.balances.get((account, asset), 0)

    def locked_balance(self, owner: str, asset: str, holder: str) -> int:
        """What ``holder`` has locked of ``owner``'s ``asset``."""
        return self.locked.get((owner, asset, holder), 0)

    # -- asset lifecycle ---------------------------------------------------------------
    def create_asset(self, asset: str, issuer: str) -> None:
        if not asset or not isinstance(asset, str):
            raise UnknownAsset(f"asset symbol must be a non-empty string, got {asset!r}")
        if asset in self.issuers:
            raise NotIssuer(f"asset {asset!r} already exists (issuer {self.issuers[asset]})")
        self.write(self.issuers, asset, issuer)

    def _issuer_check(self, asset: str, by: str) -> None:
        issuer = self.issuers.get(asset)
        if issuer is None:
            raise UnknownAsset(f"asset {asset!r} does not exist")
        if issuer != by:
            raise NotIssuer(f"{by} may not mint or burn {asset!r}: its issuer is {issuer}")

    def mint(self, asset: str, to: str, amount: int, *, by: str) -> None:
        """Create ``amount`` of ``asset`` in ``to``'s balance; only the issuer may."""
        _check_amount(amount)
        self._issuer_check(asset, by)
        self.write(self.supply, asset, self.supply.get(asset, 0) + amount)
        key = (to, asset)
        self.write(self.balances, key, self.balances.get(key, 0) + amount)

    def burn(self, asset: str, owner: str, amount: int, *, by: str) -> None:
        """Destroy ``amount`` of ``owner``'s free ``asset``; only the issuer may."""
        _check_amount(amount)
        self._issuer_check(asset, by)
        self._debit(owner, asset, amount)
        self.write(self.supply, asset, self.supply[asset] - amount)

    def burn_fee(self, asset: str, amount: int) -> None:
        """Burn an EIP-1559 base fee that was already taken from its payer's balance."""
        if amount:
            self.write(self.supply, asset, self.supply[asset] - amount)

    # -- moves -------------------------------------------------------------------------
    def _debit(self, account: str, asset: str, amount: int) -> None:
        key = (account, asset)
        have = self.balances.get(key, 0)
        if have < amount:
            raise InsufficientFunds(account, asset, amount, have)
        self.write(self.balances, key, have - amount)

    def credit(self, account: str, asset: str, amount: int) -> None:
        """Add to a free balance (the caller has taken the amount from somewhere)."""
        if amount:
            key = (account, asset)
            self.write(self.balances, key, self.balances.get(key, 0) + amount)

    def debit(self, account: str, asset: str, amount: int) -> None:
        """Take from a free balance (the caller puts the amount somewhere)."""
        if amount:
            self._debit(account, asset, amount)

    def transfer(self, asset: str, source: str, to: str, amount: int) -> None:
        """Move ``amount`` of free ``asset`` from ``source`` to ``to``."""
        _check_amount(amount)
        if asset not in self.issuers:
            raise UnknownAsset(f"asset {asset!r} does not exist")
        if amount:
            self._debit(source, asset, amount)
            key = (to, asset)
            self.write(self.balances, key, self.balances.get(key, 0) + amount)

    def lock(self, asset: str, owner: str, amount: int, *, holder: str) -> None:
        """Move ``amount`` of ``owner``'s free ``asset`` into a lock held by ``holder``."""
        _check_amount(amount)
        self._debit(owner, asset, amount)
        key = (owner, asset, holder)
        self.write(self.locked, key, self.locked.get(key, 0) + amount)

    def _unlock(self, asset: str, owner: str, amount: int, holder: str) -> None:
        _check_amount(amount)
        key = (owner, asset, holder)
        have = self.locked.get(key, 0)
        if have < amount:
            raise NotHolder(
                f"{holder} holds {have} {asset} locked of {owner}, cannot release {amount}"
            )
        self.write(self.locked, key, have - amount)

    def unlock(self, asset: str, owner: str, amount: int, *, holder: str) -> None:
        """Return locked funds to their owner's free balance; only the holder may."""
        self._unlock(asset, owner, amount, holder)
        self.credit(owner, asset, amount)

    def release(self, asset: str, owner: str, amount: int, to: str, *, holder: str) -> None:
        """Pay locked funds of ``owner`` to ``to`` (settle or slash); only the holder may."""
        self._unlock(asset, owner, amount, holder)
        self.credit(to, asset, amount)

    # -- allowances (acting for another account) ---------------------------------------
    def allowance(self, owner: str, spender: str, asset: str) -> int:
        """What ``spender`` may still take of ``owner``'s free ``asset``."""
        return self.allowances.get((owner, spender, asset), 0)

    def approve(self, owner: str, spender: str, asset: str, amount: int) -> None:
        """Set ``owner``'s allowance for ``spender`` in ``asset`` to ``amount`` (ERC-20
        ``approve`` semantics: it replaces the previous amount; 0 removes it)."""
        check_name("owner", owner)
        check_name("spender", spender)
        check_name("asset", asset)
        check_amount("amount", amount)
        if asset not in self.issuers:
            raise UnknownAsset(f"asset {asset!r} does not exist")
        self.write(self.allowances, (owner, spender, asset), amount)

    def transfer_from(self, owner: str, spender: str, asset: str, to: str, amount: int) -> None:
        """Move ``amount`` of ``owner``'s free ``asset`` to ``to`` for ``spender``,
        spending that much of ``owner``'s allowance for ``spender`` (refused, changing
        nothing, if the allowance or the balance is short)."""
        check_name("owner", owner)
        check_name("asset", asset)
        check_name("to", to)
        check_amount("amount", amount)
        key = (owner, spender, asset)
        allowed = self.allowances.get(key, 0)
        if allowed < amount:
            raise NotAllowed(
                f"{spender} may take {allowed} {asset} of {owner}, not {amount}: "
                "acting for another account takes its allowance or permit"
            )
        self.transfer(asset, owner, to, amount)  # checks the asset and the balance first
        self.write(self.allowances, key, allowed - amount)

    def use_permit_nonce(self, owner: str, nonce: int) -> None:
        """Consume ``owner``'s permit nonce ``nonce`` (which must be the current one)."""
        current = self.permit_nonces.get(owner, 0)
        if nonce != current:
            raise NotAllowed(f"permit nonce {nonce} of {owner} is not the current {current}")
        self.write(self.permit_nonces, owner, current + 1)

    # -- metered ops used by contracts ----------------------------------------------
    def charge_ledger_op(self) -> None:
        self.use_gas(G.LEDGER_OP)


def _check_amount(amount: int) -> None:
    if type(amount) is not int:
        raise TypeError(f"amount must be an int in base units, got {type(amount).__name__}")
    if amount < 0:
        raise ValueError(f"amount must be non-negative, got {amount}")
