"""A probe game for the lab's tests: exact, instant metrics, and failures on demand.

It lives in an importable module so that spawned pool workers can import it by name.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from accord.device.config import DeviceConfig
from accord.games.base import GameResult, register_game

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
