"""accord: credible commitments for AI agents.

The package is layered (imports point downwards only):
``cli`` → ``lab`` → ``games`` → ``agents`` → ``contracts`` → ``device`` → ``mechanisms``.
See ``docs/`` and the README for a tour.
"""

__version__ = "0.1.0"

from accord.compat import install as _install_moved_modules

_install_moved_modules()
