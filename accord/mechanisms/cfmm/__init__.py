"""Constant function market makers: exact integer swap and liquidity math.

Pure math, no device. Amounts and reserves are Python ints in base units; every result
that a pool pays out is rounded *towards the pool* (down for what the pool gives, up for
what it takes), so no integer rounding ever lets a trader take more than the pool's
invariant allows.

This module is the one to import from: it re-exports every public name of the three
modules that hold the code, one idea each:

- :mod:`accord.mechanisms.cfmm.v2`: Uniswap v2's integer math. :func:`amount_out` and
  :func:`amount_in` are exactly ``UniswapV2Library.getAmountOut``/``getAmountIn``
  (``v2-periphery/contracts/libraries/UniswapV2Library.sol``) with the fee in basis points
  (:data:`BPS`); :func:`mint_liquidity`/:func:`burn_liquidity` are ``UniswapV2Pair.mint``/
  ``burn`` (Adams, Zinsmeister & Robinson, "Uniswap v2 Core", 2020, §3.4) and
  :func:`proportional_join`/:func:`proportional_exit` the same for n assets.
- :mod:`accord.mechanisms.cfmm.pools`: the pool kinds :class:`ProductPool` (Uniswap v2),
  :class:`WeightedPool` (Balancer; Martinelli & Mushegian, 2019) and
  :class:`ConstantSumPool`, and :data:`Pool`, their union, each checking the
  trading-function invariant with the fee exactly (Angeris & Chitra, 2020; Angeris et
  al., "Optimal routing for constant function market makers", 2022).
- :mod:`accord.mechanisms.cfmm.clearing`: :func:`uniform_clearing`, opposite orders
  cleared against one pool at one uniform price (a frequent batch auction; Budish,
  Cramton & Shim, QJE 2015).
"""

from __future__ import annotations

from accord.mechanisms.cfmm.clearing import Clearing, Order, uniform_clearing
from accord.mechanisms.cfmm.pools import (
    EXACT_WEIGHT_LIMIT,
    ConstantSumPool,
    Pool,
    ProductPool,
    WeightedPool,
)
from accord.mechanisms.cfmm.v2 import (
    BPS,
    MINIMUM_LIQUIDITY,
    amount_in,
    amount_out,
    bps_from_fee,
    burn_liquidity,
    mint_liquidity,
    proportional_exit,
    proportional_join,
)

__all__ = [
    "BPS",
    "EXACT_WEIGHT_LIMIT",
    "MINIMUM_LIQUIDITY",
    "Clearing",
    "ConstantSumPool",
    "Order",
    "Pool",
    "ProductPool",
    "WeightedPool",
    "amount_in",
    "amount_out",
    "bps_from_fee",
    "burn_liquidity",
    "mint_liquidity",
    "proportional_exit",
    "proportional_join",
    "uniform_clearing",
]
