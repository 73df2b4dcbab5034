"""LLM fishers on the device: GovSim's lake with quota contracts the device enforces.

Piatti et al. ("Cooperate or Collapse", NeurIPS 2024) put five LLM fishers on a lake for
twelve months; their best model kept it alive in fewer than 54% of runs. Here the same
lake is a contract on the device (:class:`accord.contracts.fishery.Fishery`, driven
through :class:`accord.games.fishery_session.FisherySession`), every fisher is an
:class:`~accord.agents.llm.fishery_seat.LLMFisherSeat` (one model decision per call,
checked, with retries, budgets and record/replay), and, with ``negotiate = true``, the
season opens with a proposal: the proposer picks a quota contract from the menu (or
none) and every other fisher accepts or rejects it. If all accept, each locks its
deposit and the lake settles the quota on the device at every month's close (a ton
over the quota costs the penalty, paid to the others), whatever the fishers then say
or do. With ``negotiate = false`` they only catch and talk: GovSim's setting.

The proposer is ``seed mod fishers`` (``rotate_proposer``), so that over seeds every
seat proposes equally often. A scenario sweeps ``params.negotiate`` over ``[false,
true]`` for the survival rate with and without device-enforced contracts
(``examples/fishery-llm.toml``, ``examples/llm/fishery_survival.py``).

Metrics (:data:`GLOSSARY`): survival, months survived, final stock, welfare against the
optimum (:func:`accord.mechanisms.commons.optimal_welfare`), the Gini coefficient of the
catches, the contract proposed and accepted and its terms, the tons caught over the
quota, transfers and gas, and the model's answer quality: schema-valid share, refused
share, fallbacks, calls and tokens. Tables: ``llm_transcript`` (every call),
``fishery_rounds`` (ask, catch and transfer of each fisher each month) and
``fishery_conversation``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from accord.agents.llm import fishery_stand_in  # noqa: F401  # registers the "fisher" role
from accord.agents.llm.client import LLMClient
from accord.agents.llm.config import LLMSettings
from accord.agents.llm.fishery import LLMFisher, rates
from accord.agents.llm.fishery_seat import Conversation, LLMFisherSeat
from accord.agents.structured import Chat
from accord.device.config import DeviceConfig
from accord.games.base import GameResult, register_game
from accord.games.fishery_session import FisheryParams, FisherySession, RoundReport
from accord.games.glossary import NON_NEGATIVE, REAL, UNIT_INTERVAL, Better, Glossary, Metric
from accord.games.glossary import glossary as make_glossary
from accord.mechanisms import commons as M

__all__ = [
    "GLOSSARY",
    "FisheryLLM",
    "Params",
    "Season",
    "play",
    "play_season",
    "survival_summary",
]


EPISODES = 1_000_000
"""The episode number a prompt shows is the run's seed modulo this (the lab's seeds have
19 digits, which a model need not read)."""


class Params(FisheryParams):
    """The fishery's parameters (:class:`~accord.games.fishery_session.FisheryParams`),
    the LLM endpoint and two prompt switches."""

    llm: LLMSettings
    show_threshold: bool = Field(
        True, description="tell each fisher the sustainable total catch (GovSim does)"
    )
    rotate_proposer: bool = Field(True, description="the proposer is seed mod fishers")
    seed_per_run: bool = Field(
        True,
        description="send the run's seed as the sampling seed (at temperature > 0 each "
        "run is then its own reproducible draw)",
    )

    def settings(self, seed: int) -> LLMSettings:
        """The LLM settings of run ``seed``."""
        if not self.seed_per_run:
            return self.llm
        return self.llm.model_copy(update={"seed": seed % 2**32})  # OpenAI's seed is 32-bit

    def lake(self, seed: int) -> FisheryParams:
        """The fishery's own parameters for ``seed`` (the proposer rotated)."""
        data = self.model_dump(include=set(FisheryParams.model_fields))
        if self.rotate_proposer:
            data["proposer"] = seed % self.fishers
        return FisheryParams.model_validate(data)


