"""The GovSim fishery as a game: scripted fishers, quota contracts, searchers, metrics.

A season of :class:`~accord.games.fishery_session.FisherySession` (GovSim: Piatti et
al., NeurIPS 2024; 5 fishers, 100 tons at the cap, doubling, collapse below 5, 12 rounds)
played by the scripted fishers of :mod:`accord.agents.commons`, named in ``agents``
(``greedy``, ``sustainable``, ``tit_for_tat``, ``planner``). With ``negotiate`` the
fisher at ``proposer`` proposes a quota contract from the menu (the planner proposes the
welfare-maximising one that all accept) and the others accept or reject; the quota is
then settled on the device by the lake's own round close. Searchers (``searchers``)
harvest the slack of each round just before its close when they see it coming
(:class:`~accord.agents.commons.searcher.SlackSearcher`); what they take is ``mev_fish``.

:func:`play_season` drives any :class:`~accord.agents.commons.view.Fisher` s, one decision
per call: the LLM fishers plug in there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, model_validator

from accord.agents.commons import Fisher, Greedy, Planner, Sustainable, TitForTat
from accord.device import checks
from accord.device.config import DeviceConfig
from accord.games.base import GameResult, register_game
from accord.games.fishery_session import FisheryParams, FisherySession
from accord.games.glossary import (
    NON_NEGATIVE,
    REAL,
    UNIT_INTERVAL,
    Better,
    Glossary,
    Metric,
    glossary,
)
from accord.mechanisms import commons as M

__all__ = [
    "GLOSSARY",
    "POLICIES",
    "FisheryGame",
    "FisheryGameParams",
    "play_season",
    "season_metrics",
]

Policy = Literal["greedy", "sustainable", "tit_for_tat", "planner"]
POLICIES: dict[str, type[Greedy] | type[Sustainable] | type[TitForTat] | type[Planner]] = {
    "greedy": Greedy,
    "sustainable": Sustainable,
    "tit_for_tat": TitForTat,
    "planner": Planner,
}


class FisheryGameParams(FisheryParams):
    """The season's parameters plus who fishes (one policy per fisher, in order)."""

    agents: tuple[Policy, ...] = Field(
        ("planner", "greedy", "greedy", "greedy", "greedy"),
        description="one scripted policy per fisher",
    )

    @model_validator(mode="after")
    def _agents(self) -> FisheryGameParams:
        if len(self.agents) != self.fishers:
            raise ValueError(f"agents must name {self.fishers} policies, got {len(self.agents)}")
        return self


def play_season(session: FisherySession, fishers: Mapping[str, Fisher]) -> None:
    """Play the season to its end, one decision per call: a proposal when the session
    opens one (at the start, and with ``renegotiate`` at any round without a contract),
    the answers in fisher order, then each round's catches in fisher order and the close."""
    while not session.over:
        if session.phase == "propose":
            proposer = session.proposer
            session.propose(proposer, fishers[proposer].propose(session.view(proposer)))
        while session.phase == "accept":
            proposal = session.proposal
            assert proposal is not None
            name = next(f for f in session.fishers if f not in proposal.answers)
            session.respond(name, fishers[name].accept(session.view(name), proposal.terms))
        for name in session.fishers:
            session.catch(name, fishers[name].catch(session.view(name)))
        session.close_round()


def season_metrics(session: FisherySession) -> dict[str, float | int]:
    """The season's metrics (:data:`GLOSSARY`)."""
    c = session.commons
    payoffs = session.payoffs()
    welfare = sum(payoffs)
    optimum = M.optimal_welfare(c)
    history = session.history
    survived_rounds = sum(1 for r in history if not r.collapsed)
    moved = sum(sum(x for x in r.transfers if x > 0) for r in history)
    terms = session.agreements[-1][1] if session.agreements else None
    return {
        "welfare": welfare,
        "welfare_vs_optimum": welfare / optimum if optimum else 0.0,
        "optimum": optimum,
        "gini": M.gini([max(0, p) for p in payoffs]),
        "survived": int(survived_rounds == c.rounds),
        "rounds_survived": survived_rounds,
        "final_stock": session.stock,
        "proposed": session.proposals,
        "accepted": session.accepted,
        "quota": terms.quota if terms is not None else -1,
        "penalty": terms.penalty if terms is not None else -1,
        "transfers": moved,
        "gas_fees": sum(r.gas_fees for r in history),
        "mev_fish": sum(r.searcher_catch for r in history),
        "searcher_fees": sum(r.searcher_fees for r in history),
        "keeper_fees": sum(sum(r.keeper_fees) for r in history),
    }


