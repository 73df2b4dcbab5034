"""The LLM path: a sentence the parser does not know, compiled by a model and checked.

The model is asked for ``{"commitment": <document> | null, "refusal": <why> | null}``
in structured output whose schema embeds the commitment language's own JSON Schema
(:func:`accord.device.commitments.codec.json_schema`). Its answer passes three gates
before anyone sees it, and a failure at any gate is fed back to the model (bounded
retries, :func:`accord.agents.structured.ask`):

1. JSON that fits the wrapper;
2. a valid commitment (:func:`~accord.device.commitments.codec.parse_commitment`, whose
   error names the field);
3. a commitment this person may make here: owned by them, not already expired, calling
   only the pools and router of the context, and swapping only through ``swap`` /
   ``swap_best``.

A model that answers with a refusal, or whose answers never pass, yields an
:class:`~accord.agents.intent.parser.IntentError` with the reason: never a guessed
commitment. Passing the gates does not make the commitment what the person *meant*;
that is why :func:`~accord.agents.intent.render.render` reads it back for them to confirm.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from accord.agents.intent.check import check_commitment
from accord.agents.intent.context import IntentContext
from accord.agents.intent.parser import IntentError, parse
from accord.agents.structured import Chat, InvalidOutput, Outcome, ask, parse_json_model
from accord.device.commitments.codec import MalformedCommitment, json_schema, parse_commitment
from accord.device.commitments.language import Commitment

SCHEMA_NAME = "intent"
ROLE = "intent-compiler"


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    commitment: dict[str, Any] | None = None
    refusal: str | None = None


def answer_schema() -> dict[str, Any]:
    """The wrapper schema, with the commitment language's schema as ``$defs.Commitment``."""
    inner = json_schema()
    defs = dict(inner.pop("$defs", {}))
    defs["Commitment"] = inner
    return {
        "type": "object",
        "properties": {
            "commitment": {"anyOf": [{"$ref": "#/$defs/Commitment"}, {"type": "null"}]},
            "refusal": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "required": ["commitment", "refusal"],
        "additionalProperties": False,
        "$defs": defs,
    }


def _parse_answer(context: IntentContext) -> Any:
    def parse_text(text: str) -> Commitment | str:
        answer = parse_json_model(text, _Answer)
        if answer.commitment is None:
            if not answer.refusal:
                raise InvalidOutput("give either a commitment or a refusal saying why")
            return answer.refusal
        try:
            c = parse_commitment(answer.commitment)
        except MalformedCommitment as exc:
            raise InvalidOutput(f"commitment.{exc.field}: {exc}") from None
        check_commitment(c, context)
        return c

    return parse_text


def _examples(context: IntentContext) -> str:
    shots = []
    for sentence in ("swap 500 A for D", "sell 100 A for at least 150 B"):
        try:
            shots.append((sentence, parse(sentence, context).to_json()))
        except IntentError:
            continue
    return "\n".join(
        f'Sentence: {s}\nAnswer: {{"commitment": {j}, "refusal": null}}' for s, j in shots
    )


def messages(sentence: str, context: IntentContext) -> list[dict[str, Any]]:
    """The conversation that asks for ``sentence``'s commitment."""
    system = (
        f"ROLE: {ROLE}\n"
        "You turn one person's sentence into a commitment on a commitment device. A "
        "commitment says: if CONDITION holds at the end of a block, do ACTIONS (calls and "
        "transfers, as the owner), else at EXPIRY do OTHERWISE. Amounts are whole base "
        'units. Answer with JSON: {"commitment": <document>, "refusal": null}, or '
        '{"commitment": null, "refusal": "<why>"} if the sentence is ambiguous or asks '
        "for something a commitment cannot do. Never guess a number the person did not say.\n"
        "Examples:\n" + _examples(context)
    )
    pools = None if context.pools is None else {a: list(t) for a, t in context.pools.items()}
    facts = {
        "role": ROLE,
        "owner": context.owner,
        "block": context.block,
        "default_expiry": context.expiry(),
        "pools": pools if pools is not None else "any pair X/Y has a pool named pool-X-Y",
        "router": context.router,
        "sentence": sentence,
    }
    user = "Context and sentence:\n```json\n" + json.dumps(facts, sort_keys=True) + "\n```"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def compile_with_llm(
    sentence: str, context: IntentContext, client: Chat
) -> tuple[Commitment, Outcome[Commitment | str]]:
    """Ask the model; the commitment, or :class:`IntentError` with the reason."""
    outcome: Outcome[Commitment | str] = ask(
        client,
        context.owner,
        messages(sentence, context),
        SCHEMA_NAME,
        answer_schema(),
        _parse_answer(context),
    )
    if outcome.value is None:
        raise IntentError(f"the model's answers could not be used ({outcome.reason})")
    if isinstance(outcome.value, str):
        raise IntentError(f"the model could not compile it: {outcome.value}")
    return outcome.value, outcome
