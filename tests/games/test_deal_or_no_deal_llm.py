"""The ``deal_or_no_deal`` game's LLM seat, replayed from the shipped recording (the
scripted stand-in, not a model), and scenarios that cannot seat it."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.agents.bargaining import Conceder
from accord.agents.llm import LLMClient, LLMSettings
from accord.agents.llm.cache import read_meta
from accord.agents.llm.client import STAND_IN_PRODUCER
from accord.agents.llm.scripted import ScriptedPolicy, stand_in_http_client
from accord.device import DeviceConfig
from accord.games.base import get_game
from accord.games.deal_or_no_deal import DealOrNoDealParams
from accord.games.deal_or_no_deal_llm import play_llm_seat
from accord.lab.runner import derive_seed
from accord.lab.scenario import ScenarioError, load_scenario, parse_scenario
from accord.mechanisms.bargaining.deal_or_no_deal import read_instances

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "examples" / "deal-or-no-deal-llm.toml"
RECORDING = ROOT / "examples" / "llm" / "deal-or-no-deal.jsonl"


def play(opponent: str) -> tuple[dict[str, float], dict[str, list[dict[str, object]]]]:
    """The shipped scenario's grid point against ``opponent``, its first seed."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)  # the scenario names its recording relative to the repository
        scenario = load_scenario(SCENARIO)
    for p in scenario.points:
        if p.values["params.second"] == opponent:
            params = p.params
            assert isinstance(params, DealOrNoDealParams) and params.llm is not None
            llm = params.llm.model_copy(update={"cache": str(RECORDING)})
            seed = derive_seed(scenario.seed, p.values, scenario.replicates[0])
            result = get_game("deal_or_no_deal")().run(
                params.model_copy(update={"llm": llm}), p.device, seed
            )
            return dict(result.metrics), result.tables
    raise AssertionError(f"no grid point against {opponent}")


def test_the_recording_says_it_is_the_stand_in() -> None:
    meta = read_meta(RECORDING)
    assert meta["producer"] == STAND_IN_PRODUCER and "NOT a foundation model" in meta["producer"]
    assert "SCRIPTED STAND-IN" in SCENARIO.read_text(encoding="utf-8")


def test_against_the_conceder_every_negotiation_agrees_within_the_mandate() -> None:
    m, tables = play("Conceder")
    assert m["episodes"] == 24 and m["agreement_rate"] == 1.0
    # what the recording holds: the principal's mean value 229/24, joint value 94.1% of
    # the maximum, 23 of 24 on the Pareto frontier
    assert Fraction(m["principal_value"]).limit_denominator(100) == Fraction(229, 24)
    assert m["principal_value"] == m["utility_first"]  # the delegate opens: player 0
    assert m["joint_value_ratio"] == pytest.approx(0.941, abs=5e-4)
    assert m["pareto_rate"] == pytest.approx(23 / 24)
    rows = tables["negotiations"]
    assert len(rows) == 24 and all(r["ended_by"] == "agreement" for r in rows)
    assert all(int(r["u_first"]) >= 4 for r in rows)  # the reservation committed: 4
    assert m["below_reservation"] == 0 and m["mandate_refusals_device"] == 0


def test_the_stand_ins_bad_answers_are_counted_and_retried() -> None:
    m, tables = play("TitForTat")
    transcript = tables["llm_transcript"]
    assert m["llm_calls"] == len(transcript) == 113
    assert m["llm_invalid_answers"] == m["llm_retries"] == 23 and m["llm_gave_up"] == 0
    assert sum(r["status"] == "invalid" for r in transcript) == 23
    # the stand-in's deliberate out-of-limits answers, refused by the check and retried
    assert m["mandate_refusals_checked"] == 7
    assert m["agreement_rate"] == pytest.approx(9 / 24)  # tit-for-tat holds out
    assert m["below_reservation"] == 0 and m["mandate_refusals_device"] == 0
    assert all(int(r["u_first"]) >= 4 for r in tables["negotiations"] if r["agreement"] is not None)


def test_a_replay_is_exact() -> None:
    assert play("Linear")[0] == play("Linear")[0]


