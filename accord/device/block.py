"""Blocks, their headers and the receipts of the transactions they include."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from operator import itemgetter
from typing import Literal, NamedTuple

from accord.device.contract import Event
from accord.device.encoding import Canonical, digest_bytes
from accord.device.merkle import EMPTY_ROOT
from accord.device.transaction import Bundle, Transaction

Status = Literal["success", "reverted", "out_of_gas"]


class Receipt(NamedTuple):
    """What happened to one included transaction."""

    tx_hash: bytes
    status: Status
    gas_used: int
    fee_paid: int
    """Total fee, in the fee asset: ``gas_used × (base_fee + tip)``."""
    tip_paid: int
    """The builder's part of ``fee_paid``; the rest was burned."""
    result: object
    events: tuple[Event, ...]
    error: str | None
    contract_address: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "success"


@dataclass(frozen=True, slots=True)
class BlockHeader:
    """A block's summary; ``state_hash`` commits to the whole state after the block,
    ``tx_root`` to the included transactions and ``receipts_root`` to their receipts.

    ``hash`` is BLAKE2b-256 of the canonical encoding of every field in order."""

    number: int
    timestamp: int
    parent_hash: bytes
    builder: str
    base_fee: int
    gas_limit: int
    gas_used: int
    tx_root: bytes
    state_hash: bytes
    beacon: bytes = b""
    """The block's randomness beacon (:mod:`accord.device.beacon`): derived from the
    design, the seed, the height and the parent block, so known once the parent is
    sealed."""
    receipt_count: int = 0
    """How many receipts (included transactions) the block has: it fixes the receipts
    tree's size (its pages of 32) and each page's size."""
    receipts_root: bytes = EMPTY_ROOT
    """The RFC 6962 Merkle root of the block's receipts, in order, in pages of 32 a leaf
    (:mod:`accord.device.receipts_root`): what a receipt's inclusion proof ends at."""

    @property
    def hash(self) -> bytes:
        fields: tuple[Canonical, ...] = (
            self.number,
            self.timestamp,
            self.parent_hash,
            self.builder,
            self.base_fee,
            self.gas_limit,
            self.gas_used,
            self.tx_root,
            self.state_hash,
            self.beacon,
            self.receipt_count,
            self.receipts_root,
        )
        return hashlib.blake2b(digest_bytes(fields), digest_size=32).digest()


BlockItem = Transaction | Bundle


class Skipped(NamedTuple):
    """An item a block did not include, and why (so experiments can count them).

    ``field`` is the :class:`~accord.device.errors.Rejected` error's field (``"nonce"``,
    ``"sender"``, ``"txs[1]"`` for a bundle...), or ``"gas_limit"`` for an item that did
    not fit the gas left. ``dropped`` says whether the item left the mempool with this
    block because it can never become valid (see ``docs/device.md``); otherwise it stays
    pending and may be included later.
    """

    hash: bytes
    kind: Literal["tx", "bundle"]
    field: str
    reason: str
    dropped: bool


ReceiptFields = tuple[
    bytes, Status, int, int, int, object, tuple[Event, ...], str | None, str | None
]
"""A receipt's fields as a plain tuple, in :class:`Receipt`'s order."""

_new_tuple = tuple.__new__


class Block:
    """A sealed block: header, the transactions it included in order, their receipts,
    and the items it attempted or could not fit but did not include.

    The executor records each receipt as a plain tuple of :class:`Receipt`'s fields
    (building a NamedTuple costs twice as much as a tuple, on every transaction);
    ``receipts`` wraps them as :class:`Receipt` on first access, once.
    """

    __slots__ = ("_receipts", "_wrapped", "builder_refused", "header", "skipped", "transactions")

    def __init__(
        self,
        header: BlockHeader,
        transactions: tuple[Transaction, ...],
        receipts: tuple[Receipt | ReceiptFields, ...],
        skipped: tuple[Skipped, ...] = (),
    ) -> None:
        self.header = header
        self.transactions = transactions
        self._receipts = receipts
        self._wrapped = False
        self.skipped = skipped
        self.builder_refused: str | None = None
        """Set when the builder asked for this block offered one the device could not use
        (it raised, chose an unknown item, inserted where it may not or what the gate
        refused): the reason. The block was then built locally by the honest builder
        (``header.builder`` says by whom), as a proposer falls back to its own block
        when a relay's cannot be used (mev-boost)."""

    @property
    def receipts(self) -> tuple[Receipt, ...]:
        """The receipts of :attr:`transactions`, in order."""
        if not self._wrapped:
            self._receipts = tuple(
                [r if type(r) is Receipt else _new_tuple(Receipt, r) for r in self._receipts]
            )
            self._wrapped = True
        return self._receipts  # type: ignore[return-value]

    @property
    def number(self) -> int:
        return self.header.number

    def __repr__(self) -> str:
        return (
            f"Block(number={self.number}, transactions={len(self.transactions)}, "
            f"skipped={len(self.skipped)}, hash={self.header.hash.hex()[:16]})"
        )

    def receipt(self, tx_hash: bytes) -> Receipt:
        for receipt in self.receipts:
            if receipt.tx_hash == tx_hash:
                return receipt
        raise KeyError(tx_hash.hex())


_tx_hash = itemgetter(9)


def tx_root(transactions: tuple[Transaction, ...] | list[Transaction]) -> bytes:
    """Commitment to the included transactions and their order."""
    return hashlib.blake2b(b"".join(map(_tx_hash, transactions)), digest_size=32).digest()
