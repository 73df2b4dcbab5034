"""A small congestion game on the device: agents bid for block space with tips.

The lab's test game (registered as ``"toy"``): small, fast and deterministic, yet every
number in it comes from the real device. Each block, each of ``agents`` agents sends a
Poisson(``rate``) number of token transfers to other agents. Each transfer has a private
*value of inclusion* drawn from ``1..max_value``; the agent tips just enough to beat the
highest tip it can see among others' pending transactions (plus one), and never more
than its value: a first-price bid for position, shaded by what the mempool shows
(Roughgarden, "Transaction Fee Mechanism Design for the Ethereum Blockchain", 2020, on
why visible bids invite this). Amounts are drawn up to ``max_amount``, so some transfers
overspend and revert, paying their fee.

What the device's design changes here:

* ``ordering``: under ``priority`` high-value transfers wait less than low-value ones
  (``priority_advantage`` > 0 when blocks are full); under ``fcfs`` or ``random`` value
  buys nothing;
* ``mempool``: agents bid against the tips they can see (``public`` and ``sealed``
  show tips; ``private`` shows nothing, so everyone tips 1);
* ``block_gas_limit`` and ``fee_market``: congestion, the base fee and what is burned.

Metrics: transfers submitted, included, reverted and left pending; ``crowded_out``, the
pending transfers each block had no gas left for (summed over blocks, so one transfer
that waits three blocks counts three times); gas used; fees burned and tips paid (in the
fee asset's base units); the mean delay in blocks from submission to inclusion, for
high-value and low-value transfers and their difference (``priority_advantage``); the
realised value, ``Σ value`` of included successful transfers discounted by ``discount``
per block of delay; and the final base fee.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from accord.device import AssetSpec, Device, DeviceConfig, Genesis, Pending, checks
from accord.device.gas import CALLDATA_NONZERO, LEDGER_OP, intrinsic_gas
from accord.games.base import GameResult, register_game
from accord.games.glossary import (
    NON_NEGATIVE,
    REAL,
    Better,
    Glossary,
    Metric,
    glossary,
)

MIN_TRANSFER_GAS = intrinsic_gas("", (), (("TOK", 1),)) + LEDGER_OP
"""Gas of the cheapest plain transfer of TOK (``docs/device.md``, gas schedule): the
intrinsic gas with its calldata (EIP-2028), and one ledger operation."""
TRANSFER_GAS = MIN_TRANSFER_GAS + 3 * (CALLDATA_NONZERO - 4)
"""The gas limit of a transfer: enough for any amount below 2**31 (at most three more of
the amount's four calldata bytes are non-zero than for an amount of 1; a zero byte costs 4)."""


class ToyParams(BaseModel):
    """The toy game's parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agents: int = Field(6, ge=2, le=1_000)
    blocks: int = Field(20, ge=1, le=10_000)
    rate: float = Field(1.0, ge=0, le=100)
    """Mean transfers per agent per block (Poisson)."""
    max_value: int = Field(20, ge=1)
    """Values of inclusion are uniform on ``1..max_value`` (fee-asset base units/gas)."""
    max_amount: int = Field(400, ge=1)
    """Transfer amounts are uniform on ``1..max_amount`` tokens."""
    balance: int = Field(1_000, ge=0)
    """Each agent's token balance at genesis."""
    discount: float = Field(0.9, gt=0, le=1)
    """Per-block discount of a transfer's value while it waits."""


GLOSSARY: Glossary = glossary(
    [
        Metric(
            "submitted", "transfers", NON_NEGATIVE, "Transfers the agents sent.", Better.NEITHER
        ),
        Metric(
            "included", "transfers", NON_NEGATIVE, "Transfers included in a block.", Better.HIGHER
        ),
        Metric(
            "reverted",
            "transfers",
            NON_NEGATIVE,
            "Included transfers that reverted (overspent) and paid their fee.",
            Better.LOWER,
        ),
        Metric(
            "crowded_out",
            "transfer-blocks",
            NON_NEGATIVE,
            "Pending transfers a block had no gas left for, summed over blocks.",
            Better.LOWER,
        ),
        Metric(
            "pending",
            "transfers",
            NON_NEGATIVE,
            "Transfers still waiting when the run ended.",
            Better.LOWER,
        ),
        Metric(
            "gas_used", "gas", NON_NEGATIVE, "Gas used by every included transfer.", Better.NEITHER
        ),
        Metric(
            "fees_burned",
            "fee base units",
            NON_NEGATIVE,
            "Base fees burned (the fee asset's base units).",
            Better.LOWER,
        ),
        Metric(
            "tips_paid",
            "fee base units",
            NON_NEGATIVE,
            "Priority tips paid to the builder.",
            Better.LOWER,
        ),
        Metric(
            "mean_delay",
            "blocks",
            NON_NEGATIVE,
            "Mean blocks from submission to inclusion of an included transfer.",
            Better.LOWER,
            True,
        ),
        Metric(
            "delay_high_value",
            "blocks",
            NON_NEGATIVE,
            "Mean delay of included transfers with a value above the median.",
            Better.LOWER,
        ),
        Metric(
            "delay_low_value",
            "blocks",
            NON_NEGATIVE,
            "Mean delay of included transfers with a value at or below the median.",
            Better.LOWER,
        ),
        Metric(
            "priority_advantage",
            "blocks",
            REAL,
            "Low-value delay minus high-value delay: how much sooner value buys inclusion.",
            Better.NEITHER,
            True,
        ),
        Metric(
            "realised_value",
            "value units",
            NON_NEGATIVE,
            "Values of included successful transfers, discounted per block of delay.",
            Better.HIGHER,
            True,
        ),
        Metric(
            "final_base_fee",
            "fee base units/gas",
            NON_NEGATIVE,
            "The base fee after the last block.",
            Better.NEITHER,
        ),
    ]
)
"""Every metric the toy game reports."""


@register_game
class ToyGame:
    """Agents bid tips for scarce block space under the device's ordering rule."""

    name: ClassVar[str] = "toy"
    Params: ClassVar[type[BaseModel]] = ToyParams
    glossary: ClassVar[Glossary] = GLOSSARY

    def run(self, params: BaseModel, device: DeviceConfig, seed: int) -> GameResult:
        p = ToyParams.model_validate(params.model_dump())
        rng = np.random.default_rng(seed)
        names = [f"agent{i:03d}" for i in range(p.agents)]
        genesis = Genesis(
            assets={
                device.fee_asset: AssetSpec(issuer="treasury", alloc=dict.fromkeys(names, 10**18)),
                "TOK": AssetSpec(issuer="mint", alloc=dict.fromkeys(names, p.balance)),
            }
        )
        dev = Device(device, genesis, seed=seed)
        checks.check_every_block(dev)  # conservation, no negative balance: every block
        accounts = [dev.account(n) for n in names]
        submitted: dict[bytes, tuple[int, int]] = {}  # hash -> (block submitted, value)
        block_rows: list[dict[str, Any]] = []
        counts = {"submitted": 0, "included": 0, "reverted": 0, "crowded_out": 0}
        gas = burned = tips = 0
        realised = 0.0
        delays: list[tuple[int, int]] = []  # (delay, value) of included transfers

        for _ in range(p.blocks):
            now = dev.number
            for i in rng.permutation(p.agents):
                me = accounts[i]
                for _ in range(int(rng.poisson(p.rate))):
                    to = names[(i + 1 + int(rng.integers(p.agents - 1))) % p.agents]
                    amount = int(rng.integers(1, p.max_amount + 1))
                    value = int(rng.integers(1, p.max_value + 1))
                    tip = min(value, 1 + _highest_visible_tip(dev, me.address))
                    tx = dev.sign(
                        me,
                        to,
                        "",
                        value={"TOK": amount},
                        gas_limit=TRANSFER_GAS,
                        priority_fee=tip,
                        max_fee=4 * dev.base_fee + tip + 1,
                    )
                    dev.submit(tx)
                    submitted[tx.hash] = (now, value)
                    counts["submitted"] += 1
            block = dev.build_block()
            for tx, r in zip(block.transactions, block.receipts, strict=True):
                at, value = submitted[tx.hash]
                delay = block.number - at - 1
                counts["included"] += 1
                gas += r.gas_used
                tips += r.tip_paid
                burned += r.fee_paid - r.tip_paid
                delays.append((delay, value))
                if r.ok:
                    realised += value * p.discount**delay
                else:
                    counts["reverted"] += 1
            counts["crowded_out"] += sum(s.field == "gas_limit" for s in block.skipped)
            block_rows.append(
                {
                    "block": block.number,
                    "txs": len(block.transactions),
                    "gas_used": block.header.gas_used,
                    "base_fee": block.header.base_fee,
                    "skipped": len(block.skipped),
                }
            )

        median = (p.max_value + 1) / 2
        high = [d for d, v in delays if v > median]
        low = [d for d, v in delays if v <= median]
        metrics: dict[str, float | int] = {
            **counts,
            "pending": counts["submitted"] - counts["included"],
            "gas_used": gas,
            "fees_burned": burned,
            "tips_paid": tips,
            "mean_delay": _mean([d for d, _ in delays]),
            "delay_high_value": _mean(high),
            "delay_low_value": _mean(low),
            "priority_advantage": _mean(low) - _mean(high),
            "realised_value": round(realised, 9),
            "final_base_fee": dev.base_fee,
        }
        return GameResult(
            metrics=metrics,
            state_hash=dev.state_hash().hex(),
            blocks=dev.number,
            tables={"blocks": block_rows},
        )


def _highest_visible_tip(device: Device, observer: str) -> int:
    """The highest tip among others' pending transactions that ``observer`` may see."""
    best = 0
    for item in device.pending_view(observer):
        tx_sender = item.tx.sender if isinstance(item, Pending) else item.sender
        tip = item.tx.priority_fee if isinstance(item, Pending) else item.priority_fee
        if tx_sender != observer and tip > best:
            best = tip
    return best


def _mean(values: list[int]) -> float:
    """The mean, or NaN for no values (the lab's statistics skip NaN)."""
    return sum(values) / len(values) if values else float("nan")
