"""The call :class:`Context`: what a running call sees, and the only authority it holds.

A contract acts only as itself. Its :class:`Context` carries the call's facts (``this``,
``sender``, ``origin``, ``value``, ``block_number``, ``timestamp``) and the ledger
operations a contract may perform, each acting *as* ``this`` (pay out its own funds,
release what it holds locked, mint what it issues) or, for ``lock``, on the immediate
caller's funds (calling is consent). Acting for anyone else takes that account's
signed authorization: an allowance or a permit, spent by :meth:`Context.transfer_from`.

How that is enforced (the capability discipline):

* **No handle.** A context holds its facts and nothing else: it is a ``tuple`` (its
  fields are read through properties), so it has no ``__dict__`` and no slot that could
  hold the ledger or the device. Its operations are functions of a per-device subclass
  made by :class:`ContextKit`, which reach the ledger through their closures; nothing a
  contract reaches by attribute access (instance attributes, slots, ``__dict__``,
  class attributes other than functions) leads to the ``Ledger``, the ``Device``, the
  mempool or a key. Contract storage is built the same way (:mod:`.storage`).
* **Facts cannot be rewritten.** A tuple's items cannot be reassigned, not even with
  ``object.__setattr__``: the ``sender`` an operation acts for is the one the device
  put there.
* **Only the running call's context acts.** A context built by contract code
  (``tuple.__new__(type(ctx), ...)`` with someone else as ``sender``) or kept from an
  earlier call is refused: every operation that moves funds, creates or mints, calls
  or logs first checks that its context is the device's running one (the kit's
  ``active`` slot, set by the device around every call, restored after a nested one),
  or one of the per-caller contexts the device made for the batch being settled.

**Python contract code is trusted code.** This discipline closes the API, not the
language: Python can reach any object through ``gc.get_objects()``, frame
introspection, or a function's ``__closure__``/``__globals__``. That is why the device
deploys only classes from modules its genesis allowlists (``docs/security.md``);
untrusted contract code belongs in a metered VM.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, Protocol

from accord.device import gas as G
from accord.device.encoding import Canonical, canonical, canonical_args
from accord.device.errors import Revert, UnknownMethod
from accord.device.permits import MAX_AMOUNT, check_permit_fields, permit_message

if TYPE_CHECKING:
    from accord.device.beacon import BeaconWindow
    from accord.device.ledger import Ledger

NO_VALUE: Mapping[str, int] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Event:
    """A log record emitted by a contract during a successful call."""

    address: str
    name: str
    data: tuple[tuple[str, Canonical], ...]

    def as_dict(self) -> dict[str, Canonical]:
        return dict(self.data)


class NotRunning(Revert):
    """A context that is not the running call's was used to act (forged or stale)."""


def _not_device_context(*_: object, **__: object) -> NoReturn:
    raise NotRunning("this Context was not made by a device: it has no ledger operations")


