"""Distilled human judgement: score lists against a jury, fit credits and weights.

The facade: import from here. A jury says "``b`` deserves ``e^c`` times the credit of
``a``"; the theory (deep funding's cost, the Hodge-rank fit) is in :mod:`.credits`. One
idea per module:

- ``credits``: :func:`score`, :func:`jury_credits` and :func:`fit`.
- ``data``: :class:`Jury` and :class:`Submission`, read from deep-funding CSVs.
- ``fitting``: weights on the simplex, exactly (:func:`fit_geometric`, :func:`fit_linear`).
- ``rewards``: a fit's weights times the pool, in whole units (largest remainder).
- ``sampling``: which pairs to ask a jury, and held-out validation.
- ``verdict``: a challenge's claim checked against a jury's ratio, in integers.
"""

from __future__ import annotations

from accord.mechanisms.judgement.credits import (
    Array,
    Credits,
    Index,
    JudgedFit,
    Pooling,
    cost,
    fit,
    jury_credits,
    laplacian_system,
    pooled_log,
    score,
    shares_from_log,
    solve_log_credits,
)
from accord.mechanisms.judgement.data import (
    Item,
    JudgementInputError,
    Jury,
    Submission,
    check_covers,
    log_matrix,
)
from accord.mechanisms.judgement.fitting import Fit, fit_geometric, fit_linear

__all__ = [
    "Array",
    "Credits",
    "Fit",
    "Index",
    "Item",
    "JudgedFit",
    "JudgementInputError",
    "Jury",
    "Pooling",
    "Submission",
    "check_covers",
    "cost",
    "fit",
    "fit_geometric",
    "fit_linear",
    "jury_credits",
    "laplacian_system",
    "log_matrix",
    "pooled_log",
    "score",
    "shares_from_log",
    "solve_log_credits",
]
