"""Generate the example submissions for `accord judge`, then fit them to the real jury.

The jury is the real deep-funding level-1 data (593 comparisons by 37 jurors about 45
repos, Dec 2024 to Sep 2025; ``jury_pairs_l1.csv`` here is an unchanged copy of the
train and private sets merged, from davidgasquez/deepfunding-trial-data-analysis,
``data/pairs.csv``). The four
lists are made deterministically (numpy Generator, seed 2025) from jury-only credits
fitted to the *earlier half* of the comparisons (by time), so the fit on the whole jury
is partly out of sample:

* ``careful.csv``: those credits times lognormal noise, σ = 0.3;
* ``sloppy.csv``:  the same credits, σ = 1.5;
* ``equal.csv``:   every repo the same weight;
* ``contrarian.csv``: the credits inverted (1/x).

Run ``python examples/judgement/make_submissions.py`` to rewrite the CSVs next to this
file and print the fit, or pass ``--check`` to verify that the shipped CSVs are what
this script makes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from accord.mechanisms.judgement import fit, jury_credits
from accord.mechanisms.judgement.data import (
    Item,
    format_submission,
    parse_submission,
    read_jury,
)

HERE = Path(__file__).resolve().parent
JURY = HERE / "jury_pairs_l1.csv"  # a copy of the public level-1 data, unchanged
SEED = 2025


def generate() -> dict[str, str]:
    """``{file name: CSV text}`` of the four example submissions."""
    jury = read_jury(JURY)
    order = sorted(range(len(jury.samples)), key=lambda i: (jury.samples[i].timestamp, i))
    early = jury.subset(order[: len(order) // 2])
    items = jury.items()
    base = jury_credits(early)  # items the early half never saw get log-credit 0
    seen = dict(zip(base.items, base.log_credits.tolist(), strict=True))
    log_x = np.array([seen.get(item, 0.0) for item in items])
    rng = np.random.default_rng(SEED)
    lists: dict[str, np.ndarray] = {
        "careful": log_x + 0.3 * rng.normal(size=len(items)),
        "sloppy": log_x + 1.5 * rng.normal(size=len(items)),
        "equal": np.zeros(len(items)),
        "contrarian": -log_x,
    }
    out = {}
    for name, logs in lists.items():
        shares = np.exp(logs - logs.max())
        shares /= shares.sum()
        weights: dict[Item, float] = {
            item: float(round(s, 12)) for item, s in zip(items, shares, strict=True)
        }
        out[f"{name}.csv"] = format_submission(weights)
    return out


def main(argv: list[str]) -> int:
    files = generate()
    if "--check" in argv:
        stale = [n for n, text in files.items() if (HERE / n).read_text() != text]
        print("stale: " + ", ".join(stale) if stale else "examples are up to date")
        return 1 if stale else 0
    for name, text in files.items():
        (HERE / name).write_text(text)
    jury = read_jury(JURY)
    subs = [parse_submission(t, n.removesuffix(".csv")) for n, t in files.items()]
    result = fit(jury, subs)
    for name in result.names:
        print(f"{name:12s} weight {result.weights[name]:.4f}  cost alone {result.costs[name]:9.2f}")
    print(
        f"combined cost {result.combined_cost:.2f}; jury-only credits {jury_credits(jury).cost:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
