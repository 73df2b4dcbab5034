"""A commitment, read back in plain English for the person who must confirm it.

The rendering is of the *commitment*, not of the sentence it came from: it reads the
document the device will enforce (``docs/commitments.md``), so whatever produced the
commitment (the parser, an LLM, a hand-written file) the person sees what will happen.
Amounts are printed exactly, in base units; nothing is rounded or summarised away.
"""

from __future__ import annotations

from collections.abc import Sequence

from accord.device.commitments.language import (
    REFS,
    SELF,
    Action,
    ActionPattern,
    And,
    BalanceCmp,
    BlockCmp,
    Call,
    Commitment,
    Const,
    Exists,
    FinalIncluded,
    Finalized,
    Fires,
    FiresAgainst,
    Formula,
    Implies,
    JsonArg,
    Not,
    Or,
    Provable,
    Transfer,
    ViewCmp,
)

_CMP = {
    "<": "less than",
    "<=": "at most",
    "==": "exactly",
    "!=": "other than",
    ">=": "at least",
    ">": "more than",
}


def _who(name: str | None, owner: str) -> str:
    if name in (None, SELF, owner):
        return "you"
    return str(name)


def _value(value: int | tuple[int, int]) -> str:
    if isinstance(value, tuple):
        p, q = value
        return f"{p}/{q}" if q != 1 else str(p)
    return str(value)


def _action(a: Action, owner: str) -> str:
    if isinstance(a, Transfer):
        return f"pay {a.amount} {a.asset} to {_who(a.to, owner)}"
    assert isinstance(a, Call)
    args = a.args
    if a.method == "swap" and len(args) >= 4:
        out = f" for {args[4]}" if len(args) >= 5 and args[4] else " for the pool's other token"
        floor = args[2]
        limit = _limit(floor)
        text = f"swap {args[1]} {args[0]}{out} on pool {a.to}, {limit}"
        if args[3] not in (owner, SELF):
            text += f", paid to {args[3]}"
        return text
    if a.method == "swap_best" and len(args) >= 5:
        limit = _limit(args[3])
        text = (
            f"swap {args[1]} {args[0]} for {args[2]} along the best path of router {a.to}, {limit}"
        )
        if args[4] not in (owner, SELF):
            text += f", paid to {args[4]}"
        return text
    sent = ", ".join(f"{v} {k}" for k, v in sorted(a.value.items()))
    shown = ", ".join(_arg(x) for x in args)
    return f"call {a.to}.{a.method}({shown})" + (f" sending {sent}" if sent else "")


def _limit(floor: JsonArg) -> str:
    if floor in (0, 1):
        return "accepting any amount (no price protection)"
    return f"accepting no less than {floor}"


def _arg(x: JsonArg) -> str:
    return "any" if x is None else repr(x) if isinstance(x, str) else str(x)


def _pattern(p: ActionPattern, owner: str) -> str:
    if p.kind == "transfer":
        amount = f"at least {p.min_amount} " if p.min_amount is not None else ""
        asset = p.asset or "tokens"
        return f"pays {amount}{asset} to {_who(p.to, owner)}"
    parts = []
    if p.method == "swap" and p.args and p.args[0] is not None:
        parts.append(f"swaps {p.args[0]}")
    elif p.method:
        parts.append(f"calls {p.method}")
    else:
        parts.append("acts")
    if p.to:
        parts.append(f"on {'you' if p.to == SELF else 'pool ' + p.to}")
    if p.rate is not None and p.args:
        num = p.args[p.rate.num] if p.rate.num < len(p.args) else f"args[{p.rate.num}]"
        den = p.args[p.rate.den] if p.rate.den < len(p.args) else f"args[{p.rate.den}]"
        if (p.rate.num, p.rate.den) == (2, 1):
            label = "a rate (minimum out per unit in)"
        else:
            label = f"args[{p.rate.num}]/args[{p.rate.den}] ({num}/{den})"
        parts.append(f"at {label} of {_CMP[p.rate.cmp]} {_value(p.rate.value)}")
    if p.min_amount is not None:
        parts.append(f"for at least {p.min_amount}")
    return " ".join(parts)


