"""Court arithmetic, modelled on Kleros v2's published rules (pure math, no state).

A court is its own concept, not a bargaining mechanism: issue 13 lists it beside the
bargaining mechanisms, but it lives here, in ``accord.mechanisms.court``; the stateful
shell is :mod:`accord.contracts.court` and the prose is ``docs/arbitration.md``
("Court"). Each module cites its source (the Kleros short and long papers, Lesaege, Ast
& George 2019 and 2021; Kleros v2's ``KlerosCore`` and ``DisputeKitClassic``; ERC-792):

- :mod:`~accord.mechanisms.court.rounds`: jurors per round (3, then ``2n + 1``) and the
  arbitration and appeal costs (fee per juror x jurors).
- :mod:`~accord.mechanisms.court.appeals`: appeal crowdfunding (1x/2x stake multipliers,
  the loser's half period, capped contributions, pro-rata repayment with its dust).
- :mod:`~accord.mechanisms.court.coherence`: plurality tally, the final ruling, coherence
  penalties (alpha in basis points) and rewards.
- :mod:`~accord.mechanisms.court.sortition`: the sum tree and the deterministic
  stake-weighted draw.

All amounts are exact ints; every split names where its remainder goes.
"""

from accord.mechanisms.court.appeals import (
    LOSER_MULTIPLIER_BPS,
    LOSER_PERIOD_BPS,
    WINNER_MULTIPLIER_BPS,
    Contribution,
    Settlement,
    Taken,
    loser_deadline,
    may_fund,
    min_contribution,
    multiplier_bps,
    required,
    settle,
    take,
)
from accord.mechanisms.court.coherence import (
    JurorVotes,
    RoundPay,
    Tally,
    at_stake,
    coherent,
    settle_round,
    tally,
)
from accord.mechanisms.court.rounds import (
    BPS,
    FIRST_ROUND_JURORS,
    appeal_cost,
    appeal_possible,
    arbitration_cost,
    jurors_in_round,
    max_rounds,
    next_round_jurors,
    total_draws,
)
from accord.mechanisms.court.sortition import (
    NodeStore,
    check_capacity,
    depth,
    draw,
    draw_point,
    locate,
    round_seed,
    set_weight,
    total,
    weight,
)

__all__ = [
    "BPS",
    "FIRST_ROUND_JURORS",
    "LOSER_MULTIPLIER_BPS",
    "LOSER_PERIOD_BPS",
    "WINNER_MULTIPLIER_BPS",
    "Contribution",
    "JurorVotes",
    "NodeStore",
    "RoundPay",
    "Settlement",
    "Taken",
    "Tally",
    "appeal_cost",
    "appeal_possible",
    "arbitration_cost",
    "at_stake",
    "check_capacity",
    "coherent",
    "depth",
    "draw",
    "draw_point",
    "jurors_in_round",
    "locate",
    "loser_deadline",
    "max_rounds",
    "may_fund",
    "min_contribution",
    "multiplier_bps",
    "next_round_jurors",
    "required",
    "round_seed",
    "set_weight",
    "settle",
    "settle_round",
    "take",
    "tally",
    "total",
    "total_draws",
    "weight",
]
