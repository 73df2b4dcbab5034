"""DeFi agents: users who trade across CFMM pools, searchers who prey on them, a solver.

The facade: import from here. One idea per module:

- ``users``: the :class:`Market` every agent observes, and the users: :class:`NaiveUser`
  (fixed route and slippage), :class:`RoutedUser` (optimal split route) and
  :class:`IntentUser` (a limit order or a conditional commitment).
- ``searchers``: :class:`Sandwicher`, :class:`Arbitrageur` and
  :class:`ExtractingBuilder`, the MEV searchers.
- ``sandwich``: the most profitable sandwich around a victim's swap.
- ``arbitrage``: one pool's arbitrage against reference prices, exact in integers.
- ``mempool``: which pending transactions are swaps, and what they will do.
- ``solver``: :class:`CowSolver`, which proposes a batch's CoW settlement.
"""

from __future__ import annotations

from accord.agents.base import Action, Observation
from accord.agents.defi.arbitrage import PoolArbitrage, pool_arbitrage
from accord.agents.defi.mempool import SwapCall, decode_swap, expected_order, simulate, targets
from accord.agents.defi.sandwich import (
    Sandwich,
    best_sandwich,
    largest_front_run,
    sandwich_at,
    shared_best_sandwich,
)
from accord.agents.defi.searchers import (
    SWAP_GAS_USED,
    Arbitrageur,
    ExtractingBuilder,
    Sandwicher,
    Searcher,
    sandwich_actions,
)
from accord.agents.defi.solver import CowBook, CowSolver, solution_of
from accord.agents.defi.users import (
    SWAP_GAS,
    USER_KINDS,
    Curve,
    Hop,
    IntentUser,
    Market,
    NaiveUser,
    PoolInfo,
    RoutedUser,
    TradeNeed,
    User,
    market_of,
    route_flows,
    route_hops,
    swap_tx,
)
from accord.contracts.cow import order_gas
from accord.device import Account, Transaction
from accord.device.commitments.build import all_of, call, commitment, view
from accord.device.commitments.language import Action as CommitmentAction
from accord.device.commitments.language import Commitment
from accord.mechanisms import cfmm
from accord.mechanisms.routing import Network, Route, route_swap

__all__ = [
    "SWAP_GAS",
    "SWAP_GAS_USED",
    "USER_KINDS",
    "Account",
    "Action",
    "Arbitrageur",
    "Commitment",
    "CommitmentAction",
    "CowBook",
    "CowSolver",
    "Curve",
    "ExtractingBuilder",
    "Hop",
    "IntentUser",
    "Market",
    "NaiveUser",
    "Network",
    "Observation",
    "PoolArbitrage",
    "PoolInfo",
    "Route",
    "RoutedUser",
    "Sandwich",
    "Sandwicher",
    "Searcher",
    "SwapCall",
    "TradeNeed",
    "Transaction",
    "User",
    "all_of",
    "best_sandwich",
    "call",
    "cfmm",
    "commitment",
    "decode_swap",
    "expected_order",
    "largest_front_run",
    "market_of",
    "order_gas",
    "pool_arbitrage",
    "route_flows",
    "route_hops",
    "route_swap",
    "sandwich_actions",
    "sandwich_at",
    "shared_best_sandwich",
    "simulate",
    "solution_of",
    "swap_tx",
    "targets",
    "view",
]
