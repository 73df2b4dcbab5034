"""Transactions, bundles and the accounts that sign them.

A :class:`Transaction` is immutable data: sender, nonce, target and method, arguments,
value sent, gas limit, max fee and priority fee, plus its hash and signature. The hash is
BLAKE2b-256 over the canonical encoding of the other fields
(:func:`~accord.device.encoding.digest_bytes`); the signature covers the hash *and the
device's chain id*, under one of two schemes (``DeviceConfig.signatures``):

* ``ed25519`` (the default): an Ed25519 signature (RFC 8032, through the
  ``cryptography`` package) of :func:`signing_payload` ``(chain_id, hash)``. The device
  holds public keys only, so it can verify but never sign for an account.
* ``mac``: for closed simulations, where the device holds every key. The tag is
  :func:`mac` of the hash under the account's *chain key*
  ``BLAKE2b-256(chain_id, key=key, person="accord.chainkey")`` (:func:`chain_key`), so a
  tag made for one chain is refused on another, at no cost per verification.

Either way a transaction signed for one chain fails on another (EIP-155's purpose), and
the device tells an altered transaction (its hash does not match its fields) from a
forged one (:class:`BadSignature`).

**The MAC** of a 32-byte digest ``d`` (a transaction hash, or a signed message's
:func:`message_digest`) under a 32-byte key ``k`` is::

    mac(k, d) = BLAKE2s-128(k || d, person=MAC_PERSON)

``k || d`` is exactly one 64-byte BLAKE2s block, compressed once, with the final-block
flag set. This is BLAKE2's own keyed mode (RFC 7693 §2.5, §3.3) less its padding: the
keyed mode hashes the key padded to a full block and then the message, a second
compression for a 32-byte message. Why the unpadded prefix is still a MAC:

* BLAKE2 is a prefix-MAC by design: it is not length-extendable, because the last
  block is compressed with the finalisation flag (Aumasson, Neves, Wilcox-O'Hearn &
  Winnerlein, "BLAKE2: simpler, smaller, fast as MD5", ACNS 2013), which is why its
  keyed mode is a plain key prefix with no HMAC around it. The key and the digest
  both have a fixed length (32 bytes), so ``k || d`` never parses two ways.
* The compression function ``F(h, m, t, f)`` runs a block cipher keyed by the message
  block ``m`` (the ChaCha-like rounds inject ``m``'s words) on ``h`` and the counter,
  with a feed-forward. Here that cipher key is ``k || d``: half of it is the 256-bit
  secret. Modelling the cipher as ideal, the setting in which Luykx, Mennink & Neves
  ("Security Analysis of BLAKE2's Modes of Operation", IACR ToSC 2016) analyse keyed
  BLAKE2, distinct ``d`` give distinct cipher keys, hence independent uniform tags to
  anyone who does not know ``k``: forging takes the key (2^256 guesses) or a 128-bit
  tag guess, as with the keyed mode.
* ``MAC_PERSON`` puts the MAC in its own domain: no other BLAKE2s use in the device
  shares its parameter block.

What it saves is the key block's compression: one compression per signature checked,
and the device checks one per transaction it receives.

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
from marshal import dumps as _dumps
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

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


MAC_PERSON = b"acc.mac1"
"""BLAKE2s personalisation (8 bytes) of the MAC (:func:`mac`)."""
KEY_BYTES = DIGEST_BYTES = 32
_MAC = hashlib.blake2s(digest_size=16, person=MAC_PERSON)
"""An empty MAC state; copying it skips the constructor's keyword parsing."""


def mac(key: bytes, digest: bytes) -> bytes:
    """The signature of a 32-byte ``digest`` under a 32-byte ``key``:
    BLAKE2s-128(``key || digest``, person=:data:`MAC_PERSON`), one block (see the module
    docstring for why that is a MAC).

    BLAKE2s, not BLAKE2b: ``key || digest`` is one 64-byte BLAKE2s block of 10 rounds
    against one 128-byte BLAKE2b block of 12. Raises :class:`ValueError` for a key or
    digest of another length (the construction relies on both being fixed).
    """
    if len(digest) != DIGEST_BYTES:
        raise ValueError(f"a MAC covers a {DIGEST_BYTES}-byte digest, got {len(digest)} bytes")
    state = mac_state(key)
    state.update(digest)
    tag: bytes = state.digest()
    return tag


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
    """The MAC's state after absorbing ``key`` (32 bytes, held in the block buffer).

    ``s = mac_state(key).copy(); s.update(d); s.digest() == mac(key, d)``: a verifier
    keeps one per account and copies it, which skips the constructor and the key's
    copy on every verification.
    """
    if len(key) != KEY_BYTES:
        raise ValueError(f"a MAC key has {KEY_BYTES} bytes, got {len(key)}")
    state = _MAC.copy()
    state.update(key)
    return state


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


CHAIN_PERSON = b"accord.chainkey"
SIGNED_PERSON = b"accord.signed"
KEYID_PERSON = b"accord.keyid"
CHAIN_ID_BYTES = 8
"""A chain id is an int in ``[0, 2**64)``, encoded as 8 bytes big endian."""


