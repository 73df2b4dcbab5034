"""The wire format: signed transactions and bundles as JSON any language can produce.

**Values** (call arguments, results, events) are the device's canonical values
(:mod:`accord.device.encoding`) in JSON: an int is a JSON integer (up to
``JSON_INT_BITS`` = 2,048 bits, at most 617 digits: read it with a big-integer JSON
parser, RFC 8259 §6) or, when longer, ``{"$int": "<0x hex>"}`` (the event log's form:
CPython will not print an int of more than 4,300 digits as JSON, CVE-2020-10735, and a
contract's result may be longer), a str a string, ``true``/``false``, ``null``, a tuple
an array, and bytes ``{"$bytes": "<hex>"}``. A JSON number with a
fraction or exponent, an object of any other shape, or nesting deeper than
:data:`MAX_DEPTH` is refused naming where.

**A transaction** is an object with exactly these keys::

    {"sender": "alice", "nonce": 0, "to": "bob", "method": "", "args": [],
     "value": [["ETH", 5]], "gas_limit": 21400, "max_fee": 2000, "priority_fee": 1,
     "hash": "<64 hex>", "signature": "<128 hex>"}

``value`` is a list of ``[asset, amount]`` pairs sorted by asset, unique, amounts ≥ 1:
exactly the tuple that is hashed (nothing is normalised for you, so what you sign is
what the device checks). Hex may carry a ``0x`` prefix.

**Hash and signature** (:mod:`accord.device.transaction`). With ``content`` the tuple
``(sender, nonce, to, method, args, value, gas_limit, max_fee, priority_fee)``::

    hash      = BLAKE2b-256(encode(content))                      # no key, no person
    payload   = BLAKE2b-256(chain_id as 8 bytes big endian || hash, person="accord.signed")
    signature = Ed25519-sign(private key, payload)                 # RFC 8032

**encode** (:func:`encode`) is CPython's ``marshal`` format version 0 restricted to the
canonical types, which writes each value one way only. All lengths and counts are
4-byte little-endian signed integers:

* ``None`` → ``N``; ``True`` → ``T``; ``False`` → ``F``;
* an int in ``[-2**31, 2**31)`` → ``i`` + the int as 4 bytes little endian, two's complement;
* any other int → ``l`` + n + n 2-byte little-endian digits of ``|x|`` in base 2**15,
  least significant first, where n is the digit count, negated for a negative int;
* a str → ``u`` + length + its UTF-8 bytes;
* bytes → ``s`` + length + the bytes;
* a tuple → ``(`` + item count + each item encoded.

:func:`encode` is that specification written out in Python; the tests check it against
``marshal.dumps(value, 0)`` on random values, so a client in another language can port it.
"""

from __future__ import annotations

import json
import re
import struct
from typing import Any

from accord.device import Bundle, Transaction
from accord.device.encoding import JSON_INT_BITS, Canonical, int_from_hex
from accord.device.errors import InvalidValue

MAX_DEPTH = 32
"""Nesting of arrays a value may have (deeper is refused, never recursed into)."""

TX_KEYS = (
    "sender",
    "nonce",
    "to",
    "method",
    "args",
    "value",
    "gas_limit",
    "max_fee",
    "priority_fee",
    "hash",
    "signature",
)
_HEX = re.compile(r"(?:0x)?((?:[0-9a-fA-F]{2})*)\Z")


class WireError(ValueError):
    """A payload that is not the documented wire format; the message names the field."""


