"""The ``deal_or_no_deal`` game: scripted negotiators bargain on the device.

One run plays an ordered pair of negotiators (``first`` is OpenSpiel's player 0, who
opens) on the Deal or No Deal instances (OpenSpiel's 1,000, read by
:func:`accord.mechanisms.bargaining.deal_or_no_deal.read_instances`; a seeded sample
when ``instances < 1000``). Every negotiation runs **on the device**
(:mod:`accord.games.bargaining_device`): the pool is escrowed by a host, each offer is
a conditional commitment, an acceptance is its complement, a lapse releases the items.
A sweep over ``params.first`` × ``params.second`` plays every pair
(``examples/deal-or-no-deal.toml``).

Metrics (each against :func:`~accord.mechanisms.bargaining.deal_or_no_deal.analyse`'s
exact analysis of the instance): the agreement rate; the joint value against the
maximum joint value; the share of outcomes on the Pareto frontier (no deal, worth
``(0, 0)``, never is); the Euclidean distance of ``(u0, u1)`` to the Nash bargaining
split's utilities (Nash 1950; disagreement ``(0, 0)``); offers made and blocks used; the
joint value discounted by ``δ^blocks`` with ``δ = exp(-r · block_time)``
(:func:`accord.contracts.negotiation_offers.discount_factor`); and, as a check of the
device against the off-device runner, the share of negotiations whose outcome and
length equal :func:`accord.agents.bargaining.sao.run_negotiation`'s.

A seat named ``"LLM"`` is an LLM delegate negotiating for a principal that committed its
limits to the device first, against the scripted negotiator in the other seat
(:mod:`accord.games.deal_or_no_deal_llm`, ``examples/deal-or-no-deal-llm.toml``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.agents.bargaining import (
    Boulware,
    Conceder,
    Linear,
    Negotiator,
    ParetoAware,
    TitForTat,
    run_negotiation,
)
from accord.agents.llm.config import LLMSettings
from accord.agents.llm.negotiation import MAX_BRIEF
from accord.contracts.negotiation_offers import discount_factor
from accord.device.config import DeviceConfig
from accord.games.bargaining_device import Episode, Match, new_table, wave_size
from accord.games.base import GameResult, register_game
from accord.games.deal_or_no_deal_llm import LLM_METRICS, LLM_SEAT, check_settings, play_llm_seat
from accord.games.glossary import (
    NON_NEGATIVE,
    UNIT_INTERVAL,
    Better,
    Glossary,
    Metric,
    glossary,
)
from accord.mechanisms.bargaining.deal_or_no_deal import (
    MAX_TURNS,
    Analysis,
    Instance,
    analyse,
    read_instances,
)

NEGOTIATORS: dict[str, Callable[[], Negotiator]] = {
    "Boulware": Boulware,
    "Linear": Linear,
    "Conceder": Conceder,
    "TitForTat": TitForTat,
    "ParetoAware": ParetoAware,
}
"""The scripted negotiators (``accord.agents.bargaining``), by name, with their defaults."""
NegotiatorName = Literal["Boulware", "Linear", "Conceder", "TitForTat", "ParetoAware"]
SeatName = Literal["Boulware", "Linear", "Conceder", "TitForTat", "ParetoAware", "LLM"]
"""A seat's kind: a scripted negotiator, or ``"LLM"``: an LLM delegate for a principal
(:mod:`accord.games.deal_or_no_deal_llm`)."""


class DealOrNoDealParams(BaseModel):
    """The game's parameters. Counts are strict ints: lax pydantic would read ``true`` as
    1 instance and ``"9"`` as 9 steps instead of naming the mistake."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    first: SeatName = "Boulware"
    """Player 0's negotiator (it opens)."""
    second: SeatName = "Linear"
    instances: int = Field(1000, ge=1, le=1000, strict=True)
    """How many of the 1,000 instances (all, or a sample drawn with the run's seed)."""
    n_steps: int = Field(MAX_TURNS - 1, ge=1, le=100, strict=True)
    """Offers after which there is no deal (9: OpenSpiel's ``max_turns = 10``)."""
    turn_blocks: int = Field(2, ge=2, le=100, strict=True)
    """A responder's window, in blocks (it answers in the next block)."""
    wave: int = Field(1000, ge=1, le=4000, strict=True)
    """Negotiations played in lock-step (at most what the block gas limit allows)."""
    discount_rate_per_s: float = Field(0.0, ge=0.0, allow_inf_nan=False)
    """``r`` of the discounted joint value's ``δ = exp(-r · block_time)``."""
    llm: LLMSettings | None = None
    """The LLM seat's endpoint, recording and budgets (as the ``llm_defi`` game's)."""
    reservation: int = Field(0, ge=0, le=10, strict=True)
    """The LLM seat's principal's least acceptable value, committed in its mandate."""
    brief: str = Field("", max_length=MAX_BRIEF)
    """The LLM seat's principal's instructions in natural language (may be empty)."""

    @model_validator(mode="after")
    def _llm_seat(self) -> DealOrNoDealParams:
        check_settings(self.first, self.second, self.llm, self.turn_blocks)
        return self


