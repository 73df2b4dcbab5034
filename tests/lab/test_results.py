"""Results: Parquet written through DuckDB, read back through DuckDB, exactly."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from accord.lab.results import load, query, read_meta, write_results, write_table
from accord.lab.runner import run_sweep
from accord.lab.scenario import parse_scenario
from tests.lab.probe import BIG, PROBE


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sweep = run_sweep(parse_scenario(PROBE), workers=1)
    return write_results(sweep, tmp_path_factory.mktemp("runs"))


def test_layout_and_meta(run_dir: Path) -> None:
    assert run_dir.name == "probe"
    assert (run_dir / "results.parquet").is_file()
    assert (run_dir / "tables" / "rows.parquet").is_file()
    assert (run_dir / "scenario.toml").read_text() == PROBE
    meta = read_meta(run_dir)
    assert meta.game == "lab_probe" and meta.runs == 8 and meta.failed == 4
    assert meta.swept_keys == ("params.scale", "params.fail")
    assert meta.swept == (("params.scale", (1, 10)), ("params.fail", (False, True)))
    assert meta.metrics == ("residue", "gas_limit", "big", "undefined", "half", "unbounded")
    assert meta.tables == ("rows",)
    assert json.loads((run_dir / "meta.json").read_text())["replicates"] == [0, 1]


def test_columns_and_types(run_dir: Path) -> None:
    types = {r["column_name"]: r["column_type"] for r in query(run_dir, "DESCRIBE results")}
    assert list(types)[:13] == [
        "run",
        "run_id",
        "point",
        "replicate",
        "seed",
        "params.scale",
        "params.fail",
        "status",
        "error",
        "blocks",
        "state_hash",
        "residue",
        "gas_limit",
    ]
    assert types["params.scale"] == "BIGINT" and types["params.fail"] == "BOOLEAN"
    assert types["big"] == "DECIMAL(38,0)"  # beyond int64, kept exact
    assert types["half"] == "DOUBLE" and types["residue"] == "BIGINT"
    assert types["params.rows"] == "BIGINT"  # the unswept configuration, flattened
    assert types["device.ordering"] == "VARCHAR"
    assert types["device.latency_ms"] == "VARCHAR"  # dicts as JSON text


def test_round_trip_values_equal_the_outcomes(tmp_path: Path) -> None:
    sweep = run_sweep(parse_scenario(PROBE), workers=1)
    run_dir = write_results(sweep, tmp_path)
    rows = query(run_dir, "SELECT * FROM results")
    assert len(rows) == len(sweep.outcomes) == 8
    for row, outcome in zip(rows, sweep.outcomes, strict=True):
        spec = outcome.spec
        assert row["run"] == spec.index and row["run_id"] == spec.run_id
        assert row["seed"] == spec.seed and row["replicate"] == spec.replicate
        assert row["params.scale"] == spec.values["params.scale"]
        assert row["params.fail"] is spec.values["params.fail"]
        assert row["status"] == outcome.status and row["error"] == outcome.error
        assert row["device.ordering"] == "priority" and row["device.latency_ms"] == "{}"
        if outcome.result is None:
            assert row["residue"] is None and row["big"] is None and row["state_hash"] is None
            assert row["error"].startswith("ValueError: probe told to fail")
            continue
        m = outcome.result.metrics
        assert row["residue"] == m["residue"] == (spec.seed % 1000) * row["params.scale"]
        assert row["big"] == Decimal(BIG + spec.seed % 7) == Decimal(m["big"])
        assert row["half"] == 0.5 and row["gas_limit"] == 30_000_000
        assert row["undefined"] is None  # NaN is stored as NULL
        assert row["unbounded"] == float("inf")  # infinity is a value, kept
        assert row["state_hash"] == f"{spec.seed:016x}" and row["blocks"] == row["params.scale"]


def test_long_form_tables_are_views(run_dir: Path) -> None:
    rows = query(run_dir, "SELECT run, run_id, i, seed_mod FROM rows ORDER BY run, i")
    seeds = {r["run"]: r["seed"] for r in query(run_dir, "SELECT run, seed FROM results")}
    assert len(rows) == 4 * 3  # three rows from each of the four runs that succeeded
    for row in rows:
        assert row["seed_mod"] == (seeds[row["run"]] + row["i"]) % 10
    joined = query(
        run_dir,
        'SELECT r."params.scale" AS scale, count(*) AS n FROM rows JOIN results r USING (run) '
        "GROUP BY 1 ORDER BY 1",
    )
    assert joined == [{"scale": 1, "n": 6}, {"scale": 10, "n": 6}]


def test_plain_duckdb_reads_the_parquet(run_dir: Path) -> None:
    con = duckdb.connect()
    path = str(run_dir / "results.parquet")
    sql = f"SELECT count(*) FROM read_parquet('{path}') WHERE status = 'ok'"
    ok = con.execute(sql + ' AND "params.fail" = false').fetchone()
    assert ok == (4,)
    con.close()
    with load(run_dir) as con:
        assert con.execute("SELECT count(*) FROM results").fetchone() == (8,)
        assert con.execute("SELECT max(residue) FROM results").fetchone() is not None


def test_parameters_and_missing_dir(run_dir: Path, tmp_path: Path) -> None:
    rows = query(run_dir, "SELECT run_id FROM results WHERE point = ? ORDER BY run", [1])
    assert [r["run_id"] for r in rows] == ["p1-r0", "p1-r1"]
    with pytest.raises(FileNotFoundError, match=r"no results\.parquet"):
        load(tmp_path)


def test_write_table_types_each_column(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    write_table(
        [{"a": 1, "b": "x"}, {"a": None, "c": 2.5}, {"a": 2**70, "b": None, "c": [1, 2]}], path
    )
    con = duckdb.connect()
    rows = con.execute(f"SELECT * FROM read_parquet('{path}')").fetchall()
    assert rows == [
        (Decimal(1), "x", None),
        (None, None, "2.5"),
        (Decimal(2**70), None, "[1,2]"),
    ]