def check_settings(llm: LLMSettings) -> None:
    """Refuse, in one line, settings whose replay cannot run (nothing runs)."""
    if llm.mode == "replay":
        if llm.cache is None:
            raise ValueError("llm.cache: replay mode needs the recording to replay")
        if llm.model is None:
            raise ValueError("llm.model: replay needs the recorded model's name")
        if not Path(llm.cache).is_file():
            raise ValueError(f"llm.cache: no recording at {llm.cache!r}")


class Season:
    """One season's session, seats and conversation (what :func:`play_season` returns)."""

    def __init__(self, session: FisherySession, seats: dict[str, LLMFisherSeat]) -> None:
        self.session = session
        self.seats = seats
        self.conversation = next(iter(seats.values())).conversation
        self.proposed: tuple[int, int] | None = None


def play_season(params: Params, config: DeviceConfig, seed: int, client: Chat) -> Season:
    """Play one season: the negotiation (if any), then every month until the lake
    collapses or the season ends. A pure function of its inputs and the answers."""
    session = FisherySession(params.lake(seed), config, seed)
    conversation = Conversation()
    tolerate = params.llm.tolerate_endpoint_errors
    episode = seed % EPISODES
    seats = {
        name: LLMFisherSeat(
            LLMFisher(name, client, tolerate), episode, conversation, params.show_threshold
        )
        for name in session.fishers
    }
    season = Season(session, seats)
    if session.phase == "propose":
        proposer = session.proposer
        terms = seats[proposer].propose(session.view(proposer))
        session.propose(proposer, terms)
        if terms is not None:
            season.proposed = (terms.quota, terms.penalty)
        for name in session.fishers:
            if session.proposal is None or terms is None:
                break  # no proposal, or a rejection ended the vote
            if name != proposer:
                session.respond(name, seats[name].accept(session.view(name), terms))
        conversation.reveal()
    while not session.over:
        for name in session.fishers:
            session.catch(name, seats[name].catch(session.view(name)))
        session.close_round()
        conversation.reveal()
    return season


def play(
    params: Params, config: DeviceConfig, seed: int, client: LLMClient | None = None
) -> GameResult:
    """One run: a pure function of ``(params, config, seed)`` and the recorded answers."""
    check_settings(params.llm)
    client = client or LLMClient(params.settings(seed))
    season = play_season(params, config, seed, client)
    return result(season, client, seed)


def result(season: Season, client: LLMClient, seed: int) -> GameResult:
    s = season.session
    history = s.history
    c = s.commons
    survived = bool(history) and not s.collapsed and len(history) == c.rounds
    months = sum(1 for r in history if not r.collapsed)
    payoffs = s.payoffs()
    caught = [s.caught[f] for f in s.fishers]
    optimum = M.optimal_welfare(c)
    terms = s.contract
    over = sum(max(0, got - terms.quota) for r in history for got in r.catches) if terms else 0
    paid = sum(-t for r in history for t in r.transfers if t < 0)
    order = {name: k for k, name in enumerate(s.fishers)}
    transcript = sorted(
        (row for seat in season.seats.values() for row in seat.llm.transcript),
        key=lambda r: (r["month"], r["task"] == "catch", order[r["agent"]], r["attempt"]),
    )
    quality = rates(transcript)
    fishers = list(season.seats.values())
    ledger = client.ledger.run
    metrics: dict[str, float | int] = {
        "survived": int(survived),
        "months_survived": months,
        "final_stock": s.stock if not s.collapsed else 0,
        "welfare": sum(payoffs),
        "welfare_vs_optimum": sum(payoffs) / optimum if optimum else math.nan,
        "gini": M.gini(caught),
        "contract_proposed": int(season.proposed is not None),
        "contract_accepted": int(terms is not None),
        "quota": terms.quota if terms is not None else math.nan,
        "penalty": terms.penalty if terms is not None else math.nan,
        "tons_over_quota": over,
        "transfers_paid": paid,
        "gas_fees": sum(r.gas_fees for r in history),
        "llm_calls": ledger.calls,
        "llm_tokens": ledger.tokens,
        "llm_invalid_answers": sum(f.llm.invalid for f in fishers),
        "llm_fallbacks": sum(f.llm.fallbacks for f in fishers),
        "llm_budget_refusals": ledger.refused,
        "llm_endpoint_errors": sum(f.llm.endpoint_errors for f in fishers),
        "llm_answers": int(quality["answers"]),
        "llm_schema_valid": quality["schema_valid"],
        "llm_refused": quality["refused"],
    }
    tables = {
        "llm_transcript": transcript,
        "fishery_rounds": _round_rows(s.fishers, history),
        "fishery_conversation": [
            {"order": k, "from": who, "message": m}
            for k, (who, m) in enumerate(season.conversation.shown)
        ],
    }
    return GameResult(metrics, s.state_hash(), s.device.number, tables)


