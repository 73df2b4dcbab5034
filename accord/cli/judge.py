"""``accord judge``: distilled human judgement on deep-funding CSVs.

Thin wrappers over :mod:`accord.mechanisms.judgement` and friends: parse the files,
call the math, print rich tables, or with ``--json`` a JSON object as the last line.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from accord.cli.common import fail
from accord.mechanisms.judgement.data import (
    JudgementInputError,
    Jury,
    Submission,
    read_jury,
    read_submission,
)

judge_app = typer.Typer(
    rich_markup_mode="markdown",
    help="Distilled human judgement: score lists against a jury, fit credits and weights.",
    no_args_is_help=True,
)
console = Console()

JuryOpt = Annotated[
    Path,
    typer.Option(
        "--jury",
        help="Jury CSV: (timestamp,) juror, repo_a, repo_b, parent, choice, multiplier.",
    ),
]
SubmissionOpt = Annotated[
    list[str],
    typer.Option("--submission", help="NAME=FILE.csv with columns repo,parent,weight (repeat)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON object as the last line.")]


class Pooling(StrEnum):
    geometric = "geometric"
    linear = "linear"


class SplitBy(StrEnum):
    juror = "juror"
    time = "time"


def _fail(message: str) -> typer.Exit:
    return fail(message)


def _jury(path: Path) -> Jury:
    try:
        return read_jury(path)
    except OSError as exc:
        raise _fail(f"cannot read jury file {path}: {exc.strerror}") from None
    except JudgementInputError as exc:
        raise _fail(str(exc)) from None


def _submissions(specs: list[str]) -> list[Submission]:
    if not specs:
        raise _fail("give at least one --submission NAME=FILE.csv")
    out = []
    for spec in specs:
        name, sep, file = spec.partition("=")
        if not sep or not name or not file:
            raise _fail(f"--submission must be NAME=FILE.csv, got {spec!r}")
        try:
            out.append(read_submission(Path(file), name))
        except OSError as exc:
            raise _fail(f"cannot read submission {name!r} from {file}: {exc.strerror}") from None
        except JudgementInputError as exc:
            raise _fail(str(exc)) from None
    return out


def _emit(payload: dict[str, Any]) -> None:
    print(json.dumps(payload, sort_keys=False))


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAVY)
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i == 0 else "right", no_wrap=i == 0)
    return table


@judge_app.command()
def credits(
    jury: JuryOpt,
    ridge: Annotated[
        float, typer.Option(help="Regularisation λ·‖log x‖² (0: plain least squares).")
    ] = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Fit one credit list to the jury alone (least squares on log-credits)."""
    from accord.mechanisms.judgement import jury_credits

    data = _jury(jury)
    try:
        result = jury_credits(data, ridge)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    multi_parent = len({p for p, _ in result.items}) > 1
    keys = {item: (f"{item[0]}/{item[1]}" if multi_parent else item[1]) for item in result.items}
    if as_json:
        shares = {keys[i]: result.shares[i] for i in result.items}
        _emit({"credits": shares, "cost": result.cost})
        return
    table = _table(f"jury-only credits ({len(data.samples)} samples)", "repo", "share")
    for item in sorted(result.items, key=lambda i: -result.shares[i]):
        table.add_row(keys[item], f"{result.shares[item]:.4f}")
    console.print(table)
    console.print(f"cost {result.cost:.4f}, {result.components} component(s)")


@judge_app.command()
def score(jury: JuryOpt, submission: SubmissionOpt, as_json: JsonOpt = False) -> None:
    """The deep-funding cost Σ (log x_b − log x_a − c)² of each list."""
    from accord.mechanisms.judgement import score as score_list

    data, subs = _jury(jury), _submissions(submission)
    try:
        costs = {s.name: score_list(data, s) for s in subs}
    except JudgementInputError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        _emit({"cost": costs})
        return
    table = _table(f"cost against {len(data.samples)} jury samples", "submission", "cost")
    for name, c in sorted(costs.items(), key=lambda t: t[1]):
        table.add_row(name, f"{c:.4f}")
    console.print(table)


@judge_app.command()
def fit(
    jury: JuryOpt,
    submission: SubmissionOpt,
    pooling: Annotated[Pooling, typer.Option(help="Pool in log space or linearly.")] = (
        Pooling.geometric
    ),
    pool: Annotated[
        int | None, typer.Option(help="Split this many base units by weight (exact ints).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Weights (≥ 0, sum 1) over submissions whose pooled list best fits the jury."""
    from accord.mechanisms.judgement import fit as fit_weights
    from accord.mechanisms.judgement.rewards import rewards

    data, subs = _jury(jury), _submissions(submission)
    if pool is not None and pool < 0:
        raise _fail(f"--pool must be a non-negative int, got {pool}")
    try:
        result = fit_weights(data, subs, pooling.value)
    except JudgementInputError as exc:
        raise _fail(str(exc)) from None
    pay = rewards(pool, result.names, result.fit) if pool is not None else None
    if as_json:
        payload: dict[str, Any] = {
            "weights": result.weights,
            "cost": result.costs,
            "combined_cost": result.combined_cost,
        }
        if pay is not None:
            payload["rewards"] = pay
        _emit(payload)
        return
    cols = ["submission", "weight", "cost alone"] + (["reward"] if pay is not None else [])
    table = _table(f"{pooling.value} pooling fit ({len(data.samples)} samples)", *cols)
    for name in sorted(result.names, key=lambda n: -result.weights[n]):
        row = [name, f"{result.weights[name]:.4f}", f"{result.costs[name]:.4f}"]
        table.add_row(*row, *([str(pay[name])] if pay is not None else []))
    console.print(table)
    console.print(f"combined cost {result.combined_cost:.4f}")


@judge_app.command()
def heldout(
    jury: JuryOpt,
    by: Annotated[SplitBy, typer.Option(help="Leave one juror out, or forward in time.")] = (
        SplitBy.juror
    ),
    folds: Annotated[int, typer.Option(help="Time blocks (with --by time).")] = 5,
    ridge: Annotated[float, typer.Option(help="Regularisation of the credits.")] = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Held-out cost per sample of jury-only credits vs equal shares."""
    from accord.mechanisms.judgement.sampling import (
        held_out_by_juror,
        held_out_by_time,
        pooled,
    )

    data = _jury(jury)
    try:
        splits = (
            held_out_by_juror(data, ridge)
            if by is SplitBy.juror
            else held_out_by_time(data, folds, ridge)
        )
    except ValueError as exc:
        raise _fail(str(exc)) from None
    credits_cost, equal_cost = pooled(splits)
    if as_json:
        _emit(
            {
                "by": by.value,
                "splits": [s.__dict__ for s in splits],
                "credits_cost": credits_cost,
                "equal_cost": equal_cost,
            }
        )
        return
    table = _table(
        f"held-out cost per sample, by {by.value}", by.value, "train", "test", "credits", "equal"
    )
    for s in splits:
        table.add_row(
            s.label, str(s.train), str(s.test), f"{s.credits_cost:.3f}", f"{s.equal_cost:.3f}"
        )
    total = str(sum(s.test for s in splits))
    table.add_row("all", "", total, f"{credits_cost:.3f}", f"{equal_cost:.3f}")
    console.print(table)
