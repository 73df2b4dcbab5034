"""Agents of arbitration (``docs/arbitration.md``).

* :mod:`.evidence`: disputes with a known true verdict and noisy evidence (case files);
* :mod:`.adjudicators`: the bonded first instance: honest, corrupt, LLM;
* :mod:`.vocabulary`: the LLM adjudicator's vocabulary (schema, check, prompt, stand-in),
  plugged into :mod:`accord.agents.llm` beside the DeFi one.
"""

from accord.agents.arbitration.adjudicators import (
    ADJUDICATOR_KINDS,
    Adjudicator,
    CorruptAdjudicator,
    Docket,
    HonestAdjudicator,
    LLMAdjudicator,
    bribe_price,
)
from accord.agents.arbitration.evidence import CaseFile, draw_case, majority_accuracy, signal

__all__ = [
    "ADJUDICATOR_KINDS",
    "Adjudicator",
    "CaseFile",
    "CorruptAdjudicator",
    "Docket",
    "HonestAdjudicator",
    "LLMAdjudicator",
    "bribe_price",
    "draw_case",
    "majority_accuracy",
    "signal",
]
