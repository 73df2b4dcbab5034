"""A small Python builder for the commitment language.

It only constructs the pydantic models of :mod:`.language`, so anything built here
round-trips through JSON and TOML unchanged::

    from accord.device.commitments.build import balance, block, commitment, fires, transfer

    pay = commitment(
        "alice", "pay-bob", expiry=20,
        condition=fires("bob/deliver") & (block() >= 10) & (balance("alice", "USD") >= 50),
        actions=[transfer("USD", "bob", 50)],
    )
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accord.device.commitments.language import (
    COUNTERPART,
    Action,
    ActionPattern,
    And,
    BalanceCmp,
    BlockCmp,
    Bond,
    Call,
    Cmp,
    Commitment,
    Const,
    Exists,
    FinalIncluded,
    Finalized,
    Fires,
    FiresAgainst,
    Formula,
    JsonArg,
    Not,
    Or,
    Pattern,
    Provable,
    RatePattern,
    Requirement,
    Transfer,
    ViewCmp,
)

TRUE = Const(value=True)
FALSE = Const(value=False)


class _Comparable:
    """A state quantity; comparing it with a value gives a state atom."""

    def atom(self, cmp: Cmp, value: Any) -> Formula:
        raise NotImplementedError

    def __lt__(self, value: Any) -> Formula:
        return self.atom("<", value)

    def __le__(self, value: Any) -> Formula:
        return self.atom("<=", value)

    def __gt__(self, value: Any) -> Formula:
        return self.atom(">", value)

    def __ge__(self, value: Any) -> Formula:
        return self.atom(">=", value)

    def eq(self, value: Any) -> Formula:
        return self.atom("==", value)

    def ne(self, value: Any) -> Formula:
        return self.atom("!=", value)


class block(_Comparable):
    """The number of the block being resolved: ``block() >= 10``."""

    def atom(self, cmp: Cmp, value: Any) -> Formula:
        return BlockCmp(cmp=cmp, value=value)


class balance(_Comparable):
    """A free balance: ``balance("alice", "USD") >= 50``."""

    def __init__(self, account: str, asset: str) -> None:
        self.account, self.asset = account, asset

    def atom(self, cmp: Cmp, value: Any) -> Formula:
        return BalanceCmp(account=self.account, asset=self.asset, cmp=cmp, value=value)


class view(_Comparable):
    """A contract view: ``view(pool, "spot_price", "D") <= (1000, 1)``."""

    def __init__(self, contract: str, method: str, *args: JsonArg) -> None:
        self.contract, self.method, self.args = contract, method, list(args)

    def atom(self, cmp: Cmp, value: Any) -> Formula:
        return ViewCmp(
            contract=self.contract, method=self.method, args=self.args, cmp=cmp, value=value
        )


class finalized(_Comparable):
    """The newest final block, as a call in the resolved block sees ``ctx.finalized``:
    ``finalized() >= 7`` says block 7 is final."""

    def atom(self, cmp: Cmp, value: Any) -> Formula:
        return Finalized(cmp=cmp, value=value)


def _hex(tx: bytes | str) -> str:
    return tx.hex() if isinstance(tx, bytes) else tx


def final_included(tx: bytes | str, by: int | None = None) -> FinalIncluded:
    """Transaction ``tx`` (its hash: bytes or hex) is in a final block (``<= by``)."""
    return FinalIncluded(tx=_hex(tx), by=by)


def final_excluded(tx: bytes | str, by: int) -> And:
    """Block ``by`` is final and ``tx`` is in no block up to it: ``finalized >= by and
    not final_included(tx, by)``. Once true, no fork can make it false."""
    return And(args=[Finalized(cmp=">=", value=by), Not(arg=final_included(tx, by))])


def fires(ref: str = COUNTERPART) -> Fires:
    return Fires(ref=ref)


def fires_against(ref: str, counterpart: str) -> FiresAgainst:
    return FiresAgainst(ref=ref, counterpart=counterpart)


def provable(formula: Formula) -> Provable:
    return Provable(arg=formula)


def consistent() -> Not:
    """``¬□⊥``: the theory is consistent. ``provable(consistent() >> x)`` is PA+1 ⊢ x."""
    return Not(arg=Provable(arg=FALSE))


def all_of(*formulas: Formula) -> And:
    return And(args=list(formulas))


def any_of(*formulas: Formula) -> Or:
    return Or(args=list(formulas))


def exists(
    *,
    id: str | None = None,
    owner: str | None = None,
    action: ActionPattern | None = None,
    fires: bool = True,
) -> Exists:
    return Exists(pattern=Pattern(id=id, owner=owner, action=action), fires=fires)


def action_pattern(
    *,
    kind: str | None = None,
    to: str | None = None,
    method: str | None = None,
    asset: str | None = None,
    min_amount: int | None = None,
    args: Sequence[JsonArg] | None = None,
    rate: tuple[int, int, Cmp, tuple[int, int]] | None = None,
) -> ActionPattern:
    """``rate=(num_arg, den_arg, cmp, (p, q))`` matches ``args[num]/args[den] cmp p/q``."""
    return ActionPattern.model_validate(
        {
            "kind": kind,
            "to": to,
            "method": method,
            "asset": asset,
            "min_amount": min_amount,
            "args": None if args is None else list(args),
            "rate": None
            if rate is None
            else RatePattern(num=rate[0], den=rate[1], cmp=rate[2], value=rate[3]),
        }
    )


def call(
    to: str,
    method: str,
    *args: JsonArg,
    value: dict[str, int] | None = None,
    gas: int = 200_000,
) -> Call:
    return Call(to=to, method=method, args=list(args), value=value or {}, gas=gas)


def transfer(asset: str, to: str, amount: int) -> Transfer:
    return Transfer(asset=asset, to=to, amount=amount)


def commitment(
    owner: str,
    label: str,
    *,
    expiry: int,
    condition: Formula = TRUE,
    actions: Sequence[Action] = (),
    otherwise: Sequence[Action] = (),
    requires: dict[str, int] | None = None,
    after: Sequence[str] = (),
    counterpart: str | None = None,
    bond: tuple[str, int] | None = None,
) -> Commitment:
    """Build a :class:`Commitment`; ``requires`` maps asset → minimum balance change."""
    return Commitment(
        owner=owner,
        label=label,
        expiry=expiry,
        condition=condition,
        actions=list(actions),
        otherwise=list(otherwise),
        requires=[Requirement(asset=a, min_delta=d) for a, d in sorted((requires or {}).items())],
        after=list(after),
        counterpart=counterpart,
        bond=None if bond is None else Bond(asset=bond[0], amount=bond[1]),
    )
