"""A contract acts only as itself: what a Context and a contract instance can reach.

Pins ``accord/device/context.py``'s guarantees: nothing reachable by attribute access
from a context or a deployed contract leads to the ledger, the device, the mempool or a
key; a context cannot be rewritten, forged, kept for a later call or borrowed by a
callee; there is no ``as_caller``. (Python can still reach anything through ``gc`` or a
function's ``__closure__``/``__globals__``: contract code is trusted, allowlisted code,
which the walk below reflects by not entering functions.)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import suppress
from types import (
    BuiltinFunctionType,
    FunctionType,
    GetSetDescriptorType,
    MappingProxyType,
    MethodType,
    ModuleType,
)
from typing import Any

import pytest

from accord.device import Context, Device, checks
from accord.device.context import ContextKit, NotRunning
from accord.device.execution import Executor
from accord.device.fast_storage import BoundMap, Meter
from accord.device.ledger import Ledger
from accord.device.mempool import Mempool
from accord.device.transaction import Account
from tests.device import capability_contracts as caps
from tests.device.capability_contracts import Grabber
from tests.device.conftest import USERS, make_device

_SKIP = (FunctionType, BuiltinFunctionType, MethodType, ModuleType, staticmethod, classmethod)
_PLAIN = ("__dict__", "__weakref__")


def _children(obj: Any) -> Iterator[Any]:
    """What attribute access reaches from ``obj`` in one step: its ``__dict__``, its
    slots, the attributes of a compiled (mypyc) class, which are getset descriptors on
    the class, its class attributes other than functions, and a container's items."""
    if isinstance(obj, _SKIP):
        return
    try:
        own = object.__getattribute__(obj, "__dict__")
    except (AttributeError, TypeError):
        own = None
    if isinstance(own, dict | MappingProxyType):
        yield from own.values()
    for klass in type(obj).__mro__:
        slots = klass.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            with suppress(AttributeError, TypeError):
                yield object.__getattribute__(obj, name)
        if klass in (object, type, tuple, dict, list):
            continue
        for name, value in klass.__dict__.items():
            if isinstance(value, GetSetDescriptorType) and name not in _PLAIN:
                with suppress(AttributeError, TypeError):
                    yield getattr(obj, name)
            elif not isinstance(value, _SKIP):
                yield value
    if isinstance(obj, tuple | list | set | frozenset | deque):
        yield from obj
    if isinstance(obj, dict | MappingProxyType):
        yield from obj.keys()
        yield from obj.values()
    if isinstance(obj, property):
        yield obj.fget


def reachable(roots: Iterable[Any], depth: int = 5) -> list[Any]:
    """Breadth-first walk of :func:`_children` from ``roots``, ``depth`` steps deep."""
    seen: set[int] = set()
    found: list[Any] = []
    frontier = list(roots)
    for _ in range(depth + 1):
        following: list[Any] = []
        for obj in frontier:
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            found.append(obj)
            following.extend(_children(obj))
        frontier = following
    return found


def _forbidden(device: Device) -> tuple[tuple[type, ...], set[int], set[bytes]]:
    """Types, identities and byte strings no contract may reach."""
    types = (Ledger, Device, Mempool, Executor, ContextKit, Account, Meter)
    ledger = device.ledger
    tables = {
        id(x)
        for x in (
            ledger.balances,
            ledger.locked,
            ledger.supply,
            ledger.issuers,
            ledger.nonces,
            ledger.journal,
            ledger.events,
            ledger.allowances,
            ledger.permit_nonces,
            ledger.tracked,
            device.contracts,
            device.executor.contexts.active,
        )
    }
    keys: set[bytes] = set()
    for name in USERS:
        key = getattr(device.account(name), "key", None)
        if isinstance(key, bytes):
            keys.add(key)
    return types, tables, keys


def test_nothing_reachable_from_a_context_or_a_contract_leads_to_ledger_device_or_keys() -> None:
    device = make_device()
    alice = device.account("alice")
    grabber = device.deploy(alice, Grabber)
    caps.SEEN.clear()
    receipt = device.call(alice, grabber, "show", value={"USD": 5})
    assert receipt.ok, receipt.error
    ctx, contract = caps.SEEN
    assert isinstance(ctx, Context) and contract is device.contract_at(grabber)
    registry = device.contract_at("commitments")
    found = reachable([ctx, contract, registry], depth=6)
    assert len(found) > 30  # the walk does go somewhere: facts, storage, classes
    # ... into storage maps too, whose attributes, compiled, are the class's descriptors
    reached = {id(x) for x in found}
    maps = [x for x in found if isinstance(x, BoundMap)]
    assert maps and any(id(m._data) in reached and id(m._origin) in reached for m in maps)
    types, tables, keys = _forbidden(device)
    bad = [type(x).__name__ for x in found if isinstance(x, types)]
    bad += [f"table {type(x).__name__}" for x in found if id(x) in tables]
    bad += ["a key" for x in found if isinstance(x, bytes) and x in keys]
    bad += [type(x).__name__ for x in found if "PrivateKey" in type(x).__name__]
    assert bad == []
    assert not hasattr(ctx, "__dict__")
    for name in ("_ledger", "_device", "as_caller", "ledger", "device", "mempool"):
        assert not hasattr(ctx, name), name
        assert not hasattr(contract, name), name


