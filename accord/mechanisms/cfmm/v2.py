"""Uniswap v2's exact integer math for CFMMs: swaps, liquidity, units and argument checks.

Pure math, no device. Amounts and reserves are Python ints in base units; what a pool pays
out is rounded down and what it takes is rounded up, towards the pool.

- :func:`amount_out` and :func:`amount_in` are **exactly** ``UniswapV2Library.getAmountOut``/
  ``getAmountIn`` (``v2-periphery/contracts/libraries/UniswapV2Library.sol``), generalised
  from the hard-wired 997/1000 to a fee in basis points (``fee_bps=30`` reproduces 997/1000
  bit for bit, since 9970/10000 = 997/1000 and both sides scale by 10).
- Liquidity math is Uniswap v2's ``UniswapV2Pair.mint``/``burn``: the first deposit mints
  ``isqrt(x·y) − MINIMUM_LIQUIDITY`` (the minimum locked forever), later ones the smaller
  pro-rata share; a burn pays the pro-rata share of each reserve, floored (Adams,
  Zinsmeister & Robinson, "Uniswap v2 Core", 2020, §3.4). :func:`proportional_join` and
  :func:`proportional_exit` are the same for n assets.
- :data:`BPS` and the argument checks (``_int``, ``check_nonneg``, ``check_positive``,
  ``check_fee``) are shared with :mod:`accord.mechanisms.cfmm.pools` and
  :mod:`accord.mechanisms.cfmm.clearing`.

Import these names from :mod:`accord.mechanisms.cfmm`, which re-exports them.
"""

from __future__ import annotations

import math

BPS = 10_000
"""Basis points in one: ``fee_bps / BPS`` is the fee as a fraction."""

MINIMUM_LIQUIDITY = 1_000
"""Liquidity locked forever by a pool's first deposit (Uniswap v2)."""


__all__ = [
    "BPS",
    "MINIMUM_LIQUIDITY",
    "amount_in",
    "amount_out",
    "bps_from_fee",
    "burn_liquidity",
    "mint_liquidity",
    "proportional_exit",
    "proportional_join",
]


# -- argument checks ---------------------------------------------------------------------
def _int(name: str, value: object) -> int:
    if type(value) is not int:
        raise ValueError(f"{name} must be an int in base units, got {type(value).__name__}")
    return value


def check_nonneg(name: str, value: object) -> int:
    v = _int(name, value)
    if v < 0:
        raise ValueError(f"{name} must be non-negative, got {v}")
    return v


def check_positive(name: str, value: object) -> int:
    v = _int(name, value)
    if v <= 0:
        raise ValueError(f"{name} must be positive, got {v}")
    return v


def check_fee(fee_bps: object) -> int:
    f = _int("fee_bps", fee_bps)
    if not 0 <= f < BPS:
        raise ValueError(f"fee_bps must be in [0, {BPS}), got {f}")
    return f


def bps_from_fee(fee: float) -> int:
    """A fee given as a fraction (``0.003``) in whole basis points (``30``).

    Raises ``ValueError`` if the fee is outside ``[0, 1)`` or not a whole number of basis
    points (to within 1e-9), rather than silently rounding it.
    """
    if not 0 <= fee < 1:
        raise ValueError(f"fee must be a fraction in [0, 1), got {fee}")
    bps = round(fee * BPS)
    if abs(bps - fee * BPS) > 1e-9 * BPS:
        raise ValueError(f"fee {fee} is not a whole number of basis points")
    return bps


# -- Uniswap v2 ----------------------------------------------------------------------------
def amount_out(amount_in: int, reserve_in: int, reserve_out: int, fee_bps: int = 30) -> int:
    """Output of a constant-product swap: ``UniswapV2Library.getAmountOut``, in bps.

    ``out = (in·(10⁴−fee)·R_out) // (R_in·10⁴ + in·(10⁴−fee))``, the floor of the real
    ``R_out·γ·in / (R_in + γ·in)``. With ``fee_bps=30`` it equals v2's
    ``in·997·R_out // (R_in·1000 + in·997)``. A zero input gives zero.
    """
    a = check_nonneg("amount_in", amount_in)
    r_in = check_positive("reserve_in", reserve_in)
    r_out = check_positive("reserve_out", reserve_out)
    with_fee = a * (BPS - check_fee(fee_bps))
    return (with_fee * r_out) // (r_in * BPS + with_fee)


