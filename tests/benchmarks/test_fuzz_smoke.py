"""Smoke tests of the device fuzzer (``benchmarks/fuzz_device.py``) at a tiny size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.fuzz_episode import CLASSES
from tests.benchmarks.test_bench_smoke import run_script, run_text

ROOT = Path(__file__).resolve().parents[2]
FUZZ = ROOT / "benchmarks" / "fuzz_device.py"
KEYS = {
    "inputs_tried",
    "halts",
    "invariant_breaks",
    "max_block_ms",
    "per_class",
    "seed",
    "unclean_refusals",
    "failures",
}
TIMING = {"max_block_ms", "max_block_class", "elapsed_s", "cpu_s", "inputs_per_s"}


def fuzz(*args: str) -> dict[str, Any]:
    return run_script(FUZZ, "--json", "--inputs", "3000", "--blocks", "4", *args)


def test_fuzz_reports_every_class_and_adds_up() -> None:
    report = fuzz("--seed", "1")
    assert report.keys() >= KEYS
    assert report["seed"] == 1
    assert report["inputs_tried"] >= 3000
    per_class = report["per_class"]
    assert sum(c["inputs"] for c in per_class.values()) == report["inputs_tried"]
    assert sum(c["halts"] for c in per_class.values()) == report["halts"]
    breaks = sum(c["invariant_breaks"] for c in per_class.values()) + report["replay_breaks"]
    assert breaks == report["invariant_breaks"]
    for name, counts in per_class.items():
        if name != "builder":  # a builder's choices are not submitted one by one
            settled = counts["admitted"] + counts["refused"] + counts["unclean_refusals"]
            assert settled == counts["inputs"], name
    assert report["blocks"] > 0 and report["max_block_ms"] > 0
    for failure in report["failures"]:  # every failure is recorded, never raised
        assert failure["kind"] in ("halt", "break")
        assert failure["error"]


def test_fuzz_is_deterministic_given_the_seed() -> None:
    first, again = fuzz("--seed", "5"), fuzz("--seed", "5")
    for key in TIMING:
        first.pop(key), again.pop(key)
    assert first == again


def test_fuzz_table_mode_runs() -> None:
    assert '"inputs_tried"' in run_text(FUZZ, "--inputs", "500", "--blocks", "2")


def test_fuzz_finds_no_halt_no_break_and_no_unclean_refusal() -> None:
    """Every hostile class, a turn each, under the drawn designs: the device holds."""
    report = fuzz("--seed", "7", "--every-class", "--blocks", "10")
    classes = {name for name, counts in report["per_class"].items() if counts["inputs"]}
    assert classes >= set(CLASSES) - {"contract"}, classes
    assert report["halts"] == 0, report["failures"][:3]
    assert report["invariant_breaks"] == 0, report["failures"][:3]
    assert report["unclean_refusals"] == 0, report["unclean_examples"]


def test_the_finality_class_leaves_the_other_classes_draws_as_they_were() -> None:
    """It runs in episodes of its own, from a stream of its own: without it (size 0)
    every other class's counts are the same."""
    with_it = fuzz("--seed", "2", "--finality-inputs", "120")
    without = fuzz("--seed", "2", "--finality-inputs", "0")
    finality = with_it["per_class"].pop("finality")
    assert without["per_class"].pop("finality")["inputs"] == 0
    assert with_it["per_class"] == without["per_class"]
    assert finality["inputs"] >= 120
    assert with_it["inputs_tried"] == without["inputs_tried"] + finality["inputs"]
    assert finality["halts"] == 0 and finality["invariant_breaks"] == 0, with_it["failures"]
    assert with_it["finality"]["blocks"] > 0 and with_it["finality"]["forks"] > 0


def test_a_block_rolled_back_for_an_internal_error_is_a_halt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The device seals such a block again without the item at fault, or empty, and
    moves on; the fuzzer counts it as a halt (before, ``build_block`` returning was
    enough, and a posting that kept every block empty went unseen): here the first
    hostile block's execution fails once (not a deploy's strict automine block)."""
    from accord.device.production import BlockProduction
    from benchmarks import fuzz_device

    execute = BlockProduction._execute_block_now
    failed: list[int] = []

    def flaky(self: Any, number: int, *rest: Any) -> Any:
        strict = rest[3]
        if not strict and not failed:
            failed.append(number)
            raise RuntimeError("execution failed")
        return execute(self, number, *rest)

    monkeypatch.setattr(BlockProduction, "_execute_block_now", flaky)
    args = fuzz_device.parse_args(
        ["--json", "--inputs", "500", "--blocks", "4", "--seed", "7", "--finality-inputs", "0"]
    )
    report = fuzz_device.run(args)
    assert len(failed) == 1 and report["halts"] == 1
    (halt,) = [f for f in report["failures"] if f["kind"] == "halt"]
    expected = f"block rolled back: block {failed[0]}: internal error"
    assert halt["error"].startswith(expected) and halt["block"] == failed[0], halt


def test_fuzzing_in_process_leaves_the_suites_modules_alone() -> None:
    """The fuzzer probes whether the device imports modules a deployer names by
    unloading them between blocks; run inside a test suite it must not unload a module
    the suite had loaded (``tests.device.sample_contracts``: a second copy of its classes
    fails every ``isinstance`` against the first, as four device tests did when the
    rolled-back test above ran first)."""
    import sys

    from benchmarks import fuzz_device
    from tests.device import sample_contracts

    args = fuzz_device.parse_args(
        ["--json", "--inputs", "300", "--blocks", "3", "--seed", "7", "--finality-inputs", "0"]
    )
    report = fuzz_device.run(args)
    assert report["halts"] == 0 and report["inputs_tried"] >= 300
    assert sys.modules["tests.device.sample_contracts"] is sample_contracts
