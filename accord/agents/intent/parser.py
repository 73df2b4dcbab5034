"""The deterministic parser: the common intents, compiled without a model.

Four forms (case-insensitive; ``→``, ``->``, ``to``, ``for`` and ``into`` all read as
"into"; ``≤`` as ``<=``; an optional tail ``within N blocks`` or ``by block N`` sets the
expiry). Amounts are whole base units, like every amount on the device; a decimal amount
is refused rather than rounded.

===================  ==================================================================
form                 example
===================  ==================================================================
swap                 ``swap 500 A for D`` / ``buy D with 500 A``
limit                ``sell 100 A for at least 150 B``
conditional swap     ``if a swap D→A exists at rate ≤ 1000 A/D, swap 500 A→D``
                     (``…, else route through the best path``)
flash loan           ``lend 1000 A to bob if he returns 1003 A in the same block``
===================  ==================================================================

Each form maps to the canonical intents of :mod:`accord.agents.intents` (Sun et al.,
"Cooperative AI via Decentralized Commitment Devices", 2023). The whole sentence must
match a form: a clause the parser does not understand is never silently dropped. A
sentence in no known form raises :class:`NotRecognised` (the LLM path may try it); a
sentence in a known form that cannot be honoured (the same asset on both sides, no pool
for the pair, a rate in the wrong units) raises :class:`IntentError` with the reason.
"""

from __future__ import annotations

import hashlib
import re
from fractions import Fraction

from accord.agents.intent.context import IntentContext
from accord.agents.intents import swap_if_offer
from accord.device.commitments.build import (
    action_pattern,
    call,
    commitment,
    exists,
    transfer,
    view,
)
from accord.device.commitments.language import Commitment


class IntentError(ValueError):
    """A sentence that cannot become a commitment; the message says why."""


class NotRecognised(IntentError):
    """A sentence in none of the parser's forms."""


FORMS = (
    "swap ('swap 500 A for D'), limit ('sell 100 A for at least 150 B'), conditional swap "
    "('if a swap D→A exists at rate ≤ 1000 A/D, swap 500 A→D[, else route through the "
    "best path]') and flash loan ('lend 1000 A to bob if he returns 1003 A in the same block')"
)


def _amt(name: str) -> str:
    return rf"(?P<{name}>[0-9][0-9,_]*(?:\.[0-9]+)?)"


def _asset(name: str) -> str:
    return rf"(?P<{name}>[A-Za-z][A-Za-z0-9]*)"


_INTO = r"\s*(?:->|\bto\b|\bfor\b|\binto\b)\s*"
_TAIL = r"(?:\s+(?:within\s+(?P<within>[0-9]+)\s+blocks?|by\s+block\s+(?P<by>[0-9]+)))?"
_NAME = r"[A-Za-z][A-Za-z0-9_.-]*"

