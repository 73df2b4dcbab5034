"""One fishery season on a device, one fisher's decision per call: the API agents drive.

:class:`FisherySession` puts the GovSim lake (:class:`accord.contracts.fishery.Fishery`)
on a fresh device and lets each fisher act through three calls, each checked before
anything reaches the device (a bad answer raises :class:`FisheryError` naming it, and
nothing changes):

* :meth:`~FisherySession.propose` (phase ``propose``, the proposer only): a quota
  contract from the menu (:class:`~accord.agents.commons.view.Terms`), or ``None``;
* :meth:`~FisherySession.respond` (phase ``accept``, every other fisher): accept or
  reject. When all accept, the contract is active on the device
  (:class:`~accord.contracts.formal_contract.FormalContract` through the contracting
  driver :mod:`accord.games.contracting`): every party's deposit is locked, and the lake
  itself is the contract's observer, so each round's close settles the quota on the
  catches the lake recorded;
* :meth:`~FisherySession.catch` (phase ``harvest``): this round's ask, sent as a signed
  harvest transaction to the mempool.

:meth:`~FisherySession.view` is what a fisher sees (:class:`FisherView`: stock,
threshold, round, the others' last catches, the contract in force, the menu).
:meth:`~FisherySession.close_round` ends the round: the harvests are built into a block
(in the order of the device's ordering rule), then the referee sends the round's close,
the searchers (if any) see the mempool as its visibility allows and act, and a second
block lands the close (regrowth or collapse, the quota settlement). It returns a
:class:`RoundReport`.

With ``renegotiate``, every round whose start finds no contract in force (none agreed
yet, or the last one ended when a deposit ran out) opens with a proposal too, by the
next fisher in turn; the contract then runs from that round to the season's end.

Money: one base unit of the fish asset is one ton. Each fisher starts with
``endowment`` fish (savings that back a contract's deposit); its payoff is what it
caught plus its net contract transfers, less the keeper fees it paid (the endowment is
not counted). Gas is paid in the fee asset (ETH) and reported apart; the referee sends
every close and pays its gas, settlement included, and a contract with ``keeper_fee``
pays it that many fish a round, split among the parties.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.agents.base import observe
from accord.agents.commons.model import deposit_for
from accord.agents.commons.searcher import HARVEST_GAS, SlackSearcher
from accord.agents.commons.view import FisherView, Terms
from accord.contracts.fishery import Fishery
from accord.contracts.formal_contract import ACTIVE
from accord.device import AssetSpec, Device, DeviceConfig, Genesis
from accord.games.contracting import Contracting
from accord.mechanisms import commons as M
from accord.mechanisms.contracting import ContractSpace, fishery_space

__all__ = [
    "ASSET",
    "REFEREE",
    "FisheryError",
    "FisheryParams",
    "FisherySession",
    "RoundReport",
    "fisher_names",
]

ASSET = "FISH"
"""The fish asset: one base unit is one ton."""
REFEREE = "referee"
"""The account that deploys the lake, sends each round's close and pays its gas."""
CLOSE_GAS = 1_500_000
FEE = 10**18
"""ETH each account starts with, for gas."""


class FisheryError(ValueError):
    """A decision the session refuses (wrong phase, wrong fisher, bad value)."""


def fisher_names(n: int) -> tuple[str, ...]:
    return tuple(f"fisher_{i}" for i in range(n))


