"""Block builders: who picks a block's contents, and the MEV channel they open.

A builder receives a :class:`BuildRequest` (the block's facts and the pending
transactions and bundles *as the builder may see them* under the mempool's visibility)
and returns its choices: hashes of pending transactions or bundles, and, where the
device allows it (``builder_may_insert``), transactions and bundles of its own.

* :class:`HonestBuilder` includes everything and follows the ordering rule.
* Any other builder has discretion: it may leave things out and insert its own
  transactions, and where the rule is not enforced (``ordering_enforced = False``) its
  order stands. That discretion is the MEV channel that experiments measure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

from accord.device.mempool import Pending, PendingBundle, SealedBundle, SealedTx
from accord.device.transaction import Bundle, Transaction

Choice = bytes | Transaction | Bundle
"""A pending item's hash, or an item of the builder's own."""


@dataclass(frozen=True, slots=True)
class BuildRequest:
    """What a builder knows when it builds block ``number``."""

    number: int
    timestamp: int
    base_fee: int
    gas_limit: int
    ordering: str
    visibility: str
    pending: tuple[Pending | SealedTx, ...]
    bundles: tuple[PendingBundle | SealedBundle, ...]


class Builder(Protocol):
    """Anything that can build blocks. ``follows_rule`` marks builders that defer to the
    ordering rule even when the device does not enforce it."""

    address: str
    follows_rule: ClassVar[bool]

    def build(self, request: BuildRequest) -> list[Choice]: ...


class HonestBuilder:
    """Includes every pending transaction and bundle and follows the ordering rule."""

    follows_rule: ClassVar[bool] = True

    def __init__(self, address: str = "builder") -> None:
        self.address = address

    def build(self, request: BuildRequest) -> list[Choice]:
        choices: list[Choice] = [p.hash for p in request.pending]
        choices.extend(b.hash for b in request.bundles)
        return choices
