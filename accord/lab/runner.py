"""The runner: a scenario's grid × replicates, expanded into runs and executed.

**Seeds.** Every run's seed is derived, never drawn: with ``root`` the scenario's
``seed``, ``r`` the replicate number and ``w₀…w₃`` the first 16 bytes of
BLAKE2b(canonical JSON of the grid point's swept values) read as four little-endian
uint32 words,

    seed = SeedSequence(entropy=root, spawn_key=(w₀, w₁, w₂, w₃, r))
               .generate_state(1, uint64)[0] >> 1

(63 bits, so the seed fits a signed 64-bit column). ``spawn_key`` is NumPy's own
mechanism for independent child streams (O'Neill's SeedSequence hashing), so distinct
grid points and replicates get statistically independent streams, and a run's seed
depends only on its own point and replicate: adding a sweep value or a replicate leaves
the other runs' seeds, and hence their results, unchanged. With
``common_random_numbers = true`` the point is left out (``spawn_key=(r,)``), so every grid
point sees the same seeds: paired comparisons of designs under the same draws.

**Execution.** :func:`run_sweep` hands the runs to an :class:`Executor`:
:class:`InProcess` (``workers=1``) or :class:`LocalPool` (a
``concurrent.futures.ProcessPoolExecutor`` with the ``spawn`` start method, so workers
start clean whatever threads the parent runs). Outcomes come back in any order and are
sorted by run index, so the results do not depend on the executor or the number of
workers. A run that raises is recorded with its error (``"ValueError: …"``) and the sweep
goes on. The Ray backend (:class:`accord.lab.ray_backend.RayPool`, ``backend="ray"`` in
:func:`make_executor`) is one more :class:`Executor`: ``ray.remote`` on
:func:`execute_run`, ``ray.wait`` for completions; nothing here imports Ray.

**Logs.** With ``logs`` (``accord run --logs``) each run executes inside
:func:`accord.device.recording.recording`, so every device the game creates without a
``store`` writes its event log to ``logs/<run-id>.db`` (a second device of the same run to
``<run-id>-2.db``, …; under the MAC with its key file ``<run-id>.keys``); each log also
records the installation's library versions (:mod:`accord.lab.provenance`). ``accord
replay`` then replays any run, on any installation.

Timing is never part of a run's outcome: results are a pure function of the scenario.
"""

from __future__ import annotations

import ctypes
import hashlib
import multiprocessing
import os
import shutil
import signal
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from accord.lab.ray_backend import RayPool
from accord.lab.runs import RunOutcome, RunSpec, describe_error, execute_run
from accord.lab.scenario import Scenario, canonical_json

__all__ = [
    "Executor",
    "InProcess",
    "LocalPool",
    "RunOutcome",
    "RunSpec",
    "Sweep",
    "derive_seed",
    "describe_error",
    "design_hash",
    "execute_run",
    "expand",
    "make_executor",
    "run_specs",
    "run_sweep",
]


def _point_words(values: Mapping[str, Any]) -> tuple[int, int, int, int]:
    digest = hashlib.blake2b(canonical_json(dict(values)).encode(), digest_size=16).digest()
    words = [int.from_bytes(digest[k : k + 4], "little") for k in range(0, 16, 4)]
    return (words[0], words[1], words[2], words[3])


def derive_seed(root: int, point: Mapping[str, Any] | None, replicate: int) -> int:
    """The seed of replicate ``replicate`` at the grid point ``point`` (module docstring).

    ``point`` is the grid point's swept values; ``None`` derives the common-random-numbers
    seed, the same at every point.
    """
    if type(root) is not int or root < 0:
        raise ValueError(f"root seed must be a non-negative int, got {root!r}")
    if type(replicate) is not int or replicate < 0:
        raise ValueError(f"replicate must be a non-negative int, got {replicate!r}")
    key = () if point is None else _point_words(point)
    sequence = np.random.SeedSequence(entropy=root, spawn_key=(*key, replicate))
    return int(sequence.generate_state(1, np.uint64)[0]) >> 1


