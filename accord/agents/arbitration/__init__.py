"""Agents of arbitration (``docs/arbitration.md``).

* :mod:`.evidence`: disputes with a known true verdict and noisy evidence (case files);
* :mod:`.adjudicators`: the bonded first instance: honest, corrupt, LLM;
* :mod:`.jurors`: the court's jurors: honest, lazy, bribed, and the honesty mix;
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
from accord.agents.arbitration.jurors import (
    JUROR_KINDS,
    BribedJuror,
    HonestJuror,
    HonestyMix,
    Juror,
    LazyJuror,
    Summons,
    jury_accuracy,
    make_jurors,
    summons,
    vote_accuracy,
)

__all__ = [
    "ADJUDICATOR_KINDS",
    "JUROR_KINDS",
    "Adjudicator",
    "BribedJuror",
    "CaseFile",
    "CorruptAdjudicator",
    "Docket",
    "HonestAdjudicator",
    "HonestJuror",
    "HonestyMix",
    "Juror",
    "LLMAdjudicator",
    "LazyJuror",
    "Summons",
    "bribe_price",
    "draw_case",
    "jury_accuracy",
    "majority_accuracy",
    "make_jurors",
    "signal",
    "summons",
    "vote_accuracy",
]
