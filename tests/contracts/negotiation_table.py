"""A negotiation table for the tests: a device, the Mandates and Negotiation contracts,
and one-line helpers to open, join, propose and accept (each its own block)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.contracts.mandate import Limits, Mandates
from accord.contracts.negotiation import Negotiation
from accord.contracts.negotiation_offers import acceptance
from accord.device import Device, Receipt
from accord.device.commitments.language import Commitment
from accord.device.commitments.resolver import Resolution
from tests.contracts.hostile_args import GAS, hostile_device


@dataclass
class Table:
    device: Device
    mandates: str
    neg: str

    @classmethod
    def make(cls) -> Table:
        device = hostile_device(signatures="mac")
        carol = device.account("carol")
        mandates = device.deploy(carol, Mandates)
        neg = device.deploy(carol, Negotiation, mandates)
        return cls(device, mandates, neg)

    def call(self, who: str, method: str, *args: Any, to: str = "") -> Receipt:
        device = self.device
        return device.call(device.account(who), to or self.neg, method, *args, gas_limit=GAS)

    def ok(self, who: str, method: str, *args: Any, to: str = "") -> Any:
        receipt = self.call(who, method, *args, to=to)
        assert receipt.ok, receipt.error
        return receipt.result

    def view(self, method: str, *args: Any) -> Any:
        return self.device.view(self.neg, method, *args)

    def start(
        self,
        deposit: tuple[tuple[str, int], ...] = (("GOLD", 6), ("TOK", 4)),
        *,
        deposits: dict[str, tuple[tuple[str, int], ...]] | None = None,
        agents: dict[str, str] | None = None,
        turn_blocks: int = 4,
        max_turns: int = 6,
    ) -> int:
        """carol opens alice–bob with ``deposit``; both join (agents, deposits)."""
        nid: int = self.ok("carol", "open", "alice", "bob", deposit, turn_blocks, max_turns)
        for party in ("alice", "bob"):
            agent = (agents or {}).get(party, party)
            self.ok(party, "join", nid, agent, (deposits or {}).get(party, ()))
        return nid

    def grant(self, principal: str, delegate: str, limits: Limits) -> None:
        self.ok(principal, "grant", delegate, self.neg, limits.to_args(), to=self.mandates)

    def deadline(self, nid: int) -> int:
        deadline: int = self.view("state", nid)[3]
        return deadline

    def accept(self, who: str, nid: int, k: int, *, expiry: int | None = None) -> Resolution:
        """Post ``who``'s acceptance of offer ``k`` and mine its block."""
        deadline = self.deadline(nid) if expiry is None else expiry
        return self.post(acceptance(who, self.neg, nid, k, max(deadline, self.device.number + 1)))

    def post(self, commitment: Commitment) -> Resolution:
        device = self.device
        device.commit(device.account(commitment.owner), commitment)
        block = device.build_block()
        assert block.receipts[0].ok, block.receipts[0].error
        return device.resolutions[-1]

    def mine(self, n: int) -> None:
        for _ in range(n):
            self.device.build_block()

    def holdings(self, *who: str) -> dict[tuple[str, str], int]:
        assets = ("GOLD", "TOK", "USD")
        return {(w, a): self.device.balance(w, a) for w in who for a in assets}

    def locked(self) -> dict[tuple[str, str], int]:
        return {
            (owner, asset): n
            for (owner, asset, holder), n in self.device.ledger.locked.items()
            if holder == self.neg and n
        }