def design_hash(specs: Sequence[RunSpec], *, logs: bool) -> str:
    """The design a set of runs realises, as 32 hex digits: BLAKE2b-128 of the canonical
    JSON of every run's index, id, grid point, replicate, seed, game, swept values and
    full configuration (``params`` and ``device``), and whether event logs are kept.

    Two sweeps with the same hash run the same games on the same designs with the same
    seeds, so their rows may be combined (``accord run --resume``); anything that could
    change a run's outcome changes the hash. The scenario's name and description, the
    executor and the number of workers do not.
    """
    runs = [
        [
            spec.index,
            spec.run_id,
            spec.point,
            spec.replicate,
            spec.seed,
            spec.game,
            dict(spec.values),
            spec.params.model_dump(mode="json"),
            spec.device.model_dump(mode="json"),
        ]
        for spec in specs
    ]
    text = canonical_json({"format": 1, "logs": logs, "runs": runs})
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class Sweep:
    """A scenario's outcomes, in run order."""

    scenario: Scenario
    outcomes: tuple[RunOutcome, ...]
    logs: Path | None = None
    """Where the runs' event logs went (``None``: not kept)."""

    @property
    def failed(self) -> tuple[RunOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)


def expand(scenario: Scenario, logs: str | Path | None = None) -> list[RunSpec]:
    """Every run of the scenario: grid points in order, replicates within each point
    (with ``logs``, each run writes its event logs to that directory)."""
    game_module = scenario.game_class.__module__
    point_width = len(str(max(len(scenario.points) - 1, 0)))
    rep_width = len(str(max(scenario.replicates)))
    specs: list[RunSpec] = []
    for point in scenario.points:
        for replicate in scenario.replicates:
            key = None if scenario.common_random_numbers else point.values
            specs.append(
                RunSpec(
                    index=len(specs),
                    run_id=f"p{point.index:0{point_width}d}-r{replicate:0{rep_width}d}",
                    point=point.index,
                    values=dict(point.values),
                    replicate=replicate,
                    seed=derive_seed(scenario.seed, key, replicate),
                    game=scenario.game,
                    game_module=game_module,
                    params=point.params,
                    device=point.device,
                    logs=None if logs is None else str(logs),
                )
            )
    return specs


class Executor(Protocol):
    """Runs specs and yields their outcomes as they finish, in any order.

    ``fn`` is :func:`execute_run` (a module-level function, so it pickles). An executor
    must yield exactly one outcome per spec, turning its own failures (a dead worker, a
    spec that does not pickle) into error outcomes.
    """

    def map_unordered(
        self, fn: Callable[[RunSpec], RunOutcome], specs: Sequence[RunSpec]
    ) -> Iterator[RunOutcome]: ...


class InProcess:
    """Runs every spec in this process, in order (``workers=1``; easiest to debug)."""

    def map_unordered(
        self, fn: Callable[[RunSpec], RunOutcome], specs: Sequence[RunSpec]
    ) -> Iterator[RunOutcome]:
        for spec in specs:
            yield fn(spec)


class LocalPool:
    """A local process pool of ``workers`` processes (``spawn`` start method).

    Workers ignore Ctrl-C and, on Linux, die with the parent
    (``prctl(PR_SET_PDEATHSIG)``): an interrupted sweep stops its workers itself, and a
    killed one leaves none running on, still writing a run's event log.
    """

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers

    def map_unordered(
        self, fn: Callable[[RunSpec], RunOutcome], specs: Sequence[RunSpec]
    ) -> Iterator[RunOutcome]:
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=_worker_init
        )
        finished = False
        try:
            futures: dict[Future[RunOutcome], RunSpec] = {pool.submit(fn, s): s for s in specs}
            for future in as_completed(futures):
                spec = futures[future]
                try:
                    outcome = future.result()
                except Exception as exc:  # a worker died, or the spec did not pickle
                    outcome = RunOutcome(spec, "error", None, describe_error(exc))
                yield outcome
            finished = True
        finally:
            if finished:
                pool.shutdown(wait=True)
            else:  # interrupted (Ctrl-C) or abandoned: stop now, not after the runs in flight
                _stop(pool)


