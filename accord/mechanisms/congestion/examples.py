"""The standard routing games, with their closed forms.

**Pigou** (Pigou, *The Economics of Welfare*, 1920; Roughgarden & Tardos 2002, §1): one
unit from ``s`` to ``t`` over a link of cost ``x`` and a link of cost 1. The
equilibrium puts everything on the variable link (it never costs more than 1), total
cost 1; the optimum splits ½–½ (marginal costs ``2x = 1``), total cost ¾; PoA = 4/3.

**Braess** (Braess, "Über ein Paradoxon aus der Verkehrsplanung", 1968): one unit from
``s`` to ``t`` via ``a`` (``s→a`` costs ``x``, ``a→t`` costs 1) or ``b`` (``s→b`` costs 1,
``b→t`` costs ``x``). Without the shortcut the equilibrium splits ½–½ at cost 1.5, which
is also optimal. A free shortcut ``a→b`` draws everyone onto ``s→a→b→t`` (each of its
variable links costs at most 1, no more than the constant link it replaces): cost 2.
The optimum ignores the shortcut (cost 1.5), so PoA = 4/3.

**Pigou with a CFMM** (Kulkarni, Diamandis & Chitra, "Routing MEV in Constant Function
Market Makers", WINE 2023, §3, their Pigou example): one unit of value routed through
a constant-product pool of value ``R`` on each side with fee ``1 − γ`` or a link that
loses a fixed fraction ``κ``. With sandwich loss ``η`` (:mod:`.costs`), the pool's
latency is ``c(x) = 1 − (1 − η)γ/(1 + γx/R)`` and its marginal cost ``m(x) = 1 −
(1 − η)γ/(1 + γx/R)²``. Writing ``a = (1 − η)γ/(1 − κ)``:

- equilibrium (``c(x) = κ``): ``x_eq = clip(R(a − 1)/γ, 0, D)``;
- optimum (``m(x) = κ``): ``x_opt = clip(R(√a − 1)/γ, 0, D)``;

and the total costs follow from ``x·c(x) + (D − x)·κ``. The paper's parameters are
``R = 1`` (reserves 1 and 2 of a token worth ½), no fee, ``κ = ½`` (the link pays one
token per unit, worth ½) and ``D = 1``: then ``x_eq = 1 − 2η``, ``x_opt = s − 1`` with
``s = √(2(1 − η))``, the equilibrium cost is ½ for every η, the optimum's is
``s − s²/2`` and ``PoA = 1/(s(2 − s))`` for ``η ≤ ½`` (1 beyond: both send nothing to
the pool): ``(1 + √2)/2 ≈ 1.2071`` at ``η = 0``, falling to 1 at ``η = ½``. MEV *lowers*
the price of anarchy here, as the paper observes: the sandwich makes selfish users
avoid the pool that they over-use without it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from accord.mechanisms.congestion.costs import Affine, Cfmm, constant
from accord.mechanisms.congestion.network import Demand, Edge, Game

__all__ = [
    "CfmmPigou",
    "braess",
    "cfmm_braess",
    "cfmm_pigou",
    "cfmm_pigou_closed_form",
    "pigou",
    "random_affine",
]


def pigou(demand: float = 1.0) -> Game:
    """Pigou's network: ``c = x`` against ``c = 1``."""
    edges = [Edge("s", "t", Affine(0.0, 1.0), "variable"), Edge("s", "t", constant(1.0), "fixed")]
    return Game.build(edges, Demand("s", "t", demand))


def braess(shortcut: bool = True, demand: float = 1.0) -> Game:
    """Braess's network, with or without the free shortcut ``a → b``."""
    edges = [
        Edge("s", "a", Affine(0.0, 1.0), "s-a"),
        Edge("a", "t", constant(1.0), "a-t"),
        Edge("s", "b", constant(1.0), "s-b"),
        Edge("b", "t", Affine(0.0, 1.0), "b-t"),
    ]
    if shortcut:
        edges.append(Edge("a", "b", constant(0.0), "a-b"))
    return Game.build(edges, Demand("s", "t", demand))


