"""Part files: each finished run saved the moment it finishes, so no run is lost.

An unfinished sweep lives in ``runs/.<name>.partial/`` (:func:`accord.lab.rundir.partial_dir`):

* ``sweep.json``: the manifest: the run name, the design hash
  (:func:`~accord.lab.runner.design_hash`), the number of runs, whether logs are kept;
* ``parts/<run-id>.parquet``: one finished run's row, exactly the row it will have in
  ``results.parquet`` (:func:`~accord.lab.results.outcome_row`), so the parts read as one
  table (``read_parquet('parts/*.parquet', union_by_name = true)``,
  :func:`accord.lab.results.load`);
* ``parts/tables/<table>/<run-id>.parquet``: that run's long-form rows;
* ``logs/``: with ``--logs``, the runs' event logs.

**Writing.** A run's table parts are written first and its row part last; each file is
written under a temporary name, flushed and renamed (:func:`~accord.lab.rundir.write_atomic`).
The row part is the commit: a run without one is not finished, and is run again. Every
part carries, in its Parquet footer's key-value metadata, the design hash, its run id, a
BLAKE2b digest of its columns and values as stored (:func:`digest`; Parquet itself
checks no checksum on read) and (row parts) its tables and their row counts.

**Reading** (:func:`read_parts`, for ``--resume``) trusts nothing. Every file under
``parts/`` must be a readable Parquet file named after a run of this sweep, with the
sweep's design hash, its own run id, contents that match its digest, one row whose run,
seed, grid point, replicate, swept values and configuration are that run's, and the
tables it lists. Anything else (a truncated or corrupted file, a changed value, a part
from another scenario or another design, a second copy of a run under another name) is
a :class:`PartError` naming the file: results from different designs are never mixed.
Values read back are the values written (Parquet keeps int64, float64, booleans and text
exactly; ``DECIMAL(38,0)`` comes back as an int), so the results assembled from parts
equal an uninterrupted sweep's, row for row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import duckdb

from accord.lab.results import (
    LOGS,
    PARTS,
    TABLES,
    RunRow,
    head_columns,
    stored_column,
    write_parquet,
)
from accord.lab.rundir import TMP_SUFFIX, write_atomic
from accord.lab.runner import RunSpec
from accord.lab.scenario import canonical_json

__all__ = [
    "MANIFEST",
    "Manifest",
    "PartError",
    "clear_run",
    "digest",
    "read_manifest",
    "read_parts",
    "write_manifest",
    "write_part",
]

MANIFEST = "sweep.json"
_HASH = "accord.scenario_hash"
_RUN = "accord.run_id"
_TABLES = "accord.tables"
_DIGEST = "accord.digest"


class PartError(ValueError):
    """A part file or manifest that cannot be trusted; the message names the file."""


@dataclass(frozen=True)
class Manifest:
    """What an unfinished sweep's ``sweep.json`` says about it."""

    name: str
    scenario_hash: str
    runs: int
    logs: bool


def write_manifest(directory: Path, manifest: Manifest) -> None:
    text = json.dumps(
        {
            "name": manifest.name,
            "scenario_hash": manifest.scenario_hash,
            "runs": manifest.runs,
            "logs": manifest.logs,
        },
        indent=2,
    )

    def fill(tmp: Path) -> None:
        tmp.write_text(text + "\n", encoding="utf-8")

    write_atomic(directory / MANIFEST, fill)


def read_manifest(directory: Path) -> Manifest:
    """The unfinished sweep's manifest (:class:`PartError` naming it if unreadable)."""
    path = directory / MANIFEST
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        manifest = Manifest(raw["name"], raw["scenario_hash"], raw["runs"], raw["logs"])
    except FileNotFoundError:
        raise PartError(f"{path}: missing: {directory} is not an unfinished sweep") from None
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise PartError(f"{path}: unreadable manifest ({type(exc).__name__}: {exc})") from None
    if not (
        isinstance(manifest.name, str)
        and isinstance(manifest.scenario_hash, str)
        and type(manifest.runs) is int
        and type(manifest.logs) is bool
    ):
        raise PartError(f"{path}: unreadable manifest (a field has the wrong type)")
    return manifest


