"""The ``deal_or_no_deal`` game's LLM seat: a delegate bargains for a principal on the device.

A scenario seats an LLM delegate by naming ``"LLM"`` as ``params.first`` or
``params.second`` (the other seat is a scripted negotiator); ``params.llm`` gives the
endpoint, recording and budgets exactly as the ``llm_defi`` game takes them
(:class:`~accord.agents.llm.config.LLMSettings`: ``base_url``, ``model``, ``mode``
record/replay/live, ``cache``, ``max_retries``, budgets). Each instance is played on a
:class:`~accord.agents.llm.negotiation_device.DelegationTable`: the host escrows the
pool, the **principal commits its hard limits first** (``Mandates.grant``: its instance
values as weights, ``params.reservation`` as ``min_value``), then joins naming its
delegate; every offer and acceptance the delegate signs is checked against that mandate
by the device (``Negotiation._check_mandate``), whatever the model answered.

Metrics beside the scripted pairs' (:data:`LLM_METRICS`): the delegate's principal's
mean value, the agreements worth less than the reservation (the mandate makes this 0),
the delegate's moves the device refused, the answers the vocabulary's check refused
for breaking the mandate (then retried), every invalid answer, retry, give-up, call and
token. A sweep over the scripted seat gives them per opponent
(``examples/deal-or-no-deal-llm.toml``). Negotiations run one at a time, one
transaction per block (the LLM seat is about the mandate, not the waves' speed).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from accord.agents.bargaining import Negotiator
from accord.agents.llm.client import LLMClient
from accord.agents.llm.config import LLMSettings
from accord.agents.llm.negotiation import LLMDelegate, LLMNegotiator
from accord.agents.llm.negotiation_device import ITEMS, DelegatedEpisode, new_delegation_table
from accord.device.config import DeviceConfig
from accord.games.bargaining_device import Episode, Match
from accord.games.glossary import NON_NEGATIVE, Better, Metric
from accord.mechanisms.bargaining.deal_or_no_deal import Instance

LLM_SEAT = "LLM"
"""The seat kind that puts an LLM delegate in a seat."""
MANDATE_REFUSED = "mandate refuses"
"""What :func:`accord.agents.llm.negotiation.parse_move` says of an answer outside the limits."""


def _m(name: str, unit: str, meaning: str, better: Better = Better.NEITHER) -> Metric:
    return Metric(name, unit, NON_NEGATIVE, meaning, better, False)


LLM_METRICS: tuple[Metric, ...] = (
    _m(
        "principal_value",
        "value points",
        "LLM seat: mean value of what the delegate's principal received (no deal: 0).",
        Better.HIGHER,
    ),
    _m(
        "below_reservation",
        "agreements",
        "LLM seat: agreements worth less than the principal's reservation (the mandate: 0).",
        Better.LOWER,
    ),
    _m(
        "mandate_refusals_device",
        "moves",
        "LLM seat: the delegate's offers or acceptances the device refused (its mandate).",
        Better.LOWER,
    ),
    _m(
        "mandate_refusals_checked",
        "answers",
        "LLM seat: answers the check refused for breaking the principal's limits (retried).",
        Better.LOWER,
    ),
    _m(
        "llm_invalid_answers",
        "answers",
        "LLM seat: answers refused by the check (not JSON, schema, turn, limits).",
        Better.LOWER,
    ),
    _m("llm_retries", "calls", "LLM seat: calls made after an invalid answer.", Better.LOWER),
    _m(
        "llm_gave_up",
        "decisions",
        "LLM seat: turns with no valid answer after every retry (the delegate then ends).",
        Better.LOWER,
    ),
    _m("llm_calls", "calls", "LLM seat: chat-completion calls, retries included."),
    _m("llm_tokens", "tokens", "LLM seat: prompt + completion tokens spent."),
)


def check_settings(first: str, second: str, llm: LLMSettings | None, turn_blocks: int) -> None:
    """Refuse, with one line, a scenario whose LLM seat cannot run (nothing runs)."""
    seats = (first, second).count(LLM_SEAT)
    if seats == 0:
        return
    if seats == 2:
        raise ValueError("at most one seat may be 'LLM' (the other is a scripted negotiator)")
    if llm is None:
        raise ValueError("an 'LLM' seat needs params.llm (base_url, model, mode, cache)")
    if turn_blocks < 3:
        raise ValueError("an 'LLM' seat needs turn_blocks >= 3 (a move lands a block later)")
    if llm.mode == "replay":
        if llm.cache is None:
            raise ValueError("llm.cache: replay mode needs the recording to replay")
        if llm.model is None:
            raise ValueError("llm.model: replay needs the recorded model's name")
        if not Path(llm.cache).is_file():
            raise ValueError(f"llm.cache: no recording at {llm.cache!r}")


def _division(received: dict[str, int], instance: Instance, player: int) -> tuple[int, int, int]:
    """Player 0's quantities of the division in which ``player`` received ``received``."""
    mine = [received.get(item, 0) for item in ITEMS]
    if player == 1:
        mine = [n - q for n, q in zip(instance.pool, mine, strict=True)]
    return (mine[0], mine[1], mine[2])