BASE = """
game = "deal_or_no_deal"
[params]
{params}
"""
LLM = f"""
[params.llm]
base_url = "scripted"
model = "accord-scripted-v1"
mode = "replay"
cache = "{RECORDING}"
"""


def refused(text: str) -> str:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text, source="s.toml", default_name="s")
    message = str(err.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("params", "llm", "says"),
    [
        ('first = "GPT"', "", "params.first"),
        ('second = "llm"', "", "params.second"),
        ('first = "LLM"\nturn_blocks = 4', "", "needs params.llm"),
        ('first = "LLM"\nsecond = "LLM"\nturn_blocks = 4', LLM, "at most one seat"),
        ('first = "LLM"', LLM, "turn_blocks >= 3"),
        ('second = "LLM"\nturn_blocks = 4', LLM.replace(str(RECORDING), "nope.jsonl"), "nope"),
        ('first = "LLM"\nturn_blocks = 4', LLM.replace('"replay"', '"bogus"'), "mode"),
        ('first = "LLM"\nturn_blocks = 4', LLM + "max_retries = -1\n", "max_retries"),
        ('first = "LLM"\nturn_blocks = 4', LLM + "colour = 1\n", "colour"),
        ('first = "LLM"\nturn_blocks = 4', LLM.replace('cache = "', 'x = "'), "llm"),
        ('first = "LLM"\nturn_blocks = 4\nreservation = 11', LLM, "reservation"),
        ('first = "LLM"\nturn_blocks = 4\nreservation = true', LLM, "reservation"),
        ('first = "LLM"\nturn_blocks = 4\nbrief = ["keep books"]', LLM, "brief"),
    ],
)
def test_a_scenario_that_cannot_seat_an_llm_is_a_one_line_error(
    params: str, llm: str, says: str
) -> None:
    assert says in refused(BASE.format(params=params) + llm)


@given(st.one_of(st.text(max_size=20), st.integers(), st.booleans(), st.none()))
def test_any_other_seat_kind_is_refused(seat: object) -> None:
    names = {"Boulware", "Linear", "Conceder", "TitForTat", "ParetoAware", "LLM"}
    if seat in names:
        return
    with pytest.raises(ValueError):
        DealOrNoDealParams.model_validate({"first": seat})


class GivesEverythingAway(ScriptedPolicy):
    """A 'model' that always proposes its principal receives nothing (worth 0 < 4)."""

    def answer(self, request: dict[str, object]) -> str:
        return '{"action": "propose", "receive": [0, 0, 0], "note": "all yours"}'


@pytest.mark.parametrize("check", [True, False])
def test_a_delegate_outside_its_mandate_binds_nobody_in_the_game(check: bool) -> None:
    """With its check on, every answer is refused and retried until the delegate gives
    up; with it off, the device refuses the offer (the mandate committed first)."""
    pytest.importorskip("openai")
    settings = LLMSettings(base_url="scripted", model="accord-scripted-v1", mode="live")
    client = LLMClient(settings, http_client=stand_in_http_client(GivesEverythingAway()))
    instances = read_instances()[:3]
    episodes, m, transcript, _, _ = play_llm_seat(
        instances,
        Conceder,
        0,
        settings,
        DeviceConfig(),
        5,
        reservation=4,
        n_steps=8,
        turn_blocks=4,
        client=client,
        check=check,
    )
    assert all(e.agreement is None and e.utilities == (0, 0) for e in episodes)
    assert m["below_reservation"] == 0 and m["principal_value"] == 0
    assert len(transcript) == m["llm_calls"]
    if check:
        assert m["llm_gave_up"] == 3 and m["mandate_refusals_device"] == 0
        assert m["mandate_refusals_checked"] == m["llm_invalid_answers"] == 9  # 3 tries each
        assert {e.ended_by for e in episodes} == {"delegate gave up"}
    else:
        assert m["mandate_refusals_device"] == 3 and m["llm_invalid_answers"] == 0
        assert {e.ended_by for e in episodes} == {"refused by the device"}
