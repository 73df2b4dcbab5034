"""Opening accounts after genesis over the network: ``accord_openAccount`` (``docs/node.md``).

An agent asks the node to bind a **name** to its ed25519 **public key**, and proves it
holds the private key by signing :func:`~accord.node.signing.open_digest` (the name and
the key, domain-separated) on this chain (:func:`~accord.node.signing.signing_payload`
binds the chain id). A proof therefore opens one name, with one key, on one chain: it
fails for another name, another key or another chain id.

Free account creation is unbounded state growth and name squatting, so the node's
``[node.accounts]`` policy (:class:`~accord.node.config.AccountPolicy`) decides who may:

* ``closed`` (the default): nobody; the genesis binds every name.
* ``open``: anyone, within a per-IP token bucket (every attempt takes a token, so
  forgeries cost the forger's IP) and ``max_accounts`` accounts opened after genesis
  in all.
* ``sponsored``: as ``open``, and an existing account (the sponsor) signs
  :func:`~accord.node.signing.sponsor_digest` for this name and key. A sponsor must
  hold ``sponsor_stake`` of the fee asset for every account it has sponsored, the new
  one included, and has its own token bucket. So the accounts opened per block are
  bounded by the money their sponsors hold (``balance / sponsor_stake`` each; money
  moved on to another sponsor counts again only in a later block), and every opening
  names who vouched for it (``data_dir/accounts.db``).

In both, a name that already holds a balance is refused: funds paid to a name before
it exists would otherwise go to whoever opens it first. (Only balances are checked:
an allowance or a contract's storage naming an unopened name is not, so pay and name
only accounts that are open.)

Names (beyond the device's own check): 1 to 64 ASCII letters, digits, ``.``, ``_``
and ``-``, starting with a letter or digit, not ``0x…`` (a contract address) in any
case, not the commitment registry, the builder, ``genesis``, an asset issuer or a
name with its own latency in the device config, and not equal, ignoring case, to an
existing account (``Alice`` cannot pose as ``alice``). ASCII only, so no look-alike
from another script (a Cyrillic ``а`` in ``аlice``) can be opened; look-alikes within
ASCII (``l`` and ``1``) remain. Keys: a public key that is not a canonical curve point,
or of small order (or with a small-order part), is refused (:func:`weak_key`).

**Acknowledged**: when ``accord_openAccount`` answers, the device has bound the name
and its :class:`~accord.device.store.AccountRecord` is committed to the chain log
(``chain.db``, SQLite autocommit, WAL): a ``kill -9`` at any later moment loses it
not, and a restart replays it in its place among the blocks, with the same key. A
sponsorship row is committed before the record (a crash between leaves a row for a
name never opened, deleted at the next start). Every refusal is one line and changes
nothing (no binding, no log record, no row).
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from pydantic import Field

from accord.device import Device, ed25519
from accord.device.commitments.registry import REGISTRY_ADDRESS
from accord.device.errors import DeviceError
from accord.node.config import AccountPolicy
from accord.node.limits import Clock, RateLimiter
from accord.node.production import Node
from accord.node.reads import Params
from accord.node.rpc import INVALID_PARAMS, LIMIT_EXCEEDED, SERVER_ERROR, RpcError
from accord.node.signing import open_digest, signing_payload, sponsor_digest
from accord.node.wire import WireError, hex_bytes

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
"""What a name opened over the network may be (module docstring)."""
GENESIS_ISSUER = "genesis"
"""The fee asset's issuer when the genesis names none (``Device._apply_genesis``)."""


class OpenAccountParams(Params):
    """``accord_openAccount``'s params."""

    name: str = Field(min_length=1, max_length=64)
    public_key: str = Field(min_length=64, max_length=66)
    """The ed25519 public key, 64 hex digits."""
    signature: str = Field(min_length=128, max_length=130)
    """Ed25519 over ``signing_payload(chain_id, open_digest(name, public_key))``."""
    sponsor: str | None = Field(None, min_length=1, max_length=200)
    """Under ``open = "sponsored"``: the existing account that vouches for the opening."""
    sponsor_signature: str | None = Field(None, min_length=128, max_length=130)
    """The sponsor's Ed25519 over ``signing_payload(chain_id, sponsor_digest(name,
    public_key, sponsor))``."""


def _refused(message: str, field: str) -> RpcError:
    return RpcError(
        SERVER_ERROR, f"refused: {message}", {"error": "AccountRefused", "field": field}
    )


