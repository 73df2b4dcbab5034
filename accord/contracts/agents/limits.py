"""Bounds and argument checks shared by the ERC-8004 registries.

The standard's types are Solidity's (``uint256`` ids, ``string``, ``bytes``,
``bytes32``, ``address[]``); on the device they become ints, strs, bytes and tuples of
account names. Solidity bounds nothing but gas; here every string, byte string and list
has a fixed maximum as well, so that one call's work and data are bounded before gas is
even counted (``docs/contracts/erc8004.md``, "Types and bounds"). Every check reverts
with a one-line reason naming the argument, never with a stray ``TypeError``.
"""

from __future__ import annotations

from accord.device import Context, Revert

MAX_ID = (1 << 256) - 1
"""The largest agent id (``uint256``)."""
MAX_URI_BYTES = 8192
"""An agentURI, feedbackURI, responseURI or requestURI: 8 KiB of UTF-8 (room for a
small registration file inlined as a ``data:`` URI, which the standard allows)."""
MAX_TAG_BYTES = 64
"""A feedback or validation tag (the standard's ``string tag1``, ``tag2``, ``tag``)."""
MAX_KEY_BYTES = 64
"""A metadata key."""
MAX_METADATA_BYTES = 4096
"""A metadata value."""
MAX_METADATA_ENTRIES = 16
"""Metadata entries one ``register`` may set."""
MAX_ADDRESS_CHARS = 256
"""An account name or contract address."""
MAX_LIST = 64
"""Clients, responders or validators one read may name (its walk is bounded by this
many addresses, and each stored item it reads is charged ``READ``)."""
HASH_BYTES = 32
"""A ``bytes32`` (feedbackHash, responseHash, requestHash): exactly 32 bytes; the
standard's "omitted" is 32 zero bytes, ``ZERO_HASH``."""
ZERO_HASH = bytes(HASH_BYTES)


def agent_id(value: object, name: str = "agentId") -> int:
    """``value`` if it is an int (not a bool) in ``[0, 2**256 - 1]``."""
    if type(value) is not int:
        raise Revert(f"{name} must be an int, got {type(value).__name__}")
    if value < 0 or value > MAX_ID:
        shown = value if value.bit_length() <= 64 else f"an int of {value.bit_length()} bits"
        raise Revert(f"{name} must be in [0, 2**256 - 1], got {shown}")
    return value


def bounded_int(value: object, name: str, low: int, high: int) -> int:
    """``value`` if it is an int (not a bool) in ``[low, high]``."""
    if type(value) is not int:
        raise Revert(f"{name} must be an int, got {type(value).__name__}")
    if value < low or value > high:
        shown = value if value.bit_length() <= 64 else f"an int of {value.bit_length()} bits"
        raise Revert(f"{name} must be in [{low}, {high}], got {shown}")
    return value


def text(value: object, name: str, max_bytes: int, *, empty: bool = True) -> str:
    """``value`` if it is a str of at most ``max_bytes`` bytes of UTF-8 (and not empty
    unless ``empty``)."""
    if type(value) is not str:
        raise Revert(f"{name} must be a str, got {type(value).__name__}")
    if len(value) > max_bytes:  # cheap first: a UTF-8 byte per character at least
        raise Revert(f"{name} is too long: {len(value)} characters, at most {max_bytes} bytes")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise Revert(f"{name} is not valid UTF-8 (it holds a lone surrogate)") from None
    if size > max_bytes:
        raise Revert(f"{name} is too long: {size} bytes of UTF-8, at most {max_bytes}")
    if not empty and not value:
        raise Revert(f"{name} must not be empty")
    return value


def blob(value: object, name: str, max_bytes: int) -> bytes:
    """``value`` if it is bytes of at most ``max_bytes``."""
    if type(value) is not bytes:
        raise Revert(f"{name} must be bytes, got {type(value).__name__}")
    if len(value) > max_bytes:
        raise Revert(f"{name} is too long: {len(value)} bytes, at most {max_bytes}")
    return value


def hash32(value: object, name: str) -> bytes:
    """``value`` if it is exactly 32 bytes (a ``bytes32``)."""
    if type(value) is not bytes or len(value) != HASH_BYTES:
        got = f"{len(value)} bytes" if type(value) is bytes else type(value).__name__
        raise Revert(f"{name} must be 32 bytes (a bytes32), got {got}")
    return value


def address(value: object, name: str) -> str:
    """``value`` if it is a non-empty str of at most ``MAX_ADDRESS_CHARS`` characters."""
    if type(value) is not str or not value:
        raise Revert(f"{name} must be a non-empty str, got {_short(value)}")
    if len(value) > MAX_ADDRESS_CHARS:
        raise Revert(f"{name} is too long: {len(value)} characters, at most {MAX_ADDRESS_CHARS}")
    return value


def addresses(value: object, name: str, *, empty: bool) -> tuple[str, ...]:
    """``value`` if it is a tuple of at most ``MAX_LIST`` distinct addresses (non-empty
    unless ``empty``). A duplicate is refused: the reference contracts would count its
    feedback twice."""
    if type(value) is not tuple:
        raise Revert(f"{name} must be a tuple of addresses, got {type(value).__name__}")
    if not empty and not value:
        raise Revert(f"{name} must not be empty")
    if len(value) > MAX_LIST:
        raise Revert(f"{name} names {len(value)} addresses, at most {MAX_LIST}")
    for item in value:
        address(item, f"{name} item")
    if len(set(value)) != len(value):
        raise Revert(f"{name} names an address twice")
    return value


def flag(value: object, name: str) -> bool:
    """``value`` if it is a bool."""
    if type(value) is not bool:
        raise Revert(f"{name} must be a bool, got {type(value).__name__}")
    return value


def _short(value: object) -> str:
    text_ = repr(value)
    return text_ if len(text_) <= 40 else f"{text_[:30]}... ({type(value).__name__})"


def no_value(ctx: Context) -> None:
    """Refuse assets sent with a call: nothing in the registries is payable (Solidity's
    non-``payable`` functions revert on ``msg.value``), and a registry holds no funds, so
    value sent to one would be stuck there for ever."""
    if ctx.value:
        raise Revert(f"the ERC-8004 registries take no value, got {dict(ctx.value)}")
