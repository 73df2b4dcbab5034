"""Exact rational propagation for integer edge weights: the math of the on-device contract.

A device contract cannot take floats (its arguments are canonical values) and must give
the same answer on every machine, so on the device an edge's weight is an integer number
of *units* out of a ``scale`` (``w_ij = units_ij / scale``), and the propagation of
:mod:`accord.mechanisms.deepfund` (``(I − Wᵀ) s = e_root``, ``share_i = o_i s_i``) is
solved in exact rational arithmetic (:class:`fractions.Fraction`):

1. the nodes the root reaches are split into strongly connected components (Tarjan,
   "Depth-first search and linear graph algorithms", SIAM J. Comput. 1972), which come
   out sinks first; taken in reverse, each component's inflow is final before it is
   solved;
2. a component of one node passes its inflow on as it is (``s_i = inflow_i``); a cycle
   of ``k`` nodes solves its ``k × k`` block of ``(I − Wᵀ) s = inflow`` by Gaussian
   elimination over the rationals. A zero pivot means the block is singular: a closed
   cycle that keeps nothing, named in the error;
3. each node passes ``s_i · w_ij`` to its dependencies outside its component.

The shares then sum to exactly 1, so :func:`~accord.mechanisms.deepfund.payouts.
largest_remainder` over them splits an amount with no approximation at all.

**Work, charged before it runs.** The work is ``O(edges + Σ k³)`` rational operations, and
each operation costs more as its numbers grow (a chain of depth ``d`` has denominators
``scale^d``; a dense cycle's eliminations grow entries to thousands of bits): a 60-node
dense cycle at ``scale = 10^18`` takes seconds. :func:`exact_shares` takes a ``charge``
callback (the contract's ``ctx.use_gas`` times its gas per unit) and calls it, in work
units of about half a microsecond (:func:`fraction_op_work`):

1. before the graph walk, one unit per node and edge it is given;
2. before any rational arithmetic, the structural bound: :data:`FRACTION_OP_WORK` per
   edge, per node and per operation of every cycle's elimination (``k²(k+1) + k²``),
   computed from the components alone, so a graph whose cycles are too large to pay for
   fails before the first elimination;
3. before each operation (or each row of ``k + 1`` of them), its size surcharge
   ``⌈bits/64⌉²/2``, ``bits`` the largest bit length among its operands (the row's
   largest entry), known exactly just before it.

So the gas is deterministic (it depends only on the graph), paid before the work it pays
for, and proportional to the work actually done. :func:`payout_work` bounds the payout
split (common denominator and largest remainder) the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from accord.mechanisms.deepfund.graph import Graph, GraphError
from accord.mechanisms.deepfund.payouts import float_weights, largest_remainder

UnitEdge = tuple[str, str, int]
"""``(source, target, units)``: ``source`` passes ``units / scale`` of its credit on."""

Adjacency = dict[str, tuple[tuple[str, int], ...]]

__all__ = [
    "Adjacency",
    "ExactSplit",
    "UnitEdge",
    "adjacency",
    "closed_cycles",
    "exact_shares",
    "fraction_op_work",
    "payout_work",
    "to_units",
]

FRACTION_OP_WORK = 8
"""Work units of one rational operation on small numbers (measured: ~3 µs for ``x − f·y``
with ``Fraction`` operands of a few words; a unit is ~0.5 µs)."""

Charge = Callable[[int], object]
"""Called with work units before the work they measure (raises to stop it)."""


def fraction_op_work(bits: int) -> int:
    """Work units of one rational operation (``x − f·y``, ``x/h``) whose operands have at
    most ``bits`` bits in numerator and denominator: :data:`FRACTION_OP_WORK` plus ``w²/2``
    for ``w = ⌈bits/64⌉`` words (schoolbook products and Euclid's gcd are quadratic in the
    words; measured at ~0.16·w² µs, i.e. ~0.32·w² units, e.g. 0.6 ms at 4,096 bits)."""
    return FRACTION_OP_WORK + _surcharge(bits)


def _surcharge(bits: int) -> int:
    w = -(-bits // 64)
    return w * w // 2


def _bits(x: Fraction) -> int:
    return max(x.numerator.bit_length(), x.denominator.bit_length())


def _row_bits(row: Sequence[Fraction]) -> int:
    return max(map(_bits, row), default=0)


def _free(work: int) -> None:
    pass


def payout_work(shares: Iterable[Fraction], amount: int) -> int:
    """Work units of splitting ``amount`` over ``shares`` (:func:`~accord.mechanisms.
    deepfund.payouts.fraction_weights` and ``largest_remainder``): each share is scaled to
    the common denominator, whose bits are at most the sum of the denominators' bits, then
    multiplied by ``amount`` and divided by the total: one operation per share at that
    size, bounded before any of it runs."""
    values = list(shares)
    bits = sum(f.denominator.bit_length() for f in values) + amount.bit_length() + 64
    return len(values) * 3 * fraction_op_work(bits)


@dataclass(frozen=True)
class ExactSplit:
    shares: dict[str, Fraction]
    """Every reached node's share ``o_i s_i``, the root first; they sum to exactly 1."""
    work: int
    """Work units charged (and done): the structural bound and every size surcharge."""


