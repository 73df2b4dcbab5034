"""Learning agents that know no env: only observations, actions and rewards.

- ``tabular``: independent tabular Q-learners, ε schedules, and the train/evaluate loops
  over any PettingZoo ``ParallelEnv`` (re-exported by :mod:`accord.envs.learners`).
- ``policy_gradient``: independent REINFORCE learners with a linear softmax policy and
  baseline per agent, in numpy (the gridworlds' baseline).
- ``two_stage``: Haupt et al.'s (2024) two-stage contracting protocol, over any env with
  the common contracting interface (``contract_menu``, ``reset(options={"contract": k})``,
  ``negotiate``).
- ``shared_policy``: a ``ParallelEnv`` as one parameter-shared policy needs it (flat
  observations, action masks in the infos, agents that leave, a contract per episode);
  needs only the ``rl`` extra.
- ``sb3``: parameter-shared PPO with Stable-Baselines3 through SuperSuit (the ``rl-sb3``
  extra; import ``accord.agents.learning.sb3`` by name: it loads torch, so this facade
  does not).
"""
