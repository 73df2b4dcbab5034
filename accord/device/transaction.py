"""Transactions, bundles and the accounts that sign them.

A :class:`Transaction` is immutable data: sender, nonce, target and method, arguments,
value sent, gas limit, max fee and priority fee, plus its hash and signature. The hash is
BLAKE2b over the canonical encoding of the other fields
(:func:`~accord.device.encoding.digest_bytes`); the signature is keyed BLAKE2s
(a MAC, RFC 7693 §2.9) of the hash under the sender's secret key. The device holds every
account's key, so it can tell a forged or altered transaction (:class:`BadSignature`)
without public-key cryptography, which an embedded, single-process device does not need:
what matters is that no agent, builder included, can sign for another.

Targets:

* a contract address with a public ``method``: a call;
* any other address with ``method == ""``: a plain transfer of ``value``;
* ``to == DEPLOY``: deploy the contract class ``method`` (``"module:Class"``) with
  ``args`` passed to its ``setup``; the new address derives from sender and nonce.

A :class:`Bundle` is an ordered list of transactions applied all-or-nothing, as
Flashbots' ``eth_sendBundle``: it lands whole in one block in ``[min_block, max_block]``,
or not at all. A transaction whose hash is in ``reverting`` may revert without failing
the bundle; any other revert drops the whole bundle, fees included.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from hashlib import blake2b as _blake2b
from hashlib import blake2s as _blake2s
from marshal import dumps as _dumps
from typing import Any, NamedTuple

from accord.device.encoding import Canonical, canonical_args
from accord.device.errors import InvalidValue

DEPLOY = ""
"""The target of a deploying transaction (like Ethereum's empty ``to``)."""

DEFAULT_GAS_LIMIT = 200_000


class Transaction(NamedTuple):
    """A signed transaction. Build one with :meth:`Account.sign`."""

    sender: str
    nonce: int
    to: str
    method: str
    args: tuple[Canonical, ...]
    value: tuple[tuple[str, int], ...]
    gas_limit: int
    max_fee: int
    priority_fee: int
    hash: bytes
    signature: bytes

    def content(self) -> tuple[Canonical, ...]:
        """The signed fields, in order."""
        return self[:9]

    def value_map(self) -> dict[str, int]:
        return dict(self.value)

    def short(self) -> str:
        """A short display form: ``sender#nonce→to.method``."""
        target = self.to[:10] if self.to else "DEPLOY"
        return f"{self.sender}#{self.nonce}→{target}.{self.method or 'transfer'}"


TX_HASH = _blake2b(digest_size=32)
"""An empty BLAKE2b-256 state: ``copy()`` + ``update`` + ``digest`` equals
``blake2b(data, digest_size=32).digest()`` and skips the constructor's keyword
parsing, which costs as much as hashing a transaction."""


def transaction_hash(content: tuple[Canonical, ...]) -> bytes:
    """BLAKE2b-256 of the canonical encoding (:func:`~accord.device.encoding.digest_bytes`)
    of a transaction's signed fields. Raises :class:`InvalidValue` for fields that
    cannot be encoded."""
    try:
        data = _dumps(content, 0)  # digest_bytes inlined: verification's hot path
    except ValueError as exc:
        raise InvalidValue(f"transaction fields cannot be encoded: {exc}") from None
    state = TX_HASH.copy()
    state.update(data)
    return state.digest()


def mac(key: bytes, message: bytes) -> bytes:
    """Keyed BLAKE2s-128 (RFC 7693 §2.9): the signature scheme of the device.

    BLAKE2s, not BLAKE2b: a signature covers a 32-byte hash, one 64-byte BLAKE2s block
    of 10 rounds against one 128-byte BLAKE2b block of 12, and the device checks one per
    transaction it receives.
    """
    return hashlib.blake2s(message, key=key, digest_size=16).digest()


MESSAGE_PERSON = b"accord-message"
"""BLAKE2b personalisation of signed messages' digests: a message digest is never a
transaction hash (those are unpersonalised), so a signed message cannot be replayed as a
transaction signature or the other way round."""


def message_digest(message: bytes) -> bytes:
    """The 32-byte digest an account signs for an off-device message (an order, a vote)."""
    if type(message) is not bytes:
        raise InvalidValue(f"a message must be bytes, got {type(message).__name__}")
    return hashlib.blake2b(message, digest_size=32, person=MESSAGE_PERSON).digest()


def mac_state(key: bytes) -> Any:
    """A keyed BLAKE2s-128 state that has absorbed only the key.

    ``s = mac_state(key).copy(); s.update(m); s.digest() == mac(key, m)``: RFC 7693 pads
    the key to a full block and compresses it first, so copying this state skips that
    block's compression on every verification.
    """
    return hashlib.blake2s(key=key, digest_size=16)


def _freeze_value(value: Mapping[str, int] | None) -> tuple[tuple[str, int], ...]:
    if not value:
        return ()
    out = []
    for asset, amount in sorted(value.items()):
        if type(asset) is not str or type(amount) is not int or amount < 0:
            raise InvalidValue(
                f"value must map asset names to non-negative ints, got {asset!r}: {amount!r}",
                field="value",
            )
        if amount:
            out.append((asset, amount))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Account:
    """An externally owned account: an address and the secret key that signs for it.

    Get one from :meth:`accord.device.Device.account`. Hand an agent its own ``Account``
    and nothing else: that is what lets it sign as itself and no one else.
    """

    address: str
    key: bytes = field(repr=False)

    def sign(
        self,
        nonce: int,
        to: str,
        method: str = "",
        *args: object,
        value: Mapping[str, int] | None = None,
        gas_limit: int = DEFAULT_GAS_LIMIT,
        max_fee: int = 10_000,
        priority_fee: int = 0,
    ) -> Transaction:
        """Build and sign a transaction."""
        if not (
            type(nonce) is int
            and type(gas_limit) is int
            and type(max_fee) is int
            and type(priority_fee) is int
            and nonce >= 0
            and gas_limit >= 0
            and max_fee >= 0
            and priority_fee >= 0
        ):
            for name, number in (
                ("nonce", nonce),
                ("gas_limit", gas_limit),
                ("max_fee", max_fee),
                ("priority_fee", priority_fee),
            ):
                if type(number) is not int or number < 0:
                    raise InvalidValue(f"must be a non-negative int, got {number!r}", field=name)
        if type(to) is not str or type(method) is not str:
            raise InvalidValue("to and method must be strings", field="to")
        content = (
            self.address,
            nonce,
            to,
            method,
            canonical_args(args),
            _freeze_value(value) if value else (),
            gas_limit,
            max_fee,
            priority_fee,
        )
        state = TX_HASH.copy()
        state.update(_dumps(content, 0))
        digest = state.digest()
        signature = _blake2s(digest, key=self.key, digest_size=16).digest()
        return Transaction(*content, digest, signature)

    def sign_message(self, message: bytes) -> bytes:
        """Sign an off-device message (EIP-191's role): contracts check it with
        :meth:`accord.device.Context.verify_signature`, e.g. a signed order a solver
        settles or a vote counted on chain."""
        return mac(self.key, message_digest(message))


@dataclass(frozen=True, slots=True)
class Bundle:
    """Transactions applied all-or-nothing, in order, in one block of a target range."""

    txs: tuple[Transaction, ...]
    min_block: int = 0
    max_block: int | None = None
    reverting: frozenset[bytes] = frozenset()
    """Hashes of transactions allowed to revert without failing the bundle."""

    def __post_init__(self) -> None:
        if not self.txs:
            raise InvalidValue("a bundle needs at least one transaction", field="txs")
        if self.max_block is not None and self.max_block < self.min_block:
            raise InvalidValue(
                f"max_block {self.max_block} is below min_block {self.min_block}",
                field="max_block",
            )

    @property
    def hash(self) -> bytes:
        return hashlib.blake2b(b"".join(tx.hash for tx in self.txs), digest_size=32).digest()

    def in_range(self, number: int) -> bool:
        return self.min_block <= number and (self.max_block is None or number <= self.max_block)