class Context(tuple[Any, ...]):
    """What a running call sees and may do: the call's facts and metered ledger operations.

    ``sender`` is the immediate caller (an account, or a contract for nested calls) and
    ``origin`` the account that signed the transaction. A context is immutable and made
    only by the device (module docstring); the methods below are the contract-facing
    API, implemented per device by :class:`ContextKit`. On a context not made by a
    device they raise :class:`NotRunning`.
    """

    __slots__ = ()

    if TYPE_CHECKING:
        this: str
        sender: str
        origin: str
        value: Mapping[str, int]
        block_number: int
        timestamp: int
        finalized: int
    else:
        this = property(itemgetter(0), doc="This contract's address.")
        sender = property(itemgetter(1), doc="The immediate caller.")
        origin = property(itemgetter(2), doc="The account that signed the transaction.")
        value = property(itemgetter(3), doc="Assets sent with the call (asset -> amount).")
        block_number = property(itemgetter(4), doc="The block being built.")
        timestamp = property(itemgetter(5), doc="The block's timestamp (ms).")
        finalized = property(
            _not_device_context,
            doc="The newest block final under this call's block: its parent's number "
            "less ``finality_depth`` (0 at least); a fork can replace no block up to it "
            "(docs/finality.md).",
        )

    def __repr__(self) -> str:
        return f"Context(this={self[0]!r}, sender={self[1]!r}, origin={self[2]!r})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Context is read-only: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Context is read-only: cannot delete {name!r}")

    # -- reads (metered as storage reads) ----------------------------------------------
    def balance(self, account: str, asset: str) -> int:
        """Free balance of any account (metered as a storage read)."""
        _not_device_context()

    def locked(self, owner: str, asset: str) -> int:
        """What this contract holds locked of ``owner``'s ``asset``."""
        _not_device_context()

    def supply(self, asset: str) -> int:
        """Total supply of ``asset`` (0 if it does not exist; metered as a read)."""
        _not_device_context()

    def asset_exists(self, asset: str) -> bool:
        """Whether ``asset`` has been created (metered as a read)."""
        _not_device_context()

    def allowance(self, owner: str, asset: str, spender: str = "") -> int:
        """What ``spender`` (default: this contract) may still take of ``owner``'s
        free ``asset`` with :meth:`transfer_from` (metered as a read)."""
        _not_device_context()

    def permit_nonce(self, owner: str) -> int:
        """The nonce ``owner``'s next permit must carry (metered as a read)."""
        _not_device_context()

    def beacon(self, height: int) -> bytes:
        """The device's 32-byte randomness beacon of block ``height``
        (:mod:`accord.device.beacon`; EIP-4399's ``PREVRANDAO``, for any block in the
        window): ``height`` must be an int, at most this call's block (a future block's
        beacon is not known yet: :class:`Revert`) and within the last
        :data:`~accord.device.beacon.BEACON_WINDOW` blocks. Costs ``BEACON`` gas."""
        _not_device_context()

    def included(self, tx_hash: bytes) -> int | None:
        """The block that included transaction ``tx_hash`` on the current chain, or
        ``None`` (never included, or included in a block a reorg undid); metered as a
        read. A transaction of the running block is not seen yet (the seal records it).
        On a device that records no inclusions (``DeviceConfig.record_inclusions``;
        on by default when ``finality_depth > 0``) it reverts; a hash that is not 32
        bytes reverts. A contract acts on it safely once the block is final:
        ``included(h) <= ctx.finalized`` (docs/finality.md)."""
        _not_device_context()

    def verify_signature(self, signer: str, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is ``signer``'s signature of ``message``
        (:meth:`accord.device.Account.sign_message`); costs ``VERIFY`` gas."""
        _not_device_context()

    # -- ledger operations, as this contract -------------------------------------------
    def transfer(self, asset: str, to: str, amount: int) -> None:
        """Pay ``amount`` of this contract's own free ``asset`` to ``to``."""
        _not_device_context()

    def lock(self, asset: str, amount: int) -> None:
        """Lock ``amount`` of the caller's free ``asset`` under this contract (escrow).

        Only the immediate caller's funds can be locked: calling the contract is the
        caller's consent. The funds stay the caller's, but only this contract can
        :meth:`unlock` or :meth:`release` them.
        """
        _not_device_context()

    def unlock(self, owner: str, asset: str, amount: int) -> None:
        """Return funds this contract locked to their owner's free balance."""
        _not_device_context()

    def release(self, owner: str, asset: str, amount: int, to: str) -> None:
        """Pay funds this contract locked of ``owner`` to ``to`` (settle or slash)."""
        _not_device_context()

    def create_asset(self, asset: str) -> None:
        """Create a new asset whose issuer is this contract."""
        _not_device_context()

    def mint(self, asset: str, to: str, amount: int) -> None:
        """Mint an asset this contract issues."""
        _not_device_context()

    def burn(self, asset: str, amount: int) -> None:
        """Burn ``amount`` of an asset this contract issues, from its own balance."""
        _not_device_context()

    # -- acting for another account: allowances and permits ---------------------------
    def approve(self, asset: str, amount: int) -> None:
        """Record that the immediate caller lets this contract take up to ``amount`` of
        its free ``asset`` later, with :meth:`transfer_from` (ERC-20 ``approve``: the
        amount replaces the previous allowance; 0 revokes it). The caller's consent is
        its call, as for :meth:`lock`."""
        _not_device_context()

    def permit(
        self,
        owner: str,
        spender: str,
        asset: str,
        amount: int,
        deadline: int,
        signature: bytes,
    ) -> None:
        """Set ``owner``'s allowance for ``spender`` from a signed permit (EIP-2612's
        ``permit``): ``signature`` is ``owner``'s :meth:`Account.sign_message` of
        :func:`accord.device.permits.permit_message` for this device's chain id and
        ``owner``'s current permit nonce, which it consumes. Refused (a ``Revert``) if
        the signature does not verify or the deadline block has passed. Anyone may
        relay a permit."""
        _not_device_context()

    def transfer_from(self, owner: str, asset: str, to: str, amount: int) -> None:
        """Move ``amount`` of ``owner``'s free ``asset`` to ``to``, spending the
        allowance ``owner`` gave this contract (ERC-20 ``transferFrom``)."""
        _not_device_context()

    # -- the rest --------------------------------------------------------------------
    def emit(self, name: str, **data: Any) -> None:
        """Log an event; it is kept only if the call succeeds. Costs ``EVENT`` plus
        ``EVENT_BYTE`` per byte of its encoded data (LOG's per-byte charge)."""
        _not_device_context()

    def use_gas(self, amount: int) -> None:
        """Charge extra gas for work the schedule does not meter (heavy math): a
        non-negative int (anything else raises ``ValueError``, a revert)."""
        _not_device_context()

    def call(
        self, address: str, method: str, *args: Any, value: Mapping[str, int] | None = None
    ) -> Any:
        """Call another contract's public method as this contract.

        If the callee reverts, its writes are undone and the :class:`Revert` propagates;
        catch it to continue.
        """
        _not_device_context()


def event_bytes(data: tuple[tuple[str, Canonical], ...]) -> int:
    """The size that an event's data is charged for: the canonical encoding's length
    (:func:`accord.device.storage.encoded_size`) of its ``(key, value)`` pairs."""
    from accord.device.storage import encoded_size

    return encoded_size(data)


class _Callee(Protocol):
    """A deployed contract as a call sees it (:class:`~accord.device.contract.Contract`,
    named structurally: ``contract.py`` imports this module)."""

    address: str
    _public: ClassVar[frozenset[str]]


def _entry_point(contract: _Callee, method: str) -> Callable[..., Any]:
    """``contract``'s public ``method``, bound; :class:`UnknownMethod` for any other name.
    The one lookup every call on the device goes through (``ctx.call``, the executor, the
    commitment resolver)."""
    if method not in contract._public:
        raise UnknownMethod(
            f"{type(contract).__name__} at {contract.address} has no public {method!r}"
        )
    return getattr(contract, method)  # type: ignore[no-any-return]


class ContextKit:
    """One device's contexts: its :class:`Context` subclass and the running-call slot.

    The subclass's operations are closures over the device's ledger (and the few
    device functions a call needs: contract lookup, signature check, chain id), so the
    context instances themselves hold no handle. The kit is held by the executor,
    which contract code cannot reach.

    ``active[0]`` is the running call's context; :meth:`enter` and :meth:`leave` set
    and restore it around a call (the block loop writes ``active[0]`` inline). During
    batch settlement, :meth:`open_batch` also admits the per-caller contexts the
    device made for the batch, by identity (``id``), while it holds them.
    """

    __slots__ = ("active", "cls", "live")

    def __init__(
        self,
        ledger: Ledger,
        contract_at: Callable[[str], Any],
        verify_message: Callable[[str, bytes, bytes], bool],
        chain_id: Callable[[], int],
        meter: Any = None,
        beacons: BeaconWindow | None = None,
        finality_depth: int = 0,
        inclusions: bool = False,
    ) -> None:
        """``meter``: the executor's :class:`~accord.device.meter.StepMeter`, which runs
        a callee from a metered module under the step meter (none: nothing is metered);
        ``beacons``: the device's beacon window, read by ``ctx.beacon`` (none: every
        read is refused); ``finality_depth``: what ``ctx.finalized`` subtracts;
        ``inclusions``: whether the device records inclusions (``ctx.included``)."""
        active: list[Context | None] = [None]
        depth = [0]  # nested ctx.call frames running (each decrements as it ends)
        live: set[int] = set()
        self.active = active
        self.live = live
        use_gas = ledger.use_gas
        new = tuple.__new__
        read, ledger_op = G.READ, G.LEDGER_OP

        def running(ctx: Context) -> None:
            # Called only when ``ctx is not active[0]``: a batch context, or refused.
            if id(ctx) not in live:
                raise NotRunning(
                    "this Context is not the running call's (kept from another call, or "
                    "built by contract code): a contract acts only through its own"
                )

        def balance(self: Context, account: str, asset: str) -> int:
            use_gas(read)
            return ledger.balance(account, asset)

        def locked(self: Context, owner: str, asset: str) -> int:
            use_gas(read)
            return ledger.locked_balance(owner, asset, self[0])

        def supply(self: Context, asset: str) -> int:
            use_gas(read)
            return ledger.supply.get(asset, 0)

        def asset_exists(self: Context, asset: str) -> bool:
            use_gas(read)
            return asset in ledger.issuers

        def allowance(self: Context, owner: str, asset: str, spender: str = "") -> int:
            use_gas(read)
            return ledger.allowance(owner, spender or self[0], asset)

        def permit_nonce(self: Context, owner: str) -> int:
            use_gas(read)
            return ledger.permit_nonces.get(owner, 0)

        def beacon(self: Context, height: int) -> bytes:
            use_gas(G.BEACON)
            if beacons is None:
                raise Revert("this device keeps no beacons")
            try:
                return beacons.read(height, self[4])
            except ValueError as exc:
                raise Revert(str(exc)) from None

        def included(self: Context, tx_hash: bytes) -> int | None:
            use_gas(read)
            if not inclusions:
                raise Revert(
                    "this device records no inclusions (DeviceConfig.record_inclusions is off)"
                )
            if type(tx_hash) is not bytes or len(tx_hash) != 32:
                raise Revert("ctx.included: a transaction hash is 32 bytes")
            return ledger.inclusions.get(tx_hash)

        def verify_signature(self: Context, signer: str, message: bytes, signature: bytes) -> bool:
            use_gas(G.VERIFY)
            return bool(verify_message(signer, message, signature))

        def transfer(self: Context, asset: str, to: str, amount: int) -> None:
            if self is not active[0]:
                running(self)
            use_gas(ledger_op)
            ledger.transfer(asset, self[0], to, amount)

        def lock(self: Context, asset: str, amount: int) -> None:
            if self is not active[0]:
                running(self)
            use_gas(ledger_op)
            ledger.lock(asset, self[1], amount, holder=self[0])

        def unlock(self: Context, owner: str, asset: str, amount: int) -> None:
            if self is not active[0]:
                running(self)
            use_gas(ledger_op)
            ledger.unlock(asset, owner, amount, holder=self[0])

        def release(self: Context, owner: str, asset: str, amount: int, to: str) -> None:
            if self is not active[0]:
                running(self)
            use_gas(ledger_op)
            ledger.release(asset, owner, amount, to, holder=self[0])

        def create_asset(self: Context, asset: str) -> None:
            if self is not active[0]:
                running(self)
            use_gas(G.WRITE_NEW)
            ledger.create_asset(asset, self[0])

        def mint(self: Context, asset: str, to: str, amount: int) -> None:
            if self is not active[0]:
                running(self)
            use_gas(ledger_op)
            ledger.mint(asset, to, amount, by=self[0])

        def burn(self: Context, asset: str, amount: int) -> None:
            if self is not active[0]:
                running(self)
            use_gas(ledger_op)
            ledger.burn(asset, self[0], amount, by=self[0])

        def approve(self: Context, asset: str, amount: int) -> None:
            if self is not active[0]:
                running(self)
            use_gas(G.WRITE_NEW)
            ledger.approve(self[1], self[0], asset, amount)

        def permit(
            self: Context,
            owner: str,
            spender: str,
            asset: str,
            amount: int,
            deadline: int,
            signature: bytes,
        ) -> None:
            if self is not active[0]:
                running(self)
            use_gas(G.VERIFY + G.WRITE_NEW + G.WRITE)
            check_permit_fields(owner, spender, asset, amount, deadline, signature)
            if deadline < self[4]:
                raise Revert(f"permit expired: deadline block {deadline} < block {self[4]}")
            nonce = ledger.permit_nonces.get(owner, 0)
            message = permit_message(owner, spender, asset, amount, nonce, deadline, chain_id())
            if not verify_message(owner, message, signature):
                raise Revert(
                    f"permit signature is not {owner!r}'s for this spender, asset, amount, "
                    f"nonce {nonce}, deadline and chain"
                )
            ledger.use_permit_nonce(owner, nonce)
            ledger.approve(owner, spender, asset, amount)

        def transfer_from(self: Context, owner: str, asset: str, to: str, amount: int) -> None:
            if self is not active[0]:
                running(self)
            use_gas(ledger_op + G.WRITE)
            ledger.transfer_from(owner, self[0], asset, to, amount)

        def emit(self: Context, name: str, **data: Any) -> None:
            if self is not active[0]:
                running(self)
            fields = tuple(
                (k, canonical(v, field=f"event {name}.{k}")) for k, v in sorted(data.items())
            )
            use_gas(G.EVENT + G.EVENT_BYTE * (len(name) + event_bytes(fields)))
            ledger.events.append(Event(self[0], name, fields))

        def use_gas_(self: Context, amount: int) -> None:
            # An int (the meter's counts are ints, compiled or not) and never negative
            # (that would give gas back).
            if type(amount) is not int or amount < 0:
                raise ValueError(f"use_gas takes a non-negative int, not {amount!r:.60}")
            use_gas(amount)

        def call(
            self: Context,
            address: str,
            method: str,
            *args: Any,
            value: Mapping[str, int] | None = None,
        ) -> Any:
            # Calls nest at most MAX_CALL_DEPTH deep (the EVM's is 1024, Yellow Paper
            # §9.4; gas.py says why this one is lower): one more reverts. A callee from
            # a metered module runs under the step meter (accord.device.meter).
            if self is not active[0]:
                running(self)
            use_gas(G.CALL)
            if depth[0] >= G.MAX_CALL_DEPTH:
                raise Revert(f"call depth: more than {G.MAX_CALL_DEPTH} nested calls")
            target = contract_at(address)
            fn = _entry_point(target, method)
            mark = ledger.mark()
            previous = active[0]
            this = self[0]
            depth[0] += 1
            try:
                sent = value or NO_VALUE
                for asset, amount in sorted(sent.items()):
                    use_gas(ledger_op)
                    ledger.transfer(asset, this, address, amount)
                sub = new(
                    cls,
                    (
                        address,
                        this,
                        self[2],
                        MappingProxyType(dict(sent)) if sent else NO_VALUE,
                        self[4],
                        self[5],
                    ),
                )
                active[0] = sub
                if meter is not None and meter.prefixes and meter.is_metered(type(target)):
                    return meter.call(fn, sub, *canonical_args(args))
                return fn(sub, *canonical_args(args))
            except BaseException:
                ledger.rollback(mark)
                raise
            finally:
                active[0] = previous
                depth[0] -= 1

        namespace: dict[str, Any] = {
            "__slots__": (),
            "__module__": Context.__module__,
            "__qualname__": "Context",
            "__doc__": Context.__doc__,
            "balance": balance,
            "locked": locked,
            "supply": supply,
            "asset_exists": asset_exists,
            "allowance": allowance,
            "permit_nonce": permit_nonce,
            "beacon": beacon,
            "finalized": property(lambda ctx: max(0, ctx[4] - 1 - finality_depth)),
            "included": included,
            "verify_signature": verify_signature,
            "transfer": transfer,
            "lock": lock,
            "unlock": unlock,
            "release": release,
            "create_asset": create_asset,
            "mint": mint,
            "burn": burn,
            "approve": approve,
            "permit": permit,
            "transfer_from": transfer_from,
            "emit": emit,
            "use_gas": use_gas_,
            "call": call,
        }
        cls: type[Context] = type("Context", (Context,), namespace)
        self.cls = cls

    def make(
        self,
        this: str,
        sender: str,
        origin: str,
        value: Mapping[str, int],
        block_number: int,
        timestamp: int,
    ) -> Context:
        """A context of this device (not yet running: see :meth:`enter`)."""
        return tuple.__new__(self.cls, (this, sender, origin, value, block_number, timestamp))

    def enter(self, ctx: Context) -> Context | None:
        """Make ``ctx`` the running call's context; returns the previous one."""
        previous = self.active[0]
        self.active[0] = ctx
        return previous

    def leave(self, previous: Context | None) -> None:
        """Restore the running context :meth:`enter` returned."""
        self.active[0] = previous

    def open_batch(self, contexts: list[Context]) -> None:
        """Admit a batch's per-caller contexts while it settles (hold ``contexts``
        until :meth:`close_batch`, so that their ids stay theirs)."""
        self.live.update(map(id, contexts))

    def close_batch(self) -> None:
        self.live.clear()


__all__ = [
    "MAX_AMOUNT",
    "NO_VALUE",
    "Context",
    "ContextKit",
    "Event",
    "NotRunning",
]
