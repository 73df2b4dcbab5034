"""The commitment language: a conditional commitment as inspectable data.

A :class:`Commitment` says *"if CONDITION, do ACTIONS (else, at expiry, OTHERWISE)"*.
Because it is data and not code, every party can read what it promises before relying
on it, which is what makes it credible. The semantics (how a block resolves all pending
commitments together) are in ``docs/commitments.md`` and :mod:`.modal`.

Conditions (:data:`Formula`) are built from

* **state atoms**, read at resolution time: the block number, a free balance, the result
  of a contract's public view (e.g. a pool's price as an exact ``(num, den)`` ratio);
* **finality atoms**, which read only final blocks (``docs/finality.md``): the newest
  final block (``finalized``) and whether a transaction is in a final block
  (``final_included``);
* **commitment atoms**: ``fires`` (commitment X fires), ``fires_against`` (what X would
  do if its counterpart were Y: the program-equilibrium query), ``exists`` (a pending
  commitment matching a pattern exists, and fires);
* ``provable`` (the modal box of provability logic), ``not``/``and``/``or``/``implies``.

Actions are transactions the owner authorises by posting the commitment: a contract
call (with value) or a plain transfer. Every model forbids unknown keys, so a typo is a
schema error naming the field, never a silently ignored clause.
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

LANGUAGE_VERSION = 1

Cmp: TypeAlias = Literal["<", "<=", "==", "!=", ">=", ">"]
SELF = "$self"
"""In a commitment: the commitment itself (in ``fires``) or its owner (as an account)."""
COUNTERPART = "$cp"
"""In a commitment: the counterpart it is played against (``counterpart``, or ``play``)."""

REFS = "$refs"
"""In ``after``: run after every group member this commitment's condition refers to."""


def _json_list(value: list[Any]) -> list[Any]:
    """A nested argument list holds only what the device can store and hash
    (:mod:`accord.device.encoding`): ints, strings, bools, nulls and lists of these, at
    any depth. A float (``1.5``, ``1e999``, ``NaN``: ``json.loads`` accepts them), an
    object, or an integer too long to parse (read as infinity by the codec) would
    otherwise pass as ``list[Any]``: the resolver's canonical check would raise at the
    block (halting it), and pydantic would store infinity as ``null``, a document other
    than the one signed. Iterative: a deep list cannot exhaust the stack."""
    stack: list[tuple[list[Any], str]] = [(value, "")]
    while stack:
        items, path = stack.pop()
        for i, item in enumerate(items):
            kind = type(item)
            if kind is list:
                stack.append((item, f"{path}[{i}]"))
            elif kind not in _JSON_ATOMS:
                name = "an integer too long to parse" if item == math.inf else kind.__name__
                raise ValueError(
                    f"item {path}[{i}] is {name}: an argument holds only ints, strings, "
                    "bools, nulls and lists of these"
                )
    return value


_JSON_ATOMS = frozenset({int, str, bool, type(None)})
JsonArg: TypeAlias = (
    Annotated[int, Field(strict=True)]
    | str
    | bool
    | Annotated[list[Any], AfterValidator(_json_list)]
    | None
)
"""A call's or a view's argument: an int, a string, a bool, null, or a list of these
(nested); an int is an int, not a float such as ``3.0``. The validators leave the JSON
Schema as it was (a list of anything)."""