def chain_key(key: bytes, chain_id: int) -> bytes:
    """The MAC key of ``key`` on chain ``chain_id``: BLAKE2b-256(chain id, key=key,
    person="accord.chainkey"). A tag under one chain's key is a different PRF's output
    on every other chain, so it verifies nowhere else."""
    return _blake2b(
        chain_id.to_bytes(CHAIN_ID_BYTES, "big"), key=key, digest_size=32, person=CHAIN_PERSON
    ).digest()


def signing_payload(chain_id: int, digest: bytes) -> bytes:
    """What an ed25519 signature covers: BLAKE2b-256(chain id || digest,
    person="accord.signed"), the chain id as 8 bytes big endian."""
    return _blake2b(
        chain_id.to_bytes(CHAIN_ID_BYTES, "big") + digest, digest_size=32, person=SIGNED_PERSON
    ).digest()


def key_fingerprint(key: bytes) -> bytes:
    """A MAC key's public fingerprint: BLAKE2b-256(key, person="accord.keyid")
    (preimage-resistant, so it reveals nothing of the key)."""
    return _blake2b(key, digest_size=32, person=KEYID_PERSON).digest()


def ed25519_private(key: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(key)


@dataclass(frozen=True, slots=True)
class Account:
    """An externally owned account: an address and the private key that signs for it.

    ``scheme`` is ``"ed25519"`` or ``"mac"`` and ``chain_id`` the chain its signatures
    are for (:mod:`accord.device.transaction`). Get one from
    :meth:`accord.device.Device.account` or :meth:`accord.device.keys.Keyring.account`.
    Hand an agent its own ``Account`` and nothing else: that is what lets it sign as
    itself and no one else.
    """

    address: str
    key: bytes = field(repr=False)
    scheme: str = "mac"
    chain_id: int = 1
    _mac: Any = field(init=False, repr=False, compare=False, default=None)
    """The MAC's state after the chain key (MAC scheme), copied per signature."""
    _ed: Any = field(init=False, repr=False, compare=False, default=None)
    """The Ed25519 private key object (ed25519 scheme)."""

    def __post_init__(self) -> None:
        if type(self.key) is not bytes or len(self.key) != KEY_BYTES:
            raise InvalidValue(f"an account key is {KEY_BYTES} bytes", field="key")
        chain = self.chain_id
        if type(chain) is not int or not 0 <= chain < 1 << (8 * CHAIN_ID_BYTES):
            raise InvalidValue(
                f"a chain id is an int in [0, 2**64), got {chain!r}", field="chain_id"
            )
        if self.scheme == "mac":
            object.__setattr__(self, "_mac", mac_state(chain_key(self.key, chain)))
        elif self.scheme == "ed25519":
            object.__setattr__(self, "_ed", ed25519_private(self.key))
        else:
            raise InvalidValue(f"unknown signature scheme {self.scheme!r}", field="scheme")

    @property
    def public_key(self) -> bytes:
        """The 32 bytes a genesis binds to this account: the ed25519 public key, or the
        MAC key's fingerprint (:func:`key_fingerprint`)."""
        if self._ed is not None:
            raw: bytes = self._ed.public_key().public_bytes_raw()
            return raw
        return key_fingerprint(self.key)

    def sign_digest(self, digest: bytes) -> bytes:
        """The signature of a 32-byte digest (a transaction hash, a message digest) on
        this account's chain."""
        if type(digest) is not bytes or len(digest) != DIGEST_BYTES:
            raise InvalidValue(f"a signed digest is {DIGEST_BYTES} bytes", field="hash")
        if self._mac is not None:
            state = self._mac.copy()
            state.update(digest)
            tag: bytes = state.digest()
            return tag
        signature: bytes = self._ed.sign(signing_payload(self.chain_id, digest))
        return signature

    def sign_content(self, content: tuple[Any, ...]) -> Transaction:
        """Hash and sign nine transaction fields *as given*, with no check of their
        types or ranges: for tests that play a hostile sender signing whatever it
        likes (the device must refuse it at admission). Raises :class:`InvalidValue`
        only when the fields cannot be encoded at all."""
        if type(content) is not tuple or len(content) != 9:
            raise InvalidValue("a transaction's content is a tuple of nine fields", field="content")
        digest = transaction_hash(content)
        return Transaction(*content, digest, self.sign_digest(digest))  # type: ignore[call-arg]

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
        signing = self._mac
        if signing is not None:  # sign_digest inlined for the MAC
            signing = signing.copy()
            signing.update(digest)
            return Transaction(*content, digest, signing.digest())
        return Transaction(*content, digest, self._ed.sign(signing_payload(self.chain_id, digest)))

    def sign_message(self, message: bytes) -> bytes:
        """Sign an off-device message (EIP-191's role): contracts check it with
        :meth:`accord.device.Context.verify_signature`, e.g. a signed order a solver
        settles or a vote counted on chain. The signature covers the chain id too."""
        return self.sign_digest(message_digest(message))


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
