"""Learning agents that know no env: only observations, actions and rewards.

- ``tabular``: independent tabular Q-learners, ε schedules, and the train/evaluate loops
  over any PettingZoo ``ParallelEnv`` (re-exported by :mod:`accord.envs.learners`).
- ``two_stage``: Haupt et al.'s (2024) two-stage contracting protocol, over any env with
  the common contracting interface (``contract_menu``, ``reset(options={"contract": k})``,
  ``negotiate``).
"""
