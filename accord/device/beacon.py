"""The device's randomness beacon: one 32-byte value per block, derived, never drawn.

Ethereum gives contracts the beacon chain's RANDAO mix of the previous block as
``PREVRANDAO`` (EIP-4399, Sep 2021: the opcode ``0x44`` that was ``DIFFICULTY``). This
device has no validators to mix reveals, and a run must be a pure function of its
scenario and seed (``docs/device.md``, "Determinism"). So the beacon of block ``n`` is
derived from data every replay has, and from nothing that depends on key material
(accounts' keys are drawn outside the log, ``docs/security.md``, so a beacon that hashed
the genesis hash or a header hash, which cover the keys, would differ between two runs
of the same scenario and seed):

    root      = BLAKE2b-256(every meta field's digest but genesis.public_keys,
                            person="accord.beacon")
    beacon(0) = BLAKE2b-256(root ‖ 0 as 8 bytes, person="accord.beacon")
    beacon(n) = BLAKE2b-256(root ‖ n as 8 bytes ‖ parent(n), person="accord.beacon")
    parent(n) = canonical(beacon(n-1), builder, timestamp, tx_root, state_hash of n-1)

* ``root`` covers the config, the genesis (assets, allocations, allowlist...) and the
  **seed** (:mod:`accord.device.genesis_hash`'s field digests): two runs with different
  seeds or designs get unrelated beacons, two runs with the same scenario and seed the
  same ones, on any installation and whatever keys were drawn.
* ``parent(n)`` is block ``n - 1``'s key-free header: its beacon (so beacons chain, as
  RANDAO's mix does), its transactions (``tx_root``: transaction hashes do not cover
  signatures) and the state after it: what the previous block contained decides it.
* ``n`` separates heights.

**Who can predict or bias it** (the same trade-off as RANDAO; ``docs/security.md``).
Anyone who knows the seed (it is in the log's meta) computes ``beacon(n)`` as soon as
block ``n - 1`` is sealed: one block ahead, never more, since ``beacon(n)`` depends on
block ``n - 1``'s contents. The builder of block ``n - 1`` can **grind**: by choosing
which transactions to include and in which order (or inserting its own, where the design
lets it), it tries contents until ``beacon(n)`` suits it, and it can always build an
empty block instead, so it has at least "this value or another" (RANDAO's last-revealer
bit, Ethereum's proposer withholding its block). Under the ``fcfs``/``priority``/
``random`` rules with an honest builder there is no such choice; a builder that may
reorder or insert has it. An ordinary sender has a weaker lever: under a public
mempool it sees the other pending items and can send, of several variants of its own
transaction, the one whose simulated ``beacon(n)`` suits it, if it expects to be the
block's last item (it cannot be sure).
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Mapping
from typing import Protocol

from accord.device.encoding import Canonical, digest_bytes

BEACON_WINDOW = 256
"""How many recent beacons a contract can read: the current block's and the 255 before
it. The same bound as the EVM's ``BLOCKHASH`` (last 256 blocks, Yellow Paper §9.4.3 /
appendix H): long enough for a contract to act on a beacon several periods after the
block it fixed (a court round's draw, an audit), and bounded, so that the device holds
8 KiB of beacons however long it runs."""

PERSON = b"accord.beacon"
"""BLAKE2b personalisation of the beacon (a domain tag: no other hash on the device
shares it)."""


class Parent(Protocol):
    """The fields of block ``n - 1``'s header that ``beacon(n)`` hashes
    (:class:`~accord.device.block.BlockHeader`, named structurally: ``block.py`` sits
    above :mod:`accord.device.context`, which reads this module)."""

    @property
    def beacon(self) -> bytes: ...

    @property
    def builder(self) -> str: ...

    @property
    def timestamp(self) -> int: ...

    @property
    def tx_root(self) -> bytes: ...

    @property
    def state_hash(self) -> bytes: ...


KEY_FIELDS = frozenset({"genesis.public_keys"})
"""Meta fields left out of the beacon's root: they hold key material."""


def beacon_root(digests: Mapping[str, str]) -> bytes:
    """``root`` (module docstring) from the meta fields' digests (hex, by name)."""
    pairs = tuple(
        sorted((name, bytes.fromhex(d)) for name, d in digests.items() if name not in KEY_FIELDS)
    )
    return hashlib.blake2b(digest_bytes(pairs), digest_size=32, person=PERSON).digest()


def beacon_value(root: bytes, number: int, parent: Parent | None) -> bytes:
    """``beacon(number)`` (module docstring), 32 bytes; ``parent`` is block
    ``number - 1``'s header (``None`` for block 0)."""
    data = root + number.to_bytes(8, "big")
    if parent is not None:
        fields: tuple[Canonical, ...] = (
            parent.beacon,
            parent.builder,
            parent.timestamp,
            parent.tx_root,
            parent.state_hash,
        )
        data += digest_bytes(fields)
    return hashlib.blake2b(data, digest_size=32, person=PERSON).digest()


class BeaconWindow:
    """The last :data:`BEACON_WINDOW` beacons, by height.

    ``latest`` is the height of the newest beacon held (the block being built, once its
    parent is sealed). :meth:`read` is what ``ctx.beacon`` runs.
    """

    __slots__ = ("latest", "values")

    def __init__(self) -> None:
        self.values: deque[bytes] = deque(maxlen=BEACON_WINDOW)
        self.latest = -1

    def push(self, number: int, value: bytes) -> None:
        """Hold ``value`` as ``beacon(number)``; heights come in order, one by one."""
        if number != self.latest + 1:
            raise ValueError(f"beacon of block {number} after block {self.latest}'s")
        self.values.append(value)
        self.latest = number

    def oldest(self) -> int:
        """The lowest height still held."""
        return self.latest - len(self.values) + 1

    def read(self, height: object, current: int) -> bytes:
        """``beacon(height)`` for a call running in block ``current``; ``ValueError``
        (one line) for anything but an int in ``[max(oldest, current - window + 1),
        current]``."""
        if type(height) is not int:
            raise ValueError(f"beacon height must be an int, got {type(height).__name__}")
        if height > current or height > self.latest:
            raise ValueError(
                f"beacon of block {height} is not known yet (now block {current}): "
                "only past and current blocks have one"
            )
        low = max(self.oldest(), current - BEACON_WINDOW + 1)
        if height < low:
            raise ValueError(
                f"beacon of block {height} has left the window (blocks {low}..{current} "
                f"are kept, {BEACON_WINDOW} at most)"
            )
        return self.values[height - self.latest - 1]


__all__ = ["BEACON_WINDOW", "PERSON", "BeaconWindow", "beacon_root", "beacon_value"]
