"""What a posted commitment pays for: its evaluation in every block it stays pending.

A pending commitment is evaluated at the end of every block until it fires or expires
(:mod:`.resolver`): its condition's atoms are read, its views run, the modal solver
compiles its formula into a circuit and evaluates that circuit in every Kripke world
until the values are stable (:mod:`.modal`). That work is the device's, in every block,
so the poster pays for it **up front**, when posting, for every block of its life (it
cannot be withdrawn, so its life is known: from the posting block to its expiry,
inclusive), and the life is capped by ``DeviceConfig.max_commitment_blocks``:

``evaluation_gas = blocks × (EVAL_NODE_GAS × units + EVAL_VIEW_GAS × views)``

* ``units = compiled × worlds + actions`` (:func:`evaluation_units`), all from the
  document alone:

  - ``compiled``: the circuit nodes the condition compiles to, a bound on the nodes
    evaluated in one world: one per atom and connective, one more per ``implies`` (its
    negated premise), two per reference (``fires``, ``fires_against``: the reference and
    its box), and per ``exists`` atom the scan of :data:`EXISTS_SCAN` candidates and, if
    it asks that one fires, an ``or`` over as many references with their boxes;
  - ``worlds = boxes + 1``: the solver's worlds. A box only ever turns from true to
    false, and each world after the first turns at least one, so the document's boxes
    (its ``provable`` nodes and its references) bound how many worlds its circuit
    needs (:mod:`.modal`, "Evaluation");
  - ``actions``: the resolver indexes every action of every pending commitment in
    every block, for pattern matching.

  ``EVAL_NODE_GAS`` is EIP-2929's warm storage read (100 gas): reading or combining a
  value the resolver has at hand. A state atom that reads one value from memory (the
  block number, a balance, ``finalized``, a ``final_included``'s inclusion record) is
  one such node, like a connective.
* ``views``: the condition's distinct view atoms (a block evaluates each distinct view
  once); each costs a STATICCALL's cold account access (2,600 gas, EIP-2929) plus the
  gas the view may use when evaluated for a commitment, ``COMMITMENT_VIEW_GAS``: a
  view that needs more is false.

A call action's own ``gas`` bounds what it may run when the commitment settles (the
steps of a metered contract included) and is at most
:data:`~.registry.MAX_ACTION_GAS`; it is not charged to the poster (see
``docs/security.md``, "What is not defended").

So a commitment with many references pays for its nodes in every world its references
can add (quadratic in its size), one with thousands of view atoms pays for thousands of
view runs per block of its life, and one whose charge does not fit a block's gas cannot
be posted.

**The block's budget.** A condition also reaches other commitments' circuits (a
``fires_against`` compiles its subject's program against another counterpart, an
``exists`` may match more than :data:`EXISTS_SCAN` commitments, a change may cascade
through several commitments' worlds), work that no single document bounds. The resolver
therefore counts the units it actually spends and gives each block the sum of what its
pending commitments paid per block (:func:`block_budget`); a resolution that would
exceed it stops, deterministically, and fires nothing that block (expiries still run).
The device never does more evaluation work than was paid for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from accord.device import gas as G
from accord.device.commitments.language import (
    And,
    Commitment,
    Exists,
    FinalIncluded,
    Fires,
    FiresAgainst,
    Implies,
    Not,
    Or,
    Provable,
    ViewCmp,
)
from accord.device.encoding import canonical

EVAL_NODE_GAS = 100
"""Per condition node per block: EIP-2929's ``WARM_STORAGE_READ_COST``."""
COMMITMENT_VIEW_GAS = 30_000
"""The gas a view atom's contract call may use when a block evaluates it."""
EVAL_VIEW_GAS = G.CALL + COMMITMENT_VIEW_GAS
"""Per distinct view atom per block: a cold call (EIP-2929, 2,600) and its view's gas."""
DEFAULT_MAX_COMMITMENT_BLOCKS = 100_000
"""``DeviceConfig.max_commitment_blocks``'s default: about two weeks of 12 s blocks."""


EXISTS_SCAN = 32
"""Candidates each ``exists`` atom is charged for, per world: the matcher's scan and, for
an ``exists`` that asks that one fires, a reference with its box each."""


@dataclass(frozen=True)
class ConditionSize:
    """What the evaluation of one condition costs, from its document (module docstring)."""

    nodes: int
    """Nodes of the condition as written (atoms and connectives)."""
    views: int
    """Distinct view atoms."""
    compiled: int
    """Circuit nodes it compiles to (a bound): nodes evaluated per world."""
    boxes: int
    """Boxes of its circuit (a bound): the worlds it can need, less one."""
    inclusions: int = 0
    """``final_included`` atoms (they need a device that records inclusions)."""


def measure(commitment: Commitment) -> ConditionSize:
    """The :class:`ConditionSize` of ``commitment``'s condition (iterative walk: a deeply
    nested condition cannot exhaust the stack)."""
    nodes = compiled = boxes = inclusions = 0
    views: set[Any] = set()
    stack: list[Any] = [commitment.condition]
    while stack:
        node = stack.pop()
        nodes += 1
        compiled += 1
        if isinstance(node, And | Or):
            stack.extend(node.args)
        elif isinstance(node, Not):
            stack.append(node.arg)
        elif isinstance(node, Provable):
            stack.append(node.arg)
            boxes += 1
        elif isinstance(node, Implies):
            stack.append(node.premise)
            stack.append(node.conclusion)
            compiled += 1  # the negated premise
        elif isinstance(node, Fires | FiresAgainst):
            compiled += 1  # the reference and its box
            boxes += 1
        elif isinstance(node, Exists):
            compiled += EXISTS_SCAN  # the matcher's scan
            if node.fires:
                compiled += 2 * EXISTS_SCAN
                boxes += EXISTS_SCAN
        elif isinstance(node, ViewCmp):
            try:
                args = canonical(node.args)
            except Exception:
                args = ("#", nodes)
            views.add((node.contract, node.method, args))
        elif isinstance(node, FinalIncluded):
            inclusions += 1
    return ConditionSize(nodes, len(views), compiled, boxes, inclusions)


def condition_size(commitment: Commitment) -> tuple[int, int]:
    """``(nodes, distinct views)`` of ``commitment``'s condition."""
    size = measure(commitment)
    return size.nodes, size.views


def evaluation_units(commitment: Commitment) -> int:
    """Work units one block's evaluation of ``commitment`` may take: its compiled nodes in
    each of its worlds, plus its actions (module docstring)."""
    size = measure(commitment)
    return size.compiled * (size.boxes + 1) + len(commitment.actions)


def evaluation_gas(commitment: Commitment, blocks: int) -> int:
    """Gas to evaluate ``commitment`` in each of ``blocks`` blocks (module docstring)."""
    views = measure(commitment).views
    return blocks * (EVAL_NODE_GAS * evaluation_units(commitment) + EVAL_VIEW_GAS * views)


def block_budget(commitments: Iterable[Commitment]) -> int:
    """The evaluation units one block may spend on ``commitments``: what they paid for."""
    return sum(evaluation_units(c) for c in commitments)


def lifetime(commitment: Commitment, block_number: int) -> int:
    """Blocks a commitment posted in block ``block_number`` can stay pending: that block
    through its expiry, inclusive."""
    return commitment.expiry - block_number + 1
