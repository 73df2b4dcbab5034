"""Hostile contracts: code that tries to halt the device, exhaust it or act for others.

Deployed by the liveness tests (``tests/device/test_liveness.py``) from this module,
which their genesis lists in ``Genesis.metered_modules``: every contract here runs under
the step meter (:mod:`accord.device.meter`), which is what stops the infinite loops.
Other engineers may add classes at the end of the file.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from accord.device import Context, Contract, Map, OutOfGas, Revert, Var, public
from accord.device.contract import BatchCall
from accord.device.encoding import Canonical


class Custom(BaseException):
    """A BaseException of contract code's own (neither Exception nor KeyboardInterrupt)."""


class Hostile(Contract):
    """One method per way of misbehaving; ``kind`` picks it in :meth:`misbehave`."""

    counter = Var(0)
    blob = Var("")
    slots = Map(0)

    def setup(self, ctx: Context, *args: Any) -> None:
        """Spin for ever if asked to (a constructor runs under the meter too)."""
        if args == ("spin",):
            while True:
                pass

    @public
    def bump(self, ctx: Context) -> int:
        """An honest method: one read, one write."""
        self.counter += 1
        return self.counter

    @public
    def spin(self, ctx: Context) -> None:
        """Loop forever (no gas is charged by the schedule: only the step meter stops it)."""
        while True:
            pass

    @public
    def spin_writing(self, ctx: Context) -> None:
        """Write first (must be rolled back), then loop forever."""
        self.counter += 1
        while True:
            pass

    @public
    def recurse(self, ctx: Context, depth: int) -> int:
        """Recurse without bound."""
        return self._down(depth)

    def _down(self, depth: int) -> int:
        return self._down(depth + 1) + 1

    @public
    def hoard(self, ctx: Context, size: int) -> int:
        """Store a huge value."""
        self.blob = "x" * size
        return len(self.blob)

    @public
    def exit(self, ctx: Context) -> None:
        """Ask the interpreter to exit."""
        self.counter += 1
        sys.exit(3)

    @public
    def base_exception(self, ctx: Context, kind: str) -> None:
        """Raise a BaseException that is not an Exception (KeyboardInterrupt: separately)."""
        self.counter += 1
        if kind == "generator_exit":
            raise GeneratorExit
        if kind == "keyboard":
            raise KeyboardInterrupt
        raise Custom("mine")

    @public
    def exhaust(self, ctx: Context, kind: str) -> None:
        """Raise MemoryError or RecursionError (resource exhaustion) after a write."""
        self.counter += 1
        if kind == "memory":
            raise MemoryError("hostile")
        raise RecursionError("hostile")

    @public
    def swallow(self, ctx: Context) -> int:
        """Catch OutOfGas (from the meter and from the schedule) and keep going, for
        ever: every catch is followed by more work."""
        caught = 0
        while True:
            try:
                while True:
                    self.slots[caught] = caught + 1  # schedule gas, then meter steps
            except BaseException:
                caught += 1

    @public
    def swallow_once(self, ctx: Context) -> str:
        """Catch OutOfGas once and return as if all were well (after a write)."""
        try:
            while True:
                ctx.use_gas(10_000)
        except OutOfGas:
            self.counter += 1
            return "fine"

    @public
    def burn(self, ctx: Context, amount: int) -> int:
        """Charge ``amount`` gas through the schedule (a view that may run out of gas)."""
        ctx.use_gas(amount)
        return 1

    @public
    def mutate_class(self, ctx: Context) -> int:
        """Change its own class (state outside the journal: not rolled back, not hashed)."""
        cls: Any = type(self)
        cls.mutations = getattr(cls, "mutations", 0) + 1
        return int(cls.mutations)

    @public
    def ping(self, ctx: Context, other: str, depth: int) -> int:
        """Re-enter: A calls B calls A... without bound (the call depth limit stops it)."""
        self.counter += 1
        return int(ctx.call(other, "ping", ctx.this, depth + 1)) + 1

    @public
    def act_for(self, ctx: Context, victim: str, amount: int) -> str:
        """Try to move ``victim``'s ETH to this contract without ``victim`` calling it,
        through every handle a context might leak. Reverts if none works."""
        attempts = []
        as_caller = getattr(ctx, "as_caller", None)
        if as_caller is not None:
            attempts.append(lambda: as_caller(victim, {}).lock("ETH", amount))
        ledger = getattr(ctx, "_ledger", None)
        if ledger is not None:
            attempts.append(lambda: ledger.transfer("ETH", victim, ctx.this, amount))
        for attempt in attempts:
            try:
                attempt()
                return "acted for another"
            except Exception:  # refused: try the next handle
                continue
        raise Revert("no handle acts for another")

    @public(batch=True)
    def bid(self, ctx: Context, mode: str) -> None:
        """A batchable call; ``mode`` picks how :meth:`settle_batch` misbehaves."""

    def settle_batch(self, ctx: Context, calls: Sequence[BatchCall]) -> list[Canonical]:
        modes = [call.args[0] if call.args else "" for call in calls]
        if "spin" in modes:
            while True:
                pass
        if "exit" in modes:
            sys.exit(4)
        if "memory" in modes:
            raise MemoryError("batch")
        if "revert" in modes:
            raise Revert("batch refused")
        if "short" in modes:
            return []  # too few results
        self.counter += len(calls)
        return [None] * len(calls)
