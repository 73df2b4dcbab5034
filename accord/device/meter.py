"""The step meter: a deterministic per-call budget for contracts from metered modules.

Gas bounds what the schedule prices (storage, ledger operations, calldata), not the
Python a method runs between them: a ``while True: pass`` costs no gas. Contracts whose
module the genesis lists in ``Genesis.metered_modules`` (module names or package
prefixes) therefore run under a :func:`sys.settrace` tracer that charges
:data:`~accord.device.gas.STEP` gas per *line event* to the running call's gas meter
(the ledger's ``gas_used``) and raises :class:`~accord.device.errors.OutOfGas` past its
limit; metered frames nest at most :data:`~accord.device.gas.MAX_FRAMES` deep, past which
it raises ``OutOfGas`` as well. Frames of other code (the device's own, trusted
contracts a metered one calls) are not traced, so they neither pay nor get interrupted
half-way; trusted (non-metered) contracts run with no tracer at all, so the device's
hot path pays nothing for the meter.

**Determinism.** Which lines a function runs, and so its line events, is fixed by its
source and its inputs for a given CPython *minor* version (the compiler may merge or
split line events between versions, e.g. 3.11 → 3.12). A run that uses metered
contracts is therefore reproducible on the same minor version; the run's metadata
records the Python version for that reason.

**Catching OutOfGas.** :class:`OutOfGas` is a :class:`BaseException`, so ``except
Exception`` does not catch it. CPython removes a tracer that raises (``sys.settrace``'s
documented behaviour), so contract code that catches it with ``except BaseException``
would run untraced; the meter re-arms itself when that code lets go of the exception
(:meth:`OutOfGas.__del__`), and every later line raises again. Code that keeps the
caught exception alive and then spins in a loop with no line in between escapes the
meter: metered modules are still *allowlisted*, trusted code (Python contract code has
the interpreter's full privileges, and could simply call ``sys.settrace(None)``); the
meter bounds the accidents of honest code (an unbounded loop, a runaway recursion),
not a contract author's malice. Untrusted code belongs in a metered VM.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any

from accord.device import errors
from accord.device import gas as G
from accord.device.errors import OutOfGas
from accord.device.ledger import Ledger

_Tracer = Callable[[FrameType, str, Any], Any]


def matches(module: str, prefixes: tuple[str, ...]) -> bool:
    """Whether ``module`` is one of ``prefixes`` or inside one of them (a package)."""
    return any(module == p or module.startswith(p + ".") for p in prefixes)


class StepMeter:
    """Runs calls into metered contracts under the line tracer (module docstring)."""

    __slots__ = (
        "_active",
        "_codes",
        "_depth",
        "_exhausted",
        "_global",
        "_ledger",
        "_local",
        "prefixes",
    )

    def __init__(self, ledger: Ledger, prefixes: tuple[str, ...]) -> None:
        self._ledger = ledger
        self.prefixes = prefixes
        self._codes: dict[CodeType, bool] = {}
        """Whether a code object belongs to a metered module, once looked up."""
        self._active = False
        self._depth = 0
        self._exhausted = False
        self._global: _Tracer = self._on_call
        self._local: _Tracer = self._on_event

    def is_metered(self, cls: type) -> bool:
        """Whether instances of ``cls`` run under the meter."""
        return bool(self.prefixes) and matches(cls.__module__, self.prefixes)

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` under the tracer (or as it is, when already under it: a metered
        call nested in another is part of the outer one's budget)."""
        if self._active:
            return fn(*args)
        self._active, self._depth, self._exhausted = True, 0, False
        previous = sys.gettrace()
        sys.settrace(self._global)
        try:
            return fn(*args)
        finally:
            sys.settrace(previous)
            self._active = False
            if self._exhausted:
                self._exhausted = False
                errors.set_release_hook(None)

    def _on_call(self, frame: FrameType, event: str, arg: Any) -> _Tracer | None:
        """The global tracer: a new frame. Trace it (and count its depth) if metered."""
        code = frame.f_code
        metered = self._codes.get(code)
        if metered is None:
            module = frame.f_globals.get("__name__", "")
            metered = self._codes[code] = type(module) is str and matches(module, self.prefixes)
        if not metered:
            return None
        self._depth += 1
        if self._depth > G.MAX_FRAMES or self._exhausted:
            self._exhaust(f"out of gas: metered frames nested deeper than {G.MAX_FRAMES}")
        return self._local

    def _on_event(self, frame: FrameType, event: str, arg: Any) -> _Tracer | None:
        """The local tracer of a metered frame: charge each line, count returns."""
        if event == "line":
            meter = self._ledger.meter
            used = meter.used + G.STEP
            meter.used = used
            if used > meter.limit or self._exhausted:
                self._exhaust(f"out of gas: used {used} of limit {meter.limit} (steps)")
        elif event == "return":
            self._depth -= 1
        return self._local

    def _exhaust(self, reason: str) -> None:
        """Raise OutOfGas; from now on every metered line raises it again."""
        if not self._exhausted:
            self._exhausted = True
            errors.set_release_hook(self._rearm)
        ledger = self._ledger
        if ledger.gas_used <= ledger.gas_limit:  # the call must fail as out of gas
            ledger.gas_used = ledger.gas_limit + 1
        raise OutOfGas(ledger.gas_used, ledger.gas_limit, reason)

    def _rearm(self) -> None:
        """Put the tracer back (CPython removed it when it raised), on every frame of
        the metered call still running."""
        if not self._active or sys.gettrace() is not None:
            return
        sys.settrace(self._global)
        frame: FrameType | None = sys._getframe(1)
        local, codes = self._local, self._codes
        while frame is not None:
            if codes.get(frame.f_code):
                frame.f_trace = local
            frame = frame.f_back