def weak_key(public_key: bytes) -> bool:
    """Whether an ed25519 public key is refused (:func:`accord.device.ed25519.key_problem`:
    not a canonical point, of small order, or with a small-order part). Signatures under
    a small-order key can be forged by anyone (with A the identity, (R, S) = (identity,
    0) verifies for every message), so such a key proves no possession."""
    return ed25519.weak_key(public_key)


def _verify(public_key: bytes, signature: bytes, payload: bytes) -> bool:
    return ed25519.verify(public_key, signature, payload)


class Opener:
    """The node's account openings under one policy (module docstring)."""

    def __init__(
        self,
        node: Node,
        policy: AccountPolicy,
        *,
        max_clients: int = 100_000,
        clock: Clock | None = None,
    ) -> None:
        self.node = node
        self.policy = policy
        kwargs: dict[str, Any] = {"max_clients": max_clients}
        if clock is not None:
            kwargs["clock"] = clock
        self.ips = RateLimiter(policy.ip_rate, policy.ip_burst, **kwargs)
        self.sponsors = RateLimiter(policy.sponsor_rate, policy.sponsor_burst, **kwargs)
        device = node.device
        names = device.accounts
        self._opened = len(names) - len(device.genesis.account_names())
        self._folded = {name.casefold() for name in names}
        self.sponsorships: Sponsorships | None = None
        if policy.open == "sponsored":
            self.sponsorships = Sponsorships(node.config.accounts_path)
            self.sponsorships.prune(device)
        config = device.config
        self.reserved = {
            n.casefold()
            for n in (REGISTRY_ADDRESS, config.builder, GENESIS_ISSUER, *config.latency_ms)
        }

    @property
    def opened(self) -> int:
        """Accounts opened after genesis (they replay from the chain log)."""
        return self._opened

    def open(self, p: OpenAccountParams, ip: str) -> dict[str, Any]:
        """Check and open one account; the answer once it is in the chain log."""
        policy, device = self.policy, self.node.device
        if policy.open == "closed":
            raise _refused(
                'this node opens no accounts after genesis ([node.accounts] open = "closed")',
                "open",
            )
        if device.config.signatures != "ed25519":
            raise _refused("accounts are opened over the network only under ed25519", "open")
        if not self.ips.allow(ip):
            raise RpcError(
                LIMIT_EXCEEDED,
                f"rate limit: {policy.ip_rate:g} account openings a second per client "
                f"(burst {policy.ip_burst}); try again later",
            )
        try:
            key = hex_bytes(p.public_key, "public_key", 32)
            signature = hex_bytes(p.signature, "signature", 64)
            sponsor_signature = (
                None
                if p.sponsor_signature is None
                else hex_bytes(p.sponsor_signature, "sponsor_signature", 64)
            )
        except WireError as exc:
            raise RpcError(INVALID_PARAMS, f"invalid params: {exc}") from None
        sponsored = policy.open == "sponsored"
        if sponsored and (p.sponsor is None or sponsor_signature is None):
            raise RpcError(
                INVALID_PARAMS,
                "invalid params: sponsor: this node opens accounts only with a sponsor "
                "(sponsor and sponsor_signature)",
            )
        if not sponsored and (p.sponsor is not None or sponsor_signature is not None):
            raise RpcError(INVALID_PARAMS, "invalid params: sponsor: this node takes no sponsors")
        name = p.name
        self._check_name(name)
        if self.opened >= policy.max_accounts:
            raise RpcError(
                LIMIT_EXCEEDED,
                f"limit: this node has opened its {policy.max_accounts} accounts (max_accounts)",
            )
        if weak_key(key):
            raise _refused(
                f"public_key: {ed25519.key_problem(key)}",
                "public_key",
            )
        chain = device.chain_id
        if not _verify(key, signature, signing_payload(chain, open_digest(name, key))):
            raise _refused(
                f"signature: not {name!r} and this key signed by the key's owner for chain {chain}",
                "signature",
            )
        if any(device.balance(name, asset) for asset in device.ledger.issuers):
            raise _refused(
                f"{name!r} already holds funds paid to it before it was opened; "
                "opening it would hand them to whoever opens it first",
                "name",
            )
        rows = self.sponsorships
        if p.sponsor is not None and rows is not None and sponsor_signature is not None:
            self._check_sponsor(rows, p.sponsor, sponsor_signature, name, key)
            rows.add(name, p.sponsor)  # before the AccountRecord
        try:
            device.open_account(name, key)  # the AccountRecord is committed when it returns
        except (DeviceError, sqlite3.Error) as exc:
            if rows is not None:
                rows.forget(name)
            if isinstance(exc, DeviceError):
                raise _refused(str(exc), "name") from None
            # not in the log, so not opened (Device.open_account)
            raise RpcError(
                SERVER_ERROR, f"the chain log could not record the opening ({exc}); nothing opened"
            ) from None
        self._folded.add(name.casefold())
        self._opened += 1
        if p.sponsor is not None:
            self.sponsors.allow(p.sponsor)  # a token only for an opening that happened
        return {"address": name, "public_key": key.hex(), "sponsor": p.sponsor}

    def _check_name(self, name: str) -> None:
        if NAME.match(name) is None:
            raise _refused(
                f"name {name[:80]!r}: 1 to 64 ASCII letters, digits, '.', '_' or '-', "
                "starting with a letter or digit",
                "name",
            )
        folded = name.casefold()
        if folded.startswith("0x"):
            raise _refused(f"name {name!r}: 0x... is a contract address", "name")
        issuers = {i.casefold() for i in self.node.device.ledger.issuers.values()}
        if folded in self.reserved or folded in issuers:
            raise _refused(f"name {name!r} is reserved on this device", "name")
        if folded in self._folded:
            raise _refused(
                f"account {name!r} already exists (or one that differs only in case)", "name"
            )

    def close(self) -> None:
        if self.sponsorships is not None:
            self.sponsorships.close()

    def _check_sponsor(
        self, rows: Sponsorships, sponsor: str, signature: bytes, name: str, key: bytes
    ) -> None:
        device = self.node.device
        try:
            sponsor_key = device.public_key(sponsor)
        except DeviceError:
            raise _refused(f"sponsor {sponsor[:80]!r} is not an account", "sponsor") from None
        payload = signing_payload(device.chain_id, sponsor_digest(name, key, sponsor))
        if not _verify(sponsor_key, signature, payload):
            raise _refused(
                f"sponsor_signature: not signed by {sponsor!r}'s key for {name!r}, this key "
                f"and chain {device.chain_id}",
                "sponsor_signature",
            )
        fee_asset = device.config.fee_asset
        held = device.balance(sponsor, fee_asset)
        count = rows.count(sponsor)
        needed = (count + 1) * self.policy.sponsor_stake
        if held < needed:
            raise _refused(
                f"sponsor {sponsor!r} holds {held} {fee_asset}; with {count} accounts "
                f"sponsored, one more needs {needed} (sponsor_stake "
                f"{self.policy.sponsor_stake} each)",
                "sponsor",
            )
        if not self.sponsors.available(sponsor):
            raise RpcError(
                LIMIT_EXCEEDED,
                f"rate limit: sponsor {sponsor!r} may sponsor {self.policy.sponsor_rate:g} "
                f"openings a second (burst {self.policy.sponsor_burst}); try again later",
            )


