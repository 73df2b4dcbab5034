"""Ed25519 verification for the device: one rule, two back ends.

**The rule.** A public key is bound only if it is a canonical encoding (RFC 8032
§5.1.3) of a point of the prime-order subgroup other than the identity
(:func:`key_problem`): under a small-order key anyone can forge (with A the identity,
``(R, S) = (identity, 0)`` verifies for every message), and no honest key has a
small-order part (a clamped scalar is a multiple of 8, so ``a·B`` lies in the
prime-order subgroup). A signature ``(R, S)`` on ``M`` under such a key verifies iff

* ``S < L`` (the group order), and
* ``R`` is byte for byte the encoding of ``S·B − h·A``, ``h = SHA-512(R ‖ A ‖ M) mod L``
  (RFC 8032 §5.1.7's check without the cofactor, as OpenSSL does it), and
* ``R`` is not of small order (for a bound key, this only excludes the identity).

**Two back ends, one rule.** With PyNaCl installed (a core dependency), :data:`BACKEND`
is ``"libsodium"``; otherwise ``"openssl"`` (through ``cryptography``).

* OpenSSL's ``ED25519_verify`` checks ``S < L`` and compares the encodings; this module
  adds the small-order check of R (libsodium's list, :data:`SMALL_ORDER_Y`).
* libsodium's ``crypto_sign_ed25519_verify_detached`` (1.0.18 to 1.0.22) checks
  ``S < L``, refuses a small-order R and a non-canonical or small-order A, and compares
  the encodings: the rule as it stands. Its development branch (since its commit
  0f767c7d, November 2022; in no release yet) is *cofactored*: it accepts when
  ``R − (S·B − h·A)`` has small order, so a key holder could add a small-order point to
  R and be accepted where OpenSSL refuses. At import, a signature so made
  (:data:`_TORSION_PROBE`) tells which one is installed; under a cofactored build this
  module also requires ``crypto_core_ed25519_is_valid_point(R)`` (R in the prime-order
  subgroup), which restores the rule: with A and R both there, ``R − (S·B − h·A)`` has
  small order only if it is the identity.

``tests/device/test_ed25519.py`` checks both back ends against each other on generated
hostile signatures and keys (a small-order point added to R or A, R the identity,
``S + L``, random R, flipped bits, the 8 small-order keys) and RFC 8032 §7.1's vectors.
One verification costs 55 to 62 µs with libsodium and 106 to 129 µs with OpenSSL on the
machine of ``docs/node.md`` ("Performance"; ``benchmarks/bench_ed25519.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Final

BACKEND_ENV: Final = "ACCORD_ED25519"
"""Set to ``openssl`` (before ``accord.device`` is imported) to verify through
``cryptography`` even where PyNaCl is installed: the same rule, for comparison."""

# edwards25519 (RFC 8032 §5.1): p = 2^255 - 19, d = -121665 / 121666, L the group order.
P: Final = 2**255 - 19
D: Final = -121665 * pow(121666, -1, P) % P
L: Final = 2**252 + 27742317777372353535851937790883648493
_SQRT_M1: Final = pow(2, (P - 1) // 4, P)
IDENTITY: Final = bytes([1]) + bytes(31)
"""The identity point's encoding (x = 0, y = 1)."""

Point = tuple[int, int, int, int]
"""Extended homogeneous coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z."""


def decode_point(encoded: bytes) -> tuple[int, int] | None:
    """A point's affine (x, y) from its 32-byte encoding (RFC 8032 §5.1.3), or None
    when it is not a canonical encoding of a curve point."""
    if type(encoded) is not bytes or len(encoded) != 32:
        return None
    n = int.from_bytes(encoded, "little")
    y, sign = n & ((1 << 255) - 1), n >> 255
    if y >= P:
        return None
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    if v * x * x % P == (-u) % P:
        x = x * _SQRT_M1 % P
    elif v * x * x % P != u:
        return None
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = P - x
    return x, y


def add(p: Point, q: Point) -> Point:
    """Point addition in extended coordinates (RFC 8032 §5.1.4; complete for a = -1)."""
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * D * t1 * t2 % P
    d = 2 * z1 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return e * f % P, g * h % P, f * g % P, e * h % P


def multiply(k: int, p: Point) -> Point:
    """``k·p`` by double-and-add (variable time: used on public values only)."""
    result: Point = (0, 1, 1, 0)
    while k:
        if k & 1:
            result = add(result, p)
        p = add(p, p)
        k >>= 1
    return result


def is_identity(p: Point) -> bool:
    return p[0] % P == 0 and (p[1] - p[2]) % P == 0


def key_problem_python(public_key: bytes) -> str | None:
    """:func:`key_problem` computed in Python (the reference the fast path is tested
    against): None for a good key, else what is wrong with it."""
    decoded = decode_point(public_key)
    if decoded is None:
        return "not the canonical encoding of a curve point"
    x, y = decoded
    point = (x, y, 1, x * y % P)
    if is_identity(multiply(8, point)):
        return "a point of small order (anyone can forge signatures under it)"
    if not is_identity(multiply(L, point)):
        return "a point with a small-order component (no honest key has one)"
    return None


_Y8 = int.from_bytes(
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"), "little"
)
SMALL_ORDER_Y: Final = frozenset({0, 1, P - 1, P, P + 1, _Y8, P - _Y8})
"""The y of every small-order point, with the non-canonical y = p and p + 1 (libsodium's
``ge25519_has_small_order`` list, which ignores the sign bit): 0 (order 4), 1 (the
identity), p − 1 (order 2) and the two of order 8."""
_Y_MASK: Final = (1 << 255) - 1


