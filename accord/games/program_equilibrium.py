"""Program equilibrium: one-shot prisoner's dilemmas between programs that read each other.

Tennenholtz ("Program equilibrium", Games and Economic Behavior 49, 2004) showed that when
players submit programs that can inspect each other, cooperation becomes an equilibrium
of the one-shot prisoner's dilemma. The *modal agents* of LaVictoire, Fallenstein,
Yudkowsky, Barasz, Christiano and Herreshoff ("Program Equilibrium in the Prisoner's
Dilemma via Löb's Theorem", 2014) make this robust: instead of comparing source code
they search for proofs about each other, and Löb's theorem makes two FairBots cooperate.

Here every program is a :class:`~accord.device.commitments.Commitment` whose condition
says when it cooperates, with ``$cp`` standing for the opponent, so the very same data
can be posted on the device and resolved by its block resolver. ``play`` evaluates the
pair with :class:`~accord.device.commitments.modal.ModalSolver` (provability logic on a
linear Kripke frame), so every match terminates with a defined result.

The standard agents live in :mod:`accord.device.commitments.library` (so the device's
resolver can answer "what would X do against DefectBot?") and are re-exported here.
Their conditions read "cooperate iff …":

* ``COOPERATEBOT``: ⊤.   ``DEFECTBOT``: ⊥.
* ``FAIRBOT``: □(opponent cooperates with me).
* ``PRUDENTBOT``: □(opponent cooperates with me) ∧ □(¬□⊥ → opponent defects against
  DefectBot), i.e. PA+1 proves the opponent does not cooperate with DefectBot: it
  cooperates with FairBot and itself but exploits CooperateBot.
* ``TROLLBOT`` (added): □(opponent cooperates with DefectBot): it rewards exploitability.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from accord.device.commitments.language import Commitment
from accord.device.commitments.library import (
    COOPERATEBOT,
    DEFECTBOT,
    FAIRBOT,
    LIBRARY,
    PRUDENTBOT,
    STANDARD_BOTS,
    TROLLBOT,
    program,
)
from accord.device.commitments.modal import ModalSolver, StateOracle

__all__ = [
    "COOPERATEBOT",
    "DEFECTBOT",
    "FAIRBOT",
    "PD_PAYOFFS",
    "PRUDENTBOT",
    "STANDARD_BOTS",
    "TROLLBOT",
    "Tournament",
    "play",
    "program",
    "tournament",
]

COOPERATE, DEFECT = "C", "D"
PD_PAYOFFS: Mapping[tuple[str, str], tuple[int, int]] = {
    ("C", "C"): (3, 3),
    ("C", "D"): (0, 5),
    ("D", "C"): (5, 0),
    ("D", "D"): (1, 1),
}
"""The textbook prisoner's dilemma (T=5 > R=3 > P=1 > S=0, 2R > T+S)."""


def _environment(players: Sequence[Commitment]) -> dict[str, Commitment]:
    env = dict(LIBRARY)
    for p in players:
        if env.setdefault(p.id, p) != p:
            raise ValueError(f"two different programs share the id {p.id!r}")
    return env


def play(a: Commitment, b: Commitment, *, state: StateOracle | None = None) -> tuple[str, str]:
    """Play ``a`` against ``b``; each side is ``'C'`` (condition holds) or ``'D'``.

    The standard bots are always in scope, so a program may ask what its opponent would
    do against ``DefectBot/pd`` and the like. ``state`` evaluates state atoms, if any.
    """
    solver = ModalSolver(_environment([a, b]), state=state)
    first, second = (a.id, b.id), (b.id, a.id)
    fires = solver.solve([first, second]).fires
    return (
        COOPERATE if fires[first] else DEFECT,
        COOPERATE if fires[second] else DEFECT,
    )


@dataclass(frozen=True)
class Tournament:
    """A round robin: every ordered pair's moves, and each program's total payoff."""

    names: tuple[str, ...]
    moves: dict[tuple[str, str], tuple[str, str]]
    scores: dict[str, int]

    def ranking(self) -> list[tuple[str, int]]:
        """Programs by total payoff, best first (ties by name)."""
        return sorted(self.scores.items(), key=lambda kv: (-kv[1], kv[0]))


def tournament(
    programs: Sequence[Commitment],
    *,
    payoffs: Mapping[tuple[str, str], tuple[int, int]] = PD_PAYOFFS,
    self_play: bool = True,
) -> Tournament:
    """Every program plays every other once (and itself if ``self_play``)."""
    names = tuple(p.id for p in programs)
    if len(set(names)) != len(names):
        raise ValueError("tournament programs must have distinct ids")
    moves: dict[tuple[str, str], tuple[str, str]] = {}
    scores = dict.fromkeys(names, 0)
    for i, a in enumerate(programs):
        for b in programs[i if self_play else i + 1 :]:
            pair = play(a, b)
            moves[(a.id, b.id)] = pair
            moves[(b.id, a.id)] = (pair[1], pair[0])
            pay_a, pay_b = payoffs[pair]
            scores[a.id] += pay_a
            if b.id != a.id:
                scores[b.id] += pay_b
    return Tournament(names, moves, scores)
