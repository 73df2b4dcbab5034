"""Accounts, keys and signatures (accord/device/keys.py, transaction.py, device.py):
keys never derive from the seed or reach the log, the chain id is signed, forged
signatures of any shape are refused, key files are checked, and the device verifies
with public keys only under ed25519."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.device import (
    AssetSpec,
    BadSignature,
    Device,
    DeviceConfig,
    DeviceError,
    Genesis,
    Rejected,
    UnknownAccount,
    replay,
)
from accord.device.keys import KEY_FILE_FORMAT, KeyFileError, Keyring
from accord.device.transaction import Account, key_fingerprint
from tests.device.conftest import make_device

SCHEMES = ("ed25519", "mac")
GENESIS = Genesis(
    assets={"ETH": AssetSpec(issuer="treasury", alloc={"alice": 10**18, "bob": 10**18})}
)


def device_of(scheme: str, **kwargs: Any) -> Device:
    config = {"signatures": scheme, **kwargs.pop("config", {})}
    return Device(DeviceConfig(**config), GENESIS, **kwargs)


# -- keys never come from the seed, and never reach the log ----------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
def test_two_devices_with_one_seed_share_no_key(scheme: str) -> None:
    """Issue 11, item 7: keys were derived from the seed, so two devices with one seed
    shared keys. Now each device draws its keyring fresh."""
    one, two = device_of(scheme, seed=7), device_of(scheme, seed=7)
    assert one.account("alice").key != two.account("alice").key
    tx = one.sign(one.account("alice"), "bob", value={"ETH": 1})
    with pytest.raises(BadSignature, match="not signed by 'alice'"):
        two.submit(tx)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_log_holds_no_key_and_the_seed_derives_none(scheme: str, tmp_path: Path) -> None:
    """Anyone holding a log once recovered every key from its seed. Neither the old
    derivation from the seed nor any byte string in the log is a key."""
    path = tmp_path / "run.db"
    seed = 3
    device = device_of(scheme, seed=seed, store=path)
    alice = device.account("alice")
    device.call(alice, "bob", value={"ETH": 5})
    device.log.close()  # type: ignore[attr-defined]
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    secret = device.keyring._secret
    for name in device.accounts:
        key = device.account(name).key
        assert key not in raw and key.hex().encode() not in raw
        # the derivation the device used before issue 11
        seed_key = hashlib.blake2b(str(seed).encode(), digest_size=32, person=b"accord.seed")
        old = hashlib.blake2b(name.encode(), key=seed_key.digest(), digest_size=32).digest()
        assert old != key
    assert secret not in raw and secret.hex().encode() not in raw
    # what the log does hold: public keys (ed25519) or fingerprints (MAC), which replay
    # needs and which sign nothing
    logged = Genesis.model_validate_json(_meta(path)["genesis"]).public_keys
    assert logged["alice"] == alice.public_key.hex()


def _meta(path: Path) -> dict[str, str]:
    db = sqlite3.connect(path)
    try:
        return dict(db.execute("SELECT key, value FROM meta").fetchall())
    finally:
        db.close()


# -- the chain id ----------------------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_transaction_signed_for_another_chain_is_refused(scheme: str) -> None:
    keyring = Keyring()
    device = device_of(scheme, keyring=keyring, config={"chain_id": 5})
    assert device.account("alice").chain_id == 5
    elsewhere = keyring.account("alice", scheme=scheme, chain_id=6)  # type: ignore[arg-type]
    tx = elsewhere.sign(0, "bob", value={"ETH": 1}, max_fee=3_000)
    with pytest.raises(BadSignature, match="for chain 5"):
        device.submit(tx)
    assert len(device.mempool) == 0
    same = keyring.account("alice", scheme=scheme, chain_id=5)  # type: ignore[arg-type]
    device.submit(same.sign(0, "bob", value={"ETH": 1}, max_fee=3_000))
    # messages too: a signature for chain 6 is not one for chain 5
    assert not device.verify_message("alice", b"vote", elsewhere.sign_message(b"vote"))
    assert device.verify_message("alice", b"vote", same.sign_message(b"vote"))


def test_chain_id_is_a_non_negative_64_bit_int() -> None:
    for bad in (-1, 1 << 64, 1.0, "1", True):
        with pytest.raises(ValueError, match="chain_id"):
            DeviceConfig(chain_id=bad)
    assert DeviceConfig(chain_id=(1 << 64) - 1).chain_id == (1 << 64) - 1


# -- forged signatures of every shape --------------------------------------------------

hostile_signatures = st.one_of(
    st.binary(max_size=130),
    st.integers(),
    st.text(max_size=70),
    st.none(),
    st.floats(allow_nan=True),
    st.lists(st.integers(0, 255), max_size=70).map(bytes).map(bytearray),
    st.tuples(st.binary(max_size=64)),
)


@pytest.mark.parametrize("scheme", SCHEMES)
@settings(max_examples=150, deadline=None)
@given(signature=hostile_signatures)
def test_a_forged_signature_of_any_length_or_type_is_refused(scheme: str, signature: Any) -> None:
    device = DEVICES[scheme]
    tx = device.sign(device.account("alice"), "bob", value={"ETH": 1})
    forged = tx._replace(signature=signature)
    if signature == tx.signature:  # hypothesis will not find the real one, but be exact
        return
    with pytest.raises(BadSignature, match="not signed by 'alice'"):
        device.submit(forged)
    with pytest.raises(BadSignature):
        device.verify(forged)
    assert len(device.mempool) == 0
    assert device.verify_message("alice", b"m", signature) is False


DEVICES = {scheme: device_of(scheme) for scheme in SCHEMES}


@pytest.mark.parametrize("scheme", SCHEMES)
def test_another_accounts_signature_and_an_altered_transaction_are_refused(scheme: str) -> None:
    device = device_of(scheme)
    alice, bob = device.account("alice"), device.account("bob")
    tx = alice.sign(0, "bob", value={"ETH": 1}, max_fee=3_000)
    by_bob = tx._replace(signature=bob.sign_digest(tx.hash))
    with pytest.raises(BadSignature, match="not signed by 'alice'"):
        device.submit(by_bob)
    altered = tx._replace(value=(("ETH", 2),))
    with pytest.raises(BadSignature, match="altered"):
        device.submit(altered)
    device.submit(tx)


def test_sign_content_signs_hostile_fields_as_given() -> None:
    """The helper hostile tests use: any nine encodable fields, hashed and signed; the
    device's signature check passes, so the admission checks are what must refuse."""
    device = device_of("ed25519")
    alice = device.account("alice")
    tx = alice.sign_content(("alice", 0, "bob", "", (), (("ETH", -5),), 21_000, 1.5, -1))
    device.verify(tx)  # signed by alice: the signature is not what is wrong here
    with pytest.raises(Rejected, match="content"):
        alice.sign_content(("alice", 0))


