"""The Ray backend: the same sweep on Ray gives the local pool's results, row by row."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import tests.lab.probe  # noqa: F401  (registers lab_probe)
from accord.cli import app
from accord.lab.results import query, write_results
from accord.lab.runner import LocalPool, make_executor, run_sweep
from accord.lab.scenario import parse_scenario

TOY = """
name = "toy-ray"
game = "toy"
seed = 11
seeds = 2

[params]
agents = 4
blocks = 6

[device]
block_gas_limit = 90_000

[sweep]
"device.ordering" = ["fcfs", "priority"]
"device.mempool" = ["public", "private"]
"""


def test_without_ray_the_backend_is_refused_and_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from accord.lab.ray_backend import RayPool, RayUnavailable

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(RayUnavailable, match=r"pip install 'accord\[ray\]'"):
        RayPool()
    with pytest.raises(RayUnavailable, match="ray extra"):
        make_executor(None, 4, backend="ray")
    scenario = tmp_path / "toy.toml"
    scenario.write_text(TOY, encoding="utf-8")
    out = tmp_path / "runs"
    result = CliRunner().invoke(
        app, ["run", str(scenario), "--backend", "ray", "--out", str(out)], terminal_width=200
    )
    assert result.exit_code == 1
    assert "pip install 'accord[ray]'" in result.output
    assert not out.exists()  # nothing ran


def test_backend_and_address_are_checked() -> None:
    with pytest.raises(ValueError, match=r"unknown backend 'dask' \(known: local, ray\)"):
        make_executor(2, 4, backend="dask")
    with pytest.raises(ValueError, match="address is for the ray backend"):
        make_executor(2, 4, address="ray://head:10001")


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Any]:
    """One local Ray instance of two CPUs for the module (Ray 2.x has no local_mode; Ray
    takes several seconds to start, so the module shares it). Ray is a test dependency
    (the dev extra): without it these tests fail, they are never skipped."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


def _rows(run_dir: Path, sql: str) -> list[dict[str, Any]]:
    return query(run_dir, sql)


def test_ray_results_equal_the_process_pools_row_by_row(ray_cluster: Any, tmp_path: Path) -> None:
    from accord.lab.ray_backend import RayPool

    scenario = parse_scenario(TOY)
    local = run_sweep(scenario, executor=LocalPool(2))
    remote = run_sweep(scenario, executor=RayPool())
    assert ray_cluster.is_initialized()  # a running instance is used and left running
    assert [o.spec.run_id for o in remote.outcomes] == [o.spec.run_id for o in local.outcomes]
    for a, b in zip(local.outcomes, remote.outcomes, strict=True):
        assert a.ok and b.ok
        assert a.spec.seed == b.spec.seed
        assert a.result == b.result  # metrics, state hash, blocks and tables
    assert len({o.result.state_hash for o in remote.outcomes if o.result}) == 8
    local_dir = write_results(local, tmp_path / "local")
    ray_dir = write_results(remote, tmp_path / "ray")
    sql = "SELECT * FROM results ORDER BY run"
    assert _rows(ray_dir, sql) == _rows(local_dir, sql)
    assert len(_rows(ray_dir, sql)) == 8
    for table in json.loads((local_dir / "meta.json").read_text())["tables"]:
        sql = f'SELECT * FROM "{table}" ORDER BY ALL'
        assert _rows(ray_dir, sql) == _rows(local_dir, sql)


def test_failures_on_ray_are_recorded_not_raised(ray_cluster: Any) -> None:
    from accord.lab.ray_backend import RayPool

    scenario = parse_scenario(
        'game = "lab_probe"\nseeds = 2\n[sweep]\n"params.fail" = [false, true]\n'
    )
    sweep = run_sweep(scenario, executor=RayPool())
    assert [o.status for o in sweep.outcomes] == ["ok", "ok", "error", "error"]
    bad = sweep.failed[0]
    assert bad.error == f"ValueError: probe told to fail (seed {bad.spec.seed})"


def test_accord_run_backend_ray_prints_the_local_runs_summary(
    ray_cluster: Any, tmp_path: Path
) -> None:
    scenario = tmp_path / "toy-ray.toml"
    scenario.write_text(TOY, encoding="utf-8")
    lines = {}
    for backend in ("local", "ray"):
        out = tmp_path / backend
        args = ["run", str(scenario), "--backend", backend, "--out", str(out), "--workers", "1"]
        args.append("--json")
        result = CliRunner().invoke(app, args, terminal_width=200)
        assert result.exit_code == 0, result.output
        line = json.loads(result.output.strip().splitlines()[-1])
        assert line.pop("results") == str(out / "toy-ray" / "results.parquet")
        assert line.pop("report") == str(out / "toy-ray" / "report.html")
        lines[backend] = line
    assert "runs on Ray (local)" in result.output
    assert lines["ray"] == lines["local"]


def test_an_interrupted_ray_sweep_resumes_to_the_process_pools_results(
    ray_cluster: Any, tmp_path: Path
) -> None:
    """Ctrl-C while Ray runs the sweep: the finished runs stay saved, the tasks left are
    cancelled, and --resume on Ray completes it to the process pool's results."""
    from accord.lab.durable import Interrupted, open_sweep
    from accord.lab.ray_backend import RayPool

    class CtrlCAfter(RayPool):
        def map_unordered(self, fn: Any, specs: Any) -> Iterator[Any]:
            for k, outcome in enumerate(super().map_unordered(fn, specs)):
                if k == 3:
                    raise KeyboardInterrupt
                yield outcome

    scenario = parse_scenario(TOY)
    with pytest.raises(Interrupted) as info, open_sweep(scenario, tmp_path / "ray") as sweep:
        sweep.run(CtrlCAfter())
    assert info.value.saved == 3
    assert ray_cluster.is_initialized()
    with open_sweep(scenario, tmp_path / "ray", mode="resume") as sweep:
        assert len(sweep.saved) == 3 and len(sweep.missing) == 5
        ray_dir = sweep.run(RayPool()).run_dir
    with open_sweep(scenario, tmp_path / "local") as sweep:
        local_dir = sweep.run(LocalPool(2)).run_dir
    sql = "SELECT * FROM results ORDER BY run"
    assert _rows(ray_dir, sql) == _rows(local_dir, sql)
    assert len({row["state_hash"] for row in _rows(ray_dir, sql)}) == 8