class Sponsorships:
    """Who sponsored each account opened under ``sponsored`` (``accounts.db``): a row is
    committed before the account's AccountRecord, so a sponsor's count never misses an
    opening that happened."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS sponsored(name TEXT PRIMARY KEY, sponsor TEXT NOT NULL)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS by_sponsor ON sponsored(sponsor)")

    def add(self, name: str, sponsor: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO sponsored VALUES (?, ?)", (name, sponsor))

    def forget(self, name: str) -> None:
        self._db.execute("DELETE FROM sponsored WHERE name = ?", (name,))

    def count(self, sponsor: str) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM sponsored WHERE sponsor = ?", (sponsor,))
        return int(row.fetchone()[0])

    def sponsor_of(self, name: str) -> str | None:
        row = self._db.execute("SELECT sponsor FROM sponsored WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def prune(self, device: Device) -> int:
        """Delete rows of names the device has not opened (a crash between the row and
        the AccountRecord); returns how many."""
        names = [r[0] for r in self._db.execute("SELECT name FROM sponsored").fetchall()]
        gone = [(n,) for n in names if not _exists(device, n)]
        self._db.executemany("DELETE FROM sponsored WHERE name = ?", gone)
        return len(gone)

    def close(self) -> None:
        self._db.close()


def _exists(device: Device, name: str) -> bool:
    try:
        device.public_key(name)
    except DeviceError:
        return False
    return True


def open_account(s: Any, p: OpenAccountParams) -> dict[str, Any]:
    """``accord_openAccount`` (context: :class:`accord.node.methods.Session`)."""
    opener: Opener | None = s.opener
    if opener is None:
        raise _refused("this node opens no accounts after genesis", "open")
    ip: str = s.ip
    return opener.open(p, ip)
