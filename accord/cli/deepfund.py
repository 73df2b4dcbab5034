"""``accord deepfund``: propagate credit (and money) down a deep-funding dependency graph.

A thin wrapper over :mod:`accord.mechanisms.deepfund`: read the graph file, propagate
from the root, split ``--fund`` into exact integers, print a rich table or, with
``--json``, a JSON object as the last line of stdout.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from accord.cli.common import fail
from accord.mechanisms.deepfund import Propagation, propagate
from accord.mechanisms.deepfund.graph import GraphError
from accord.mechanisms.deepfund.io import (
    DEFAULT_DEPENDENCY_SHARE,
    UnknownSeeds,
    read_graph,
    read_seeds,
)
from accord.mechanisms.deepfund.payouts import apportion

deepfund_app = typer.Typer(
    rich_markup_mode="markdown",
    help="Deep funding: propagate credit down a dependency graph and split funds exactly.",
    no_args_is_help=True,
)
console = Console()


class GraphForm(StrEnum):
    auto = "auto"
    weighted = "weighted"
    dependency_graph = "dependency-graph"


class Solver(StrEnum):
    auto = "auto"
    neumann = "neumann"
    spsolve = "spsolve"
    gmres = "gmres"


def _fail(message: str) -> typer.Exit:
    return fail(message)


@deepfund_app.command("propagate")
def propagate_command(
    graph: Annotated[
        Path,
        typer.Option(
            "--graph",
            help="Edges CSV: source,target,weight (source = the dependent); or a "
            "dependency-graph file (a seed_repo, dependency_repo CSV; v1 CSV; or JSON).",
        ),
    ],
    root: Annotated[str, typer.Option("--root", help="The node the credit enters.")],
    fund: Annotated[
        int | None,
        typer.Option("--fund", min=1, help="Split this many base units by the credits."),
    ] = None,
    form: Annotated[GraphForm, typer.Option(help="The graph file's form.")] = GraphForm.auto,
    dependency_share: Annotated[
        float,
        typer.Option(
            help="Unweighted forms: the part of a repo's credit split equally among its "
            "dependencies (the rest it keeps)."
        ),
    ] = DEFAULT_DEPENDENCY_SHARE,
    seeds: Annotated[
        Path | None,
        typer.Option(
            help="Unweighted forms: a JSON list of repository names (seedRepos.json) or a "
            "text file, one name a line; each must be in the graph. --root becomes a new "
            "node that splits its credit equally among them."
        ),
    ] = None,
    method: Annotated[Solver, typer.Option(help="The linear solver.")] = Solver.auto,
    top: Annotated[int, typer.Option(min=1, help="Rows shown in the table.")] = 20,
    as_json: Annotated[
        bool, typer.Option("--json", help="End with {credits[, payouts]} as one JSON line.")
    ] = False,
) -> None:
    """Propagate one unit of credit from --root: each node keeps its originality
    (1 − its out-weights) of what reaches it and passes the rest to its dependencies.

    The last line with --json is {"credits": {node: share}} over the nodes reached,
    with "payouts": {node: units} (exact integers summing to --fund) when --fund is given.
    """
    try:
        seed_list = read_seeds(seeds) if seeds is not None else []
        loaded = read_graph(
            graph,
            form=form.value,
            dependency_share=dependency_share,
            seeds=seed_list,
            root=root if seed_list else None,
        )
        result = propagate(loaded.graph, root, method=method.value)
    except UnknownSeeds as exc:
        raise _fail(f"--seeds {seeds}: {exc} ({graph})") from None
    except GraphError as exc:
        raise _fail(str(exc)) from None
    credits = result.credits()
    payouts = apportion(fund, credits) if fund is not None else None
    for note in loaded.notes:
        console.print(f"[dim]note:[/dim] {note}", highlight=False, soft_wrap=True)
    console.print(_table(result, credits, payouts, root, top))
    if as_json:
        out: dict[str, object] = {"credits": credits}
        if payouts is not None:
            out["payouts"] = payouts
        print(json.dumps(out, separators=(",", ":")))


def _table(
    result: Propagation,
    credits: dict[str, float],
    payouts: dict[str, int] | None,
    root: str,
    top: int,
) -> Table:
    graph = result.graph
    table = Table(title=f"credit entering {root}", box=box.SIMPLE_HEAD)
    table.add_column("node", overflow="fold")
    table.add_column("share", justify="right")
    table.add_column("flow", justify="right")
    table.add_column("keeps", justify="right")
    if payouts is not None:
        table.add_column("payout", justify="right")
    ranked = sorted(credits, key=lambda x: (-credits[x], x))
    for name in ranked[:top]:
        i = graph.index[name]
        row = [
            name,
            f"{credits[name]:.6f}",
            f"{result.flow[i]:.6f}",
            f"{graph.originality[i]:.3f}",
        ]
        if payouts is not None:
            row.append(f"{payouts[name]:,}")
        table.add_row(*row)
    shown = min(top, len(ranked))
    table.caption = (
        f"{shown} of {len(ranked)} nodes reached ({graph.n} in the graph, {graph.m} edges); "
        f"shares sum to {sum(credits.values()):.12f}; {result.method}, "
        f"{result.iterations} iterations, error ≤ {result.error_bound:.1e}"
    )
    return table
