"""Resolving mutually referring commitments: provability logic on a linear Kripke frame.

Commitments refer to each other ("I pay iff you deliver"), possibly in cycles and under
negation. Read naively, "I fire iff you fire" has two fixed points and "I fire iff you
don't" has none. We use the reading of the program-equilibrium literature instead
(LaVictoire, Fallenstein, Yudkowsky, Barasz, Christiano, Herreshoff, "Program
Equilibrium in the Prisoner's Dilemma via Löb's Theorem", AAAI workshop 2014; Barasz et
al., "Robust Cooperation in the Prisoner's Dilemma", arXiv:1401.5577): every reference
to another commitment's firing is a statement of *provability* (the box □ of the modal
logic GL), so the system of conditions is modalized and, by the de Jongh–Sambin fixed
point theorem, has exactly one solution.

**Evaluation.** GL is sound and complete for finite transitive irreflexive Kripke frames
(Segerberg; see Boolos, *The Logic of Provability*, 1993, ch. 5). On the linear frame
0 < 1 < 2 < …, world ``n`` sees exactly the worlds below it, so

    □φ holds at world 0;       □φ at world n+1  =  □φ at world n  ∧  φ at world n.

Given the boxes' values at a world, every other node is a plain boolean circuit (all
references are under a box, so within one world the circuit is acyclic). Boxes only
ever flip from true to false, so after at most ``#boxes + 1`` worlds nothing changes,
and the values there are the values at every later world. For modalized fixed points
those stable values are the arithmetic truths (the standard result used by modal-combat
solvers, Barasz et al. §4), which is what "fires" means. This always terminates.

**Cost.** Each world re-evaluates only the nodes above boxes that flipped (a heap in
topological order), so a whole resolution costs O(nodes + edges · flips), not
O(worlds · nodes): a chain of 10,000 references resolves in one pass per flip.

**Budget.** Given a :class:`WorkBudget`, the solver spends one unit per circuit node it
compiles (the first world's evaluation included) and one per node it re-evaluates in a
later world, each before the work, and raises :class:`EvaluationExhausted` past the
limit: the resolver gives a block what its commitments paid for (:mod:`.cost`).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from accord.device.commitments.language import (
    COUNTERPART,
    SELF,
    And,
    BalanceCmp,
    BlockCmp,
    Commitment,
    Const,
    Exists,
    FinalIncluded,
    Finalized,
    Fires,
    FiresAgainst,
    Formula,
    Implies,
    Not,
    Or,
    Pattern,
    Provable,
    ViewCmp,
)

Instance = tuple[str, str | None]
"""A program (commitment id) played against a counterpart (an id, or ``None``)."""

StateAtom = BlockCmp | BalanceCmp | ViewCmp | Finalized | FinalIncluded
StateOracle = Callable[[StateAtom, Commitment], bool]
"""Evaluates a state atom for a commitment (its owner is what ``$self`` means)."""
PatternMatcher = Callable[[Pattern, str], list[str]]
"""Ids of the other commitments that match a pattern, in canonical order."""

_CONST, _NOT, _AND, _OR, _BOX, _REF = range(6)


class EvaluationExhausted(Exception):
    """A resolution needed more evaluation work than its commitments paid for."""


class WorkBudget:
    """Evaluation units a resolution may spend (:mod:`.cost`); :meth:`spend` raises
    :class:`EvaluationExhausted` once more than ``limit`` would be spent."""

    __slots__ = ("limit", "used")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def spend(self, units: int) -> None:
        """Spend ``units`` before the work they pay for."""
        used = self.used + units
        if used > self.limit:
            raise EvaluationExhausted(
                f"the commitments' evaluation needs more than the {self.limit} units paid for"
            )
        self.used = used


@dataclass
class Solution:
    """Which instances fire, plus what the resolver needs to group and order them."""

    fires: dict[Instance, bool]
    references: dict[Instance, set[Instance]]
    """The instances each instance's condition refers to (through any operator)."""
    worlds: int
    """How many Kripke worlds were evaluated before the values stabilised."""
    nodes: int


@dataclass
class _Circuit:
    kind: list[int] = field(default_factory=list)
    kids: list[tuple[int, ...]] = field(default_factory=list)
    ref_instance: dict[int, Instance] = field(default_factory=dict)
    box_inner: dict[int, int] = field(default_factory=dict)

    def add(self, kind: int, kids: tuple[int, ...] = ()) -> int:
        self.kind.append(kind)
        self.kids.append(kids)
        return len(self.kind) - 1


