"""Hostile transactions signed with their sender's own key.

An account holds its key, so it can sign any content at all, not only what
:meth:`Account.sign` would build: :func:`sign_fields` hashes arbitrary fields with
:func:`~accord.device.transaction.transaction_hash` and signs the digest the way
``Account.sign`` does (:meth:`Account.sign_digest`: the device's scheme and chain id).
This is the one place in the tests that knows the signature
scheme, so a change of scheme changes this file only.
"""

from __future__ import annotations

from collections.abc import Sequence

from accord.device import Device, Transaction
from accord.device.errors import InvalidValue
from accord.device.transaction import transaction_hash


def sign_fields(device: Device, sender: str, fields: Sequence[object]) -> Transaction:
    """A Transaction of ``fields`` (the nine signed ones, any types) signed by
    ``sender``'s key. Content that cannot be hashed gets a zero hash (the gate refuses
    it on its fields before the hash matters)."""
    content = tuple(fields)
    try:
        digest = transaction_hash(content)  # type: ignore[arg-type]
    except InvalidValue:
        digest = bytes(32)
    signature = device.account(sender).sign_digest(digest)
    return Transaction(*content, digest, signature)  # type: ignore[arg-type]
