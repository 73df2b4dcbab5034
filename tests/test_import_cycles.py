"""accord's import graph has no cycle (issue 12): a part never imports what imports it.

The graph counts every ``import`` a module's source holds, wherever it stands: at the
top, under ``if TYPE_CHECKING:`` or inside a function, because a cycle hidden in a
function is still a cycle (it only moves the failure to run time). Importing ``a.b.c``
also runs the ``__init__`` of ``a`` and ``a.b``, and a package's ``__init__`` is its facade
(it imports its modules), so an edge also goes to each package above the target that
is not above the importer: ``agents.llm.actions → agents.intent.check`` is an edge to
``agents.intent`` too. That is the graph Python walks at run time, in any import order.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

import accord

KNOWN: set[frozenset[str]] = set()
"""Cycles allowed to stay: none (the last, lab's runner and Ray backend, was broken by
moving a run's spec, outcome and execution to ``lab/runs.py``)."""


def modules(root: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` (a folder under ``root``) by dotted name."""
    found = {}
    for path in (root / package).rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _above(name: str) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def import_graph(mods: dict[str, Path]) -> dict[str, set[str]]:
    """``module → modules it imports`` (see the module docstring for what counts)."""
    graph: dict[str, set[str]] = {name: set() for name in mods}
    for name, path in mods.items():
        own = _above(name) | {name}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from a.b import c` imports module a.b.c if there is one, else a.b.
                targets = [
                    f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in mods else node.module
                    for a in node.names
                ]
            else:
                continue
            for target in targets:
                if target in mods:
                    graph[name] |= ({target} | _above(target)) - own
    return graph


def cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan's components,
    via SciPy's ``connected_components(connection="strong")``)."""
    names = sorted(graph)
    index = {name: i for i, name in enumerate(names)}
    rows = [index[a] for a in names for _ in graph[a]]
    cols = [index[b] for a in names for b in sorted(graph[a])]
    matrix = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(names), len(names)))
    _, labels = connected_components(matrix, directed=True, connection="strong")
    groups: dict[int, set[str]] = {}
    for name, label in zip(names, labels, strict=True):
        groups.setdefault(int(label), set()).add(name)
    return {frozenset(g) for g in groups.values() if len(g) > 1}


def test_accord_has_no_import_cycle() -> None:
    root = Path(accord.__file__).parents[1]
    found = cycles(import_graph(modules(root, "accord")))
    assert found <= KNOWN, sorted(sorted(c) for c in found - KNOWN)


def test_the_parts_named_by_issue_12_are_acyclic_and_really_checked() -> None:
    root = Path(accord.__file__).parents[1]
    graph = import_graph(modules(root, "accord"))
    # The graph does see the imports that once closed these cycles' loops.
    assert "accord.device.host" in graph["accord.device.execution"]
    assert "accord.agents.structured" in graph["accord.agents.intent.llm"]
    assert "accord.agents.intent" in graph["accord.agents.llm.actions"]  # the facade above
    for part in ("accord.device", "accord.agents"):
        assert not any(any(m.startswith(part) for m in c) for c in cycles(graph)), part


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


def test_a_cycle_hidden_in_a_function_or_type_checking_is_found(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg.b import B\n",
            "pkg/b.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.c import C\n"
            ),
            "pkg/c.py": "def f():\n    from pkg.a import A\n",
            "pkg/d.py": "import pkg.a\n",
        },
    )
    assert cycles(import_graph(modules(tmp_path, "pkg"))) == {
        frozenset({"pkg.a", "pkg.b", "pkg.c"})
    }


def test_a_cycle_through_a_facade_is_found(tmp_path: Path) -> None:
    # x.m imports y.n; y's facade imports y.k, which imports x.m: x.m → y → y.k → x.m.
    _write(
        tmp_path,
        {
            "top/__init__.py": "",
            "top/x/__init__.py": "",
            "top/x/m.py": "from top.y.n import N\n",
            "top/y/__init__.py": "from top.y.k import K\n",
            "top/y/n.py": "N = 1\n",
            "top/y/k.py": "from top.x import m\n",
        },
    )
    assert cycles(import_graph(modules(tmp_path, "top"))) == {
        frozenset({"top.x.m", "top.y", "top.y.k"})
    }


LAYERS = (
    "cli",
    "client",
    "node",
    "x402",
    "lab",
    "envs",
    "games",
    "agents",
    "contracts",
    "device",
    "mechanisms",
)
"""The README's layers, top to bottom: a package imports only the ones below it."""


def test_imports_point_down_the_layers() -> None:
    root = Path(accord.__file__).parents[1]
    rank = {name: i for i, name in enumerate(LAYERS)}

    def layer(module: str) -> str:
        return module.split(".")[1] if module.count(".") else ""

    upward = sorted(
        f"{a} -> {b}"
        for a, targets in import_graph(modules(root, "accord")).items()
        for b in targets
        if layer(a) in rank and layer(b) in rank and rank[layer(b)] < rank[layer(a)]
    )
    assert upward == []
    assert set(LAYERS) <= {p.name for p in (root / "accord").iterdir() if p.is_dir()}
