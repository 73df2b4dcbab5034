"""Natural language to intents: a sentence becomes a validated commitment.

``compile_intent("swap 500 A for D")`` parses the common forms deterministically
(:mod:`.parser`) and hands anything else to an LLM (:mod:`.llm`) when a client is
given; ``render(commitment)`` reads any commitment back in plain English. See
``docs/intents.md``. Modules:

- ``compile``: :func:`compile_intent`, parser first, then the LLM path.
- ``parser``: the common intents, compiled without a model.
- ``llm``: the LLM path (any :class:`~accord.agents.structured.Chat`, e.g. an
  :class:`~accord.agents.llm.client.LLMClient`).
- ``check``: gate 3, a commitment this person may make here.
- ``context``: who speaks, when, and which contracts exist.
- ``render``: a commitment read back in English.
"""

from accord.agents.intent.compile import CompiledIntent, compile_intent
from accord.agents.intent.context import IntentContext
from accord.agents.intent.parser import FORMS, IntentError, NotRecognised
from accord.agents.intent.render import render

__all__ = [
    "FORMS",
    "CompiledIntent",
    "IntentContext",
    "IntentError",
    "NotRecognised",
    "compile_intent",
    "render",
]
