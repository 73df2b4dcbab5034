"""accord.device.ed25519: both back ends compute one rule, on hostile keys and signatures.

The hostile signatures are made here by a small RFC 8032 signer in Python, which can
put what no honest signer would into a signature: a small-order point added to R (so
libsodium's cofactored check alone would accept where OpenSSL refuses), R the identity
(OpenSSL alone would accept), S + L, a random R, flipped bits.
"""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.device import Device, DeviceConfig, Genesis, UnknownAccount
from accord.device import ed25519 as E
from accord.device.ed25519 import IDENTITY, L, P, PublicKey, decode_point, key_problem
from accord.device.store import MemoryLog

Point = tuple[int, int, int, int]
BACKENDS = ["openssl"] + (["libsodium"] if E.BACKEND == "libsodium" else [])


def encode(p: Point) -> bytes:
    x_, y_, z, _ = p
    zi = pow(z, -1, P)
    x, y = x_ * zi % P, y_ * zi % P
    return (y | (x & 1) << 255).to_bytes(32, "little")


def point(encoded: bytes) -> Point:
    found = decode_point(encoded)
    assert found is not None
    x, y = found
    return x, y, 1, x * y % P


BASE = point((4 * pow(5, -1, P) % P).to_bytes(32, "little"))  # RFC 8032 §5.1's B


def _torsion() -> list[Point]:
    """The 8 points of small order: multiples of L·Q for a Q of order 8L."""
    for y in range(2, 100):
        found = decode_point(y.to_bytes(32, "little"))
        if found is None:
            continue
        t = E.multiply(L, (found[0], found[1], 1, found[0] * found[1] % P))
        if not E.is_identity(E.multiply(4, t)):  # order 8
            return [E.multiply(k, t) for k in range(8)]
    raise AssertionError("no point of order 8L among the first y")


TORSION = _torsion()
SMALL_ORDER = sorted({encode(t) for t in TORSION})


def h_int(*parts: bytes) -> int:
    return int.from_bytes(hashlib.sha512(b"".join(parts)).digest(), "little")


