"""Reading the mempool: which pending transactions are swaps, and what they will do.

A searcher sees pending transactions as the device's mempool visibility allows
(``docs/device.md``). :func:`decode_swap` reads one as a swap on a market pool
(:class:`SwapCall`); :func:`targets` keeps others' swaps that could run next (each
sender's lowest pending nonce); :func:`expected_order` orders them as the rule is expected
to (``priority``: by EIP-1559 tip, then arrival; otherwise by arrival) and
:func:`simulate` runs them, exactly, on a copy of the pools. Used by the searchers and
the extracting builder (:mod:`accord.agents.defi.searchers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from accord.agents.base import Observation
from accord.agents.defi.users import Curve, Market
from accord.device import Pending

__all__ = ["SwapCall", "decode_swap", "expected_order", "simulate", "targets"]


@dataclass(frozen=True, slots=True)
class SwapCall:
    """A pending swap transaction, decoded against the market's pools."""

    pending: Pending
    pool: str
    curve: Curve
    i: int
    j: int
    amount_in: int
    min_out: int


def decode_swap(pending: Pending, market: Market) -> SwapCall | None:
    """The swap a pending transaction makes on one of the market's pools, if it is one."""
    tx = pending.tx
    if tx.method != "swap":
        return None
    info = market.by_address(tx.to)
    if info is None or not 4 <= len(tx.args) <= 5:
        return None
    asset_in, amount_in, min_out = tx.args[0], tx.args[1], tx.args[2]
    asset_out = tx.args[4] if len(tx.args) == 5 else ""
    tokens = info.tokens
    if asset_in not in tokens or type(amount_in) is not int or type(min_out) is not int:
        return None
    i = tokens.index(asset_in)
    j = tokens.index(asset_out) if asset_out in tokens else 1 - i
    if len(tokens) != 2 or i == j or amount_in <= 0:
        return None
    return SwapCall(pending, tx.to, info.curve, i, j, amount_in, min_out)


def expected_order(pending: Sequence[Pending], ordering: str, base_fee: int) -> list[Pending]:
    """Pending transactions in the order the rule is expected to run them."""
    if ordering == "priority":
        return sorted(pending, key=lambda p: (-p.tip("eip1559", base_fee), p.arrival, p.seq))
    return sorted(pending, key=lambda p: (p.arrival, p.seq))


def simulate(
    market: Market, swaps: Sequence[SwapCall], ordering: str, base_fee: int
) -> dict[str, Curve]:
    """The pools after the given pending swaps run (those whose ``min_out`` holds)."""
    curves: dict[str, Curve] = {p.address: p.curve for p in market.pools}
    by_hash = {s.pending.hash: s for s in swaps}
    for p in expected_order([s.pending for s in swaps], ordering, base_fee):
        s = by_hash[p.hash]
        curve = curves[s.pool]
        out = curve.out_given_in(s.i, s.j, s.amount_in)
        if out >= s.min_out and out > 0:
            curves[s.pool] = curve.after(s.i, s.j, s.amount_in, out)
    return curves


def targets(obs: Observation, market: Market, me: str) -> list[SwapCall]:
    """Others' visible swaps that could run next: each sender's lowest pending nonce."""
    lowest: dict[str, Pending] = {}
    for p in obs.visible():
        sender = p.tx.sender
        if sender == me:
            continue
        if sender not in lowest or p.tx.nonce < lowest[sender].tx.nonce:
            lowest[sender] = p
    return [s for p in lowest.values() if (s := decode_swap(p, market)) is not None]
