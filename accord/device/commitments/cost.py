"""What a posted commitment pays for: its evaluation in every block it stays pending.

A pending commitment is evaluated at the end of every block until it fires or expires
(:mod:`.resolver`): its condition's atoms are read, its views run, the modal solver
walks its formula. That work is the device's, in every block, so the poster pays for it
**up front**, when posting, for every block of its life (it cannot be withdrawn, so its
life is known: from the posting block to its expiry, inclusive), and the life is capped
by ``DeviceConfig.max_commitment_blocks``:

``evaluation_gas = blocks × (EVAL_NODE_GAS × nodes + EVAL_VIEW_GAS × views)``

* ``nodes``: every node of the condition (atoms and connectives), each read or combined
  once per world the solver considers; ``EVAL_NODE_GAS`` is EIP-2929's warm storage
  read (100 gas): reading state the resolver has at hand.
* ``views``: the condition's distinct view atoms (a block evaluates each distinct view
  once); each costs a STATICCALL's cold account access (2,600 gas, EIP-2929) plus the
  gas the view may use when evaluated for a commitment, ``COMMITMENT_VIEW_GAS``: a
  view that needs more is false.

A commitment with thousands of view atoms thus pays for thousands of view runs per
block of its life, and one whose charge does not fit a block's gas cannot be posted.
"""

from __future__ import annotations

from typing import Any

from accord.device import gas as G
from accord.device.commitments.language import (
    And,
    Commitment,
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


def condition_size(commitment: Commitment) -> tuple[int, int]:
    """``(nodes, distinct views)`` of ``commitment``'s condition (iterative walk: a
    deeply nested condition cannot exhaust the stack)."""
    nodes = 0
    views: set[Any] = set()
    stack: list[Any] = [commitment.condition]
    while stack:
        node = stack.pop()
        nodes += 1
        if isinstance(node, And | Or):
            stack.extend(node.args)
        elif isinstance(node, Not | Provable):
            stack.append(node.arg)
        elif isinstance(node, Implies):
            stack.append(node.premise)
            stack.append(node.conclusion)
        elif isinstance(node, ViewCmp):
            try:
                args = canonical(node.args)
            except Exception:
                args = ("#", nodes)
            views.add((node.contract, node.method, args))
    return nodes, len(views)


def evaluation_gas(commitment: Commitment, blocks: int) -> int:
    """Gas to evaluate ``commitment`` in each of ``blocks`` blocks (module docstring)."""
    nodes, views = condition_size(commitment)
    return blocks * (EVAL_NODE_GAS * nodes + EVAL_VIEW_GAS * views)


def lifetime(commitment: Commitment, block_number: int) -> int:
    """Blocks a commitment posted in block ``block_number`` can stay pending: that block
    through its expiry, inclusive."""
    return commitment.expiry - block_number + 1
