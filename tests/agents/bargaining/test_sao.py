"""The SAO negotiation interface and runner: protocol, OpenSpiel mapping, hostile negotiators."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.agents.bargaining import (
    NMI,
    Boulware,
    Conceder,
    Linear,
    Negotiator,
    ResponseType,
    SAOState,
    openspiel_actions,
    openspiel_steps,
    run_negotiation,
)
from accord.mechanisms.bargaining.deal_or_no_deal import AGREE, OFFERS, Instance, read_instances

INST = Instance((1, 2, 3), ((8, 1, 0), (4, 0, 2)))


class Scripted:
    """Offers from a list (repeating the last) and answers from a list (repeating the last)."""

    def __init__(self, offers: list[Any], answers: list[Any]) -> None:
        self.offers, self.answers = offers, answers
        self.seen: list[SAOState] = []
        self.responded: list[SAOState] = []
        self.nmi: NMI | None = None

    def on_negotiation_start(self, nmi: NMI) -> None:
        self.nmi = nmi

    def propose(self, state: SAOState) -> Any:
        self.seen.append(state)
        return self.offers[min(len(self.seen) - 1, len(self.offers) - 1)]

    def respond(self, state: SAOState, offer: Any) -> Any:
        self.responded.append(state)
        return self.answers[min(len(self.responded) - 1, len(self.answers) - 1)]


def test_scripted_negotiators_satisfy_the_protocol() -> None:
    assert isinstance(Boulware(), Negotiator) and isinstance(Scripted([], []), Negotiator)


def test_accepting_the_first_offer() -> None:
    a = Scripted([(1, 2, 0)], [ResponseType.REJECT_OFFER])
    b = Scripted([(0, 0, 0)], [ResponseType.ACCEPT_OFFER])
    r = run_negotiation(INST, [a, b])
    assert r.agreement == (1, 2, 0) and r.utilities == (10, 6) and r.steps == 1
    assert r.ended_by == "agreement"
    assert a.nmi is not None and a.nmi.values == (8, 1, 0) and a.nmi.n_steps == 9
    assert b.nmi is not None and b.nmi.player == 1 and b.nmi.utility((1, 2, 0)) == 6
    assert a.seen[0].step == 0 and a.seen[0].current_offer is None


def test_alternation_state_and_timeout() -> None:
    a = Scripted([(1, 2, 3)], [ResponseType.REJECT_OFFER])
    b = Scripted([(0, 0, 0)], [ResponseType.REJECT_OFFER])
    r = run_negotiation(INST, [a, b], n_steps=5)
    assert r.agreement is None and r.utilities == (0, 0) and r.ended_by == "timeout"
    assert [o.proposer for o in r.offers] == [0, 1, 0, 1, 0]
    assert [o.outcome for o in r.offers] == [(1, 2, 3), (0, 0, 0)] * 2 + [(1, 2, 3)]
    # b responds at steps 0, 2, 4 and sees the offer it answers as the current one
    answered = b.responded
    assert [s.step for s in answered] == [0, 2, 4]
    assert [s.relative_time for s in answered] == [0.0, 0.4, 0.8]
    assert all(s.history[-1].outcome == s.current_offer for s in answered)
    # player 1 opening
    r = run_negotiation(INST, [a, b], n_steps=2, first=1)
    assert [o.proposer for o in r.offers] == [1, 0]


def test_end_negotiation_gives_the_disagreement_point() -> None:
    a = Scripted([(1, 2, 0)], [ResponseType.REJECT_OFFER])
    b = Scripted([(0, 0, 0)], [ResponseType.END_NEGOTIATION])
    r = run_negotiation(INST, [a, b])
    assert r.agreement is None and r.utilities == (0, 0) and r.steps == 1
    assert r.ended_by == "end_negotiation by player 1"


bad_offers = st.one_of(
    st.none(),
    st.just((2, 0, 0)),  # more than the pool
    st.just((-1, 0, 0)),
    st.just([1, 0, 0]),
    st.just((1, 0)),
    st.just((1, 0, 0, 0)),
    st.just((True, 0, 0)),
    st.just((1.0, 0, 0)),
    st.just("1,0,0"),
    st.tuples(st.integers(), st.integers(), st.integers()).filter(
        lambda t: not all(0 <= q <= n for q, n in zip(t, (1, 2, 3), strict=True))
    ),
)
bad_answers = st.one_of(
    st.none(), st.booleans(), st.just("ACCEPT_OFFER"), st.just(0), st.just(ResponseType)
)


@settings(max_examples=100, deadline=None)
@given(bad_offers, st.integers(0, 3))
def test_invalid_offers_end_without_a_deal(offer: object, when: int) -> None:
    good = [(0, 1, 1)] * when
    a = Scripted([*good, offer], [ResponseType.REJECT_OFFER])
    b = Scripted([(1, 1, 1)], [ResponseType.REJECT_OFFER])
    r = run_negotiation(INST, [a, b], n_steps=9)
    assert r.agreement is None and r.utilities == (0, 0)
    assert r.ended_by.startswith("invalid offer") and r.ended_by.endswith("by player 0")
    assert r.steps == 2 * when


@settings(max_examples=50, deadline=None)
@given(bad_answers)
def test_invalid_responses_end_without_a_deal(answer: object) -> None:
    a = Scripted([(1, 2, 0)], [ResponseType.REJECT_OFFER])
    b = Scripted([(0, 0, 0)], [answer])
    r = run_negotiation(INST, [a, b])
    assert r.agreement is None and r.ended_by.startswith("invalid response")


def test_bad_runner_arguments() -> None:
    ok = [Linear(), Linear()]
    with pytest.raises(ValueError, match="exactly 2"):
        run_negotiation(INST, [Linear()])
    with pytest.raises(ValueError, match="exactly 2"):
        run_negotiation(INST, "ab")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="negotiator 1 must have"):
        run_negotiation(INST, [Linear(), None])  # type: ignore[list-item]
    for n in (0, -1, 10**6, 1.5, True):
        with pytest.raises(ValueError, match="n_steps"):
            run_negotiation(INST, ok, n_steps=n)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="first"):
        run_negotiation(INST, ok, first=2)
    with pytest.raises(TypeError, match="Instance"):
        run_negotiation("1,2,3 8,1,0 4,0,2", ok)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_turns"):
        openspiel_steps(1)


def _openspiel_returns(inst: Instance, actions: list[int]) -> tuple[int, int]:
    """OpenSpiel's bargaining returns, recomputed from its rules: after "agree", the last
    offer's proposer gets what it keeps, the other the rest; without agreement, 0."""
    if not actions or actions[-1] != AGREE:
        return (0, 0)
    offers = actions[:-1]
    proposer = (len(offers) - 1) % 2
    keep = OFFERS[offers[-1]]
    rest = tuple(n - q for n, q in zip(inst.pool, keep, strict=True))
    got = {proposer: keep, 1 - proposer: rest}
    return (inst.value(0, got[0]), inst.value(1, got[1]))


