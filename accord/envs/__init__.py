"""Learning agents' entry point: accord's games as PettingZoo ``ParallelEnv`` s.

Each ``*_v0`` module exposes ``parallel_env(**kwargs)`` (PettingZoo's convention, e.g.
``accord.envs.defi_routing_v0.parallel_env(searchers=2)``) and ``env(**kwargs)`` (the
same game as an AEC env, through PettingZoo's ``parallel_to_aec``). The envs need the
``rl`` extra (``pip install 'accord[rl]'``: ``pettingzoo`` and ``gymnasium``). See
``docs/rl.md`` for RLlib or CleanRL.

- ``defi_routing_v0`` (built in ``defi``): searchers deciding, block by block, whether
  to sandwich or back-run.
- ``commitment_pd_v0`` (built in ``pd``): a repeated prisoner's dilemma whose moves are
  commitments.
- ``bargaining_v0`` (built in ``bargaining``): Deal or No Deal with alternating offers,
  OpenSpiel's actions and instances, off the device; optionally against a scripted
  negotiator.
- ``matrix_dilemma_v0`` (built in ``matrix_dilemma``): n-player prisoner's dilemma, stag
  hunt, chicken and public goods, with formal contracts (θ from each defector to the
  cooperators) settled on the device, and the common contracting interface.
- ``fishery_v0``: the GovSim common-pool fishery (5 fishers, a lake of 100 that doubles,
  collapse below 5, 12 rounds): harvests are transactions on the device, quota contracts
  (a quota and a penalty per ton over it, paid to the others) settle at each round's
  close, with the common contracting interface.
- ``harvest_v0`` and ``cleanup_v0`` (built in ``gridworld`` over the numpy engines of
  :mod:`accord.games.gridworld`): the sequential social dilemmas with Haupt et al.'s
  contracts (θ per sparse apple eaten, θ per waste cell cleaned) settled on the device,
  and the common contracting interface.
- ``base``: what every device-backed env shares (spaces, the episode's device, seeding).
- ``learners``: a numpy baseline, independent tabular Q-learning (built in
  :mod:`accord.agents.learning.tabular`).
"""
