"""Deal or No Deal: multi-issue bargaining over a pool of items, and what each instance allows.

The game (Lewis et al., "Deal or No Deal? End-to-End Learning for Negotiation
Dialogues", EMNLP 2017; OpenSpiel's ``bargaining`` game, ``open_spiel/games/bargaining``):
two players split a pool of items of three types; each player has private per-item
values; a division gives each player the value of what it takes; no agreement gives
both 0 (the disagreement point is ``(0, 0)``).

**Instances.** :data:`PACKAGED` is OpenSpiel's default file of 1,000 instances, shipped
unchanged (Apache License 2.0; ``data/README.md``). One instance per line,
``pool p0_values p1_values``, each a comma-separated triple. The rules of OpenSpiel's
instance generator (``bargaining_instance_generator.cc``, after de Jong et al.,
"Metastrategies in the Colored Trails Game", AAMAS 2011, §5), checked on every read:

* 3 item types, each with 1 to 7 items, 5 to 7 items in all;
* each player's values are integers in 0..10, and its value of the whole pool is 10;
* every item type is valued by at least one player, and some type by both.

:func:`generate` draws more by the same rules from a seeded ``numpy.random.Generator``.
OpenSpiel draws a pool and values uniformly and rejects invalid draws, so every valid
instance is equally likely; :func:`generate` draws uniformly from the enumerated set of
valid instances (:func:`valid_instances`), the same distribution without the rejection
loop (not OpenSpiel's Mersenne-Twister stream: the instances differ, the law does not).
There are 5,793 valid instances. The shipped file's pools fit that law (chi-square,
31 pools), but its 1,000 instances are all distinct, where independent draws would
repeat about 86 times: ``generate(n, rng, distinct=True)`` draws that way.

**Outcomes.** A division is the triple of quantities **player 0 receives**; player 1
receives the rest of the pool. OpenSpiel numbers an offer by the quantities its
*proposer* keeps: :data:`OFFERS` lists its 120 triples in its action order (``a + b + c
<= 7``; the first count varies fastest) and :data:`AGREE` (120) is "agree".
:func:`offer_action` maps a division and a proposer to that action.

**Analysis** (:func:`analyse`), exact in integers: the utility pair of every division,
the Pareto frontier (:func:`accord.mechanisms.bargaining.solutions.pareto_frontier`),
the Nash bargaining split with ``d = (0, 0)`` (Nash 1950; ties broken as in
:mod:`.solutions`) and the maximum joint value ``max u0 + u1``.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import numpy as np

from accord.mechanisms.bargaining.solutions import FiniteSolution, nash, pareto_frontier

__all__ = [
    "AGREE",
    "ITEM_TYPES",
    "MAX_ITEMS",
    "MAX_TURNS",
    "MIN_ITEMS",
    "OFFERS",
    "PACKAGED",
    "TOTAL_VALUE",
    "Analysis",
    "Division",
    "Instance",
    "InstanceError",
    "analyse",
    "format_instances",
    "generate",
    "offer_action",
    "parse_instances",
    "read_instances",
    "valid_instances",
]

ITEM_TYPES = 3
MIN_ITEMS = 5
MAX_ITEMS = 7
TOTAL_VALUE = 10
MAX_TURNS = 10
"""OpenSpiel's default: at most 10 offers, then no deal."""
MAX_FILE_BYTES = 16 * 2**20
"""A larger instance file is refused before it is read (about 900,000 instances)."""

PACKAGED = Path(__file__).with_name("data") / "bargaining_instances1000.txt"
"""OpenSpiel's 1,000 instances, unchanged, inside the package."""

Triple: TypeAlias = tuple[int, int, int]
Division: TypeAlias = Triple
"""What player 0 receives, per item type (player 1 receives the rest of the pool)."""

OFFERS: tuple[Triple, ...] = tuple(
    (a, b, c)
    for c in range(MAX_ITEMS + 1)
    for b in range(MAX_ITEMS + 1)
    for a in range(MAX_ITEMS + 1)
    if a + b + c <= MAX_ITEMS
)
"""OpenSpiel's offer actions: the quantities the proposer keeps, in action order."""
AGREE = len(OFFERS)
"""OpenSpiel's "agree" action (120)."""
_OFFER_INDEX = {q: i for i, q in enumerate(OFFERS)}


class InstanceError(ValueError):
    """A malformed instance, or one that breaks the game's rules; the message names it."""