GLOSSARY: Glossary = glossary(
    [
        Metric(
            "welfare",
            "tons",
            NON_NEGATIVE,
            "The fishers' payoffs summed: their catch less keeper fees (transfers cancel).",
            Better.HIGHER,
            True,
        ),
        Metric(
            "welfare_vs_optimum",
            "ratio",
            NON_NEGATIVE,
            "welfare / the optimal sustainable harvest (645 in GovSim's lake).",
            Better.HIGHER,
            True,
        ),
        Metric(
            "optimum",
            "tons",
            NON_NEGATIVE,
            "The largest total catch that keeps the lake alive all season (closed form).",
            Better.NEITHER,
        ),
        Metric(
            "gini",
            "coefficient",
            UNIT_INTERVAL,
            "Gini coefficient of the fishers' payoffs (negative ones counted as 0).",
            Better.LOWER,
        ),
        Metric(
            "survived",
            "indicator",
            UNIT_INTERVAL,
            "1 if the lake survived every round.",
            Better.HIGHER,
            True,
        ),
        Metric(
            "rounds_survived",
            "rounds",
            NON_NEGATIVE,
            "Rounds after which at least the collapse bound remained.",
            Better.HIGHER,
        ),
        Metric(
            "final_stock",
            "tons",
            NON_NEGATIVE,
            "The stock after the last close (0 after a collapse).",
            Better.NEITHER,
        ),
        Metric(
            "proposed",
            "count",
            NON_NEGATIVE,
            "Contracts proposed (at the start; with renegotiate, in any round without one).",
            Better.NEITHER,
        ),
        Metric(
            "accepted", "count", NON_NEGATIVE, "Contracts every party accepted.", Better.NEITHER
        ),
        Metric(
            "quota",
            "tons",
            REAL,
            "The quota of the last contract agreed (-1: none).",
            Better.NEITHER,
        ),
        Metric(
            "penalty",
            "tons per ton",
            REAL,
            "The penalty per ton over quota of the last contract agreed (-1: none).",
            Better.NEITHER,
        ),
        Metric(
            "transfers",
            "tons",
            NON_NEGATIVE,
            "Fish moved by the quota contract (the sum of the positive net transfers).",
            Better.NEITHER,
        ),
        Metric(
            "gas_fees",
            "fee-asset base units",
            NON_NEGATIVE,
            "Fees the fishers and the referee (closes, settlements) paid.",
            Better.LOWER,
        ),
        Metric(
            "mev_fish",
            "tons",
            NON_NEGATIVE,
            "Fish the searchers took just before the rounds' closes.",
            Better.LOWER,
            True,
        ),
        Metric(
            "searcher_fees",
            "fee-asset base units",
            NON_NEGATIVE,
            "Fees the searchers paid (landed or reverted).",
            Better.NEITHER,
        ),
        Metric(
            "keeper_fees",
            "tons",
            NON_NEGATIVE,
            "Fish the contract's keeper fee paid the referee for closing (and settling) rounds.",
            Better.NEITHER,
        ),
    ]
)
"""Every metric the fishery game reports."""


@register_game
class FisheryGame:
    """Scripted fishers on the GovSim lake, with or without a quota contract."""

    name: ClassVar[str] = "fishery"
    Params: ClassVar[type[BaseModel]] = FisheryGameParams
    glossary: ClassVar[Glossary] = GLOSSARY

    def run(self, params: BaseModel, device: DeviceConfig, seed: int) -> GameResult:
        p = FisheryGameParams.model_validate(params.model_dump())
        session = FisherySession(p, device, seed)
        fishers = {
            name: POLICIES[kind](name) for name, kind in zip(session.fishers, p.agents, strict=True)
        }
        play_season(session, fishers)
        rows: list[dict[str, Any]] = []
        for r in session.history:
            for k, name in enumerate(session.fishers):
                rows.append(
                    {
                        "round": r.round,
                        "fisher": name,
                        "policy": p.agents[k],
                        "ask": r.asks[k],
                        "catch": r.catches[k],
                        "transfer": r.transfers[k],
                        "stock_after": r.stock,
                        "collapsed": r.collapsed,
                    }
                )
        metrics = season_metrics(session)
        checks.block_invariants(session.device)  # conservation, every asset, to the unit
        return GameResult(metrics, session.state_hash(), session.device.number, {"rounds": rows})
