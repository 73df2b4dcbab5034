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
  to the run directory). A failed run has NULL metrics. A metric that is NaN (undefined,
  such as a mean of nothing) is stored as NULL. Integers beyond 64 bits are
  ``DECIMAL(38,0)``. A metric whose name is already a column of the run (``seed``, a
  swept key, ``params.…``) is stored as ``metric.<name>``.
* ``tables/<table>.parquet``: the games' long-form tables (``GameResult.tables``), each
  row prefixed with ``run`` and ``run_id``.
* ``logs/<run-id>.db`` (with ``--logs``): each run's event log, for ``accord replay``;
* ``meta.json``: the scenario's name, game, swept keys and their values, replicates,
  metric names and run counts (what :mod:`accord.lab.report` needs), the library
  versions of the installation that wrote the results (``versions``), the design hash
  (``scenario_hash``, :func:`~accord.lab.runner.design_hash`) that ``--resume`` checks,
  and ``scenario.toml``: the scenario as given.

The results are a pure function of the runs' rows (:class:`RunRow`,
:func:`write_run_files`): ``accord run`` saves each row as a part file the moment the run
finishes (:mod:`accord.lab.parts`) and assembles the directory from the parts, so a
resumed sweep and an uninterrupted one write the same bytes' worth of rows. A run
directory is never written in place: it is built in a hidden sibling and swapped in
(:mod:`accord.lab.rundir`).

Read it back with :func:`load` (a DuckDB connection with a ``results`` view and one view
per table) or :func:`query`::

    query("runs/toy-sweep", 'SELECT "device.ordering", avg(tips_paid) FROM results GROUP BY 1')

Column names contain dots, so quote them in SQL (``"device.ordering"``). :func:`load` also
opens an interrupted sweep's ``runs/.<name>.partial``: its finished runs, as one table.
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
from accord.lab.rundir import link_tree, locked, new_sibling, partial_dir, recover, swap_in
from accord.lab.runner import RunOutcome, Sweep, design_hash
from accord.lab.scenario import Scenario, canonical_json

__all__ = [
    "LOGS",
    "META",
    "PARTS",
    "RESULTS",
    "SCENARIO",
    "TABLES",
    "RunMeta",
    "RunRow",
    "head_columns",
    "load",
    "metric_column",
    "outcome_row",
    "query",
    "read_meta",
    "stored_column",
    "write_parquet",
    "write_results",
    "write_run_files",
    "write_table",
]

RESULTS = "results.parquet"
TABLES = "tables"
LOGS = "logs"
META = "meta.json"
SCENARIO = "scenario.toml"
PARTS = "parts"

_FIXED = ("run", "run_id", "point", "replicate", "seed")
_OUTCOME = ("status", "error", "blocks", "state_hash")
_NULL_TYPES = {"blocks": "BIGINT"}
"""The type of a column whose values are all NULL, where text would be wrong."""
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
    scenario_hash: str | None = None
    """The design the runs realise (:func:`~accord.lab.runner.design_hash`); ``None`` in
    a run directory written before it was recorded."""

    @property
    def swept_keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.swept)


@dataclass(frozen=True)
class RunRow:
    """One run's row of the results, as Python values keyed by column, and its tables.

    What a part file holds (:mod:`accord.lab.parts`) and what :func:`write_run_files`
    assembles: the results are a pure function of their rows, however they got here.
    """

    run: int
    values: Mapping[str, Any]
    """Column -> value: :func:`head_columns`, then ``metrics``, ``config``, ``versions``."""
    metrics: tuple[str, ...]
    """The run's metric columns, in the game's order (none for a failed run)."""
    config: tuple[str, ...]
    """The run's unswept configuration columns, ``params.<field>`` / ``device.<field>``."""
    tables: Mapping[str, Sequence[Mapping[str, Any]]]
    """Long-form table -> rows, each row prefixed with ``run`` and ``run_id``."""

    @property
    def run_id(self) -> str:
        return str(self.values["run_id"])


def head_columns(swept: Sequence[str], logged: bool) -> list[str]:
    """The columns every row starts with, in order (``log`` only with ``--logs``)."""
    return [*_FIXED, *swept, *_OUTCOME, *(["log"] if logged else [])]


def metric_column(metric: str, swept: Sequence[str]) -> str:
    """A metric's column: its name, or ``metric.<name>`` where that would clash with a
    column of the run itself (``seed``, a swept key, ``params.…``)."""
    reserved = {*_FIXED, *_OUTCOME, *swept, "log", "versions"}
    clash = metric in reserved or metric.startswith(("params.", "device.", "metric."))
    return f"metric.{metric}" if clash else metric


