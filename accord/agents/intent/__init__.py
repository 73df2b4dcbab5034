"""Natural language to intents: a sentence becomes a validated commitment.

``compile_intent("swap 500 A for D")`` parses the common forms deterministically
(:mod:`.parser`) and hands anything else to an LLM (:mod:`.llm`) when a client is
given; ``render(commitment)`` reads any commitment back in plain English. See
``docs/intents.md``.
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
