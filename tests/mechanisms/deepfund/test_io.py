"""Reading graph files: the weighted CSV (errors name the row) and the dependency-graph
repository's unweighted seed/dependency forms (v2 CSV, v1 CSV, JSON) with the equal split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.mechanisms.deepfund import propagate
from accord.mechanisms.deepfund.graph import GraphError
from accord.mechanisms.deepfund.io import (
    UnknownSeeds,
    read_graph,
    read_seeds,
    read_weighted_csv,
    weigh_dependencies,
)

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "deepfund"
GH = "https://github.com/"


def write(tmp_path: Path, text: str, name: str = "edges.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_weighted_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "Source , TARGET,weight,comment\na,b,0.25,x\n\na,c,0.5,\nb,c,1e-1,\n")
    g = read_weighted_csv(path)
    assert g.edges() == [("a", "b", 0.25), ("a", "c", 0.5), ("b", "c", 0.1)]
    loaded = read_graph(path)
    assert loaded.form == "weighted" and loaded.notes == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("source,target\na,b\n", r"missing column 'weight' for the weighted form"),
        (
            "source,target,weight\na,b,0.1\nb,c,lots\n",
            r"row 2 \(line 3\): weight 'lots' is not a number",
        ),
        (
            "source,target,weight\na,b,-0.1\n",
            r"row 1 \(line 2\): negative weight -0\.1 for 'a' → 'b'",
        ),
        ("source,target,weight\na,b,0.1\nc,c,0.2\n", r"row 2 \(line 3\): self-loop 'c' → itself"),
        (
            "source,target,weight\na,b,0.1\na,b,0.2\n",
            r"row 2 \(line 3\): duplicate edge 'a' → 'b' \(first at row 1\)",
        ),
        ("source,target,weight\na,,0.1\n", r"row 1 \(line 2\): missing value for 'target'"),
        ("source,target,weight\na,b\n", r"row 1 \(line 2\): missing value for 'weight'"),
        ("source,target,weight\na,b,inf\n", r"row 1 \(line 2\): weight 'inf' is not finite"),
        (
            "source,target,weight\na,b,0.6\na,c,0.6\n",
            r"source 'a': outgoing weights sum to 1\.2 > 1",
        ),
        ("", r"empty file"),
    ],
)
def test_weighted_csv_errors_name_the_row(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(GraphError, match=message) as info:
        read_graph(path, form="weighted")
    assert str(path) in str(info.value)


def test_unknown_header_lists_the_forms(tmp_path: Path) -> None:
    path = write(tmp_path, "from,to\na,b\n")
    with pytest.raises(GraphError, match="expected the columns source, target, weight"):
        read_graph(path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(GraphError, match=r"cannot read .*nope\.csv"):
        read_graph(tmp_path / "nope.csv")


def test_dependency_graph_v2_shipped_example_equal_split() -> None:
    loaded = read_graph(EXAMPLES / "dependency-graph-v2.csv", dependency_share=0.6)
    g = loaded.graph
    assert loaded.form == "dependency-graph"
    weights = {(s, t): w for s, t, w in g.edges()}
    geth, lighthouse, vyper = (
        GH + "ethereum/go-ethereum",
        GH + "sigp/lighthouse",
        GH + "vyperlang/vyper",
    )
    # go-ethereum: three distinct dependency repos (client_golang's two packages count once)
    assert weights[(geth, GH + "prometheus/client_golang")] == pytest.approx(0.2)
    assert sum(w for (s, _), w in weights.items() if s == geth) == pytest.approx(0.6)
    # lighthouse's own package is a self-reference: dropped, three dependencies remain
    assert (lighthouse, lighthouse) not in weights
    assert weights[(lighthouse, GH + "sigp/discv5")] == pytest.approx(0.2)
    # vyper: its lark row names no repository and is skipped
    assert weights[(vyper, GH + "pypa/packaging")] == pytest.approx(0.3)
    assert "1 self-reference (a repository's own packages) dropped" in loaded.notes
    assert "1 row naming no repository (unmapped packages) skipped" in loaded.notes
    assert loaded.notes[0].startswith("unweighted edges: each repository keeps 0.4")


def test_seeds_hang_from_a_root_that_splits_equally() -> None:
    seeds = read_seeds(EXAMPLES / "seedRepos.json")
    assert len(seeds) == 3
    loaded = read_graph(EXAMPLES / "dependency-graph-v2.csv", seeds=seeds, root="ethereum")
    c = propagate(loaded.graph, "ethereum").credits()
    assert c["ethereum"] == 0.0
    assert c[GH + "sigp/lighthouse"] == pytest.approx(1 / 3 * 0.5)
    # c-kzg-4844 is a dependency of both go-ethereum and lighthouse (3 deps each)
    assert c[GH + "ethereum/c-kzg-4844"] == pytest.approx(2 * (1 / 3) * 0.5 / 3)
    assert sum(c.values()) == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(GraphError, match="seeds need a root"):
        read_graph(EXAMPLES / "dependency-graph-v2.csv", seeds=seeds)
    with pytest.raises(GraphError, match="seeds apply only to unweighted"):
        read_graph(EXAMPLES / "graph.csv", seeds=seeds, root="x")


def test_dependency_graph_v1_columns(tmp_path: Path) -> None:
    text = (
        ",seed_repo_owner,seed_repo_name,package_name,package_repo_owner,package_repo_name,package_source\n"
        "0,a16z,helios,ring,briansmith,ring,CARGO\n"
        "1,a16z,helios,tokio-macros,tokio-rs,tokio,CARGO\n"
        "2,a16z,helios,tokio,tokio-rs,tokio,CARGO\n"
        "3,ethereum,remix-project,tsort,,,NPM\n"
        "4,ethereum,remix-project,@remix-project/remix-simulator,ethereum,remix-project,NPM\n"
    )
    loaded = read_graph(write(tmp_path, text), dependency_share=0.5)
    assert loaded.graph.edges() == [
        (GH + "a16z/helios", GH + "briansmith/ring", 0.25),
        (GH + "a16z/helios", GH + "tokio-rs/tokio", 0.25),
    ]
    assert any("1 row naming no repository" in n for n in loaded.notes)
    assert any("1 self-reference" in n for n in loaded.notes)
    bad = write(tmp_path, ",seed_repo_owner,seed_repo_name,package_repo_owner\n0,a,b,c\n", "v1.csv")
    with pytest.raises(GraphError, match="missing column 'package_repo_name'"):
        read_graph(bad)


def test_seed_dependencies_json(tmp_path: Path) -> None:
    data = {GH + "a/x": [GH + "b/y", GH + "c/z", GH + "a/x"], GH + "b/y": [GH + "c/z"]}
    path = write(tmp_path, json.dumps(data), "seedReposWithDependencies.json")
    g = read_graph(path, dependency_share=0.8).graph
    assert g.edges() == [
        (GH + "a/x", GH + "b/y", 0.4),
        (GH + "a/x", GH + "c/z", 0.4),
        (GH + "b/y", GH + "c/z", 0.8),
    ]
    bad = write(tmp_path, json.dumps({"a": "b"}), "bad.json")
    with pytest.raises(GraphError, match="'a' maps to str, not a list"):
        read_graph(bad)


def test_dependency_share_is_checked(tmp_path: Path) -> None:
    with pytest.raises(GraphError, match=r"dependency_share must be a number in \[0, 1\]"):
        read_graph(EXAMPLES / "dependency-graph-v2.csv", dependency_share=1.5)


def test_read_seeds_text_and_errors(tmp_path: Path) -> None:
    assert read_seeds(write(tmp_path, "a\n\n b \n", "seeds.txt")) == ["a", "b"]
    with pytest.raises(GraphError, match="item 1 is not a non-empty string"):
        read_seeds(write(tmp_path, '["a", 3]', "seeds.json"))
    with pytest.raises(GraphError, match="no seeds"):
        read_seeds(write(tmp_path, "[]", "empty.json"))


def test_unknown_seeds_are_refused_naming_them() -> None:
    """A misspelt seed used to become a leaf keeping its whole share (issue 12)."""
    good = read_seeds(EXAMPLES / "seedRepos.json")
    typo = "https://github.com/ethereum/go-etherum"
    with pytest.raises(UnknownSeeds) as caught:
        read_graph(EXAMPLES / "dependency-graph-v2.csv", seeds=[*good, typo], root="ethereum")
    message = str(caught.value)
    assert message.startswith(f"seed is not in the graph: {typo!r}")
    assert "did you mean 'https://github.com/ethereum/go-ethereum'?" in message
    many = [f"nowhere-{k}" for k in range(5)]
    with pytest.raises(
        UnknownSeeds, match=r"5 seeds are not in the graph: 'nowhere-0', .* and 2 more"
    ):
        read_graph(EXAMPLES / "dependency-graph-v2.csv", seeds=many, root="ethereum")


def test_a_dependency_is_a_known_seed_and_repeats_count_once() -> None:
    dep = "https://github.com/holiman/uint256"  # only ever a dependency in the file
    seeds = [dep, dep, "https://github.com/sigp/lighthouse"]
    loaded = read_graph(EXAMPLES / "dependency-graph-v2.csv", seeds=seeds, root="ethereum")
    assert "1 repeated seeds counted once" in loaded.notes
    assert propagate(loaded.graph, "ethereum").credits()[dep] == pytest.approx(0.5)  # 1 of 2


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("graph.csv", "source,target,weight\na,b,1\n", "not a CSV"),
        ("seeds.txt", "seed_repo,dependency_repo\nx,y\n", "line 1 holds a comma or a tab"),
        ("seeds.txt", "a\nb\tc\n", "line 2 holds a comma or a tab"),
        ("seeds.json", '{"a": 1}', "expected a JSON list"),
    ],
)
def test_seed_files_are_names_not_csv(tmp_path: Path, name: str, text: str, message: str) -> None:
    with pytest.raises(GraphError, match=message):
        read_seeds(write(tmp_path, text, name))


@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=6))
def test_any_seed_list_is_refused_or_only_pays_graph_nodes(seeds: list[str]) -> None:
    """Whatever the seeds, either an error naming an unknown one, or every node paid is
    a node of the file (the root aside)."""
    pairs = [("r1", "d1"), ("r1", "d2"), ("r2", "d2")]
    try:
        loaded = weigh_dependencies(pairs, seeds=seeds, root="root")
    except UnknownSeeds as exc:
        assert any(repr(s) in str(exc) for s in seeds if s not in {"r1", "r2", "d1", "d2"})
    except GraphError as exc:
        assert "root 'root' is also listed as a seed" in str(exc)
    else:
        assert set(seeds) <= {"r1", "r2", "d1", "d2"}
        assert set(loaded.graph.nodes) == {"root", "r1", "r2", "d1", "d2"}
