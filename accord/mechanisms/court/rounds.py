"""How many jurors a round has and what it costs: Kleros' fee per juror times jurors.

**Jurors per round.** The first round has ``first`` jurors (3 by default: Kleros v2's
``DEFAULT_NB_OF_JURORS = 3``, the minimum a court's extra data asks for); each appeal
round has ``2n + 1`` where ``n`` is the previous round's (Lesaege, George & Ast, *Kleros*
long paper v2.0.2, 2021, §4.8 "Appeals": ``x_{n+1} = 2 x_n + 1``, so the new jurors
always outnumber all the old ones; KlerosCore ``appealCost``: ``feeForJuror *
((nbVotes * 2) + 1)``; the Classic dispute kit's ``getNextRoundSettings``). Odd counts
keep two-way votes from tying, and the doubling makes each appeal dearer than the
round it appeals. In closed form, round ``r`` (0 the first) has ``n_r = (first + 1) *
2**r - 1`` jurors: 3, 7, 15, 31, 63.

**Costs.** ``arbitration_cost = fee_per_juror * first`` (KlerosCore ``arbitrationCost``:
``feeForJuror * minJurors``) and ``appeal_cost = fee_per_juror * (2n + 1)``: each juror
drawn is paid ``fee_per_juror`` in expectation, and whoever asks for ``m`` jurors pays
for ``m``. Kleros jumps to a parent court past ``jurorsForCourtJump``; this court has no
hierarchy and instead refuses an appeal whose round would exceed its juror cap
(:func:`appeal_possible`).

Everything here is exact integer arithmetic.
"""

from __future__ import annotations

BPS = 10_000
"""Basis points: 10,000 is 1 (Kleros' ``ONE_BASIS_POINT`` / ``ALPHA_DIVISOR``)."""

FIRST_ROUND_JURORS = 3
"""Jurors in a dispute's first round (Kleros' default minimum)."""


def _count(value: object, name: str, low: int = 0) -> int:
    if type(value) is not int or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return value


def next_round_jurors(jurors: int) -> int:
    """``2n + 1``: the jurors of the round that appeals a round of ``jurors``."""
    return 2 * _count(jurors, "jurors", 1) + 1


def jurors_in_round(round_index: int, first: int = FIRST_ROUND_JURORS) -> int:
    """Jurors of round ``round_index`` (0 the first): ``(first + 1) * 2**r - 1``."""
    r = _count(round_index, "round_index")
    n0 = _count(first, "first", 1)
    return (n0 + 1) * (1 << r) - 1


def arbitration_cost(fee_per_juror: int, first: int = FIRST_ROUND_JURORS) -> int:
    """``fee_per_juror * first``: what the arbitrable pays to create a dispute."""
    return _count(fee_per_juror, "fee_per_juror") * _count(first, "first", 1)


def appeal_cost(fee_per_juror: int, jurors: int) -> int:
    """``fee_per_juror * (2 * jurors + 1)``: the fees of the round appealing a round of
    ``jurors`` (KlerosCore ``appealCost``, no court jump)."""
    return _count(fee_per_juror, "fee_per_juror") * next_round_jurors(jurors)


def appeal_possible(jurors: int, max_jurors: int) -> bool:
    """Whether a round of ``jurors`` may be appealed under a cap of ``max_jurors`` per
    round: the next round's ``2n + 1`` must fit."""
    return next_round_jurors(jurors) <= _count(max_jurors, "max_jurors", 1)


def max_rounds(max_jurors: int, first: int = FIRST_ROUND_JURORS) -> int:
    """How many rounds a dispute can have under the cap (1 if even the first round's
    appeal does not fit); ``ValueError`` if the first round itself does not fit."""
    cap = _count(max_jurors, "max_jurors", 1)
    n = _count(first, "first", 1)
    if n > cap:
        raise ValueError(f"max_jurors {cap} is below the first round's {n} jurors")
    rounds = 1
    while 2 * n + 1 <= cap:
        n = 2 * n + 1
        rounds += 1
    return rounds


def total_draws(max_jurors: int, first: int = FIRST_ROUND_JURORS) -> int:
    """Draws over every round a dispute can have: the bound on its settlement's loop."""
    return sum(jurors_in_round(r, first) for r in range(max_rounds(max_jurors, first)))
