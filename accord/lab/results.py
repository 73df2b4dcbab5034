"""Results: one Parquet row per run, written and read with DuckDB.

A run directory ``runs/<name>/`` holds:

* ``results.parquet``: one row per run, in run order. Columns: ``run`` (index),
  ``run_id``, ``point`` (grid point index), ``replicate``, ``seed``, then the swept keys
  (``device.ordering`` …), ``status`` (``ok``/``error``), ``error``, ``blocks``,
  ``state_hash``, every metric the game reported, and last the full configuration of the
  run, flattened one level (``params.<field>``, ``device.<field>``; dicts and lists as
  JSON text), and ``versions``: the library versions of the installation the run executed
  on (JSON text, :mod:`accord.lab.provenance`). With ``accord run --logs`` a ``log``
  column after ``state_hash`` names the run's event log (``logs/<run-id>.db``, relative
  to the run directory). A failed run has NULL metrics. A metric that is NaN (undefined, such as a
  mean of nothing) is stored as NULL. Integers beyond 64 bits are ``DECIMAL(38,0)``.
* ``tables/<table>.parquet``: the games' long-form tables (``GameResult.tables``), each
  row prefixed with ``run`` and ``run_id``.
* ``logs/<run-id>.db`` (with ``--logs``): each run's event log, for ``accord replay``;
* ``meta.json``: the scenario's name, game, swept keys and their values, replicates,
  metric names and run counts (what :mod:`accord.lab.report` needs), the library
  versions of the installation that wrote the results (``versions``), and
  ``scenario.toml``: the scenario as given.

Read it back with :func:`load` (a DuckDB connection with a ``results`` view and one view
per table) or :func:`query`::

    query("runs/toy-sweep", 'SELECT "device.ordering", avg(tips_paid) FROM results GROUP BY 1')

Column names contain dots, so quote them in SQL (``"device.ordering"``).
"""

from __future__ import annotations

import json
import math
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from accord.lab.provenance import library_versions
from accord.lab.runner import RunOutcome, Sweep
from accord.lab.scenario import canonical_json

__all__ = [
    "META",
    "RESULTS",
    "TABLES",
    "RunMeta",
    "load",
    "query",
    "read_meta",
    "write_results",
    "write_table",
]

RESULTS = "results.parquet"
TABLES = "tables"
LOGS = "logs"
META = "meta.json"
SCENARIO = "scenario.toml"

_FIXED = ("run", "run_id", "point", "replicate", "seed")
_OUTCOME = ("status", "error", "blocks", "state_hash")
_INT64 = (-(2**63), 2**63 - 1)
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class RunMeta:
    """What a run directory says about itself (``meta.json``)."""

    name: str
    game: str
    description: str
    swept: tuple[tuple[str, tuple[Any, ...]], ...]
    replicates: tuple[int, ...]
    metrics: tuple[str, ...]
    """Metric column names in the results, in the game's order."""
    tables: tuple[str, ...]
    runs: int
    failed: int

    @property
    def swept_keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.swept)


