"""The router's view of a set of pools: token labels, the float adapter, random networks.

:class:`Network` binds :mod:`accord.mechanisms.cfmm` pools to global token names, and
:func:`float_view` is the one adapter from those exact integer pools to the float arrays
the router's closed forms work on (:mod:`accord.mechanisms.routing.closed_forms`). The
integer math stays in ``cfmm``; nothing here rounds a balance.

:func:`random_network` draws seeded test and benchmark networks: ``m`` pools over about
``2√m`` tokens, connected by a spanning tree, with reserves near a reference price vector
and a controlled mispricing (so there is something to arbitrage).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

from accord.mechanisms.cfmm import BPS, ConstantSumPool, Pool, ProductPool, WeightedPool

Array = NDArray[np.float64]
IntArray = NDArray[np.intp]

__all__ = [
    "FloatView",
    "Group",
    "Network",
    "component",
    "float_view",
    "random_network",
    "reference_prices",
    "subview",
]

KINDS = ("product", "weighted", "constant_sum")


@dataclass(frozen=True, eq=False)
class Network:
    """Pools over named tokens.

    ``tokens`` are the global token names (in order of first appearance unless given);
    ``pool_tokens[p][k]`` is the global index of pool ``p``'s ``k``-th reserve. Each
    pool's names come from its own ``tokens`` field, or from ``labels[p]`` when the pool
    has none (a pool may not carry names that disagree with its label).
    """

    pools: tuple[Pool, ...]
    tokens: tuple[str, ...]
    pool_tokens: tuple[tuple[int, ...], ...]
    _index: dict[str, int] = field(repr=False)

    @classmethod
    def build(
        cls,
        pools: Sequence[Pool],
        labels: Sequence[Sequence[str]] | None = None,
        tokens: Sequence[str] | None = None,
    ) -> Network:
        """A network from pools, their token names, and optionally the token order."""
        pools = tuple(pools)
        if not pools:
            raise ValueError("a network needs at least one pool")
        if labels is not None and len(labels) != len(pools):
            raise ValueError(f"labels has {len(labels)} entries for {len(pools)} pools")
        names: list[str] = list(tokens) if tokens is not None else []
        if len(set(names)) != len(names):
            raise ValueError(f"tokens must be distinct, got {names!r}")
        index = {t: k for k, t in enumerate(names)}
        fixed = tokens is not None
        pool_tokens: list[tuple[int, ...]] = []
        for p, pool in enumerate(pools):
            if not isinstance(pool, ProductPool | WeightedPool | ConstantSumPool):
                raise ValueError(f"pool {p} is a {type(pool).__name__}, not a cfmm pool")
            own = tuple(pool.tokens)
            label = tuple(labels[p]) if labels is not None else ()
            if own and label and own != label:
                raise ValueError(f"pool {p} is named {own!r} but labelled {label!r}")
            local = own or label
            if len(local) != len(pool.reserves):
                raise ValueError(
                    f"pool {p} has {len(pool.reserves)} reserves but {len(local)} token "
                    "names (name them in the pool's tokens field or in labels)"
                )
            if len(set(local)) != len(local):
                raise ValueError(f"pool {p} names a token twice: {local!r}")
            ids = []
            for name in local:
                if not isinstance(name, str):
                    raise ValueError(f"pool {p} has a token name that is not a string")
                if name not in index:
                    if fixed:
                        raise ValueError(f"pool {p} trades unknown token {name!r}")
                    index[name] = len(names)
                    names.append(name)
                ids.append(index[name])
            pool_tokens.append(tuple(ids))
        return cls(pools, tuple(names), tuple(pool_tokens), index)

    def index(self, token: str) -> int:
        """Global index of a token by name (``ValueError`` if unknown)."""
        try:
            return self._index[token]
        except KeyError:
            raise ValueError(f"unknown token {token!r}; the network has {self.tokens!r}") from None

    def __len__(self) -> int:
        return len(self.pools)

    @cached_property
    def view(self) -> FloatView:
        """All pools as float arrays (:func:`float_view`), built once per network."""
        return float_view(self)

    @cached_property
    def first_tokens(self) -> IntArray:
        """Each pool's first token (global index)."""
        return np.array([ids[0] for ids in self.pool_tokens], dtype=np.intp)

    @cached_property
    def token_labels(self) -> IntArray:
        """Each token's connected component (tokens joined by sharing a pool)."""
        n = len(self.tokens)
        src = [ids[0] for ids in self.pool_tokens for _ in ids[1:]]
        dst = [k for ids in self.pool_tokens for k in ids[1:]]
        graph = coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n)).tocsr()
        _, labels = connected_components(graph, directed=False)
        return np.asarray(labels, dtype=np.intp)


@dataclass(frozen=True, eq=False)
class Group:
    """Pools of one kind and arity as float arrays: rows are pools."""

    kind: str
    pools: IntArray  # (g,) indices into Network.pools
    tokens: IntArray  # (g, n) global token indices
    reserves: Array  # (g, n)
    gamma: Array  # (g,)
    shape: Array  # (g, n): normalised weights (weighted), pool prices (constant sum), else 1

    @cached_property
    def log_ratio(self) -> Array:
        """``log(R/shape)``: with ``log ν`` the weighted closed form's ``u = log(Rν/w)``."""
        return np.log(self.reserves / self.shape)

    @cached_property
    def fee_log(self) -> Array:
        """``−log γ``: the width of each pool's no-arbitrage band in log prices."""
        return -np.log(self.gamma)


