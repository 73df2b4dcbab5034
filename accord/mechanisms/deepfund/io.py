"""Reading deep-funding graphs from the files operators already have.

Two families of files, told apart by their header (``form="auto"``):

**Weighted edges** (the deep-funding submission form, ``deepfunding/dependency-graph``
README): a CSV with the columns ``source, target, weight`` (others are ignored), the
source being the dependent and the target its dependency. Each bad row is an error that
names it (``row 3 (line 4)``): a missing column or value, a weight that is not a number,
not finite or negative, a self-loop, the same edge twice. A source whose out-weights sum
to more than 1 (beyond :data:`~accord.mechanisms.deepfund.graph.TOLERANCE`) is an error
naming the source and the sum.

**Unweighted seed/dependency lists** from the same repository:

* ``datasets/v2-graph/dependency-graph-v2.csv``: columns ``seed_repo, dependency_repo``
  (plus ``package_name, package_manager, …``, ignored): one row per *package*, so one
  repository pair may appear many times;
* ``graph/unweighted_graph.csv`` (v1): columns ``seed_repo_owner, seed_repo_name,
  package_repo_owner, package_repo_name``; names become ``https://github.com/owner/name``
  as in v2 and the jury data; a package with no known repository (empty owner or name)
  is skipped and counted;
* ``seedReposWithDependencies.json``: ``{seed_repo: [dependency_repo, …]}``.

These carry no weights, so one is applied (:func:`weigh_dependencies`), and said in the
notes the reader returns: **each dependent keeps ``1 − dependency_share`` and splits
``dependency_share`` equally among its distinct dependencies** (``dependency_share``
defaults to 0.5). A repository listed as its own dependency (a monorepo's own packages,
e.g. ``chainsafe/lodestar`` in v2) is dropped and counted: its credit to itself is its
originality. With ``seeds`` (``seedRepos.json``: a JSON list of repository URLs) and a
``root`` name, a root node is added that gives each seed ``1/len(seeds)`` and keeps
nothing, as the contest's level-1 parent ``ethereum`` does.
"""

from __future__ import annotations

import csv
import difflib
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from accord.mechanisms.deepfund.graph import Graph, GraphError

DEFAULT_DEPENDENCY_SHARE = 0.5
"""The part of a repository's credit passed to its dependencies when no weights are given."""

GITHUB = "https://github.com/"

Form = Literal["auto", "weighted", "dependency-graph"]

WEIGHTED_COLUMNS = ("source", "target", "weight")
V2_COLUMNS = ("seed_repo", "dependency_repo")
V1_COLUMNS = ("seed_repo_owner", "seed_repo_name", "package_repo_owner", "package_repo_name")

__all__ = [
    "DEFAULT_DEPENDENCY_SHARE",
    "LoadedGraph",
    "UnknownSeeds",
    "read_graph",
    "read_seeds",
    "read_weighted_csv",
    "weigh_dependencies",
]


@dataclass(frozen=True)
class LoadedGraph:
    """A graph read from a file, and what the reader did that the user should know."""

    graph: Graph
    form: str
    notes: tuple[str, ...] = ()


# -- weighted edges --------------------------------------------------------------------
def read_weighted_csv(path: str | Path) -> Graph:
    """Read a ``source, target, weight`` CSV; every error names the file and the row."""
    path = Path(path)
    header, rows = _open_csv(path)
    return _weighted(path, header, rows)