def small_order_encoding(encoded: bytes) -> bool:
    """Whether ``encoded``'s y (sign bit ignored) is on :data:`SMALL_ORDER_Y`."""
    return (int.from_bytes(encoded, "little") & _Y_MASK) in SMALL_ORDER_Y


def _openssl_verifier(public_key: bytes) -> Callable[[bytes, bytes], bool]:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = Ed25519PublicKey.from_public_bytes(public_key)

    def verify(signature: bytes, message: bytes) -> bool:
        if type(signature) is not bytes or len(signature) != 64 or type(message) is not bytes:
            return False
        try:
            key.verify(signature, message)
        except InvalidSignature:
            return False
        return not small_order_encoding(signature[:32])

    return verify


_TORSION_PROBE: Final = (
    bytes.fromhex("3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"),
    bytes.fromhex(
        "e6dcfecebf019c93a3cd5223c87ccd1afbbf89ea9e8791c592be57611c18e918"
        "27382f582ed67b2ea4ba478f0f426fe998e1f3589abc6be4b443b13ab5f71405"
    )
    + b"accord.ed25519 self-test",
)
"""A public key (seed 0^32) and a signed message whose R has an order-8 point added
(``tests/device/test_ed25519.py`` makes it): refused by the rule, accepted only by a
cofactored verification."""

try:  # PyNaCl's bundled libsodium (a core dependency)
    from nacl._sodium import ffi as _ffi
    from nacl._sodium import lib as _lib

    _NULL: object = _ffi.NULL
    _sign_open = _lib.crypto_sign_open
    _valid_point = _lib.crypto_core_ed25519_is_valid_point
    # libsodium before 1.0.20-stable (December 2025) took a point with an order-2 part
    # for one of the prime-order subgroup (its commit ad3004ec); this is its own test
    # point. Such a build is not used: the key check would not hold.
    _FIXED = _valid_point(bytes([0x95]) + bytes([0x99]) * 31) == 0
    _KEY, _SIGNED = _TORSION_PROBE
    COFACTORED: bool = _sign_open(_NULL, _NULL, _SIGNED, len(_SIGNED), _KEY) == 0
    """Whether the installed libsodium verifies cofactored (module docstring)."""
    BACKEND = "libsodium" if _FIXED and os.environ.get(BACKEND_ENV) != "openssl" else "openssl"
except ImportError:  # pragma: no cover - exercised where PyNaCl is absent
    COFACTORED = False
    BACKEND = "openssl"


def _sodium_verifier(public_key: bytes) -> Callable[[bytes, bytes], bool]:
    if COFACTORED:  # no libsodium release verifies cofactored yet (module docstring)

        def checked(signature: bytes, message: bytes) -> bool:
            if type(signature) is not bytes or len(signature) != 64 or type(message) is not bytes:
                return False
            signed = signature + message
            if _sign_open(_NULL, _NULL, signed, len(signed), public_key) != 0:
                return False
            valid: bool = _valid_point(signature[:32]) == 1  # R in the prime-order subgroup
            return valid

        return checked

    def verify(signature: bytes, message: bytes) -> bool:
        if type(signature) is not bytes or len(signature) != 64 or type(message) is not bytes:
            return False
        signed = signature + message
        ok: bool = _sign_open(_NULL, _NULL, signed, len(signed), public_key) == 0
        return ok

    return verify


def key_problem(public_key: bytes) -> str | None:
    """None when ``public_key`` may be bound (module docstring), else what is wrong:
    not 32 bytes, not a canonical point, of small order, or with a small-order part."""
    if type(public_key) is not bytes or len(public_key) != 32:
        return "not 32 bytes"
    # libsodium: canonical, on the curve, not of small order, in the prime-order subgroup
    if BACKEND == "libsodium" and _valid_point(public_key) == 1:
        return None
    return key_problem_python(public_key)


def weak_key(public_key: bytes) -> bool:
    """Whether ``public_key`` must not be bound (:func:`key_problem`)."""
    return key_problem(public_key) is not None


class PublicKey:
    """A bound ed25519 public key: :meth:`verify` under the module's rule.

    Raises ValueError (one line, naming the problem) for a key :func:`key_problem`
    refuses.
    """

    __slots__ = ("raw", "verify")

    def __init__(self, raw: bytes, *, backend: str | None = None) -> None:
        problem = key_problem(raw)
        if problem is not None:
            raise ValueError(f"not a usable ed25519 public key: {problem}")
        self.raw = raw
        chosen = BACKEND if backend is None else backend
        if chosen == "libsodium" and BACKEND == "libsodium":
            self.verify: Callable[[bytes, bytes], bool] = _sodium_verifier(raw)
        elif chosen == "openssl":
            self.verify = _openssl_verifier(raw)
        else:
            raise ValueError(f"unknown or unavailable ed25519 back end {chosen!r}")

    def __repr__(self) -> str:
        return f"PublicKey({self.raw.hex()})"


def verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """One-shot check: False for a refused key, a malformed or a wrong signature."""
    if type(signature) is not bytes or type(message) is not bytes:
        return False
    try:
        key = PublicKey(public_key)
    except ValueError:
        return False
    return key.verify(signature, message)
