"""The arbitration game's parameters and its metrics' glossary (``accord.games.arbitration``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.agents.llm.config import SCRIPTED, SCRIPTED_MODEL, LLMSettings
from accord.games.glossary import NON_NEGATIVE, REAL, UNIT_INTERVAL, Better, Glossary, Metric
from accord.games.glossary import glossary as make_glossary

__all__ = ["GLOSSARY", "ArbitrationParams"]


class ArbitrationParams(BaseModel):
    """The arbitration game's parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    disputes: int = Field(12, ge=1, le=200)
    amount: int = Field(10_000, ge=1)
    fee: int = Field(200, ge=0)
    """The adjudicator's fee (paid by the loser when its ruling stands)."""
    levy: int = Field(100, ge=0)
    bond: int = Field(4_000, ge=1)
    audit_bps: int = Field(1_000, ge=0, le=10_000)
    audit_fund: int = Field(20_000, ge=0)
    """What the service puts in the audit fund at the start."""
    adjudicator: Literal["honest", "corrupt", "llm"] = "honest"
    adjudicator_accuracy: float = Field(0.8, ge=0.0, le=1.0)
    bribe: int = Field(0, ge=0)
    """What the dishonest party offers a corrupt adjudicator."""
    bribe_price: int = Field(1_000, ge=0)
    """The least bribe a corrupt adjudicator takes."""
    jurors: int = Field(7, ge=1, le=64)
    juror_accuracy: float = Field(0.85, ge=0.0, le=1.0)
    """Chance that an honest juror reads the evidence right."""
    bribed_jurors: float = Field(0.0, ge=0.0, le=1.0)
    """Share of the jurors that vote for the dishonest party (the honesty mix)."""
    lazy_jurors: float = Field(0.0, ge=0.0, le=1.0)
    """Share of the jurors that vote at random (the rest are honest)."""
    fee_per_juror: int = Field(1_000, ge=1)
    max_jurors: int = Field(31, ge=3, le=63)
    appeal_policy: Literal["never", "wronged", "always"] = "wronged"
    exhibits: int = Field(5, ge=1, le=15)
    clarity: float = Field(0.75, ge=0.0, le=1.0)
    """Chance that an exhibit supports the truth (what the LLM adjudicator reads)."""
    inject: bool = False
    """Whether the dishonest party adds an exhibit of text aimed at the model."""
    max_blocks: int = Field(400, ge=10, le=5_000)
    llm: LLMSettings = LLMSettings(base_url=SCRIPTED, model=SCRIPTED_MODEL, mode="record")

    @model_validator(mode="after")
    def _mix(self) -> ArbitrationParams:
        if self.bribed_jurors + self.lazy_jurors > 1.0:
            raise ValueError("bribed_jurors + lazy_jurors must be at most 1")
        return self


HEADLINE = ("accuracy", "cost_per_dispute", "honest_loss", "dishonest_earnings")


def _m(name: str, unit: str, support: Any, text: str, better: Better) -> Metric:
    return Metric(name, unit, support, text, better, name in HEADLINE)


GLOSSARY: Glossary = make_glossary(
    [
        _m(
            "accuracy",
            "share",
            UNIT_INTERVAL,
            "Disputes whose final ruling is the truth.",
            Better.HIGHER,
        ),
        _m(
            "cost_per_dispute",
            "USD",
            REAL,
            "What left both parties per dispute (fees, levies, court costs, bribes, less bonds).",
            Better.LOWER,
        ),
        _m(
            "appeal_rate",
            "share",
            UNIT_INTERVAL,
            "Disputes whose adjudicator ruling was appealed.",
            Better.NEITHER,
        ),
        _m(
            "audit_rate",
            "share",
            UNIT_INTERVAL,
            "Disputes audited (sent to the court unappealed).",
            Better.NEITHER,
        ),
        _m(
            "court_rate",
            "share",
            UNIT_INTERVAL,
            "Disputes the court decided (appeal, audit or escalation).",
            Better.LOWER,
        ),
        _m(
            "overturn_rate",
            "share",
            UNIT_INTERVAL,
            "Disputes where the court overturned the adjudicator.",
            Better.LOWER,
        ),
        _m(
            "court_rounds",
            "rounds",
            NON_NEGATIVE,
            "Mean jury rounds per dispute the court heard.",
            Better.LOWER,
        ),
        _m(
            "blocks_to_finality",
            "blocks",
            NON_NEGATIVE,
            "Mean blocks from the dispute to its end.",
            Better.LOWER,
        ),
        _m(
            "honest_loss",
            "USD",
            REAL,
            "Mean shortfall of the honest party against what the truth entitles it to.",
            Better.LOWER,
        ),
        _m(
            "dishonest_earnings",
            "USD",
            REAL,
            "Mean gain of the dishonest party over its due (positive: lying pays).",
            Better.LOWER,
        ),
        _m(
            "dishonest_wins",
            "share",
            UNIT_INTERVAL,
            "Disputes the dishonest party won.",
            Better.LOWER,
        ),
        _m(
            "adjudicator_pnl",
            "USD",
            REAL,
            "The adjudicator's total gain: fees and bribes, less forfeited bonds.",
            Better.NEITHER,
        ),
        _m("audit_fund_end", "USD", NON_NEGATIVE, "The audit fund at the end.", Better.NEITHER),
        _m(
            "unfinished",
            "disputes",
            NON_NEGATIVE,
            "Disputes not ended within max_blocks (0 expected).",
            Better.LOWER,
        ),
        _m(
            "llm_calls",
            "calls",
            NON_NEGATIVE,
            "LLM adjudicator calls (retries included).",
            Better.LOWER,
        ),
        _m(
            "llm_invalid_answers",
            "answers",
            NON_NEGATIVE,
            "Invalid LLM answers (fed back and retried).",
            Better.LOWER,
        ),
        _m(
            "llm_gave_up",
            "cases",
            NON_NEGATIVE,
            "Cases the LLM adjudicator never validly ruled on.",
            Better.LOWER,
        ),
    ]
)
