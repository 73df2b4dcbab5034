"""The commitment registry: the system contract where commitments wait to be resolved.

Posting a commitment is an ordinary signed transaction to :data:`REGISTRY_ADDRESS`
(``post(document)``), so it has a nonce, pays gas and lands in the event log like any
other; replay re-posts it and re-resolves it bit for bit. The pending commitments are
contract storage, hence part of the state hash: anyone can read what everyone has
promised (:meth:`CommitmentRegistry.pending`).

A posted commitment **cannot be withdrawn**. It stays pending until it fires or its
expiry block passes; that is what makes it a commitment rather than an offer.

Posting pays for what the commitment will cost the device (:mod:`.cost`): its document
per byte (as calldata, and as storage through the storage schedule), and, up front,
its evaluation in every block of its life. Its expiry may be at most
``DeviceConfig.max_commitment_blocks`` blocks ahead, and a call action may ask for at most
:data:`MAX_ACTION_GAS`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from accord.device import gas as G
from accord.device.commitments.codec import MalformedCommitment, from_json, parse_commitment
from accord.device.commitments.cost import (
    DEFAULT_MAX_COMMITMENT_BLOCKS,
    evaluation_gas,
    lifetime,
    measure,
)
from accord.device.commitments.language import Call, Commitment
from accord.device.contract import Context, Contract, public
from accord.device.errors import Revert
from accord.device.storage import Map, Var, encoded_size

MAX_ACTION_GAS = 1_000_000
"""The most gas a call action may ask for (``post`` refuses more). An action runs when its
commitment settles, under its own gas limit, which bounds its work (a metered contract's
steps included): the cap keeps one action to a thirtieth of a 30M block, about 10,000
metered lines."""

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
    max_blocks: int = DEFAULT_MAX_COMMITMENT_BLOCKS
    """How far ahead an expiry may be (the device sets its ``max_commitment_blocks``)."""
    inclusions: bool = False
    """Whether the device records inclusions (``final_included`` atoms need them)."""

    def configure(self, max_blocks: int, inclusions: bool = False) -> None:
        """Set the device's ``max_commitment_blocks`` and whether it records inclusions
        (``DeviceConfig.records_inclusions``): at genesis; config, not state."""
        object.__setattr__(self, "max_blocks", max_blocks)
        object.__setattr__(self, "inclusions", inclusions)

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
        for k, action in enumerate((*commitment.actions, *commitment.otherwise)):
            if isinstance(action, Call) and action.gas > MAX_ACTION_GAS:
                raise Revert(
                    f"action {k} asks for gas {action.gas}, more than MAX_ACTION_GAS = "
                    f"{MAX_ACTION_GAS}"
                )
        if not self.inclusions and measure(commitment).inclusions:
            raise Revert(
                "condition uses final_included, but this device records no inclusions "
                "(DeviceConfig.record_inclusions is off)"
            )
        if commitment.owner != ctx.sender:
            raise Revert(f"owner {commitment.owner!r} is not the sender {ctx.sender!r}")
        if commitment.id in self.entries:
            raise Revert(f"commitment {commitment.id} is already pending")
        if commitment.expiry < ctx.block_number:
            raise Revert(
                f"expiry {commitment.expiry} is before the current block {ctx.block_number}"
            )
        blocks = lifetime(commitment, ctx.block_number)
        if blocks > self.max_blocks:
            raise Revert(
                f"expiry {commitment.expiry} is {blocks} blocks ahead, more than "
                f"max_commitment_blocks = {self.max_blocks}"
            )
        ctx.use_gas(evaluation_gas(commitment, blocks))  # up front, for every block
        if commitment.bond is not None:
            ctx.lock(commitment.bond.asset, commitment.bond.amount)
        seq = self.next_seq
        self.next_seq = seq + 1
        self.entries[commitment.id] = (seq, commitment.to_json())
        ctx.emit("Posted", id=commitment.id, owner=commitment.owner, expiry=commitment.expiry)
        return commitment.id

    @staticmethod
    def post_gas(commitment: Commitment, block_number: int) -> int:
        """A gas limit enough for posting ``commitment`` in block ``block_number`` or
        later (a later block leaves fewer blocks to pay for): the transaction, the
        document as calldata (twice: the registry's charge and the intrinsic one), its
        storage, the bond, the event and the evaluation charge."""
        document = commitment.to_json()
        stored = encoded_size(commitment.id) + encoded_size((1 << 62, document))
        blocks = max(lifetime(commitment, block_number), 1)
        return (
            G.TX_BASE
            + G.CALL
            + 2 * GAS_PER_DOCUMENT_BYTE * len(document.encode())
            + 3 * G.WRITE_NEW
            + G.STORAGE_BYTE_NEW * max(stored - G.STORAGE_FREE_BYTES, 0)
            + 2 * G.LEDGER_OP
            + G.EVENT
            + G.EVENT_BYTE * 2 * (len(commitment.id) + 64)
            + evaluation_gas(commitment, blocks)
        )

    @staticmethod
    def posting(commitment: Commitment | Any, signer: str, block_number: int) -> tuple[str, int]:
        """What ``signer`` sends to post ``commitment`` (a model, dict or JSON text) in block
        ``block_number`` or later: the document and a gas limit covering it (:meth:`post_gas`
        counts the intrinsic cost as ``TX_BASE``; the document's calldata is added).

        Raises :class:`MalformedCommitment` naming the field for a malformed document or
        one whose owner is not ``signer``: the one check both the embedded device and a
        node's client run before anything is signed."""
        if isinstance(commitment, str):
            commitment = from_json(commitment)
        parsed = parse_commitment(commitment)
        if parsed.owner != signer:
            raise MalformedCommitment(
                f"{parsed.owner!r} is not the signer {signer!r}", field="owner"
            )
        document = parsed.to_json()
        gas_limit = (
            CommitmentRegistry.post_gas(parsed, block_number)
            - G.TX_BASE
            + G.intrinsic_gas("post", (document,), ())
        )
        return document, gas_limit

    def pending(self) -> list[Commitment]:
        """Every pending commitment, in posting order (free: for inspection and agents)."""
        raw = self.__dict__["entries"]._data
        return [parse_document(doc) for _, doc in sorted(raw.values())]

    def count(self) -> int:
        """How many commitments are pending."""
        return len(self.__dict__["entries"]._data)