class ModalSolver:
    """Compiles commitments into one circuit and finds its stable Kripke valuation."""

    def __init__(
        self,
        programs: Mapping[str, Commitment],
        *,
        binding: Mapping[str, str | None] | None = None,
        state: StateOracle | None = None,
        matcher: PatternMatcher | None = None,
        budget: WorkBudget | None = None,
        sizes: Callable[[str], int] | None = None,
    ) -> None:
        """``budget`` bounds the work (module docstring); ``sizes`` gives a program's
        compiled-node bound (:func:`.cost.measure`), spent before compiling it."""
        self.programs = programs
        self.budget = budget
        self.sizes = sizes
        self.binding = binding or {}
        self.state = state or _no_state
        self.matcher = matcher or _no_matches
        self.c = _Circuit()
        self.true = self.c.add(_CONST, (1,))
        self.false = self.c.add(_CONST, (0,))
        self.root: dict[Instance, int] = {}
        self.references: dict[Instance, set[Instance]] = {}
        self._queue: list[Instance] = []

    # -- compiling ----------------------------------------------------------------------
    def instance(self, program: str) -> Instance:
        """A program as it is actually committed: against its bound counterpart."""
        return (program, self.binding.get(program))

    def _require(self, inst: Instance) -> None:
        if inst not in self.root and inst not in self.references:
            self.references[inst] = set()
            self._queue.append(inst)

    def _compile_all(self, roots: Iterable[Instance]) -> None:
        for inst in roots:
            self._require(inst)
        while self._queue:
            inst = self._queue.pop()
            program = self.programs.get(inst[0])
            if program is None:  # an unknown or expired commitment never fires
                self.root[inst] = self.false
                continue
            budget = self.budget
            if budget is None:
                self.root[inst] = self._compile(program.condition, inst, program, boxed=False)
                continue
            bound = self.sizes(inst[0]) if self.sizes is not None else 0
            budget.spend(bound)  # before compiling (and evaluating at world 0)
            before = len(self.c.kind)
            self.root[inst] = self._compile(program.condition, inst, program, boxed=False)
            budget.spend(max(len(self.c.kind) - before - bound, 0))  # matches beyond it

    def _ref(self, target: Instance, owner: Instance, boxed: bool) -> int:
        self._require(target)
        self.references[owner].add(target)
        node = self.c.add(_REF)
        self.c.ref_instance[node] = target
        return node if boxed else self._box(node)

    def _box(self, inner: int) -> int:
        node = self.c.add(_BOX)
        self.c.box_inner[node] = inner
        return node

    def _name(self, ref: str, inst: Instance) -> str | None:
        if ref == COUNTERPART:
            return inst[1]
        if ref == SELF:
            return inst[0]
        return ref

    def _compile(self, f: Formula, inst: Instance, program: Commitment, *, boxed: bool) -> int:
        c = self.c
        if isinstance(f, Const):
            return self.true if f.value else self.false
        if isinstance(f, BlockCmp | BalanceCmp | ViewCmp | Finalized | FinalIncluded):
            return self.true if self.state(f, program) else self.false
        if isinstance(f, Fires):
            if f.ref == COUNTERPART:  # the counterpart's program, played against me
                if inst[1] is None:
                    return self.false
                return self._ref((inst[1], inst[0]), inst, boxed)
            name = self._name(f.ref, inst)
            assert name is not None
            target = inst if f.ref == SELF else self.instance(name)
            return self._ref(target, inst, boxed)
        if isinstance(f, FiresAgainst):
            subject = self._name(f.ref, inst)
            if subject is None:
                return self.false
            return self._ref((subject, self._name(f.counterpart, inst)), inst, boxed)
        if isinstance(f, Exists):
            matches = [m for m in self.matcher(f.pattern, inst[0]) if m != inst[0]]
            if not f.fires:
                return self.true if matches else self.false
            if not matches:
                return self.false
            return c.add(_OR, tuple(self._ref(self.instance(m), inst, boxed) for m in matches))
        if isinstance(f, Not):
            return c.add(_NOT, (self._compile(f.arg, inst, program, boxed=boxed),))
        if isinstance(f, And | Or):
            kids = tuple(self._compile(a, inst, program, boxed=boxed) for a in f.args)
            return c.add(_AND if isinstance(f, And) else _OR, kids)
        if isinstance(f, Implies):
            premise = c.add(_NOT, (self._compile(f.premise, inst, program, boxed=boxed),))
            return c.add(_OR, (premise, self._compile(f.conclusion, inst, program, boxed=boxed)))
        if isinstance(f, Provable):
            return self._box(self._compile(f.arg, inst, program, boxed=True))
        raise TypeError(f"not a formula node: {type(f).__name__}")  # pragma: no cover

    # -- solving ------------------------------------------------------------------------
    def solve(self, roots: Iterable[Instance]) -> Solution:
        """Compile ``roots`` (and every instance they reach) and find the stable values."""
        self._compile_all(roots)
        c = self.c
        kind, kids = c.kind, c.kids
        for node, inst in c.ref_instance.items():
            kids[node] = (self.root[inst],)
        n = len(kind)
        order = _topological(kind, kids)
        pos = [0] * n
        for i, node in enumerate(order):
            pos[node] = i
        parents: list[list[int]] = [[] for _ in range(n)]
        for node in range(n):
            if kind[node] != _BOX:
                for k in kids[node]:
                    parents[k].append(node)
        watchers: dict[int, list[int]] = {}
        for box, inner in c.box_inner.items():
            watchers.setdefault(inner, []).append(box)

        box_val = dict.fromkeys(c.box_inner, True)
        val = [False] * n
        for node in order:  # world 0: every box holds
            val[node] = _eval(node, kind, kids, val, box_val)
        worlds = 1
        flipping = [b for b, inner in c.box_inner.items() if not val[inner]]
        budget = self.budget
        left = budget.limit - budget.used if budget is not None else -1
        while flipping:
            worlds += 1
            heap: list[tuple[int, int]] = []
            queued: set[int] = set()
            changed_inner: list[int] = []
            for box in flipping:
                box_val[box] = False
                val[box] = False
                if box in watchers:  # provable(provable(...))
                    changed_inner.append(box)
                for p in parents[box]:
                    if p not in queued:
                        queued.add(p)
                        heapq.heappush(heap, (pos[p], p))
            while heap:
                _, node = heapq.heappop(heap)
                queued.discard(node)
                if left == 0:  # (left < 0: no budget)
                    assert budget is not None
                    budget.used = budget.limit
                    budget.spend(1)  # raises: nothing is left
                left -= 1
                new = _eval(node, kind, kids, val, box_val)
                if new == val[node]:
                    continue
                val[node] = new
                if node in watchers:
                    changed_inner.append(node)
                for p in parents[node]:
                    if p not in queued:
                        queued.add(p)
                        heapq.heappush(heap, (pos[p], p))
            flipping = sorted(
                {b for i in changed_inner if not val[i] for b in watchers[i] if box_val[b]}
            )
        if budget is not None:
            budget.used = budget.limit - left
        fires = {inst: val[node] for inst, node in self.root.items()}
        return Solution(fires, self.references, worlds, n)


