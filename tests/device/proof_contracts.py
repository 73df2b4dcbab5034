"""Contracts whose receipts exercise every kind of leaf: results of every type, events.

Importable (``tests.device.proof_contracts:Odd``) so the test genesis may allowlist it.
"""

from __future__ import annotations

from typing import Any

from accord.device import Context, Contract, public


class Opaque:
    """A result with no JSON form."""


class Odd(Contract):
    """Returns what it is asked to, emitting an event on the way."""

    @public
    def give(self, ctx: Context, kind: str, n: int) -> Any:
        ctx.emit("Gave", kind=kind, n=n, raw=b"\x00\xff")
        if kind == "dict":
            return {"n": n, "b": b"\x01", "t": (1, "x")}
        if kind == "list":
            return [n, "x", (b"\x02",)]
        if kind == "list_of_dict":
            return [{"n": n}]
        if kind == "object":
            return Opaque()
        if kind == "tuple":
            return (n, "x", (b"\x02",))
        if kind == "big":
            return n**40
        return n

    @public
    def quiet(self, ctx: Context, n: int) -> int:
        return n
