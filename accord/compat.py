"""Module paths of accord 0.1 that moved, kept importable for scripts written against 0.1.

Issue 12 turned the prefix families (``mechanisms/routing_*.py``, ``agents/defi_*.py``,
``cli_*.py``, …) into packages. The facades (``accord.mechanisms.routing`` and the like)
kept every public name; this module keeps the old *submodule* paths too:
``import accord.mechanisms.routing_newton`` gives the very module object of
``accord.mechanisms.routing.newton`` (one module, one set of classes, so ``isinstance``
and pickles agree) and warns with :class:`DeprecationWarning` naming the new path.

It is an import-system finder (``importlib.abc.MetaPathFinder``, PEP 451) placed last on
``sys.meta_path``: it is asked only about names no file provides, and answers only for
the names in :data:`MOVED`. The contract allowlist (``Genesis.contract_modules``) is not
widened: no moved module holds a contract, and a deploy is checked against the module
its class is defined in.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType

MOVED: dict[str, str] = {
    "accord.agents.defi_arbitrage": "accord.agents.defi.arbitrage",
    "accord.agents.defi_mempool": "accord.agents.defi.mempool",
    "accord.agents.defi_sandwich": "accord.agents.defi.sandwich",
    "accord.agents.defi_searchers": "accord.agents.defi.searchers",
    "accord.agents.defi_solver": "accord.agents.defi.solver",
    "accord.agents.llm.structured": "accord.agents.structured",
    "accord.cli_deepfund": "accord.cli.deepfund",
    "accord.cli_intent": "accord.cli.intent",
    "accord.cli_judge": "accord.cli.judge",
    "accord.games.defi_metrics": "accord.games.defi.metrics",
    "accord.games.defi_params": "accord.games.defi.params",
    "accord.games.defi_routing": "accord.games.defi.routing",
    "accord.games.defi_setup": "accord.games.defi.setup",
    "accord.games.defi_state": "accord.games.defi.state",
    "accord.mechanisms.batch_candidates": "accord.mechanisms.batch.candidates",
    "accord.mechanisms.batch_execute": "accord.mechanisms.batch.execute",
    "accord.mechanisms.batch_routes": "accord.mechanisms.batch.routes",
    "accord.mechanisms.batch_settle": "accord.mechanisms.batch.settlement",
    "accord.mechanisms.batch_types": "accord.mechanisms.batch.types",
    "accord.mechanisms.cfmm_clearing": "accord.mechanisms.cfmm.clearing",
    "accord.mechanisms.cfmm_pools": "accord.mechanisms.cfmm.pools",
    "accord.mechanisms.cfmm_v2": "accord.mechanisms.cfmm.v2",
    "accord.mechanisms.deepfund_exact": "accord.mechanisms.deepfund.exact",
    "accord.mechanisms.deepfund_graph": "accord.mechanisms.deepfund.graph",
    "accord.mechanisms.deepfund_io": "accord.mechanisms.deepfund.io",
    "accord.mechanisms.deepfund_judged": "accord.mechanisms.deepfund.judged",
    "accord.mechanisms.deepfund_payouts": "accord.mechanisms.deepfund.payouts",
    "accord.mechanisms.judgement_data": "accord.mechanisms.judgement.data",
    "accord.mechanisms.judgement_fit": "accord.mechanisms.judgement.fitting",
    "accord.mechanisms.judgement_rewards": "accord.mechanisms.judgement.rewards",
    "accord.mechanisms.judgement_sampling": "accord.mechanisms.judgement.sampling",
    "accord.mechanisms.judgement_verdict": "accord.mechanisms.judgement.verdict",
    "accord.mechanisms.routing_closed_forms": "accord.mechanisms.routing.closed_forms",
    "accord.mechanisms.routing_colgen": "accord.mechanisms.routing.colgen",
    "accord.mechanisms.routing_direct": "accord.mechanisms.routing.direct",
    "accord.mechanisms.routing_dual": "accord.mechanisms.routing.dual",
    "accord.mechanisms.routing_kernels": "accord.mechanisms.routing.kernels",
    "accord.mechanisms.routing_network": "accord.mechanisms.routing.network",
    "accord.mechanisms.routing_newton": "accord.mechanisms.routing.newton",
    "accord.mechanisms.routing_primal": "accord.mechanisms.routing.primal",
    "accord.mechanisms.routing_result": "accord.mechanisms.routing.result",
}
"""Each 0.1 module path that no longer exists as a file, and the module it became."""


class MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds a moved 0.1 module path and loads it as the module it became."""

    def __init__(self) -> None:
        self._specs: dict[str, importlib.machinery.ModuleSpec | None] = {}

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        new = MOVED[spec.name]
        warnings.warn(
            f"{spec.name} moved to {new}; import it from there (or from its package)",
            DeprecationWarning,
            stacklevel=2,
        )
        module = importlib.import_module(new)
        # The import system sets __spec__ on what we return; give the module its own back
        # in exec_module, so that reload() and pickling still see its real name.
        self._specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        for old, spec in list(self._specs.items()):
            if sys.modules.get(MOVED[old]) is module:
                module.__spec__ = spec
                del self._specs[old]


def install() -> None:
    """Put one :class:`MovedModules` last on ``sys.meta_path`` (idempotent)."""
    if not any(isinstance(finder, MovedModules) for finder in sys.meta_path):
        sys.meta_path.append(MovedModules())