def _weighted(path: Path, header: list[str], rows: _Rows) -> Graph:
    _require(path, header, WEIGHTED_COLUMNS, "the weighted form")
    edges: list[tuple[str, str, float]] = []
    seen: dict[tuple[str, str], int] = {}
    for row_no, line, row in rows:
        where = f"{path}: row {row_no} (line {line})"
        source = _value(row, "source", where)
        target = _value(row, "target", where)
        text = _value(row, "weight", where)
        try:
            weight = float(text)
        except ValueError:
            raise GraphError(f"{where}: weight {text!r} is not a number") from None
        if not math.isfinite(weight):
            raise GraphError(f"{where}: weight {text!r} is not finite")
        if weight < 0:
            raise GraphError(f"{where}: negative weight {weight!r} for {source!r} → {target!r}")
        if source == target:
            raise GraphError(
                f"{where}: self-loop {source!r} → itself (a node's own part is its "
                "originality, 1 − its out-weights, not an edge)"
            )
        first = seen.setdefault((source, target), row_no)
        if first != row_no:
            raise GraphError(
                f"{where}: duplicate edge {source!r} → {target!r} (first at row {first})"
            )
        edges.append((source, target, weight))
    try:
        return Graph.from_edges(edges)
    except GraphError as exc:
        raise GraphError(f"{path}: {exc}") from None


# -- unweighted seed/dependency lists --------------------------------------------------
def weigh_dependencies(
    pairs: Iterable[tuple[str, str]],
    *,
    dependency_share: float = DEFAULT_DEPENDENCY_SHARE,
    seeds: Sequence[str] = (),
    root: str | None = None,
) -> LoadedGraph:
    """Weigh unweighted ``(dependent, dependency)`` pairs by the equal-split rule.

    Each dependent with ``k`` distinct dependencies gives each ``dependency_share / k``
    and keeps ``1 − dependency_share``; self-references are dropped. With ``seeds``, the
    node ``root`` (required, and not a repository of the graph) gives each distinct seed
    ``1/len(seeds)``. Every seed must be a repository of the graph, spelled as the graph
    spells it: a misspelt seed would otherwise become a new leaf that keeps its whole
    share (issue 12: a typo received 500 of 1,000 units), so unknown seeds are an error
    naming them.
    """
    if not (isinstance(dependency_share, int | float) and 0.0 <= dependency_share <= 1.0):
        raise GraphError(f"dependency_share must be a number in [0, 1], got {dependency_share!r}")
    deps: dict[str, dict[str, None]] = {}
    self_refs = 0
    for dependent, dependency in pairs:
        if dependent == dependency:
            self_refs += 1
            continue
        deps.setdefault(dependent, {})[dependency] = None
    notes = [
        f"unweighted edges: each repository keeps {1 - dependency_share:g} of its credit and "
        f"splits {dependency_share:g} equally among its dependencies"
    ]
    if self_refs:
        notes.append(
            f"{self_refs} self-reference{'s' if self_refs > 1 else ''} "
            "(a repository's own packages) dropped"
        )
    edges: list[tuple[str, str, float]] = []
    nodes: list[str] = []
    if seeds:
        if not root:
            raise GraphError("seeds need a root node name to hang from (e.g. 'ethereum')")
        unique = list(dict.fromkeys(seeds))
        if root in unique:
            raise GraphError(f"root {root!r} is also listed as a seed")
        _check_seeds(unique, deps)
        if len(unique) < len(seeds):
            notes.append(f"{len(seeds) - len(unique)} repeated seeds counted once")
        nodes.append(root)
        edges.extend((root, seed, 1.0 / len(unique)) for seed in unique)
        notes.append(f"root {root!r} splits its credit equally among {len(unique)} seeds")
    for dependent, targets in deps.items():
        if dependent == root:
            raise GraphError(f"root {root!r} is also a repository of the graph")
        share = dependency_share / len(targets)
        edges.extend((dependent, target, share) for target in targets)
    return LoadedGraph(Graph.from_edges(edges, nodes), "dependency-graph", tuple(notes))


class UnknownSeeds(GraphError):
    """Seeds that are not repositories of the graph; the message names them."""


