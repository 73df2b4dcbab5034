"""Deep funding with distilled human judgement: the jury-checked market fills the weights.

The deep-funding design (Buterin, "Deep funding", 2024; "AI as the engine, humans as the
steering wheel", 2025) asks an open market of models for the edge weights, checks them
against a small human jury, and pays out through the graph:

1. **Submissions propose weights per parent**: lists ``repo, parent, weight``
   (:class:`~accord.mechanisms.judgement.data.Submission`), each parent's weights being
   the relative credit its children (dependencies) deserve.
2. **The jury checks a sample** of pairs ("``b`` deserves ``e^c`` times ``a``").
3. **The fit combines them** (:func:`accord.mechanisms.judgement.fit`): the simplex
   weights ``λ_j`` over submissions whose pool best fits the jury. The pool is taken as
   the fit takes it: geometric, ``x_i ∝ exp(Σ_j λ_j log share_j(i))`` normalised per
   parent (the deep-funding scoring's log space), or linear, ``x_i = Σ_j λ_j share_j(i)``.
4. **The pooled shares become edges** ``parent → repo`` of weight ``d_p · x_i``, where
   ``d_p`` is the part of the parent's credit that goes to its dependencies at all (its
   ``dependency_share``; ``1 − d_p`` is its originality). The default ``d_p = 1`` fits
   the contest's level-1 parent ``ethereum``, a virtual root that keeps nothing.
5. The judged edges **replace** the judged parents' out-edges in a dependency graph (or
   make a graph of their own), and credit is propagated as usual
   (:func:`accord.mechanisms.deepfund.propagate`); the device contract's
   ``set_dependencies`` takes the same edges as integer units
   (:func:`accord.mechanisms.deepfund.exact.to_units`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from accord.mechanisms.deepfund.graph import Graph, GraphError
from accord.mechanisms.deepfund.propagation import Propagation, propagate
from accord.mechanisms.judgement import JudgedFit, Pooling, fit, pooled_log, shares_from_log
from accord.mechanisms.judgement.data import (
    Item,
    JudgementInputError,
    Jury,
    Submission,
    log_matrix,
)

__all__ = ["JudgedWeights", "judged_propagation", "judged_weights", "with_judged_edges"]


@dataclass(frozen=True)
class JudgedWeights:
    """The fit, the pooled per-parent shares, and the edges they make."""

    fit: JudgedFit
    pooled: dict[Item, float]
    """``(parent, repo) → x``: the pooled list, summing to 1 within each parent."""
    edges: tuple[tuple[str, str, float], ...]
    """``(parent, repo, d_parent · x)``: dependent → dependency, as in the graph CSV."""

    @property
    def parents(self) -> tuple[str, ...]:
        return tuple(sorted({p for p, _ in self.pooled}))


def _items(submissions: Sequence[Submission]) -> tuple[Item, ...]:
    """The items every submission must weigh (the union); a gap names the submission."""
    union = sorted({item for sub in submissions for item in sub.weights})
    for sub in submissions:
        missing = [item for item in union if item not in sub.weights]
        if missing:
            parent, repo = missing[0]
            raise JudgementInputError(
                f"submission {sub.name!r} has no weight for repo {repo!r} under parent "
                f"{parent!r} (every submission must weigh every item the others do; "
                f"{len(missing)} missing)"
            )
    return tuple(union)


def judged_weights(
    jury: Jury,
    submissions: Sequence[Submission],
    *,
    pooling: Pooling = "geometric",
    dependency_share: float | Mapping[str, float] = 1.0,
) -> JudgedWeights:
    """Fit the submissions to the jury, pool them, and turn the pool into edges.

    ``dependency_share`` is one ``d`` for every parent or ``{parent: d}`` (parents not
    listed get 1); each ``d`` must lie in [0, 1].
    """
    judged = fit(jury, submissions, pooling)
    items = _items(submissions)
    logs = log_matrix(submissions, items)
    lam = judged.fit.weights
    if pooling == "geometric":
        pooled = shares_from_log(items, pooled_log(logs, lam))
    else:
        linear = np.exp(logs) @ lam
        pooled = {item: float(v) for item, v in zip(items, linear, strict=True)}
    edges = []
    for (parent, repo), x in sorted(pooled.items()):
        d = (
            dependency_share.get(parent, 1.0)
            if isinstance(dependency_share, Mapping)
            else dependency_share
        )
        if not 0.0 <= d <= 1.0:
            raise GraphError(f"dependency_share of parent {parent!r} must be in [0, 1], got {d!r}")
        if parent == repo:
            raise GraphError(f"submissions weigh {repo!r} as a dependency of itself")
        edges.append((parent, repo, d * x))
    return JudgedWeights(judged, pooled, tuple(edges))


def with_judged_edges(graph: Graph | None, judged: JudgedWeights) -> Graph:
    """``graph`` with every judged parent's out-edges replaced by the judged ones (or a
    graph of the judged edges alone when ``graph`` is ``None``)."""
    parents = set(judged.parents)
    kept = [] if graph is None else [e for e in graph.edges() if e[0] not in parents]
    nodes = () if graph is None else graph.nodes
    return Graph.from_edges([*kept, *judged.edges], nodes=nodes)


def judged_propagation(
    jury: Jury,
    submissions: Sequence[Submission],
    root: str,
    *,
    graph: Graph | None = None,
    pooling: Pooling = "geometric",
    dependency_share: float | Mapping[str, float] = 1.0,
) -> tuple[JudgedWeights, Propagation]:
    """The whole flow: fit, pool, fill the edges, propagate from ``root``."""
    judged = judged_weights(jury, submissions, pooling=pooling, dependency_share=dependency_share)
    return judged, propagate(with_judged_edges(graph, judged), root)
