"""What the time-bandit game's metrics mean (:mod:`accord.games.time_bandit`).

Amounts are in USD base units over the run's rounds; holdings are valued at the
reference price (USD plus TOK, ``p0 = 1``) where the MEV is a backrun.
"""

from __future__ import annotations

from accord.games.glossary import (
    NON_NEGATIVE,
    REAL,
    UNIT_INTERVAL,
    Better,
    Glossary,
    Metric,
    Support,
)
from accord.games.glossary import glossary as make_glossary

__all__ = ["GLOSSARY"]

GLOSSARY: Glossary = make_glossary(
    [
        Metric(
            "reorg_rate",
            "share",
            UNIT_INTERVAL,
            "Rounds whose block b a fork replaced.",
            Better.LOWER,
            True,
        ),
        Metric(
            "forks_attempted",
            "rounds",
            NON_NEGATIVE,
            "Rounds in which the bandit raced.",
            Better.LOWER,
        ),
        Metric(
            "mean_reorg_depth",
            "blocks",
            NON_NEGATIVE,
            "Mean depth of the reorgs (0 without one).",
            Better.NEITHER,
        ),
        Metric(
            "user_losses",
            "USD base units",
            NON_NEGATIVE,
            "Payments the merchant received and a reorg took back.",
            Better.LOWER,
            True,
        ),
        Metric(
            "bounty_paid",
            "USD base units",
            NON_NEGATIVE,
            "Bounties the bandit claimed on the device.",
            Better.LOWER,
            True,
        ),
        Metric(
            "mev_captured",
            "USD base units",
            NON_NEGATIVE,
            "MEV the bandit took by its forks: the prizes it reorged from the searcher, or "
            "the backruns it made (holdings at the reference price, exact).",
            Better.LOWER,
        ),
        Metric(
            "fork_mev",
            "USD base units",
            NON_NEGATIVE,
            "V: what one fork's MEV grab pays the bandit, read from a probe fork on a "
            "device of the run's design (backrun: 0 when the device's rule refunds it).",
            Better.LOWER,
        ),
        Metric(
            "honest_mev",
            "USD base units",
            NON_NEGATIVE,
            "MEV the honest searchers kept on the final chain (the prize, or the backrun "
            "where they see the trade and the rule lets one capture it).",
            Better.NEITHER,
        ),
        Metric(
            "rewards_forgone",
            "USD base units",
            NON_NEGATIVE,
            "Block rewards of the bandit's orphaned blocks (the model's R per block).",
            Better.NEITHER,
        ),
        Metric(
            "bandit_gain",
            "USD base units",
            REAL,
            "Bounty paid plus MEV captured less rewards forgone.",
            Better.NEITHER,
        ),
        Metric(
            "threshold",
            "USD base units",
            NON_NEGATIVE,
            "V*: the MEV plus bounty above which a fork pays (NaN: no fork possible).",
            Better.NEITHER,
        ),
        Metric(
            "win_probability",
            "probability",
            UNIT_INTERVAL,
            "The model's P_win for this race (0: no fork possible).",
            Better.NEITHER,
        ),
        Metric(
            "fork_cap",
            "blocks",
            Support(-1.0),
            "Public blocks a race may see before its fork is deeper than finality_depth "
            "(k - depth; -1: the target is final, no fork possible).",
            Better.NEITHER,
        ),
    ]
)