def _eval(
    node: int,
    kind: list[int],
    kids: list[tuple[int, ...]],
    val: list[bool],
    box_val: dict[int, bool],
) -> bool:
    k = kind[node]
    if k == _REF:
        return val[kids[node][0]]
    if k == _AND:
        return all(val[x] for x in kids[node])
    if k == _OR:
        return any(val[x] for x in kids[node])
    if k == _NOT:
        return not val[kids[node][0]]
    if k == _BOX:
        return box_val[node]
    return bool(kids[node][0])


def _topological(kind: list[int], kids: list[tuple[int, ...]]) -> list[int]:
    """Children before parents over the within-world edges (boxes are leaves)."""
    n = len(kind)
    state = [0] * n  # 0 new, 1 on stack, 2 done
    order: list[int] = []
    for start in range(n):
        if state[start]:
            continue
        stack: list[tuple[int, int]] = [(start, 0)]
        state[start] = 1
        while stack:
            node, i = stack[-1]
            children = () if kind[node] == _BOX else kids[node]
            if kind[node] == _CONST:
                children = ()
            if i < len(children):
                stack[-1] = (node, i + 1)
                child = children[i]
                if state[child] == 0:
                    state[child] = 1
                    stack.append((child, 0))
                elif state[child] == 1:  # pragma: no cover - excluded by construction
                    raise AssertionError("unguarded reference cycle in a commitment circuit")
            else:
                state[node] = 2
                order.append(node)
                stack.pop()
    return order


def _no_state(atom: StateAtom, program: Commitment) -> bool:
    raise ValueError(
        f"commitment {program.id} reads device state ({atom.op}), but no state was given"
    )


def _no_matches(pattern: Pattern, self_id: str) -> list[str]:
    return []
