"""``compile_intent``: a person's sentence to a validated commitment, and back to English.

The deterministic parser (:mod:`.parser`) is tried first; it needs no model and is
exact. Only a sentence in none of its forms goes to the LLM path (:mod:`.llm`), and only
when a client is given. Either way the commitment is validated by the language's own
model and rendered back (:func:`~accord.agents.intent.render.render`) so that the
person confirms what the device will do, not what they think they said.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from accord.agents.intent.context import IntentContext
from accord.agents.intent.llm import compile_with_llm
from accord.agents.intent.parser import IntentError, NotRecognised, parse
from accord.agents.intent.render import render
from accord.agents.structured import Chat
from accord.device.commitments.codec import parse_commitment
from accord.device.commitments.language import Commitment


@dataclass(frozen=True)
class CompiledIntent:
    """A compiled sentence: the commitment, its English reading, and who compiled it."""

    sentence: str
    commitment: Commitment
    english: str
    source: Literal["parser", "llm"]
    llm_calls: int = 0


def compile_intent(
    sentence: str,
    client: Chat | None = None,
    *,
    context: IntentContext | None = None,
) -> CompiledIntent:
    """Compile ``sentence``; raise :class:`IntentError` saying why it cannot be.

    ``client=None`` uses the parser only: a sentence in no known form is refused with
    the list of forms. With a client, such a sentence goes to the model.
    """
    ctx = context or IntentContext()
    try:
        c = parse(sentence, ctx)
    except NotRecognised:
        if client is None:
            raise
        c, outcome = compile_with_llm(sentence, ctx, client)
        c = parse_commitment(c.to_data())  # the stored form, validated once more
        return CompiledIntent(sentence, c, render(c), "llm", len(outcome.attempts))
    return CompiledIntent(sentence, c, render(c), "parser")


__all__ = ["CompiledIntent", "IntentError", "compile_intent"]
