"""Learning agents' entry point: accord's games as PettingZoo ``ParallelEnv`` s.

Each ``*_v0`` module exposes ``parallel_env(**kwargs)`` (PettingZoo's convention, e.g.
``accord.envs.defi_routing_v0.parallel_env(searchers=2)``) and ``env(**kwargs)`` (the
same game as an AEC env, through PettingZoo's ``parallel_to_aec``). The envs need the
``rl`` extra (``pip install 'accord[rl]'``: ``pettingzoo`` and ``gymnasium``).
:mod:`accord.envs.learners` has a numpy baseline (tabular Q-learning); ``docs/rl.md``
shows how to plug in RLlib or CleanRL.
"""