class FisheryParams(BaseModel):
    """A season's parameters (GovSim's by default); unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fishers: int = Field(5, ge=2, le=32)
    capacity: int = Field(100, ge=1, le=10**6)
    initial: int = Field(100, ge=0, le=10**6)
    growth: int = Field(2, ge=2, le=100)
    collapse_below: int = Field(5, ge=0)
    rounds: int = Field(12, ge=1, le=1000)
    endowment: int = Field(1_000, ge=0, le=10**12, description="fish each fisher starts with")
    quotas: tuple[int, ...] = Field((2, 4, 6, 8, 10, 12, 15, 20), description="menu quotas")
    penalties: tuple[int, ...] = Field((1, 2, 3), description="menu penalties per ton over")
    negotiate: bool = Field(True, description="the season opens with a proposal")
    renegotiate: bool = Field(
        False, description="a proposal opens every round while no contract is in force"
    )
    proposer: int = Field(0, ge=0, description="index of the fisher who proposes")
    observe_others: bool = Field(True, description="fishers see the others' catches")
    searchers: int = Field(0, ge=0, le=4, description="outsiders harvesting the slack")
    searcher_keep: Literal["regrow", "collapse"] = "regrow"
    searcher_tip: int = Field(10, ge=0)
    searcher_is_builder: bool = Field(False, description="the searcher builds the blocks")
    fisher_tip: int = Field(0, ge=0, description="priority fee per gas the fishers bid")
    close_tip: int = Field(1, ge=0, description="priority fee per gas of the round's close")
    keeper_fee: int = Field(
        0, ge=0, le=10**6, description="fish a contract pays the closer each round, split"
    )

    @model_validator(mode="after")
    def _check(self) -> FisheryParams:
        if self.initial > self.capacity or self.collapse_below > self.capacity:
            raise ValueError("initial and collapse_below must be at most capacity")
        if self.proposer >= self.fishers:
            raise ValueError(f"proposer must index a fisher (< {self.fishers})")
        for name, values in (("quotas", self.quotas), ("penalties", self.penalties)):
            if any(v < 0 for v in values) or len(set(values)) != len(values):
                raise ValueError(f"{name} must be distinct non-negative ints")
        if len(self.quotas) * len(self.penalties) > 256:
            raise ValueError("the menu may hold at most 256 contracts")
        return self

    @property
    def commons(self) -> M.Commons:
        return M.Commons(
            self.fishers,
            self.capacity,
            self.initial,
            self.growth,
            self.collapse_below,
            self.rounds,
        )

    @property
    def space(self) -> ContractSpace:
        """The fishery contract space: quota and penalty bounds from the menu's values."""
        return fishery_space(
            max(self.quotas, default=0), max(self.penalties, default=0), self.capacity
        )

    @property
    def menu(self) -> tuple[Terms | None, ...]:
        """Entry 0 is no contract; then every (quota, penalty), quota slowest, each with
        the deposit that covers the largest one-round excess and a party's share of the
        season's keeper fees."""
        c = self.commons
        fees = self.rounds * -(-self.keeper_fee // self.fishers)  # a party's share, all season
        terms = [
            Terms(q, p, deposit_for(c, q, p) + fees) for q in self.quotas for p in self.penalties
        ]
        return (None, *terms)


@dataclass(frozen=True)
class RoundReport:
    """One closed round: asks, catches (licensed fishers, in order), net transfers, what
    searchers took, the stock left and after regrowth, collapse, gas."""

    round: int
    asks: tuple[int, ...]
    catches: tuple[int, ...]
    transfers: tuple[int, ...]
    searcher_catch: int
    remaining: int
    stock: int
    collapsed: bool
    gas_fees: int
    """Fees (fee asset) the fishers and the referee paid this round."""
    searcher_fees: int = 0
    keeper_fees: tuple[int, ...] = ()
    """Fish each fisher paid the closer this round under the contract's keeper fee."""


@dataclass
class _Proposal:
    proposer: str
    terms: Terms
    cid: int
    answers: dict[str, bool] = field(default_factory=dict)


class FisherySession:
    """A season: the lake on a device, driven one decision at a time (module docstring)."""

    def __init__(self, params: FisheryParams, device: DeviceConfig, seed: int) -> None:
        self.params = params
        self.commons = params.commons
        self.fishers = fisher_names(params.fishers)
        self.searcher_names = tuple(f"searcher_{i}" for i in range(params.searchers))
        if params.searcher_is_builder and self.searcher_names:
            device = device.model_copy(update={"builder": self.searcher_names[0]})
        accounts = (*self.fishers, REFEREE, *self.searcher_names, device.builder)
        genesis = Genesis(
            assets={
                device.fee_asset: AssetSpec(issuer="treasury", alloc=dict.fromkeys(accounts, FEE))
            }
        )
        self.device = Device(device, genesis, seed=seed)
        d = self.device
        c = self.commons
        self.lake = d.deploy(
            d.account(REFEREE),
            Fishery,
            ASSET,
            self.fishers,
            c.capacity,
            c.initial,
            c.growth,
            c.collapse_below,
            c.rounds,
            1,
            params.endowment,
            params.searchers > 0,
        )
        self.menu = params.menu
        self.searchers = [
            SlackSearcher(name, params.searcher_keep, params.searcher_tip)
            for name in self.searcher_names
        ]
        self.round = 1
        self.stock = c.initial
        self.collapsed = False
        self.contract: Terms | None = None
        """The last contract every party accepted (it stays after it ends)."""
        self.in_force = False
        """Whether that contract is still active on the device."""
        self.cid: int | None = None
        self.proposal: _Proposal | None = None
        self.proposals = 0
        self.accepted = 0
        self.agreements: list[tuple[int, Terms]] = []
        """``(round, terms)`` of every contract all accepted, in order."""
        self.history: list[RoundReport] = []
        self.caught = dict.fromkeys(self.fishers, 0)
        self.received = dict.fromkeys(self.fishers, 0)
        self._asks: dict[str, int] = {}
        self.phase: str = "propose" if params.negotiate else "harvest"
        self._driver: Contracting | None = None

    # -- what a fisher sees ------------------------------------------------------------
    @property
    def over(self) -> bool:
        return self.phase == "over"

    def view(self, fisher: str) -> FisherView:
        """What ``fisher`` sees now (module docstring)."""
        self._fisher(fisher)
        last: dict[str, int] = {}
        if self.history and self.params.observe_others:
            last = dict(zip(self.fishers, self.history[-1].catches, strict=True))
        elif self.history:
            last = {fisher: self.history[-1].catches[self.fishers.index(fisher)]}
        p = self.proposal
        return FisherView(
            fisher=fisher,
            fishers=self.fishers,
            phase=self.phase,
            round=self.round,
            rounds=self.commons.rounds,
            stock=self.stock,
            threshold=M.threshold(self.commons, self.stock),
            capacity=self.commons.capacity,
            collapse_below=self.commons.collapse_below,
            growth=self.commons.growth,
            last_catches=last,
            caught=self.caught[fisher],
            balance=self.device.balance(fisher, ASSET),
            contract=self.contract,
            proposal=p.terms if p is not None else None,
            proposer=p.proposer if p is not None else "",
            menu=tuple(t for t in self.menu if t is not None),
            collapsed=self.collapsed,
        )

    @property
    def proposer(self) -> str:
        """Who proposes now: the params' ``proposer``, and with ``renegotiate`` the next
        fisher in turn each round (round ``r``: ``proposer + r - 1``, modulo ``n``)."""
        k = self.params.proposer
        if self.params.renegotiate:
            k += self.round - 1
        return self.fishers[k % len(self.fishers)]

    def _fisher(self, fisher: object) -> str:
        if type(fisher) is not str or fisher not in self.fishers:
            raise FisheryError(f"fisher must be one of {list(self.fishers)}, got {fisher!r}")
        return fisher

    def _phase(self, want: str) -> None:
        if self.phase != want:
            raise FisheryError(f"not the {want} phase (the session is in {self.phase!r})")

    # -- the three decisions -----------------------------------------------------------
    def propose(self, fisher: str, terms: Terms | None) -> None:
        """The proposer proposes ``terms`` from the menu, or ``None`` (no contract)."""
        self._phase("propose")
        if self._fisher(fisher) != self.proposer:
            raise FisheryError(f"only {self.proposer} proposes, not {fisher}")
        if terms is not None and terms not in self.menu:
            raise FisheryError(f"terms must be None or one of the menu's, got {terms!r}")
        if terms is None:
            self.phase = "harvest"
            return
        self.proposals += 1
        driver = self._contracting()
        cid = driver.propose(
            fisher,
            self.fishers,
            self.params.space,
            (terms.quota, terms.penalty),
            asset=ASSET,
            deposits=terms.deposit,
            observer=self.lake,
            fee_payer="*" if self.params.keeper_fee else "",
            keeper_fee=self.params.keeper_fee,
            start=self.round,
            end=self.commons.rounds,
        )
        self.proposal = _Proposal(fisher, terms, cid, {fisher: True})
        self.phase = "accept"

    def respond(self, fisher: str, accept: bool) -> None:
        """A party accepts (its deposit is locked) or rejects the proposal."""
        self._phase("accept")
        p = self.proposal
        assert p is not None
        if self._fisher(fisher) in p.answers:
            raise FisheryError(f"{fisher} has already answered")
        if type(accept) is not bool:
            raise FisheryError(f"accept must be a bool, got {accept!r}")
        driver = self._contracting()
        if accept and self.device.balance(fisher, ASSET) < p.terms.deposit:
            accept = False  # cannot lock the deposit: counts as a rejection
        driver.respond(fisher, p.cid, accept)
        p.answers[fisher] = accept
        if not accept or len(p.answers) == len(self.fishers):
            self._settle_negotiation(
                all(p.answers.values()) and len(p.answers) == len(self.fishers)
            )

    def adopt(self, terms: Terms | None) -> None:
        """Put ``terms`` in force as if the proposer proposed them and every party accepted
        (the env's ``options={"contract": k}``: stage 1 of Haupt et al.'s protocol)."""
        self._phase("propose")
        self.propose(self.proposer, terms)
        for fisher in self.fishers:
            if self.phase == "accept" and fisher not in self.proposal.answers:  # type: ignore[union-attr]
                self.respond(fisher, True)

    def _settle_negotiation(self, agreed: bool) -> None:
        p = self.proposal
        assert p is not None
        if agreed:
            self.accepted += 1
            self.contract, self.cid, self.in_force = p.terms, p.cid, True
            self.agreements.append((self.round, p.terms))
            d = self.device
            receipt = d.call(
                d.account(REFEREE), self.lake, "watch", self._contracting().address, p.cid
            )
            if not receipt.ok:
                raise RuntimeError(f"the lake refused its watcher: {receipt.error}")
        self.proposal = None
        self.phase = "harvest"

    def catch(self, fisher: str, amount: int) -> None:
        """``fisher`` asks for ``amount`` tons this round (sent to the mempool now)."""
        self._phase("harvest")
        if self._fisher(fisher) in self._asks:
            raise FisheryError(f"{fisher} has already asked this round")
        if type(amount) is not int or amount < 0:
            raise FisheryError(f"amount must be a non-negative int, got {amount!r}")
        d = self.device
        tip = self.params.fisher_tip
        tx = d.sign(
            d.account(fisher),
            self.lake,
            "harvest",
            self.round,
            amount,
            gas_limit=HARVEST_GAS,
            max_fee=d.default_max_fee(tip),
            priority_fee=tip,
        )
        d.submit(tx)
        self._asks[fisher] = amount

    # -- the round's end -----------------------------------------------------------------
    def close_round(self) -> RoundReport:
        """Land the round's harvests, then its close (with the searchers' moves)."""
        self._phase("harvest")
        d = self.device
        current = self.round
        moved_before, fees_before = self._transferred(), self._keeper_fees()
        harvest_block = d.build_block()
        fees = sum(r.fee_paid for r in harvest_block.receipts)
        ref = d.account(REFEREE)
        tip = self.params.close_tip
        close = d.sign(
            ref,
            self.lake,
            "close_round",
            current,
            gas_limit=CLOSE_GAS,
            max_fee=d.default_max_fee(tip),
            priority_fee=tip,
        )
        d.submit(close)
        for searcher in self.searchers:
            obs = observe(d, searcher.name)
            leave = searcher.leave(self.commons, current)
            stock = d.view(self.lake, "status")[1]
            for tx in searcher.act(obs, d, d.account(searcher.name), self.lake, stock, leave):
                d.submit(tx)
        close_block = d.build_block()
        receipts = {r.tx_hash: r for r in close_block.receipts}
        closed = receipts.get(close.hash)
        if closed is None or not closed.ok:
            raise RuntimeError(f"round {current}'s close did not land: {closed}")
        searcher_fees = 0
        for r in close_block.receipts:
            if r.tx_hash == close.hash:
                fees += r.fee_paid
            else:
                searcher_fees += r.fee_paid
        searcher_catch = sum(
            d.view(self.lake, "catch_of", current, name) for name in self.searcher_names
        )
        catches = tuple(d.view(self.lake, "catches", current))
        status = d.view(self.lake, "status")
        remaining = self.stock - sum(catches) - searcher_catch
        self.stock, self.collapsed = status[1], status[3]
        moved_after = self._transferred()
        transfers = tuple(a - b for a, b in zip(moved_after, moved_before, strict=True))
        paid = tuple(a - b for a, b in zip(self._keeper_fees(), fees_before, strict=True))
        asks = tuple(self._asks.get(f, 0) for f in self.fishers)
        report = RoundReport(
            current,
            asks,
            catches,
            transfers,
            searcher_catch,
            remaining,
            self.stock,
            self.collapsed,
            fees,
            searcher_fees,
            paid,
        )
        for f, got, net, fee in zip(self.fishers, catches, transfers, paid, strict=True):
            self.caught[f] += got
            self.received[f] += net - fee
        self.history.append(report)
        self._asks = {}
        if (
            self.in_force
            and self.cid is not None
            and self._contracting().status(self.cid) != ACTIVE
        ):
            self.in_force = False  # ended: its deposit ran out, or its last round settled
        if self.collapsed or status[4]:
            self.phase = "over"
        else:
            self.round = status[0]
            if self.params.renegotiate and not self.in_force:
                self.phase = "propose"
        return report

    def _transferred(self) -> tuple[int, ...]:
        if self.cid is None or self._driver is None:
            return (0,) * len(self.fishers)
        return self._driver.transferred(self.cid)

    def _keeper_fees(self) -> tuple[int, ...]:
        if self.cid is None or self._driver is None:
            return (0,) * len(self.fishers)
        return tuple(self._driver.state(self.cid)[4])

    def _contracting(self) -> Contracting:
        if self._driver is None:
            self._driver = Contracting.on(self.device, REFEREE)
        return self._driver

    def payoffs(self) -> tuple[int, ...]:
        """Each fisher's payoff so far: its catch plus its net contract transfers, less the
        keeper fees it paid."""
        return tuple(self.caught[f] + self.received[f] for f in self.fishers)

    def state_hash(self) -> str:
        return self.device.state_hash().hex()


def play_turns(session: FisherySession, asks: Sequence[int]) -> RoundReport:
    """Send one ask per fisher (in fisher order) and close the round."""
    for fisher, ask in zip(session.fishers, asks, strict=True):
        session.catch(fisher, ask)
    return session.close_round()
