"""Offers and acceptances as device commitments, and discounting from block time.

An offer in :class:`~accord.contracts.negotiation.Negotiation` is a **conditional
commitment** in the device's own language (``docs/commitments.md``), posted by the
negotiation contract, which holds the escrow, when a party proposes:

* offer ``k`` of negotiation ``n`` is the commitment ``<venue>/n<n>.o<k>``;
* its condition: *the responder's acceptance ``<responder>/<venue>.n<n>.a<k>`` fires*
  (or its appointed agent's: ``fires`` atoms, which cost 2 circuit nodes each where an
  ``exists`` scan is charged for 32 candidates, so thousands of offers fit one block);
* its action: ``<venue>.settle(n, k, keep)``, run as the contract, which pays the
  escrowed pot out, ``keep`` to the proposer and the rest to the responder: "these
  transfers fire". Only the responder (or its agent) can own a commitment under the
  acceptance's id; if one fires without calling ``accept(n, k)``, ``settle`` treats it
  as a refusal and releases every deposit (what letting the offer lapse would do);
* ``after: ["$refs"]``: it settles after the acceptance it matched, in the same group;
* its expiry is the responder's deadline block, and ``otherwise``
  ``<venue>.lapse(n, k)`` releases every deposit if the offer is still the live one.

The deadlines to join and to make the first offer are commitments too
(:func:`timer_commitment`): they never fire, and at expiry they release the deposits of
a negotiation nobody moved in. No deadline waits for someone to call a function.

Accepting is **committing the complement**: the responder posts
:func:`acceptance`, ``<responder>/<venue>.n<n>.a<k>``, whose condition is *the offer
fires* and whose action is ``accept(n, k)``. The two refer to each other, so they fire
together (Löb's theorem, ``docs/commitments.md`` §3) and settle as one group: both
actions or neither. Because the offer is a pending commitment, it cannot be withdrawn
before its deadline, and anyone can read what it pays (the ``settle`` arguments).

Discounting. The device measures time in blocks. A party with a continuous-time
discount rate ``r`` (per second) values a deal reached ``t`` blocks after the start at
``δ^t`` of its undiscounted value, with

    δ = exp(-r · block_time)

the per-period factor of Rubinstein's alternating-offers game (Rubinstein 1982,
"Perfect Equilibrium in a Bargaining Model", Econometrica 50(1), §2, with the period
length Δ = one block) as written by Binmore, Rubinstein & Wolinsky (1986, "The Nash
Bargaining Solution in Economic Modelling", RAND J. Econ. 17(2), §3): as the block time
falls to 0 the subgame-perfect split tends to the asymmetric Nash solution with weights
``1/r_i``. Utilities are off-device quantities (they decide no balance), so floats are
fine here.
"""

from __future__ import annotations

import json
import math
from typing import Any

from accord.device.commitments.language import (
    REFS,
    Call,
    Commitment,
    Const,
    Fires,
    Formula,
    Or,
)

ACCEPT_GAS = 300_000
"""Gas an acceptance's ``accept`` call may use (it asks the mandate contract)."""
SETTLE_GAS = 400_000
"""Gas the offer's ``settle`` may use: a release per deposit entry (at most 24)."""


def offer_label(nid: int, k: int) -> str:
    """The label of offer ``k`` of negotiation ``nid`` (owned by the venue)."""
    return f"n{nid}.o{k}"


def offer_id(venue: str, nid: int, k: int) -> str:
    """The commitment id of offer ``k`` of negotiation ``nid`` at ``venue``."""
    return f"{venue}/{offer_label(nid, k)}"


def acceptance_label(venue: str, nid: int, k: int) -> str:
    """The label of an acceptance of offer ``k`` (owned by the acceptor)."""
    return f"{venue}.n{nid}.a{k}"


def offer_commitment(
    venue: str,
    nid: int,
    k: int,
    keep: tuple[int, ...],
    acceptors: tuple[str, ...],
    expiry: int,
) -> Commitment:
    """The commitment the venue posts for offer ``k`` (module docstring).

    ``acceptors`` are the accounts whose acceptance counts: the responder and, if it
    appointed one, its agent. A commitment by anyone else never matches, so a third
    party cannot make the offer fire, nor make it fail.
    """
    atoms: list[Formula] = [Fires(ref=f"{a}/{acceptance_label(venue, nid, k)}") for a in acceptors]
    condition: Formula = atoms[0] if len(atoms) == 1 else Or(args=atoms)
    return Commitment(
        owner=venue,
        label=offer_label(nid, k),
        expiry=expiry,
        condition=condition,
        actions=[Call(to=venue, method="settle", args=[nid, k, list(keep)], gas=SETTLE_GAS)],
        otherwise=[Call(to=venue, method="lapse", args=[nid, k], gas=SETTLE_GAS)],
        after=[REFS],
    )


