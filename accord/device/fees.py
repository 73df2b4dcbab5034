"""Fee markets: EIP-1559 (exact integer rule) and first price.

EIP-1559 (https://eips.ethereum.org/EIPS/eip-1559): a block's base fee per gas moves
towards the gas target by at most 1/8 per block, computed in integers exactly as the
specification's ``validate_block`` does. The base fee is burned; the priority fee (tip)
goes to the block builder. A transaction pays ``min(max_priority_fee, max_fee - base_fee)``
per gas as tip.

First price: there is no base fee; a transaction pays its whole ``max_fee`` per gas to
the builder, and builders rank transactions by it.
"""

from __future__ import annotations

from dataclasses import dataclass

BASE_FEE_MAX_CHANGE_DENOMINATOR = 8
ELASTICITY_MULTIPLIER = 2


def next_base_fee(parent_base_fee: int, parent_gas_used: int, parent_gas_target: int) -> int:
    """The base fee of the block after a parent, by EIP-1559's integer rule.

    >>> next_base_fee(1_000_000_000, 30_000_000, 15_000_000)
    1125000000
    >>> next_base_fee(1_000_000_000, 0, 15_000_000)
    875000000
    """
    if parent_gas_target <= 0:
        raise ValueError(f"parent_gas_target must be positive, got {parent_gas_target}")
    if parent_base_fee < 0 or parent_gas_used < 0:
        raise ValueError("parent_base_fee and parent_gas_used must be non-negative")
    if parent_gas_used == parent_gas_target:
        return parent_base_fee
    if parent_gas_used > parent_gas_target:
        gas_used_delta = parent_gas_used - parent_gas_target
        delta = max(
            parent_base_fee
            * gas_used_delta
            // parent_gas_target
            // BASE_FEE_MAX_CHANGE_DENOMINATOR,
            1,
        )
        return parent_base_fee + delta
    gas_used_delta = parent_gas_target - parent_gas_used
    delta = parent_base_fee * gas_used_delta // parent_gas_target // BASE_FEE_MAX_CHANGE_DENOMINATOR
    return parent_base_fee - delta


@dataclass(frozen=True, slots=True)
class FeeMarket:
    """How a block prices gas. ``kind`` is ``"eip1559"`` or ``"first_price"``."""

    kind: str = "eip1559"

    def base_fee_after(self, parent_base_fee: int, gas_used: int, gas_limit: int) -> int:
        """The next block's base fee (always 0 under first price)."""
        if self.kind == "first_price":
            return 0
        return next_base_fee(parent_base_fee, gas_used, gas_limit // ELASTICITY_MULTIPLIER)

    def tip_per_gas(self, max_fee: int, priority_fee: int, base_fee: int) -> int:
        """What the builder earns per unit of gas from a transaction."""
        if self.kind == "first_price":
            return max_fee
        return min(priority_fee, max_fee - base_fee)
