"""Agents: scripted, learning and LLM agents behind one small protocol.

- ``base``: the Agent protocol: an observation in, a list of actions out.
- ``intents``: the canonical intents of the commitment-device literature, as
  commitment builders.
- ``structured``: an LLM's structured answers, validated and retried (bounded); shared by
  ``llm`` and ``intent``, which do not import each other back.
- :mod:`accord.agents.defi`: DeFi users, MEV searchers and the CoW solver.
- :mod:`accord.agents.llm`: LLM agents over any OpenAI-compatible endpoint.
- :mod:`accord.agents.intent`: natural language to commitments.

Learning agents are in :mod:`accord.envs`.
"""
