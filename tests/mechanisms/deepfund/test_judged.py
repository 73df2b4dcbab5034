"""The combined flow on the real level-1 jury: the fitted pool of the example submissions
fills ethereum's edges, and credit propagates through the shipped dependency graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from accord.mechanisms.deepfund.io import read_weighted_csv
from accord.mechanisms.deepfund.judged import (
    judged_propagation,
    judged_weights,
    with_judged_edges,
)
from accord.mechanisms.judgement.data import (
    JudgementInputError,
    Submission,
    read_jury,
    read_submission,
    shares,
)

ROOT = Path(__file__).resolve().parents[3]
JUDGEMENT = ROOT / "examples" / "judgement"
GRAPH = ROOT / "examples" / "deepfund" / "graph.csv"
GH = "https://github.com/"
NAMES = ("careful", "sloppy", "equal", "contrarian")


@pytest.fixture(scope="module")
def jury_and_lists() -> tuple[object, list[Submission]]:
    jury = read_jury(JUDGEMENT / "jury_pairs_l1.csv")
    return jury, [read_submission(JUDGEMENT / f"{n}.csv", n) for n in NAMES]


def test_the_pool_is_the_fitted_geometric_mean(
    jury_and_lists: tuple[object, list[Submission]],
) -> None:
    jury, subs = jury_and_lists
    judged = judged_weights(jury, subs)  # type: ignore[arg-type]
    lam = np.array([judged.fit.weights[n] for n in NAMES])
    assert lam.min() >= 0 and lam.sum() == pytest.approx(1.0, abs=1e-12)
    items = sorted(subs[0].weights)
    assert len(items) == 45 and {p for p, _ in items} == {"ethereum"}
    logs = np.array([[np.log(shares(s.weights)[i]) for s in subs] for i in items])
    expected = np.exp(logs @ lam)
    expected /= expected.sum()
    got = np.array([judged.pooled[i] for i in items])
    assert np.abs(got - expected).max() <= 1e-14
    assert sum(w for _, _, w in judged.edges) == pytest.approx(1.0, abs=1e-12)
    assert judged.parents == ("ethereum",)


def test_credit_flows_through_the_judged_root(
    jury_and_lists: tuple[object, list[Submission]],
) -> None:
    jury, subs = jury_and_lists
    graph = read_weighted_csv(GRAPH)
    judged, result = judged_propagation(jury, subs, "ethereum", graph=graph)  # type: ignore[arg-type]
    x = {repo: v for (_, repo), v in judged.pooled.items()}
    c = result.credits()
    assert c["ethereum"] == 0.0
    # go-ethereum keeps 0.75 of what the pool gives it and passes 0.1 to uint256
    assert c[GH + "ethereum/go-ethereum"] == pytest.approx(
        0.75 * x[GH + "ethereum/go-ethereum"], abs=1e-12
    )
    assert c[GH + "holiman/uint256"] == pytest.approx(
        0.1 * x[GH + "ethereum/go-ethereum"], abs=1e-12
    )
    # c-kzg-4844 is reached from both clients (0.1 each) and passes 0.4 to blst
    kzg = 0.1 * (x[GH + "ethereum/go-ethereum"] + x[GH + "sigp/lighthouse"])
    assert c[GH + "ethereum/c-kzg-4844"] == pytest.approx(0.6 * kzg, abs=1e-12)
    assert c[GH + "supranational/blst"] == pytest.approx(0.4 * kzg, abs=1e-12)
    # solidity is not among the 45 level-1 repos: the judged root no longer reaches it
    assert GH + "ethereum/solidity" not in x and GH + "ethereum/solidity" not in c
    # a jury repo with no dependencies in the graph keeps all it gets
    assert c[GH + "wevm/viem"] == pytest.approx(x[GH + "wevm/viem"], abs=1e-12)
    assert sum(c.values()) == pytest.approx(1.0, abs=1e-12)
    # the graph's other edges are kept; only ethereum's were replaced
    merged = with_judged_edges(graph, judged)
    assert sum(1 for s, _, _ in merged.edges() if s == "ethereum") == 45
    assert merged.m == graph.m - 4 + 45


def test_one_submission_is_taken_as_it_is(jury_and_lists: tuple[object, list[Submission]]) -> None:
    jury, subs = jury_and_lists
    judged = judged_weights(jury, subs[:1], dependency_share={"ethereum": 0.8})  # type: ignore[arg-type]
    assert judged.fit.weights == {"careful": 1.0}
    own = shares(subs[0].weights)
    for item, v in judged.pooled.items():
        assert v == pytest.approx(own[item], rel=1e-12)
    assert sum(w for _, _, w in judged.edges) == pytest.approx(0.8, abs=1e-12)


def test_linear_pooling(jury_and_lists: tuple[object, list[Submission]]) -> None:
    jury, subs = jury_and_lists
    judged = judged_weights(jury, subs, pooling="linear")  # type: ignore[arg-type]
    lam = judged.fit.weights
    for item, v in judged.pooled.items():
        mix = sum(lam[s.name] * shares(s.weights)[item] for s in subs)
        assert v == pytest.approx(mix, abs=1e-14)


def test_a_gap_in_a_submission_is_named(jury_and_lists: tuple[object, list[Submission]]) -> None:
    jury, subs = jury_and_lists
    extra = Submission("gappy", {**subs[0].weights, ("ethereum", GH + "x/y"): 0.01})
    with pytest.raises(
        JudgementInputError, match=r"'careful' has no weight for repo 'https://github\.com/x/y'"
    ):
        judged_weights(jury, [subs[0], extra])  # type: ignore[arg-type]