@pytest.mark.parametrize("path", ["_ledger", "_device", "_device.account", "__dict__"])
def test_a_contract_reaching_for_private_handles_reverts(path: str) -> None:
    device = make_device()
    mallory = device.account("carol")
    grabber = device.deploy(mallory, Grabber)
    receipt = device.call(mallory, grabber, "reach", path)
    assert receipt.status == "reverted"
    assert receipt.error is not None and receipt.error.startswith("AttributeError")


def _attack(device: Device, method: str, *args: object) -> tuple[str, str | None]:
    mallory = device.account("carol")
    grabber = device.deploy(mallory, Grabber)
    before = {(u, a): device.balance(u, a) for u in USERS for a in ("USD", "TOK")}
    receipt = device.call(mallory, grabber, method, *args)
    after = {(u, a): device.balance(u, a) for u in USERS for a in ("USD", "TOK")}
    assert after == before
    assert device.locked("alice", "USD", grabber) == 0
    return receipt.status, receipt.error


def test_rewriting_the_sender_with_object_setattr_gives_no_authority() -> None:
    device = make_device()
    status, error = _attack(device, "rewrite_sender", "alice", "USD", 100)
    assert status == "reverted" and error is not None and "AttributeError" in error


@pytest.mark.parametrize("method", ["forge", "forge_transfer"])
def test_a_context_built_by_contract_code_is_refused(method: str) -> None:
    device = make_device()
    status, error = _attack(device, method, "alice", "USD", 100)
    assert status == "reverted"
    assert error is not None and "not the running call" in error


def test_a_context_kept_from_an_earlier_call_is_refused() -> None:
    device = make_device()
    alice, mallory = device.account("alice"), device.account("carol")
    grabber = device.deploy(mallory, Grabber)
    caps.KEPT.clear()
    assert device.call(alice, grabber, "keep").ok  # alice calls it once, innocently
    usd = device.balance("alice", "USD")
    lock = device.call(mallory, grabber, "use_kept_lock", "USD", usd)
    assert lock.status == "reverted" and lock.error is not None
    assert "not the running call" in lock.error
    assert device.balance("alice", "USD") == usd
    assert device.locked("alice", "USD", grabber) == 0


def test_a_callee_cannot_act_with_its_callers_context() -> None:
    device = make_device()
    mallory = device.account("carol")
    caller = device.deploy(mallory, Grabber)
    callee = device.deploy(mallory, Grabber)
    assert device.call(mallory, caller, "forge_transfer", "x", "USD", 0).status == "reverted"
    device.call(mallory, caller, "keep")  # nothing to steal yet: fund the caller
    device.call(device.account("bob"), caller, "show", value={"USD": 50})
    assert device.balance(caller, "USD") == 50
    caps.KEPT.clear()
    receipt = device.call(mallory, caller, "call_and_let_callee_use_mine", callee, "USD")
    assert receipt.status == "reverted" and receipt.error is not None
    assert "not the running call" in receipt.error
    assert device.balance(caller, "USD") == 50 and device.balance(callee, "USD") == 0


def test_a_context_outside_any_call_has_no_authority() -> None:
    device = make_device()
    alice = device.account("alice")
    grabber = device.deploy(alice, Grabber)
    caps.KEPT.clear()
    device.call(alice, grabber, "keep")
    kept = caps.KEPT[-1]
    with pytest.raises(NotRunning):
        kept.lock("USD", 1)
    with pytest.raises(NotRunning):
        kept.transfer("USD", "bob", 0)
    bare = tuple.__new__(Context, (grabber, "alice", "alice", {}, 1, 0))
    with pytest.raises(NotRunning):
        bare.lock("USD", 1)
    assert device.balance("alice", "USD") == 1_000
    assert checks.state_hash_matches(device) == device.head.state_hash


def test_there_is_no_as_caller() -> None:
    assert not hasattr(Context, "as_caller")
    device = make_device()
    assert not hasattr(device.executor.contexts.cls, "as_caller")


def test_a_context_reads_its_facts_and_refuses_writes() -> None:
    device = make_device()
    kit = device.executor.contexts
    ctx = kit.make("0xc", "alice", "bob", {"USD": 1}, 7, 99)
    assert (ctx.this, ctx.sender, ctx.origin, ctx.block_number, ctx.timestamp) == (
        "0xc",
        "alice",
        "bob",
        7,
        99,
    )
    assert dict(ctx.value) == {"USD": 1}
    with pytest.raises(AttributeError, match="read-only"):
        ctx.sender = "carol"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        object.__setattr__(ctx, "sender", "carol")
    with pytest.raises(AttributeError):
        del ctx.this  # type: ignore[misc]
    assert ctx.sender == "alice"