def _metric(
    name: str, unit: str, support: Any, meaning: str, better: Better, headline: bool = False
) -> Metric:
    return Metric(name, unit, support, meaning, better, headline)


GLOSSARY: Glossary = glossary(
    [
        _metric(
            "agreement_rate",
            "share",
            UNIT_INTERVAL,
            "Share of negotiations that ended in an accepted offer.",
            Better.HIGHER,
            True,
        ),
        _metric(
            "joint_value_ratio",
            "share",
            UNIT_INTERVAL,
            "Mean of (u0 + u1) / the instance's maximum joint value.",
            Better.HIGHER,
            True,
        ),
        _metric(
            "pareto_rate",
            "share",
            UNIT_INTERVAL,
            "Share of outcomes on the Pareto frontier (no deal never is).",
            Better.HIGHER,
            True,
        ),
        _metric(
            "nash_distance",
            "value points",
            NON_NEGATIVE,
            "Mean Euclidean distance of (u0, u1) to the Nash split's utilities.",
            Better.LOWER,
            True,
        ),
        _metric(
            "turns",
            "offers",
            NON_NEGATIVE,
            "Mean number of offers made per negotiation.",
            Better.NEITHER,
        ),
        _metric(
            "blocks",
            "blocks",
            NON_NEGATIVE,
            "Mean blocks from the start to settlement or release.",
            Better.LOWER,
        ),
        _metric(
            "utility_first",
            "value points",
            NON_NEGATIVE,
            "Mean utility of the first negotiator (player 0).",
            Better.NEITHER,
        ),
        _metric(
            "utility_second",
            "value points",
            NON_NEGATIVE,
            "Mean utility of the second negotiator (player 1).",
            Better.NEITHER,
        ),
        _metric(
            "discounted_joint_value_ratio",
            "share",
            UNIT_INTERVAL,
            "joint_value_ratio with each deal discounted by δ^blocks.",
            Better.HIGHER,
        ),
        _metric(
            "matches_offline",
            "share",
            UNIT_INTERVAL,
            "Share of negotiations whose device outcome and length equal the off-device runner's.",
            Better.HIGHER,
        ),
        _metric("episodes", "negotiations", NON_NEGATIVE, "Negotiations played.", Better.NEITHER),
        *LLM_METRICS,
    ]
)


_analyse = functools.lru_cache(maxsize=4096)(analyse)
"""An instance's exact analysis, once per instance (episodes share instances)."""


def pick_instances(n: int, seed: int) -> tuple[Instance, ...]:
    """All 1,000 instances, or ``n`` of them drawn without replacement (file order)."""
    everything = read_instances()
    if n >= len(everything):
        return everything
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(everything), size=n, replace=False))
    return tuple(everything[int(i)] for i in chosen)


