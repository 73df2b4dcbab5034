"""``accord rl``: train learning agents on accord's envs (the ``rl-sb3`` extra)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from accord.cli.common import console, fail

rl_app = typer.Typer(
    rich_markup_mode="markdown",
    help="Learning agents on accord's PettingZoo envs.",
    no_args_is_help=True,
)

EXTRA = "the rl-sb3 extra is not installed: pip install 'accord[rl-sb3]'"


def _params(specs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs; a value is read as JSON (``5``, ``true``, ``["a","b"]``) or
    else kept as a string."""
    params: dict[str, Any] = {}
    for spec in specs:
        key, sep, raw = spec.partition("=")
        if not sep or not key.isidentifier():
            raise typer.BadParameter(f"--param {spec!r}: expected KEY=VALUE, e.g. rounds=5")
        if key in params:
            raise typer.BadParameter(f"--param {key!r} given twice")
        try:
            params[key] = json.loads(raw)
        except ValueError:
            params[key] = raw
    return params


def _contract(raw: str | None) -> int | str | None:
    if raw is None or raw == "sample":
        return raw
    if not raw.isdecimal() or len(raw) > 9:
        raise typer.BadParameter(f"--contract {raw!r}: expected a menu index or 'sample'")
    return int(raw)


@rl_app.command()
def train(
    env: Annotated[str, typer.Argument(help="An env name, e.g. commitment_pd_v0.")],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="An env param KEY=VALUE.")
    ] = None,
    contract: Annotated[
        str | None, typer.Option(help="Menu index every episode plays, or 'sample'.")
    ] = None,
    timesteps: Annotated[int, typer.Option(help="Agent-steps of training.")] = 20_000,
    seed: Annotated[int, typer.Option(help="The run's seed.")] = 0,
    copies: Annotated[int, typer.Option(help="Env copies trained on at once.")] = 4,
    n_steps: Annotated[int, typer.Option(help="PPO steps per vector entry per rollout.")] = 64,
    eval_every: Annotated[int, typer.Option(help="Evaluate every so many (0: at the end).")] = 0,
    eval_episodes: Annotated[int, typer.Option(help="Episodes per evaluation.")] = 8,
    sampled: Annotated[
        bool,
        typer.Option(
            "--sampled/--greedy", help="Evaluate the policy's sampled actions, or its argmax."
        ),
    ] = False,
    save: Annotated[Path | None, typer.Option(help="Save the SB3 model (a .zip) here.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="End with the learning curve as one JSON line.")
    ] = False,
) -> None:
    """Train one parameter-shared PPO policy for every agent of ENV and print its curve.

    Stable-Baselines3's PPO (MaskablePPO where the env masks actions) through SuperSuit's
    PettingZoo vector wrappers; the greedy policy is evaluated on fixed seeds. The same
    options and seed give the same curve and weights.
    """
    from pydantic import ValidationError

    from accord.envs.registry import make

    try:
        from accord.agents.learning.sb3 import PPOSettings
        from accord.agents.learning.sb3 import train as train_ppo
    except ImportError:
        raise fail(EXTRA) from None
    params = _params(param or [])
    try:
        settings = PPOSettings(
            timesteps=timesteps,
            seed=seed,
            copies=copies,
            n_steps=n_steps,
            contract=_contract(contract),
            eval_every=eval_every,
            eval_episodes=eval_episodes,
            eval_greedy=not sampled,
        )
        make(env, **params)  # refuse a bad name or params before training
    except ValidationError as exc:
        raise fail(f"bad setting: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from None
    except (ValueError, TypeError) as exc:
        raise fail(str(exc)) from None

    def show(step: int, point: Any) -> None:
        console.print(f"{step:>9,} steps: mean return {point.mean_return:.4g}", highlight=False)

    try:
        result = train_ppo(lambda: make(env, **params), settings, progress=show)
    except ValueError as exc:  # the env refuses what the shared policy needs
        raise fail(str(exc)) from None
    how = "sampled" if sampled else "greedy"
    table = Table(title=f"{env}: {how} policy, {settings.eval_episodes} episodes")
    table.add_column("timesteps", justify="right")
    table.add_column("mean return", justify="right")
    table.add_column("action shares")
    for step, point in result.curve:
        shares = ", ".join(f"{s:.2f}" for s in point.action_shares)
        table.add_row(f"{step:,}", f"{point.mean_return:.4g}", shares)
    console.print(table)
    if save is not None:
        result.model.save(save)
        console.print(f"saved the model to {save}", highlight=False)
    if as_json:
        curve = [
            {
                "timesteps": step,
                "mean_return": point.mean_return,
                "returns": point.returns,
                "action_shares": list(point.action_shares),
            }
            for step, point in result.curve
        ]
        print(
            json.dumps(
                {"env": env, "params": params, "settings": settings.model_dump(), "curve": curve}
            )
        )
