"""Smoke test of benchmarks/bench_receipts_root.py: a tiny run ends in a JSON line with
positive figures, and its receipts are what the device's fast and general paths take."""

from __future__ import annotations

import json

import pytest

from accord.device.receipts_root import leaf_value, receipts_root
from benchmarks.bench_receipts_root import main, plain, with_events


def test_a_tiny_run_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    result = main(["--receipts", "40", "--loops", "2", "--repeats", "1", "--json"])
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed == result and result["receipts"] == 40
    assert result["plain_us_per_receipt"] > 0 and result["events_us_per_receipt"] > 0


def test_the_receipts_are_distinct_plain_and_eventful() -> None:
    receipts = plain(70)
    assert len({r[0] for r in receipts}) == 70
    assert all(leaf_value(r) == r for r in receipts)  # plain: each its own leaf value
    eventful = with_events(70)
    assert all(len(leaf_value(r)[6]) == 1 for r in eventful)
    assert receipts_root(receipts) != receipts_root(eventful)
