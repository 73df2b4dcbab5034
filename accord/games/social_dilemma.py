"""Matrix social dilemmas as a scenario: scripted players, formal contracts, metrics.

A run plays ``rounds`` rounds of one of :mod:`accord.mechanisms.dilemmas`' games at a
:class:`~accord.games.dilemma_table.Table` (the device, with
:class:`~accord.contracts.formal_contract.FormalContract` deployed through the
contracting driver), with the scripted players of :mod:`accord.agents.dilemmas` named in
``strategies`` (one name per player in order, the last one repeated for the players left
over: ``("planner", "greedy")`` is a planner and n − 1 greedy players): ``always_defect``,
``cooperator``, ``tit_for_tat``, ``greedy`` and ``planner``.

``contract`` says how a contract comes about:

- ``none``: no contract;
- ``negotiate``: the player at ``proposer`` proposes (a planner proposes
  :func:`~accord.agents.dilemmas.planner_choice`, the welfare-maximising menu entry all
  accept; anyone else proposes nothing) and every other player accepts or rejects by its
  own rule; the deposits are locked on the device as they accept;
- ``fixed``: menu entry ``menu_entry`` is in force, every player having accepted (to
  sweep θ).

With ``propose_at = k`` the first ``k`` rounds are played uncontracted and the
contract comes (is negotiated, or signed) before round ``k + 1``, settling only the
rounds after it.

With ``contract_kind = "unilateral"`` a menu entry θ is a **unilateral commitment**
instead: the player at ``proposer`` stakes θ on its own defection (paid to the others),
nobody answers, and only its deposit is locked. Under ``negotiate`` a planner commits to
:func:`~accord.agents.dilemmas.stake_choice` (anyone else to nothing); greedy players
best-respond knowing who is committed.

Each round the referee settles the moves on the device; the metrics are the players'
welfare against the social optimum, inequality, the negotiation and the money the
contract moved and cost.

**What the device's design does here.** Every contracting transaction (proposal,
acceptance, settlement) is alone in its block, so the ordering rule and the mempool's
visibility change nothing in this game: there is nothing to front-run in a matrix
dilemma whose moves are settled after the fact. The fee market changes what the
contracting costs in gas (``gas_fees``), and ``keeper_fee`` (with ``fee_payer =
"parties"``) makes the players pay for their settlements, which the planner and the
players weigh when they propose and accept.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, StrictInt, model_validator

from accord.agents.dilemmas import Planner, RoundView, Strategy, make_strategy
from accord.device import DeviceConfig, Genesis
from accord.games.base import GameResult, register_game
from accord.games.dilemma_table import DilemmaSpec, RoundResult, Table, table_genesis
from accord.games.glossary import NON_NEGATIVE, REAL, UNIT_INTERVAL, Better, Glossary, Metric
from accord.games.glossary import glossary as make_glossary
from accord.mechanisms.commons import gini
from accord.mechanisms.dilemmas import optimal_welfare

__all__ = ["GLOSSARY", "SocialDilemmaGame", "SocialDilemmaParams", "player_names"]


class SocialDilemmaParams(DilemmaSpec):
    """The game (:class:`DilemmaSpec`), the players and how a contract comes about."""

    rounds: StrictInt = Field(10, ge=1, le=10_000)
    strategies: tuple[str, ...] = ("planner", "greedy")
    contract: Literal["none", "negotiate", "fixed"] = "negotiate"
    proposer: StrictInt = Field(0, ge=0)
    menu_entry: StrictInt = Field(0, ge=0, description="the entry in force when contract = fixed")
    propose_at: StrictInt = Field(
        0, ge=0, description="rounds played before the contract is proposed (or signed)"
    )

    @model_validator(mode="after")
    def _check_players(self) -> SocialDilemmaParams:
        if not 1 <= len(self.strategies) <= self.players:
            raise ValueError(
                f"strategies must name 1 to {self.players} strategies (the last one plays "
                f"for the remaining players), got {len(self.strategies)}"
            )
        for name in self.strategies:
            make_strategy(name)
        if self.proposer >= self.players:
            raise ValueError(f"proposer must be a player index < {self.players}")
        if self.menu_entry > len(self.thetas):
            raise ValueError(f"menu_entry must index the menu [0, {len(self.thetas)}]")
        if self.propose_at >= self.rounds:
            raise ValueError(f"propose_at must be < rounds = {self.rounds}, got {self.propose_at}")
        return self


def player_names(p: SocialDilemmaParams) -> list[str]:
    """The players' account names: ``player_0`` ... ``player_{n-1}``."""
    return [f"player_{i}" for i in range(p.players)]


