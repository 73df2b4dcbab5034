"""When forking for MEV pays, as the literature's MDP says: Gervais et al.'s mining MDP with
the MEV in the place of the double-spend value.

**What the papers report.** Zhou, Qin, Cully, Livshits & Gervais, "On the Just-In-Time
Discovery of Profit-Generating Transactions in DeFi Protocols" (IEEE S&P 2021, §VII.B,
eqs. 12-13, Fig. 14) take "the state transition and reward matrix of the PoW
double-spending MDP of Gervais et al." ("On the Security and Performance of Proof of
Work Blockchains", ACM CCS 2016, §4), with the MEV as the double-spend value, and find
the least MEV ``MEV_v`` for which an optimal policy forks rather than mines honestly.
Parameters: hash share α, γ = 0 (the adversary's weakest propagation), no eclipse
(ω = 0), Ethereum's stale block rate ``r_s = 5.72 %`` (uncles of blocks 9.1M-10.5M),
``k = 1``, mining cost ``c_m = α``, chains cut off at 20 blocks, a binary search "given a
margin of error of 0.1". Result: "for an MEV miner with 10% hash rate, on Ethereum
(stale block rate of 5.72%), MEV_v equals to 4" block rewards (the same paragraph then
says "at least ... 3 times higher", the caption and abstract "more than 4" / "exceeds 4x").
Qin, Zhou & Gervais, "Quantifying Blockchain Extractable Value: How dark is the forest?"
(IEEE S&P 2022) quote it in their abstract ("a rational miner with a 10% hashrate will
fork Ethereum if a BEV opportunity exceeds 4x the block reward"): the number is that
model's, reused. No other point of Fig. 14 is printed in the text we could read.

**The model** (Sapirshtein, Sompolinsky & Zohar, "Optimal Selfish Mining Strategies in
Bitcoin", FC 2016, §3, extended by Gervais et al. with stale blocks and the exit). A
state is ``(a, h, fork)``: the adversary's private blocks and the public blocks since
the last common block, and whether a tie could be matched (``relevant``: the last block
was public), is being raced (``active``) or not (``irrelevant``). Each step one block is
found: the adversary's with probability ``α``, a public block on the public chain with
``(1 − α)(1 − r_s)``, a stale public block (nothing moves) with ``(1 − α) r_s``.

* ``adopt``: give up the private chain, take the public one (credits ``h`` to the others);
* ``override`` (``a > h``): publish ``h + 1`` blocks, which replace the public ``h``
  (credits ``h + 1`` to the adversary);
* ``match`` (``relevant``, ``a ≥ h ≥ 1``): publish ``h`` blocks, a tie; the next public
  block lands on the adversary's branch with probability ``γ`` (credits it ``h``);
* ``wait``: keep mining in private (in an ``active`` race it continues the race);
* ``exit`` (``a > k`` and ``a > h``): publish and take the MEV: ``a + V`` once, and from
  then on honest mining (``α`` a step) for ever.

Every step costs ``c_m``. At the cutoff only adopt, override and exit are left. The
objective is the discounted sum at ``β = 0.999``, solved exactly by policy iteration
(Howard, *Dynamic Programming and Markov Processes*, 1960; a sparse solve per policy).
``V*`` (:func:`threshold`) is the least ``V`` at which the optimal policy, started from
``(0, 0, irrelevant)``, can reach ``exit``: Gervais et al.'s published criterion, found
by bisection to ``tol`` block rewards. :func:`solve` also reports the optimal and the
honest policy's values there, eq. 13's ``R(π, P, V) > R(h, P)``.
At the published parameters it gives 4.014 (to 1e-4): the papers' 4, to their 0.1.
:func:`share_threshold` inverts it, the least share that forks for a given MEV (Qin, Zhou
& Gervais's "BEV forking threshold", S&P 2022 §VII, Fig. 13, which print two points: 4×
the block reward for 10 %, and their largest BEV, 616.6×, for "only 0.1%").

The same state space, without the exit and with Sapirshtein's reward
``(1 − ρ) · (adversary's blocks) − ρ · (others' blocks)``, gives the adversary's share of
the main chain (:func:`optimal_revenue`): Dinkelbach's iteration ("On nonlinear
fractional programming", Management Science 13(7), 1967) on ``ρ``, each policy's share
computed exactly from its stationary distribution (:func:`policy_revenue`). With the
honest policy that share is ``α / (α + (1 − α)(1 − r_s))``, ``α`` without stale blocks;
with Eyal and Sirer's SM1 it is their closed form ("Majority is not Enough", FC 2014).
How this model and :mod:`accord.mechanisms.time_bandit`'s gambler's ruin differ:
``docs/finality.md``.
"""

from accord.mechanisms.bandit_mdp.model import ACTIONS, DISCOUNT, MAX_CUTOFF, Chain
from accord.mechanisms.bandit_mdp.revenue import (
    honest_policy,
    optimal_revenue,
    policy_revenue,
    sm1_policy,
    sm1_revenue,
)
from accord.mechanisms.bandit_mdp.threshold import (
    MAX_GRID,
    BanditSolution,
    share_threshold,
    solve,
    threshold,
    threshold_grid,
)

__all__ = [
    "ACTIONS",
    "DISCOUNT",
    "MAX_CUTOFF",
    "MAX_GRID",
    "BanditSolution",
    "Chain",
    "honest_policy",
    "optimal_revenue",
    "policy_revenue",
    "share_threshold",
    "sm1_policy",
    "sm1_revenue",
    "solve",
    "threshold",
    "threshold_grid",
]