def write_results(sweep: Sweep, out: str | Path) -> Path:
    """Write a sweep to ``out/<scenario name>/`` (replacing an earlier run of that name)
    and return that directory."""
    scenario = sweep.scenario
    run_dir = Path(out) / scenario.name
    for stale in (run_dir / RESULTS, run_dir / META, run_dir / SCENARIO, run_dir / "report.html"):
        stale.unlink(missing_ok=True)
    shutil.rmtree(run_dir / TABLES, ignore_errors=True)
    logged = sweep.logs is not None
    if not logged:  # logs of an earlier run of this name would describe other runs
        shutil.rmtree(run_dir / LOGS, ignore_errors=True)
    run_dir.mkdir(parents=True, exist_ok=True)

    swept = list(scenario.swept_keys)
    reserved = {*_FIXED, *_OUTCOME, *swept, "log", "versions"}
    metric_names: dict[str, str] = {}  # metric -> column
    for outcome in sweep.outcomes:
        if outcome.result is not None:
            for metric in outcome.result.metrics:
                if metric not in metric_names:
                    clash = metric in reserved or metric.startswith(("params.", "device."))
                    metric_names[metric] = f"metric.{metric}" if clash else metric

    config_columns: dict[str, None] = {}
    rows: list[dict[str, Any]] = []
    for outcome in sweep.outcomes:
        spec, result = outcome.spec, outcome.result
        row: dict[str, Any] = {
            "run": spec.index,
            "run_id": spec.run_id,
            "point": spec.point,
            "replicate": spec.replicate,
            "seed": spec.seed,
        }
        row.update(spec.values)
        row["status"] = outcome.status
        row["error"] = outcome.error
        row["blocks"] = result.blocks if result else None
        row["state_hash"] = result.state_hash if result else None
        if logged:
            row["log"] = f"{LOGS}/{Path(outcome.logs[0]).name}" if outcome.logs else None
        for metric, column in metric_names.items():
            row[column] = result.metrics.get(metric) if result else None
        for prefix, model in (("params", spec.params), ("device", spec.device)):
            for key, value in model.model_dump(mode="json").items():
                column = f"{prefix}.{key}"
                if column in swept:
                    continue
                config_columns[column] = None
                row[column] = value
        row["versions"] = canonical_json(dict(outcome.versions)) if outcome.versions else None
        rows.append(row)
    log_column = ["log"] if logged else []
    columns = [
        *_FIXED,
        *swept,
        *_OUTCOME,
        *log_column,
        *metric_names.values(),
        *config_columns,
        "versions",
    ]
    _write_parquet(rows, columns, run_dir / RESULTS)

    table_names = _write_tables(sweep.outcomes, run_dir / TABLES)
    meta = {
        "name": scenario.name,
        "game": scenario.game,
        "description": scenario.description,
        "swept": [[key, list(values)] for key, values in scenario.sweep],
        "replicates": list(scenario.replicates),
        "metrics": list(metric_names.values()),
        "tables": table_names,
        "runs": len(sweep.outcomes),
        "failed": len(sweep.failed),
        "versions": library_versions(),
        "logs": LOGS if logged else None,
    }
    (run_dir / META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    (run_dir / SCENARIO).write_text(scenario.source, encoding="utf-8")
    return run_dir


def _write_tables(outcomes: Sequence[RunOutcome], directory: Path) -> list[str]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for outcome in outcomes:
        if outcome.result is None:
            continue
        for name, rows in outcome.result.tables.items():
            if not _TABLE_NAME.match(name) or name == "results":
                raise ValueError(f"table name {name!r} must be an identifier other than results")
            target = grouped.setdefault(name, [])
            prefix = {"run": outcome.spec.index, "run_id": outcome.spec.run_id}
            target.extend({**prefix, **row} for row in rows)
    for name, rows in grouped.items():
        directory.mkdir(parents=True, exist_ok=True)
        write_table(rows, directory / f"{name}.parquet")
    return sorted(grouped)


def write_table(rows: Sequence[Mapping[str, Any]], path: str | Path) -> None:
    """Write rows of dicts to a Parquet file (columns in order of first appearance)."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    _write_parquet(rows, list(columns), Path(path))


def _write_parquet(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], path: Path) -> None:
    """Columns of Python values -> typed NumPy arrays -> DuckDB -> Parquet.

    DuckDB scans a dict of NumPy arrays directly, which is orders of magnitude faster than
    inserting rows one by one; each column is then cast to the type its values call for.
    """
    source: dict[str, np.ndarray[Any, Any]] = {}
    casts: list[str] = []
    for k, column in enumerate(columns):
        values = [_clean(row.get(column)) for row in rows]
        sql_type = _sql_type(values)
        if sql_type == "DECIMAL(38,0)":
            values = [None if v is None else str(v) for v in values]
        elif sql_type == "VARCHAR" and any(not isinstance(v, str | None) for v in values):
            values = [v if isinstance(v, str | None) else canonical_json(v) for v in values]
        array = np.empty(len(values), dtype=object)
        array[:] = values
        source[f"c{k}"] = array
        casts.append(f'CAST(c{k} AS {sql_type}) AS "{_quote(column)}"')
    con = duckdb.connect()
    try:
        con.register("source", source)
        target = str(path).replace("'", "''")
        con.execute(f"COPY (SELECT {', '.join(casts)} FROM source) TO '{target}' (FORMAT PARQUET)")
    finally:
        con.close()


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _sql_type(values: Iterable[Any]) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return "VARCHAR"
    if all(isinstance(v, bool) for v in present):
        return "BOOLEAN"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        if all(_INT64[0] <= v <= _INT64[1] for v in present):
            return "BIGINT"
        if all(abs(v) < 10**38 for v in present):
            return "DECIMAL(38,0)"
        return "DOUBLE"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "DOUBLE"
    return "VARCHAR"


def _quote(name: str) -> str:
    return name.replace('"', '""')


def read_meta(run_dir: str | Path) -> RunMeta:
    """The run directory's ``meta.json`` (``FileNotFoundError`` naming it if absent)."""
    path = Path(run_dir) / META
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir} is not a run directory: no {META} in it")
    raw = json.loads(path.read_text(encoding="utf-8"))
    return RunMeta(
        name=raw["name"],
        game=raw["game"],
        description=raw.get("description", ""),
        swept=tuple((key, tuple(values)) for key, values in raw["swept"]),
        replicates=tuple(raw["replicates"]),
        metrics=tuple(raw["metrics"]),
        tables=tuple(raw.get("tables", ())),
        runs=raw["runs"],
        failed=raw["failed"],
    )


def load(run_dir: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with a ``results`` view over ``results.parquet``
    (ordered by run) and one view per long-form table."""
    run_dir = Path(run_dir)
    results = run_dir / RESULTS
    if not results.is_file():
        raise FileNotFoundError(f"{run_dir} is not a run directory: no {RESULTS} in it")
    con = duckdb.connect()
    con.execute(
        f"CREATE VIEW results AS SELECT * FROM read_parquet('{_path(results)}') ORDER BY run"
    )
    tables = run_dir / TABLES
    if tables.is_dir():
        for path in sorted(tables.glob("*.parquet")):
            if _TABLE_NAME.match(path.stem):
                con.execute(
                    f"CREATE VIEW \"{path.stem}\" AS SELECT * FROM read_parquet('{_path(path)}')"
                )
    return con


def query(
    run_dir: str | Path, sql: str, parameters: Sequence[object] | None = None
) -> list[dict[str, Any]]:
    """Run ``sql`` against :func:`load`'s views and return the rows as dicts."""
    con = load(run_dir)
    try:
        cursor = con.execute(sql, parameters) if parameters is not None else con.execute(sql)
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def _path(path: Path) -> str:
    return str(path).replace("'", "''")
