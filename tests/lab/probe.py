"""A probe game for the lab's tests: exact, instant metrics, and failures on demand.

It lives in an importable module so that spawned pool workers can import it by name.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from accord.device.config import DeviceConfig
from accord.games.base import GameResult, register_game
from accord.games.glossary import NON_NEGATIVE, REAL, Better, Glossary, Metric, glossary

PROBE = """
name = "probe"
game = "lab_probe"
seed = 3
seeds = 2

[params]
rows = 3

[sweep]
"params.scale" = [1, 10]
"params.fail" = [false, true]
"""
"""A sweep of the probe: 2 scales × fails on or off × 2 seeds (8 runs, 4 failing); the
lab's result and durability tests share it."""

BIG = 10**20
"""Larger than any int64: the results must keep it exact (DECIMAL(38,0))."""


class ProbeParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    scale: int = 1
    fail: bool = False
    rows: int = 2


@register_game
class ProbeGame:
    """Metrics are simple functions of the seed and the design, so tests can predict them."""

    name: ClassVar[str] = "lab_probe"
    Params: ClassVar[type[BaseModel]] = ProbeParams

    def run(self, params: BaseModel, device: DeviceConfig, seed: int) -> GameResult:
        assert isinstance(params, ProbeParams)
        if params.fail:
            raise ValueError(f"probe told to fail (seed {seed})")
        return GameResult(
            metrics={
                "residue": (seed % 1000) * params.scale,
                "gas_limit": device.block_gas_limit,
                "big": BIG + seed % 7,
                "undefined": float("nan"),
                "half": 0.5,
                "unbounded": float("inf"),
            },
            state_hash=f"{seed:016x}",
            blocks=params.scale,
            tables={"rows": [{"i": i, "seed_mod": (seed + i) % 10} for i in range(params.rows)]},
        )


class ShiftParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    shift: int = 0


SHIFT_GLOSSARY = glossary(
    [
        Metric("level", "units", REAL, "The seed's draw plus the design's shift.", Better.HIGHER),
        Metric("sparse", "events", NON_NEGATIVE, "9 for one seed in three, else 0.", Better.LOWER),
        Metric("dust", "USD", REAL, "Float noise around zero.", Better.NEITHER),
        Metric("constant", "items", NON_NEGATIVE, "Always 7.", Better.NEITHER),
        Metric("wobble", "units", REAL, "One, give or take float noise.", Better.HIGHER),
    ]
)


@register_game
class ShiftGame:
    """Designs that differ by an exact constant: ``level`` is a draw of the seed plus
    ``shift``, so paired differences between designs are exactly the shifts' differences."""

    name: ClassVar[str] = "lab_shift"
    Params: ClassVar[type[BaseModel]] = ShiftParams
    glossary: ClassVar[Glossary] = SHIFT_GLOSSARY

    def run(self, params: BaseModel, device: DeviceConfig, seed: int) -> GameResult:
        assert isinstance(params, ShiftParams)
        return GameResult(
            metrics={
                "level": float(seed % 97) + params.shift,
                "sparse": 9 if seed % 3 == 0 else 0,
                "dust": 1e-13 * (seed % 5 - 2),
                "constant": 7,
                "wobble": 1.0 + 1e-14 * params.shift,
                "undeclared": seed % 11,
            },
            state_hash=f"{seed:016x}",
            blocks=1,
        )
