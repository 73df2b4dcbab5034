"""The state hash: an incremental multiset hash over the state's canonical entries.

The state is a set of *entries*, one per stored key, each a canonical tuple:

=============================================  ==========================================
``("balances", (account, asset), amount)``     free balances
``("locked", (owner, asset, holder), amount)`` locks (escrow)
``("supply", asset, amount)``                  supplies
``("issuers", asset, issuer)``                 issuers
``("nonces", account, nonce)``                 nonces
``("allowances", (owner, spender, asset), n)`` allowances (:mod:`accord.device.permits`)
``("permit_nonces", owner, nonce)``            permit nonces
``("inclusions", tx_hash, block_number)``      included transactions (when recorded)
``("contracts", address, "module:Class")``     deployed contracts
``("var", address, name, value)``              a contract's ``Var`` slots
``("map", address, name, key, value)``         a contract's ``Map`` items
=============================================  ==========================================

Zero amounts and default slots are never stored, so equal states have equal entry sets
however they were reached. Keys appear as a dict identifies them (:func:`dict_key`:
``True`` is the key ``1``). The hash of the set is MSet-Add-Hash (Clarke, Devadas, van
Dijk, Gassend & Suh, "Incremental Multiset Hash Functions and Their Application to
Memory Integrity Checking", ASIACRYPT 2003; the additive construction is Bellare &
Micciancio's AdHash, EUROCRYPT 1997)::

    H(S) = Σ_{e ∈ S} BLAKE2b-512(bytes(e))   mod 2^512

Because the sum commutes, changing one key is one subtraction (its old entry) and one
addition (its new entry): a block costs what it touched, not what the state holds. The
keys a block touched and their old values come from the ledger's tracked tables
(:class:`accord.device.ledger.Tracked`), which record each key's value before its
first write since the last fold. The block's state hash then binds the chain
parameters that shape the next block::

    state_hash = BLAKE2b-256(bytes(("head", number, base_fee)) || H(S) as 64 bytes LE,
                             person="accord.state")

where ``bytes`` is the canonical encoding :func:`accord.device.encoding.digest_bytes`.

:func:`full_state_hash` computes the same value from scratch, from the tables
themselves rather than from the tracking; the tests (and
:func:`accord.device.checks.state_hash_matches`) compare the two.

*Scope.* The hash is a fingerprint of honest runs (determinism, replay equality), not a
commitment against an adversary who crafts state to collide: an unkeyed additive hash
admits generalised-birthday attacks (Wagner, CRYPTO 2002), which is why the paper keys
its MSet-Add-Hash. The 512-bit modulus keeps such attacks impractical at the state sizes
an experiment reaches, but do not rely on it as a cryptographic commitment.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from hashlib import blake2b
from marshal import dumps as _dumps
from typing import Any

from accord.device.contract import Contract
from accord.device.encoding import digest_bytes
from accord.device.ledger import MISSING, Label, Ledger

MODULUS_BITS = 512
_MASK = (1 << MODULUS_BITS) - 1
_DIGEST_BYTES = MODULUS_BITS // 8
_CONTRACTS: Label = ("contracts",)
_SCALARS = frozenset({int, str, bytes, bool})


_H = blake2b(digest_size=_DIGEST_BYTES)
"""An empty BLAKE2b-512 state; copying it skips the constructor's keyword parsing."""


def entry_hash(entry: tuple[Any, ...]) -> int:
    """BLAKE2b-512 of a canonical entry's encoding, as an integer (little endian)."""
    return _bytes_hash(digest_bytes(entry))


def _bytes_hash(data: bytes) -> int:
    state = _H.copy()
    state.update(data)
    return int.from_bytes(state.digest(), "little")


def entry_prefix(label: Label) -> bytes:
    """The encoding of an entry ``(*label, key, value)`` up to its key.

    ``marshal`` writes a tuple as ``(``, its length (4 bytes, little endian) and its
    items one after another, so ``bytes((*label, key, value)) == entry_prefix(label) +
    bytes(key) + bytes(value)``: a table's prefix is encoded once, not per entry.
    """
    return b"(" + (len(label) + 2).to_bytes(4, "little") + b"".join(map(digest_bytes, label))


def dict_key(key: Any) -> Any:
    """``key`` as a dict identifies it: ``True``/``False`` become ``1``/``0``, in tuples too.

    A dict stores ``m[True]`` and ``m[1]`` in one slot, under whichever key object came
    first, so hashing the stored key object would make the hash depend on history.
    Hashing this form instead makes equal dicts hash alike, which is also what lets the
    incremental hash (which sees the key a write used) agree with the full one (which
    sees the key the dict kept).
    """
    kind = type(key)
    if kind is tuple:
        for item in key:
            if type(item) is bool or type(item) is tuple:
                return tuple(map(dict_key, key))
        return key
    if kind is bool:
        return int(key)
    return key


