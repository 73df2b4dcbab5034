"""A real model, offline: ``accord llm serve`` over llama-cpp-python (``docs/llm-local.md``).

* :mod:`.grammar`, :mod:`.integers`, :mod:`.schema`: a request's JSON schema as a GBNF
  grammar, ``$ref`` inlined, integer bounds kept, no raw control character in a string;
  what the grammar cannot keep is refused, never dropped;
* :mod:`.protocol`: the chat-completions requests and answers, and the 4xx refusals;
* :mod:`.engine`: the model (llama-cpp-python, imported lazily, so the core installs
  without it) with its own chat template, greedy and seeded;
* :mod:`.server`: the Starlette app and uvicorn (``accord llm serve``);
* :mod:`.process`: start and stop a server from a test or a script.
"""

from accord.agents.llm.local.engine import (
    SMOLLM2_ID,
    Engine,
    EngineError,
    Generation,
    LlamaEngine,
    Prompt,
    default_model,
)
from accord.agents.llm.local.grammar import Grammar
from accord.agents.llm.local.process import LocalServer, local_server, local_stack_available
from accord.agents.llm.local.protocol import RequestError
from accord.agents.llm.local.schema import SchemaError, inline_refs, schema_grammar
from accord.agents.llm.local.server import answer, create_app
from accord.agents.llm.local.server import serve as serve_engine

__all__ = [
    "SMOLLM2_ID",
    "Engine",
    "EngineError",
    "Generation",
    "Grammar",
    "LlamaEngine",
    "LocalServer",
    "Prompt",
    "RequestError",
    "SchemaError",
    "answer",
    "create_app",
    "default_model",
    "inline_refs",
    "local_server",
    "local_stack_available",
    "schema_grammar",
    "serve_engine",
]
