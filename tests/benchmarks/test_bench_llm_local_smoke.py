"""bench_llm_local.py at its smallest: one short call to the real model, timed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from accord.agents.llm.local import local_stack_available

ROOT = Path(__file__).resolve().parents[2]


def test_bench_llm_local_times_a_real_call() -> None:
    missing = local_stack_available()
    if missing is not None:
        if os.environ.get("ACCORD_EXPECT_LLM_LOCAL") == "1":
            pytest.fail(f"ACCORD_EXPECT_LLM_LOCAL=1 but the local model cannot run: {missing}")
        pytest.skip(missing)
    cmd = [sys.executable, str(ROOT / "benchmarks" / "bench_llm_local.py")]
    cmd += ["--calls", "1", "--max-tokens", "24", "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["calls"] == 1 and report["llm_step_s_p50"] > 0
    assert report["prompt_tokens_mean"] > 500 and 0 < report["completion_tokens_mean"] <= 24
    assert report["finish_reasons"] in ({"length": 1}, {"stop": 1})
