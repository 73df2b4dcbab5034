"""The figure and tables of docs/congestion.md: how η and the demand move the price of anarchy.

    python examples/congestion_poa.py                 # the figure, docs/figures/congestion-poa.png
    python examples/congestion_poa.py --json          # last line: every row as one JSON object
    python examples/congestion_poa.py --no-figure --points 5

Three games from :mod:`accord.mechanisms.congestion.examples`: the CFMM Pigou network with
Kulkarni, Diamandis & Chitra's parameters (a pool of value 1 a side, no fee, against a
link losing ½), the CFMM Braess network (pools for the variable links and a deep pool for
the shortcut, links losing ½) and Pigou's (``x`` against 1). For each, the price of
anarchy's certified bracket over η ∈ [0, 0.6] (the sandwich loss on every CFMM edge) and
over the demand (scaled 0.1×…4×, at η = 0 and η = 0.2); the CFMM Pigou's closed form is
drawn as a line under its computed points. Takes a few seconds.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from accord.mechanisms.congestion import (
    braess,
    cfmm_braess,
    cfmm_pigou,
    cfmm_pigou_closed_form,
    pigou,
    sweep,
)

FIGURE = Path(__file__).resolve().parents[1] / "docs" / "figures" / "congestion-poa.png"


def rows(points: int) -> dict[str, list[dict[str, Any]]]:
    """Every sweep of the figure, by name."""
    etas = [round(float(e), 6) for e in np.linspace(0.0, 0.6, points)]
    demands = sorted({1.0, *(round(float(d), 6) for d in np.geomspace(0.1, 4.0, points))})
    out = {
        "cfmm_pigou_eta": sweep(cfmm_pigou(), etas=etas),
        "cfmm_braess_eta": sweep(cfmm_braess(), etas=etas),
        "pigou_demand": sweep(pigou(), demands=demands),
        "braess_demand": sweep(braess(), demands=demands),
        "cfmm_pigou_demand": sweep(cfmm_pigou(), demands=demands),
        "cfmm_pigou_demand_eta0.2": sweep(cfmm_pigou(eta=0.2), demands=demands),
        "cfmm_braess_demand": sweep(cfmm_braess(), demands=demands),
        "cfmm_braess_demand_eta0.2": sweep(cfmm_braess(eta=0.2), demands=demands),
    }
    for r in out["cfmm_pigou_eta"]:
        r["poa_closed_form"] = cfmm_pigou_closed_form(eta=r["eta"]).poa
    for name in ("cfmm_pigou_demand", "cfmm_pigou_demand_eta0.2"):
        eta = 0.2 if name.endswith("0.2") else 0.0
        for r in out[name]:
            r["poa_closed_form"] = cfmm_pigou_closed_form(eta=eta, demand=r["demand"]).poa
    return out


def figure(data: dict[str, list[dict[str, Any]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    styles = {
        "cfmm_pigou": ("C0", "o"),
        "cfmm_braess": ("C1", "s"),
        "pigou": ("C2", "^"),
        "braess": ("C3", "v"),
    }

    def draw(ax: Any, name: str, axis: str, label: str, dashed: bool = False) -> None:
        series = data[name]
        x = [r[axis] for r in series]
        color, marker = styles[name.rsplit("_", 1)[0].removesuffix("_demand")]
        low = np.array([r["poa_low"] for r in series])
        high = np.array([r["poa_high"] for r in series])
        mid = np.array([r["poa"] for r in series])
        ax.errorbar(
            x,
            mid,
            yerr=[np.maximum(mid - low, 0.0), np.maximum(high - mid, 0.0)],
            color=color,
            marker=marker,
            ms=4,
            ls="--" if dashed else "-",
            lw=1,
            label=label,
        )

    draw(left, "cfmm_pigou_eta", "eta", "CFMM Pigou (Kulkarni et al.)")
    eta_fine = np.linspace(0.0, 0.6, 121)
    left.plot(
        eta_fine,
        [cfmm_pigou_closed_form(eta=float(e)).poa for e in eta_fine],
        color="k",
        lw=0.8,
        label="closed form 1/(s(2−s))",
    )
    draw(left, "cfmm_braess_eta", "eta", "CFMM Braess")
    left.axhline(4 / 3, color="grey", lw=0.6, ls=":")
    left.set_xlabel("sandwich loss η on every CFMM edge")
    left.set_ylabel("price of anarchy (certified bracket)")
    left.set_title("PoA vs η (demand 1)")
    left.legend(fontsize=8)
    draw(right, "pigou_demand", "demand", "Pigou (x vs 1)")
    draw(right, "braess_demand", "demand", "Braess")
    draw(right, "cfmm_pigou_demand", "demand", "CFMM Pigou, η = 0")
    draw(right, "cfmm_pigou_demand_eta0.2", "demand", "CFMM Pigou, η = 0.2", dashed=True)
    draw(right, "cfmm_braess_demand", "demand", "CFMM Braess, η = 0")
    draw(right, "cfmm_braess_demand_eta0.2", "demand", "CFMM Braess, η = 0.2", dashed=True)
    right.axhline(4 / 3, color="grey", lw=0.6, ls=":")
    right.set_xscale("log")
    right.set_xlabel("total demand")
    right.set_title("PoA vs demand")
    right.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=13, help="values per sweep")
    parser.add_argument("--out", type=Path, default=FIGURE, help="where the figure goes")
    parser.add_argument("--no-figure", action="store_true", help="tables only")
    parser.add_argument("--json", action="store_true", help="last line: the rows as JSON")
    args = parser.parse_args(argv)
    if args.points < 2:
        parser.error("--points must be at least 2")
    data = rows(args.points)
    for name in ("cfmm_pigou_eta", "cfmm_braess_eta"):
        print(f"{name}:")
        print("| η | PoA low | PoA high | x_eq (first edge) | x_opt (first edge) |")
        print("|---|---|---|---|---|")
        first = next(k for k in data[name][0] if k.startswith("eq_"))[3:]
        for r in data[name]:
            print(
                f"| {r['eta']:.2f} | {r['poa_low']:.6f} | {r['poa_high']:.6f} "
                f"| {r['eq_' + first]:.4f} | {r['opt_' + first]:.4f} |"
            )
    if not args.no_figure:
        figure(data, args.out)
        print(f"figure: {args.out}")
    if args.json:
        clean = {
            k: [
                {f: (None if isinstance(v, float) and math.isinf(v) else v) for f, v in r.items()}
                for r in rs
            ]
            for k, rs in data.items()
        }
        print(json.dumps(clean, sort_keys=True))
    return data


if __name__ == "__main__":
    main()
