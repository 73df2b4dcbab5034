"""Contracts: the base class, the ``@public`` marker and the call :class:`Context`.

A contract is a Python class whose state is declared with :class:`~accord.device.storage.Var`
and :class:`~accord.device.storage.Map`, and whose entry points are methods marked
``@public``. Deploying it gives an address; transactions call its public methods::

    class Vault(Contract):
        balances = Map(0)

        @public
        def move(self, ctx: Context, a: str, b: str, amount: int) -> None:
            if self.balances[a] < amount:
                raise Revert("insufficient balance")
            self.balances[a] -= amount
            self.balances[b] += amount

Every public method takes the :class:`Context` first: who called, what value came with
the call, the block, and the ledger operations a contract may perform. Raising
:class:`~accord.device.errors.Revert` undoes everything the call did.

A method marked ``@public(batch=True)`` may also be *settled in batch* under the
frequent-batch-auction ordering rule: the device collects every such call of a block and
hands them to :meth:`Contract.settle_batch` together, so that the contract can clear them
at one uniform price and position in the block carries no advantage.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import FunctionType, MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, Self, TypeVar, overload

from accord.device import gas as G
from accord.device.encoding import Canonical, canonical, canonical_args
from accord.device.errors import Revert, UnknownMethod
from accord.device.storage import Map, Var

if TYPE_CHECKING:
    from accord.device.ledger import Ledger

F = TypeVar("F", bound=Callable[..., Any])

NO_VALUE: Mapping[str, int] = MappingProxyType({})


@overload
def public(fn: F) -> F: ...
@overload
def public(*, batch: bool = False) -> Callable[[F], F]: ...
def public(fn: F | None = None, *, batch: bool = False) -> F | Callable[[F], F]:
    """Mark a method as an entry point that transactions may call."""

    def mark(f: F) -> F:
        f.__accord_public__ = True  # type: ignore[attr-defined]
        f.__accord_batch__ = batch  # type: ignore[attr-defined]
        return f

    return mark(fn) if fn is not None else mark


@dataclass(frozen=True, slots=True)
class Event:
    """A log record emitted by a contract during a successful call."""

    address: str
    name: str
    data: tuple[tuple[str, Canonical], ...]

    def as_dict(self) -> dict[str, Canonical]:
        return dict(self.data)


class Contract:
    """Base of every device contract.

    Subclasses declare storage with ``Var``/``Map``, a constructor ``setup(ctx, *args)``
    run by the deploying transaction, and ``@public`` entry points. Instance attributes
    other than declared storage are refused: state outside the journal would escape
    reverts, hashing and replay.
    """

    _maps: ClassVar[dict[str, Map[Any]]] = {}
    _var_names: ClassVar[frozenset[str]] = frozenset()
    _public: ClassVar[frozenset[str]] = frozenset()
    _entries: ClassVar[dict[str, Callable[..., Any]]] = {}
    """Public method name -> a function called as ``f(contract, ctx, *args)``: the
    method's own function when it is a plain one (no bound method is built per call)."""
    _batch: ClassVar[frozenset[str]] = frozenset()
    _declared_maps: ClassVar[dict[str, Map[Any]]] = {}
    """The Maps declared in this class's own body (taken off the class)."""

    address: str
    _ledger: Ledger
    _vars: dict[str, Any]
    _vars_origin: dict[str, Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A class's Maps are collected and taken off the class: a deployed instance
        # holds each BoundMap in its own attributes, and with no class attribute of the
        # same name CPython's specialising interpreter reads it as a plain instance
        # attribute (a non-data descriptor on the class prevents that, and contract
        # code reads its Maps on every storage access).
        declared = {name: attr for name, attr in vars(cls).items() if isinstance(attr, Map)}
        for name in declared:
            delattr(cls, name)
        cls._declared_maps = declared
        maps: dict[str, Map[Any]] = {}
        var_names: set[str] = set()
        public_names: set[str] = set()
        batch_names: set[str] = set()
        for klass in reversed(cls.__mro__):
            maps.update(vars(klass).get("_declared_maps", {}))
            for name, attr in vars(klass).items():
                if isinstance(attr, Var):
                    var_names.add(name)
                elif callable(attr) and getattr(attr, "__accord_public__", False):
                    public_names.add(name)
                    if getattr(attr, "__accord_batch__", False):
                        batch_names.add(name)
        cls._maps = maps
        cls._var_names = frozenset(var_names)
        cls._public = frozenset(public_names)
        cls._batch = frozenset(batch_names)
        cls._entries = {name: _entry_function(cls, name) for name in public_names}

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        """An instance whose Maps refuse use until :meth:`_bind` deploys it."""
        self = super().__new__(cls)
        for name in cls._maps:
            object.__setattr__(self, name, _UnboundMap(cls.__name__, name))
        return self

    @classmethod
    def class_path(cls) -> str:
        """``module:QualName``: how the event log names the class, for replay."""
        return f"{cls.__module__}:{cls.__qualname__}"

    def _bind(self, address: str, ledger: Ledger) -> None:
        """Give the instance its address and empty storage, tracked by the ledger."""
        object.__setattr__(self, "address", address)
        object.__setattr__(self, "_ledger", ledger)
        slots: dict[str, Any] = {}
        object.__setattr__(self, "_vars", slots)
        object.__setattr__(self, "_vars_origin", ledger.track(("var", address), slots))
        for name, spec in self._maps.items():
            object.__setattr__(self, name, spec.bind(ledger, address))

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._var_names:
            object.__setattr__(self, name, value)
            return
        raise AttributeError(
            f"{type(self).__name__}.{name}: contract state must be declared as Var or Map"
        )

    def setup(self, ctx: Context, *args: Any) -> None:
        """Constructor, run inside the deploying transaction. Override to initialise."""
        if args:
            raise Revert(f"{type(self).__name__} takes no constructor arguments")

    def settle_batch(self, ctx: Context, calls: Sequence[BatchCall]) -> list[Canonical]:
        """Settle every batched call of a block together (batch ordering rule only).

        The default settles them one by one in the given (canonical) order; contracts that
        can clear at uniform prices override it. Return one result per call; raise
        ``Revert`` to fail the whole batch.
        """
        results: list[Canonical] = []
        for call in calls:
            sub = ctx.as_caller(call.sender, call.value)
            results.append(getattr(self, call.method)(sub, *call.args))
        return results

    def storage(self) -> dict[str, Any]:
        """The contract's state as plain data, for inspection, hashing and tests."""
        out: dict[str, Any] = dict(sorted(self._vars.items()))
        for name in sorted(self._maps):
            bound = self.__dict__[name]
            out[name] = dict(bound._data)
        return out


class _UnboundMap:
    """Stands for a Map of a contract that is not deployed yet: any use raises."""

    __slots__ = ("_where",)

    def __init__(self, contract: str, name: str) -> None:
        self._where = f"storage {name!r} of {contract}"

    def __getattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"{self._where} is used before the contract is deployed")

    def __getitem__(self, key: object) -> NoReturn:
        raise AttributeError(f"{self._where} is used before the contract is deployed")

    def __setitem__(self, key: object, value: object) -> NoReturn:
        raise AttributeError(f"{self._where} is used before the contract is deployed")

    def __contains__(self, key: object) -> NoReturn:
        raise AttributeError(f"{self._where} is used before the contract is deployed")