def adjacency(edges: Iterable[UnitEdge], scale: int) -> Adjacency:
    """Validate unit edges and group them by source; errors name the edge.

    ``scale`` is a positive int; units are positive ints; no self-loops, no edge twice,
    and each source's units sum to at most ``scale`` (the rest is its originality).
    """
    if type(scale) is not int or scale <= 0:
        raise GraphError(f"scale must be a positive int, got {scale!r}")
    out: dict[str, dict[str, int]] = {}
    total: dict[str, int] = {}
    for k, edge in enumerate(edges):
        if not (isinstance(edge, tuple) and len(edge) == 3):
            raise GraphError(f"edge {k} must be (source, target, units), got {edge!r}")
        source, target, units = edge
        for what, name in (("source", source), ("target", target)):
            if type(name) is not str or not name:
                raise GraphError(f"edge {k}: {what} must be a non-empty name, got {name!r}")
        if type(units) is not int or units <= 0:
            raise GraphError(
                f"edge {k} ({source!r} → {target!r}): units must be a positive int, got {units!r}"
            )
        if source == target:
            raise GraphError(f"edge {k}: self-loop {source!r} → itself")
        targets = out.setdefault(source, {})
        if target in targets:
            raise GraphError(f"edge {k}: duplicate edge {source!r} → {target!r}")
        targets[target] = units
        total[source] = total.get(source, 0) + units
        if total[source] > scale:
            raise GraphError(
                f"edge {k}: source {source!r}'s units sum to {total[source]} > scale {scale}"
            )
    return {s: tuple(t.items()) for s, t in out.items()}


def exact_shares(
    adj: Mapping[str, Sequence[tuple[str, int]]],
    scale: int,
    root: str,
    charge: Charge | None = None,
) -> ExactSplit:
    """Exact shares of one unit of credit entering ``root`` (see the module docstring);
    ``charge`` is called with work units before the work they measure."""
    spent = [0]

    def pay(work: int) -> None:
        if work:
            (charge or _free)(work)
            spent[0] += work

    pay(1 + len(adj) + sum(len(out) for out in adj.values()))  # the walk and Tarjan
    order = _reach(adj, root)
    components = _tarjan(adj, order)
    edges = sum(len(adj.get(node, ())) for node in order)
    cycles = sum(k * k * (k + 1) + k * k for k in map(len, components) if k > 1)
    pay(FRACTION_OP_WORK * (edges + len(order) + cycles))  # before any rational operation
    scale_bits = scale.bit_length()
    inflow: dict[str, Fraction] = {root: Fraction(1)}
    shares: dict[str, Fraction] = {}
    for comp in reversed(components):  # upstream first
        members = set(comp)
        if len(comp) == 1:
            flow = {comp[0]: inflow.get(comp[0], Fraction(0))}
        else:
            flow = _solve_cycle(adj, comp, members, inflow, scale, pay)
        for node in comp:
            s = flow[node]
            s_bits = _bits(s) + scale_bits
            kept = scale
            for target, units in adj.get(node, ()):
                kept -= units
                if target not in members:
                    was = inflow.get(target, Fraction(0))
                    pay(_surcharge(max(s_bits, _bits(was))))
                    inflow[target] = was + s * units / scale
            pay(_surcharge(s_bits))
            shares[node] = s * kept / scale
    ordered = {root: shares[root]}
    ordered.update((k, v) for k, v in shares.items() if k != root)
    return ExactSplit(ordered, spent[0])


def _reach(adj: Mapping[str, Sequence[tuple[str, int]]], root: str) -> list[str]:
    seen = {root: None}
    stack = [root]
    while stack:
        node = stack.pop()
        for target, _ in adj.get(node, ()):
            if target not in seen:
                seen[target] = None
                stack.append(target)
    return list(seen)


