"""The fuzzer's finality class (``benchmarks/fuzz_finality.py``): it holds on the device,
and its checks fail where the device is wrong (a resolver that reads one block too new,
a document that stalls blocks)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from accord.device.commitments import resolver
from benchmarks import fuzz_finality


def run(seed: int = 0, inputs: int = 300) -> fuzz_finality.Totals:
    return fuzz_finality.play(random.Random(seed), inputs, blocks=30, timeout=30.0)


def test_the_device_holds_and_tracked_commitments_fire() -> None:
    totals = run()
    assert totals.inputs >= 300 and totals.episodes >= 1
    assert (totals.halts, totals.breaks, totals.unclean) == (0, 0, 0), totals.failures
    assert totals.tracked_fired > 0 and totals.forks > 0 and totals.posted > 0
    assert set(totals.kinds) == {"payment", "tracked", "complex", "hostile_field", "structural"}
    assert totals.admitted + totals.refused + totals.unclean == totals.inputs


def test_is_deterministic_given_the_stream() -> None:
    first, again = run(seed=4, inputs=120), run(seed=4, inputs=120)
    first.max_block_ms = again.max_block_ms = 0.0
    assert first == again


def test_a_resolver_reading_a_block_that_is_not_final_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One block too new (``N - k`` rather than ``N - 1 - k``): the soundness check
    names a firing whose transaction was not final."""
    init = resolver._Resolver.__init__

    def too_new(self: Any, *args: Any) -> None:
        init(self, *args)
        self.finalized += 1

    monkeypatch.setattr(resolver._Resolver, "__init__", too_new)
    totals = run()
    assert totals.breaks > 0
    assert any("fired in block" in f["error"] for f in totals.failures), totals.failures


def test_a_block_rolled_back_for_an_internal_error_is_a_halt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The device seals such a block empty and moves on; the class counts it as a halt
    (nothing an agent sent was included): here the resolver fails on any view atom."""

    def broken(self: Any, atom: Any) -> object:
        raise RuntimeError("view failed")

    monkeypatch.setattr(resolver._Resolver, "view", broken)
    totals = run()
    assert totals.halts > 0
    assert all(f["error"].startswith("block rolled back") for f in totals.failures)