def _rule_violation(pool: Triple, values: tuple[Triple, Triple]) -> str | None:
    """Which generator rule (module docstring) the instance breaks, or None."""
    if any(not 1 <= n <= MAX_ITEMS for n in pool):
        return f"each item type needs 1 to {MAX_ITEMS} items, pool is {pool}"
    if not MIN_ITEMS <= sum(pool) <= MAX_ITEMS:
        return f"the pool must hold {MIN_ITEMS} to {MAX_ITEMS} items, {pool} holds {sum(pool)}"
    for p in (0, 1):
        if any(not 0 <= v <= TOTAL_VALUE for v in values[p]):
            return f"player {p}'s values must be in 0..{TOTAL_VALUE}, got {values[p]}"
        total = sum(v * n for v, n in zip(values[p], pool, strict=True))
        if total != TOTAL_VALUE:
            return f"player {p} values the pool at {total}, not {TOTAL_VALUE}"
    both = [(values[0][i] > 0, values[1][i] > 0) for i in range(ITEM_TYPES)]
    if any(not (a or b) for a, b in both):
        return "an item type is valued by neither player"
    if not any(a and b for a, b in both):
        return "no item type is valued by both players"
    return None


@dataclass(frozen=True, slots=True)
class Instance:
    """One instance: the pool and the two players' per-item values (checked on creation)."""

    pool: Triple
    values: tuple[Triple, Triple]

    def __post_init__(self) -> None:
        pair = isinstance(self.values, tuple) and len(self.values) == 2
        shapes = [self.pool, *self.values] if pair else []
        if not shapes or any(
            not isinstance(t, tuple) or len(t) != ITEM_TYPES or any(type(x) is not int for x in t)
            for t in shapes
        ):
            raise InstanceError(
                f"an instance is a pool and two value triples of ints, got {self.pool!r}, "
                f"{self.values!r}"
            )
        problem = _rule_violation(self.pool, self.values)
        if problem:
            raise InstanceError(problem)

    @property
    def line(self) -> str:
        """The instance in the file's format, ``pool p0_values p1_values``."""
        return " ".join(",".join(map(str, t)) for t in (self.pool, *self.values))

    def value(self, player: int, bundle: Iterable[int]) -> int:
        """What ``bundle`` (a quantity per item type) is worth to ``player``."""
        return sum(v * q for v, q in zip(self.values[player], bundle, strict=True))

    def utilities(self, division: Division) -> tuple[int, int]:
        """``(u0, u1)`` when player 0 receives ``division`` and player 1 the rest."""
        return (self.value(0, division), self.value(1, self.rest(division)))

    def rest(self, bundle: Triple) -> Triple:
        """The pool minus ``bundle``."""
        a, b, c = (n - q for n, q in zip(self.pool, bundle, strict=True))
        return (a, b, c)

    def divisions(self) -> tuple[Division, ...]:
        """Every division of the pool, in lexicographic order of player 0's quantities."""
        a, b, c = (range(n + 1) for n in self.pool)
        return tuple(itertools.product(a, b, c))

    def is_division(self, division: object) -> bool:
        """Whether ``division`` is a triple of ints within the pool."""
        return (
            isinstance(division, tuple)
            and len(division) == ITEM_TYPES
            and all(type(q) is int for q in division)
            and all(0 <= q <= n for q, n in zip(division, self.pool, strict=True))
        )


def offer_action(instance: Instance, division: Division, proposer: int) -> int:
    """OpenSpiel's action for ``proposer`` offering ``division`` (player 0's quantities)."""
    if not instance.is_division(division):
        raise InstanceError(f"{division!r} is not a division of the pool {instance.pool}")
    if proposer not in (0, 1) or isinstance(proposer, bool):
        raise InstanceError(f"proposer must be 0 or 1, got {proposer!r}")
    return _OFFER_INDEX[division if proposer == 0 else instance.rest(division)]


# -- reading and writing -----------------------------------------------------------------

_TRIPLE = re.compile(r"[0-9]{1,3},[0-9]{1,3},[0-9]{1,3}")


def _triple(text: str) -> Triple:
    a, b, c = (int(x) for x in text.split(","))
    return (a, b, c)


def parse_instances(text: str, source: str = "<string>") -> tuple[Instance, ...]:
    """The instances of ``text`` (the file's format); blank lines are skipped.

    A malformed line, or one that breaks a rule, raises :class:`InstanceError` naming
    ``source`` and the line number.
    """
    if not isinstance(text, str):
        raise InstanceError(f"{source}: instances must be text, got {type(text).__name__}")
    out: list[Instance] = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 3 or not all(_TRIPLE.fullmatch(f) for f in fields):
            shown = line if len(line) <= 60 else line[:57] + "..."
            raise InstanceError(
                f"{source}: line {number}: expected 'pool p0_values p1_values', three "
                f"comma-separated triples of integers, got {shown!r}"
            )
        pool, v0, v1 = (_triple(f) for f in fields)
        try:
            out.append(Instance(pool, (v0, v1)))
        except InstanceError as exc:
            raise InstanceError(f"{source}: line {number}: {exc}") from None
    if not out:
        raise InstanceError(f"{source}: no instances")
    return tuple(out)


