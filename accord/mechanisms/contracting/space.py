"""Contract spaces: a named zero-sum transfer rule and its bounded integer parameters.

Haupt, Christoffersen, Damani & Hadfield-Menell ("Formal Contracts Mitigate Social
Dilemmas in Multi-Agent RL", AAMAS journal 2024, §3 "Formal contracting") augment a
Markov game with a *contract space*: a parameterised family of zero-sum transfer
functions over what every party can observe. A proposer picks one member (the
parameters), the others accept or reject, and an accepted contract's transfers are
added to the rewards each step. Here a space is data (:class:`ContractSpace`): its rule
(one of :data:`RULES`, :mod:`.rules`), its parameters with inclusive integer bounds, and
the largest value a party's per-step *feature* (an action code, a catch, a count of
cells cleaned) may take. A contract is a space plus one parameter tuple.

The spaces of the paper and of issue 14 are built by :func:`matrix_space`,
:func:`fishery_space`, :func:`harvest_space`, :func:`cleanup_space` and
:func:`unilateral_space`. Everything is an exact ``int``; every check raises
:class:`ContractError` (a ``ValueError``) with a one-line message naming what is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = [
    "DEFECTOR_PAYS",
    "MAX_FEATURE",
    "MAX_PARAM",
    "MAX_PARTIES",
    "OVER_THRESHOLD",
    "PER_UNIT_RECEIVED",
    "RULES",
    "UNILATERAL",
    "ContractError",
    "ContractSpace",
    "Param",
    "Params",
    "cleanup_space",
    "fishery_space",
    "harvest_space",
    "matrix_space",
    "unilateral_space",
]

Params = tuple[int, ...]
"""One contract's parameter values, in the space's parameter order."""

DEFECTOR_PAYS = "defector_pays"
"""Matrix dilemmas: each defector (feature 1) pays θ, split among the cooperators
(feature 0). Parameters ``(theta,)``."""
OVER_THRESHOLD = "over_threshold"
"""Each party pays ``rate × max(0, feature − threshold)``, split among the others: the
fishery's quota and penalty, Harvest's θ per low-neighbour apple (threshold 0).
Parameters ``(threshold, rate)``."""
PER_UNIT_RECEIVED = "per_unit_received"
"""Each party receives ``rate × feature`` from the others, split among them: Cleanup's θ
per waste cell cleaned. Parameters ``(rate,)``."""
UNILATERAL = "unilateral"
"""Only the committer (party 0) can owe: it pays ``rate × max(0, feature − threshold)``,
split among the others; the others' features are checked but never make them pay.
Parameters ``(threshold, rate)``."""

RULES: dict[str, int] = {
    DEFECTOR_PAYS: 1,
    OVER_THRESHOLD: 2,
    PER_UNIT_RECEIVED: 1,
    UNILATERAL: 2,
}
"""Each rule and its number of parameters."""

MAX_PARTIES = 32
"""Most parties one contract may have (every on-device loop runs over them)."""
MAX_PARAM = 2**96
"""Largest parameter bound: rates times features stay small integers (≤ 2**128)."""
MAX_FEATURE = 2**32
"""Largest ``feature_max`` a space may declare."""
_MAX_NAME = 64


class ContractError(ValueError):
    """A space, parameters or features that break the rules; the message names what."""


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter: its name and inclusive integer bounds ``low ≤ value ≤ high``."""

    name: str
    low: int
    high: int


def _int(name: str, value: object, low: int, high: int) -> int:
    if type(value) is not int:
        raise ContractError(f"{name} must be an int, got {_short(value)}")
    if not low <= value <= high:
        raise ContractError(f"{name} must be in [{low}, {high}], got {_short(value)}")
    return value


def _name(what: str, value: object) -> str:
    if type(value) is not str or not value or len(value) > _MAX_NAME:
        raise ContractError(f"{what} must be a non-empty str of at most {_MAX_NAME} chars")
    return value


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}...<{len(text)} chars>"