def timer_commitment(venue: str, nid: int, label: str, expiry: int) -> Commitment:
    """A commitment that never fires and, at ``expiry``, calls ``lapse(nid, -1)``: the
    deadline to join (posted at ``open``) and to make the first offer (posted at the
    start), so that a negotiation nobody moves in releases its deposits by itself."""
    return Commitment(
        owner=venue,
        label=f"n{nid}.{label}",
        expiry=expiry,
        condition=Const(value=False),
        otherwise=[Call(to=venue, method="lapse", args=[nid, -1], gas=SETTLE_GAS)],
    )


def _call(to: str, method: str, args: list[Any]) -> dict[str, Any]:
    return {
        "args": args,
        "gas": SETTLE_GAS,
        "kind": "call",
        "method": method,
        "to": to,
        "value": {},
    }


def _document(data: dict[str, Any]) -> str:
    """Canonical JSON, as :meth:`Commitment.to_json` writes it (sorted keys, no spaces)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def offer_document(
    venue: str,
    nid: int,
    k: int,
    keep: tuple[int, ...],
    acceptors: tuple[str, ...],
    expiry: int,
) -> str:
    """``offer_commitment(...).to_json()``, written directly: the contract posts one per
    offer, and building the pydantic model to dump it cost as much as the rest of
    ``propose``. Equal to the model's JSON (tested); the registry parses it again."""
    atoms = [{"op": "fires", "ref": f"{a}/{acceptance_label(venue, nid, k)}"} for a in acceptors]
    return _document(
        {
            "actions": [_call(venue, "settle", [nid, k, list(keep)])],
            "after": [REFS],
            "condition": atoms[0] if len(atoms) == 1 else {"args": atoms, "op": "or"},
            "expiry": expiry,
            "label": offer_label(nid, k),
            "otherwise": [_call(venue, "lapse", [nid, k])],
            "owner": venue,
            "requires": [],
            "version": 1,
        }
    )


def timer_document(venue: str, nid: int, label: str, expiry: int) -> str:
    """``timer_commitment(...).to_json()``, written directly (see :func:`offer_document`)."""
    return _document(
        {
            "actions": [],
            "after": [],
            "condition": {"op": "const", "value": False},
            "expiry": expiry,
            "label": f"n{nid}.{label}",
            "otherwise": [_call(venue, "lapse", [nid, -1])],
            "owner": venue,
            "requires": [],
            "version": 1,
        }
    )


def acceptance(acceptor: str, venue: str, nid: int, k: int, expiry: int) -> Commitment:
    """The complement of offer ``k``: ``acceptor`` calls ``accept(nid, k)`` iff the offer
    fires. Post it with ``device.commit(account, acceptance(...))``; ``expiry`` is the
    offer's (:meth:`Negotiation.offer`)."""
    return Commitment(
        owner=acceptor,
        label=acceptance_label(venue, nid, k),
        expiry=expiry,
        condition=Fires(ref=offer_id(venue, nid, k)),
        actions=[Call(to=venue, method="accept", args=[nid, k], gas=ACCEPT_GAS)],
    )


def discount_factor(rate_per_s: float, block_time_ms: int) -> float:
    """δ = exp(-r · block_time): the per-block discount factor (module docstring)."""
    if not math.isfinite(rate_per_s) or rate_per_s < 0:
        raise ValueError(f"rate_per_s must be a finite number >= 0, got {rate_per_s!r}")
    if block_time_ms <= 0:
        raise ValueError(f"block_time_ms must be positive, got {block_time_ms!r}")
    return math.exp(-rate_per_s * block_time_ms / 1000.0)


def discounted(value: float, blocks: int, delta: float) -> float:
    """``value · δ^blocks``: a deal's worth ``blocks`` blocks after the start."""
    if blocks < 0:
        raise ValueError(f"blocks must be >= 0, got {blocks}")
    return value * delta**blocks