@dataclass(frozen=True, slots=True)
class BatchCall:
    """One call collected for batch settlement."""

    tx_hash: bytes
    sender: str
    method: str
    args: tuple[Canonical, ...]
    value: Mapping[str, int]


class Context:
    """What a running call sees and may do: the call's facts and metered ledger operations.

    ``sender`` is the immediate caller (an account, or a contract for nested calls) and
    ``origin`` the account that signed the transaction.

    A context is read-only: setting any attribute raises ``AttributeError`` (a revert,
    inside a call). Its facts are what the device's authority rests on: ``lock`` takes
    the *sender's* funds because calling is consent, so a contract that could rewrite
    ``ctx.sender`` could lock and release anyone's funds. Read-only contexts are also
    what lets the executor share one among a block's calls from one sender to one
    contract (their facts are equal).
    """

    __slots__ = (
        "_device",
        "_ledger",
        "block_number",
        "origin",
        "sender",
        "this",
        "timestamp",
        "value",
    )

    _device: Any
    _ledger: Ledger
    this: str
    sender: str
    origin: str
    value: Mapping[str, int]
    block_number: int
    timestamp: int

    def __new__(
        cls,
        device: Any,
        ledger: Ledger,
        this: str,
        sender: str,
        origin: str,
        value: Mapping[str, int],
        block_number: int,
        timestamp: int,
    ) -> Context:
        ctx = _new_object(_WritableContext)
        ctx._device = device
        ctx._ledger = ledger
        ctx.this = this
        ctx.sender = sender
        ctx.origin = origin
        ctx.value = value
        ctx.block_number = block_number
        ctx.timestamp = timestamp
        ctx.__class__ = cls  # type: ignore[assignment]  # read-only from here on
        return ctx

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Context is read-only: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Context is read-only: cannot delete {name!r}")

    def as_caller(self, sender: str, value: Mapping[str, int]) -> Context:
        """The same call facts with another immediate caller (used by batch settlement)."""
        return Context(
            self._device,
            self._ledger,
            self.this,
            sender,
            sender,
            value,
            self.block_number,
            self.timestamp,
        )

    # -- reads -------------------------------------------------------------------------
    def balance(self, account: str, asset: str) -> int:
        """Free balance of any account (metered as a storage read)."""
        self._ledger.use_gas(G.READ)
        return self._ledger.balance(account, asset)

    def locked(self, owner: str, asset: str) -> int:
        """What this contract holds locked of ``owner``'s ``asset``."""
        self._ledger.use_gas(G.READ)
        return self._ledger.locked_balance(owner, asset, self.this)

    def supply(self, asset: str) -> int:
        """Total supply of ``asset`` (0 if it does not exist; metered as a read)."""
        self._ledger.use_gas(G.READ)
        return self._ledger.supply.get(asset, 0)

    def asset_exists(self, asset: str) -> bool:
        """Whether ``asset`` has been created (metered as a read)."""
        self._ledger.use_gas(G.READ)
        return asset in self._ledger.issuers

    def verify_signature(self, signer: str, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is ``signer``'s signature of ``message``
        (:meth:`accord.device.Account.sign_message`); costs ``VERIFY`` gas."""
        self._ledger.use_gas(G.VERIFY)
        return bool(self._device.verify_message(signer, message, signature))

    # -- ledger operations -------------------------------------------------------------
    def transfer(self, asset: str, to: str, amount: int) -> None:
        """Pay ``amount`` of this contract's own free ``asset`` to ``to``."""
        self._ledger.use_gas(G.LEDGER_OP)
        self._ledger.transfer(asset, self.this, to, amount)

    def lock(self, asset: str, amount: int) -> None:
        """Lock ``amount`` of the caller's free ``asset`` under this contract (escrow).

        Only the immediate caller's funds can be locked: calling the contract is the
        caller's consent. The funds stay the caller's, but only this contract can
        :meth:`unlock` or :meth:`release` them.
        """
        self._ledger.use_gas(G.LEDGER_OP)
        self._ledger.lock(asset, self.sender, amount, holder=self.this)

    def unlock(self, owner: str, asset: str, amount: int) -> None:
        """Return funds this contract locked to their owner's free balance."""
        self._ledger.use_gas(G.LEDGER_OP)
        self._ledger.unlock(asset, owner, amount, holder=self.this)

    def release(self, owner: str, asset: str, amount: int, to: str) -> None:
        """Pay funds this contract locked of ``owner`` to ``to`` (settle or slash)."""
        self._ledger.use_gas(G.LEDGER_OP)
        self._ledger.release(asset, owner, amount, to, holder=self.this)

    def create_asset(self, asset: str) -> None:
        """Create a new asset whose issuer is this contract."""
        self._ledger.use_gas(G.WRITE_NEW)
        self._ledger.create_asset(asset, self.this)

    def mint(self, asset: str, to: str, amount: int) -> None:
        """Mint an asset this contract issues."""
        self._ledger.use_gas(G.LEDGER_OP)
        self._ledger.mint(asset, to, amount, by=self.this)

    def burn(self, asset: str, amount: int) -> None:
        """Burn ``amount`` of an asset this contract issues, from its own balance."""
        self._ledger.use_gas(G.LEDGER_OP)
        self._ledger.burn(asset, self.this, amount, by=self.this)

    def emit(self, name: str, **data: Any) -> None:
        """Log an event; it is kept only if the call succeeds."""
        self._ledger.use_gas(G.EVENT)
        fields = tuple(
            (k, canonical(v, field=f"event {name}.{k}")) for k, v in sorted(data.items())
        )
        self._ledger.events.append(Event(self.this, name, fields))

    def use_gas(self, amount: int) -> None:
        """Charge extra gas for work the schedule does not meter (heavy math)."""
        self._ledger.use_gas(amount)

    def call(
        self, address: str, method: str, *args: Any, value: Mapping[str, int] | None = None
    ) -> Any:
        """Call another contract's public method as this contract.

        If the callee reverts, its writes are undone and the :class:`Revert` propagates;
        catch it to continue.
        """
        ledger = self._ledger
        ledger.use_gas(G.CALL)
        target = self._device.contract_at(address)
        fn = _entry_point(target, method)
        mark = ledger.mark()
        try:
            sent = value or NO_VALUE
            for asset, amount in sorted(sent.items()):
                ledger.use_gas(G.LEDGER_OP)
                ledger.transfer(asset, self.this, address, amount)
            sub = Context(
                self._device,
                ledger,
                address,
                self.this,
                self.origin,
                MappingProxyType(dict(sent)) if sent else NO_VALUE,
                self.block_number,
                self.timestamp,
            )
            return fn(sub, *canonical_args(args))
        except BaseException:
            ledger.rollback(mark)
            raise


class _WritableContext(Context):
    """:class:`Context`'s twin with ordinary attribute writes, used only while one is
    filled in: then ``__class__`` is switched to the read-only class (same layout), one
    write instead of eight ``object.__setattr__`` calls."""

    __slots__ = ()
    __setattr__ = object.__setattr__  # type: ignore[assignment]


_new_object = object.__new__


def writable_twin(cls: type[Context]) -> type[Context]:
    """A subclass of ``cls`` with ordinary attribute writes, to fill in a ``cls`` fast
    (see :class:`_WritableContext`)."""
    namespace = {"__slots__": (), "__module__": cls.__module__, "__setattr__": object.__setattr__}
    return type(cls.__name__, (cls,), namespace)


def _entry_function(cls: type[Contract], name: str) -> Callable[..., Any]:
    """How the executor calls public method ``name`` of ``cls``: ``f(contract, ctx, *args)``."""
    raw = inspect.getattr_static(cls, name)
    if isinstance(raw, FunctionType):
        return raw

    def call(contract: Contract, ctx: Context, *args: Any) -> Any:  # staticmethod & co.
        return getattr(contract, name)(ctx, *args)

    return call


def _entry_point(contract: Contract, method: str) -> Callable[..., Any]:
    if method not in contract._public:
        raise UnknownMethod(
            f"{type(contract).__name__} at {contract.address} has no public {method!r}"
        )
    return getattr(contract, method)  # type: ignore[no-any-return]