def write_part(
    directory: Path,
    row: RunRow,
    scenario_hash: str,
    columns: Sequence[str],
    con: duckdb.DuckDBPyConnection | None = None,
) -> Path:
    """Save one finished run: its tables, then its row (the commit); return the row part.

    ``columns``: the row's columns in order (:func:`~accord.lab.results.head_columns`,
    its metrics, its configuration, ``versions``); ``con``: a DuckDB connection to write
    with (a sweep keeps one open).
    """
    run_id = row.run_id
    counts: dict[str, int] = {}
    for name, rows in row.tables.items():
        counts[name] = len(rows)
        if rows:
            path = directory / PARTS / TABLES / name / f"{run_id}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            names = list(dict.fromkeys(key for r in rows for key in r))
            kv = {_HASH: scenario_hash, _RUN: run_id, _DIGEST: digest(names, rows)}
            write_atomic(path, partial(_write, rows, names, kv, con))
    path = directory / PARTS / f"{run_id}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    kv = {
        _HASH: scenario_hash,
        _RUN: run_id,
        _TABLES: canonical_json(counts),
        _DIGEST: digest(columns, [row.values]),
    }
    write_atomic(path, partial(_write, [row.values], columns, kv, con))
    return path


def _write(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    kv: Mapping[str, str],
    con: duckdb.DuckDBPyConnection | None,
    tmp: Path,
) -> None:
    write_parquet(rows, columns, tmp, kv, con)


def clear_run(directory: Path, run_id: str) -> None:
    """Remove what an unfinished attempt at run ``run_id`` left (table parts, event logs)
    before it runs again."""
    tables = directory / PARTS / TABLES
    if tables.is_dir():
        for table in tables.iterdir():
            (table / f"{run_id}.parquet").unlink(missing_ok=True)
    logs = directory / LOGS
    if logs.is_dir():
        for path in logs.iterdir():
            stem = path.name.split(".", 1)[0]
            if stem == run_id or stem.startswith(f"{run_id}-"):
                path.unlink()


def read_parts(
    directory: Path,
    specs: Sequence[RunSpec],
    scenario_hash: str,
    swept: Sequence[str],
    logged: bool,
) -> dict[int, RunRow]:
    """The finished runs saved in ``directory``, by run index, each checked against its
    spec (module docstring); :class:`PartError` naming the first file that fails."""
    parts = directory / PARTS
    by_id = {spec.run_id: spec for spec in specs}
    rows: dict[int, RunRow] = {}
    if not parts.is_dir():
        return rows
    for leftover in parts.rglob(f"*{TMP_SUFFIX}"):  # a write a kill interrupted
        leftover.unlink()
    con = duckdb.connect()
    try:
        for path in sorted(parts.iterdir()):
            if path.name == TABLES and path.is_dir():
                continue
            spec = by_id.get(path.stem) if path.suffix == ".parquet" else None
            if spec is None or not path.is_file():
                raise PartError(
                    f"{path}: not a part of this sweep (parts are named <run-id>.parquet, "
                    f"one per run of {len(specs)}); move it away to resume"
                )
            row = _read_row(con, path, spec, scenario_hash, swept, logged)
            rows[spec.index] = row
    finally:
        con.close()
    return rows


def _read_row(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    spec: RunSpec,
    scenario_hash: str,
    swept: Sequence[str],
    logged: bool,
) -> RunRow:
    kv, columns, records = _read(con, path)
    _check_kv(path, kv, scenario_hash, spec.run_id, columns, records)
    if len(records) != 1:
        raise PartError(f"{path}: holds {len(records)} rows, not one run's; delete it to redo")
    values = records[0]
    head = head_columns(swept, logged)
    if columns[: len(head)] != head or columns[-1:] != ["versions"]:
        raise PartError(f"{path}: its columns are not a run's row of this sweep")
    expected = {
        "run": spec.index,
        "run_id": spec.run_id,
        "point": spec.point,
        "replicate": spec.replicate,
        "seed": spec.seed,
        **{key: _as_stored(value) for key, value in spec.values.items()},
    }
    body = columns[len(head) : -1]
    metrics = tuple(c for c in body if not c.startswith(("params.", "device.")))
    config = tuple(c for c in body if c.startswith(("params.", "device.")))
    if body != [*metrics, *config]:
        raise PartError(f"{path}: its columns are not a run's row of this sweep")
    for prefix, model in (("params", spec.params), ("device", spec.device)):
        for key, value in model.model_dump(mode="json").items():
            if f"{prefix}.{key}" not in swept:
                expected[f"{prefix}.{key}"] = _as_stored(value)
    if set(config) != {c for c in expected if c.startswith(("params.", "device."))} - set(swept):
        raise PartError(f"{path}: its configuration columns are not run {spec.run_id}'s")
    for column, value in expected.items():
        if values.get(column) != value or type(values.get(column)) is not type(value):
            raise PartError(
                f"{path}: {column} is {values.get(column)!r}, but run {spec.run_id}'s is "
                f"{value!r}: a part of another design; delete it to redo the run"
            )
    if values["status"] not in ("ok", "error"):
        raise PartError(f"{path}: status {values['status']!r} is neither ok nor error")
    log = values.get("log")
    if logged and log is not None:
        if log != f"{LOGS}/{spec.run_id}.db":
            raise PartError(f"{path}: log {log!r} is not run {spec.run_id}'s event log")
        if not (path.parent.parent / log).is_file():
            raise PartError(f"{path}: its run's event log {log} is missing; delete it to redo")
    tables = _read_tables(con, path, kv, spec.run_id, scenario_hash)
    return RunRow(spec.index, values, metrics, config, tables)


