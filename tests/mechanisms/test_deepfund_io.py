"""Reading graph files: the weighted CSV (errors name the row) and the dependency-graph
repository's unweighted seed/dependency forms (v2 CSV, v1 CSV, JSON) with the equal split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accord.mechanisms.deepfund import propagate
from accord.mechanisms.deepfund_graph import GraphError
from accord.mechanisms.deepfund_io import read_graph, read_seeds, read_weighted_csv

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "deepfund"
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
