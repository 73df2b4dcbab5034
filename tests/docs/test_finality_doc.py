"""docs/finality.md, the batch and sealed section: its backrun, its fork values and its
thresholds are what the game and the model compute (accord/games/time_bandit_backrun.py,
accord/mechanisms/time_bandit.py)."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

from accord.device import DeviceConfig
from accord.games import time_bandit_backrun as BR
from accord.games.time_bandit import TimeBanditParams
from accord.mechanisms.time_bandit import capped_race

DOC = Path(__file__).resolve().parents[2] / "docs" / "finality.md"


def section() -> str:
    text = DOC.read_text()
    return text[text.index("## Batch and sealed designs") : text.index("## Not yet")]


def test_the_backrun_is_the_games() -> None:
    order = BR.plan(TimeBanditParams(mev_kind="backrun"))
    sized = BR.batch_order(TimeBanditParams(mev_kind="backrun", bandit_order="batch"))
    text = " ".join(section().split())
    assert f"`a*` = {order.amount:,} TOK" in text and f"`out*` = {order.min_out:,} USD" in text
    assert f"worth {order.value:,}" in text and f"({sized.amount:,} TOK" in text


def test_the_fork_value_table_is_the_devices() -> None:
    rows = re.findall(
        r"^\| (fcfs or priority|batch) \| (public|sealed|public or sealed) \| "
        r"(backrun|sized for the batch) \| \**([\d,]+)\** \| ([\d,]+) \| ([\d,]+) \|$",
        section(),
        re.M,
    )
    assert len(rows) == 4
    for ordering, mempool, order, same, nxt, _ in rows:
        for rule in ("fcfs", "priority") if ordering != "batch" else ("batch",):
            for pool in ("public", "sealed") if mempool == "public or sealed" else (mempool,):
                config = DeviceConfig(ordering=rule, mempool=pool, signatures="mac")  # type: ignore[arg-type]
                for placement, figure in (("same_block", same), ("next_block", nxt)):
                    p = TimeBanditParams(
                        mev_kind="backrun",
                        placement=placement,
                        bandit_order="batch" if order.startswith("sized") else "backrun",
                    )
                    assert BR.fork_value(config, p, seed=16) == int(figure.replace(",", ""))


def test_the_thresholds_are_the_capped_races() -> None:
    rows = re.findall(r"^\| ([246]) \| ([\d,]+) \| ([\d.]+) \| ", section(), re.M)
    assert {int(k) for k, _, _ in rows} == {2, 4, 6}
    for k, v_star, p_win in rows:
        race = capped_race(Fraction(3, 10), 2, 6, int(k) - 2)
        assert round(float(100 * race.blocks_lost / race.win)) == int(v_star.replace(",", ""))
        assert round(float(race.win), 3) == float(p_win)