def _round_rows(fishers: tuple[str, ...], history: list[RoundReport]) -> list[dict[str, Any]]:
    return [
        {
            "month": r.round,
            "fisher": f,
            "ask": r.asks[i],
            "catch": r.catches[i],
            "transfer": r.transfers[i],
            "stock_after": r.stock,
            "collapsed": r.collapsed,
        }
        for r in history
        for i, f in enumerate(fishers)
    ]


def _m(name: str, unit: str, meaning: str, better: Better, support: Any = NON_NEGATIVE) -> Metric:
    return Metric(name, unit, support, meaning, better, name in HEADLINE)


HEADLINE = {"survived", "months_survived", "welfare_vs_optimum", "contract_accepted"}
GLOSSARY: Glossary = make_glossary(
    (
        _m(
            "survived",
            "0/1",
            "1 if the lake lived through every month.",
            Better.HIGHER,
            UNIT_INTERVAL,
        ),
        _m("months_survived", "months", "Months closed without a collapse.", Better.HIGHER),
        _m(
            "final_stock",
            "tons",
            "Fish in the lake at the end (0 after a collapse).",
            Better.HIGHER,
        ),
        _m(
            "welfare",
            "tons",
            "Total payoff: every catch plus net transfers (transfers sum to 0).",
            Better.HIGHER,
        ),
        _m(
            "welfare_vs_optimum",
            "share",
            "Welfare over the optimum (mechanisms.commons.optimal_welfare).",
            Better.HIGHER,
            REAL,
        ),
        _m(
            "gini",
            "index",
            "Gini coefficient of the fishers' catches (0: equal).",
            Better.LOWER,
            UNIT_INTERVAL,
        ),
        _m(
            "contract_proposed",
            "0/1",
            "1 if the proposer proposed a contract.",
            Better.NEITHER,
            UNIT_INTERVAL,
        ),
        _m(
            "contract_accepted",
            "0/1",
            "1 if every fisher accepted it (then it binds).",
            Better.NEITHER,
            UNIT_INTERVAL,
        ),
        _m(
            "quota",
            "tons",
            "The accepted contract's quota per fisher per month (NaN: none).",
            Better.NEITHER,
        ),
        _m(
            "penalty",
            "tons/ton",
            "The accepted contract's penalty per ton over quota (NaN: none).",
            Better.NEITHER,
        ),
        _m("tons_over_quota", "tons", "Tons caught over the quota while it bound.", Better.LOWER),
        _m("transfers_paid", "tons", "Penalties paid to others on the device.", Better.NEITHER),
        _m("gas_fees", "fee units", "Gas fees the fishers and the referee paid.", Better.LOWER),
        _m("llm_calls", "calls", "Chat-completion calls, retries included.", Better.NEITHER),
        _m("llm_tokens", "tokens", "Prompt + completion tokens spent.", Better.LOWER),
        _m(
            "llm_invalid_answers",
            "answers",
            "Answers the check refused (JSON, schema, situation).",
            Better.LOWER,
        ),
        _m(
            "llm_fallbacks",
            "decisions",
            "Decisions with no valid answer (catch 0, no proposal, reject).",
            Better.LOWER,
        ),
        _m("llm_budget_refusals", "calls", "Calls a budget refused (not sent).", Better.LOWER),
        _m(
            "llm_endpoint_errors",
            "calls",
            "Calls the endpoint failed (only if tolerated).",
            Better.LOWER,
        ),
        _m(
            "llm_answers",
            "answers",
            "Answers received (calls the endpoint answered).",
            Better.NEITHER,
        ),
        _m(
            "llm_schema_valid",
            "share",
            "Answers that were JSON fitting the schema.",
            Better.HIGHER,
            UNIT_INTERVAL,
        ),
        _m(
            "llm_refused",
            "share",
            "Answers the check refused for any reason.",
            Better.LOWER,
            UNIT_INTERVAL,
        ),
    )
)