def state_entries(ledger: Ledger, contracts: Mapping[str, Contract]) -> Iterator[tuple[Any, ...]]:
    """Every canonical entry of the state, read from the tables themselves."""
    for name, table in (
        ("balances", ledger.balances),
        ("locked", ledger.locked),
        ("supply", ledger.supply),
        ("issuers", ledger.issuers),
        ("nonces", ledger.nonces),
        ("allowances", ledger.allowances),
        ("permit_nonces", ledger.permit_nonces),
        ("inclusions", ledger.inclusions),
    ):
        for key, value in table.items():
            yield (name, dict_key(key), value)
    for address, contract in contracts.items():
        yield ("contracts", address, contract.class_path())
        for name, value in contract._vars.items():
            yield ("var", address, name, value)
        for name in contract._maps:
            for key, value in contract.__dict__[name]._data.items():
                yield ("map", address, name, dict_key(key), value)


def multiset_hash(ledger: Ledger, contracts: Mapping[str, Contract]) -> int:
    """H(S) computed from scratch."""
    total = 0
    for entry in state_entries(ledger, contracts):
        total += entry_hash(entry)
    return total & _MASK


def finish(accumulator: int, number: int, base_fee: int) -> bytes:
    """The block's state hash from H(S) and the head's number and next base fee."""
    head = digest_bytes(("head", number, base_fee))
    data = head + accumulator.to_bytes(_DIGEST_BYTES, "little")
    return blake2b(data, digest_size=32, person=b"accord.state").digest()


def full_state_hash(
    ledger: Ledger, contracts: Mapping[str, Contract], number: int, base_fee: int
) -> bytes:
    """The state hash computed from scratch (no tracking involved)."""
    return finish(multiset_hash(ledger, contracts), number, base_fee)


class StateDigest:
    """The state hash, maintained incrementally from the ledger's tracked tables.

    Created once the genesis state is in place: it hashes that state from scratch and
    from then on folds in only the keys written since the previous fold.
    """

    __slots__ = ("_ledger", "_prefixes", "accumulator")

    def __init__(self, ledger: Ledger, contracts: dict[str, Contract]) -> None:
        ledger.track(_CONTRACTS, contracts)
        self._ledger = ledger
        self._prefixes: dict[Label, bytes] = {}
        self.accumulator = multiset_hash(ledger, contracts)
        for tracked in ledger.tracked.values():
            tracked.origin.clear()

    def fold(self, *, clear: bool = True) -> int:
        """H(S) with every key written since the last fold folded in.

        Each changed key's old entry is subtracted and its new entry added, encoded as
        the table's prefix (:func:`entry_prefix`) plus the key's and the value's bytes:
        the same bytes as :func:`entry_hash` of the whole entry, built with less work.
        With ``clear`` (sealing a block), the result is kept and the origins are
        forgotten; without it (a look between blocks, or during one), nothing changes,
        so the origins of a block's writes are only ever cleared when it is sealed.
        """
        acc = self.accumulator
        prefixes = self._prefixes
        for tracked in self._ledger.tracked.values():
            origin = tracked.origin
            if not origin:
                continue
            data, label = tracked.data, tracked.label
            prefix = prefixes.get(label)
            if prefix is None:
                prefix = prefixes[label] = entry_prefix(label)
            contracts = label == _CONTRACTS
            for key, old in origin.items():
                new = data.get(key, MISSING)
                if new is old or (type(new) is type(old) and type(new) in _SCALARS and new == old):
                    continue
                head = prefix + _dumps(dict_key(key), 0)
                if old is not MISSING:
                    acc -= _bytes_hash(head + _dumps(old.class_path() if contracts else old, 0))
                if new is not MISSING:
                    acc += _bytes_hash(head + _dumps(new.class_path() if contracts else new, 0))
            if clear:
                origin.clear()
        acc &= _MASK
        if clear:
            self.accumulator = acc
        return acc

    def digest(self, number: int, base_fee: int) -> bytes:
        """Seal: the state hash now, with pending writes folded in for good."""
        return finish(self.fold(), number, base_fee)

    def peek(self, number: int, base_fee: int) -> bytes:
        """The state hash now, without folding anything in for good (``state_hash()``)."""
        return finish(self.fold(clear=False), number, base_fee)