class Node(BaseModel):
    """Base of every language node: frozen, and unknown keys are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The Python builder: ``a & b``, ``a | b``, ``~a``, ``a >> b`` (implies).
    def __and__(self, other: Formula) -> And:
        return And(args=[self, other])

    def __or__(self, other: Formula) -> Or:
        return Or(args=[self, other])

    def __invert__(self) -> Not:
        return Not(arg=self)

    def __rshift__(self, other: Formula) -> Implies:
        return Implies(premise=self, conclusion=other)


# -- state atoms ------------------------------------------------------------------------
class Const(Node):
    op: Literal["const"] = "const"
    value: bool


class BlockCmp(Node):
    """``block CMP value``: the number of the block being resolved."""

    op: Literal["block"] = "block"
    cmp: Cmp
    value: int


class BalanceCmp(Node):
    """``balance(account, asset) CMP value``: a free balance, in base units."""

    op: Literal["balance"] = "balance"
    account: str
    asset: str
    cmp: Cmp
    value: int


class ViewCmp(Node):
    """``contract.method(*args) CMP value``, a read-only call on device state.

    ``value`` is an int, or a ratio ``[num, den]``; for a ratio the view must return an
    exact ``(num, den)`` pair (like a pool's spot price) and the fractions are compared
    exactly by cross-multiplication.
    """

    op: Literal["view"] = "view"
    contract: str
    method: str
    args: list[JsonArg] = []
    cmp: Cmp
    value: int | tuple[int, int]

    @field_validator("value")
    @classmethod
    def _positive_denominator(cls, v: int | tuple[int, int]) -> int | tuple[int, int]:
        if isinstance(v, tuple) and v[1] <= 0:
            raise ValueError("a ratio's denominator must be positive")
        return v


# -- finality atoms ----------------------------------------------------------------------
MAX_BLOCK_NUMBER = (1 << 63) - 1
"""The largest block number a finality atom may name (a TOML integer is 64-bit signed)."""
BlockNumber: TypeAlias = Annotated[int, Field(strict=True, ge=0, le=MAX_BLOCK_NUMBER)]
"""A block number in a finality atom: an int (not a bool, string or float), ``>= 0``."""
_TX_HASH = re.compile(r"[0-9a-f]{64}")


def _tx_hash(value: str) -> str:
    if not _TX_HASH.fullmatch(value):
        raise ValueError("a transaction hash is 64 lowercase hex digits, without 0x")
    return value


TxHash: TypeAlias = Annotated[str, Field(strict=True), AfterValidator(_tx_hash)]
"""A transaction hash as 64 lowercase hex digits, no ``0x``: one spelling per hash."""


class Finalized(Node):
    """``finalized CMP value``: the newest final block, as a call in the resolved block
    sees it: ``ctx.finalized = max(0, N - 1 - finality_depth)`` in block ``N``.

    ``finalized >= n`` says block ``n`` is final. The value depends on ``N`` alone, so
    every block that can replace ``N`` (a fork) reads the same (``docs/finality.md``).
    """

    op: Literal["finalized"] = "finalized"
    cmp: Cmp
    value: BlockNumber


class FinalIncluded(Node):
    """Transaction ``tx`` is in a final block (``<= finalized``) of the current chain,
    and, with ``by``, in a block ``<= by``.

    It reads only final blocks (``ctx.included(h) <= ctx.finalized``), so no fork can
    change its value: once true it stays true. Its negation says "not in a final block
    *yet*"; "``tx`` was left out of every block up to ``D``" is
    ``finalized >= D and not final_included(tx, by=D)``, which once ``D`` is final no
    fork can change either (:func:`.build.final_excluded`). Needs a device that records
    inclusions (``DeviceConfig.record_inclusions``): the registry refuses it otherwise.
    """

    op: Literal["final_included"] = "final_included"
    tx: TxHash
    by: BlockNumber | None = None

    @property
    def tx_hash(self) -> bytes:
        """``tx`` as the 32 bytes the device keys its inclusions by."""
        return bytes.fromhex(self.tx)


# -- commitment atoms ---------------------------------------------------------------------
class Fires(Node):
    """Commitment ``ref`` fires (its condition holds). ``ref`` is an id or ``$cp``."""

    op: Literal["fires"] = "fires"
    ref: str


class FiresAgainst(Node):
    """What ``ref`` would do if its counterpart were ``counterpart``: fire or not."""

    op: Literal["fires_against"] = "fires_against"
    ref: str
    counterpart: str


class ActionPattern(Node):
    """Matches an action. Unset fields match anything.

    ``args`` matches a call's arguments position by position (``None`` is a wildcard).
    ``rate`` compares the ratio of two integer arguments, ``args[num] / args[den]``,
    with ``value = [p, q]`` exactly: e.g. a swap's ``min_out / amount_in``.
    """

    kind: Literal["call", "transfer"] | None = None
    to: str | None = None
    method: str | None = None
    asset: str | None = None
    min_amount: int | None = None
    args: list[JsonArg] | None = None
    rate: RatePattern | None = None


class RatePattern(Node):
    num: int = Field(ge=0)
    den: int = Field(ge=0)
    cmp: Cmp
    value: tuple[int, int]


class Pattern(Node):
    """Matches a pending commitment: by id, by owner, and/or by one of its actions."""

    id: str | None = None
    owner: str | None = None
    action: ActionPattern | None = None


class Exists(Node):
    """Some *other* pending commitment matches ``pattern`` (and, if ``fires``, fires)."""

    op: Literal["exists"] = "exists"
    pattern: Pattern
    fires: bool = True


# -- connectives ------------------------------------------------------------------------
class Not(Node):
    op: Literal["not"] = "not"
    arg: Formula


class And(Node):
    op: Literal["and"] = "and"
    args: list[Formula]


class Or(Node):
    op: Literal["or"] = "or"
    args: list[Formula]


class Implies(Node):
    op: Literal["implies"] = "implies"
    premise: Formula
    conclusion: Formula


class Provable(Node):
    """The box of provability logic GL: ``arg`` is provable (holds at every lower world).

    ``fires`` atoms outside any ``provable`` are read as provable (the Löbian reading);
    inside one they are taken literally, which is how PrudentBot's
    ``provable(consistent >> ~fires_against($cp, DefectBot))`` is written.
    """

    op: Literal["provable"] = "provable"
    arg: Formula


Formula: TypeAlias = Annotated[
    Const
    | BlockCmp
    | BalanceCmp
    | ViewCmp
    | Finalized
    | FinalIncluded
    | Fires
    | FiresAgainst
    | Exists
    | Not
    | And
    | Or
    | Implies
    | Provable,
    Field(discriminator="op"),
]


# -- actions ----------------------------------------------------------------------------
class Call(Node):
    """Call ``to.method(*args)`` as the owner, sending ``value`` (asset → amount)."""

    kind: Literal["call"] = "call"
    to: str
    method: str
    args: list[JsonArg] = []
    value: dict[str, Annotated[int, Field(gt=0)]] = {}
    gas: int = Field(default=200_000, gt=0)


class Transfer(Node):
    """Pay ``amount`` of the owner's free ``asset`` to ``to``."""

    kind: Literal["transfer"] = "transfer"
    asset: str
    to: str
    amount: int = Field(gt=0)


Action: TypeAlias = Annotated[Call | Transfer, Field(discriminator="kind")]


class Bond(Node):
    """Locked from the owner when the commitment is posted; see ``docs/commitments.md``."""

    asset: str
    amount: int = Field(gt=0)


class Requirement(Node):
    """After the owner's group settles, the owner's ``asset`` changed by ≥ ``min_delta``."""

    asset: str
    min_delta: int


class Commitment(Node):
    """A conditional commitment; its id is ``owner/label``."""

    version: Literal[1] = 1
    owner: str = Field(min_length=1)
    label: str = Field(min_length=1)
    expiry: int = Field(ge=0)
    condition: Formula = Const(value=True)
    actions: list[Action] = []
    otherwise: list[Action] = []
    requires: list[Requirement] = []
    after: list[str] = []
    counterpart: str | None = None
    bond: Bond | None = None

    @model_validator(mode="after")
    def _well_formed(self) -> Commitment:
        if "/" in self.owner or "$" in self.owner:
            raise ValueError(f"owner {self.owner!r} may not contain '/' or '$'")
        if "/" in self.label or "$" in self.label:
            raise ValueError(f"label {self.label!r} may not contain '/' or '$'")
        if self.counterpart == self.id:
            raise ValueError("a commitment cannot be its own counterpart")
        return self

    @property
    def id(self) -> str:
        return f"{self.owner}/{self.label}"

    def to_data(self) -> dict[str, Any]:
        """Plain data (JSON/TOML-ready), defaults included so the document is explicit."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, no spaces (what the device stores and hashes)."""
        return json.dumps(self.to_data(), sort_keys=True, separators=(",", ":"))


for _model in (ActionPattern, Not, And, Or, Implies, Provable, Commitment):
    _model.model_rebuild()