def expand(seed: bytes) -> tuple[int, bytes, bytes]:
    """RFC 8032 §5.1.5: the secret scalar, the nonce prefix and the public key."""
    digest = hashlib.sha512(seed).digest()
    a = int.from_bytes(digest[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, digest[32:], encode(E.multiply(a, BASE))


def sign(seed: bytes, message: bytes, *, torsion: int = 0, r: int | None = None) -> bytes:
    """RFC 8032 §5.1.6, with R optionally shifted by a small-order point or r chosen."""
    a, prefix, public = expand(seed)
    if r is None:
        r = h_int(prefix, message) % L
    big_r = encode(E.add(E.multiply(r, BASE), TORSION[torsion]))
    s = (r + h_int(big_r, public, message) % L * a) % L
    return big_r + s.to_bytes(32, "little")


# -- the curve and the 8 small-order points ---------------------------------------------


def test_the_small_order_points_are_the_known_eight() -> None:
    assert len(SMALL_ORDER) == 8
    assert IDENTITY in SMALL_ORDER
    for known in (  # order 8 (as listed by libsodium's and others' blocklists)
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    ):
        assert bytes.fromhex(known) in SMALL_ORDER
    for t in TORSION:
        assert E.is_identity(E.multiply(8, t))


def test_rfc8032_test_vectors_7_1() -> None:
    vectors = [  # (secret, public, message, signature): RFC 8032 §7.1 TEST 1, 2, 3
        (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        ),
        (
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
            "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        ),
        (
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
            "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
        ),
    ]
    for secret, public, message, signature in vectors:
        seed, pk, msg, sig = (bytes.fromhex(v) for v in (secret, public, message, signature))
        assert expand(seed)[2] == pk and sign(seed, msg) == sig  # our signer is RFC 8032's
        assert key_problem(pk) is None and E.key_problem_python(pk) is None
        for backend in BACKENDS:
            key = PublicKey(pk, backend=backend)
            assert key.verify(sig, msg)
            assert not key.verify(sig, msg + b"\x00")
            assert not key.verify(sig[:63] + bytes([sig[63] ^ 1]), msg)


# -- keys -----------------------------------------------------------------------------


def _mixed(seed: bytes, k: int) -> bytes:
    return encode(E.add(point(expand(seed)[2]), TORSION[k]))


@settings(max_examples=40, deadline=None)
@given(
    kind=st.sampled_from(["honest", "small", "mixed", "random", "high_y", "short"]),
    seed=st.binary(min_size=32, max_size=32),
    k=st.integers(1, 7),
    raw=st.binary(min_size=32, max_size=32),
)
def test_key_checks_agree_and_refuse_every_weak_key(
    kind: str, seed: bytes, k: int, raw: bytes
) -> None:
    key = {
        "honest": expand(seed)[2],
        "small": SMALL_ORDER[k],
        "mixed": _mixed(seed, k),
        "random": raw,
        "high_y": (P + k % 19 + (k & 1) * (1 << 255)).to_bytes(32, "little"),
        "short": raw[:31],
    }[kind]
    python = E.key_problem_python(key) if len(key) == 32 else "not 32 bytes"
    assert (key_problem(key) is None) == (python is None)
    if kind == "honest":
        assert python is None
    elif kind != "random":
        assert python is not None
        with pytest.raises(ValueError, match="not a usable ed25519 public key"):
            PublicKey(key)


def test_every_small_order_key_is_refused_with_the_reason() -> None:
    for key in SMALL_ORDER:
        assert key_problem(key) == "a point of small order (anyone can forge signatures under it)"
        assert E.weak_key(key)
    # under the identity, (R, S) = (identity, 0) verifies for any message with OpenSSL
    # alone: the reason small-order keys are refused before any signature is checked
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    Ed25519PublicKey.from_public_bytes(IDENTITY).verify(IDENTITY + bytes(32), b"any message")
    assert not E.verify(IDENTITY, IDENTITY + bytes(32), b"any message")


# -- signatures: generated hostile ones, both back ends -----------------------------------

KINDS = ["honest", "torsion_r", "identity_r", "s_plus_l", "flip", "random_r", "wrong_msg"]


def hostile(kind: str, seed: bytes, msg: bytes, k: int, bit: int, raw: bytes) -> bytes:
    if kind == "torsion_r":
        return sign(seed, msg, torsion=k)
    if kind == "identity_r":
        return sign(seed, msg, r=0)
    good = sign(seed, msg)
    if kind == "s_plus_l":
        s = int.from_bytes(good[32:], "little") + L
        return good[:32] + s.to_bytes(32, "little")
    if kind == "flip":
        flipped = bytearray(good)
        flipped[bit // 8] ^= 1 << (bit % 8)
        return bytes(flipped)
    if kind == "random_r":
        return raw + good[32:]
    return good


@settings(max_examples=120, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    seed=st.binary(min_size=32, max_size=32),
    msg=st.binary(max_size=64),
    k=st.integers(1, 7),
    bit=st.integers(0, 511),
    raw=st.binary(min_size=32, max_size=32),
)
def test_back_ends_agree_on_generated_hostile_signatures(
    kind: str, seed: bytes, msg: bytes, k: int, bit: int, raw: bytes
) -> None:
    public = expand(seed)[2]
    signature = hostile(kind, seed, msg, k, bit, raw)
    message = msg + b"!" if kind == "wrong_msg" else msg
    answers = {b: PublicKey(public, backend=b).verify(signature, message) for b in BACKENDS}
    assert len(set(answers.values())) == 1, answers
    assert answers["openssl"] is (kind == "honest")


def test_the_cases_that_split_the_raw_libraries_are_refused_by_both() -> None:
    """OpenSSL alone accepts R = identity; a cofactored libsodium would accept a
    small-order point added to R (the released ones refuse it: COFACTORED is False)."""
    seed, msg = bytes(range(32)), b"pay bob 5"
    public = expand(seed)[2]
    raw = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    identity_r = sign(seed, msg, r=0)
    assert identity_r[:32] == IDENTITY
    raw.verify(identity_r, msg)  # OpenSSL alone accepts it (raises if not)
    key, signed = E._TORSION_PROBE
    assert key == expand(bytes(32))[2]
    assert signed == sign(bytes(32), b"accord.ed25519 self-test", torsion=1) + signed[64:]
    if E.BACKEND == "libsodium":
        from nacl.bindings import crypto_sign_open
        from nacl.exceptions import BadSignatureError

        assert not E.COFACTORED
        for k in range(1, 8):
            with pytest.raises(BadSignatureError):
                crypto_sign_open(sign(seed, msg, torsion=k) + msg, public)
    for backend in BACKENDS:
        verifier = PublicKey(public, backend=backend)
        assert not verifier.verify(identity_r, msg)
        assert not any(verifier.verify(sign(seed, msg, torsion=k), msg) for k in range(1, 8))


@pytest.mark.skipif(E.BACKEND != "libsodium", reason="PyNaCl not installed")
@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    seed=st.binary(min_size=32, max_size=32),
    msg=st.binary(max_size=64),
    k=st.integers(1, 7),
    bit=st.integers(0, 511),
    raw=st.binary(min_size=32, max_size=32),
)
def test_the_check_added_under_a_cofactored_libsodium_keeps_the_rule(
    kind: str, seed: bytes, msg: bytes, k: int, bit: int, raw: bytes
) -> None:
    """The path a cofactored libsodium would take (its R subgroup check), run on the
    installed one: it answers as the rule does."""
    public = expand(seed)[2]
    signature = hostile(kind, seed, msg, k, bit, raw)
    message = msg + b"!" if kind == "wrong_msg" else msg
    saved = E.COFACTORED
    E.COFACTORED = True
    try:
        checked = E._sodium_verifier(public)
    finally:
        E.COFACTORED = saved
    assert checked(signature, message) is (kind == "honest")


@pytest.mark.parametrize("backend", BACKENDS)
def test_malformed_signatures_are_false_not_errors(backend: str) -> None:
    seed = bytes(32)
    key = PublicKey(expand(seed)[2], backend=backend)
    good = sign(seed, b"m")
    for bad in (b"", good[:63], good + b"\x00", bytes(64), "x" * 64, None, 5):
        assert key.verify(bad, b"m") is False  # type: ignore[arg-type]
    assert key.verify(good, "m") is False  # type: ignore[arg-type]


def test_an_unknown_back_end_is_refused() -> None:
    with pytest.raises(ValueError, match="back end"):
        PublicKey(expand(bytes(32))[2], backend="gpg")


# -- the device refuses small-order keys at genesis and when opening an account ----------


@pytest.mark.parametrize("key", SMALL_ORDER)
def test_device_genesis_refuses_a_small_order_key(key: bytes) -> None:
    genesis = Genesis(accounts=["bob"], public_keys={"mallory": key.hex()})
    with pytest.raises(UnknownAccount) as raised:
        Device(DeviceConfig(), genesis)
    message = str(raised.value)
    assert "\n" not in message and "'mallory'" in message and "small order" in message


def test_device_open_account_refuses_weak_keys_and_changes_nothing() -> None:
    log = MemoryLog()
    device = Device(DeviceConfig(), Genesis(accounts=["bob"]), store=log)
    before = (device.accounts, len(log.records), device.state_hash())
    for key in [*SMALL_ORDER, _mixed(bytes(32), 3)]:
        with pytest.raises(UnknownAccount, match="'mallory': not a usable ed25519 public key"):
            device.open_account("mallory", key)
        assert (device.accounts, len(log.records), device.state_hash()) == before
    honest = expand(bytes(32))[2]
    device.open_account("carol", honest)
    assert device.public_key("carol") == honest
