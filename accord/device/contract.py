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
at one uniform price and position in the block carries no advantage. A contract whose
batchable calls settle a batch that closed in an *earlier* block (``settles_earlier_batches
= True``, such as the CoW settlement's ``execute``) is settled before the block's own
batches: batches settle in the order their books closed
(:func:`accord.device.ordering.settlement_order`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import FunctionType
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, Self, TypeVar, overload

from accord.device.context import NO_VALUE, Context, Event
from accord.device.encoding import Canonical
from accord.device.errors import Revert
from accord.device.storage import BoundMap, Map, Var

if TYPE_CHECKING:
    from accord.device.ledger import Ledger

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "NO_VALUE",
    "BatchCall",
    "Context",
    "Contract",
    "Event",
    "public",
]


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
    settles_earlier_batches: ClassVar[bool] = False
    """Whether this contract's batchable calls settle a batch whose book closed before the
    block that settles it (an auction of block ``N`` settled in ``N + 1``): such batches
    settle first, against the state the block began with
    (:func:`accord.device.ordering.settlement_order`)."""
    _declared_maps: ClassVar[dict[str, Map[Any]]] = {}
    """The Maps declared in this class's own body (taken off the class)."""

    address: str
    _vars: dict[str, Any]
    _var_store: BoundMap[Any]

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
        """Give the instance its address and empty storage, tracked by the ledger.

        The instance keeps no reference to the ledger: its ``Var`` slots live in a
        plain dict (``_vars``) written through ``_var_store``, a metered map, as its Maps
        are (:class:`~accord.device.storage.BoundMap`).
        """
        object.__setattr__(self, "address", address)
        slots: dict[str, Any] = {}
        object.__setattr__(self, "_vars", slots)
        origin = ledger.track(("var", address), slots)
        object.__setattr__(
            self,
            "_var_store",
            BoundMap(slots, None, "", origin, ledger.meter.key, ledger.meter_token),
        )
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

        The default settles them one by one in the given (canonical) order, each with
        the context the device made for it (``call.ctx``: that call's sender and value);
        contracts that can clear at uniform prices override it. Return one result per
        call; raise ``Revert`` to fail the whole batch. ``ctx`` is the contract's own
        (sender: itself).
        """
        results: list[Canonical] = []
        for call in calls:
            results.append(getattr(self, call.method)(call.ctx, *call.args))
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
    """One call collected for batch settlement.

    ``ctx`` is the read-only context the device made for this call (its sender and
    value): what a ``settle_batch`` passes to code acting for this caller, as the
    default :meth:`Contract.settle_batch` does. There is no other way to act as
    another caller (a contract acts only as itself, :mod:`accord.device.context`).
    """

    tx_hash: bytes
    sender: str
    method: str
    args: tuple[Canonical, ...]
    value: Mapping[str, int]
    ctx: Context


def _entry_function(cls: type[Contract], name: str) -> Callable[..., Any]:
    """How the executor calls public method ``name`` of ``cls``: ``f(contract, ctx, *args)``."""
    raw = inspect.getattr_static(cls, name)
    if isinstance(raw, FunctionType):
        return raw

    def call(contract: Contract, ctx: Context, *args: Any) -> Any:  # staticmethod & co.
        return getattr(contract, name)(ctx, *args)

    return call