@dataclass(frozen=True, eq=False)
class FloatView:
    """A network as float groups; ``n_tokens`` global tokens."""

    n_tokens: int
    groups: tuple[Group, ...]

    @cached_property
    def spot_edges(self) -> tuple[IntArray, IntArray, Array]:
        """``(src, dst, step)``, sorted by ``(src, dst)``: one edge per ordered pair of
        tokens sharing a pool (the pool of least index), with ``exp(step)`` the spot
        price of ``dst`` in units of ``src``.

        That is ``(R_a/w_a)/(R_b/w_b)`` (product: ``w = 1``; Balancer's spot price
        without fee) or ``p_b/p_a`` (constant sum), so each column has a log value per
        unit ``lv``, ``log(w/R)`` or ``log p``, and ``step = lv_dst − lv_src``.
        """
        n = self.n_tokens
        src_l: list[IntArray] = []
        dst_l: list[IntArray] = []
        pool_l: list[IntArray] = []
        step_l: list[Array] = []
        for g in self.groups:
            lv = np.log(g.shape) if g.kind == "constant_sum" else -g.log_ratio
            k = g.tokens.shape[1]
            for a in range(k):
                for b in range(k):
                    if a != b:
                        src_l.append(g.tokens[:, a])
                        dst_l.append(g.tokens[:, b])
                        pool_l.append(g.pools)
                        step_l.append(lv[:, b] - lv[:, a])
        if not src_l:
            empty = np.zeros(0, dtype=np.intp)
            return empty, empty, np.zeros(0)
        src, dst = np.concatenate(src_l), np.concatenate(dst_l)
        pool, step = np.concatenate(pool_l), np.concatenate(step_l)
        order = np.lexsort((pool, dst, src))
        key = src[order] * n + dst[order]
        first = order[np.concatenate([[True], key[1:] != key[:-1]])]
        return src[first], dst[first], step[first]

    @cached_property
    def spot_graph(self) -> csr_matrix:
        """The tokens as a directed graph along :attr:`spot_edges`."""
        src, dst, _ = self.spot_edges
        n = self.n_tokens
        return coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n)).tocsr()


def subview(view: FloatView, keep: NDArray[np.bool_]) -> FloatView:
    """The pools of ``view`` with ``keep[pool]`` set (groups left empty are dropped)."""
    groups = []
    for g in view.groups:
        rows = keep[g.pools]
        if rows.all():
            groups.append(g)
        elif rows.any():
            groups.append(
                Group(
                    g.kind,
                    g.pools[rows],
                    g.tokens[rows],
                    g.reserves[rows],
                    g.gamma[rows],
                    g.shape[rows],
                )
            )
    return FloatView(view.n_tokens, tuple(groups))


def component(network: Network, seeds: Sequence[int]) -> tuple[NDArray[np.bool_], set[int]]:
    """``(pools, tokens)`` connected to ``seeds`` through pools: a mask over the pools
    and the set of token indices."""
    labels = network.token_labels
    reached = np.isin(labels, labels[np.asarray(seeds, dtype=np.intp)])
    return reached[network.first_tokens], {int(k) for k in np.flatnonzero(reached)}


def reference_prices(view: FloatView, c: Array) -> Array:
    """``ν₀``: ``c`` on valued tokens, spot prices outwards from them (breadth first).

    Along each edge of the breadth-first tree (:attr:`FloatView.spot_edges`, rooted at a
    virtual token joined to every valued one), ``ν_b = ν_a·exp(step)``. Tokens not
    reached stay 0.
    """
    n = view.n_tokens
    nu = np.where(c > 0, c, 0.0)
    src, dst, step = view.spot_edges
    valued = np.flatnonzero(c > 0)
    if not len(src) or len(valued) == n:
        return nu
    if len(valued) == 1:  # one source: search the network's own graph
        root = int(valued[0])
        graph = view.spot_graph
    else:
        root = n  # a virtual source joined to every valued token
        rows = np.concatenate([src, np.full(len(valued), root)])
        cols = np.concatenate([dst, valued])
        graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n + 1, n + 1)).tocsr()
    reached, pred = breadth_first_order(graph, root, directed=True, return_predecessors=True)
    tree = reached[1:][c[reached[1:]] <= 0]  # tokens reached through a pool, in order
    if len(tree):
        parent = pred[tree]
        at = np.searchsorted(src * n + dst, parent * n + tree)  # edges are sorted by key
        gain = step[at]
        for k, p, s in zip(tree.tolist(), parent.tolist(), gain.tolist(), strict=True):
            nu[k] = nu[p] * math.exp(s)
    return nu


