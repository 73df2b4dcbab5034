"""The genesis hash: one digest of the whole design a run started from.

A run is determined by its :class:`~accord.device.config.DeviceConfig`, its
:class:`~accord.device.config.Genesis` (assets, accounts, every account's key, the
contract allowlist, ...) and its seed, then by the transactions in its blocks. Each of
those *meta fields* gets its own digest::

    field_digest(name) = BLAKE2b-256(name || 0x00 || canonical JSON of the value,
                                     person="accord.field")

with ``name`` ``"config.<field>"``, ``"genesis.<field>"`` or ``"seed"``, and canonical
JSON the pydantic JSON form dumped with sorted keys and no spaces. The genesis hash is
then::

    genesis_hash = BLAKE2b-256(bytes(sorted (name, field_digest) pairs),
                               person="accord.genesis")

where ``bytes`` is the canonical encoding (:func:`~accord.device.encoding.digest_bytes`).
Every field of both models is covered by construction (the loop runs over
``model_fields``), so a field added later is hashed without anyone remembering to. The
fields of :data:`ADDED_LATER` are left out while at their default, so that adding them
changed no existing run's genesis hash.

The device makes the genesis hash block 0's parent hash, so every header hash commits to
it; the event log stores it and the per-field digests, and replay (:func:`verify_meta`)
recomputes both: an edited field no longer matches its digest, and replay names it; an
edit that also rewrote the digest no longer matches the genesis hash; and a log
rewritten consistently throughout no longer matches the genesis hash its run published
(``accord replay --genesis-hash HEX``).

The economic state hash (:mod:`accord.device.state`) does not cover keys, so two runs
that differ only in how keys were drawn have equal state hashes and different genesis
hashes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from hashlib import blake2b
from typing import Any

from accord.device.config import DeviceConfig, Genesis
from accord.device.encoding import digest_bytes
from accord.device.errors import DeviceError

FIELD_PERSON = b"accord.field"
GENESIS_PERSON = b"accord.genesis"


class MetaMismatch(DeviceError):
    """A log's meta (config, genesis, seed) does not match its digests or genesis hash.

    ``field`` names the meta field at fault (``"config.ordering"``), or
    ``"genesis_hash"`` when only the hash tells.
    """

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


ADDED_LATER = frozenset({"fork_choice", "builder_shares", "record_inclusions", "receipts_roots"})
"""Config fields added after logs were written (:mod:`accord.device.forks`,
:mod:`accord.device.receipts_root`). While one
is at its default it is left out of the meta fields, so a run that does not use it has
the genesis hash it had before the field existed, and logs written before it still
verify; set to anything else, it is a meta field like any other (a log whose config
JSON was edited to set it has no digest for it, and replay names it)."""
_DEFAULTS = DeviceConfig().model_dump(mode="json")


def meta_fields(config: DeviceConfig, genesis: Genesis, seed: int) -> dict[str, str]:
    """Every meta field's canonical JSON, by name (:data:`ADDED_LATER` fields only when
    they are not at their default)."""
    out: dict[str, str] = {}
    dumped = config.model_dump(mode="json")
    for name in type(config).model_fields:
        if name in ADDED_LATER and dumped[name] == _DEFAULTS[name]:
            continue
        out[f"config.{name}"] = _canonical(dumped[name])
    dumped = genesis.model_dump(mode="json")
    for name in type(genesis).model_fields:
        out[f"genesis.{name}"] = _canonical(dumped[name])
    out["seed"] = _canonical(seed)
    return out


def field_digest(name: str, canonical_json: str) -> bytes:
    data = name.encode() + b"\x00" + canonical_json.encode()
    return blake2b(data, digest_size=32, person=FIELD_PERSON).digest()


def field_digests(config: DeviceConfig, genesis: Genesis, seed: int) -> dict[str, str]:
    """Every meta field's digest, in hex, by name (what the log stores)."""
    return {
        name: field_digest(name, text).hex()
        for name, text in meta_fields(config, genesis, seed).items()
    }


def genesis_hash(digests: Mapping[str, str]) -> bytes:
    """The genesis hash of a set of field digests (hex)."""
    pairs = tuple(sorted((name, bytes.fromhex(digest)) for name, digest in digests.items()))
    return blake2b(digest_bytes(pairs), digest_size=32, person=GENESIS_PERSON).digest()


def verify_meta(
    config: DeviceConfig,
    genesis: Genesis,
    seed: int,
    logged_digests: Mapping[str, str],
    logged_hash: str,
    published: bytes | None = None,
) -> bytes:
    """Check a log's meta against its stored digests and genesis hash, and against a
    ``published`` genesis hash if given. Returns the genesis hash; raises
    :class:`MetaMismatch` naming the first field (in name order) that differs."""
    digests = field_digests(config, genesis, seed)
    for name in sorted(set(digests) | set(logged_digests)):
        if name not in logged_digests:
            if name.removeprefix("config.") in ADDED_LATER:
                raise MetaMismatch(
                    "the log holds no digest for this field, so it was at its default: "
                    "the meta was edited",
                    field=name,
                )
            raise MetaMismatch("the log holds no digest for this field", field=name)
        if name not in digests:
            raise MetaMismatch("the log holds a digest for a field the device has not", field=name)
        if digests[name] != logged_digests[name]:
            raise MetaMismatch(
                "the log's value does not match its digest: the meta was edited", field=name
            )
    computed = genesis_hash(digests)
    if computed.hex() != logged_hash:
        raise MetaMismatch(
            f"the field digests give {computed.hex()}, the log says {logged_hash}: "
            "the meta and its digests were edited",
            field="genesis_hash",
        )
    if published is not None and computed != published:
        raise MetaMismatch(
            f"the log's genesis hash {computed.hex()} is not the published {published.hex()}",
            field="genesis_hash",
        )
    return computed