# -- agents hold their own keys --------------------------------------------------------


def test_an_agent_keeps_its_own_key_and_the_device_cannot_sign_for_it() -> None:
    mine = Keyring()
    carol = mine.account("carol", scheme="ed25519", chain_id=1)
    genesis = GENESIS.model_copy(
        update={
            "public_keys": {"carol": carol.public_key.hex()},
            "assets": {
                "ETH": AssetSpec(issuer="treasury", alloc={"alice": 10**18, "carol": 10**18})
            },
        }
    )
    device = Device(DeviceConfig(), genesis)
    assert device.public_key("carol") == carol.public_key
    with pytest.raises(UnknownAccount, match="holds no key for 'carol'"):
        device.account("carol")
    tx = carol.sign(0, "alice", value={"ETH": 7}, max_fee=3_000)
    device.submit(tx)
    device.build_block()
    assert device.balance("alice", "ETH") == 10**18 + 7
    # the device's own key for the name signs nothing for carol
    impostor = device.keyring.account("carol", scheme="ed25519", chain_id=1)
    with pytest.raises(BadSignature):
        device.submit(impostor.sign(1, "alice", value={"ETH": 1}, max_fee=3_000))


def test_under_the_mac_the_device_must_hold_every_key() -> None:
    stranger = Keyring().public_key("carol", "mac")
    genesis = GENESIS.model_copy(update={"public_keys": {"carol": stranger.hex()}})
    with pytest.raises(DeviceError, match="must hold every key"):
        Device(DeviceConfig(signatures="mac"), genesis)


def test_genesis_public_keys_are_checked() -> None:
    for bad in ("zz" * 32, "ab", "AB" * 32, 5):
        with pytest.raises(ValueError, match="public_keys"):
            Genesis(public_keys={"alice": bad})  # type: ignore[dict-item]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_accounts_opened_later_are_logged_with_their_key_and_replay(
    scheme: str, tmp_path: Path
) -> None:
    path = tmp_path / "run.db"
    device = device_of(scheme, store=path)
    zed = device.open_account("zed")
    assert zed is not None and zed.public_key == device.public_key("zed")
    outsider = Keyring().account("yan", scheme=scheme, chain_id=1)  # type: ignore[arg-type]
    if scheme == "ed25519":
        assert device.open_account("yan", outsider.public_key) is None  # held elsewhere
    device.call(device.account("alice"), "zed", value={"ETH": 10**15})
    device.call(zed, "alice", value={"ETH": 1})
    device.log.close()  # type: ignore[attr-defined]
    again = replay(path, keys=device.keyring)
    assert again.state_hash() == device.state_hash()
    assert again.public_key("zed") == zed.public_key


