"""Test-suite settings shared by every package.

Hypothesis draws its examples from a fixed seed by default (``derandomize``), so a run
of ``make test`` is reproducible like the device it tests: the same commit passes or
fails the same way on every machine. Set ``HYPOTHESIS_PROFILE=explore`` to search with
fresh random examples (and keep whatever failure it finds as an ``@example``).
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
