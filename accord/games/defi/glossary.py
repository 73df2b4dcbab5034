"""The DeFi routing game's glossary: every metric :func:`accord.games.defi.metrics.game_result`
reports, with its unit, support, one-sentence meaning and better direction.

Kept beside the metrics' code and in step with it: a test runs the shipped scenarios and
checks that every metric column has an entry here (``tests/games/test_glossary.py``).
"Better" is from the users' side: less MEV, fewer failed transactions and more surplus
are better; what arbitrageurs, LPs or solvers earn is descriptive.
"""

from __future__ import annotations

from accord.agents.defi import USER_KINDS
from accord.games.glossary import NON_NEGATIVE, REAL, Better, Glossary, Metric, glossary

__all__ = ["GLOSSARY"]

_H, _L, _N = Better.HIGHER, Better.LOWER, Better.NEITHER


def _metrics() -> list[Metric]:
    m = Metric
    out = [
        m("needs", "needs", NON_NEGATIVE, "Trade needs that arrived in the run.", _N),
        m(
            "filled",
            "needs",
            NON_NEGATIVE,
            "Needs whose user received some of the token it buys.",
            _H,
        ),
        m(
            "unfilled",
            "needs",
            NON_NEGATIVE,
            "Needs that realised no trade (refunded, reverted or expired).",
            _L,
        ),
        m(
            "user_surplus_bps",
            "bps",
            REAL,
            "Users' value realised minus their ideal executions (each need's best route alone "
            "at the block's start), in bps of the notional sold.",
            _H,
            True,
        ),
        m(
            "user_surplus_seq_bps",
            "bps",
            REAL,
            "Users' value realised minus the block's needs executed in arrival order with no "
            "searcher, in bps of the notional.",
            _H,
        ),
        m(
            "user_value_ref_bps",
            "bps",
            REAL,
            "Users' realised flows at reference prices (no premium), in bps of the notional: "
            "everything they paid in fees, impact and MEV.",
            _H,
        ),
        m(
            "ideal_value_ref_bps",
            "bps",
            REAL,
            "The ideal executions' flows at reference prices, in bps of the notional: what the "
            "block-start pools offered.",
            _N,
        ),
        m(
            "user_surplus_usd",
            "USD",
            REAL,
            "Users' value realised minus their ideal executions, in dollars.",
            _H,
        ),
        m(
            "user_surplus_seq_usd",
            "USD",
            REAL,
            "Users' value realised minus the sequential no-searcher executions, in dollars.",
            _H,
        ),
        m(
            "users_value_usd",
            "USD",
            REAL,
            "Users' value of what they realised (reference prices, plus the premium on what "
            "they buy).",
            _H,
        ),
        m("users_value_ideal_usd", "USD", REAL, "Users' value of their ideal executions.", _N),
        m(
            "users_pnl_usd",
            "USD",
            REAL,
            "Users' token and fee flows at reference prices (no premium).",
            _H,
        ),
        m(
            "welfare_realised_usd",
            "USD",
            REAL,
            "Total surplus: users' private gains on what they bought minus the gas burned.",
            _H,
        ),
        m(
            "welfare_optimal_usd",
            "USD",
            NON_NEGATIVE,
            "Total surplus had every need got its ideal output with no gas burned.",
            _N,
        ),
        m(
            "welfare_gap_usd",
            "USD",
            REAL,
            "Optimal welfare minus realised welfare: the surplus the design lost.",
            _L,
        ),
        m(
            "price_of_anarchy",
            "ratio",
            NON_NEGATIVE,
            "Optimal welfare over realised welfare (Roughgarden & Tardos); infinite when "
            "realised welfare is not positive.",
            _L,
            True,
        ),
        m(
            "wardrop_poa",
            "ratio",
            NON_NEGATIVE,
            "Theory, not the run: the Wardrop equilibrium's cost over the optimum's in the "
            "routing game of the start pools and the average block's needs (no MEV).",
            _N,
        ),
        m(
            "wardrop_poa_mev",
            "ratio",
            NON_NEGATIVE,
            "The same routing game's Wardrop price of anarchy with every CFMM trade "
            "sandwiched to the naive users' slippage tolerance (eta = slippage_bps/1e4).",
            _N,
        ),
        m(
            "mev_searchers_usd",
            "USD",
            REAL,
            "All searchers' profit at reference prices, gas and tips included.",
            _L,
            True,
        ),
        m("mev_sandwich_usd", "USD", REAL, "Sandwich searchers' profit.", _L),
        m(
            "mev_arbitrage_usd",
            "USD",
            REAL,
            "Arbitrageurs' profit from realigning pools with reference prices.",
            _N,
        ),
        m(
            "mev_backrun_usd",
            "USD",
            REAL,
            "Back-runners' profit from arbitraging what pending swaps leave.",
            _N,
        ),
        m(
            "mev_builder_usd",
            "USD",
            REAL,
            "The builder's profit: tips received plus its own inserted trades.",
            _L,
        ),
        m(
            "lp_pnl_usd",
            "USD",
            REAL,
            "Change in the pools' value at reference prices (the liquidity providers').",
            _N,
        ),
        m(
            "cow_matched_usd",
            "USD",
            NON_NEGATIVE,
            "Volume buyers got straight from sellers in the CoW settlement (batch only).",
            _H,
        ),
        m(
            "cow_solvers_usd",
            "USD",
            REAL,
            "CoW solvers' profit (their gas; the settlement pays them nothing).",
            _N,
        ),
        m("cow_dust_usd", "USD", NON_NEGATIVE, "Rounding dust the CoW settlement keeps.", _L),
        m(
            "arb_gap_usd",
            "USD",
            NON_NEGATIVE,
            "Mean arbitrage value left in the pools at a block's start (staleness).",
            _N,
        ),
        m("builder_tips_usd", "USD", NON_NEGATIVE, "Priority tips paid to the builder.", _L),
        m("fees_burned_usd", "USD", NON_NEGATIVE, "Base fees burned (fees paid minus tips).", _L),
        m("fees_paid_usd", "USD", NON_NEGATIVE, "All transaction fees paid, tips included.", _L),
        m(
            "sandwich_attempts",
            "attempts",
            NON_NEGATIVE,
            "Sandwiches searchers or the builder tried.",
            _N,
        ),
        m(
            "sandwiches_landed",
            "sandwiches",
            NON_NEGATIVE,
            "Sandwiches that landed around their victim.",
            _L,
        ),
        m(
            "failed_txs",
            "transactions",
            NON_NEGATIVE,
            "Included transactions that reverted (they still pay gas).",
            _L,
            True,
        ),
        m("gas_used", "gas", NON_NEGATIVE, "Gas used by every included transaction.", _N),
    ]
    for kind in USER_KINDS:
        out += [
            m(f"needs_{kind}", "needs", NON_NEGATIVE, f"Needs given to {kind} users.", _N),
            m(
                f"unfilled_{kind}",
                "needs",
                NON_NEGATIVE,
                f"{kind.capitalize()} users' needs that realised no trade.",
                _L,
            ),
            m(
                f"surplus_bps_{kind}",
                "bps",
                REAL,
                f"{kind.capitalize()} users' value realised minus their ideal executions, in bps "
                "of their notional.",
                _H,
            ),
            m(
                f"surplus_seq_bps_{kind}",
                "bps",
                REAL,
                f"{kind.capitalize()} users' value realised minus the sequential no-searcher "
                "executions, in bps of their notional.",
                _H,
            ),
        ]
    return out


GLOSSARY: Glossary = glossary(_metrics())
"""Metric name -> declaration, in the order the game reports them."""
