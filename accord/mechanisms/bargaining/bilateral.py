"""Bilateral trade with private values: the six mechanisms, each a small frozen spec.

A buyer values the good at ``v ~ F_B`` and its seller's cost is ``c ~ F_S``, each known
only to its holder (Myerson & Satterthwaite 1983). Trade creates ``v - c``; the first
best trades iff ``v ≥ c``. Myerson and Satterthwaite's theorem: when the supports
overlap, no mechanism that is incentive compatible (IC), individually rational (IR) and
budget balanced (BB) reaches the first best; the best such one is :class:`SecondBest`.

Each spec below is the mechanism's rule in a few numbers; ``bind(buyer, seller)`` turns
it into a :class:`~.bilateral_rule.Rule` under the priors (the play it is evaluated at,
the second-best's weight, AGV's transfers), which is what
:func:`~.bilateral_outcome.expected_outcome` integrates and
:func:`~.bilateral_sim.simulate` samples. What each guarantees (on the evaluated play):

=================  ==========  =============  ==============  ========================
mechanism          IC          IR             BB              U[0,1]² gains (of 1/6)
=================  ==========  =============  ==============  ========================
KDoubleAuction     Bayes–Nash  ex post        ex post         9/64 at k = 1/2
PostedPrice        dominant    ex post        ex post         p(1 - p)/2; 1/8 at p = 1/2
SecondBest         Bayes–Nash  interim        ex post         9/64 (the bound)
FirstBest          **no**      ex post        ex post         1/6
VCG                dominant    ex post        **no**: -1/6    1/6
AGV                Bayes–Nash  **no**         ex post         1/6
=================  ==========  =============  ==============  ========================
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.mechanisms.bargaining.bilateral_auction import (
    DoubleAuctionRule,
    PostedPriceRule,
    best_posted_price,
    linear_equilibrium,
)
from accord.mechanisms.bargaining.bilateral_efficient import AGVRule, FirstBestRule, VCGRule
from accord.mechanisms.bargaining.bilateral_rule import Rule
from accord.mechanisms.bargaining.bilateral_second_best import (
    SecondBestRule,
    second_best_weight,
)
from accord.mechanisms.bargaining.priors import Prior, check_k, check_priors, check_real


@dataclass(frozen=True)
class KDoubleAuction:
    """Trade iff bid ≥ ask, at ``k·bid + (1 - k)·ask``; played at Chatterjee & Samuelson
    (1983)'s linear equilibrium for uniform priors (formulas in :mod:`.bilateral_auction`).
    For U[0,1]² and ``k = 1/2``: trade iff ``v ≥ c + 1/4``, gains 9/64, efficiency 27/32."""

    k: float = 0.5

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", check_k(self.k))

    def bind(self, buyer: Prior, seller: Prior) -> Rule:
        """The rule at the linear equilibrium (ValueError if the priors have none)."""
        b, s = check_priors(buyer, seller)
        return DoubleAuctionRule(b, s, self.k, linear_equilibrium(self.k, b, s))


@dataclass(frozen=True)
class PostedPrice:
    """Trade iff ``v ≥ price ≥ c``, at ``price`` (Hagerty & Rogerson 1987): dominant-strategy
    IC, ex-post IR, budget balanced. ``price=None`` picks the gains-maximising price under
    the priors when bound (1/2 on U[0,1]², gains 1/8)."""

    price: float | None = None

    def __post_init__(self) -> None:
        if self.price is not None:
            object.__setattr__(self, "price", check_real(self.price, "posted price"))

    def bind(self, buyer: Prior, seller: Prior) -> Rule:
        """The rule at ``price`` (or the best posted price for these priors)."""
        b, s = check_priors(buyer, seller)
        return PostedPriceRule(b, s, best_posted_price(b, s) if self.price is None else self.price)


@dataclass(frozen=True)
class SecondBest:
    """Myerson & Satterthwaite (1983, Theorem 2): trade iff ``Φ_B(v, α) ≥ Φ_S(c, α)`` with
    ``α`` the weight at which interim IR binds; transfers balanced draw by draw
    (:mod:`.bilateral_second_best`). The most gains of any IC, IR, BB mechanism."""

    def bind(self, buyer: Prior, seller: Prior) -> Rule:
        """The rule at the binding weight (ValueError for an irregular prior)."""
        b, s = check_priors(buyer, seller)
        return SecondBestRule(b, s, second_best_weight(b, s))


@dataclass(frozen=True)
class FirstBest:
    """Trade iff ``v ≥ c`` at ``k v + (1 - k) c`` on truthful reports: the efficiency
    benchmark, ``E[(v - c)⁺]``. Budget balanced and ex-post IR, but truth is not an
    equilibrium (each side gains by shading), so it is no IC mechanism."""

    k: float = 0.5

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", check_k(self.k))

    def bind(self, buyer: Prior, seller: Prior) -> Rule:
        """The rule on truthful reports."""
        b, s = check_priors(buyer, seller)
        return FirstBestRule(b, s, self.k)


@dataclass(frozen=True)
class VCG:
    """Vickrey–Clarke–Groves with the worst types at zero utility (Krishna 2010, §5.3):
    on trade the buyer pays ``max(c, b_lo)``, the seller gets ``min(v, s_hi)``. Dominant-
    strategy IC, ex-post IR, efficient; its expected deficit on U[0,1]² is 1/6."""

    def bind(self, buyer: Prior, seller: Prior) -> Rule:
        """The rule on truthful reports."""
        b, s = check_priors(buyer, seller)
        return VCGRule(b, s)


@dataclass(frozen=True)
class AGV:
    """The expected-externality mechanism (d'Aspremont & Gérard-Varet 1979; Arrow 1979):
    efficient, Bayes–Nash IC, budget balanced on every draw, and not interim IR (the
    lowest buyer type expects -1/3 on U[0,1]²)."""

    def bind(self, buyer: Prior, seller: Prior) -> Rule:
        """The rule on truthful reports."""
        b, s = check_priors(buyer, seller)
        return AGVRule(b, s)


Mechanism = KDoubleAuction | PostedPrice | SecondBest | FirstBest | VCG | AGV
"""Any of the six bilateral-trade mechanisms."""

MECHANISMS: dict[str, type[Mechanism]] = {
    "k_double_auction": KDoubleAuction,
    "posted_price": PostedPrice,
    "second_best": SecondBest,
    "first_best": FirstBest,
    "vcg": VCG,
    "agv": AGV,
}
"""The mechanisms by name (the names the game and scenarios use)."""


def bind(mechanism: object, buyer: object, seller: object) -> Rule:
    """``mechanism.bind(buyer, seller)`` after checking that each is what it should be."""
    if not isinstance(mechanism, KDoubleAuction | PostedPrice | SecondBest | FirstBest | VCG | AGV):
        raise ValueError(f"mechanism must be one of {sorted(MECHANISMS)}, got {mechanism!r}")
    b, s = check_priors(buyer, seller)
    return mechanism.bind(b, s)
