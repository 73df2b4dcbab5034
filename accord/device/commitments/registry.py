"""The commitment registry: the system contract where commitments wait to be resolved.

Posting a commitment is an ordinary signed transaction to :data:`REGISTRY_ADDRESS`
(``post(document)``), so it has a nonce, pays gas and lands in the event log like any
other; replay re-posts it and re-resolves it bit for bit. The pending commitments are
contract storage, hence part of the state hash: anyone can read what everyone has
promised (:meth:`CommitmentRegistry.pending`).

A posted commitment **cannot be withdrawn**. It stays pending until it fires or its
expiry block passes; that is what makes it a commitment rather than an offer.
"""

from __future__ import annotations

from functools import lru_cache

from accord.device.commitments.codec import MalformedCommitment, from_json
from accord.device.commitments.language import Commitment
from accord.device.contract import Context, Contract, public
from accord.device.errors import Revert
from accord.device.storage import Map, Var

REGISTRY_ADDRESS = "commitments"
"""Where every device deploys its registry at genesis."""
GAS_PER_DOCUMENT_BYTE = 16
"""Gas per byte of a posted document: the calldata price of a non-zero byte (EIP-2028)."""


@lru_cache(maxsize=1 << 16)
def parse_document(document: str) -> Commitment:
    """Parse a stored document (cached: documents are immutable once posted)."""
    return from_json(document)


class CommitmentRegistry(Contract):
    """Pending commitments by id: ``id -> (sequence number, canonical JSON document)``."""

    entries: Map[tuple[int, str] | None] = Map(None)
    next_seq: Var[int] = Var(0)

    @public
    def post(self, ctx: Context, document: str) -> str:
        """Post a commitment signed by its owner; lock its bond. Returns its id."""
        if type(document) is not str:
            raise Revert("document must be a JSON string")
        ctx.use_gas(GAS_PER_DOCUMENT_BYTE * len(document))
        try:
            commitment = parse_document(document)
        except MalformedCommitment as exc:
            raise Revert(f"malformed commitment: {exc}") from None
        if commitment.owner != ctx.sender:
            raise Revert(f"owner {commitment.owner!r} is not the sender {ctx.sender!r}")
        if commitment.id in self.entries:
            raise Revert(f"commitment {commitment.id} is already pending")
        if commitment.expiry < ctx.block_number:
            raise Revert(
                f"expiry {commitment.expiry} is before the current block {ctx.block_number}"
            )
        if commitment.bond is not None:
            ctx.lock(commitment.bond.asset, commitment.bond.amount)
        seq = self.next_seq
        self.next_seq = seq + 1
        self.entries[commitment.id] = (seq, commitment.to_json())
        ctx.emit("Posted", id=commitment.id, owner=commitment.owner, expiry=commitment.expiry)
        return commitment.id

    def pending(self) -> list[Commitment]:
        """Every pending commitment, in posting order (free: for inspection and agents)."""
        raw = self.__dict__["entries"]._data
        return [parse_document(doc) for _, doc in sorted(raw.values())]

    def count(self) -> int:
        """How many commitments are pending."""
        return len(self.__dict__["entries"]._data)
