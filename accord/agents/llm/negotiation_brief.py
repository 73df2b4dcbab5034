"""A principal's preferences in natural language, compiled into limits it can commit.

"Keep at least one book; books are worth 3 to me, hats 1; nothing worth less than 5" is
what a person says. The device needs numbers: :class:`accord.contracts.mandate.Limits`
(``min_receive``, ``max_give``, ``weights``, ``min_value``). :func:`compile_preferences`
asks a model (role ``mandate-compiler``) for exactly those numbers as structured output,
checks them against the pot (known items, quantities the pot holds, a reservation value
some division reaches), and :func:`describe` reads them back in plain English for the
principal to confirm **before** it grants them (``Mandates.grant``): a misread
sentence then shows before it binds anything, as with ``accord intent compile``
(``docs/intents.md``). Once granted, the limits, not the sentence, are what the device
enforces on the delegate.

The stand-in (:func:`stand_in`, not a model) reads a small table of sentence shapes and
refuses anything else; its answers are deterministic, so recordings replay.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from accord.agents.llm.scripted import register_stand_in
from accord.agents.structured import InvalidOutput, Message, Outcome, ask, parse_json_model
from accord.contracts.mandate import Limits, Pairs

ROLE = "mandate-compiler"
SCHEMA_NAME = "principal_limits"
OPEN, CLOSE = "```json\n", "\n```"
MAX_VALUE = 10**6
"""The largest value per item a principal may state (a guard against typos)."""


class LimitsAnswer(BaseModel):
    """The model's reading of a principal's sentence."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    values: dict[str, int] = Field(default_factory=dict)
    min_receive: dict[str, int] = Field(default_factory=dict)
    max_give: dict[str, int] = Field(default_factory=dict)
    min_value: int = 0
    refusal: str | None = Field(None, max_length=300)


SCHEMA: dict[str, Any] = LimitsAnswer.model_json_schema()

SYSTEM = (
    f"ROLE: {ROLE}\n"
    "A principal describes in words what a delegate may agree to when dividing a pot of "
    "items. Turn it into numbers: 'values' (what each item is worth to the principal), "
    "'min_receive' (the least of an item it must get), 'max_give' (the most of an item "
    "it may give up), 'min_value' (the least total value of what it receives). Use only "
    "the items listed; leave out what the principal did not say. If the sentence is "
    "unclear, answer with 'refusal' set to the reason and nothing else."
)


def parse_limits(text: str, pot: Pairs, expiry: int) -> Limits:
    """``text`` as limits for ``pot``, or :class:`InvalidOutput` saying why."""
    answer = parse_json_model(text, LimitsAnswer)
    if answer.refusal is not None:
        raise InvalidOutput(f"refused: {answer.refusal}")
    totals = dict(pot)
    for name, table, top in (
        ("values", answer.values, MAX_VALUE),
        ("min_receive", answer.min_receive, None),
        ("max_give", answer.max_give, None),
    ):
        for item, n in table.items():
            if item not in totals:
                raise InvalidOutput(f"{name}: no item {item!r} in the pot ({', '.join(totals)})")
            limit = totals[item] if top is None else top
            if not 0 <= n <= limit:
                raise InvalidOutput(f"{name}.{item}: must be in [0, {limit}], got {n}")
    best = sum(answer.values.get(i, 0) * n for i, n in totals.items())
    if not 0 <= answer.min_value <= best:
        raise InvalidOutput(
            f"min_value: {answer.min_value} cannot be reached (the whole pot is worth {best})"
        )
    return Limits(
        expiry=expiry,
        min_receive=tuple(sorted(answer.min_receive.items())),
        max_give=tuple(sorted(answer.max_give.items())),
        weights=tuple(sorted((i, v) for i, v in answer.values.items() if v)),
        min_value=answer.min_value,
    )


def messages(sentence: str, pot: Pairs) -> list[Message]:
    data = {"sentence": sentence, "items": [i for i, _ in pot], "pot": dict(pot)}
    user = "Principal:\n" + OPEN + json.dumps(data, sort_keys=True) + CLOSE
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def compile_preferences(
    sentence: str, pot: Pairs, client: Any, *, expiry: int, agent: str = "principal"
) -> Outcome[Limits]:
    """Ask ``client`` to read ``sentence`` as limits for ``pot`` (checked, retried)."""
    if not isinstance(sentence, str) or not sentence.strip() or len(sentence) > 1_000:
        raise ValueError("the sentence must be a non-empty str of at most 1,000 characters")
    return ask(
        client,
        agent,
        messages(sentence, pot),
        SCHEMA_NAME,
        SCHEMA,
        lambda text: parse_limits(text, pot, expiry),
    )


def describe(limits: Limits) -> str:
    """The limits in plain English, for the principal to confirm before granting them."""
    worth = "; ".join(f"a {i} is worth {v}" for i, v in limits.weights)
    head = f"Values: {worth}. " if worth else ""
    rules = [f"you get at least {n} {i}{'s' * (n != 1)}" for i, n in limits.min_receive]
    rules += [f"you give up at most {n} {i}{'s' * (n != 1)}" for i, n in limits.max_give]
    if limits.min_value:
        rules.append(f"what you get is worth at least {limits.min_value}")
    until = f"until block {limits.expiry}"
    if not rules:
        return f"{head}Your delegate may agree to any division ({until})."
    return f"{head}Your delegate may agree only if {' and '.join(rules)} ({until})."


# -- the stand-in (not a model) ------------------------------------------------------------
_NUMBERS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6"}
_WORTH = re.compile(r"(\w+?)s? (?:are|is) worth (\d+)")
_AT_LEAST = re.compile(r"(?:keep|get) at least (\d+) (\w+?)s?\b")
_AT_MOST = re.compile(r"give up at most (\d+) (\w+?)s?\b")
_RESERVE = re.compile(r"(?:nothing|no deal) worth less than (\d+)")


def read_sentence(user: str) -> dict[str, Any]:
    start = user.index(OPEN) + len(OPEN)
    data = json.loads(user[start : user.index(CLOSE, start)])
    if not isinstance(data, dict):
        raise ValueError("the request is not a JSON object")
    return data


def stand_in(user: str, attempt: int) -> str:
    """Read the sentence's known shapes; refuse if it has none. A first answer naming a
    quantity as a string (``"2"``) exercises the retry."""
    data = read_sentence(user)
    words = str(data["sentence"]).lower().replace(";", " ").replace(",", " ").split()
    sentence = " ".join(_NUMBERS.get(w, w) for w in words)
    items: Sequence[str] = data["items"]
    answer: dict[str, Any] = {"values": {}, "min_receive": {}, "max_give": {}, "min_value": 0}
    for item, n in _WORTH.findall(sentence):
        if item in items:
            answer["values"][item] = int(n)
    for n, item in _AT_LEAST.findall(sentence):
        if item in items:
            answer["min_receive"][item] = int(n)
    for n, item in _AT_MOST.findall(sentence):
        if item in items:
            answer["max_give"][item] = int(n)
    reserve = _RESERVE.search(sentence)
    if reserve is not None:
        answer["min_value"] = int(reserve.group(1))
    if not any((answer["values"], answer["min_receive"], answer["max_give"], reserve)):
        return json.dumps({"refusal": "I cannot tell what you want to keep or what it is worth"})
    if attempt == 0 and answer["min_value"]:
        return json.dumps({**answer, "min_value": str(answer["min_value"])})
    return json.dumps(answer)


register_stand_in(ROLE, stand_in)