def _tarjan(adj: Mapping[str, Sequence[tuple[str, int]]], nodes: list[str]) -> list[list[str]]:
    """Strongly connected components, sinks first (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for start in nodes:
        if start in index:
            continue
        work = [(start, 0)]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, i = work[-1]
            edges = adj.get(node, ())
            if i < len(edges):
                work[-1] = (node, i + 1)
                target = edges[i][0]
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                components.append(comp)
    return components


def _solve_cycle(
    adj: Mapping[str, Sequence[tuple[str, int]]],
    comp: list[str],
    members: set[str],
    inflow: Mapping[str, Fraction],
    scale: int,
    pay: Callable[[int], None],
) -> dict[str, Fraction]:
    """Solve ``s_j − Σ_{i∈C} w_ij s_i = inflow_j`` for ``j ∈ C`` exactly (Gauss–Jordan;
    ``pay`` is called with each row operation's size surcharge before it)."""
    k = len(comp)
    pos = {node: p for p, node in enumerate(comp)}
    a = [
        [Fraction(int(p == q)) for q in range(k)] + [inflow.get(comp[p], Fraction(0))]
        for p in range(k)
    ]
    for node in comp:
        for target, units in adj.get(node, ()):
            if target in members:
                a[pos[target]][pos[node]] -= Fraction(units, scale)
    for col in range(k):
        pivot = next((r for r in range(col, k) if a[r][col] != 0), None)
        if pivot is None:
            shown = ", ".join(repr(x) for x in sorted(comp)[:5]) + (" …" if k > 5 else "")
            raise GraphError(
                f"singular graph: the cycle through {shown} ({k} nodes) keeps nothing, "
                "so credit entering it never settles"
            )
        a[col], a[pivot] = a[pivot], a[col]
        head = a[col][col]
        pay((k + 1) * _surcharge(max(_row_bits(a[col]), _bits(head))))
        row = [x / head for x in a[col]]
        a[col] = row
        row_bits = _row_bits(row)
        for r in range(k):
            if r != col and a[r][col] != 0:
                f = a[r][col]
                pay((k + 1) * _surcharge(max(_row_bits(a[r]), _bits(f), row_bits)))
                a[r] = [x - f * y for x, y in zip(a[r], row, strict=True)]
    return {comp[p]: a[p][k] for p in range(k)}


def to_units(graph: Graph, scale: int) -> list[UnitEdge]:
    """A float-weighted graph as unit edges out of ``scale``, each source's total exact.

    Parallel edges are merged (their weights add). Source ``i`` gets ``T_i = min(scale,
    round(scale · Σ_j w_ij))`` units in all, split among its edges by
    :func:`largest_remainder` over their (exact) float weights; so each edge is within one
    unit of ``scale · w_ij``. Edges rounded to 0 units are dropped.
    """
    if type(scale) is not int or scale <= 0:
        raise GraphError(f"scale must be a positive int, got {scale!r}")
    names = graph.nodes
    out: dict[int, dict[int, float]] = {}
    for s, t, w in zip(graph.src.tolist(), graph.dst.tolist(), graph.weight.tolist(), strict=True):
        targets = out.setdefault(s, {})
        targets[t] = targets.get(t, 0.0) + w
    edges: list[UnitEdge] = []
    for s, targets in out.items():
        total = min(scale, round(scale * graph.out_weight[s]))
        weights = float_weights(list(targets.values()))
        units = largest_remainder(total, weights) if any(weights) else [0] * len(weights)
        edges.extend((names[s], names[t], u) for t, u in zip(targets, units, strict=True) if u)
    return edges


def closed_cycles(adj: Mapping[str, Sequence[tuple[str, int]]], scale: int) -> list[list[str]]:
    """Cycles that keep nothing, exactly: strongly connected sets of two or more nodes in
    which every node sends all ``scale`` of its units to other members. Credit entering
    one never settles (the system is singular), so a contract refuses such a graph."""
    nodes = list(dict.fromkeys([*adj, *(t for edges in adj.values() for t, _ in edges)]))
    bad = []
    for comp in _tarjan(adj, nodes):
        if len(comp) < 2:
            continue
        members = set(comp)
        if all(sum(u for t, u in adj.get(x, ()) if t in members) == scale for x in comp):
            bad.append(sorted(comp))
    return bad
