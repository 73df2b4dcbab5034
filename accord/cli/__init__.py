"""The ``accord`` command line: thin wrappers that parse, call the library and print.

The facade: :data:`app` is the typer app that the ``accord`` script runs
(``pyproject.toml``: ``accord = "accord.cli:app"``; also ``python -m accord.cli``). One
module per command or command group:

- ``main``: :data:`app`, every command put on it, and ``accord version``.
- ``run``: ``accord run``, a scenario's sweep, results and report.
- ``report``: ``accord report``, a run directory's report rebuilt.
- ``replay``: ``accord replay``, an event log replayed and checked.
- ``demo``: ``accord demo``, the device tour.
- ``route``: ``accord route``, optimal routing over a pool file.
- ``judge``: ``accord judge …``, distilled human judgement on deep-funding CSVs.
- ``deepfund``: ``accord deepfund …``, credit propagated down a dependency graph.
- ``intent``: ``accord intent …``, natural language to intents.
- ``rl``: ``accord rl train``, parameter-shared PPO on an env (the ``rl-sb3`` extra).
- ``llm``: ``accord llm serve``, a local model behind an OpenAI-compatible endpoint.
- ``common``: the console and one-line errors every command shares.
- ``guard``: the CLI-wide guard, every unforeseen error one line (``--debug``: traceback).
"""

from __future__ import annotations

from accord.cli.main import app

__all__ = ["app"]
