"""Which pairs the jury sees, and how well jury-only credits predict held-out judgements.

**Sampling.** The jury's attention is the scarce input (Buterin, "AI as the engine,
humans as the steering wheel": humans supply a few high-quality bits). :func:`random_pairs`
draws pairs of items of one parent uniformly; :func:`active_pairs` spends the budget
where the submissions disagree most, i.e. the pairs with the largest variance across
submissions of the predicted log-ratio ``log x_j[b] − log x_j[a]`` (uncertainty
sampling / query by committee, Seung, Opper & Sompolinsky, COLT 1992): a pair every list
agrees on cannot move the fit's weights much.

**Held-out cost.** :func:`held_out_by_juror` leaves each juror out in turn and
:func:`held_out_by_time` trains on everything before a time fold and tests on the fold
(forward chaining), as the data's README asks. Each reports, per split, the mean cost
per held-out sample of the jury-only credits (:func:`~accord.mechanisms.judgement.
solve_log_credits`, min-norm or ridge) and of equal shares (predicting ``c = 0``), the
baseline any list must beat. A held-out pair whose items were never linked in training
is predicted by the min-norm convention (0 between components); ``linked`` counts those
that were.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse.csgraph import connected_components

from accord.mechanisms.judgement.credits import laplacian_system, solve_log_credits
from accord.mechanisms.judgement.data import Item, Jury

Array = npt.NDArray[np.float64]
Index = npt.NDArray[np.intp]


def _by_parent(items: tuple[Item, ...]) -> list[Index]:
    parents = sorted({p for p, _ in items})
    return [
        np.array([i for i, (p, _) in enumerate(items) if p == q], dtype=np.intp) for q in parents
    ]


def random_pairs(items: tuple[Item, ...], n: int, rng: np.random.Generator) -> tuple[Index, Index]:
    """``n`` pairs ``(a, b)`` of distinct items under one parent, the parent drawn in
    proportion to its number of pairs and the pair uniformly within it."""
    groups = [g for g in _by_parent(items) if len(g) >= 2]
    if not groups:
        raise ValueError("no parent has two items to compare")
    pairs = np.array([len(g) * (len(g) - 1) / 2 for g in groups])
    which = rng.choice(len(groups), size=n, p=pairs / pairs.sum())
    a = np.empty(n, dtype=np.intp)
    b = np.empty(n, dtype=np.intp)
    for gi, g in enumerate(groups):
        sel = np.flatnonzero(which == gi)
        i = rng.integers(0, len(g), size=len(sel))
        j = rng.integers(0, len(g) - 1, size=len(sel))
        j = j + (j >= i)  # uniform over the other items
        a[sel], b[sel] = g[i], g[j]
    return a, b


def disagreement(logs: Array, a: Index, b: Index) -> Array:
    """Variance across submissions of ``log x_j[b] − log x_j[a]`` per pair."""
    return np.asarray((logs[b] - logs[a]).var(axis=1), dtype=np.float64)


def active_pairs(
    items: tuple[Item, ...],
    logs: Array,
    n: int,
    rng: np.random.Generator,
    candidates: int = 100_000,
) -> tuple[Index, Index]:
    """The ``n`` pairs (of one parent each) where the submissions disagree most.

    ``logs[i, j] = log x_j[items[i]]``. All pairs are candidates when there are at most
    ``candidates`` of them, otherwise ``candidates`` random pairs; ties go to the
    earlier candidate (a stable sort)."""
    groups = [g for g in _by_parent(items) if len(g) >= 2]
    total = sum(len(g) * (len(g) - 1) // 2 for g in groups)
    if total <= candidates:
        ca, cb = [], []
        for g in groups:
            i, j = np.triu_indices(len(g), k=1)
            ca.append(g[i])
            cb.append(g[j])
        a, b = np.concatenate(ca), np.concatenate(cb)
    else:
        a, b = random_pairs(items, candidates, rng)
    order = np.argsort(-disagreement(logs, a, b), kind="stable")[:n]
    return a[order], b[order]


@dataclass(frozen=True)
class Split:
    """One held-out split: mean cost per test sample of jury-only credits and of equal
    shares, and how many test pairs were linked in the training graph."""

    label: str
    train: int
    test: int
    linked: int
    credits_cost: float
    equal_cost: float


def _evaluate(
    label: str, n: int, a: Index, b: Index, c: Array, train: Index, test: Index, ridge: float
) -> Split:
    y, _ = solve_log_credits(n, a[train], b[train], c[train], ridge)
    lap, _ = laplacian_system(n, a[train], b[train], c[train])
    _, comp = connected_components(lap, directed=False)
    r = y[b[test]] - y[a[test]] - c[test]
    linked = int(np.sum(comp[a[test]] == comp[b[test]]))
    t = len(test)
    return Split(label, len(train), t, linked, float(r @ r) / t, float(c[test] @ c[test]) / t)


def held_out_by_juror(jury: Jury, ridge: float = 0.0) -> list[Split]:
    """Leave-one-juror-out, jurors in sorted order."""
    items, a, b, c = jury.arrays()
    jurors = np.array([s.juror for s in jury.samples])
    out = []
    for juror in sorted(set(jurors.tolist())):
        test = np.flatnonzero(jurors == juror)
        train = np.flatnonzero(jurors != juror)
        out.append(_evaluate(juror, len(items), a, b, c, train, test, ridge))
    return out


def held_out_by_time(jury: Jury, folds: int = 5, ridge: float = 0.0) -> list[Split]:
    """Forward chaining: samples sorted by timestamp (ties by file line) cut into
    ``folds`` equal consecutive blocks; block ``i ≥ 1`` is tested on a fit to blocks
    ``< i``. Labels are the test block's first and last timestamps."""
    if folds < 2:
        raise ValueError(f"folds must be >= 2, got {folds}")
    if folds > len(jury.samples):
        raise ValueError(
            f"folds must be at most the number of samples, {len(jury.samples)} in "
            f"{jury.source}, got {folds} (every time block needs a sample)"
        )
    if any(not s.timestamp for s in jury.samples):
        line = next(s.line for s in jury.samples if not s.timestamp)
        raise ValueError(f"{jury.source} line {line}: no timestamp, cannot split by time")
    items, a, b, c = jury.arrays()
    order = np.array(
        sorted(range(len(jury.samples)), key=lambda i: (jury.samples[i].timestamp, i)),
        dtype=np.intp,
    )
    blocks = np.array_split(order, folds)
    out = []
    for i in range(1, folds):
        train = np.concatenate(blocks[:i])
        test = blocks[i]
        stamps = [jury.samples[j].timestamp for j in test]
        label = f"{min(stamps)[:10]}..{max(stamps)[:10]}"
        out.append(_evaluate(label, len(items), a, b, c, train, test, ridge))
    return out


def pooled(splits: list[Split]) -> tuple[float, float]:
    """Sample-weighted mean costs ``(credits, equal)`` over splits."""
    n = sum(s.test for s in splits)
    return (
        sum(s.credits_cost * s.test for s in splits) / n,
        sum(s.equal_cost * s.test for s in splits) / n,
    )
