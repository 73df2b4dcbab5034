"""The tables of docs/arbitration.md, "The arbitration game": what lying earns across audit
rates, adjudicator accuracies, juror honesty mixes and appeal policies.

    python examples/arbitration_tables.py        # about a minute of work on one core

Every row is 40 disputes x seeds 0-4 of accord.games.arbitration (15 jurors, fee per juror
1,000 so the court's cost C = 3,000; amount 10,000, fee 200, bond 4,000), means per
dispute, under MAC signatures. It prints Markdown.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from accord.agents.arbitration import bribe_price
from accord.device import DeviceConfig
from accord.games.arbitration import ArbitrationParams, play

CONFIG = DeviceConfig(signatures="mac")
SEEDS = range(5)
SHARES = {"accuracy", "appeal_rate", "audit_rate", "court_rounds"}


def means(**params: Any) -> dict[str, float]:
    runs = [
        play(ArbitrationParams(disputes=40, jurors=15, **params), CONFIG, s).metrics for s in SEEDS
    ]
    return {k: statistics.mean(float(r[k]) for r in runs) for k in runs[0]}


def table(title: str, keys: list[str], rows: list[tuple[str, dict[str, Any]]]) -> None:
    print(f"\n{title}\n")
    print("| setting | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for label, params in rows:
        m = means(**params)
        cells = [f"{m[k]:.2f}" if k in SHARES else f"{m[k]:,.0f}" for k in keys]
        print(f"| {label} | " + " | ".join(cells) + " |")


def main() -> None:
    corrupt = {"adjudicator": "corrupt", "bribe": 2_000, "bribed_jurors": 0.2}
    audits = []
    for rational in (False, True):
        for bps in (0, 1_000, 3_000, 5_000, 7_000):
            price = math.ceil(bribe_price(4_000, 200, bps / 10_000)) if rational else 1_000
            levy = math.ceil(bps * 3_000 / 10_000)  # the levy that sustains the audit rate
            label = f"price {price:,}{' (rational)' if rational else ''}, audit {bps / 100:g}%"
            audits.append(
                (
                    label,
                    {
                        **corrupt,
                        "bribe_price": price,
                        "appeal_policy": "never",
                        "audit_bps": bps,
                        "levy": levy,
                        "audit_fund": 10**6,
                    },
                )
            )
    keys = ["accuracy", "dishonest_earnings", "honest_loss", "cost_per_dispute", "audit_rate"]
    table(
        "Audits alone against a corrupt adjudicator bribed 2,000",
        [*keys, "blocks_to_finality"],
        audits,
    )
    appeals = [("corrupt, bribed 2,000", {**corrupt, "bribe_price": 1_000})]
    for q in (0.6, 0.8, 0.95):
        for policy in ("wronged", "never"):
            appeals.append(
                (
                    f"honest, accuracy {q}, {policy}",
                    {"adjudicator_accuracy": q, "bribed_jurors": 0.2, "appeal_policy": policy},
                )
            )
    keys = ["accuracy", "dishonest_earnings", "honest_loss", "cost_per_dispute", "appeal_rate"]
    table(
        "Appeals (audit 10%, 3 of 15 jurors bribed)",
        [*keys, "court_rounds", "blocks_to_finality"],
        appeals,
    )
    mixes = [
        (
            f"bribed {b}, lazy {lazy}",
            {**corrupt, "bribed_jurors": b, "lazy_jurors": lazy, "bribe_price": 1_000},
        )
        for b, lazy in ((0.0, 0.0), (0.2, 0.0), (0.2, 0.3), (0.4, 0.0), (0.45, 0.0))
    ]
    table(
        "The juror honesty mix (corrupt adjudicator, wronged, audit 10%)",
        [*keys, "court_rounds"],
        mixes,
    )
    table(
        "Both parties appeal (honest adjudicator, accuracy 0.8)",
        [*keys, "court_rounds", "blocks_to_finality"],
        [
            (
                "always",
                {"adjudicator_accuracy": 0.8, "bribed_jurors": 0.2, "appeal_policy": "always"},
            )
        ],
    )


if __name__ == "__main__":
    main()
