"""``accord.mechanisms.beacon.beacon_block``: the fixed block, or its fallback."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.mechanisms.beacon import beacon_block


def test_on_time_the_target_itself() -> None:
    assert [beacon_block(10, now, 256) for now in (10, 11, 265)] == [10, 10, 10]


def test_late_the_latest_target_plus_whole_windows() -> None:
    assert beacon_block(10, 266, 256) == 266
    assert beacon_block(10, 521, 256) == 266
    assert beacon_block(10, 522, 256) == 522


def test_a_draw_before_its_block_is_refused() -> None:
    with pytest.raises(ValueError, match="after the current block"):
        beacon_block(10, 9, 256)
    with pytest.raises(ValueError, match="window"):
        beacon_block(10, 10, 0)


@given(st.integers(0, 10**9), st.integers(0, 10**6), st.integers(1, 1_000))
def test_always_in_the_window_and_never_in_the_future(target: int, late: int, w: int) -> None:
    now = target + late
    block = beacon_block(target, now, w)
    assert target <= block <= now
    assert now - block < w
    assert (block - target) % w == 0
