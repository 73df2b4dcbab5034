"""accord: credible commitments for AI agents.

The package is layered (imports point downwards only):
``cli`` → ``lab`` → ``envs`` → ``games`` → ``agents`` → ``contracts`` → ``device`` →
``mechanisms``. One package per concept, each with a facade ``__init__`` that lists its
modules:

- :mod:`accord.cli`: the ``accord`` command, one module per command.
- :mod:`accord.lab`: scenarios, sweeps, results and reports.
- :mod:`accord.envs`: the games as PettingZoo environments for learning agents.
- :mod:`accord.games`: scenarios as code (who plays, on which contracts, what is measured).
- :mod:`accord.agents`: the Agent protocol; DeFi, LLM and intent agents.
- :mod:`accord.contracts`: the contracts deployed on the device.
- :mod:`accord.device`: the commitment device (ledger, mempool, blocks, log, replay).
- :mod:`accord.mechanisms`: pure mechanism math, no state, no device.
- :mod:`accord.compat`: 0.1's moved module paths, still importable.

The README's "Layout" section maps every concept to its folder and its ``docs/`` page.
"""

__version__ = "0.1.0"

from accord.compat import install as _install_moved_modules

_install_moved_modules()