def _metric(
    name: str, unit: str, support: Any, meaning: str, better: Better, headline: bool = False
) -> Metric:
    return Metric(name, unit, support, meaning, better, headline)


GLOSSARY: Glossary = make_glossary(
    [
        _metric(
            "welfare",
            "points",
            REAL,
            "The players' payoffs summed over the rounds (transfers cancel).",
            Better.HIGHER,
            True,
        ),
        _metric(
            "welfare_vs_optimum",
            "ratio",
            REAL,
            "welfare / the social optimum (rounds x max_m W(m), closed form).",
            Better.HIGHER,
            True,
        ),
        _metric("optimum", "points", REAL, "The social optimum over the rounds.", Better.NEITHER),
        _metric(
            "cooperation",
            "share",
            UNIT_INTERVAL,
            "Share of the moves that cooperated.",
            Better.HIGHER,
            True,
        ),
        _metric(
            "gini",
            "coefficient",
            UNIT_INTERVAL,
            "Gini coefficient of the players' rewards (payoff + transfers - fees; "
            "negative ones counted as 0).",
            Better.LOWER,
        ),
        _metric(
            "proposed",
            "count",
            NON_NEGATIVE,
            "Contracts proposed (0 or 1: one negotiation opens the episode).",
            Better.NEITHER,
        ),
        _metric(
            "acceptance",
            "share",
            UNIT_INTERVAL,
            "Share of the answers to a proposal that accepted (NaN: nothing proposed).",
            Better.NEITHER,
        ),
        _metric(
            "in_force",
            "indicator",
            UNIT_INTERVAL,
            "1 if a contract was in force (every player accepted).",
            Better.NEITHER,
            True,
        ),
        _metric(
            "theta",
            "base units",
            REAL,
            "The θ of the contract in force (-1: none).",
            Better.NEITHER,
        ),
        _metric(
            "transfers",
            "base units",
            NON_NEGATIVE,
            "Money the contract moved (the sum of the positive net transfers).",
            Better.NEITHER,
        ),
        _metric(
            "keeper_fees",
            "base units",
            NON_NEGATIVE,
            "Keeper fees the players paid the referee for settlements.",
            Better.LOWER,
        ),
        _metric(
            "exhausted",
            "indicator",
            UNIT_INTERVAL,
            "1 if a deposit ran out and ended the contract early.",
            Better.LOWER,
        ),
        _metric(
            "settle_gas",
            "gas",
            NON_NEGATIVE,
            "Gas the settlements used.",
            Better.LOWER,
        ),
        _metric(
            "gas_fees",
            "fee-asset base units",
            NON_NEGATIVE,
            "Fees paid for every contracting transaction (deployment, proposal, "
            "acceptances, settlements).",
            Better.LOWER,
        ),
    ]
)


def _contract(
    p: SocialDilemmaParams,
    table: Table,
    players: list[Strategy],
    menu: list[Fraction | None],
    fee: Fraction,
) -> tuple[int, int, int, int]:
    """Put the run's contract on the table (module docstring): the menu entry in force
    or proposed (0: none), proposals made, answers given, acceptances."""
    game = table.game
    if p.contract == "fixed" and p.menu_entry:
        table.sign(p.proposer, p.thetas[p.menu_entry - 1])
        return p.menu_entry, 0, 0, 0
    if p.contract != "negotiate" or not isinstance(players[p.proposer], Planner):
        return 0, 0, 0, 0
    planner = players[p.proposer]
    assert isinstance(planner, Planner)
    if p.contract_kind == "unilateral":  # a commitment: nobody answers
        entry = planner.commit(game, menu, p.proposer, fee)
        if entry:
            table.propose(p.proposer, p.thetas[entry - 1])
        return entry, int(entry > 0), 0, 0
    entry = planner.propose(game, menu, fee)
    theta = menu[entry]
    if theta is None:
        return 0, 0, 0, 0
    table.propose(p.proposer, p.thetas[entry - 1])
    answers = accepted = 0
    for i, player in enumerate(players):
        if i != p.proposer:
            yes = player.accepts(game, theta, fee)
            answers += 1
            accepted += yes
            table.respond(i, yes)
    return entry, 1, answers, accepted


