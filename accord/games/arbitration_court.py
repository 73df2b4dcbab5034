"""The court's side of the arbitration game: its keeper, its jurors and the parties' appeals.

:class:`CourtDriver` submits, for one court dispute and the coming block, what its people
do (``accord/contracts/court.py`` has the periods):

* the **keeper** passes the period as soon as the court allows it (probed with a
  read-only call first, so no transaction is wasted) and, in execution, executes the
  ruling, which calls the clause's ``rule``;
* the **jurors** (:mod:`accord.agents.arbitration.jurors`: honest, lazy and bribed, in
  the game's honesty mix) answer their summons: an honest juror votes its private
  reading of the truth (right with ``accuracy``, drawn afresh per juror, dispute and
  round); a bribed one votes for the dishonest party, which offers every juror a bribe
  (off the device: the liar's earnings do not count what it would pay);
* in the appeal period the **parties** fund appeals: the round's loser funds its side
  (2x, first half only) if its policy contests; the round's winner funds its own (1x)
  once the loser's side is fully funded, rather than lose by default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import numpy as np

from accord.agents.arbitration import Juror, signal, summons
from accord.agents.base import observe, submit
from accord.device import Device, OutOfGas, Revert
from accord.mechanisms.arbitration import REFUND, RELEASE
from accord.mechanisms.court.appeals import loser_deadline

KEEPER = "keeper"
GAS = 5_000_000


class Dispute(Protocol):
    """What the driver reads of a dispute (``accord.games.arbitration.Dispute``)."""

    truth: int
    payer: str
    payee: str

    @property
    def dishonest(self) -> str: ...


D = TypeVar("D", bound=Dispute)


class CourtDriver:
    """Drives the court's disputes for the arbitration game (module docstring)."""

    def __init__(
        self,
        device: Device,
        court: str,
        jurors: Sequence[Juror],
        accuracy: float,
        rng: np.random.Generator,
    ) -> None:
        self.device, self.court = device, court
        self.jurors = {j.name: j for j in jurors}
        self.accuracy, self.rng = accuracy, rng
        self.acted: set[tuple[str, str, int, int]] = set()

    def _send(self, who: str, method: str, *args: Any, value: int = 0) -> None:
        device = self.device
        tx = device.sign(
            device.account(who),
            self.court,
            method,
            *args,
            value={"USD": value} if value else None,
            gas_limit=GAS,
        )
        device.submit(tx)

    def _view(self, method: str, *args: Any) -> Any:
        return self.device.view(self.court, method, *args)

    def rounds(self, d: int) -> int:
        return int(self._view("dispute", d)[4])

    def _passable(self, d: int) -> bool:
        try:
            self.device.view(self.court, "pass_period", d, sender=KEEPER)
        except Revert:
            return False
        except OutOfGas:  # a big round's draw needs more than a view may spend: send it
            return True
        return True

    def _once(self, who: str, what: str, d: int, r: int) -> bool:
        key = (who, what, d, r)
        if key in self.acted:
            return False
        self.acted.add(key)
        return True

    def step(self, d: int, dispute: D, contest: Callable[[str, D], bool]) -> None:
        """Submit what dispute ``d``'s people do in the coming block."""
        _, _, period, _, rounds, ruled = self._view("dispute", d)
        r = rounds - 1
        if period == "execution":
            if not ruled and self._once(KEEPER, "execute", d, r):
                self._send(KEEPER, "execute", d)
            return
        if self._passable(d):
            self._send(KEEPER, "pass_period", d)
            return
        if period in ("commit", "vote"):
            self._jurors(d, r, dispute)
        elif period == "appeal":
            self._fund(d, r, dispute, contest)

    def _jurors(self, d: int, r: int, dispute: Dispute) -> None:
        liar = REFUND if dispute.truth == RELEASE else RELEASE
        view = self.device.view
        for name, _ in self._view("drawn", d, r):
            juror = self.jurors[name]

            def reading(_: int) -> int:
                return signal(self.rng, dispute.truth, self.accuracy)

            owed = summons(view, self.court, name, [d], reading, lambda _: (liar, 0))
            if owed:
                obs = observe(self.device, name, private={"summons": tuple(owed)}, mempool=False)
                submit(self.device, name, juror.act(obs))

    def _fund(self, d: int, r: int, dispute: D, contest: Callable[[str, D], bool]) -> None:
        winner = int(self._view("current_ruling", d))
        start, end = self._view("appeal_period", d)
        now = self.device.number + 1
        sides = {RELEASE: dispute.payee, REFUND: dispute.payer}
        funded = {c: bool(self._view("funding", d, c)[2]) for c in sides}
        for choice, who in sides.items():
            paid, need, done = self._view("funding", d, choice)
            if done:
                continue
            if choice != winner:
                wants = contest(who, dispute) and now < loser_deadline(start, end)
            else:
                other = REFUND if choice == RELEASE else RELEASE
                wants = funded[other]
            if wants and self._once(who, "fund", d, r):
                self._send(who, "fund_appeal", d, choice, value=need - paid)
