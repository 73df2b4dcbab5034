"""Adjudicators: the bonded first instance of an arbitration clause, scripted or LLM.

Each is an :class:`~accord.agents.base.Agent`. Its observation's ``private["docket"]``
holds the :class:`Docket` s it must rule on now (a case file, the adjudicator's own
reading of it, any bribe offered); for each it returns one signed
``clause.adjudicate(agreement, ruling)`` carrying the clause's bond
(``docs/arbitration.md``, "Adjudicators and audits"). Nothing else is ever signed, so
whatever an adjudicator decides, the device sees a ruling of 1 or 2 with a bond, or
nothing (and the clause escalates after its window).

* :class:`HonestAdjudicator`: rules its private signal, right with probability
  ``accuracy`` (the judge of Condorcet's jury theorem).
* :class:`CorruptAdjudicator`: the same, except that it rules for whoever paid it at
  least ``price``. A rational price is :func:`bribe_price`: what a corrupt ruling costs it
  in expectation (Becker 1968's expected penalty).
* :class:`LLMAdjudicator`: reads the case file through a language model
  (:mod:`accord.agents.arbitration.vocabulary`, :func:`accord.agents.structured.ask`:
  validation, retries, budgets, record/replay). It keeps a transcript, as the DeFi LLM
  agents do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from accord.agents.arbitration import vocabulary as V
from accord.agents.arbitration.evidence import CaseFile
from accord.agents.base import Action, Observation
from accord.agents.structured import Chat, Outcome, ask
from accord.device import Account
from accord.mechanisms.arbitration import REFUND, RELEASE, ruling_for

ADJUDICATE_GAS = 300_000


@dataclass(frozen=True, slots=True)
class Docket:
    """One case to rule on: the file, the adjudicator's private reading (a ruling), and
    the bribe offered, ``(side, amount)`` with side ``"payer"``/``"payee"``, if any."""

    case: CaseFile
    signal: int
    bribe: tuple[str, int] | None = None


def bribe_price(bond: int, fee: int, overturn_chance: float) -> float:
    """The least bribe a risk-neutral adjudicator takes for a wrong ruling: what the
    ruling costs it in expectation, ``overturn_chance * (fee + bond)``. Under the
    clause's settlement (:func:`accord.mechanisms.arbitration.settle`) a ruling that
    stands pays the adjudicator its bond back and the loser's fee, whether or not it was
    right; an overturned one pays it nothing (the bond goes to the wronged party, the
    fee to the winner). So the fee is lost only with the bond, when the ruling is
    overturned (Becker 1968, *Crime and punishment: an economic approach*, J. Political
    Economy 76: a crime pays when the gain exceeds the probability of punishment times
    the fine). Right rulings overturned by an erring court are ignored: they cost an
    honest ruling too, so counting them would lower the price by
    ``P(overturn | right) * (fee + bond)``."""
    return overturn_chance * (fee + bond)


class Adjudicator:
    """Shared plumbing: sign one ``adjudicate`` per docket it decides."""

    kind: ClassVar[str] = "adjudicator"

    def __init__(self, account: Account, clause: str, asset: str, bond: int) -> None:
        self.account = account
        self.name = account.address
        self.clause, self.asset, self.bond = clause, asset, bond
        self.rulings = 0

    def decide(self, docket: Docket, obs: Observation) -> int | None:
        raise NotImplementedError

    def act(self, obs: Observation) -> Sequence[Action]:
        out: list[Action] = []
        nonce = obs.nonce
        for docket in obs.private.get("docket", ()):
            ruling = self.decide(docket, obs)
            if ruling not in (RELEASE, REFUND):
                continue
            out.append(
                self.account.sign(
                    nonce,
                    self.clause,
                    "adjudicate",
                    docket.case.agreement,
                    ruling,
                    value={self.asset: self.bond},
                    gas_limit=ADJUDICATE_GAS,
                    max_fee=obs.max_fee(0),
                )
            )
            nonce += 1
            self.rulings += 1
        return out


class HonestAdjudicator(Adjudicator):
    """Rules its private signal."""

    kind = "honest"

    def decide(self, docket: Docket, obs: Observation) -> int | None:
        return docket.signal


class CorruptAdjudicator(Adjudicator):
    """Rules for a briber that paid at least ``price``; otherwise its signal."""

    kind = "corrupt"

    def __init__(self, account: Account, clause: str, asset: str, bond: int, price: int) -> None:
        super().__init__(account, clause, asset, bond)
        self.price = price
        self.bribed = 0

    def decide(self, docket: Docket, obs: Observation) -> int | None:
        if docket.bribe is not None and docket.bribe[1] >= self.price:
            self.bribed += 1
            return ruling_for(docket.bribe[0])
        return docket.signal


class LLMAdjudicator(Adjudicator):
    """Rules through a language model; an answer that stays invalid rules nothing."""

    kind = "llm"

    def __init__(self, account: Account, clause: str, asset: str, bond: int, client: Chat) -> None:
        super().__init__(account, clause, asset, bond)
        self.client = client
        self.transcript: list[dict[str, Any]] = []
        self.decisions = self.gave_up = self.invalid = 0

    def decide(self, docket: Docket, obs: Observation) -> int | None:
        case = docket.case
        outcome: Outcome[V.RulingAnswer] = ask(
            self.client,
            self.name,
            V.messages(case),
            V.SCHEMA_NAME,
            V.SCHEMA,
            lambda text: V.parse_ruling(text, case),
        )
        self.decisions += 1
        self.gave_up += outcome.value is None
        self.invalid += sum(a.status == "invalid" for a in outcome.attempts)
        for n, a in enumerate(outcome.attempts):
            self.transcript.append(
                {
                    "agent": self.name,
                    "role": V.ROLE,
                    "block": obs.number,
                    "agreement": case.agreement,
                    "attempt": n,
                    "request": a.key or "",
                    "status": a.status,
                    "error": a.error or "",
                    "answer": a.text or "",
                    "prompt_tokens": a.prompt_tokens,
                    "completion_tokens": a.completion_tokens,
                }
            )
        return None if outcome.value is None else int(outcome.value.ruling)


ADJUDICATOR_KINDS: dict[str, type[Adjudicator]] = {
    "honest": HonestAdjudicator,
    "corrupt": CorruptAdjudicator,
    "llm": LLMAdjudicator,
}
