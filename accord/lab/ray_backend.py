"""The Ray backend: the same sweep, one Ray task per run, on one machine or a cluster.

:class:`RayPool` is one more :class:`~accord.lab.runner.Executor`. Each run becomes a
task ``ray.remote(execute_run).remote(spec)`` (Ray's task API: "Tasks", Ray Core
documentation) and outcomes are collected with ``ray.wait(…, num_returns=1)`` as they
finish. A run's outcome is a pure function of its :class:`~accord.lab.runs.RunSpec`
(its seed is derived before it is sent), and :func:`~accord.lab.runner.run_sweep` sorts
outcomes by run index, so the results are identical, row by row and state hash by state
hash, to the local process pool's (tested in CI on a two-CPU local Ray instance; Ray 2.x
has dropped its serial ``local_mode``). Ctrl-C, or a consumer that stops early, cancels
the tasks not yet finished (``ray.cancel``); the runs saved so far stay saved
(:mod:`accord.lab.durable`).

Where Ray runs:

* no ``address``: ``ray.init()`` starts a local Ray instance (``num_cpus`` CPUs, all of
  them by default) and :meth:`RayPool.map_unordered` shuts it down when it is done;
* ``address="auto"`` or ``"ray://host:10001"``: an existing cluster (Ray Client for
  ``ray://``). Every node needs ``accord`` installed (or a ``runtime_env``, which
  ``RayPool`` passes through) so that workers can import the game;
* if Ray is already initialised in this process (a notebook, a test), it is used as is
  and left running.

Ray is optional (``pip install 'accord[ray]'``; the ``dev`` extra has it, so the tests
run it); without it, :class:`RayPool` raises :class:`RayUnavailable`, naming the extra to
install, before anything runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import ModuleType
from typing import Any

from accord.lab.runs import RunOutcome, RunSpec, describe_error

__all__ = ["RayPool", "RayUnavailable", "import_ray"]

INSTALL_HINT = "pip install 'accord[ray]'"


class RayUnavailable(RuntimeError):
    """The Ray backend was asked for but Ray cannot be imported."""


def import_ray() -> ModuleType:
    """The ``ray`` module, or :class:`RayUnavailable` saying how to install it."""
    try:
        return importlib.import_module("ray")
    except ImportError as exc:
        raise RayUnavailable(
            f"--backend ray needs Ray, which is not installed ({exc}); install the ray "
            f"extra: {INSTALL_HINT}"
        ) from None


class RayPool:
    """Runs specs as Ray tasks (module docstring).

    ``address``: a cluster to connect to (``None`` starts a local instance);
    ``num_cpus``: CPUs of a local instance; ``runtime_env``: passed to ``ray.init``.
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        num_cpus: int | None = None,
        runtime_env: Mapping[str, Any] | None = None,
    ) -> None:
        if num_cpus is not None and num_cpus < 1:
            raise ValueError(f"num_cpus must be at least 1, got {num_cpus}")
        if address is not None and not address.strip():
            raise ValueError("address must be a Ray address ('auto', 'ray://host:port') or None")
        self.ray = import_ray()
        self.address = address
        self.num_cpus = num_cpus
        self.runtime_env = dict(runtime_env) if runtime_env else None

    @property
    def where(self) -> str:
        """Where the runs go, for the user: ``Ray (local)`` or ``Ray at ADDRESS``."""
        return f"Ray at {self.address}" if self.address else "Ray (local)"

    def _init(self) -> bool:
        """Initialise Ray unless it already is; True if this call started it."""
        ray = self.ray
        if ray.is_initialized():
            return False
        kwargs: dict[str, Any] = {
            "address": self.address,
            "include_dashboard": False,
            "log_to_driver": False,
            "configure_logging": False,
        }
        if self.address is None:
            kwargs["num_cpus"] = self.num_cpus
        if self.runtime_env:
            kwargs["runtime_env"] = self.runtime_env
        ray.init(**kwargs)
        return True

    def map_unordered(
        self, fn: Callable[[RunSpec], RunOutcome], specs: Sequence[RunSpec]
    ) -> Iterator[RunOutcome]:
        ray = self.ray
        started = self._init()
        refs: dict[Any, RunSpec] = {}
        pending: list[Any] | None = None  # None until every run is submitted
        try:
            task = ray.remote(num_cpus=1, max_retries=0)(fn)
            for spec in specs:
                try:
                    refs[task.remote(spec)] = spec
                except Exception as exc:  # the spec did not serialise
                    yield RunOutcome(spec, "error", None, describe_error(exc))
            pending = list(refs)
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                for ref in done:
                    try:
                        yield ray.get(ref)
                    except Exception as exc:  # a worker died, or the task could not run
                        yield RunOutcome(refs[ref], "error", None, describe_error(exc))
        finally:
            # Interrupted (Ctrl-C) or abandoned: drop the runs left, submitted or waiting.
            for ref in list(refs) if pending is None else pending:
                ray.cancel(ref, force=True)
            if started:
                ray.shutdown()