def amount_in(amount_out: int, reserve_in: int, reserve_out: int, fee_bps: int = 30) -> int:
    """Input a constant-product swap needs for ``amount_out``: ``getAmountIn``, in bps.

    ``in = (R_in·out·10⁴) // ((R_out − out)·(10⁴−fee)) + 1``, v2's rounding, which is one
    more than the exact minimum when the division is exact. ``amount_out`` must be below
    ``reserve_out``; a zero output needs zero input (v2 reverts on it instead).
    """
    out = check_nonneg("amount_out", amount_out)
    r_in = check_positive("reserve_in", reserve_in)
    r_out = check_positive("reserve_out", reserve_out)
    fee = check_fee(fee_bps)
    if out >= r_out:
        raise ValueError(f"amount_out must be below reserve_out {r_out}, got {out}")
    if out == 0:
        return 0
    return (r_in * out * BPS) // ((r_out - out) * (BPS - fee)) + 1


def mint_liquidity(
    amount0: int, amount1: int, reserve0: int, reserve1: int, total_supply: int
) -> int:
    """Liquidity minted for depositing ``amount0``/``amount1`` (``UniswapV2Pair.mint``).

    First deposit (``total_supply == 0``): ``isqrt(amount0·amount1) − MINIMUM_LIQUIDITY``
    (the caller mints ``MINIMUM_LIQUIDITY`` more to a dead address, locking it forever).
    Later: ``min(amount0·S // R0, amount1·S // R1)``; whatever exceeds the pro-rata ratio
    is donated to the pool. Raises ``ValueError`` if the result would not be positive.
    """
    a0 = check_nonneg("amount0", amount0)
    a1 = check_nonneg("amount1", amount1)
    supply = check_nonneg("total_supply", total_supply)
    if supply == 0:
        minted = math.isqrt(a0 * a1) - MINIMUM_LIQUIDITY
    else:
        r0 = check_positive("reserve0", reserve0)
        r1 = check_positive("reserve1", reserve1)
        minted = min(a0 * supply // r0, a1 * supply // r1)
    if minted <= 0:
        raise ValueError(
            f"deposit of {a0} and {a1} mints no liquidity (insufficient liquidity minted)"
        )
    return minted


def burn_liquidity(
    liquidity: int, reserve0: int, reserve1: int, total_supply: int
) -> tuple[int, int]:
    """Amounts paid for burning ``liquidity`` (``UniswapV2Pair.burn``): pro rata, floored."""
    lp = check_nonneg("liquidity", liquidity)
    r0 = check_nonneg("reserve0", reserve0)
    r1 = check_nonneg("reserve1", reserve1)
    supply = check_positive("total_supply", total_supply)
    if lp > supply:
        raise ValueError(f"liquidity {lp} exceeds total_supply {supply}")
    return lp * r0 // supply, lp * r1 // supply


def proportional_join(
    amounts: tuple[int, ...], reserves: tuple[int, ...], total_supply: int
) -> tuple[int, tuple[int, ...]]:
    """``(shares, used)`` for an all-asset deposit of at most ``amounts`` (n assets).

    ``shares = min_k amounts_k·S // R_k`` (as in ``UniswapV2Pair.mint``) and the pool
    takes only ``used_k = ceil(shares·R_k / S) ≤ amounts_k``; the rest goes back to the
    depositor (what the v2 router's optimal amounts do for two assets). Rounding up what
    is used keeps every existing share's claim ``R_k / S`` from falling. A zero reserve
    (a drained constant-sum side) takes nothing and does not limit ``shares``.
    """
    supply = check_positive("total_supply", total_supply)
    if len(amounts) != len(reserves):
        raise ValueError(f"amounts has {len(amounts)} entries for {len(reserves)} reserves")
    limits = [
        check_nonneg(f"amounts[{k}]", a) * supply // r
        for k, (a, r) in enumerate(zip(amounts, reserves, strict=True))
        if check_nonneg(f"reserves[{k}]", r) > 0
    ]
    if not limits:
        raise ValueError("every reserve is zero: no proportional deposit is defined")
    shares = min(limits)
    if shares <= 0:
        raise ValueError(f"deposit {amounts} mints no liquidity (insufficient liquidity minted)")
    return shares, tuple(-(-shares * r // supply) for r in reserves)


def proportional_exit(shares: int, reserves: tuple[int, ...], total_supply: int) -> tuple[int, ...]:
    """What burning ``shares`` pays: ``shares·R_k // S`` of each reserve (v2 ``burn``)."""
    lp = check_nonneg("shares", shares)
    supply = check_positive("total_supply", total_supply)
    if lp > supply:
        raise ValueError(f"shares {lp} exceed total_supply {supply}")
    return tuple(lp * check_nonneg(f"reserves[{k}]", r) // supply for k, r in enumerate(reserves))
