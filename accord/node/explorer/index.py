"""What the explorer reads that the device keeps no index of, kept as blocks are sealed.

:class:`ExplorerIndex` is a node watcher (``Node.watchers``, like the WebSocket hub):
after each sealed block it records, in the order they happened,

* the contracts deployed (address and class), so listing them is a slice, not a scan;
* each sender's included transactions, newest last;
* where each commitment was posted (its ``Posted`` event's transaction), and what each
  block's resolution did with the commitments it fired or let expire
  (``Device.resolutions``);
* the ERC-8004 registries among the contracts: identity registries, and the
  reputation and validation registries bound to each.

Every list only grows by what a block added, so a read is an ``O(limit)`` slice of it.
The index holds one entry a transaction. When it is built, the blocks the device no
longer holds (a node with a ``history`` window, or one restarted from a checkpoint) are
read from the block archive's index (``Node.archive``: each transaction's sender, each
``Posted`` event); what the device no longer keeps (resolutions older than its
``resolutions`` deque) is not invented.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from itertools import islice
from typing import Any

from accord.contracts.agents import IdentityRegistry, ReputationRegistry, ValidationRegistry
from accord.device import Block
from accord.device.commitments.registry import REGISTRY_ADDRESS


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a block's resolution did with one commitment."""

    id: str
    block_number: int
    status: str
    """``settled`` or ``failed`` (it fired), ``expired`` (its ``otherwise`` ran) or
    ``expired_failed`` (its ``otherwise`` failed)."""
    error: str | None
    culprit: str | None


class ExplorerIndex:
    """The explorer's indexes of one node (module docstring)."""

    def __init__(self, node: Any) -> None:
        self.node = node
        self.contracts: list[tuple[str, str]] = []
        """``(address, "module:Class")`` in deployment order."""
        self.by_sender: dict[str, list[str]] = {}
        """Sender -> hashes (hex) of its included transactions, oldest first."""
        self.posted: dict[str, str] = {}
        """Commitment id -> hash (hex) of the transaction that last posted it."""
        self.fired: list[Outcome] = []
        self.expired: list[Outcome] = []
        self.identities: list[str] = []
        self.reputations: dict[str, list[str]] = {}
        """Identity registry -> the reputation registries bound to it."""
        self.validations: dict[str, list[str]] = {}
        self._resolved = -1
        self._accounts: tuple[int, list[str]] = (-1, [])
        device = node.device
        # Blocks the device no longer holds (a node with a history window, or restarted
        # from a checkpoint) are read from the block archive's index, in chain order.
        first = device.blocks[0].number if device.blocks else device.number + 1
        archive = getattr(node, "archive", None)
        if archive is not None and first > 0:
            by_sender = self.by_sender
            for sender, tx_hash in archive.senders(first):
                by_sender.setdefault(sender, []).append(tx_hash.hex())
            for commitment, tx_hash in archive.postings(first):
                self.posted[commitment] = tx_hash.hex()
        for block in device.blocks:
            self._transactions(block)
        for resolution in device.resolutions:
            self._resolution(resolution)
        self._contracts()

    def accounts(self) -> list[str]:
        """Every account name, sorted: sorted again only when an account was opened
        (not once per request: ``Device.accounts`` sorts on each call)."""
        device = self.node.device
        count = len(device._bound)  # the device's name -> key table; O(1)
        if count != self._accounts[0]:
            self._accounts = (count, device.accounts)
        return self._accounts[1]

    # -- the watcher's interface (accord.node.production.Node._tell) ----------------------
    def pending(self, tx: object) -> None:
        """Nothing to index before inclusion."""

    def block(self, block: Block) -> None:
        self._transactions(block)
        resolutions = self.node.device.resolutions
        if resolutions and resolutions[-1].number == block.number:
            self._resolution(resolutions[-1])
        self._contracts()

    def reorg(self, reorg: Any) -> None:
        """Forget what the replaced blocks added, then index the new branch's blocks."""
        gone = {tx.hash.hex() for block in reorg.undone for tx in block.transactions}
        if gone:
            for sender, hashes in self.by_sender.items():
                self.by_sender[sender] = [h for h in hashes if h not in gone]
            self.posted = {c: h for c, h in self.posted.items() if h not in gone}
        point = reorg.fork_point
        self.fired = [o for o in self.fired if o.block_number <= point]
        self.expired = [o for o in self.expired if o.block_number <= point]
        self._resolved = min(self._resolved, point)
        table = self.node.device.contracts
        if any(address not in table for address, _ in self.contracts):  # undone deployments
            self.contracts = [(a, c) for a, c in self.contracts if a in table]
            kept = {a for a, _ in self.contracts}
            self.identities = [a for a in self.identities if a in kept]
            for bound in (self.reputations, self.validations):
                for identity in list(bound):
                    bound[identity] = [a for a in bound[identity] if a in kept]
        for block in reorg.built:
            self._transactions(block)
        for resolution in self.node.device.resolutions:
            if resolution.number > point:
                self._resolution(resolution)
        self._contracts()

    # -- indexing ------------------------------------------------------------------------
    def _transactions(self, block: Block) -> None:
        for tx, receipt in zip(block.transactions, block.receipts, strict=False):
            self.by_sender.setdefault(tx.sender, []).append(tx.hash.hex())
            for event in receipt.events:
                if event.address == REGISTRY_ADDRESS and event.name == "Posted":
                    commitment = dict(event.data).get("id")
                    if type(commitment) is str:
                        self.posted[commitment] = tx.hash.hex()

    def _resolution(self, resolution: Any) -> None:
        if resolution.number <= self._resolved:
            return
        self._resolved = resolution.number
        for group in resolution.groups:
            status = "settled" if group.ok else "failed"
            for member in group.members:
                self.fired.append(
                    Outcome(member, resolution.number, status, group.error, group.culprit)
                )
        for group in resolution.expired:
            status = "expired" if group.ok else "expired_failed"
            for member in group.members:
                self.expired.append(
                    Outcome(member, resolution.number, status, group.error, group.culprit)
                )

    def _contracts(self) -> None:
        """Append the contracts deployed since the last call (the device's table only
        grows, in deployment order)."""
        table = self.node.device.contracts
        for address, contract in islice(table.items(), len(self.contracts), None):
            self.contracts.append((address, type(contract).class_path()))
            if isinstance(contract, IdentityRegistry):
                self.identities.append(address)
            elif isinstance(contract, (ReputationRegistry, ValidationRegistry)):
                # the raw slot: reading ``contract.identity`` would charge the device's
                # gas meter (a metered storage read) outside any transaction
                identity = contract._vars.get("identity", "")
                bound = (
                    self.reputations
                    if isinstance(contract, ReputationRegistry)
                    else self.validations
                )
                bound.setdefault(identity, []).append(address)


_INDEXES: weakref.WeakKeyDictionary[Any, ExplorerIndex] = weakref.WeakKeyDictionary()


def index_of(node: Any) -> ExplorerIndex:
    """The node's index, made (from what the device still holds) and registered as a
    watcher on first use; the server makes it at start so that it sees every block."""
    found = _INDEXES.get(node)
    if found is None:
        found = _INDEXES[node] = ExplorerIndex(node)
        node.watchers.append(found)
    return found
