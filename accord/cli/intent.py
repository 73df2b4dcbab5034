"""``accord intent``: a sentence to a validated commitment, read back in plain English."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from accord.cli.common import fail

intent_app = typer.Typer(
    rich_markup_mode="markdown",
    help="Natural language to intents (commitments).",
    no_args_is_help=True,
)
console = Console()


def _pools(specs: list[str]) -> dict[str, tuple[str, ...]] | None:
    if not specs:
        return None
    pools: dict[str, tuple[str, ...]] = {}
    for spec in specs:
        pair, sep, address = spec.partition("=")
        tokens = tuple(t for t in pair.split("/") if t)
        if not sep or not address or len(tokens) < 2:
            raise typer.BadParameter(f"--pool {spec!r}: expected X/Y=ADDRESS, e.g. A/D=0xabc")
        pools[address] = tokens
    return pools


@intent_app.command("compile")
def compile_(
    sentence: Annotated[str, typer.Argument(help='e.g. "swap 500 A for D"')],
    as_json: Annotated[
        bool, typer.Option("--json", help="End with the commitment as one JSON line.")
    ] = False,
    llm: Annotated[
        bool, typer.Option("--llm/--no-llm", help="Ask an LLM when the parser does not know it.")
    ] = False,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible endpoint.")] = None,
    model: Annotated[str | None, typer.Option(help="Model name.")] = None,
    cache: Annotated[Path | None, typer.Option(help="JSONL record/replay cache.")] = None,
    mode: Annotated[str, typer.Option(help="replay | record | live")] = "replay",
    owner: Annotated[str, typer.Option(help="Whose commitment it is.")] = "me",
    block: Annotated[int, typer.Option(help="The first block it may fire in.")] = 1,
    patience: Annotated[int, typer.Option(help="Blocks it stays open by default.")] = 10,
    pool: Annotated[
        list[str] | None, typer.Option(help="A pool as X/Y=ADDRESS (repeatable).")
    ] = None,
    router: Annotated[str | None, typer.Option(help="The best-path router's address.")] = "router",
) -> None:
    """Compile SENTENCE into a commitment and print what it will do, in plain English.

    The parser handles swap, limit, conditional swap and flash loan sentences without a
    model; with --llm, anything else goes to the endpoint (through the cache). Exits 1
    with the reason when the sentence cannot be compiled.
    """
    from pydantic import ValidationError

    from accord.agents.intent import IntentContext, IntentError, compile_intent
    from accord.agents.llm import LLMClient, LLMSettings
    from accord.agents.llm.cache import CacheError, CacheMiss
    from accord.agents.llm.config import EndpointError

    def refuse(reason: str) -> typer.Exit:
        if as_json:
            print(json.dumps({"error": reason}))
        return fail(reason, label="cannot compile")

    context = IntentContext(
        owner=owner, block=block, patience=patience, pools=_pools(pool or []), router=router
    )
    client = None
    if llm:
        try:
            settings = LLMSettings(
                base_url=base_url,
                model=model,
                cache=None if cache is None else str(cache),
                mode=mode,
            )
            client = LLMClient(settings)
        except (ValidationError, EndpointError, CacheError) as exc:
            raise refuse(f"LLM settings: {exc}") from None
    try:
        compiled = compile_intent(sentence, client, context=context)
    except IntentError as exc:
        raise refuse(str(exc)) from None
    except CacheMiss as exc:
        raise refuse(str(exc)) from None
    console.print(compiled.english, highlight=False, soft_wrap=True)
    how = "the deterministic parser" if compiled.source == "parser" else "the LLM"
    console.print(f"[dim]compiled by {how}; confirm before posting it[/dim]", highlight=False)
    if as_json:
        print(compiled.commitment.to_json())