@dataclass(frozen=True, slots=True)
class ContractSpace:
    """A transfer rule, its parameters with bounds, and the bound of each feature.

    ``name`` labels the space (``"prisoners_dilemma"``, ``"fishery"``); ``rule`` is one
    of :data:`RULES`; ``params`` are the rule's parameters in order; every feature a
    party reports per step must be an int in ``[0, feature_max]``.
    """

    name: str
    rule: str
    params: tuple[Param, ...]
    feature_max: int

    def __post_init__(self) -> None:
        _name("space name", self.name)
        if type(self.rule) is not str or self.rule not in RULES:
            raise ContractError(f"rule must be one of {sorted(RULES)}, got {_short(self.rule)}")
        if type(self.params) is not tuple or len(self.params) != RULES[self.rule]:
            raise ContractError(
                f"rule {self.rule} takes {RULES[self.rule]} parameter(s), got {_short(self.params)}"
            )
        seen: set[str] = set()
        for p in self.params:
            if type(p) is not Param:
                raise ContractError(f"each parameter must be a Param, got {_short(p)}")
            _name("parameter name", p.name)
            if p.name in seen:
                raise ContractError(f"parameter name {p.name!r} appears twice")
            seen.add(p.name)
            _int(f"{p.name}'s low bound", p.low, 0, MAX_PARAM)
            _int(f"{p.name}'s high bound", p.high, p.low, MAX_PARAM)
        _int("feature_max", self.feature_max, 1, MAX_FEATURE)

    @property
    def arity(self) -> int:
        """How many parameters a contract of this space takes."""
        return len(self.params)

    def check_params(self, values: object) -> Params:
        """``values`` as a tuple of ints within their bounds; else :class:`ContractError`."""
        if not isinstance(values, (tuple, list)) or len(values) != len(self.params):
            raise ContractError(
                f"params of {self.name} must be a tuple of {len(self.params)} int(s) "
                f"({', '.join(p.name for p in self.params)}), got {_short(values)}"
            )
        pairs = zip(self.params, values, strict=True)
        return tuple(_int(p.name, v, p.low, p.high) for p, v in pairs)

    def check_features(self, features: object, parties: int) -> tuple[int, ...]:
        """``features`` as a tuple of ``parties`` ints in ``[0, feature_max]``."""
        if not isinstance(features, (tuple, list)) or len(features) != parties:
            raise ContractError(
                f"features must be a tuple of {parties} int(s), one per party, "
                f"got {_short(features)}"
            )
        top = self.feature_max
        for i, f in enumerate(features):
            if type(f) is not int or not 0 <= f <= top:
                raise ContractError(
                    f"feature of party {i} must be an int in [0, {top}], got {_short(f)}"
                )
        return tuple(features)

    def to_data(self) -> tuple[Any, ...]:
        """The space as canonical data (what a device transaction carries):
        ``(name, rule, ((param, low, high), ...), feature_max)``."""
        return (
            self.name,
            self.rule,
            tuple((p.name, p.low, p.high) for p in self.params),
            self.feature_max,
        )

    @staticmethod
    def from_data(data: object) -> ContractSpace:
        """The space :meth:`to_data` encoded; hostile data is a :class:`ContractError`."""
        try:
            return _from_data(data)
        except TypeError:  # unhashable junk cannot be cached: check it uncached
            return _from_data.__wrapped__(data)


@lru_cache(maxsize=256)
def _from_data(data: object) -> ContractSpace:
    """Cached: a device re-reads a contract's space at every settlement."""
    if type(data) is not tuple or len(data) != 4:
        raise ContractError(
            "space must be (name, rule, ((param, low, high), ...), feature_max), "
            f"got {_short(data)}"
        )
    name, rule, params, feature_max = data
    if type(params) is not tuple or len(params) > 8:
        raise ContractError(
            f"space params must be a tuple of (name, low, high), got {_short(params)}"
        )
    built = []
    for p in params:
        if type(p) is not tuple or len(p) != 3:
            raise ContractError(f"each space param must be (name, low, high), got {_short(p)}")
        built.append(Param(*p))
    return ContractSpace(name, rule, tuple(built), feature_max)


def _space(name: str, rule: str, bounds: Sequence[tuple[str, int, int]], top: int) -> ContractSpace:
    return ContractSpace(name, rule, tuple(Param(*b) for b in bounds), top)


def matrix_space(theta_max: int, name: str = "matrix") -> ContractSpace:
    """θ ∈ [0, theta_max] from each defector, split among the cooperators (Haupt et al.
    2024, the prisoner's dilemma contract). Features: 0 cooperate, 1 defect."""
    return _space(name, DEFECTOR_PAYS, [("theta", 0, theta_max)], 1)


def fishery_space(
    quota_max: int, penalty_max: int, catch_max: int, name: str = "fishery"
) -> ContractSpace:
    """A quota ``q`` and a penalty ``p`` per unit caught over ``q``, paid to the others
    (issue 14's fishery space). Features: each fisher's catch this round."""
    return _space(
        name, OVER_THRESHOLD, [("quota", 0, quota_max), ("penalty", 0, penalty_max)], catch_max
    )


def harvest_space(theta_max: int, count_max: int, name: str = "harvest") -> ContractSpace:
    """θ per apple eaten with few neighbours, split among the others (Haupt et al. 2024,
    Harvest's contract): the over-threshold rule with the threshold fixed at 0.
    Features: apples eaten this step with fewer neighbours than the env's limit."""
    return _space(name, OVER_THRESHOLD, [("threshold", 0, 0), ("theta", 0, theta_max)], count_max)


def cleanup_space(theta_max: int, count_max: int, name: str = "cleanup") -> ContractSpace:
    """θ per waste cell cleaned, paid to the cleaner by the others (Haupt et al. 2024,
    Cleanup's contract). Features: waste cells each party cleaned this step."""
    return _space(name, PER_UNIT_RECEIVED, [("theta", 0, theta_max)], count_max)


def unilateral_space(
    threshold_max: int, stake_max: int, feature_max: int = 1, name: str = "unilateral"
) -> ContractSpace:
    """A unilateral commitment: party 0 stakes ``rate`` per unit of its own feature over
    ``threshold`` (with ``feature_max=1`` and threshold 0: "I pay θ if I defect"),
    paid to the others; nobody else can owe."""
    return _space(
        name, UNILATERAL, [("threshold", 0, threshold_max), ("rate", 0, stake_max)], feature_max
    )