def play_llm_seat(
    instances: Sequence[Instance],
    scripted: type[Negotiator] | Any,
    player: int,
    settings: LLMSettings,
    config: DeviceConfig,
    seed: int,
    *,
    reservation: int,
    n_steps: int,
    turn_blocks: int,
    brief: str = "",
    client: LLMClient | None = None,
    check: bool = True,
) -> tuple[list[Episode], dict[str, float], list[dict[str, Any]], str, int]:
    """Play every instance with the delegate in seat ``player`` against a fresh
    ``scripted()``; the episodes (for the scripted pairs' metrics), the LLM metrics, the
    transcript, the device's state hash and its last block. ``check = False`` turns the
    delegate's own limit check off (tests: the device alone then refuses)."""
    client = client or LLMClient(settings)
    table = new_delegation_table(instances, seed, config)
    table.turn_blocks = turn_blocks
    device = table.device
    episodes: list[Episode] = []
    played: list[DelegatedEpisode] = []
    transcript: list[dict[str, Any]] = []
    invalid = gave_up = 0
    for k, inst in enumerate(instances):
        delegate = LLMDelegate("delegate", client, check=check)
        start = device.number
        e = table.play(
            inst,
            player,
            delegate,
            scripted(),
            reservation=reservation,
            n_steps=n_steps,
            brief=brief,
        )
        played.append(e)
        invalid += delegate.invalid
        gave_up += delegate.gave_up
        for row in delegate.transcript:
            transcript.append({"instance": inst.line, "episode": k, **row})
        seat: Negotiator = LLMNegotiator(delegate, reservation)  # who played, for the record
        other = scripted()
        pair = (seat, other) if player == 0 else (other, seat)
        division = None if e.received is None else _division(e.received, inst, player)
        utilities = (0, 0) if division is None else inst.utilities(division)
        assert division is None or utilities[player] == e.value, (utilities, e.value)
        blocks = device.number - start
        episodes.append(
            Episode(Match(inst, pair, k), division, utilities, e.offers, blocks, e.ended_by)
        )
    agreed = [e for e in played if e.received is not None]
    ledger = client.ledger.run
    metrics = {
        "principal_value": sum(e.value for e in played) / len(played) if played else math.nan,
        "below_reservation": float(sum(e.value < reservation for e in agreed)),
        "mandate_refusals_device": float(sum(e.refused for e in played)),
        "mandate_refusals_checked": float(
            sum(MANDATE_REFUSED in str(r["error"]) for r in transcript)
        ),
        "llm_invalid_answers": float(invalid),
        "llm_retries": float(sum(int(r["attempt"]) > 0 for r in transcript)),
        "llm_gave_up": float(gave_up),
        "llm_calls": float(ledger.calls),
        "llm_tokens": float(ledger.tokens),
    }
    return episodes, metrics, transcript, device.state_hash().hex(), device.number
