"""The CoW settlement in a full DeFi game under ``batch``: every batch settles with the
best solution its solvers verified, on the pools exactly as they read them.

Batch ``N`` settles in block ``N + 1`` before the pools' own batches of that block
(accord.device.ordering.settlement_order), so no kept solution can meet a pool that moved
since its ``settle`` was verified. Before that rule (the settlement ordered by address
among the pools) this seed had 3 kept solutions fail their pools' ``min_out`` and one
batch refunded whole ("no kept solution ran").
"""

from __future__ import annotations

from collections import Counter

import pytest

from accord.device import Block, DeviceConfig
from accord.games.defi import routing
from accord.games.defi.routing import Params, play
from accord.games.defi.state import RunState

SMALL = Params(blocks=25, users=30, arrival_rate=1.5, sandwichers=2)


def test_the_best_verified_solution_always_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: Counter[str] = Counter()
    reasons: list[str] = []
    after = routing._after_block

    def spy(run: RunState, block: Block, before: dict[str, dict[str, int]]) -> dict[str, object]:
        for receipt in block.receipts:
            for event in receipt.events:
                if event.address == run.settlement:
                    seen[event.name] += 1
                    if event.name in ("Failed", "Unsettled"):
                        reasons.append(str(event.as_dict()["reason"]))
        return after(run, block, before)

    monkeypatch.setattr(routing, "_after_block", spy)
    play(SMALL, DeviceConfig(ordering="batch", mempool="public"), seed=2)
    assert seen["Settled"] == 9 and seen["Filled"] == 12
    assert seen["Failed"] == 0 and seen["Unsettled"] == 0, reasons
