"""A contract that reads the device's beacon (``tests/device/test_beacon.py``)."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from accord.device import Context, Contract, Var, public


class _Height(IntEnum):
    ONE = 1


MADE: dict[str, Any] = {
    "float": 1.0,
    "nan": float("nan"),
    "inf": float("inf"),
    "dict": {"height": 1},
    "list": [1],
    "int_enum": _Height.ONE,
    "object": object(),
}
"""Heights no transaction can carry (the gate refuses floats, dicts...), which contract
code can still compute and pass to ``ctx.beacon``."""


class BeaconReader(Contract):
    """Stores the beacon it reads, so a refused read can be seen to change nothing."""

    last: Var[bytes] = Var(b"")
    reads: Var[int] = Var(0)

    @public
    def read(self, ctx: Context, height: Any) -> bytes:
        value = ctx.beacon(height)
        self.last = value
        self.reads = self.reads + 1
        return value

    @public
    def read_made(self, ctx: Context, kind: str) -> bytes:
        """Read the beacon of a height made by contract code (:data:`MADE`)."""
        return self.read(ctx, MADE[kind])

    @public
    def seen(self, ctx: Context) -> tuple[bytes, int]:
        return self.last, self.reads

    @public
    def read_current(self, ctx: Context) -> bytes:
        return self.read(ctx, ctx.block_number)
