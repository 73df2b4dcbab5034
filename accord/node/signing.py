"""Build and sign wire transactions with nothing but your own key (``docs/node.md``).

A :class:`Signer` holds one ed25519 private key (32 bytes, RFC 8032's seed), the
account name the node's genesis binds to its public key, and the chain id. It produces
the JSON of :mod:`accord.node.wire` using only the written-out encoding
(:func:`accord.node.wire.encode`), BLAKE2b and Ed25519: no device object, no node.
It is also the reference a client in another language can be checked against::

    signer = Signer.generate("carol", chain_id=7)    # keep signer.private_key secret
    genesis_entry = signer.public_key.hex()           # goes in node.toml's public_keys
    tx = signer.transfer(nonce=0, to="bob", value={"ETH": 5}, max_fee=3_000)
    # POST {"jsonrpc": "2.0", "id": 1, "method": "accord_sendTransaction",
    #       "params": {"transaction": tx}}
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord.device.encoding import canonical_args
from accord.node.wire import encode, value_to_json

SIGNED_PERSON = b"accord.signed"
REGISTRY = "commitments"
"""The commitment registry's address on every device (``accord_commit`` posts there)."""


def transaction_hash(content: tuple[Any, ...]) -> bytes:
    """BLAKE2b-256 of the encoded nine signed fields."""
    return hashlib.blake2b(encode(content), digest_size=32).digest()


def signing_payload(chain_id: int, tx_hash: bytes) -> bytes:
    """What the Ed25519 signature covers: the chain id and the transaction hash."""
    return hashlib.blake2b(
        chain_id.to_bytes(8, "big") + tx_hash, digest_size=32, person=SIGNED_PERSON
    ).digest()


OPEN_PERSON = b"accord.open"
SPONSOR_PERSON = b"accord.sponsor"


def open_digest(name: str, public_key: bytes) -> bytes:
    """What an account's opening proves possession of its key over (``accord_openAccount``):
    ``BLAKE2b-256(encode(("accord-open-account", name, public_key)), person="accord.open")``.
    Signed like a transaction hash (:func:`signing_payload`), so the chain id is bound
    too: a proof is good for one name, one key, one chain."""
    content = ("accord-open-account", name, public_key)
    return hashlib.blake2b(encode(content), digest_size=32, person=OPEN_PERSON).digest()


def sponsor_digest(name: str, public_key: bytes, sponsor: str) -> bytes:
    """What a sponsor signs to vouch for an opening (``[node.accounts] open =
    "sponsored"``): ``BLAKE2b-256(encode(("accord-sponsor-account", name, public_key,
    sponsor)), person="accord.sponsor")``, signed as :func:`open_digest` is."""
    content = ("accord-sponsor-account", name, public_key, sponsor)
    return hashlib.blake2b(encode(content), digest_size=32, person=SPONSOR_PERSON).digest()


class Signer:
    """One account's key, on one chain."""

    __slots__ = ("_key", "address", "chain_id")

    def __init__(self, private_key: bytes, address: str, *, chain_id: int) -> None:
        if type(private_key) is not bytes or len(private_key) != 32:
            raise ValueError("an ed25519 private key is 32 bytes")
        if type(chain_id) is not int or not 0 <= chain_id < 1 << 64:
            raise ValueError(f"a chain id is an int in [0, 2**64), got {chain_id!r}")
        self._key = Ed25519PrivateKey.from_private_bytes(private_key)
        self.address = address
        self.chain_id = chain_id

    @classmethod
    def generate(cls, address: str, *, chain_id: int) -> Signer:
        """A fresh key from the operating system's CSPRNG."""
        return cls(secrets.token_bytes(32), address, chain_id=chain_id)

    def __repr__(self) -> str:  # never print the key
        return f"Signer({self.address!r}, chain_id={self.chain_id})"

    @property
    def private_key(self) -> bytes:
        raw: bytes = self._key.private_bytes_raw()
        return raw

    @property
    def public_key(self) -> bytes:
        raw: bytes = self._key.public_key().public_bytes_raw()
        return raw

    def sign(
        self,
        nonce: int,
        to: str,
        method: str = "",
        args: Iterable[object] = (),
        *,
        value: Mapping[str, int] | None = None,
        gas_limit: int = 200_000,
        max_fee: int = 10_000,
        priority_fee: int = 0,
    ) -> dict[str, Any]:
        """A signed transaction's wire JSON (``args`` lists become tuples; ``value``
        sorted, zero amounts dropped)."""
        pairs = tuple(sorted((a, n) for a, n in (value or {}).items() if n))
        content = (
            self.address,
            nonce,
            to,
            method,
            canonical_args(tuple(args)),
            pairs,
            gas_limit,
            max_fee,
            priority_fee,
        )
        digest = transaction_hash(content)
        signature = self._key.sign(signing_payload(self.chain_id, digest))
        return {
            "sender": self.address,
            "nonce": nonce,
            "to": to,
            "method": method,
            "args": value_to_json(content[4]),
            "value": [[a, n] for a, n in pairs],
            "gas_limit": gas_limit,
            "max_fee": max_fee,
            "priority_fee": priority_fee,
            "hash": digest.hex(),
            "signature": signature.hex(),
        }

    def transfer(
        self,
        nonce: int,
        to: str,
        value: Mapping[str, int],
        *,
        gas_limit: int = 50_000,
        max_fee: int = 10_000,
        priority_fee: int = 0,
    ) -> dict[str, Any]:
        """A plain transfer (``method == ""``)."""
        return self.sign(
            nonce,
            to,
            "",
            (),
            value=value,
            gas_limit=gas_limit,
            max_fee=max_fee,
            priority_fee=priority_fee,
        )

    def commit(
        self, nonce: int, document: str, *, gas_limit: int, max_fee: int = 10_000
    ) -> dict[str, Any]:
        """Post a commitment document (its JSON, ``docs/commitments.md``) to the
        registry; ask ``accord_estimateGas`` for the gas it needs."""
        return self.sign(nonce, REGISTRY, "post", (document,), gas_limit=gas_limit, max_fee=max_fee)

    def open_account(self) -> dict[str, str]:
        """``accord_openAccount``'s params binding this signer's name to its public key
        (the proof of possession: :func:`open_digest` signed on this chain)."""
        key = self.public_key
        signature = self._key.sign(signing_payload(self.chain_id, open_digest(self.address, key)))
        return {"name": self.address, "public_key": key.hex(), "signature": signature.hex()}

    def sponsor(self, name: str, public_key: bytes) -> dict[str, str]:
        """The params this (existing, funded) account adds to vouch for ``name``'s opening
        under ``open = "sponsored"``: ``sponsor`` and ``sponsor_signature``."""
        digest = sponsor_digest(name, public_key, self.address)
        signature = self._key.sign(signing_payload(self.chain_id, digest))
        return {"sponsor": self.address, "sponsor_signature": signature.hex()}

    def sign_message(self, message: bytes) -> bytes:
        """An off-device message signature (``ctx.verify_signature`` checks it)."""
        digest = hashlib.blake2b(message, digest_size=32, person=b"accord-message").digest()
        signature: bytes = self._key.sign(signing_payload(self.chain_id, digest))
        return signature


def bundle(
    txs: Iterable[dict[str, Any]],
    *,
    min_block: int = 0,
    max_block: int | None = None,
    reverting: Iterable[str] = (),
) -> dict[str, Any]:
    """A bundle's wire JSON from signed transactions (``accord_sendBundle``)."""
    return {
        "txs": list(txs),
        "min_block": min_block,
        "max_block": max_block,
        "reverting": sorted(reverting),
    }
