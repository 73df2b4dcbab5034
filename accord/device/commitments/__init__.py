"""Conditional commitments: a declarative language, its Löbian semantics, and resolution.

* :mod:`.language` — the commitment as data (pydantic models, JSON Schema);
* :mod:`.codec` — JSON and TOML in and out, with errors naming the field;
* :mod:`.build` — a small Python builder;
* :mod:`.modal` — provability-logic evaluation of mutually referring commitments;
* :mod:`.library` — the standard modal agents, in scope for every commitment;
* :mod:`.registry` — the system contract where commitments wait to be resolved;
* :mod:`.resolver` — which pending commitments fire each block, and settling them;
* :mod:`.cost` — what a pending commitment pays for its evaluation.

See ``docs/commitments.md`` for the semantics.
"""

from accord.device.commitments.codec import (
    MalformedCommitment,
    from_json,
    from_toml,
    json_schema,
    parse_commitment,
    to_json,
    to_toml,
)
from accord.device.commitments.language import (
    COUNTERPART,
    SELF,
    Action,
    Commitment,
    Formula,
)
from accord.device.commitments.modal import ModalSolver, Solution

__all__ = [
    "COUNTERPART",
    "SELF",
    "Action",
    "Commitment",
    "Formula",
    "MalformedCommitment",
    "ModalSolver",
    "Solution",
    "from_json",
    "from_toml",
    "json_schema",
    "parse_commitment",
    "to_json",
    "to_toml",
]
