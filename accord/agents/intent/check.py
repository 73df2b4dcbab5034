"""Gate 3 of a compiled intent: a commitment this person may make here.

Whoever wrote the commitment (the parser, a model, an LLM agent), it must be owned by
the person speaking, not already expired, call only the pools and router of the context,
and swap only through ``swap``/``swap_best``. :func:`check_commitment` raises
:class:`~accord.agents.structured.InvalidOutput` (a message a model can act on)
otherwise. Used by the LLM path (:mod:`.llm`) and the LLM agents
(:mod:`accord.agents.llm.actions`).
"""

from __future__ import annotations

from accord.agents.intent.context import IntentContext
from accord.agents.structured import InvalidOutput
from accord.device.commitments.language import Call, Commitment


def check_commitment(c: Commitment, context: IntentContext) -> None:
    """Gate 3: raise :class:`InvalidOutput` if ``c`` is not one this person may make."""
    if c.owner != context.owner:
        raise InvalidOutput(
            f"owner must be {context.owner!r} (the person speaking), not {c.owner!r}"
        )
    if c.expiry < context.block:
        raise InvalidOutput(
            f"expiry {c.expiry} is before block {context.block}: it could never fire"
        )
    known = context.known_contracts()
    for where, actions in (("actions", c.actions), ("otherwise", c.otherwise)):
        for k, a in enumerate(actions):
            if not isinstance(a, Call):
                continue
            if known is not None and a.to not in known:
                raise InvalidOutput(
                    f"{where}[{k}] calls {a.to!r}, which is not a pool or router here "
                    f"(known: {', '.join(sorted(known))})"
                )
            if a.method not in ("swap", "swap_best"):
                raise InvalidOutput(f"{where}[{k}] calls {a.method!r}: only swap and swap_best")
