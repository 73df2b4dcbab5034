"""A searcher who harvests the slack a round leaves, once it sees the round's close coming.

Contracted fishers who keep to a quota leave fish in the lake. In an open-access lake an
outsider who is party to no contract can take them; the best moment is just before the
round closes (every catch of the round is in, and the close settles the quota contract:
:meth:`accord.contracts.fishery.Fishery.close_round`). :class:`SlackSearcher` watches
the mempool for a ``close_round`` of the lake; when it sees one it asks for the stock
above what it chooses to leave, minus the visible pending harvests of that round:

* ``keep="regrow"`` leaves ``k = max(ceil(C / g), m)``, enough to regrow to the cap:
  it takes only fish that regrowth could not use (harmless to the fishers' future), and
  in the last round everything above ``m``;
* ``keep="collapse"`` leaves just the collapse bound ``m``: it takes all it can without
  ending the season, and the lake regrows to only ``g m``.

Whether it lands before the close is the device's design: with a public mempool and
``priority`` ordering its tip puts it first; under ``fcfs`` it arrives after the close it
reacted to and its harvest, naming a closed round, reverts; under ``random`` it is a
coin toss; under ``batch`` a harvest settles in the block's batch, after the close, and
is refused; under ``private`` only the builder sees the close (a searcher that *is* the
builder still acts) and under ``sealed`` no one does. The game measures what it takes
(``mev_fish``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from accord.agents.base import Observation
from accord.device import Account, Device, Pending, Transaction
from accord.mechanisms import commons as M

__all__ = ["HARVEST_GAS", "SlackSearcher"]

HARVEST_GAS = 250_000
"""Gas limit of a harvest transaction (one costs about 110,000)."""


@dataclass
class SlackSearcher:
    """Harvests a round's slack before its close (module docstring)."""

    name: str
    keep: Literal["regrow", "collapse"] = "regrow"
    tip: int = 10
    """Priority fee per gas it bids (the fishers' and the keeper's default is 0 and 1)."""

    def leave(self, c: M.Commons, round: int) -> int:
        """How many fish it leaves in the lake when round ``round`` closes: in the last
        round only the collapse bound (no later round to regrow for)."""
        if self.keep == "collapse" or round >= c.rounds:
            return c.collapse_below
        return c.keep

    def act(
        self,
        obs: Observation,
        device: Device,
        account: Account,
        lake: str,
        stock: int,
        leave: int,
    ) -> list[Transaction]:
        """Its harvest, if it sees a close of ``lake`` in ``obs.mempool`` and there is
        slack above ``leave`` after the visible pending harvests of that round."""
        closing: int | None = None
        pending_asks = 0
        for entry in obs.mempool:
            if not isinstance(entry, Pending):  # sealed: nothing to read
                continue
            tx = entry.tx
            if tx.to != lake or tx.sender == self.name:
                continue
            if tx.method == "close_round" and len(tx.args) == 1 and type(tx.args[0]) is int:
                closing = tx.args[0]
            elif tx.method == "harvest" and len(tx.args) == 2:
                ask = tx.args[1]
                if type(ask) is int and ask > 0:
                    pending_asks += ask
        if closing is None:
            return []
        slack = stock - pending_asks - leave
        if slack <= 0:
            return []
        return [
            device.sign(
                account,
                lake,
                "harvest",
                closing,
                slack,
                gas_limit=HARVEST_GAS,
                max_fee=obs.max_fee(self.tip),
                priority_fee=self.tip,
                nonce=obs.nonce,
            )
        ]