def _check_seeds(seeds: Sequence[str], deps: dict[str, dict[str, None]]) -> None:
    """Refuse seeds that are not repositories of the graph, naming them (and the graph's
    closest spellings, which is what a typo needs)."""
    known = set(deps)
    for targets in deps.values():
        known.update(targets)
    unknown = [seed for seed in seeds if seed not in known]
    if not unknown:
        return
    shown = []
    for seed in unknown[:3]:
        close = difflib.get_close_matches(seed, known, n=1, cutoff=0.8)
        shown.append(f"{seed!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
    noun = "seed is" if len(unknown) == 1 else f"{len(unknown)} seeds are"
    raise UnknownSeeds(
        f"{noun} not in the graph: {', '.join(shown)}{more}; a seed must be a repository "
        "the graph names, spelled as it spells it"
    )


def read_seeds(path: str | Path) -> list[str]:
    """``seedRepos.json`` (a JSON list of repository names), or a text file, one a line.

    A ``.json`` file must hold a JSON list of non-empty strings. Any other file is read
    one name a line (blank lines skipped); a line holding a comma or a tab is refused, so
    a CSV (a dependency graph given as ``--seeds`` by mistake) is not read as names.
    """
    path = Path(path)
    text = _read_text(path)
    if path.suffix.lower() in (".csv", ".tsv"):
        raise GraphError(
            f"{path}: seeds are a JSON list (seedRepos.json) or a text file with one name a "
            "line, not a CSV"
        )
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise GraphError(f"{path}: not valid JSON: {exc}") from None
        if not isinstance(data, list):
            raise GraphError(f"{path}: expected a JSON list of repository names")
        for k, item in enumerate(data):
            if not isinstance(item, str) or not item.strip():
                raise GraphError(f"{path}: item {k} is not a non-empty string: {item!r}")
        seeds = [item.strip() for item in data]
    else:
        seeds = []
        for number, line in enumerate(text.splitlines(), 1):
            if "," in line or "\t" in line:
                raise GraphError(
                    f"{path}: line {number} holds a comma or a tab: seeds are one repository "
                    "name a line (is this a CSV?)"
                )
            if line.strip():
                seeds.append(line.strip())
    if not seeds:
        raise GraphError(f"{path}: no seeds")
    return seeds


def _dependency_pairs(
    path: Path, header: list[str], rows: _Rows
) -> tuple[list[tuple[str, str]], int]:
    """``(dependent, dependency)`` pairs of a v1 or v2 file, and the rows skipped."""
    pairs: list[tuple[str, str]] = []
    skipped = 0
    v2 = all(c in header for c in V2_COLUMNS)
    if not v2:
        _require(path, header, V1_COLUMNS, "the dependency-graph v1 form")
    for row_no, line, row in rows:
        where = f"{path}: row {row_no} (line {line})"
        if v2:
            seed = _value(row, "seed_repo", where)
            dep = (row.get("dependency_repo") or "").strip()
        else:
            owner = _value(row, "seed_repo_owner", where)
            name = _value(row, "seed_repo_name", where)
            seed = f"{GITHUB}{owner}/{name}"
            dep_owner = (row.get("package_repo_owner") or "").strip()
            dep_name = (row.get("package_repo_name") or "").strip()
            dep = f"{GITHUB}{dep_owner}/{dep_name}" if dep_owner and dep_name else ""
        if not dep:  # a package with no known repository
            skipped += 1
            continue
        pairs.append((seed, dep))
    return pairs, skipped


def _json_pairs(path: Path) -> list[tuple[str, str]]:
    try:
        data = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise GraphError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise GraphError(f"{path}: expected an object {{seed_repo: [dependency_repo, ...]}}")
    pairs: list[tuple[str, str]] = []
    for seed, deps in data.items():
        if not isinstance(deps, list):
            raise GraphError(f"{path}: {seed!r} maps to {type(deps).__name__}, not a list")
        for k, dep in enumerate(deps):
            if not isinstance(dep, str) or not dep.strip():
                raise GraphError(f"{path}: {seed!r} item {k} is not a repository name: {dep!r}")
            pairs.append((seed, dep.strip()))
    return pairs


# -- any file --------------------------------------------------------------------------
def read_graph(
    path: str | Path,
    *,
    form: Form = "auto",
    dependency_share: float = DEFAULT_DEPENDENCY_SHARE,
    seeds: Sequence[str] = (),
    root: str | None = None,
) -> LoadedGraph:
    """Read any of the forms above; ``form="auto"`` decides by extension and header.

    ``dependency_share``, ``seeds`` and ``root`` apply to the unweighted forms only (a
    weighted file with ``seeds`` is an error, since its weights already say everything).
    """
    path = Path(path)
    if form not in ("auto", "weighted", "dependency-graph"):
        raise GraphError(f"unknown graph form {form!r}: auto, weighted or dependency-graph")
    if path.suffix.lower() == ".json":
        if form == "weighted":
            raise GraphError(f"{path}: a JSON file is not in the weighted CSV form")
        loaded = weigh_dependencies(
            _json_pairs(path), dependency_share=dependency_share, seeds=seeds, root=root
        )
        return loaded
    header, rows = _open_csv(path)
    weighted = form == "weighted" or (form == "auto" and any(c in header for c in WEIGHTED_COLUMNS))
    if weighted:
        if seeds:
            raise GraphError(f"{path}: seeds apply only to unweighted dependency lists")
        return LoadedGraph(_weighted(path, header, rows), "weighted")
    if form == "auto" and not any(c.startswith("seed_repo") for c in header):
        raise GraphError(
            f"{path}: unknown header {header!r}: expected the columns "
            f"{', '.join(WEIGHTED_COLUMNS)} (weighted), {', '.join(V2_COLUMNS)} "
            f"(dependency graph v2) or {', '.join(V1_COLUMNS)} (v1)"
        )
    pairs, skipped = _dependency_pairs(path, header, rows)
    loaded = weigh_dependencies(pairs, dependency_share=dependency_share, seeds=seeds, root=root)
    if skipped:
        note = (
            f"{skipped} row{'s' if skipped > 1 else ''} naming no repository "
            "(unmapped packages) skipped"
        )
        loaded = LoadedGraph(loaded.graph, loaded.form, (*loaded.notes, note))
    return loaded


# -- CSV plumbing ----------------------------------------------------------------------
_Rows = Iterator[tuple[int, int, dict[str, str | None]]]


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise GraphError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise GraphError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _open_csv(path: Path) -> tuple[list[str], _Rows]:
    """The normalised header (stripped, lower case) and an iterator of
    ``(row number, line number, {column: value})`` over the non-blank data rows."""
    lines = _read_text(path).splitlines()
    reader = csv.reader(lines)
    try:
        raw = next(reader)
    except StopIteration:
        raise GraphError(f"{path}: empty file, expected a header row") from None
    except csv.Error as exc:
        raise GraphError(f"{path}: line 1: {exc}") from None
    header = [c.strip().lower() for c in raw]

    def rows() -> _Rows:
        row_no = 0
        try:
            for values in reader:
                if not any(v.strip() for v in values):
                    continue
                row_no += 1
                row: dict[str, str | None] = dict.fromkeys(header)
                for column, value in zip(header, values, strict=False):
                    row[column] = value
                yield row_no, reader.line_num, row
        except csv.Error as exc:
            raise GraphError(f"{path}: line {reader.line_num}: {exc}") from None

    return header, rows()


def _require(path: Path, header: list[str], columns: Sequence[str], what: str) -> None:
    for column in columns:
        if column not in header:
            raise GraphError(
                f"{path}: missing column {column!r} for {what} "
                f"(need {', '.join(columns)}; header has {', '.join(header) or 'nothing'})"
            )


def _value(row: dict[str, str | None], column: str, where: str) -> str:
    value = (row.get(column) or "").strip()
    if not value:
        raise GraphError(f"{where}: missing value for {column!r}")
    return value
