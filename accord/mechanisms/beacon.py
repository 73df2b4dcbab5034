"""Which block's beacon a deferred draw reads: the block fixed in advance, or its fallback.

A contract that draws from the device's beacon (``ctx.beacon``, :mod:`accord.device.beacon`)
fixes the block whose beacon it will use *before* that beacon is known (the court: the
first block after the evidence period; the arbitration clause: the block after the
ruling), and draws when someone calls it at or after that block. The device keeps only
the last ``window`` beacons (as the EVM's ``BLOCKHASH`` keeps 256 block hashes), so a
draw called too late finds the fixed block's beacon gone.

**The fallback** (:func:`beacon_block`): the latest block ``target + k · window``
(``k >= 0``) that is not after ``now``. It is always in the window, it is the target
itself whenever the draw is on time, and it moves only once every ``window`` blocks:
whoever delays the call to shop for a better draw gets one new option per ``window``
blocks of delay, each option known to everyone from its block on, while anyone else may
make the call at any time (the court's ``pass_period`` and the clause's ``finalize`` are
open to all). Reading the *current* block's beacon instead would give the caller a new
option every block. (The EVM answers ``BLOCKHASH`` of a block out of its window with
zero, which a contract must not mistake for randomness; this fallback never does that.)
"""

from __future__ import annotations


def beacon_block(target: int, now: int, window: int) -> int:
    """The block whose beacon a draw fixed at ``target`` reads when made at ``now``.

    ``ValueError`` if ``now < target`` (the beacon is not known yet) or ``window < 1``.
    """
    if window < 1:
        raise ValueError(f"window must be at least 1 block, got {window}")
    if now < target:
        raise ValueError(f"the draw's block {target} is after the current block {now}")
    return target + (now - target) // window * window


__all__ = ["beacon_block"]