def formula(f: Formula, owner: str) -> str:
    """A condition in words."""
    if isinstance(f, Const):
        return "always" if f.value else "never"
    if isinstance(f, BlockCmp):
        return f"the block number is {_CMP[f.cmp]} {f.value}"
    if isinstance(f, BalanceCmp):
        verb = "hold" if f.account in (SELF, owner) else "holds"
        return f"{_who(f.account, owner)} {verb} {_CMP[f.cmp]} {f.value} {f.asset}"
    if isinstance(f, ViewCmp):
        if f.method == "quote" and len(f.args) >= 2:
            out = f" {f.args[2]}" if len(f.args) >= 3 else ""
            return (
                f"pool {f.contract} quotes {_CMP[f.cmp]} {_value(f.value)}{out} "
                f"for {f.args[1]} {f.args[0]} at the end of the block"
            )
        shown = ", ".join(_arg(x) for x in f.args)
        return f"{f.contract}.{f.method}({shown}) is {_CMP[f.cmp]} {_value(f.value)}"
    if isinstance(f, Finalized):
        return f"the newest final block is {_CMP[f.cmp]} {f.value}"
    if isinstance(f, FinalIncluded):
        within = "" if f.by is None else f" numbered at most {f.by}"
        return f"transaction {f.tx[:16]}... is in a final block{within}"
    if isinstance(f, Fires):
        return f"commitment {f.ref} fires"
    if isinstance(f, FiresAgainst):
        return f"commitment {f.ref} would fire against {f.counterpart}"
    if isinstance(f, Exists):
        who = "someone else"
        if f.pattern.owner:
            who = _who(f.pattern.owner, owner)
        if f.pattern.id:
            who = f"commitment {f.pattern.id}"
        what = _pattern(f.pattern.action, owner) if f.pattern.action else "exists"
        verb = " and it fires" if f.fires else ""
        return f"{who} has a pending commitment that {what}{verb}"
    if isinstance(f, Not):
        return f"not ({formula(f.arg, owner)})"
    if isinstance(f, And):
        return " and ".join(formula(a, owner) for a in f.args) or "always"
    if isinstance(f, Or):
        return " or ".join(f"({formula(a, owner)})" for a in f.args) or "never"
    if isinstance(f, Implies):
        return f"if {formula(f.premise, owner)} then {formula(f.conclusion, owner)}"
    assert isinstance(f, Provable)
    return f"it is provable that {formula(f.arg, owner)}"


def _actions(actions: Sequence[Action], owner: str) -> str:
    return "; then ".join(_action(a, owner) for a in actions)


def render(c: Commitment) -> str:
    """The commitment in plain English, as the person who owns it should read it."""
    owner = c.owner
    lines = [f"{owner} commits (id {c.id}):"]
    if isinstance(c.condition, Const) and c.condition.value:
        when = "At the end of the block it is posted in"
    else:
        when = f"At the end of the first block in which {formula(c.condition, owner)}"
    if c.actions:
        lines.append(f"{when}, {_actions(c.actions, owner)}.")
    else:
        lines.append(f"{when}, nothing is done.")
    if REFS in c.after:
        lines.append(
            "It runs right after the commitment its condition matched, "
            "in the same atomic settlement."
        )
    others = [a for a in c.after if a != REFS]
    if others:
        lines.append(f"It runs after {', '.join(others)} in the same atomic settlement.")
    for r in c.requires:
        if r.min_delta >= 0:
            lines.append(
                f"Only if your {r.asset} balance rises by at least {r.min_delta} over that "
                "settlement; otherwise nothing at all happens."
            )
        else:
            lines.append(
                f"Only if your {r.asset} balance falls by at most {-r.min_delta} over that "
                "settlement; otherwise nothing at all happens."
            )
    lines.append(f"It cannot be withdrawn, and it stays open until block {c.expiry}.")
    if c.otherwise:
        lines.append(f"If it has not fired by then, it will {_actions(c.otherwise, owner)}.")
    else:
        lines.append("If it has not fired by then, nothing happens.")
    if c.bond is not None:
        lines.append(f"You lock a bond of {c.bond.amount} {c.bond.asset} until it settles.")
    return "\n".join(lines)
