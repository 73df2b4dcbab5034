"""The node soak at a small size: the real ``accord node`` killed with SIGKILL twice (once
while a block is being sealed on demand) and a client process killed mid-stream; nothing
acknowledged may be lost and an independent replay must give the node's state hash.

This is a durability test of the node, not a timing one: the soak waits on ``/health``
and on the clients' own records, never on a sleep, and checks no duration.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SOAK = ROOT / "benchmarks" / "soak_node.py"
KEYS = {
    "blocks",
    "tx_acknowledged",
    "tx_included",
    "lost",
    "kills",
    "restarts",
    "restart_s",
    "replay_equal",
    "wall_s",
}


def run_soak(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(SOAK), *args, "--json", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    assert lines, f"no output (exit {done.returncode}): {done.stderr[-2000:]}"
    report: dict[str, Any] = json.loads(lines[-1])
    assert done.returncode == 0, (report.get("failures"), done.stderr[-2000:])
    return report


def test_kill_9_mid_seal_and_mid_restart_and_a_killed_client_lose_nothing() -> None:
    report = run_soak("--blocks", "60", "--kills", "2", "--client-kills", "1", "--seed", "5")
    assert report.keys() >= KEYS
    assert report["ok"] is True and report["failures"] == []
    assert report["lost"] == 0 and report["lost_blocks"] == 0 and report["lost_accounts"] == 0
    assert report["replay_equal"] is True and report["conservation"] is True
    # the schedule: a kill while /admin/block is sent, then one while the clients send
    # and another a moment after the restart is spawned; each kill is followed by a start
    assert report["kills"] == report["restarts"] == 3
    assert report["kills_mid_seal"] <= 1 and report["kills_in_startup"] <= 1
    assert report["requests_in_flight_at_kills"] >= 1
    assert report["client_kills"] == 1 and report["client_in_flight_at_kill"] is True
    assert report["client_acks"] >= 12
    # every acknowledged payload is accounted for: in a block, or replaced by its own
    # same-nonce replacement (the only way this workload lets one leave the pool)
    assert report["tx_included"] + report["tx_replaced"] == report["tx_acknowledged"]
    kinds = report["acknowledged_by_kind"]
    assert {"deploy", "transfer", "call", "child"} <= set(kinds)
    assert report["tx_replaced"] >= kinds.get("replace", 0)
    assert report["accounts_opened"] == kinds.get("open_account", 0)
    # hostile payloads: sent, and every one refused
    assert report["noise_sent"] > 0 and report["noise_refused"] == report["noise_sent"]
    assert report["blocks_acknowledged"] >= 60 and report["device_time_s"] >= 60
    # supply: genesis less what the base fees burned (5 accounts x 10^18 ETH, 10^9 USD)
    assert report["supply"] == {"ETH": 5 * 10**18 - report["burned"], "USD": 5 * 10**9}
    assert report["burned"] > 0


def test_kill_9_under_the_block_timer_loses_nothing() -> None:
    """The node seals on its own timer (empty blocks too); killed a seeded moment into a
    block interval, restarted, and checked after a restart with the timer off."""
    report = run_soak(
        "--blocks", "30", "--kills", "1", "--client-kills", "0", "--block-interval-ms", "50"
    )
    assert report["ok"] is True and report["lost"] == 0 and report["replay_equal"] is True
    assert report["kills"] == report["restarts"] == 1
    assert report["block_interval_ms"] == 50 and report["head"] >= 30
    assert report["tx_included"] + report["tx_replaced"] == report["tx_acknowledged"] > 0
    assert report["noise_refused"] == report["noise_sent"]
