"""The emissions scenario: colluding pays at first, then the starved contributors stop
working, the colluder forecasts worse and loses its emissions."""

from __future__ import annotations

from accord.device import DeviceConfig
from accord.games.base import GAMES
from accord.games.emissions import EmissionsGame, EmissionsParams, _crossover, _even_stream

CONFIG = DeviceConfig()


def run(seed: int = 0, **kw: object) -> dict[str, float | int]:
    result = EmissionsGame().run(EmissionsParams(**kw), CONFIG, seed)  # type: ignore[arg-type]
    return dict(result.metrics)


def test_registered_and_deterministic() -> None:
    assert GAMES["emissions"] is EmissionsGame
    a = EmissionsGame().run(EmissionsParams(epochs=3), CONFIG, 1)
    b = EmissionsGame().run(EmissionsParams(epochs=3), CONFIG, 1)
    assert a.state_hash == b.state_hash and a.metrics == b.metrics


def test_collusion_pays_first_and_costs_later_seed_0() -> None:
    m = run(0)
    # every epoch mints exactly the budget
    assert m["minted"] == 12 * 1_000_000
    assert m["honest_emitted"] + m["colluder_emitted"] == 12_000_000
    # epoch 0: both teams work; the colluder keeps its 60 % stream (via the crony)
    assert m["colluder_take_first_epoch"] == 478_265
    assert m["honest_take_first_epoch"] == 208_694
    # its contributors, unpaid, stop: by the second half it earns almost nothing
    assert m["colluder_emitted_late"] == 99_426
    assert m["honest_emitted_late"] == 5_900_574
    assert m["colluder_effort_last"] < 0.001
    assert m["colluder_brier_last"] > 0.24 > 0.18 > m["honest_brier_last"]
    assert m["crossover_epoch"] == 5
    assert m["colluder_take"] == 1_694_338 < m["honest_take"] == 4_122_265
    # and it would have taken more by streaming honestly (the control, same world)
    control = run(0, collude=False)
    assert control["colluder_take"] == 2_334_508 > m["colluder_take"]
    assert control["colluder_effort_last"] == 1.0


def test_the_claim_holds_across_seeds() -> None:
    for seed in range(1, 5):
        m = run(seed)
        control = run(seed, collude=False)
        assert m["colluder_take_first_epoch"] > m["honest_take_first_epoch"]
        assert 5 <= m["crossover_epoch"] <= 7
        assert m["colluder_emitted_late"] < 0.1 * m["honest_emitted_late"]
        assert m["colluder_take"] < control["colluder_take"]


def test_helpers() -> None:
    assert _even_stream(["a", "b", "c"], 6_001) == (("a", 2_001), ("b", 2_000), ("c", 2_000))
    assert _crossover([5, 6, 6, 7], [1, 5, 7, 9]) == 2
    assert _crossover([5, 6], [1, 2]) == -1
