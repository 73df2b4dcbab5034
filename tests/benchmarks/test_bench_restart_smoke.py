"""bench_restart on a tiny configuration: both restarts end on the same head (the
benchmark asserts it), the one from a checkpoint replays only the blocks after it, and
the node's window holds its history."""

from __future__ import annotations

from benchmarks.bench_restart import main


def test_bench_restart_smoke() -> None:
    args = ["--json", "--lengths", "200", "--block", "10", "--every", "8", "--state", "50"]
    result = main([*args, "--blocks", "10", "--mem-block", "2", "--mem-history", "4"])
    (row,) = result["restart"]
    assert row["blocks"] == 20 and row["replayed_after_checkpoint"] == 4
    assert result["memory"]["history_default"]["blocks_in_memory"] == 4
    assert result["memory"]["history_all"]["blocks_in_memory"] == 4 + 200 + 10 + 1
    (state,) = result["checkpoint_by_state"]
    assert state["balances"] == 50 and state["checkpoint_bytes"] > 50 * 20