def cfmm_pigou(
    *,
    reserve: float = 1.0,
    gamma: float = 1.0,
    link: float = 0.5,
    eta: float = 0.0,
    demand: float = 1.0,
) -> Game:
    """A constant-product pool (value ``reserve`` a side) against a link losing ``link``."""
    edges = [
        Edge("s", "t", Cfmm(reserve, reserve, gamma, eta), "cfmm"),
        Edge("s", "t", constant(link), "link"),
    ]
    return Game.build(edges, Demand("s", "t", demand))


@dataclass(frozen=True)
class CfmmPigou:
    """The closed form of :func:`cfmm_pigou` (module docstring)."""

    x_eq: float
    x_opt: float
    cost_eq: float
    cost_opt: float

    @property
    def poa(self) -> float:
        return self.cost_eq / self.cost_opt

    def value_ratio(self, demand: float) -> float:
        return (demand - self.cost_opt) / (demand - self.cost_eq)


def cfmm_pigou_closed_form(
    *,
    reserve: float = 1.0,
    gamma: float = 1.0,
    link: float = 0.5,
    eta: float = 0.0,
    demand: float = 1.0,
) -> CfmmPigou:
    """Equilibrium and optimum of :func:`cfmm_pigou` in closed form."""
    if not 0.0 <= link < 1.0:
        raise ValueError(f"link must be in [0, 1), got {link}")
    a = (1.0 - eta) * gamma / (1.0 - link)
    x_eq = min(max(reserve * (a - 1.0) / gamma, 0.0), demand)
    x_opt = min(max(reserve * (math.sqrt(a) - 1.0) / gamma, 0.0), demand)

    def cost(x: float) -> float:
        pool = x * (1.0 - (1.0 - eta) * gamma / (1.0 + gamma * x / reserve))
        return pool + (demand - x) * link

    return CfmmPigou(x_eq, x_opt, cost(x_eq), cost(x_opt))


def cfmm_braess(
    *,
    reserve: float = 1.0,
    gamma: float = 1.0,
    link: float = 0.5,
    eta: float = 0.0,
    demand: float = 1.0,
) -> Game:
    """Braess's network with CFMM pools for its variable links and its shortcut.

    ``s→a`` and ``b→t`` are pools of value ``reserve`` a side; ``a→t`` and ``s→b`` links
    losing ``link``; the shortcut ``a→b`` a deep pool (100× ``reserve``) that costs
    little more than its fee: a token hop that selfish users crowd through.
    """
    pool = Cfmm(reserve, reserve, gamma, eta)
    edges = [
        Edge("s", "a", pool, "s-a"),
        Edge("a", "t", constant(link), "a-t"),
        Edge("s", "b", constant(link), "s-b"),
        Edge("b", "t", pool, "b-t"),
        Edge("a", "b", Cfmm(100.0 * reserve, 100.0 * reserve, gamma, eta), "a-b"),
    ]
    return Game.build(edges, Demand("s", "t", demand))


def random_affine(
    rng: np.random.Generator,
    *,
    nodes: int = 5,
    density: float = 0.6,
    demands: int = 1,
) -> Game:
    """A seeded random game with affine costs on a DAG over ``nodes`` nodes.

    Edges ``i → j`` (``i < j``) appear with probability ``density``, plus the chain
    ``0 → 1 → … → n−1`` so every demand has a path; costs ``a + b·x`` with ``a, b``
    uniform on ``[0, 1]`` (some ``a`` or ``b`` set to 0, so constant and linear links
    occur); demands from random earlier to later nodes, amounts uniform on ``[0.1, 2]``.
    """
    if nodes < 2:
        raise ValueError(f"nodes must be at least 2, got {nodes}")
    names = [f"n{k}" for k in range(nodes)]
    edges = []
    for i in range(nodes):
        for j in range(i + 1, nodes):
            if j == i + 1 or rng.random() < density:
                a, b = rng.uniform(0.0, 1.0, 2)
                kind = rng.random()
                a = 0.0 if kind < 0.2 else float(a)
                b = 0.0 if 0.2 <= kind < 0.35 else float(b)
                edges.append(Edge(names[i], names[j], Affine(a, b)))
    wanted = []
    for _ in range(demands):
        i = int(rng.integers(0, nodes - 1))
        j = int(rng.integers(i + 1, nodes))
        wanted.append(Demand(names[i], names[j], float(rng.uniform(0.1, 2.0))))
    return Game.build(edges, wanted)
