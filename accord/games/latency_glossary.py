"""What the latency race's metrics mean (:mod:`accord.games.latency_race`).

Amounts are in points (``unit`` base units of the fee asset) per race; "fast" is
searcher 0 (the lowest latency), "slow" the last searcher, the deal's partner.
"""

from __future__ import annotations

from accord.games.glossary import NON_NEGATIVE, REAL, UNIT_INTERVAL, Better, Glossary, Metric
from accord.games.glossary import glossary as make_glossary

__all__ = ["GLOSSARY"]


_SHARE, _PTS = "share", "points"
GLOSSARY: Glossary = make_glossary(
    [
        Metric("win_share_fast", _SHARE, UNIT_INTERVAL,
           "Share of the races the fastest searcher captured (no deal).", Better.NEITHER, True),
        Metric("win_share_slow", _SHARE, UNIT_INTERVAL,
           "Share of the races the slowest searcher captured (no deal).", Better.NEITHER, True),
        Metric("theory_win_share_fast", _SHARE, UNIT_INTERVAL,
           "The theory's win share of the fastest searcher (fcfs: by arrival with jitter; "
           "else 1/n).", Better.NEITHER),
        Metric("theory_win_share_slow", _SHARE, UNIT_INTERVAL,
           "The theory's win share of the slowest searcher.", Better.NEITHER),
        Metric("capture_share", _SHARE, UNIT_INTERVAL,
           "Share of the races in which some searcher captured the backrun (no deal).",
           Better.NEITHER),
        Metric("profit_fast", _PTS, REAL,
           "The fastest searcher's profit per race: ETH in minus TOK out at the reference "
           "price minus fees (no deal).", Better.NEITHER, True),
        Metric("profit_slow", _PTS, REAL,
           "The slowest searcher's profit per race (no deal).", Better.NEITHER, True),
        Metric("builder_revenue", _PTS, NON_NEGATIVE,
           "Tips the searchers paid the builder per race (no deal).", Better.NEITHER, True),
        Metric("theory_builder_revenue", _PTS, NON_NEGATIVE,
           "The theory's builder revenue: the prize under priority ordering (all-pay "
           "equilibrium, full dissipation), else 0.", Better.NEITHER),
        Metric("dissipation", "share of the prize", NON_NEGATIVE,
           "Tips per race over the prize V (no deal).", Better.LOWER),
        Metric("prize", _PTS, NON_NEGATIVE,
           "V: the backrun's value at the reference price, floored.", Better.NEITHER),
        Metric("deal_win_share_slow", _SHARE, UNIT_INTERVAL,
           "The slowest searcher's win share with the exclusive order-flow deal.",
           Better.NEITHER),
        Metric("integration_premium", _PTS, REAL,
           "The partner's measured gain from the deal per race: its profit with the deal "
           "minus without, tips and fees included, before it pays for the deal.",
           Better.NEITHER, True),
        Metric("integration_premium_gross", _PTS, REAL,
           "V times the partner's extra win share with the deal (fees and tips aside).",
           Better.NEITHER),
        Metric("theory_integration_premium", _PTS, REAL,
           "The theory's value of the deal per race: the partner's expected profit with it "
           "minus without (V (P_with - P_without) where nobody tips).",
           Better.NEITHER),
        Metric("deal_price", _PTS, NON_NEGATIVE,
           "What the partner pays the builder per race (the theory's premium, floored).",
           Better.NEITHER),
        Metric("builder_gain", _PTS, REAL,
           "The builder's gain from the deal per race: the price plus its change in tips.",
           Better.NEITHER, True),
        Metric("rival_loss", _PTS, REAL,
           "What the deal costs the fastest searcher per race (its profit without minus "
           "with).", Better.NEITHER),
    ]
)  # fmt: skip
