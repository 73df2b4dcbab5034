"""The modal agents' known results (LaVictoire et al. 2014, Table 1 and §4)."""

from __future__ import annotations

import pytest

from accord.device.commitments.build import consistent, fires, fires_against, provable
from accord.games.program_equilibrium import (
    COOPERATEBOT,
    DEFECTBOT,
    FAIRBOT,
    PRUDENTBOT,
    STANDARD_BOTS,
    TROLLBOT,
    play,
    program,
    tournament,
)

KNOWN = [
    (FAIRBOT, FAIRBOT, ("C", "C")),  # Löb's theorem: two FairBots cooperate
    (FAIRBOT, COOPERATEBOT, ("C", "C")),
    (FAIRBOT, DEFECTBOT, ("D", "D")),  # unexploitable
    (PRUDENTBOT, PRUDENTBOT, ("C", "C")),
    (PRUDENTBOT, FAIRBOT, ("C", "C")),
    (PRUDENTBOT, COOPERATEBOT, ("D", "C")),  # exploits CooperateBot
    (PRUDENTBOT, DEFECTBOT, ("D", "D")),
    (COOPERATEBOT, DEFECTBOT, ("C", "D")),
    (DEFECTBOT, DEFECTBOT, ("D", "D")),
    (TROLLBOT, COOPERATEBOT, ("C", "C")),  # CooperateBot cooperates with DefectBot
    (TROLLBOT, FAIRBOT, ("D", "D")),  # FairBot(TrollBot) = □□□⊥, false
    (TROLLBOT, TROLLBOT, ("D", "D")),
]


@pytest.mark.parametrize(("a", "b", "expected"), KNOWN, ids=lambda x: getattr(x, "owner", ""))
def test_known_matchups(a: object, b: object, expected: tuple[str, str]) -> None:
    assert play(a, b) == expected  # type: ignore[arg-type]
    assert play(b, a) == (expected[1], expected[0])  # type: ignore[arg-type]


def test_a_user_written_fairbot_cooperates_with_the_library_fairbot() -> None:
    mine = program("MyFairBot", provable(fires("$cp")))
    assert play(mine, FAIRBOT) == ("C", "C")
    assert play(mine, DEFECTBOT) == ("D", "D")


def test_negation_terminates_with_the_godel_sentence_value() -> None:
    # "I cooperate iff it is not provable that you cooperate", twice: the fixed point is
    # ¬□⊥ (consistency), which is true, so both cooperate.
    spite = program("Spite", ~fires("$cp"))
    assert play(spite, spite) == ("C", "C")
    # Against DefectBot: ¬□⊥ again, true.
    assert play(spite, DEFECTBOT) == ("C", "D")
    # Against CooperateBot: ¬□⊤ is false.
    assert play(spite, COOPERATEBOT) == ("D", "C")


def test_provability_of_inconsistency_is_false() -> None:
    assert play(program("Paranoid", provable(~consistent())), COOPERATEBOT) == ("D", "C")
    assert play(program("Believer", consistent()), COOPERATEBOT) == ("C", "C")


def test_a_program_can_ask_what_its_opponent_does_against_a_third() -> None:
    # Cooperate iff the opponent would cooperate with CooperateBot.
    judge = program("Judge", fires_against("$cp", COOPERATEBOT.id))
    assert play(judge, PRUDENTBOT) == ("D", "D")  # PrudentBot exploits CooperateBot
    assert play(judge, FAIRBOT) == ("C", "C")


def test_tournament_scores_follow_the_payoff_matrix() -> None:
    result = tournament(STANDARD_BOTS)
    # PrudentBot: CB 5, DB 1, FB 3, PB 3 (self-play counted once), TB 1.
    assert result.scores["PrudentBot/pd"] == 13
    assert result.scores["FairBot/pd"] == 3 + 1 + 3 + 3 + 1
    assert result.ranking()[0] == ("PrudentBot/pd", 13)
    assert result.moves[("CooperateBot/pd", "PrudentBot/pd")] == ("C", "D")


def test_two_different_programs_with_one_id_are_refused() -> None:
    impostor = program("FairBot", ~fires("$cp"))
    with pytest.raises(ValueError, match="share the id 'FairBot/pd'"):
        play(impostor, DEFECTBOT)