@register_game
class SocialDilemmaGame:
    """Scripted players in a repeated matrix dilemma, with formal contracts on the device."""

    name: ClassVar[str] = "social_dilemma"
    Params: ClassVar[type[BaseModel]] = SocialDilemmaParams
    glossary: ClassVar[Glossary] = GLOSSARY

    def run(self, params: BaseModel, device: DeviceConfig, seed: int) -> GameResult:
        p = SocialDilemmaParams.model_validate(params.model_dump())
        table = Table(p, player_names(p), p.rounds, device, seed)
        return self.play(p, table)

    @staticmethod
    def genesis(params: SocialDilemmaParams, device: DeviceConfig) -> Genesis:
        """The run's setup: the genesis its device starts from (a node's, to play
        through one: :meth:`play` on ``Table.on(params, player_names(params),
        params.rounds, remote)``)."""
        return table_genesis(params, player_names(params), params.rounds, device)

    def play(
        self,
        p: SocialDilemmaParams,
        table: Table,
        on_round: Callable[[RoundResult], None] | None = None,
    ) -> GameResult:
        """Play the run at ``table`` (on any :class:`~accord.device.AgentDevice`):
        negotiation, every round, the metrics; ``on_round`` sees each round's result."""
        n = p.players
        chosen = p.strategies + p.strategies[-1:] * (n - len(p.strategies))
        players: list[Strategy] = [make_strategy(s) for s in chosen]
        game = table.game
        menu: list[Fraction | None] = [None, *(p.theta_points(t) for t in p.thetas)]
        fee = Fraction(p.keeper_fee, p.unit * n)  # each player's share a settled round
        unilateral = p.contract_kind == "unilateral"
        entry = proposed = answers = accepted = in_force = 0
        theta_now: Fraction | None = None
        rewards = [Fraction(0)] * n
        welfare = Fraction(0)
        moved = fees = cooperated = 0
        last: tuple[bool, ...] | None = None
        rows: list[dict[str, Any]] = []
        for r in range(p.rounds):
            if r == p.propose_at:  # the contract comes before round propose_at + 1
                entry, proposed, answers, accepted = _contract(p, table, players, menu, fee)
                in_force = int(table.in_force)
                theta_now = menu[entry] if in_force else None
            if not table.in_force:
                theta_now = None
            committer = p.proposer if unilateral and theta_now is not None else None
            moves = [
                pl.move(RoundView(game, i, r, theta_now, last, committer))
                for i, pl in enumerate(players)
            ]
            res = table.play(moves)
            if on_round is not None:
                on_round(res)
            last = res.cooperated
            welfare += sum(res.payoffs)
            cooperated += sum(res.cooperated)
            moved += sum(x for x in res.transfers if x > 0)
            fees += sum(res.fees)
            for i in range(n):
                rewards[i] += res.payoffs[i] + Fraction(res.transfers[i] - res.fees[i], p.unit)
            rows.append(
                {
                    "round": r + 1,
                    "cooperators": sum(res.cooperated),
                    "welfare": float(sum(res.payoffs)),
                    "transfers": sum(x for x in res.transfers if x > 0),
                    "in_force": int(table.in_force),
                }
            )
        optimum = optimal_welfare(game) * p.rounds
        metrics: dict[str, float | int] = {
            "welfare": float(welfare),
            "welfare_vs_optimum": float(welfare / optimum) if optimum else float("nan"),
            "optimum": float(optimum),
            "cooperation": cooperated / (n * p.rounds),
            "gini": gini([max(0, round(x * p.unit)) for x in rewards]),
            "proposed": proposed,
            "acceptance": accepted / answers if answers else float("nan"),
            "in_force": int(in_force),
            "theta": p.thetas[entry - 1] if in_force and entry else -1,
            "transfers": moved,
            "keeper_fees": fees,
            "exhausted": int(in_force and table.exhausted),
            "settle_gas": table.settle_gas,
            "gas_fees": table.fees_paid(),
        }
        return GameResult(
            metrics=metrics,
            state_hash=table.state_hash(),
            blocks=table.device.number,
            tables={"rounds": rows},
        )