def float_view(network: Network, keep: Sequence[int] | None = None) -> FloatView:
    """The adapter from exact cfmm pools to float arrays (optionally only pools ``keep``).

    Constant-sum pools with an empty reserve keep it (a zero reserve cannot be bought);
    everything else is positive by cfmm's own validation.
    """
    chosen = range(len(network.pools)) if keep is None else keep
    buckets: dict[tuple[str, int], list[int]] = {}
    for p in chosen:
        pool = network.pools[p]
        kind = (
            "product"
            if isinstance(pool, ProductPool)
            else "weighted"
            if isinstance(pool, WeightedPool)
            else "constant_sum"
        )
        buckets.setdefault((kind, len(pool.reserves)), []).append(p)
    groups = []
    for (kind, _n), ids in sorted(buckets.items()):
        pools = [network.pools[p] for p in ids]
        reserves = np.array([[float(r) for r in pool.reserves] for pool in pools])
        gamma = np.array([(BPS - pool.fee_bps) / BPS for pool in pools])
        if kind == "weighted":
            shape = np.array([pool.normalized_weights for pool in pools])  # type: ignore[union-attr]
        elif kind == "constant_sum":
            shape = np.array([[float(x) for x in pool.prices] for pool in pools])  # type: ignore[union-attr]
        else:
            shape = np.ones_like(reserves)
        tokens = np.array([network.pool_tokens[p] for p in ids], dtype=np.intp)
        groups.append(Group(kind, np.array(ids, dtype=np.intp), tokens, reserves, gamma, shape))
    return FloatView(len(network.tokens), tuple(groups))


def random_network(
    rng: np.random.Generator,
    pools: int,
    *,
    tokens: int | None = None,
    kinds: Mapping[str, float] | None = None,
    mispricing: float = 0.05,
    fees_bps: Sequence[int] = (5, 30, 100),
) -> tuple[Network, dict[str, float]]:
    """A seeded random network and the reference prices its pools were drawn around.

    ``pools`` pools over ``tokens`` tokens (default ``max(3, ceil(2√pools))``, capped so
    that a spanning tree fits). ``kinds`` maps a kind (``"product"``, ``"weighted"``,
    ``"constant_sum"``) to its probability (default product and weighted, half each).
    Weighted pools hold 2 to 4 tokens; every pool's reserves are its value split by
    weight at the reference prices, each reserve perturbed by ``exp(mispricing·N(0,1))``.
    The first ``tokens − 1`` pools form a spanning tree, so the network is connected.
    """
    if pools < 1:
        raise ValueError(f"pools must be positive, got {pools}")
    n = tokens if tokens is not None else max(3, math.ceil(2 * math.sqrt(pools)))
    n = min(n, pools + 1)
    if n < 2:
        raise ValueError(f"a network needs at least 2 tokens, got {n}")
    mix = dict(kinds) if kinds is not None else {"product": 0.5, "weighted": 0.5}
    for kind, part in mix.items():
        if kind not in KINDS or part < 0:
            raise ValueError(f"kinds must map {KINDS} to non-negative shares, got {mix!r}")
    names = list(mix)
    probs = np.array([mix[k] for k in names], dtype=float)
    if probs.sum() <= 0:
        raise ValueError("kinds must give some kind a positive share")
    probs /= probs.sum()
    labels = [f"T{k}" for k in range(n)]
    price = np.exp(rng.normal(0.0, 1.5, n))
    decimals = 10.0 ** rng.integers(6, 13, n)  # base units per whole token
    out: list[Pool] = []
    for p in range(pools):
        kind = names[int(rng.choice(len(names), p=probs))]
        size = 2 if kind == "product" else int(rng.integers(2, 5 if kind == "weighted" else 3))
        size = min(size, n)
        if p < n - 1:  # spanning tree: token p+1 joins an earlier token
            first = [p + 1, int(rng.integers(0, p + 1))]
            rest = [k for k in rng.permutation(n).tolist() if k not in first]
            members = first + rest[: size - 2]
        else:
            members = rng.choice(n, size=size, replace=False).tolist()
        value = float(np.exp(rng.normal(13.0, 1.5)))  # the pool's value in reference units
        fee = int(rng.choice(np.asarray(fees_bps)))
        noise = np.exp(mispricing * rng.normal(size=size))
        idx = np.array(members)
        w = rng.integers(1, 9, size)
        share: Array = w / w.sum() if kind == "weighted" else np.full(size, 1.0 / size)
        units = value * share / price[idx] * noise * decimals[idx]
        reserves = tuple(max(int(u), 1000) for u in units)
        local = tuple(labels[k] for k in members)
        if kind == "product":
            out.append(ProductPool(reserves, fee, local))
        elif kind == "weighted":
            out.append(WeightedPool(reserves, tuple(int(x) for x in w), fee, local))
        else:
            # pool prices: value per base unit as ints, on a grid of 1e-6 of the cheapest
            unit_value = price[idx] / decimals[idx] * noise
            grid = unit_value / unit_value.min() * 1e6
            pool_prices = tuple(max(round(float(g)), 1) for g in grid)
            out.append(ConstantSumPool(reserves, fee, pool_prices, local))
    reference = {labels[k]: float(price[k] / decimals[k]) for k in range(n)}
    return Network.build(out), reference
