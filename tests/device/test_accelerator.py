"""The device's compiled hot path and its pure-Python fallback compute the same thing.

:mod:`accord.device.accelerator` chooses the path when ``accord.device`` is imported,
so each path runs in its own subprocess: :mod:`tests.device.accelerator_scenario`
(every branch of the hot path: hostile fields, forged and altered signatures,
replacements, latency, reverts, out of gas, nonce gaps) under ``ACCORD_PURE_PYTHON=1``
and without it, and everything it records must be equal, bit for bit. ``make test``
also runs the device tests under the pure path (the Makefile's ``unit`` target), and
sets ``ACCORD_EXPECT_COMPILED=1`` for the run that must be compiled: a fresh clone with a
C compiler must have built it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from accord.device import accelerator

ROOT = Path(__file__).resolve().parents[2]


def _scenario(pure: bool) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != accelerator.PURE_ENV}
    if pure:
        env[accelerator.PURE_ENV] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "tests.device.accelerator_scenario"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    record: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return record


def test_both_paths_record_the_same_receipts_refusals_and_state_hashes() -> None:
    compiled, pure = _scenario(pure=False), _scenario(pure=True)
    assert set(pure.pop("hot_path").values()) == {False}
    paths = compiled.pop("hot_path")
    assert set(paths) == set(accelerator.MODULES)
    assert compiled == pure
    # The scenario does reach what it claims to: refusals naming fields, admissions,
    # successes, reverts and out-of-gas receipts, skipped nonce gaps.
    assert any(r.startswith("InvalidValue[nonce]") for r in pure["hostile"])
    assert any(r.startswith("BadSignature[signature]") for r in pure["hostile"])
    assert any(r.startswith("ReplacementUnderpriced") for r in pure["submitted"])
    statuses = {r[1] for block in pure["blocks"] for r in block["receipts"]}
    assert statuses == {"success", "reverted", "out_of_gas"}
    assert all(block["skipped"] for block in pure["blocks"])


def test_the_environment_variable_forces_the_pure_path() -> None:
    code = (
        "from accord.device import accelerator; import json; "
        "print(json.dumps(accelerator.compiled_modules()))"
    )
    code += "; print(accelerator.describe())"
    env = dict(os.environ, **{accelerator.PURE_ENV: "1"})
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    *_, shown, said = done.stdout.strip().splitlines()
    assert json.loads(shown) == dict.fromkeys(accelerator.MODULES, False)
    assert said.startswith("accord: the device's hot path runs as pure Python")
    assert accelerator.PURE_ENV in said


def test_this_run_uses_the_path_it_was_asked_for() -> None:
    """Under ``ACCORD_PURE_PYTHON`` every module is its source; under
    ``ACCORD_EXPECT_COMPILED`` (``make test`` where a C compiler exists) every one is
    compiled; otherwise either may run (a developer's checkout without a build)."""
    found = accelerator.compiled_modules()
    assert set(found) == set(accelerator.MODULES)
    if accelerator.pure_requested():
        assert not any(found.values())
    elif os.environ.get("ACCORD_EXPECT_COMPILED", "") not in ("", "0"):
        assert all(found.values()), f"the build did not compile the hot path: {found}"
