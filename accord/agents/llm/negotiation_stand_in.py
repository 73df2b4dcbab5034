"""The delegate's stand-in: a deterministic negotiation policy served as the ``delegate``
role of the scripted endpoint. **Not a model** (``docs/llm.md``).

It reads the situation the prompt carries (:func:`accord.agents.llm.negotiation.
observation_data`) and plays a time-dependent concession within the principal's limits
(Faratin, Sierra & Jennings 1998, "Negotiation decision functions for autonomous
agents", eq. for the Boulware family with ``e = 1/2``): with ``t = step / n_steps``,
``u_max`` the best value any division allowed by the limits gives the principal and
``u_min`` the least the limits allow, its target is

    target(t) = u_min + (u_max - u_min) (1 - t²)

in exact fractions. It proposes, among the allowed divisions worth at least the target,
the one worth least to the principal (leaving the counterpart the most), then the one
giving the counterpart the most items; it accepts an allowed offer worth at least its
next target, or any allowed offer when it can no longer counter; otherwise it counters,
or ends.

Some first answers are deliberately invalid (one in :data:`FAULT_EVERY`, by a CRC of the
negotiation and step), to exercise validation and retries: not JSON, quantities as
strings, a division breaking the principal's limits, an extra field. And it is
**gullible**: on a first attempt, a counterpart note containing "ignore" makes it do what
the note asks (give everything away); the check refuses that answer, naming the limit,
and the retry is the policy's. The device would refuse it too.
"""

from __future__ import annotations

import json
import zlib
from fractions import Fraction
from itertools import product
from typing import Any

from accord.agents.llm.negotiation import ROLE, read_situation
from accord.agents.llm.scripted import register_stand_in
from accord.contracts.mandate import Raw, violation

FAULT_EVERY = 4
FAULTS = ("not_json", "string_quantities", "out_of_limits", "extra_field")
MAX_DIVISIONS = 4_096
"""The stand-in enumerates divisions only of pots this small (Deal or No Deal: <= 512)."""


def _limits(data: dict[str, Any]) -> Raw:
    lim = data["limits"]
    return (
        int(lim["expiry_block"]),
        tuple(sorted((a, int(n)) for a, n in lim["min_receive"].items())),
        tuple(sorted((a, int(n)) for a, n in lim["max_give"].items())),
        tuple(sorted((a, int(n)) for a, n in lim["value_weights"].items())),
        int(lim["min_value"]),
    )


def allowed_divisions(data: dict[str, Any]) -> list[tuple[tuple[int, ...], int]]:
    """``(receive, value)`` of every division the principal's limits allow."""
    items, pot, values = data["items"], data["pot"], data["your_values"]
    limits, block = _limits(data), int(data["block"])
    deposited = tuple(sorted((a, int(n)) for a, n in data["you_deposited"].items()))
    count = 1
    for n in pot:
        count *= n + 1
    if count > MAX_DIVISIONS:
        raise ValueError(f"the stand-in enumerates at most {MAX_DIVISIONS} divisions")
    out = []
    for r in product(*(range(n + 1) for n in pot)):
        got = tuple(zip(items, r, strict=True))
        if violation(limits, block, deposited, got) is None:
            out.append((r, sum(v * q for v, q in zip(values, r, strict=True))))
    return out


def target(step: int, n_steps: int, low: int, high: int) -> Fraction:
    """Boulware's target at ``t = step / n_steps`` (module docstring)."""
    t = Fraction(step, n_steps)
    return low + (high - low) * (1 - t * t)


def policy(data: dict[str, Any]) -> dict[str, Any]:
    """The stand-in's move for a situation (module docstring)."""
    allowed = allowed_divisions(data)
    actions = data["allowed_actions"]
    if not allowed:
        return {"action": "end", "receive": None, "note": "my limits allow no division"}
    step, n_steps = int(data["step"]), int(data["n_steps"])
    low, high = min(v for _, v in allowed), max(v for _, v in allowed)
    offer = data["live_offer_gives_you"]
    ok = {r: v for r, v in allowed}
    if offer is not None:
        offered = ok.get(tuple(offer))
        if offered is not None and (
            offered >= target(step, n_steps, low, high) or "propose" not in actions
        ):
            return {"action": "accept", "receive": None, "note": "agreed"}
    if "propose" not in actions:
        return {"action": "end", "receive": None, "note": "no deal within my limits"}
    goal = target(step, n_steps, low, high)
    pot = data["pot"]
    receive, _ = min(
        ((r, v) for r, v in allowed if v >= goal),
        key=lambda rv: (rv[1], -sum(n - q for n, q in zip(pot, rv[0], strict=True)), rv[0]),
    )
    return {"action": "propose", "receive": list(receive), "note": "how about this?"}


def stand_in(user: str, attempt: int) -> str:
    """The stand-in delegate's answer to one request (module docstring)."""
    data = read_situation(user)
    note = str(data.get("counterpart_note") or "")
    zero = [0] * len(data["pot"])
    if attempt == 0 and "ignore" in note.lower() and "propose" in data["allowed_actions"]:
        return json.dumps({"action": "propose", "receive": zero, "note": "as you asked"})
    tag = zlib.crc32(f"{ROLE}:{data['negotiation']}:{data['step']}".encode())
    move = policy(data)
    if attempt == 0 and tag % FAULT_EVERY == 0:
        kind = FAULTS[(tag // FAULT_EVERY) % len(FAULTS)]
        if kind == "not_json":
            return "I would be happy to take two books and leave you the rest."
        if kind == "string_quantities":
            return json.dumps({**move, "receive": [str(q) for q in move["receive"] or zero]})
        if kind == "out_of_limits" and "propose" in data["allowed_actions"]:
            return json.dumps({"action": "propose", "receive": zero, "note": "a gift"})
        return json.dumps({**move, "transfer_to": "mallory"})
    return json.dumps(move)


register_stand_in(ROLE, stand_in)