def outcome_row(outcome: RunOutcome, swept: Sequence[str], logged: bool) -> RunRow:
    """A run's outcome as its row of the results (``logged``: with a ``log`` column)."""
    spec, result = outcome.spec, outcome.result
    values: dict[str, Any] = {
        "run": spec.index,
        "run_id": spec.run_id,
        "point": spec.point,
        "replicate": spec.replicate,
        "seed": spec.seed,
    }
    values.update(spec.values)
    values["status"] = outcome.status
    values["error"] = outcome.error
    values["blocks"] = result.blocks if result else None
    values["state_hash"] = result.state_hash if result else None
    if logged:
        values["log"] = f"{LOGS}/{Path(outcome.logs[0]).name}" if outcome.logs else None
    metrics: dict[str, None] = {}
    for metric, value in (result.metrics if result else {}).items():
        column = metric_column(metric, swept)
        metrics[column] = None
        values[column] = value
    config: list[str] = []
    for prefix, model in (("params", spec.params), ("device", spec.device)):
        for key, value in model.model_dump(mode="json").items():
            column = f"{prefix}.{key}"
            if column not in swept:
                config.append(column)
                values[column] = value
    values["versions"] = canonical_json(dict(outcome.versions)) if outcome.versions else None
    tables: dict[str, list[dict[str, Any]]] = {}
    for name, rows in (result.tables if result else {}).items():
        if not _is_table(name):
            raise ValueError(f"table name {name!r} must be an identifier other than results")
        ids = {"run": spec.index, "run_id": spec.run_id}
        tables[name] = [{**ids, **row} for row in rows]
    return RunRow(spec.index, values, tuple(metrics), tuple(config), tables)


