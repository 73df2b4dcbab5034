"""Smoke test of benchmarks/bench_ed25519.py: a tiny run ends in a JSON line with
positive figures for every back end installed."""

from __future__ import annotations

import json

import pytest

from accord.device import ed25519
from benchmarks.bench_ed25519 import main


def test_a_tiny_run_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    result = main(["--loops", "3", "--repeats", "1", "--json"])
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed == result and result["default_backend"] == ed25519.BACKEND
    assert result["openssl_verify_us"] > 0 and result["key_check_us"] > 0
    if ed25519.BACKEND == "libsodium":
        assert result["libsodium_verify_us"] > 0 and result["speedup"] > 0
