"""Stream trees: money entering a node flows on to its contributors by percentages,
recursively, in exact integers.

Each node ``v`` declares a *stream*: ``{child: bps}`` with every share in basis points
and ``Σ bps ≤ 10,000``; ``v`` keeps the rest. Money entering ``v`` (from outside or from
a parent) is split once over its children and itself; each child does the same with
everything it receives, and so on down. This is the recursive delegation of emission
streams in the Torus network (an agent passes fixed percentages of the emissions it
receives on to the agents it relies on, who may pass them on in turn) and of Drips'
splits (a project splits incoming funds to its dependencies by percentage).

Exactness. A node's whole inflow ``a`` is split at once by the **largest remainder
method** (Hamilton's method, as in proportional seat apportionment): each part is the
floor of its quota ``a · wᵢ / Σw``, and the units left over go one each to the largest
fractional parts, ties to the earlier position (the children in sorted order, then the
node itself). So every split sums exactly to what entered, and the whole flow conserves
money: ``Σ kept == Σ inflow`` (tested by hypothesis). Nodes are visited in topological
order, so a node with several parents splits the sum of what they sent.

Cycles (``a → b → a``) would send money around forever: :func:`topological_order`
rejects them, naming the cycle. A stream to oneself is a cycle of one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction

BPS = 10_000
"""Basis points in one whole."""

Streams = Mapping[str, Mapping[str, int]]
"""``node -> {child: bps}``; nodes without an entry keep everything."""


class StreamError(ValueError):
    """A malformed stream: a bad share, a total over 100 %, or a cycle."""


def largest_remainder(total: int, weights: Sequence[int | Fraction | float]) -> tuple[int, ...]:
    """Split ``total`` in proportion to ``weights`` into ints that sum to ``total``.

    Hamilton's method: ``⌊total · wᵢ / Σw⌋`` each, then one more unit to each of the
    ``total − Σ floors`` largest remainders (ties: lower index first). Weights are
    non-negative ints, Fractions or finite floats (a float is taken at its exact binary
    value, so the result does not depend on float rounding beyond the weights
    themselves). ``ValueError`` if ``total < 0``, a weight is bad, or all are zero.
    """
    if type(total) is not int or total < 0:
        raise ValueError(f"total must be a non-negative int, got {total!r}")
    exact: list[Fraction] = []
    for i, w in enumerate(weights):
        if isinstance(w, bool) or not isinstance(w, (int, Fraction, float)):
            raise ValueError(f"weight {i} must be a number, got {w!r}")
        if isinstance(w, float) and not math.isfinite(w):
            raise ValueError(f"weight {i} must be finite, got {w!r}")
        if w < 0:
            raise ValueError(f"weight {i} must be >= 0, got {w!r}")
        exact.append(Fraction(w))
    whole = sum(exact, Fraction(0))
    if whole == 0:
        raise ValueError("cannot split by weights that are all zero")
    quotas = [total * w / whole for w in exact]
    parts = [math.floor(x) for x in quotas]
    left = total - sum(parts)
    order = sorted(range(len(parts)), key=lambda i: (-(quotas[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return tuple(parts)


def check_stream(node: str, stream: Mapping[str, int]) -> dict[str, int]:
    """``stream`` as a sorted dict if every share is valid, else :class:`StreamError`."""
    if not isinstance(node, str) or not node:
        raise StreamError(f"node must be a non-empty str, got {node!r}")
    for child in stream:  # before sorting: names of mixed types do not sort
        if type(child) is not str or not child:
            raise StreamError(f"stream of {node}: child must be a non-empty str, got {child!r}")
    out: dict[str, int] = {}
    for child in sorted(stream):
        bps = stream[child]
        if type(bps) is not int or not 0 < bps <= BPS:
            raise StreamError(f"stream of {node}: share to {child} must be an int in (0, {BPS}]")
        out[child] = bps
    total = sum(out.values())
    if total > BPS:
        raise StreamError(f"stream of {node} sends {total} bps, more than {BPS} (100 %)")
    return out


def topological_order(streams: Streams) -> list[str]:
    """Every node named in ``streams``, parents before children (ties: sorted by name).

    Raises :class:`StreamError` naming a cycle (``cycle in streams: a -> b -> a``) or
    a malformed share.
    """
    graph = {v: check_stream(v, s) for v, s in streams.items()}
    nodes = sorted(set(graph) | {c for s in graph.values() for c in s})
    state: dict[str, int] = {}  # 1 on the path, 2 done
    order: list[str] = []
    for start in nodes:
        if state.get(start):
            continue
        path: list[str] = [start]
        iters = [iter(sorted(graph.get(start, {})))]
        state[start] = 1
        while path:
            child = next(iters[-1], None)
            if child is None:
                state[path[-1]] = 2
                order.append(path.pop())
                iters.pop()
            elif state.get(child) == 1:
                cycle = [*path[path.index(child) :], child]
                raise StreamError(f"cycle in streams: {' -> '.join(cycle)}")
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                iters.append(iter(sorted(graph.get(child, {}))))
    order.reverse()
    return order


def flow(streams: Streams, inflow: Mapping[str, int]) -> dict[str, int]:
    """What each node finally keeps when ``inflow[v]`` base units enter at each ``v``.

    Every node that receives anything appears in the result (with what it keeps, which
    may be 0). ``Σ result == Σ inflow`` exactly.
    """
    for v, a in inflow.items():
        if type(a) is not int or a < 0:
            raise StreamError(f"inflow to {v!r} must be a non-negative int, got {a!r}")
    graph = {v: check_stream(v, s) for v, s in streams.items()}
    order = topological_order(graph)
    position = {v: k for k, v in enumerate(order)}
    extra = sorted(set(inflow) - set(position))
    received: dict[str, int] = dict.fromkeys(inflow, 0)
    for v, a in inflow.items():
        received[v] += a
    kept: dict[str, int] = {}
    for v in [*order, *extra]:
        amount = received.get(v)
        if amount is None:
            continue
        stream = graph.get(v, {})
        children = list(stream)
        rest = BPS - sum(stream.values())
        if not children or amount == 0:
            kept[v] = amount
            continue
        parts = largest_remainder(amount, [*stream.values(), rest])
        for child, part in zip(children, parts, strict=False):
            received[child] = received.get(child, 0) + part
        kept[v] = parts[-1]
    return kept


def shares(streams: Streams, root: str) -> dict[str, Fraction]:
    """The exact fraction of money entering ``root`` that each node keeps (before
    rounding): the sum over paths of the products of the shares."""
    graph = {v: check_stream(v, s) for v, s in streams.items()}
    order = topological_order(graph)
    mass: dict[str, Fraction] = {root: Fraction(1)}
    out: dict[str, Fraction] = {}
    for v in order if root in order else [root]:
        m = mass.get(v)
        if m is None:
            continue
        stream = graph.get(v, {})
        for child, bps in stream.items():
            mass[child] = mass.get(child, Fraction(0)) + m * Fraction(bps, BPS)
        out[v] = m * Fraction(BPS - sum(stream.values()), BPS)
    return out
