"""The genesis hash (accord/device/genesis_hash.py): every config field, every genesis
field (keys and allowlist included) and the seed are hashed; editing any of them in a
log fails replay naming the field; a consistent rewrite fails against the published
hash; a log re-signed with made-up keys no longer has the run's genesis hash."""

from __future__ import annotations

import json
import shutil
import sqlite3
import typing
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.contracts.vault import Vault
from accord.device import (
    AssetSpec,
    Device,
    DeviceConfig,
    DeviceError,
    Genesis,
    Rejected,
    replay,
)
from accord.device.genesis_hash import (
    ADDED_LATER,
    MetaMismatch,
    field_digests,
    genesis_hash,
    verify_meta,
)
from accord.device.keys import Keyring
from accord.device.store import decode_item, encode_item
from accord.device.transaction import Transaction

GENESIS = Genesis(
    assets={"ETH": AssetSpec(issuer="treasury", alloc={"alice": 10**18, "bob": 10**18})}
)


def record(path: Path, scheme: str = "ed25519") -> Device:
    device = Device(DeviceConfig(signatures=scheme), GENESIS, seed=5, store=path)
    alice, bob = device.account("alice"), device.account("bob")
    vault = device.deploy(alice, Vault)
    device.call(alice, vault, "deposit", "alice", 50)
    device.call(bob, "alice", value={"ETH": 3})
    device.log.close()  # type: ignore[attr-defined]
    return device


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Device]:
    path = tmp_path_factory.mktemp("log") / "run.db"
    return path, record(path)


def meta(path: Path) -> dict[str, str]:
    db = sqlite3.connect(path)
    try:
        return dict(db.execute("SELECT key, value FROM meta").fetchall())
    finally:
        db.close()


def edited(source: Path, tmp_path: Path, **values: str) -> Path:
    copy = tmp_path / "edited.db"
    shutil.copy(source, copy)
    db = sqlite3.connect(copy)
    with db:
        for key, value in values.items():
            assert db.execute("UPDATE meta SET value=? WHERE key=?", (value, key)).rowcount
    db.close()
    return copy


def other_value(model: type[Any], name: str, value: Any) -> Any:
    """A valid value of ``model.name`` other than ``value`` (JSON form)."""
    annotation = model.model_fields[name].annotation
    choices = [a for a in typing.get_args(annotation) if isinstance(a, str)]
    if type(value) is bool:
        return not value
    if type(value) is int:
        return value + 1
    if type(value) is str:
        if choices:
            return next(c for c in choices if c != value)
        return value + "x"
    if value is None:
        return True if name == "record_inclusions" else 1_234
    if type(value) is list:
        return [*value, "zz.mod"]
    if type(value) is dict:
        if name == "assets":
            return {**value, "NEW": {"issuer": "zed", "alloc": {}}}
        if name == "public_keys":
            return {**value, "zed": "00" * 32}
        return {**value, "zed": 1}
    raise AssertionError(f"no mutation for {name}={value!r}")


def config_fields() -> list[str]:
    return list(DeviceConfig.model_fields)


def genesis_fields() -> list[str]:
    return list(Genesis.model_fields)


@pytest.mark.parametrize("name", config_fields())
def test_editing_any_config_field_fails_replay_naming_it(
    name: str, logged: tuple[Path, Device], tmp_path: Path
) -> None:
    path, _ = logged
    config = json.loads(meta(path)["config"])
    config[name] = other_value(DeviceConfig, name, config[name])
    DeviceConfig.model_validate(config)  # still a valid config: only the digest tells
    with pytest.raises(MetaMismatch, match=rf"^config\.{name}: .*edited") as info:
        replay(edited(path, tmp_path, config=json.dumps(config)))
    assert info.value.field == f"config.{name}"


@pytest.mark.parametrize("name", genesis_fields())
def test_editing_any_genesis_field_fails_replay_naming_it(
    name: str, logged: tuple[Path, Device], tmp_path: Path
) -> None:
    path, _ = logged
    genesis = json.loads(meta(path)["genesis"])
    genesis[name] = other_value(Genesis, name, genesis[name])
    Genesis.model_validate(genesis)
    with pytest.raises(MetaMismatch, match=rf"^genesis\.{name}: .*edited") as info:
        replay(edited(path, tmp_path, genesis=json.dumps(genesis)))
    assert info.value.field == f"genesis.{name}"


