"""Games: scenarios as code (who plays, on which contracts, what is measured).

- ``base``: what a game is to the lab (typed parameters in, one seeded run, metrics
  out) and the registry :func:`~accord.games.base.get_game` reads.
- ``glossary``: what a game's metrics mean (unit, support, better direction).
- :mod:`accord.games.defi`: the DeFi routing game (``docs/defi.md``).
- ``llm_defi``: the DeFi game with LLM agents (``docs/llm.md``).
- ``futarchy``: traders decide a proposal; a manipulator pays to push it.
- ``emissions``: credit by emissions to forecasters and their contributors.
- ``program_equilibrium``: one-shot prisoner's dilemmas between programs that read each
  other (``docs/commitments.md``).
- ``toy``: a small congestion game on the device (agents bid for block space).
- ``time_bandit``: a builder forks the device for MEV plus a reorg bounty when the race
  pays (``docs/finality.md``); with ``mev_kind = "backrun"`` the MEV is a backrun the
  ordering rule and the mempool decide (:mod:`accord.games.time_bandit_backrun`).
- ``contracting``: the driver envs and games use to put formal contracts on a device
  (``docs/contracts/formal_contract.md``).
- :mod:`accord.games.gridworld`: Harvest and Cleanup, numpy engines of the sequential
  social dilemmas (``docs/social-dilemmas.md``).
"""