def survival_summary(rows: Sequence[Mapping[str, Any]], level: float = 0.95) -> dict[str, Any]:
    """Survival rate with and without contracts over runs' metrics (each row has
    ``negotiate`` and this game's metrics): ``k / n`` with Wilson's score interval
    (Wilson 1927) and the Clopper-Pearson exact interval (1934), through
    ``scipy.stats.binomtest``; Fisher's exact test (two-sided) of the difference; the mean
    months survived; the contract acceptance rate; and the model's answer quality pooled
    over every answer (schema-valid and refused shares). ``table`` is a Markdown table."""
    from scipy.stats import binomtest, fisher_exact

    conditions: dict[str, dict[str, Any]] = {}
    for negotiate in (False, True):
        runs = [r for r in rows if bool(r["negotiate"]) is negotiate]
        if not runs:
            continue
        n, k = len(runs), sum(int(r["survived"]) for r in runs)
        test = binomtest(k, n)
        wilson, exact = test.proportion_ci(level, "wilson"), test.proportion_ci(level, "exact")
        answers = sum(int(r["llm_answers"]) for r in runs)

        def pooled(name: str, runs: list[Mapping[str, Any]] = runs, total: int = answers) -> float:
            if not total:
                return math.nan
            return sum(float(r[name]) * int(r["llm_answers"]) for r in runs) / total

        conditions["with contracts" if negotiate else "without contracts"] = {
            "runs": n,
            "survived": k,
            "rate": k / n,
            "wilson": [float(wilson.low), float(wilson.high)],
            "clopper_pearson": [float(exact.low), float(exact.high)],
            "months_survived": sum(float(r["months_survived"]) for r in runs) / n,
            "contract_accepted": sum(int(r["contract_accepted"]) for r in runs) / n,
            "survived_under_contract": [
                sum(int(r["survived"]) for r in runs if int(r["contract_accepted"])),
                sum(int(r["contract_accepted"]) for r in runs),
            ],
            "welfare_vs_optimum": sum(float(r["welfare_vs_optimum"]) for r in runs) / n,
            "answers": answers,
            "schema_valid": pooled("llm_schema_valid"),
            "refused": pooled("llm_refused"),
            "fallbacks": sum(int(r["llm_fallbacks"]) for r in runs),
        }
    out: dict[str, Any] = {"conditions": conditions}
    if len(conditions) == 2:
        a, b = conditions["without contracts"], conditions["with contracts"]
        table = [
            [a["survived"], a["runs"] - a["survived"]],
            [b["survived"], b["runs"] - b["survived"]],
        ]
        out["fisher_exact_p"] = float(fisher_exact(table)[1])
    head = (
        "| | runs | survived | rate | 95% Wilson | 95% Clopper-Pearson | months | contract "
        "| schema-valid | refused |"
    )
    lines = [head, "|---|---:|---:|---:|---|---|---:|---:|---:|---:|"]
    for name, c in conditions.items():
        lo, hi = c["wilson"]
        elo, ehi = c["clopper_pearson"]
        lines.append(
            f"| {name} | {c['runs']} | {c['survived']} | {c['rate']:.0%} | "
            f"[{lo:.0%}, {hi:.0%}] | [{elo:.0%}, {ehi:.0%}] | {c['months_survived']:.1f} | "
            f"{c['contract_accepted']:.0%} | {c['schema_valid']:.1%} | {c['refused']:.1%} |"
        )
    out["table"] = lines
    return out


@register_game
class FisheryLLM:
    """GovSim's lake with LLM fishers, with or without device-enforced quota contracts."""

    name: ClassVar[str] = "fishery_llm"
    Params: ClassVar[type[BaseModel]] = Params
    glossary: ClassVar[Glossary] = GLOSSARY

    def run(self, params: BaseModel, device: DeviceConfig, seed: int) -> GameResult:
        p = params if isinstance(params, Params) else Params.model_validate(params.model_dump())
        return play(p, device, seed)
