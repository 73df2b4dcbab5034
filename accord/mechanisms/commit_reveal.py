"""Commit-reveal: a hiding, binding commitment to a value, and the windows around it.

A participant first publishes ``commitment_hash(value, salt, sender)`` and only later,
once every commitment is in, reveals ``value`` and ``salt``. While the value is hidden
nobody can condition on it (no copying a vote, no outbidding a sealed bid); once the
commitment is published the participant cannot change it (the hash binds them). This
module is the pure half that clients, contracts and tests share: the hash, the phases
and the split of forfeited deposits. The stateful shells are
:mod:`accord.contracts.commit_reveal`, :mod:`accord.contracts.sealed_bid` and
:mod:`accord.contracts.schelling`.

**The hash, precisely.** ::

    commitment = BLAKE2b-256(repr((value, salt, sender)).encode(), person=b"accord.commit")

The value is a canonical value (``int``, ``str``, ``bytes``, ``bool``, ``None``, tuples
of these: what a transaction can carry, :mod:`accord.device.encoding`), and the bytes
hashed are its Python ``repr``: stable across CPython versions for these types, and
injective on them (``ast.literal_eval`` reads it back; ``True`` and ``1`` differ). This
encoding is fixed *here*, on purpose, rather than borrowed from the device's internal
:func:`~accord.device.encoding.digest_bytes`: a commitment is made off-device and must
stay openable whatever encoding the device later picks for its own hashes, so
``tests/mechanisms/test_commit_reveal.py`` pins a test vector. The BLAKE2b
personalisation separates these hashes from every other hash in the system.

* ``salt`` must be at least :data:`MIN_SALT_BYTES` (16) random bytes: an answer drawn
  from a small set ("yes"/"no", a bid below 1,000) is otherwise found by trying every
  candidate against the commitment. Use a fresh salt per commitment: a revealed salt is
  public.
* ``sender`` (the committing address) is inside the hash so that a commitment cannot be
  **copied**: if Mallory re-publishes Alice's commitment as her own, she can never open
  it, because the contract checks the hash with Mallory as the sender, and she forfeits
  her deposit. Without the sender, Mallory could commit Alice's hash blind and reveal
  Alice's value as soon as Alice does (a "mirror" vote in a Schelling game, or a tie bid
  in an auction). This is the same reason ENS's old Vickrey registrar hashed the bidder's
  address into the sealed bid (``shaBid(hash, owner, value, salt)``).

**Phases** are block numbers, never raced: commits are accepted while
``block <= commit_end``, reveals while ``commit_end < block <= reveal_end``, and the round
is settled from ``block > reveal_end`` on.

**Why a deposit.** Revealing is optional for the committer, which gives them a free
option: wait to see the others' reveals and abort if the outcome is not to their liking
(selective revealing). A deposit forfeited for not revealing prices that option. The
forfeits go to a configured sink, or are shared among the revealers
(:func:`redistribute`); see ``docs/contracts/commit_reveal.md``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, NamedTuple

from accord.mechanisms.shares import pro_rata

MIN_SALT_BYTES = 16
"""The shortest salt accepted: 128 bits, beyond trying every salt for a known value."""

PERSON = b"accord.commit"
"""BLAKE2b personalisation of commitment hashes."""

COMMIT, REVEAL, CLOSED = "commit", "reveal", "closed"
"""The three phases of a round, in order."""

_ATOMS = (int, str, bytes, bool, type(None))


def _check_canonical(value: Any, where: str) -> None:
    """Refuse anything whose ``repr`` is not a stable encoding (floats, dicts, objects)."""
    kind = type(value)
    if kind in _ATOMS:
        return
    if kind is tuple:
        for i, item in enumerate(value):
            _check_canonical(item, f"{where}[{i}]")
        return
    raise ValueError(
        f"{where} must be a canonical value (int, str, bytes, bool, None or a tuple of "
        f"these), got {kind.__name__}"
    )


def check_salt(salt: object) -> bytes:
    """``salt`` if it is ``bytes`` of at least :data:`MIN_SALT_BYTES`; ``ValueError`` otherwise."""
    if type(salt) is not bytes:
        raise ValueError(f"salt must be bytes, got {type(salt).__name__}")
    if len(salt) < MIN_SALT_BYTES:
        raise ValueError(f"salt must be at least {MIN_SALT_BYTES} bytes, got {len(salt)}")
    return salt


def commitment_hash(value: Any, salt: bytes, sender: str) -> bytes:
    """``BLAKE2b-256(repr((value, salt, sender)), person=b"accord.commit")``: 32 bytes.

    ``value`` is any canonical value, ``salt`` at least 16 bytes, ``sender`` the address
    that will publish the commitment (and must later reveal it). Raises ``ValueError``
    naming the bad argument.
    """
    _check_canonical(value, "value")
    check_salt(salt)
    if type(sender) is not str or not sender:
        raise ValueError(f"sender must be a non-empty address str, got {sender!r}")
    data = repr((value, salt, sender)).encode()
    return hashlib.blake2b(data, digest_size=32, person=PERSON).digest()


def check_commitment(commitment: object) -> bytes:
    """``commitment`` if it is 32 bytes; ``ValueError`` otherwise."""
    if type(commitment) is not bytes or len(commitment) != 32:
        raise ValueError(f"commitment must be 32 bytes (a BLAKE2b-256 digest), got {commitment!r}")
    return commitment


def opens(commitment: bytes, value: Any, salt: bytes, sender: str) -> bool:
    """Whether ``(value, salt)`` revealed by ``sender`` opens ``commitment``.

    ``False`` (not an error) for a canonical value and a long enough salt that do not
    match; ``ValueError`` for arguments that could never match.
    """
    return commitment_hash(value, salt, sender) == commitment


def check_windows(now: int, commit_end: int, reveal_end: int) -> None:
    """Check a round's windows at creation in block ``now``; ``ValueError`` naming the fault.

    Both ends are ints with ``now < commit_end < reveal_end``: at least one block to
    commit in, and at least one to reveal in.
    """
    for name, value in (("commit_end", commit_end), ("reveal_end", reveal_end)):
        if type(value) is not int:
            raise ValueError(f"{name} must be an int block number, got {value!r}")
    if commit_end <= now:
        raise ValueError(f"commit_end {commit_end} must be after the current block {now}")
    if reveal_end <= commit_end:
        raise ValueError(f"reveal_end {reveal_end} must be after commit_end {commit_end}")


def phase(block: int, commit_end: int, reveal_end: int) -> str:
    """:data:`COMMIT` while ``block <= commit_end``, :data:`REVEAL` while
    ``block <= reveal_end``, then :data:`CLOSED`."""
    if block <= commit_end:
        return COMMIT
    if block <= reveal_end:
        return REVEAL
    return CLOSED


def require_phase(want: str, block: int, commit_end: int, reveal_end: int) -> None:
    """``ValueError`` naming the window when ``block`` is not in phase ``want``."""
    now = phase(block, commit_end, reveal_end)
    if now == want:
        return
    windows = {
        COMMIT: f"commits are accepted up to block {commit_end}",
        REVEAL: f"reveals are accepted in blocks {commit_end + 1}..{reveal_end}",
        CLOSED: f"the round closes after block {reveal_end}",
    }
    raise ValueError(f"{windows[want]} (now block {block}, the {now} phase)")


class Redistribution(NamedTuple):
    """Where forfeited deposits go: a share per revealer (in their order) and the rest."""

    shares: tuple[int, ...]
    to_sink: int


def redistribute(forfeited: int, deposits: Sequence[int]) -> Redistribution:
    """Share ``forfeited`` among revealers pro rata to their ``deposits``, rounded down;
    the rounding dust, or everything when nobody revealed, goes to the sink.

    ``sum(shares) + to_sink == forfeited`` exactly (:func:`accord.mechanisms.shares.pro_rata`).
    """
    split = pro_rata(forfeited, deposits)
    return Redistribution(split.parts, split.dust)