# -- key files -------------------------------------------------------------------------


def test_a_key_file_round_trips_and_is_never_overwritten(tmp_path: Path) -> None:
    keyring = Keyring()
    path = keyring.save(tmp_path / "keys.json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    loaded = Keyring.load(path)
    assert loaded.account("alice", scheme="mac", chain_id=1) == keyring.account(
        "alice", scheme="mac", chain_id=1
    )
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="exists; refusing to overwrite"):
        Keyring().save(path)
    assert path.read_bytes() == before
    assert keyring._secret.hex() not in repr(keyring)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(None, "no such file", id="missing"),
        pytest.param(b"", "not JSON", id="empty"),
        pytest.param(b'{"format": "accord-keyring/1", "sec', "not JSON", id="truncated"),
        pytest.param(b"[1, 2]", "expected a JSON object, got list", id="list"),
        pytest.param(b"7", "expected a JSON object, got int", id="number"),
        pytest.param(b'{"secret": "00"}', "format must be", id="no-format"),
        pytest.param(b'{"format": "pem", "secret": "00"}', "format must be", id="other-format"),
        pytest.param(
            b'{"format": "accord-keyring/1", "secret": "00"}', "64 hex digits", id="short"
        ),
        pytest.param(
            b'{"format": "accord-keyring/1", "secret": 12}', "64 hex digits", id="int-secret"
        ),
        pytest.param(
            b'{"format": "accord-keyring/1", "secret": "' + b"zz" * 32 + b'"}',
            "not hex",
            id="not-hex",
        ),
        pytest.param(
            b'{"format": "accord-keyring/1", "secret": "' + b"00" * 32 + b'", "x": 1}',
            "unexpected keys",
            id="extra-key",
        ),
        pytest.param(b"\xff\xfe\x00", "cannot read", id="not-utf8"),
    ],
)
def test_a_bad_key_file_is_refused_in_one_line(
    content: bytes | None, message: str, tmp_path: Path
) -> None:
    path = tmp_path / "keys.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(KeyFileError, match=message) as info:
        Keyring.load(path)
    assert "\n" not in str(info.value)


def test_a_keyring_secret_is_32_bytes() -> None:
    for bad in (b"", b"x" * 31, b"x" * 33, "x" * 32, bytearray(32)):
        with pytest.raises(KeyFileError, match="32 bytes"):
            Keyring(bad)  # type: ignore[arg-type]
    assert KEY_FILE_FORMAT == "accord-keyring/1"


# -- replaying a MAC log ---------------------------------------------------------------


def test_a_mac_log_replays_only_with_its_key_file_or_trusting_signatures(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    device = device_of("mac", store=path)
    device.call(device.account("alice"), "bob", value={"ETH": 5})
    device.log.close()  # type: ignore[attr-defined]
    keys = device.keyring.save(tmp_path / "keys.json")
    with pytest.raises(DeviceError, match="needs the run's key file"):
        replay(path)
    with pytest.raises(DeviceError, match="wrong key file"):
        replay(path, keys=Keyring())
    checked = replay(path, keys=keys)
    assert not checked.trusts_signatures
    assert checked.state_hash() == device.state_hash()
    trusted = replay(path, trust_signatures=True)
    assert trusted.trusts_signatures
    assert trusted.state_hash() == device.state_hash()


def test_the_fingerprint_is_public_and_reveals_nothing_obvious() -> None:
    account = Account("alice", b"k" * 32, "mac", 1)
    assert account.public_key == key_fingerprint(b"k" * 32) != b"k" * 32
    assert len(account.public_key) == 32


def test_device_keys_are_independent_of_the_state_hash() -> None:
    """The economic state does not depend on key material: one scenario, one seed,
    fresh keys each time, give equal state hashes block by block and different genesis
    hashes."""
    runs = []
    for _ in range(2):
        device = make_device(seed=4)
        alice, bob = device.account("alice"), device.account("bob")
        for i in range(3):
            device.submit(device.sign(alice, "bob", value={"ETH": i + 1}))
            device.submit(device.sign(bob, "carol", value={"USD": i + 1}))
            device.build_block()
        runs.append(device)
    first, second = runs
    assert [h.state_hash for h in first.headers] == [h.state_hash for h in second.headers]
    assert first.genesis_hash != second.genesis_hash
    assert first.headers[0].parent_hash == first.genesis_hash


def test_verify_message_refuses_non_bytes_and_unknown_signers() -> None:
    device = DEVICES["ed25519"]
    good = device.account("alice").sign_message(b"m")
    assert device.verify_message("alice", b"m", good)
    assert not device.verify_message("alice", "m", good)  # type: ignore[arg-type]
    assert not device.verify_message(["alice"], b"m", good)  # type: ignore[arg-type]
    assert not device.verify_message("nobody", b"m", good)
