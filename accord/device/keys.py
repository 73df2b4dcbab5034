"""Private keys, held outside the device and its log: the :class:`Keyring`.

A keyring is one 32-byte secret from which every account's private key derives::

    key(name, scheme) = BLAKE2b-256(name, key=secret, person="accord.k." + scheme)

so one secret (one small file) holds the keys of any number of accounts, and the keys
of two schemes never coincide. The secret is fresh random bytes (:func:`secrets.token_bytes`,
the operating system's CSPRNG) unless it is loaded from a key file: it never derives
from the run's seed, and it is never written to the event log. The log holds only what
verifying needs: ed25519 public keys, or, under the MAC, each key's *fingerprint*
(``BLAKE2b-256(key, person="accord.keyid")``), which says whether a key file is the
right one and reveals nothing of the key.

**Key file format.** UTF-8 JSON, one object::

    {"format": "accord-keyring/1", "secret": "<64 hex digits>"}

:meth:`Keyring.load` refuses anything else (a missing or truncated file, another type,
a secret of another length) with a one-line :class:`KeyFileError`; :meth:`Keyring.save`
creates the file (mode 0600) and never overwrites one.

Who holds a keyring decides who can sign. A :class:`~accord.device.device.Device`
created without one makes a fresh keyring for its genesis accounts (a closed
simulation: whoever holds the device object can sign for those accounts, through
``device.account(name)``); an agent that holds its own keyring binds only its public
key in the genesis (``Genesis.public_keys``), and the device, which verifies with
public keys only under ed25519, cannot sign for it.
"""

from __future__ import annotations

import json
import os
import secrets
from hashlib import blake2b
from pathlib import Path
from typing import Literal

from accord.device.config import DEFAULT_CHAIN_ID
from accord.device.errors import DeviceError
from accord.device.transaction import KEY_BYTES, Account, key_fingerprint

Scheme = Literal["ed25519", "mac"]
KEY_FILE_FORMAT = "accord-keyring/1"
_PERSON = {"ed25519": b"accord.k.ed25519", "mac": b"accord.k.mac"}


class KeyFileError(DeviceError):
    """A key file that is missing, malformed, or would be overwritten."""


class Keyring:
    """The private keys of a set of accounts, derived from one secret (module docstring).

    Args:
        secret: 32 bytes; default: fresh random bytes.
    """

    __slots__ = ("_accounts", "_secret")

    def __init__(self, secret: bytes | None = None) -> None:
        if secret is None:
            secret = secrets.token_bytes(KEY_BYTES)
        if type(secret) is not bytes or len(secret) != KEY_BYTES:
            raise KeyFileError(f"a keyring secret is {KEY_BYTES} bytes")
        self._secret = secret
        self._accounts: dict[tuple[str, str, int], Account] = {}

    def __repr__(self) -> str:  # never print the secret
        return f"Keyring(fingerprint={self.fingerprint().hex()[:16]}...)"

    def fingerprint(self) -> bytes:
        """A public identifier of this keyring (a hash of its secret)."""
        return key_fingerprint(self._secret)

    def private_key(self, name: str, scheme: Scheme) -> bytes:
        """The 32-byte private key of account ``name`` under ``scheme``: the ed25519
        seed (RFC 8032 §5.1.5) or the MAC key."""
        if type(name) is not str or not name:
            raise KeyFileError(f"an account name is a non-empty string, got {name!r}")
        person = _PERSON.get(scheme)
        if person is None:
            raise KeyFileError(f"unknown signature scheme {scheme!r}")
        return blake2b(name.encode(), key=self._secret, digest_size=32, person=person).digest()

    def account(self, name: str, *, scheme: Scheme, chain_id: int) -> Account:
        """The signing handle of ``name`` for ``chain_id`` (cached: building an ed25519
        key costs tens of microseconds)."""
        cache_key = (name, scheme, chain_id)
        found = self._accounts.get(cache_key)
        if found is None:
            key = self.private_key(name, scheme)
            found = self._accounts[cache_key] = Account(name, key, scheme, chain_id)
        return found

    def public_key(self, name: str, scheme: Scheme) -> bytes:
        """What the genesis binds to ``name``: the ed25519 public key, or the MAC key's
        fingerprint (32 bytes either way)."""
        return self.account(name, scheme=scheme, chain_id=DEFAULT_CHAIN_ID).public_key

    # -- key files -------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> Keyring:
        """Read a key file (format in the module docstring)."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise KeyFileError(f"key file {path}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise KeyFileError(f"key file {path}: cannot read: {exc}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise KeyFileError(f"key file {path}: not JSON ({exc.msg}; truncated?)") from None
        if type(data) is not dict:
            raise KeyFileError(
                f"key file {path}: expected a JSON object, got {type(data).__name__}"
            )
        if data.get("format") != KEY_FILE_FORMAT:
            raise KeyFileError(
                f"key file {path}: format must be {KEY_FILE_FORMAT!r}, got {data.get('format')!r}"
            )
        if set(data) != {"format", "secret"}:
            raise KeyFileError(
                f"key file {path}: unexpected keys {sorted(set(data) - {'format', 'secret'})}"
            )
        secret = data["secret"]
        if type(secret) is not str or len(secret) != 2 * KEY_BYTES:
            raise KeyFileError(f"key file {path}: secret must be {2 * KEY_BYTES} hex digits")
        try:
            raw = bytes.fromhex(secret)
        except ValueError:
            raise KeyFileError(f"key file {path}: secret is not hex") from None
        return cls(raw)

    def save(self, path: str | Path) -> Path:
        """Write this keyring's key file; refuses to overwrite an existing file."""
        path = Path(path)
        body = json.dumps({"format": KEY_FILE_FORMAT, "secret": self._secret.hex()}) + "\n"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise KeyFileError(f"key file {path} exists; refusing to overwrite it") from None
        except OSError as exc:
            raise KeyFileError(f"key file {path}: cannot create: {exc}") from None
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(body)
        return path
