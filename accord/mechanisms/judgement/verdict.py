"""The jury's verdict on a flagged item: exact rational math for a contract to call.

A **ratio claim** ``(parent, repo_a, repo_b, num, den)`` says "under ``parent``, ``repo_b``
deserves ``num/den`` times the credit of ``repo_a``" (a list's ``x[b]/x[a]``). A juror
answers in the deep-funding form ``(choice, multiplier)``; on the device the multiplier is
an int in hundredths (``multiplier_centi = 250`` is 2.5) so that no float is stored. The
juror's ratio is ``m/100`` if ``choice == 2`` and ``100/m`` if ``choice == 1``: the
exponential of the log-ratio sample ``c`` of :mod:`accord.mechanisms.judgement.data`.

With several jurors the jury's ratio is the **median** of theirs (the lower median for
an even count), so fewer than half of them cannot move it past the honest ones: the
median is the robust aggregate of the deep-funding juries' heavy-tailed multipliers
(the level-1 data range from 1 to 999). The claim **holds** when it is within a factor
``T = tolerance_bps / 10,000`` of the jury's ratio, ``1/T ≤ claim/jury ≤ T``: the
log-ratio error ``|log claim − c| ≤ log T`` of the deep-funding cost. Everything is an
exact :class:`~fractions.Fraction` of ints.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

BPS = 10_000
CENTI = 100

RatioClaim = tuple[str, str, str, int, int]
"""``(parent, repo_a, repo_b, num, den)``: ``x[repo_b] / x[repo_a] = num / den``."""


def check_claim(claim: object) -> RatioClaim:
    """``claim`` if it is a well-formed ratio claim; ``ValueError`` saying what is wrong."""
    if type(claim) is not tuple or len(claim) != 5:
        raise ValueError(f"a ratio claim is (parent, repo_a, repo_b, num, den), got {claim!r}")
    parent, repo_a, repo_b, num, den = claim
    for name, value in (("parent", parent), ("repo_a", repo_a), ("repo_b", repo_b)):
        if type(value) is not str or not value:
            raise ValueError(f"{name} must be a non-empty str, got {value!r}")
    if repo_a == repo_b:
        raise ValueError(f"repo_a and repo_b are the same repo {repo_a!r}")
    for name, value in (("num", num), ("den", den)):
        if type(value) is not int or value <= 0:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    return (parent, repo_a, repo_b, num, den)


def juror_ratio(choice: int, multiplier_centi: int) -> Fraction:
    """``x[b]/x[a]`` as the juror says it (``multiplier_centi ≥ 100``, i.e. ≥ 1)."""
    if choice not in (1, 2) or type(choice) is not int:
        raise ValueError(f"choice must be 1 (repo_a) or 2 (repo_b), got {choice!r}")
    if type(multiplier_centi) is not int or multiplier_centi < CENTI:
        raise ValueError(
            f"multiplier_centi must be an int >= {CENTI} (a multiplier >= 1), "
            f"got {multiplier_centi!r}"
        )
    m = Fraction(multiplier_centi, CENTI)
    return m if choice == 2 else 1 / m


def jury_ratio(ratios: Sequence[Fraction]) -> Fraction:
    """The (lower) median of the jurors' ratios."""
    if not ratios:
        raise ValueError("no juror has answered")
    ordered = sorted(ratios)
    return ordered[(len(ordered) - 1) // 2]


def claim_holds(claim: RatioClaim, ratio: Fraction, tolerance_bps: int) -> bool:
    """Whether the claimed ratio is within a factor ``tolerance_bps / 10,000`` (≥ 1) of
    the jury's ``ratio``."""
    if type(tolerance_bps) is not int or tolerance_bps < BPS:
        raise ValueError(f"tolerance_bps must be an int >= {BPS}, got {tolerance_bps!r}")
    _, _, _, num, den = check_claim(claim)
    t = Fraction(tolerance_bps, BPS)
    q = Fraction(num, den) / ratio
    return 1 / t <= q <= t