def test_openspiel_mapping_reproduces_its_returns() -> None:
    for inst in read_instances()[:100]:
        for pair in ([Boulware(), Conceder()], [Conceder(), Linear()]):
            r = run_negotiation(inst, pair, n_steps=openspiel_steps(10))
            actions = openspiel_actions(r)
            assert len(actions) <= 10 and all(0 <= a <= AGREE for a in actions)
            assert _openspiel_returns(inst, actions) == r.utilities
            # each offer action is legal in OpenSpiel: what the proposer keeps fits the pool
            for o, a in zip(r.offers, actions, strict=False):
                keep = OFFERS[a]
                assert all(q <= n for q, n in zip(keep, inst.pool, strict=True))
                mine = keep if o.proposer == 0 else inst.rest(keep)
                assert mine == o.outcome
    r = run_negotiation(INST, [Linear(), Linear()], first=1)
    with pytest.raises(ValueError, match="player 0 always"):
        openspiel_actions(r)


def test_on_offer_sees_every_offer_in_order() -> None:
    seen: list[tuple[int, int, tuple[int, int, int]]] = []
    r = run_negotiation(
        INST,
        [Boulware(), Conceder()],
        on_offer=lambda o: seen.append((o.step, o.proposer, o.outcome)),
    )
    assert seen == [(o.step, o.proposer, o.outcome) for o in r.offers] and len(seen) == r.steps