def _read_tables(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kv: Mapping[str, str],
    run_id: str,
    scenario_hash: str,
) -> dict[str, list[dict[str, Any]]]:
    try:
        counts = json.loads(kv.get(_TABLES, ""))
        if not isinstance(counts, dict) or not all(
            isinstance(k, str) and type(v) is int for k, v in counts.items()
        ):
            raise ValueError("not a mapping of table names to row counts")
    except ValueError as exc:
        raise PartError(f"{path}: its table list is unreadable ({exc})") from None
    tables: dict[str, list[dict[str, Any]]] = {}
    for name, count in counts.items():
        if count == 0:
            tables[name] = []
            continue
        table_path = path.parent / TABLES / name / f"{run_id}.parquet"
        if not table_path.is_file():
            raise PartError(f"{table_path}: missing, but {path.name} lists {count} rows in it")
        table_kv, columns, records = _read(con, table_path)
        _check_kv(table_path, table_kv, scenario_hash, run_id, columns, records)
        if len(records) != count:
            raise PartError(
                f"{table_path}: holds {len(records)} rows, but {path.name} lists {count}"
            )
        tables[name] = records
    return tables


def _read(
    con: duckdb.DuckDBPyConnection, path: Path
) -> tuple[dict[str, str], list[str], list[dict[str, Any]]]:
    """A Parquet file's key-value metadata, columns and rows (as the values written)."""
    source = str(path).replace("'", "''")
    try:
        raw = con.execute(f"SELECT key, value FROM parquet_kv_metadata('{source}')").fetchall()
        kv = {bytes(k).decode(): bytes(v).decode() for k, v in raw}
        cursor = con.execute(f"SELECT * FROM read_parquet('{source}')")
        columns = [d[0] for d in cursor.description or ()]
        records = [
            {c: _restore(v) for c, v in zip(columns, r, strict=True)} for r in cursor.fetchall()
        ]
    except (duckdb.Error, UnicodeDecodeError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PartError(
            f"{path}: unreadable part, truncated or corrupted ({reason}); delete it to redo the run"
        ) from None
    return kv, columns, records


def _check_kv(
    path: Path,
    kv: Mapping[str, str],
    scenario_hash: str,
    run_id: str,
    columns: Sequence[str],
    records: Sequence[Mapping[str, Any]],
) -> None:
    found = kv.get(_HASH)
    if found != scenario_hash:
        raise PartError(
            f"{path}: written by another scenario or design (hash {found or 'missing'}, this "
            f"sweep's is {scenario_hash}); results of different designs are never mixed"
        )
    if kv.get(_RUN) != run_id:
        raise PartError(f"{path}: holds run {kv.get(_RUN)!r}, not {run_id!r}")
    if kv.get(_DIGEST) != digest(columns, records):
        raise PartError(
            f"{path}: its contents do not match its digest (changed after it was written); "
            "delete it to redo the run"
        )


def _restore(value: Any) -> Any:
    """A value read back from Parquet as the value written (``DECIMAL(38,0)`` -> int)."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def _as_stored(value: Any) -> Any:
    """A value as a one-row part stores it (:func:`~accord.lab.results.stored_column`)."""
    return stored_column([value])[1][0]


def digest(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    """BLAKE2b-128 of a file's columns and rows as stored: written into each part's
    footer and checked on reading, so a changed byte that Parquet would still decode is
    caught too."""
    stored = [stored_column([row.get(column) for row in rows])[1] for column in columns]
    records = [[values[i] for values in stored] for i in range(len(rows))]
    text = canonical_json({"columns": list(columns), "rows": records})
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
