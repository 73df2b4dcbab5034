"""The session API under generated hostile decisions (what an LLM fisher may send).

Decisions are drawn in any order and phase, from any name, with junk values (negative,
huge, floats, bools, strings, nested tuples, terms off the menu). A refused decision
raises :class:`FisheryError` and changes nothing (the device's state hash, the phase,
the round); an accepted one keeps every asset conserved to the unit.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.agents.commons import Terms
from accord.device import DeviceConfig, checks
from accord.games.fishery_session import FisheryError, FisheryParams, FisherySession

NAMES = ("fisher_0", "fisher_1", "fisher_2", "mallory", "", 3, None)
JUNK: tuple[Any, ...] = (-1, 10**40, 1.5, math.nan, True, "5", (1, 2), None, [3])
PARAMS = FisheryParams(fishers=3, quotas=(5, 10), penalties=(2,), renegotiate=True)
MENU = [t for t in PARAMS.menu if t is not None]

decision = st.one_of(
    st.tuples(
        st.just("catch"),
        st.sampled_from(NAMES),
        st.one_of(st.integers(0, 120), st.sampled_from(JUNK)),
    ),
    st.tuples(
        st.just("propose"),
        st.sampled_from(NAMES),
        st.one_of(
            st.none(), st.sampled_from(MENU), st.just(Terms(7, 2, 186)), st.sampled_from(JUNK)
        ),
    ),
    st.tuples(
        st.just("respond"), st.sampled_from(NAMES), st.one_of(st.booleans(), st.sampled_from(JUNK))
    ),
    st.tuples(st.just("close"), st.none(), st.none()),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(decision, max_size=30), st.sampled_from(("priority", "batch", "random")))
def test_session_under_hostile_decisions(steps: list[tuple[str, Any, Any]], ordering: str) -> None:
    s = FisherySession(PARAMS, DeviceConfig(ordering=ordering), 1)  # type: ignore[arg-type]
    refused = 0
    for kind, who, value in steps:
        if s.over:
            break
        before = (s.state_hash(), s.phase, s.round, len(s.history))
        try:
            if kind == "catch":
                s.catch(who, value)
            elif kind == "propose":
                s.propose(who, value)
            elif kind == "respond":
                s.respond(who, value)
            else:
                s.close_round()
        except FisheryError as exc:
            refused += 1
            assert str(exc) and "\n" not in str(exc)
            assert (s.state_hash(), s.phase, s.round, len(s.history)) == before
        checks.block_invariants(s.device)
    for r in s.history:
        assert sum(r.transfers) == 0
        assert all(c >= 0 for c in r.catches)
