"""A principal's preferences in words become limits it confirms and commits; a delegate
then plays within them. Replayed stand-in recording, and hostile model answers."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.agents.llm import LLMClient
from accord.agents.llm.negotiation_brief import compile_preferences, describe, parse_limits
from accord.agents.structured import InvalidOutput
from accord.contracts.mandate import Limits, violation
from tests.agents.llm.make_negotiation_fixture import BRIEF_RECORDING, play_brief
from tests.agents.llm.make_negotiation_fixture import settings as llm_settings

POT = (("ball", 1), ("book", 3), ("hat", 3))


def test_sentences_compile_to_the_limits_they_say_and_bind_the_delegate() -> None:
    compiled, episodes = play_brief(LLMClient(llm_settings("replay", BRIEF_RECORDING)))
    assert "NOT a foundation model" in BRIEF_RECORDING.read_text().splitlines()[0]
    limits = [o.value for o in compiled]
    assert limits[:3] == [
        Limits(1_000, (("book", 1),), (), (("book", 3), ("hat", 1)), 5),
        Limits(1_000, (("ball", 1),), (), (("ball", 4), ("hat", 2)), 0),
        Limits(1_000, (("hat", 2),), (), (("book", 2), ("hat", 1)), 3),
    ]
    assert limits[3:] == [None, None]  # "Make me rich." and unknown items are refused
    assert "refused" in (compiled[3].reason or "") and "refused" in (compiled[4].reason or "")
    assert describe(limits[0]) == (  # type: ignore[arg-type]
        "Values: a book is worth 3; a hat is worth 1. Your delegate may agree only if you "
        "get at least 1 book and what you get is worth at least 5 (until block 1000)."
    )
    for lim, e in zip(limits, episodes, strict=False):
        assert lim is not None and e.received is not None and e.refused == 0
        got = tuple(sorted(e.received.items()))
        assert violation(lim.to_args(), 0, (), got) is None


answers = st.one_of(
    st.text(max_size=60),
    st.fixed_dictionaries(
        {},
        optional={
            "values": st.dictionaries(
                st.sampled_from(["ball", "book", "hat", "unicorn", ""]),
                st.one_of(st.integers(-3, 10**7), st.sampled_from(["2", 2.0, True, None])),
                max_size=4,
            ),
            "min_receive": st.dictionaries(
                st.sampled_from(["ball", "book", "hat", "cow"]), st.integers(-2, 5), max_size=3
            ),
            "max_give": st.dictionaries(
                st.sampled_from(["ball", "book", "hat"]), st.integers(-2, 5), max_size=3
            ),
            "min_value": st.one_of(st.integers(-5, 100), st.just("5")),
            "refusal": st.one_of(st.none(), st.just("unclear")),
            "pay_to": st.just("mallory"),
        },
    ).map(json.dumps),
)


@settings(max_examples=300, deadline=None)
@given(answers)
def test_a_hostile_reading_is_refused_or_gives_limits_the_pot_can_meet(text: str) -> None:
    try:
        lim = parse_limits(text, POT, 50)
    except InvalidOutput as exc:
        assert str(exc)
        return
    totals = dict(POT)
    for item, n in (*lim.min_receive, *lim.max_give):
        assert item in totals and 0 <= n <= totals[item]
    assert all(item in totals and v > 0 for item, v in lim.weights)
    best = sum(dict(lim.weights).get(i, 0) * n for i, n in totals.items())
    assert 0 <= lim.min_value <= best and lim.expiry == 50


@pytest.mark.parametrize("sentence", ["", "   ", "x" * 1_001, 7, None])
def test_a_bad_sentence_is_refused_before_any_call(sentence: object) -> None:
    with pytest.raises(ValueError, match="sentence"):
        compile_preferences(sentence, POT, object(), expiry=5)  # type: ignore[arg-type]
