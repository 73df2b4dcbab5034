"""The collector pause around block execution: restored after, nesting respected."""

from __future__ import annotations

import gc

import pytest

from accord.device.collector import collector_paused
from tests.device.conftest import make_device


def test_paused_inside_and_restored_after_even_on_error() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: still paused, and not re-enabled by the inner
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_caller_that_disabled_the_collector_keeps_it_disabled() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_building_a_block_leaves_the_collector_as_it_found_it() -> None:
    device = make_device()
    alice = device.account("alice")
    device.submit(device.sign(alice, "bob", value={"ETH": 1}))
    seen: list[bool] = []
    device.block_hooks.append(lambda d, b: seen.append(gc.isenabled()))
    device.build_block()
    assert seen == [False] and gc.isenabled()
