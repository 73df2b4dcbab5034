"""The genesis contract allowlist (``Genesis.contract_modules``,
``validation.resolve_contract_class``): a deploy's class path is checked for syntax and
against the allowlist before anything is imported, in the device and in replay."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.contracts.vault import Vault
from accord.device import DEPLOY, Device, DeviceConfig, Genesis, UnknownMethod, replay
from accord.device.validation import allowlisted, resolve_contract_class
from tests.device.conftest import make_genesis

REPO = Path(__file__).resolve().parents[2]
DEFAULT = ("accord.contracts",)

NOT_IMPORTED = textwrap.dedent(
    """
    import json, sys
    from accord.device import DEPLOY, AssetSpec, Device, DeviceConfig, Genesis, Rejected
    watched = ["this", "json.tool", "http.server", "tests.device.sample_contracts", "tests"]
    before = [m for m in watched if m in sys.modules]
    genesis = Genesis(assets={"ETH": AssetSpec(issuer="t", alloc={"a": 10**18})})
    device = Device(DeviceConfig(), genesis)
    a = device.account("a")
    outcomes = []
    for path in ["this:X", "json.tool:main", "http.server:HTTPServer",
                 "tests.device.sample_contracts:Vault", "this:__loader__"]:
        tx = device.sign(a, DEPLOY, path, gas_limit=2_000_000)
        try:
            device.submit(tx)  # refused at admission ...
        except Rejected as exc:
            outcomes.append(exc.field)
        # ... and by the block loop, if a builder inserts it anyway
        block = device._execute_block(device.number + 1, device.now + 1, "b", [(tx, 0, 0)])
        outcomes.append([s.field for s in block.skipped] + [len(block.transactions)])
    after = [m for m in watched if m in sys.modules]
    print(json.dumps({"before": before, "after": after, "outcomes": outcomes}))
    """
)


def test_a_deploy_outside_the_allowlist_imports_nothing() -> None:
    """Issue 11, item 8: ``"this:X"`` printed the Zen of Python. In a fresh interpreter,
    deploys naming modules outside the allowlist are refused (field ``method``) and
    none of those modules is imported."""
    done = subprocess.run(
        [sys.executable, "-c", NOT_IMPORTED],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "Beautiful is better than ugly" not in done.stdout
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["before"] == [] and report["after"] == []
    assert report["outcomes"] == ["method", ["method", 0]] * 5


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (".x:Y", "not of the form"),
        ("x.:Y", "not of the form"),
        ("x", "not of the form"),
        (":Y", "not of the form"),
        ("x:", "not of the form"),
        ("a b:C", "not of the form"),
        ("x:Y:Z", "not of the form"),
        ("accord.contracts.vault:Vault.__init__", "dunder"),
        ("accord.contracts.vault:__builtins__", "dunder"),
        ("accord.contractsX:Vault", "not in the genesis contract allowlist"),
        ("accord:contracts", "not in the genesis contract allowlist"),
        ("os:system", "not in the genesis contract allowlist"),
        ("accord.contracts.vault:Contract", "outside the genesis contract allowlist"),
        ("accord.contracts.vault:public", "not a Contract subclass"),
        ("accord.contracts.nope:Vault", "cannot import"),
        ("accord.contracts.vault:Nope", "cannot import"),
        ("x" * 201 + ":Y", "not of the form"),
    ],
)
def test_bad_class_paths_are_refused_with_a_reason(path: str, message: str) -> None:
    with pytest.raises(UnknownMethod, match=message):
        resolve_contract_class(path, DEFAULT)


def test_non_strings_are_refused() -> None:
    for bad in (None, 5, b"accord.contracts.vault:Vault", ("accord.contracts.vault", "Vault")):
        with pytest.raises(UnknownMethod, match="as a string"):
            resolve_contract_class(bad, DEFAULT)  # type: ignore[arg-type]


def test_an_allowlisted_class_resolves() -> None:
    assert resolve_contract_class("accord.contracts.vault:Vault", DEFAULT) is Vault
    assert resolve_contract_class(Vault.class_path(), ("accord.contracts.vault",)) is Vault
    assert allowlisted("accord.contracts", DEFAULT)
    assert not allowlisted("accord.contracts_evil", DEFAULT)


@settings(max_examples=300, deadline=None)
@given(
    path=st.one_of(
        st.text(max_size=60),
        st.builds(
            lambda m, c: f"{m}:{c}",
            st.from_regex(r"[a-z_][a-z0-9_.]{0,30}", fullmatch=True),
            st.from_regex(r"[A-Za-z_][A-Za-z0-9_.]{0,20}", fullmatch=True),
        ),
    )
)
def test_generated_paths_import_nothing_outside_the_allowlist(path: str) -> None:
    module = path.partition(":")[0]
    before = set(sys.modules)
    try:
        cls = resolve_contract_class(path, DEFAULT)
    except UnknownMethod:
        cls = None
    new = set(sys.modules) - before
    if not allowlisted(module, DEFAULT):
        assert new == set(), f"{path!r} imported {sorted(new)}"
        assert cls is None
    if cls is not None:
        assert allowlisted(cls.__module__, DEFAULT)


def test_the_device_refuses_and_drops_a_deploy_outside_its_allowlist() -> None:
    device = Device(DeviceConfig(), Genesis(accounts=[], assets=make_genesis().assets))
    alice = device.account("alice")
    tx = device.sign(alice, DEPLOY, "tests.device.sample_contracts:Vault", gas_limit=2_000_000)
    before = device.state_hash()
    with pytest.raises(UnknownMethod, match="not in the genesis contract allowlist"):
        device.submit(tx)
    assert device.state_hash() == before and len(device.mempool) == 0
    # in a block (a builder's own insertion): skipped and dropped, nothing charged
    block = device._execute_block(1, device.now + 1, "builder", [(tx, 0, 0)])
    assert block.transactions == ()
    (skipped,) = block.skipped
    assert skipped.field == "method" and skipped.dropped
    assert "not in the genesis contract allowlist" in skipped.reason
    assert device.nonce("alice") == 0 and len(device.mempool) == 0
    # the same deploy on a device whose genesis allowlists tests/ lands
    allowed = Device(DeviceConfig(), make_genesis())
    receipt = allowed.execute(allowed.sign(allowed.account("alice"), DEPLOY, tx.method))
    assert receipt.ok


def test_replay_resolves_classes_through_the_logged_allowlist(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    device = Device(DeviceConfig(), make_genesis(), store=path)
    device.execute(
        device.sign(
            device.account("alice"),
            DEPLOY,
            "tests.device.sample_contracts:Vault",
            gas_limit=2_000_000,
        )
    )
    device.log.close()  # type: ignore[attr-defined]
    replayed = replay(path)
    assert replayed.genesis.contract_modules == ("accord.contracts", "tests")
    assert replayed.state_hash() == device.state_hash()


@pytest.mark.parametrize("entry", ["", ".x", "x.", "a b", "x:Y", "1abc", "x" * 201])
def test_the_genesis_refuses_a_malformed_allowlist_entry(entry: str) -> None:
    with pytest.raises(ValueError, match="contract_modules"):
        Genesis(contract_modules=(entry,))