# -- values ------------------------------------------------------------------------
def value_from_json(data: Any, where: str = "args", depth: int = 0) -> Canonical:
    """A canonical value from its JSON form (module docstring); raises :class:`WireError`."""
    kind = type(data)
    if kind is int or kind is str or kind is bool or data is None:
        return data  # type: ignore[no-any-return]
    if kind is list:
        if depth >= MAX_DEPTH:
            raise WireError(f"{where}: nested deeper than {MAX_DEPTH} arrays")
        return tuple(
            value_from_json(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(data)
        )
    if kind is dict:
        if set(data) == {"$int"}:
            try:
                return int_from_hex(data["$int"], where)
            except InvalidValue as exc:
                raise WireError(str(exc)) from None
        if set(data) != {"$bytes"} or type(data["$bytes"]) is not str:
            raise WireError(
                f'{where}: an object must be {{"$bytes": "<hex>"}} or {{"$int": "<hex>"}}'
            )
        return hex_bytes(data["$bytes"], where)
    if kind is float:
        raise WireError(f"{where}: {data!r} is not an integer (amounts are exact integers)")
    raise WireError(f"{where}: {kind.__name__} is not a canonical value")


def value_to_json(value: Any, depth: int = 0) -> Any:
    """The JSON form of a canonical value; other results (a dict with str keys, a list)
    are written as JSON too. Raises :class:`WireError` for anything else."""
    kind = type(value)
    if kind is int:
        return value if value.bit_length() <= JSON_INT_BITS else {"$int": hex(value)}
    if kind is str or kind is bool or value is None:
        return value
    if depth >= MAX_DEPTH:
        raise WireError(f"a value nested deeper than {MAX_DEPTH} levels")
    if kind is bytes:
        return {"$bytes": value.hex()}
    if kind is tuple or kind is list:
        return [value_to_json(v, depth + 1) for v in value]
    if kind is dict and all(type(k) is str for k in value):
        return {k: value_to_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, int) and not isinstance(value, bool):
        return value_to_json(int(value), depth)
    raise WireError(f"a {kind.__name__} has no JSON form")


def hex_bytes(text: object, where: str, size: int | None = None) -> bytes:
    """Bytes from hex (optional ``0x``), of ``size`` bytes when given."""
    if type(text) is not str:
        raise WireError(f"{where}: expected a hex string, got {type(text).__name__}")
    match = _HEX.match(text)
    if match is None:
        raise WireError(f"{where}: not hex")
    raw = bytes.fromhex(match.group(1))
    if size is not None and len(raw) != size:
        raise WireError(f"{where}: expected {size} bytes ({2 * size} hex digits), got {len(raw)}")
    return raw


# -- transactions and bundles --------------------------------------------------------
def _int(data: dict[str, Any], key: str, where: str) -> int:
    value = data[key]
    if type(value) is not int:
        raise WireError(f"{where}.{key}: expected an integer, got {type(value).__name__}")
    return value


def _str(data: dict[str, Any], key: str, where: str) -> str:
    value = data[key]
    if type(value) is not str:
        raise WireError(f"{where}.{key}: expected a string, got {type(value).__name__}")
    return value


def value_pairs(pairs: Any, where: str = "value") -> tuple[tuple[str, int], ...]:
    """A transaction's ``value`` from ``[[asset, amount], ...]``, as given (the device
    checks order, uniqueness and ranges)."""
    if type(pairs) is not list:
        raise WireError(f"{where}: expected an array of [asset, amount] pairs")
    value = []
    for i, pair in enumerate(pairs):
        if type(pair) is not list or len(pair) != 2:
            raise WireError(f"{where}[{i}]: expected [asset, amount]")
        if type(pair[0]) is not str or type(pair[1]) is not int:
            raise WireError(f"{where}[{i}]: expected [string, integer]")
        value.append((pair[0], pair[1]))
    return tuple(value)


def transaction_from_json(data: Any, where: str = "transaction") -> Transaction:
    """A :class:`Transaction` from its wire form, its fields' types checked; the device's
    admission gate checks the rest (ranges, hash, signature, nonce, funds)."""
    if type(data) is not dict:
        raise WireError(f"{where}: expected an object, got {type(data).__name__}")
    missing = [k for k in TX_KEYS if k not in data]
    if missing:
        raise WireError(f"{where}: missing {', '.join(missing)}")
    extra = sorted(set(data) - set(TX_KEYS))
    if extra:
        raise WireError(f"{where}: unknown keys {', '.join(map(repr, extra))}")
    args = data["args"]
    if type(args) is not list:
        raise WireError(f"{where}.args: expected an array")
    value = value_pairs(data["value"], f"{where}.value")
    return Transaction(
        _str(data, "sender", where),
        _int(data, "nonce", where),
        _str(data, "to", where),
        _str(data, "method", where),
        value_from_json(args, f"{where}.args"),  # type: ignore[arg-type]
        value,
        _int(data, "gas_limit", where),
        _int(data, "max_fee", where),
        _int(data, "priority_fee", where),
        hex_bytes(data["hash"], f"{where}.hash", 32),
        hex_bytes(data["signature"], f"{where}.signature"),
    )


def transaction_to_json(tx: Transaction) -> dict[str, Any]:
    """The wire form of a transaction (hex without ``0x``)."""
    return {
        "sender": tx.sender,
        "nonce": tx.nonce,
        "to": tx.to,
        "method": tx.method,
        "args": value_to_json(tx.args),
        "value": [[asset, amount] for asset, amount in tx.value],
        "gas_limit": tx.gas_limit,
        "max_fee": tx.max_fee,
        "priority_fee": tx.priority_fee,
        "hash": tx.hash.hex(),
        "signature": tx.signature.hex(),
    }


BUNDLE_KEYS = ("txs", "min_block", "max_block", "reverting")


def bundle_from_json(data: Any, where: str = "bundle") -> Bundle:
    """A :class:`Bundle` from ``{"txs": [...], "min_block": 0, "max_block": null,
    "reverting": ["<tx hash hex>", ...]}`` (``min_block``, ``max_block`` and
    ``reverting`` optional)."""
    if type(data) is not dict:
        raise WireError(f"{where}: expected an object, got {type(data).__name__}")
    extra = sorted(set(data) - set(BUNDLE_KEYS))
    if extra:
        raise WireError(f"{where}: unknown keys {', '.join(map(repr, extra))}")
    txs = data.get("txs")
    if type(txs) is not list or not txs:
        raise WireError(f"{where}.txs: expected a non-empty array of transactions")
    min_block = data.get("min_block", 0)
    max_block = data.get("max_block")
    if type(min_block) is not int or min_block < 0:
        raise WireError(f"{where}.min_block: expected an integer >= 0")
    if max_block is not None and (type(max_block) is not int or max_block < min_block):
        raise WireError(f"{where}.max_block: expected null or an integer >= min_block")
    reverting = data.get("reverting", [])
    if type(reverting) is not list:
        raise WireError(f"{where}.reverting: expected an array of transaction hashes")
    return Bundle(
        tuple(transaction_from_json(t, f"{where}.txs[{i}]") for i, t in enumerate(txs)),
        min_block=min_block,
        max_block=max_block,
        reverting=frozenset(
            hex_bytes(h, f"{where}.reverting[{i}]", 32) for i, h in enumerate(reverting)
        ),
    )


def bundle_to_json(bundle: Bundle) -> dict[str, Any]:
    return {
        "txs": [transaction_to_json(tx) for tx in bundle.txs],
        "min_block": bundle.min_block,
        "max_block": bundle.max_block,
        "reverting": sorted(h.hex() for h in bundle.reverting),
    }


def dumps(data: Any) -> str:
    """Compact JSON (what the node answers and journals)."""
    return json.dumps(data, separators=(",", ":"))


# -- the canonical encoding, written out (module docstring) ----------------------------
_I32 = struct.Struct("<i")
_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1


def encode(value: Any) -> bytes:
    """``marshal.dumps(value, 0)`` for a canonical value, from the specification in the
    module docstring (what a client in another language implements)."""
    out = bytearray()
    _encode(value, out)
    return bytes(out)


def _encode(value: Any, out: bytearray) -> None:
    kind = type(value)
    if value is None:
        out += b"N"
    elif kind is bool:
        out += b"T" if value else b"F"
    elif kind is int:
        if _INT32_MIN <= value <= _INT32_MAX:
            out += b"i" + _I32.pack(value)
        else:
            magnitude, digits = abs(value), bytearray()
            count = 0
            while magnitude:
                digits += (magnitude & 0x7FFF).to_bytes(2, "little")
                magnitude >>= 15
                count += 1
            out += b"l" + _I32.pack(-count if value < 0 else count) + digits
    elif kind is str:
        data = value.encode("utf-8", "surrogatepass")
        out += b"u" + _I32.pack(len(data)) + data
    elif kind is bytes:
        out += b"s" + _I32.pack(len(value)) + value
    elif kind is tuple:
        out += b"(" + _I32.pack(len(value))
        for item in value:
            _encode(item, out)
    else:
        raise InvalidValue(f"{kind.__name__} is not a canonical value")
