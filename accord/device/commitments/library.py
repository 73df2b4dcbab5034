"""The standard modal agents, always in scope as programs a commitment may ask about.

A commitment can ask what another would do against a *given* counterpart
(``fires_against(X, "DefectBot/pd")``). The counterparts everyone knows are these
programs from the program-equilibrium literature (LaVictoire et al., 2014); the device's
resolver and :func:`accord.games.program_equilibrium.play` both keep them in scope.
They are hypothetical players only: they hold nothing and never act. Each condition
reads "cooperate iff":

* ``COOPERATEBOT``: ⊤.   ``DEFECTBOT``: ⊥.
* ``FAIRBOT``: □(the counterpart cooperates with me).
* ``PRUDENTBOT``: □(the counterpart cooperates with me) ∧ □(¬□⊥ → the counterpart
  defects against DefectBot): PA+1 proves the counterpart is not exploitable-friendly.
* ``TROLLBOT`` (added here): □(the counterpart cooperates with DefectBot).
"""

from __future__ import annotations

from accord.device.commitments.build import FALSE, TRUE, commitment, consistent, provable
from accord.device.commitments.language import (
    COUNTERPART,
    Commitment,
    Fires,
    FiresAgainst,
    Formula,
    Not,
)


def program(name: str, cooperates_iff: Formula) -> Commitment:
    """A prisoner's-dilemma program ``name/pd``: it cooperates iff the formula holds."""
    return commitment(name, "pd", expiry=0, condition=cooperates_iff)


COOPERATEBOT = program("CooperateBot", TRUE)
DEFECTBOT = program("DefectBot", FALSE)
FAIRBOT = program("FairBot", Fires(ref=COUNTERPART))
PRUDENTBOT = program(
    "PrudentBot",
    provable(Fires(ref=COUNTERPART))
    & provable(consistent() >> Not(arg=FiresAgainst(ref=COUNTERPART, counterpart=DEFECTBOT.id))),
)
TROLLBOT = program("TrollBot", provable(FiresAgainst(ref=COUNTERPART, counterpart=DEFECTBOT.id)))

STANDARD_BOTS: tuple[Commitment, ...] = (
    COOPERATEBOT,
    DEFECTBOT,
    FAIRBOT,
    PRUDENTBOT,
    TROLLBOT,
)
LIBRARY: dict[str, Commitment] = {bot.id: bot for bot in STANDARD_BOTS}