def summarise(
    episodes: Sequence[Episode], delta: float = 1.0, offline: Sequence[bool] | None = None
) -> dict[str, float]:
    """The glossary's metrics over ``episodes`` (module docstring)."""
    n = len(episodes)
    if n == 0:
        raise ValueError("no episodes to summarise")
    agreed = joint = pareto = dist = turns = blocks = u0 = u1 = disc = 0.0
    for e in episodes:
        a: Analysis = _analyse(e.match.instance)
        x, y = e.utilities
        ratio = (x + y) / a.max_joint
        agreed += e.agreement is not None
        joint += ratio
        disc += ratio * delta**e.blocks if e.agreement is not None else 0.0
        pareto += e.agreement is not None and a.is_pareto_optimal((x, y))
        nx, ny = a.nash_utilities
        dist += math.hypot(x - nx, y - ny)
        turns += e.offers
        blocks += e.blocks
        u0 += x
        u1 += y
    return {
        "agreement_rate": agreed / n,
        "joint_value_ratio": joint / n,
        "pareto_rate": pareto / n,
        "nash_distance": dist / n,
        "turns": turns / n,
        "blocks": blocks / n,
        "utility_first": u0 / n,
        "utility_second": u1 / n,
        "discounted_joint_value_ratio": disc / n,
        "matches_offline": math.nan if offline is None else sum(offline) / n,
        "episodes": float(n),
        **{m.name: math.nan for m in LLM_METRICS},
    }


def matches_offline(episode: Episode, names: tuple[str, str], n_steps: int) -> bool:
    """Whether the off-device runner, with fresh negotiators, ends the same way."""
    fresh = [NEGOTIATORS[names[0]](), NEGOTIATORS[names[1]]()]
    result = run_negotiation(episode.match.instance, fresh, n_steps)
    return result.agreement == episode.agreement and result.steps == episode.offers


@register_game
class DealOrNoDealGame:
    """An ordered pair of scripted negotiators on the Deal or No Deal instances, on the device."""

    name: ClassVar[str] = "deal_or_no_deal"
    Params: ClassVar[type[BaseModel]] = DealOrNoDealParams
    glossary: ClassVar[Glossary] = GLOSSARY

    def run(self, params: BaseModel, device: DeviceConfig, seed: int) -> GameResult:
        p = DealOrNoDealParams.model_validate(params.model_dump())
        instances = pick_instances(p.instances, seed)
        if LLM_SEAT in (p.first, p.second):
            return _run_llm_seat(p, device, seed, instances)
        table = new_table(device, instances, seed, n_steps=p.n_steps, turn_blocks=p.turn_blocks)
        matches = [
            Match(inst, (NEGOTIATORS[p.first](), NEGOTIATORS[p.second]()), tag=i)
            for i, inst in enumerate(instances)
        ]
        episodes = table.play(matches, wave_size(device, p.wave))
        names = (p.first, p.second)
        offline = [matches_offline(e, names, p.n_steps) for e in episodes]
        delta = discount_factor(p.discount_rate_per_s, device.block_time_ms)
        rows = _negotiation_rows(episodes)
        return GameResult(
            metrics=summarise(episodes, delta, offline),
            state_hash=table.device.state_hash().hex(),
            blocks=table.device.number,
            tables={"negotiations": rows},
        )


def _negotiation_rows(episodes: Sequence[Episode]) -> list[dict[str, Any]]:
    """One ``negotiations`` table row per episode, the same for scripted and LLM seats."""
    return [
        {
            "instance": e.match.instance.line,
            "agreement": None if e.agreement is None else ",".join(map(str, e.agreement)),
            "u_first": e.utilities[0],
            "u_second": e.utilities[1],
            "offers": e.offers,
            "blocks": e.blocks,
            "ended_by": e.ended_by,
        }
        for e in episodes
    ]


def _run_llm_seat(
    p: DealOrNoDealParams, device: DeviceConfig, seed: int, instances: Sequence[Instance]
) -> GameResult:
    """An LLM delegate against a scripted negotiator (:mod:`.deal_or_no_deal_llm`)."""
    player = 0 if p.first == LLM_SEAT else 1
    scripted = NEGOTIATORS[p.second if player == 0 else p.first]
    assert p.llm is not None  # the params' validator
    episodes, llm, transcript, state_hash, blocks = play_llm_seat(
        instances,
        scripted,
        player,
        p.llm,
        device,
        seed,
        reservation=p.reservation,
        n_steps=p.n_steps,
        turn_blocks=p.turn_blocks,
        brief=p.brief,
    )
    delta = discount_factor(p.discount_rate_per_s, device.block_time_ms)
    rows = _negotiation_rows(episodes)
    return GameResult(
        metrics={**summarise(episodes, delta), **llm},
        state_hash=state_hash,
        blocks=blocks,
        tables={"negotiations": rows, "llm_transcript": transcript},
    )