_LIMIT = re.compile(
    rf"(?:sell|swap|trade)\s+{_amt('amount')}\s+{_asset('sell')}\s+for\s+"
    rf"(?:at\s+least|>=|no\s+less\s+than|a\s+minimum\s+of)\s+{_amt('min')}\s+{_asset('buy')}"
    + _TAIL,
    re.IGNORECASE,
)
_SWAP = re.compile(
    rf"(?:swap|sell|trade|exchange)\s+{_amt('amount')}\s+{_asset('sell')}{_INTO}{_asset('buy')}"
    + _TAIL,
    re.IGNORECASE,
)
_BUY = re.compile(
    rf"buy\s+{_asset('buy')}\s+with\s+{_amt('amount')}\s+{_asset('sell')}" + _TAIL,
    re.IGNORECASE,
)
_CONDITIONAL = re.compile(
    rf"if\s+(?:a|any|some)\s+swap\s+(?:of\s+)?{_asset('tin')}{_INTO}{_asset('tout')}\s+"
    rf"exists\s+at\s+(?:a\s+)?rate\s+(?:<=|of\s+at\s+most|at\s+most|no\s+more\s+than)\s*"
    rf"{_amt('rate')}\s+{_asset('rnum')}\s*(?:/|\bper\b)\s*{_asset('rden')}\s*,?\s+"
    rf"(?:then\s+)?swap\s+{_amt('amount')}\s+{_asset('sell')}{_INTO}{_asset('buy')}"
    r"(?:\s*,?\s+(?:else|otherwise)\s+(?P<otherwise>route\s+(?:it\s+)?through\s+the\s+best\s+"
    r"path|do\s+nothing))?" + _TAIL,
    re.IGNORECASE,
)
_FLASH = re.compile(
    rf"lend\s+{_amt('amount')}\s+{_asset('asset')}\s+to\s+(?P<borrower>{_NAME})\s+if\s+"
    rf"(?:he|she|they|it|(?P<again>{_NAME}))\s+(?:returns?|repays?|pays\s+back)\s+"
    rf"{_amt('back')}\s+{_asset('asset2')}\s+in\s+the\s+same\s+block" + _TAIL,
    re.IGNORECASE,
)


def normalise(sentence: str) -> str:
    """One line, single spaces, ASCII operators, no final full stop."""
    s = sentence.replace("→", "->").replace("≤", "<=").replace("≥", ">=").replace("’", "'")
    s = " ".join(s.split())
    return s.rstrip(".!").strip()


def _int(text: str, what: str) -> int:
    clean = text.replace(",", "").replace("_", "")
    if "." in clean:
        raise IntentError(
            f"{what} {text} is not a whole number: amounts are whole base units, and the "
            "parser never rounds what you said"
        )
    value = int(clean)
    if value <= 0:
        raise IntentError(f"{what} must be positive, got {text}")
    return value


def _ratio(text: str) -> tuple[int, int]:
    value = Fraction(text.replace(",", "").replace("_", ""))
    if value <= 0:
        raise IntentError(f"the rate must be positive, got {text}")
    return value.numerator, value.denominator


def _label(context: IntentContext, sentence: str) -> str:
    if context.label:
        return context.label
    return "intent-" + hashlib.sha256(sentence.lower().encode()).hexdigest()[:8]


def _check_assets(context: IntentContext, *assets: str) -> None:
    if context.assets:
        unknown = [a for a in assets if a not in context.assets]
        if unknown:
            raise IntentError(f"unknown asset {unknown[0]!r} (known: {', '.join(context.assets)})")


def _pair(context: IntentContext, sell: str, buy: str) -> None:
    if sell == buy:
        raise IntentError(f"you would sell and buy the same asset {sell!r}")
    _check_assets(context, sell, buy)


def _expiry(context: IntentContext, m: re.Match[str]) -> int:
    by = m.group("by")
    within = m.group("within")
    expiry = context.expiry(
        within=None if within is None else int(within), by=None if by is None else int(by)
    )
    if expiry < context.block:
        raise IntentError(f"block {expiry} is already past (the intent starts at {context.block})")
    return expiry


def parse(sentence: str, context: IntentContext) -> Commitment:
    """The commitment ``sentence`` says, or :class:`IntentError` / :class:`NotRecognised`."""
    text = normalise(sentence)
    if not text:
        raise IntentError("the sentence is empty")
    for pattern, build in (
        (_CONDITIONAL, _conditional),
        (_FLASH, _flash),
        (_LIMIT, _limit),
        (_SWAP, _swap),
        (_BUY, _swap),
    ):
        m = pattern.fullmatch(text)
        if m is not None:
            return build(m, context, _label(context, text))
    raise NotRecognised(f"'{text}' is not in a form the parser knows; it knows {FORMS}")