def read_instances(path: Path | str | None = None) -> tuple[Instance, ...]:
    """The instances of the file at ``path`` (default :data:`PACKAGED`), as they are."""
    p = PACKAGED if path is None else Path(path)
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            raise InstanceError(f"{p}: larger than {MAX_FILE_BYTES} bytes")
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InstanceError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise InstanceError(f"{p}: is a directory, not an instance file") from None
    except UnicodeDecodeError as exc:
        raise InstanceError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise InstanceError(f"{p}: cannot read it: {exc.strerror or exc}") from None
    return parse_instances(text, str(p))


def format_instances(instances: Iterable[Instance]) -> str:
    """The instances in the file's format, one line each (the inverse of parsing)."""
    return "".join(inst.line + "\n" for inst in instances)


# -- generating ----------------------------------------------------------------------------


@functools.cache
def valid_instances() -> tuple[Instance, ...]:
    """Every instance the rules allow, in a fixed order (pool, then values, lexicographic)."""
    out: list[Instance] = []
    counts = range(1, MAX_ITEMS + 1)
    values = range(TOTAL_VALUE + 1)
    for pool in itertools.product(counts, counts, counts):
        if not MIN_ITEMS <= sum(pool) <= MAX_ITEMS:
            continue
        ways = [
            v
            for v in itertools.product(values, values, values)
            if sum(x * n for x, n in zip(v, pool, strict=True)) == TOTAL_VALUE
        ]
        for v0 in ways:
            for v1 in ways:
                if _rule_violation(pool, (v0, v1)) is None:
                    out.append(Instance(pool, (v0, v1)))
    return tuple(out)


def generate(n: int, rng: np.random.Generator, *, distinct: bool = False) -> tuple[Instance, ...]:
    """``n`` instances drawn uniformly from the valid ones by ``rng``.

    Independent draws by default (OpenSpiel's generator: repeats are possible, about 86
    in 1,000 draws); with ``distinct=True`` without replacement, like the shipped file,
    whose 1,000 instances are all different.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 10_000_000:
        raise InstanceError(f"n must be an int in [0, 10000000], got {n!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    pool = valid_instances()
    if distinct:
        if n > len(pool):
            raise InstanceError(f"only {len(pool)} distinct instances exist, asked for {n}")
        picks = rng.choice(len(pool), size=n, replace=False)
    else:
        picks = rng.integers(len(pool), size=n)
    return tuple(pool[int(i)] for i in picks)


# -- analysis ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Analysis:
    """What an instance allows (module docstring).

    ``divisions`` are every division (player 0's quantities), ``utilities`` their
    ``(u0, u1)``; ``frontier`` indexes the divisions whose utility pair is Pareto optimal
    (one per pair, the lowest index, in increasing ``u0``); ``nash`` is Nash's solution
    over the utility pairs with ``d = (0, 0)``.
    """

    instance: Instance
    divisions: tuple[Division, ...]
    utilities: tuple[tuple[int, int], ...]
    frontier: tuple[int, ...]
    nash: FiniteSolution
    max_joint: int

    @property
    def nash_division(self) -> Division:
        """The Nash bargaining split: what player 0 receives."""
        return self.divisions[self.nash.index]

    @property
    def nash_utilities(self) -> tuple[int, int]:
        """``(u0, u1)`` at the Nash split."""
        return self.utilities[self.nash.index]

    @property
    def frontier_utilities(self) -> tuple[tuple[int, int], ...]:
        """The Pareto frontier's utility pairs, in increasing ``u0``."""
        return tuple(self.utilities[i] for i in self.frontier)

    def is_pareto_optimal(self, pair: tuple[int, int]) -> bool:
        """Whether no division gives one player more and the other no less than ``pair``."""
        return not any(u[0] >= pair[0] and u[1] >= pair[1] and u != pair for u in self.utilities)


def analyse(instance: Instance) -> Analysis:
    """The frontier, the Nash split and the maximum joint value of ``instance``, exactly."""
    if not isinstance(instance, Instance):
        raise TypeError(f"expected an Instance, got {type(instance).__name__}")
    divisions = instance.divisions()
    utilities = tuple(instance.utilities(d) for d in divisions)
    return Analysis(
        instance=instance,
        divisions=divisions,
        utilities=utilities,
        frontier=pareto_frontier(utilities),
        nash=nash(utilities, (0, 0)),
        max_joint=max(a + b for a, b in utilities),
    )
