"""DeepFund: funding a node of a dependency graph pays its dependencies, exactly.

The contract holds a deep-funding dependency graph on the device: every node (a
project) has a **maintainer** address, and every edge ``source → target`` an integer
weight in *units* out of ``scale`` (the part of the credit reaching ``source`` that
belongs to ``target``). :meth:`DeepFund.fund` takes an amount of the contract's asset
sent with the call for a node and, in the same transaction, pays **every node the
funding reaches** its share:

    share_i = o_i · s_i,    (I − Wᵀ) s = e_node,    o_i = 1 − Σ_j w_ij,

the sum over all paths from the funded node to ``i`` of the products of the weights,
times ``i``'s originality (:mod:`accord.mechanisms.deepfund`). So the funded node's own
maintainer keeps its originality share, and the rest reaches its dependencies, their
dependencies, and so on, cycles included. The shares are computed in exact rational
arithmetic (:mod:`accord.mechanisms.deepfund.exact`) and the amount is split among the
maintainers by the largest-remainder method over them
(:func:`~accord.mechanisms.deepfund.payouts.largest_remainder`, ties to the first node
by name): the payouts are whole base units, sum to the amount exactly, and each is the
floor or the ceiling of its exact quota. Nothing stays in the contract.

A graph in which some cycle keeps nothing (every member passes all its credit to the
others) is refused at deployment and on every change, since credit entering it would
never settle. The ``governor`` (``""`` for nobody, ever) may add nodes and replace a
node's dependencies, e.g. after a distilled-judgement round; a maintainer may hand its
payout address on. Gas: besides the storage reads and one transfer per paid maintainer,
``WORK_GAS`` per unit of the rational work (edges visited, eliminations in cycles, each
by the size of its numbers), charged before each part of it runs
(:mod:`accord.mechanisms.deepfund.exact`).
See ``docs/contracts/deepfund.md``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from accord.device import Context, Contract, Map, Revert, Var, public
from accord.mechanisms.deepfund.exact import adjacency, closed_cycles, exact_shares, payout_work
from accord.mechanisms.deepfund.graph import GraphError
from accord.mechanisms.deepfund.payouts import fraction_weights, largest_remainder

WORK_GAS = 50
"""Gas per unit of exact-propagation work (:func:`~accord.mechanisms.deepfund.exact.
fraction_op_work`: a unit is about half a microsecond, the step meter's 100 gas per µs)."""

Deps = tuple[tuple[str, int], ...]
Payouts = tuple[tuple[str, int], ...]


def _name(value: object, what: str) -> str:
    if type(value) is not str or not value:
        raise Revert(f"{what} must be a non-empty str, got {value!r}")
    return value


class DeepFund(Contract):
    """A dependency graph with maintainers; funding a node pays everyone it reaches."""

    asset: Var[str] = Var("")
    scale: Var[int] = Var(0)
    governor: Var[str] = Var("")
    maintainers: Map[str] = Map("")
    deps: Map[Deps] = Map(())
    received: Map[int] = Map(0)
    """Node → total paid to its maintainer."""
    funded: Map[int] = Map(0)
    """Node → total funded into it."""

    def setup(
        self,
        ctx: Context,
        asset: str,
        scale: int,
        maintainers: tuple[tuple[str, str], ...],
        edges: tuple[tuple[str, str, int], ...],
        governor: str = "",
    ) -> None:
        """``asset`` paid out; weights in units of ``1/scale``; ``(node, maintainer)``
        for every node; ``(source, target, units)`` edges; the ``governor``."""
        self.asset = _name(asset, "asset")
        if type(scale) is not int or scale <= 0:
            raise Revert(f"scale must be a positive int, got {scale!r}")
        self.scale = scale
        if type(governor) is not str:
            raise Revert(f"governor must be an address or '', got {governor!r}")
        self.governor = governor
        if type(maintainers) is not tuple or type(edges) is not tuple:
            raise Revert("maintainers and edges must be tuples")
        known: dict[str, str] = {}
        for k, pair in enumerate(maintainers):
            if type(pair) is not tuple or len(pair) != 2:
                raise Revert(f"maintainers[{k}] must be (node, address), got {pair!r}")
            node = _name(pair[0], f"maintainers[{k}] node")
            if node in known:
                raise Revert(f"maintainers[{k}]: node {node!r} listed twice")
            known[node] = _name(pair[1], f"maintainers[{k}] address")
        adj = self._checked_graph(edges, scale, known)
        for node, address in known.items():
            self.maintainers[node] = address
        for node, out in adj.items():
            self.deps[node] = out

    @staticmethod
    def _checked_graph(edges: Any, scale: int, known: dict[str, str]) -> dict[str, Deps]:
        try:
            adj = adjacency(edges, scale)
        except GraphError as exc:
            raise Revert(str(exc)) from None
        for source, out in adj.items():
            for node in (source, *(t for t, _ in out)):
                if node not in known:
                    raise Revert(f"node {node!r} has no maintainer: list it in maintainers")
        cycles = closed_cycles(adj, scale)
        if cycles:
            raise Revert(
                f"the cycle through {', '.join(map(repr, cycles[0]))} keeps nothing: every "
                "member passes all its credit to the others, so funds entering it never settle"
            )
        return adj

    # -- funding -----------------------------------------------------------------------
    def _split(self, ctx: Context, node: str, amount: int) -> Payouts:
        """The payouts of ``amount`` funded into ``node`` (no transfer)."""
        if not self.maintainers[node]:
            raise Revert(f"unknown node {node!r}")
        adj: dict[str, Deps] = {}
        stack = [node]
        while stack:  # load the reached part of the graph once
            x = stack.pop()
            if x in adj:
                continue
            out = self.deps[x]
            adj[x] = out
            stack.extend(t for t, _ in out if t not in adj)
        scale = self.scale
        try:  # charged as it goes, each part before it runs (the mechanism's docstring)
            split = exact_shares(adj, scale, node, lambda work: ctx.use_gas(WORK_GAS * work))
        except GraphError as exc:  # unreachable: cycles are refused on every change
            raise Revert(str(exc)) from None
        ctx.use_gas(WORK_GAS * payout_work(split.shares.values(), amount))
        names = sorted(split.shares)
        shares: list[Fraction] = [split.shares[x] for x in names]
        parts = largest_remainder(amount, fraction_weights(shares))
        return tuple((x, p) for x, p in zip(names, parts, strict=True) if p)

    @public
    def fund(self, ctx: Context, node: str) -> Payouts:
        """Pay the asset sent with this call out over ``node``'s dependency graph.

        Returns ``((node, amount), …)`` for every maintainer paid, by node name.
        """
        _name(node, "node")
        asset = self.asset
        sent = dict(ctx.value)
        amount = sent.pop(asset, 0)
        if sent:
            raise Revert(f"only {asset} funds this graph, got {sorted(sent)}")
        if amount <= 0:
            raise Revert(f"send a positive amount of {asset} with the call to fund {node!r}")
        payouts = self._split(ctx, node, amount)
        for x, part in payouts:
            ctx.transfer(asset, self.maintainers[x], part)
            self.received[x] += part
        self.funded[node] += amount
        ctx.emit("Funded", node=node, amount=amount, paid=len(payouts))
        return payouts

    # -- governance --------------------------------------------------------------------
    def _governor_only(self, ctx: Context) -> None:
        governor = self.governor
        if not governor or ctx.sender != governor:
            raise Revert(f"only the governor may change the graph (governor: {governor!r})")

    @public
    def add_node(self, ctx: Context, node: str, maintainer: str) -> None:
        """The governor: register a new node (no dependencies yet) and its maintainer."""
        self._governor_only(ctx)
        _name(node, "node")
        if self.maintainers[node]:
            raise Revert(f"node {node!r} already exists")
        self.maintainers[node] = _name(maintainer, "maintainer")
        ctx.emit("NodeAdded", node=node, maintainer=maintainer)

    @public
    def set_dependencies(self, ctx: Context, node: str, deps: tuple[tuple[str, int], ...]) -> None:
        """The governor: replace ``node``'s dependencies by ``((target, units), …)``."""
        self._governor_only(ctx)
        _name(node, "node")
        if not self.maintainers[node]:
            raise Revert(f"unknown node {node!r}")
        if type(deps) is not tuple:
            raise Revert(f"deps must be a tuple of (target, units), got {deps!r}")
        for k, dep in enumerate(deps):
            if type(dep) is not tuple or len(dep) != 2:
                raise Revert(f"deps[{k}] must be (target, units), got {dep!r}")
        # the whole graph with the change, checked for unknown nodes and dead cycles
        known = {x: a for x, a in self.maintainers.items()}
        edges = [(s, t, u) for s, out in self.deps.items() if s != node for t, u in out]
        edges.extend((node, t, u) for t, u in deps)
        ctx.use_gas(WORK_GAS * len(edges))
        adj = self._checked_graph(tuple(edges), self.scale, known)
        self.deps[node] = adj.get(node, ())
        ctx.emit("DependenciesSet", node=node, deps=self.deps[node])

    @public
    def set_maintainer(self, ctx: Context, node: str, maintainer: str) -> None:
        """A node's maintainer: hand its payouts on to another address."""
        _name(node, "node")
        current = self.maintainers[node]
        if not current:
            raise Revert(f"unknown node {node!r}")
        if ctx.sender != current:
            raise Revert(f"only {node!r}'s maintainer may change it")
        self.maintainers[node] = _name(maintainer, "maintainer")
        ctx.emit("MaintainerSet", node=node, maintainer=maintainer)

    @public
    def renounce_governor(self, ctx: Context) -> None:
        """The governor: give up governance; the graph is frozen from now on."""
        self._governor_only(ctx)
        self.governor = ""

    # -- views -------------------------------------------------------------------------
    @public
    def quote(self, ctx: Context, node: str, amount: int) -> Payouts:
        """What funding ``node`` with ``amount`` would pay, by node (nothing moves)."""
        _name(node, "node")
        if type(amount) is not int or amount <= 0:
            raise Revert(f"amount must be a positive int in base units, got {amount!r}")
        return self._split(ctx, node, amount)

    @public
    def maintainer(self, ctx: Context, node: str) -> str:
        return self.maintainers[node]

    @public
    def dependencies(self, ctx: Context, node: str) -> Deps:
        return self.deps[node]

    @public
    def total_received(self, ctx: Context, node: str) -> int:
        """Everything paid to ``node``'s maintainer(s) so far."""
        return self.received[node]

    @public
    def total_funded(self, ctx: Context, node: str) -> int:
        """Everything funded into ``node`` so far."""
        return self.funded[node]