def _swap(m: re.Match[str], context: IntentContext, label: str) -> Commitment:
    sell, buy = m.group("sell"), m.group("buy")
    _pair(context, sell, buy)
    amount = _int(m.group("amount"), "the amount")
    expiry = _expiry(context, m)
    owner = context.owner
    pool = context.pool_for(sell, buy)
    if pool is not None:
        action = call(pool, "swap", sell, amount, 1, owner, buy, value={sell: amount})
    elif context.router is not None:
        action = call(
            context.router, "swap_best", sell, amount, buy, 1, owner, value={sell: amount}
        )
    else:
        raise IntentError(f"no pool trades {sell} for {buy} and there is no router")
    return commitment(owner, label, expiry=expiry, actions=[action])


def _limit(m: re.Match[str], context: IntentContext, label: str) -> Commitment:
    sell, buy = m.group("sell"), m.group("buy")
    _pair(context, sell, buy)
    amount = _int(m.group("amount"), "the amount")
    floor = _int(m.group("min"), "the minimum")
    expiry = _expiry(context, m)
    pool = context.pool_for(sell, buy)
    if pool is None:
        raise IntentError(
            f"no pool trades {sell} for {buy} directly: a limit order needs a pool whose "
            "quote the device can check before it swaps"
        )
    owner = context.owner
    return commitment(
        owner,
        label,
        expiry=expiry,
        condition=view(pool, "quote", sell, amount, buy) >= floor,
        actions=[call(pool, "swap", sell, amount, floor, owner, buy, value={sell: amount})],
    )


def _conditional(m: re.Match[str], context: IntentContext, label: str) -> Commitment:
    sell, buy = m.group("sell"), m.group("buy")
    tin, tout = m.group("tin"), m.group("tout")
    _pair(context, sell, buy)
    if (tin, tout) != (buy, sell):
        raise IntentError(
            f"the swap you wait for ({tin}→{tout}) must go the other way from yours "
            f"({sell}→{buy}): only a {buy}→{sell} swap moves the price in your favour"
        )
    if (m.group("rnum"), m.group("rden")) != (sell, buy):
        raise IntentError(
            f"state the rate in {sell} per {buy} (what the other swap receives per unit it "
            f"sells), not {m.group('rnum')}/{m.group('rden')}"
        )
    amount = _int(m.group("amount"), "the amount")
    rate = _ratio(m.group("rate"))
    expiry = _expiry(context, m)
    pool = context.pool_for(sell, buy)
    if pool is None:
        raise IntentError(f"no pool trades {sell} for {buy}: there is no swap to wait for")
    otherwise = (m.group("otherwise") or "").lower()
    router = None
    if otherwise.startswith("route"):
        if context.router is None:
            raise IntentError("'route through the best path' needs a router, and there is none")
        router = context.router
    return swap_if_offer(
        context.owner,
        label,
        pool=pool,
        give=(sell, amount),
        want=buy,
        max_rate=rate,
        expiry=expiry,
        router=router,
    )


def _flash(m: re.Match[str], context: IntentContext, label: str) -> Commitment:
    asset, asset2 = m.group("asset"), m.group("asset2")
    borrower, again = m.group("borrower"), m.group("again")
    if again is not None and again != borrower:
        raise IntentError(f"you lend to {borrower} but name {again} as the one who returns it")
    if asset2 != asset:
        raise IntentError(f"you lend {asset} but expect {asset2} back: a flash loan repays in kind")
    if borrower == context.owner:
        raise IntentError("you cannot lend to yourself")
    _check_assets(context, asset)
    amount = _int(m.group("amount"), "the loan")
    back = _int(m.group("back"), "the repayment")
    if back < amount:
        raise IntentError(f"{borrower} would return {back} {asset}, less than the {amount} lent")
    repays = action_pattern(kind="transfer", asset=asset, to="$self", min_amount=back)
    condition = exists(owner=borrower, action=repays)
    return commitment(
        context.owner,
        label,
        expiry=_expiry(context, m),
        condition=condition,
        actions=[transfer(asset, borrower, amount)],
        requires={asset: back - amount},
    )