_PR_SET_PDEATHSIG = 1


def _worker_init() -> None:
    """Set up a pool worker: Ctrl-C is the parent's to handle; die with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def _stop(pool: ProcessPoolExecutor) -> None:
    """End a pool's workers at once and drop the runs not started."""
    processes = dict(getattr(pool, "_processes", None) or {})  # no public API before 3.14
    for process in processes.values():
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes.values():
        process.join(timeout=10)


BACKENDS = ("local", "ray")
"""Where a sweep can run: this machine's processes, or Ray."""


def make_executor(
    workers: int | None,
    n_runs: int,
    *,
    backend: str = "local",
    address: str | None = None,
) -> Executor:
    """The executor for a sweep of ``n_runs`` runs.

    ``backend="local"``: ``InProcess`` for one worker (or one run), else a
    ``LocalPool``; ``None`` workers means one per CPU. ``backend="ray"``: a
    :class:`~accord.lab.ray_backend.RayPool` on the cluster at ``address`` (a local Ray
    instance of ``workers`` CPUs when ``address`` is ``None``); raises
    :class:`~accord.lab.ray_backend.RayUnavailable` if Ray is not installed.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r} (known: {', '.join(BACKENDS)})")
    if backend == "ray":
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        return RayPool(address, num_cpus=workers)
    if address is not None:
        raise ValueError("address is for the ray backend (--backend ray)")
    count = workers if workers is not None else os.cpu_count() or 1
    if count < 1:
        raise ValueError(f"workers must be at least 1, got {count}")
    count = min(count, max(n_runs, 1))
    return InProcess() if count == 1 else LocalPool(count)


def run_sweep(
    scenario: Scenario,
    *,
    workers: int | None = None,
    executor: Executor | None = None,
    console: Console | None = None,
    logs: str | Path | None = None,
) -> Sweep:
    """Run every run of ``scenario`` and return the outcomes in run order.

    ``console`` shows a progress bar there (none when ``None``). ``logs``: a directory
    (emptied first) where every run writes its event logs, ``<run-id>.db``. Nothing is
    saved: ``accord run`` saves each run as it finishes (:mod:`accord.lab.durable`).
    """
    if logs is not None:
        logs = Path(logs)
        shutil.rmtree(logs, ignore_errors=True)
        logs.mkdir(parents=True)
    specs = expand(scenario, logs)
    executor = executor or make_executor(workers, len(specs))
    outcomes = run_specs(specs, executor, console=console, title=scenario.name)
    return Sweep(scenario, tuple(outcomes), None if logs is None else Path(logs))


def run_specs(
    specs: Sequence[RunSpec],
    executor: Executor,
    *,
    console: Console | None = None,
    title: str = "runs",
    done: int = 0,
    failed: int = 0,
    on_outcome: Callable[[RunOutcome], None] | None = None,
) -> list[RunOutcome]:
    """Run ``specs`` on ``executor`` and return their outcomes in run order.

    ``on_outcome`` is called with each outcome as it arrives (``accord run`` saves it
    there), before the next one is awaited. ``console``: a progress bar, starting at
    ``done`` runs already finished (``failed`` of them failed) by an earlier attempt.
    """
    outcomes: list[RunOutcome] = []

    def receive(outcome: RunOutcome) -> None:
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    if console is None:
        for outcome in executor.map_unordered(execute_run, specs):
            receive(outcome)
    else:
        columns = (
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[red]{task.fields[failed]} failed", justify="right"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(title, total=done + len(specs), completed=done, failed=failed)
            for outcome in executor.map_unordered(execute_run, specs):
                receive(outcome)
                failed += not outcome.ok
                progress.update(task, advance=1, failed=failed)
    if len(outcomes) != len(specs):
        raise RuntimeError(f"the executor returned {len(outcomes)} outcomes for {len(specs)}")
    outcomes.sort(key=lambda o: o.spec.index)
    return outcomes
