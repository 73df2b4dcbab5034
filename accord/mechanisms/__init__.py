"""Pure mechanism math: no state, no device. Importable and testable alone.

Families of modules are packages, each with a facade:

- :mod:`accord.mechanisms.cfmm`: exact CFMM swap and liquidity math.
- :mod:`accord.mechanisms.routing`: optimal routing over many CFMM pools.
- :mod:`accord.mechanisms.batch`: batch auctions with coincidence of wants.
- :mod:`accord.mechanisms.judgement`: distilled human judgement.
- :mod:`accord.mechanisms.deepfund`: deep funding's credit propagation.
- :mod:`accord.mechanisms.court`: court arithmetic after Kleros (rounds, costs, appeal
  crowdfunding, coherence, stake-weighted drawing).
- :mod:`accord.mechanisms.bargaining`: bilateral trade, bargaining solutions, mediation rules.
- :mod:`accord.mechanisms.contracting`: formal contracts in social dilemmas (contract
  spaces, zero-sum transfer rules, settlement against deposits, the planner).
- :mod:`accord.mechanisms.bandit_mdp`: the literature's time-bandit threshold, Gervais et
  al.'s mining MDP with the MEV as the double-spend value (Zhou et al. S&P 2021, quoted by
  Qin, Zhou & Gervais S&P 2022: 4 block rewards at α = 10 %), and Sapirshtein et al.'s
  selfish-mining share on the same states (``docs/finality.md``).

One module each:

- ``lmsr`` (Hanson's market maker) and ``fixedpoint`` (``exp``/``ln`` as intervals).
- ``scoring`` (proper scoring rules, Kelly, emissions) and ``streams`` (stream trees).
- ``slashing``, ``escrow_terms``, ``commit_reveal``, ``auctions``, ``schelling`` and
  ``shares``: the enforcement primitives' math.
- ``introot``: exact integer k-th roots.
- ``arbitration``: an arbitration clause's payouts and audit draw (``docs/arbitration.md``).
- ``races`` (commitment races in Chicken and the ultimatum game, the all-pay fee war,
  extortion) and ``coase`` (the durable-goods monopolist with and without commitment):
  ``docs/commitment-races.md``.
- ``latency``: the fcfs latency race for one MEV opportunity, the priority gas auction's
  equilibrium and the value of an exclusive order-flow deal (``docs/latency.md``).
- ``time_bandit``: when forking the last blocks for their MEV beats building honestly
  (the race as a gambler's ruin, the rewards a lost race orphans, and ``capped_race``:
  the race when the device refuses forks deeper than ``finality_depth``;
  ``docs/finality.md``).
"""