def test_editing_the_seed_fails_replay_naming_it(
    logged: tuple[Path, Device], tmp_path: Path
) -> None:
    path, _ = logged
    with pytest.raises(MetaMismatch, match=r"^seed: "):
        replay(edited(path, tmp_path, seed="6"))


def test_editing_a_field_and_its_digest_is_caught_by_the_genesis_hash(
    logged: tuple[Path, Device], tmp_path: Path
) -> None:
    path, device = logged
    config = device.config.model_copy(update={"ordering": "fcfs"})
    digests = field_digests(config, device.genesis, 5)
    with pytest.raises(MetaMismatch, match=r"^genesis_hash: .*digests were edited"):
        replay(edited(path, tmp_path, config=config.model_dump_json(), digests=json.dumps(digests)))
    # ... and rewriting the genesis hash too is caught by the published one
    rewritten = edited(
        path,
        tmp_path,
        config=config.model_dump_json(),
        digests=json.dumps(digests),
        genesis_hash=genesis_hash(digests).hex(),
    )
    with pytest.raises(MetaMismatch, match="not the published"):
        replay(rewritten, genesis_hash=device.genesis_hash)
    replay(path, genesis_hash=device.genesis_hash.hex())  # the untouched log passes


def test_a_log_resigned_with_made_up_keys_no_longer_has_the_runs_genesis_hash(
    logged: tuple[Path, Device], tmp_path: Path
) -> None:
    """An attacker rebinds every account to keys of their own, re-signs every
    transaction (here: alice's deposit becomes a bigger one) and rewrites the digests and
    the genesis hash consistently: the log replays on its own terms, but its genesis
    hash is not the run's, so checking it against the published hash fails."""
    path, device = logged
    forger = Keyring()
    genesis = device.genesis.model_copy(
        update={
            "public_keys": {
                name: forger.public_key(name, "ed25519").hex() for name in device.accounts
            }
        }
    )
    digests = field_digests(device.config, genesis, 5)
    copy = edited(
        path,
        tmp_path,
        genesis=genesis.model_dump_json(),
        digests=json.dumps(digests),
        genesis_hash=genesis_hash(digests).hex(),
    )
    db = sqlite3.connect(copy)
    with db:
        for seq, payload in db.execute("SELECT seq, payload FROM records").fetchall():
            body = json.loads(payload)
            items = []
            for data in body["items"]:
                tx = decode_item(data)
                assert isinstance(tx, Transaction)
                signer = forger.account(tx.sender, scheme="ed25519", chain_id=1)
                items.append(encode_item(signer.sign_content(tx[:9])))
            body["items"] = items
            db.execute("UPDATE records SET payload=? WHERE seq=?", (json.dumps(body), seq))
    db.close()
    forged = replay(copy)  # consistent on its own terms ...
    assert forged.state_hash() == device.state_hash()
    assert forged.genesis_hash != device.genesis_hash  # ... but not the run's
    with pytest.raises(MetaMismatch, match="not the published"):
        replay(copy, genesis_hash=device.genesis_hash)
    # and under the run's own meta, the run's keys do not verify the forged transactions
    original = meta(path)
    again = tmp_path / "again"
    again.mkdir()
    restored = edited(
        copy,
        again,
        genesis=original["genesis"],
        digests=original["digests"],
        genesis_hash=original["genesis_hash"],
    )
    with pytest.raises(Rejected, match="not signed by 'alice'"):  # LogRejected, block 1
        replay(restored)


def test_a_published_genesis_hash_must_be_32_bytes_of_hex(logged: tuple[Path, Device]) -> None:
    path, _ = logged
    for bad in ("", "zz" * 32, "ab" * 31, "ab" * 33):
        with pytest.raises(DeviceError, match="64 hex digits"):
            replay(path, genesis_hash=bad)


def test_the_genesis_hash_is_block_zeros_parent_and_covers_every_field() -> None:
    device = Device(DeviceConfig(), GENESIS)
    assert device.headers[0].parent_hash == device.genesis_hash
    names = set(field_digests(device.config, device.genesis, 0))
    config_names = set(DeviceConfig.model_fields) - ADDED_LATER  # at their defaults here
    assert names == {f"config.{n}" for n in config_names} | {
        f"genesis.{n}" for n in Genesis.model_fields
    } | {"seed"}
    assert device.genesis_hash == genesis_hash(field_digests(device.config, device.genesis, 0))