def write_run_files(
    directory: Path,
    scenario: Scenario,
    rows: Sequence[RunRow],
    *,
    logged: bool,
    scenario_hash: str,
) -> None:
    """Write ``results.parquet``, ``tables/``, ``meta.json`` and ``scenario.toml`` of a
    run directory from its rows (in any order; written in run order)."""
    rows = sorted(rows, key=lambda r: r.run)
    swept = list(scenario.swept_keys)
    metrics: dict[str, None] = {}
    config: dict[str, None] = {}
    for row in rows:
        metrics.update(dict.fromkeys(row.metrics))
        config.update(dict.fromkeys(row.config))
    columns = [*head_columns(swept, logged), *metrics, *config, "versions"]
    write_parquet([row.values for row in rows], columns, directory / RESULTS)

    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        for name, table_rows in row.tables.items():
            grouped.setdefault(name, []).extend(table_rows)
    for name, table_rows in grouped.items():
        (directory / TABLES).mkdir(exist_ok=True)
        write_table(table_rows, directory / TABLES / f"{name}.parquet")
    meta = {
        "name": scenario.name,
        "game": scenario.game,
        "description": scenario.description,
        "swept": [[key, list(values)] for key, values in scenario.sweep],
        "replicates": list(scenario.replicates),
        "metrics": list(metrics),
        "tables": sorted(grouped),
        "runs": len(rows),
        "failed": sum(row.values["status"] != "ok" for row in rows),
        "versions": library_versions(),
        "logs": LOGS if logged else None,
        "scenario_hash": scenario_hash,
    }
    (directory / META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    (directory / SCENARIO).write_text(scenario.source, encoding="utf-8")


def write_results(sweep: Sweep, out: str | Path) -> Path:
    """Write a sweep to ``out/<scenario name>/`` and return that directory.

    An earlier run of that name is replaced atomically (:func:`accord.lab.rundir.swap_in`):
    the new directory is built beside it and renamed into place, so a kill leaves either
    the old results or the new, whole. ``accord run`` asks for ``--force`` first.
    """
    scenario = sweep.scenario
    logged = sweep.logs is not None
    swept = scenario.swept_keys
    rows = [outcome_row(o, swept, logged) for o in sweep.outcomes]
    design = design_hash([o.spec for o in sweep.outcomes], logs=logged)
    out = Path(out)
    target = out / scenario.name
    with locked(out, scenario.name):
        recover(out, scenario.name)
        build = new_sibling(target)
        try:
            if sweep.logs is not None:
                link_tree(sweep.logs, build / LOGS)
            write_run_files(build, scenario, rows, logged=logged, scenario_hash=design)
            swap_in(build, target)
        finally:
            shutil.rmtree(build, ignore_errors=True)
    return target


def write_table(rows: Sequence[Mapping[str, Any]], path: str | Path) -> None:
    """Write rows of dicts to a Parquet file (columns in order of first appearance)."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    write_parquet(rows, list(columns), Path(path))


def write_parquet(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    path: Path,
    kv: Mapping[str, str] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> None:
    """Columns of Python values -> typed NumPy arrays -> DuckDB -> Parquet.

    DuckDB scans a dict of NumPy arrays directly, which is orders of magnitude faster than
    inserting rows one by one; each column is then cast to the type its values call for.
    ``kv``: key-value metadata stored in the file's footer (what a part file says about
    itself, :mod:`accord.lab.parts`). ``con``: a DuckDB connection to write with (opening
    one costs milliseconds, so a sweep saving a part per run keeps one open).
    """
    source: dict[str, np.ndarray[Any, Any]] = {}
    casts: list[str] = []
    for k, column in enumerate(columns):
        sql_type, values = stored_column([row.get(column) for row in rows])
        if column in _NULL_TYPES and all(v is None for v in values):
            sql_type = _NULL_TYPES[column]  # a failed run's: typed as in the runs that did not
        if sql_type == "DECIMAL(38,0)":
            values = [None if v is None else str(v) for v in values]
        array = np.empty(len(values), dtype=object)
        array[:] = values
        source[f"c{k}"] = array
        casts.append(f'CAST(c{k} AS {sql_type}) AS "{_quote(column)}"')
    options = "FORMAT PARQUET"
    if kv:
        pairs = ", ".join(f"{_literal(key)}: {_literal(value)}" for key, value in kv.items())
        options += f", KV_METADATA {{{pairs}}}"
    own = con is None
    connection = duckdb.connect() if con is None else con
    try:
        connection.register("source", source)
        target = _path(path)
        connection.execute(
            f"COPY (SELECT {', '.join(casts)} FROM source) TO '{target}' ({options})"
        )
    finally:
        connection.unregister("source")
        if own:
            connection.close()


def _literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def stored_column(values: Sequence[Any]) -> tuple[str, list[Any]]:
    """A column's SQL type and its values as Parquet stores them and DuckDB reads them
    back: NaN as NULL, NumPy scalars as Python's, every value of a ``DOUBLE`` column a
    float (an int too large for one: ±inf), of a ``VARCHAR`` column text (anything but text
    as canonical JSON), of ``DECIMAL(38,0)`` an int."""
    cleaned = [_clean(v) for v in values]
    sql_type = _sql_type(cleaned)
    if sql_type == "DOUBLE":
        return sql_type, [None if v is None else _float(v) for v in cleaned]
    if sql_type == "VARCHAR":
        return sql_type, [v if isinstance(v, str | None) else canonical_json(v) for v in cleaned]
    return sql_type, cleaned


def _float(value: float) -> float:
    try:
        return float(value)
    except OverflowError:  # an int beyond the largest double
        return math.inf if value > 0 else -math.inf


def _clean(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
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
        scenario_hash=raw.get("scenario_hash"),
    )


def load(run_dir: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with a ``results`` view (ordered by run) and one
    view per long-form table.

    ``run_dir`` is a run directory (``results.parquet``), or an interrupted sweep's
    directory (``runs/.<name>.partial``), whose finished runs' part files read as one
    table.
    """
    run_dir = Path(run_dir)
    results = run_dir / RESULTS
    parts = run_dir / PARTS
    if results.is_file():
        source, tables = f"'{_path(results)}'", _table_sources(run_dir / TABLES)
    elif parts.is_dir() and any(parts.glob("*.parquet")):
        source = f"'{_path(parts)}/*.parquet', union_by_name = true"
        tables = _table_sources(parts / TABLES, partial=True)
    else:
        hint = ""
        partial = partial_dir(run_dir.parent, run_dir.name)
        if partial.is_dir():
            hint = f"; the finished runs of an interrupted sweep are in {partial}"
        elif parts.is_dir():
            hint = "; this interrupted sweep has no finished run yet"
        raise FileNotFoundError(f"{run_dir} is not a run directory: no {RESULTS} in it{hint}")
    con = duckdb.connect()
    con.execute(f"CREATE VIEW results AS SELECT * FROM read_parquet({source}) ORDER BY run")
    for name, table in tables.items():
        con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM read_parquet({table})')
    return con


def _table_sources(directory: Path, *, partial: bool = False) -> dict[str, str]:
    """Table name -> ``read_parquet`` arguments: ``tables/<name>.parquet``, or in an
    interrupted sweep every run's ``parts/tables/<name>/<run-id>.parquet``."""
    if not directory.is_dir():
        return {}
    if partial:
        return {
            path.name: f"'{_path(path)}/*.parquet', union_by_name = true"
            for path in sorted(directory.iterdir())
            if _is_table(path.name) and any(path.glob("*.parquet"))
        }
    return {
        path.stem: f"'{_path(path)}'"
        for path in sorted(directory.glob("*.parquet"))
        if _is_table(path.stem)
    }


def _is_table(name: str) -> bool:
    return bool(_TABLE_NAME.match(name)) and name != "results"


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
