"""Replaying an event log: rebuild a run and check every state hash.

Replay first checks the log's header (:mod:`accord.device.genesis_hash`): every meta
field (each config field, each genesis field, the seed) must match its logged digest,
the digests the logged genesis hash, and that hash the published one when the caller
gives it (and, at the end, the head's header hash a published one). An edited field
fails with :class:`~accord.device.genesis_hash.MetaMismatch` naming it. It then
constructs a fresh :class:`~accord.device.device.Device` from the logged config,
genesis (whose allowlist is the only way contract classes resolve) and seed, and
re-executes each logged block's items in their logged order, verifying every signature
again. A logged fork (:class:`~accord.device.store.ForkRecord`) undoes the blocks it
replaced, as the live device did, and the blocks logged after it are the alternative, so
replay follows the canonical chain. The state hash after every block must equal the
logged one, and so must its receipts root (:mod:`accord.device.receipts_root`) when the
run kept them and the log records it (a log written before receipts roots does not).
The run kept them if its config says ``receipts_roots`` (:func:`kept_receipts_roots`),
or if its config has no such key: it was written before the switch existed, when every
device kept roots, so replay keeps them too and its headers, and so its block hashes,
are the ones the run published. The first difference raises :class:`ReplayMismatch`
naming the block.

Signatures. An ed25519 log carries every account's public key, so it replays on its
own. A MAC log carries only key fingerprints: replaying it needs the run's key file
(``keys=``, checked against the fingerprints), or ``trust_signatures=True``, which
checks every transaction's hash but none of their signatures, and leaves
``device.trusts_signatures`` set so that the caller can say so.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from accord.device.config import DeviceConfig, Genesis
from accord.device.device import Device
from accord.device.errors import DeviceError
from accord.device.genesis_hash import verify_meta
from accord.device.keys import Keyring
from accord.device.store import (
    AccountRecord,
    ForkRecord,
    LogHeader,
    MemoryLog,
    Record,
    read_sqlite,
)


class ReplayMismatch(DeviceError):
    """A replayed block's state hash differs from the logged one."""


def _published(value: bytes | str | None, what: str = "genesis hash") -> bytes | None:
    if value is None:
        return None
    if type(value) is bytes:
        raw = value
    else:
        try:
            raw = bytes.fromhex(str(value))
        except ValueError:
            raw = b""
    if len(raw) != 32:
        raise DeviceError(f"a {what} is 64 hex digits (32 bytes), got {str(value)[:80]!r}")
    return raw


def kept_receipts_roots(config_json: str, config: DeviceConfig) -> bool:
    """Whether the run that logged ``config_json`` (parsed: ``config``) kept receipts
    roots: its config turns them on, or it has no ``receipts_roots`` key at all (a log
    written before ``DeviceConfig.receipts_roots`` existed, when every header had its
    root; the genesis hash leaves the field out at its default, so such a log still
    verifies)."""
    if config.receipts_roots:
        return True
    try:
        data = json.loads(config_json)
    except ValueError:
        return False
    return isinstance(data, dict) and "receipts_roots" not in data


def replay_records(
    header: LogHeader,
    records: Iterable[Record],
    *,
    keys: Keyring | None = None,
    trust_signatures: bool = False,
    genesis_hash: bytes | str | None = None,
    head_hash: bytes | str | None = None,
    start: Device | None = None,
) -> Device:
    """Check ``header`` and re-execute ``records`` on a fresh device; returns it after
    the last block. ``head_hash``, if given, must be the last block's header hash.

    ``start``: the device to re-execute them on instead (built by the caller from the
    logged config, genesis and seed, at genesis or restored from a checkpoint at the
    block before the first of ``records``: :mod:`accord.device.checkpoint`); its
    genesis hash must be the log's."""
    try:
        config = DeviceConfig.model_validate_json(header.config)
    except ValidationError as exc:
        raise DeviceError(f"the log's config is invalid: {exc}") from None
    try:
        genesis = Genesis.model_validate_json(header.genesis)
    except ValidationError as exc:
        raise DeviceError(f"the log's genesis is invalid: {exc}") from None
    published_head = _published(head_hash, "head hash")
    computed = verify_meta(
        config,
        genesis,
        header.seed,
        header.digests,
        header.genesis_hash,
        _published(genesis_hash),
    )
    if config.signatures == "mac" and keys is None and not trust_signatures:
        raise DeviceError(
            "this log is signed with MACs: replaying it needs the run's key file "
            "(keys=..., accord replay --keys FILE), or trust_signatures=True "
            "(--trust-signatures), which checks no signature"
        )
    device = start or Device(
        config, genesis, seed=header.seed, keyring=keys, trust_signatures=trust_signatures
    )
    if device.genesis_hash != computed:  # every account was bound in the logged genesis
        raise DeviceError("the log's genesis does not bind every account to a key")
    roots = kept_receipts_roots(header.config, config)
    device._receipts_roots = roots  # a log from before the switch: the run kept them
    for record in records:
        if isinstance(record, AccountRecord):
            device.open_account(record.name, record.public_key)
            continue
        if isinstance(record, ForkRecord):
            device.replay_fork(record)
            continue
        block = device.replay_block(record)
        if block.header.state_hash != record.state_hash:
            raise ReplayMismatch(
                f"block {record.number}: replayed state hash {block.header.state_hash.hex()} "
                f"differs from logged {record.state_hash.hex()}"
            )
        logged_root = record.receipts_root
        if logged_root is not None and roots and block.header.receipts_root != logged_root:
            raise ReplayMismatch(
                f"block {record.number}: replayed receipts root "
                f"{block.header.receipts_root.hex()} differs from logged {logged_root.hex()}"
            )
    if published_head is not None and device.head.hash != published_head:
        raise ReplayMismatch(
            f"head_hash: the replayed head (block {device.number}) has hash "
            f"{device.head.hash.hex()}, not the published {published_head.hex()}"
        )
    return device


def replay(
    source: str | Path | MemoryLog,
    *,
    keys: Keyring | str | Path | None = None,
    trust_signatures: bool = False,
    genesis_hash: bytes | str | None = None,
    head_hash: bytes | str | None = None,
) -> Device:
    """Replay a SQLite log file or an in-memory log.

    Args:
        keys: a MAC log's keyring, or the path of its key file.
        trust_signatures: replay a MAC log without its key file, checking no signature.
        genesis_hash: the run's published genesis hash (bytes or hex), checked too.
        head_hash: a published header hash of the log's last block, checked too: it
            pins the whole history (every header commits to its parent, its
            transactions' hashes and its state hash, back to the genesis hash).
    """
    keyring = Keyring.load(keys) if isinstance(keys, (str, Path)) else keys

    def run(header: LogHeader, records: Iterable[Record]) -> Device:
        return replay_records(
            header,
            records,
            keys=keyring,
            trust_signatures=trust_signatures,
            genesis_hash=genesis_hash,
            head_hash=head_hash,
        )

    if isinstance(source, MemoryLog):
        if source.header is None:
            raise DeviceError("the log was never started")
        if source.truncated:
            raise DeviceError(
                f"the in-memory log kept only its last {source.records.maxlen} records "
                "(the device's history); replaying needs a complete log: use store=path"
            )
        return run(source.header, list(source.records))
    header, records = read_sqlite(source)
    return run(header, records)