def test_an_old_log_without_digests_is_refused(logged: tuple[Path, Device], tmp_path: Path) -> None:
    path, _ = logged
    copy = tmp_path / "old.db"
    shutil.copy(path, copy)
    db = sqlite3.connect(copy)
    with db:
        db.execute("DELETE FROM meta WHERE key IN ('digests', 'genesis_hash')")
    db.close()
    with pytest.raises(DeviceError, match="no field digests"):
        replay(copy)


# -- the CLI ---------------------------------------------------------------------------

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


def test_cli_replay_checks_a_published_genesis_hash(
    logged: tuple[Path, Device], tmp_path: Path
) -> None:
    path, device = logged
    ok = runner.invoke(app, ["replay", str(path), "--genesis-hash", device.genesis_hash.hex()])
    assert ok.exit_code == 0, ok.output
    assert f"genesis hash {device.genesis_hash.hex()}" in flat(ok.output)
    assert "signatures checked (ed25519)" in flat(ok.output)
    bad = runner.invoke(app, ["replay", str(path), "--genesis-hash", "ab" * 32])
    assert bad.exit_code == 1 and "not the published" in flat(bad.output)
    config = json.loads(meta(path)["config"])
    config["mempool"] = "sealed"
    edit = runner.invoke(app, ["replay", str(edited(path, tmp_path, config=json.dumps(config)))])
    assert edit.exit_code == 1 and "config.mempool" in flat(edit.output)


def test_cli_replay_of_a_mac_log_needs_keys_or_says_it_trusted(tmp_path: Path) -> None:
    path = tmp_path / "mac.db"
    device = record(path, "mac")
    refused = runner.invoke(app, ["replay", str(path)])
    assert refused.exit_code == 1 and "key file" in flat(refused.output)
    keys = device.keyring.save(tmp_path / "keys.json")
    checked = runner.invoke(app, ["replay", str(path), "--keys", str(keys)])
    assert checked.exit_code == 0, checked.output
    assert "signatures checked (mac)" in flat(checked.output)
    assert checked.output.strip().splitlines()[-1] == device.state_hash().hex()
    trusted = runner.invoke(app, ["replay", str(path), "--trust-signatures"])
    assert trusted.exit_code == 0, trusted.output
    assert "signatures were NOT checked" in flat(trusted.output)
    assert trusted.output.strip().splitlines()[-1] == device.state_hash().hex()
    (tmp_path / "bad.json").write_text("{")
    broken = runner.invoke(app, ["replay", str(path), "--keys", str(tmp_path / "bad.json")])
    assert broken.exit_code == 1 and "not JSON" in flat(broken.output)


@pytest.mark.parametrize("option", ["--genesis-hash", "--head-hash"])
@pytest.mark.parametrize("published", ["zz" * 32, "ab", "", "ab" * 40, "0x" + "ab" * 32, "é" * 64])
def test_cli_replay_refuses_a_malformed_published_hash_in_one_line(
    logged: tuple[Path, Device], option: str, published: str
) -> None:
    """A published hash that is not 64 hex digits is refused with one clear line, exit 1,
    never a traceback."""
    path, _ = logged
    done = runner.invoke(app, ["replay", str(path), option, published])
    assert done.exit_code == 1, done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)
    lines = done.output.strip().splitlines()
    assert lines and lines[-1].startswith("error:") and "64 hex digits" in flat(done.output)


def test_fields_added_later_are_hashed_only_away_from_their_default() -> None:
    """A run that does not use the fork choice has the genesis hash it had before the
    fields existed; one that does has their digests, and an edit to them is named."""
    default = field_digests(DeviceConfig(), GENESIS, 0)
    assert not {f"config.{n}" for n in ADDED_LATER} & set(default)
    heavy = DeviceConfig(
        fork_choice="heaviest",
        builder_shares={"b": 5_000},
        record_inclusions=False,
        receipts_roots=True,
    )
    digests = field_digests(heavy, GENESIS, 0)
    assert {f"config.{n}" for n in ADDED_LATER} <= set(digests)
    assert genesis_hash(digests) != genesis_hash(default)
    with pytest.raises(
        MetaMismatch, match=r"config\.builder_shares: .*at its default: the meta was edited"
    ):
        verify_meta(heavy, GENESIS, 0, default, genesis_hash(default).hex())
