"""The DeFi routing game: users, searchers and a builder trading on CFMM pools.

The facade: import from here. :class:`DefiRouting` (registered as ``"defi_routing"``)
plays one run; ``docs/defi.md`` tells what it measures. One idea per module:

- ``routing``: the game, :class:`DefiRouting`, and :func:`play`, one run.
- ``params``: :class:`Params`, the game's parameters, checked.
- ``setup``: the pools, tokens, accounts and agents of a run (:class:`PoolSpec`).
- ``state``: what the game tracks while it runs (needs, flows, pool values).
- ``metrics``: the run's metrics, from that state.
"""

from __future__ import annotations

from accord.games.defi.params import Params
from accord.games.defi.routing import DefiRouting, play
from accord.games.defi.setup import WEIGHTS, PoolSpec

__all__ = ["WEIGHTS", "DefiRouting", "Params", "PoolSpec", "play"]
