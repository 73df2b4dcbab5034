"""A tour of the commitment device, in a few seconds: ``make demo`` or ``accord demo``.

Genesis with assets, a Vault and an Escrow deployed, users sending transactions under an
ordering rule and a mempool visibility, a slow user, a builder that inserts its own
transaction, a bundle that lands and one that fails, a revert, escrowed assets, and
the run persisted to ``runs/tour.db`` and replayed to the same state hashes.

The steps live in :func:`accord.lab.tour.run_tour` (read it top to bottom); try::

    python examples/device_tour.py --ordering batch --mempool public
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from accord.lab.tour import TourOutError, run_tour


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ordering", choices=["fcfs", "priority", "random", "batch"])
    parser.add_argument("--mempool", choices=["public", "private", "sealed"])
    parser.add_argument("--out", default="runs/tour.db", help="where to write the event log")
    parser.add_argument("--force", action="store_true", help="overwrite --out, whatever it is")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.out == "runs/tour.db":
        Path("runs").mkdir(exist_ok=True)
    try:
        result = run_tour(
            args.out,
            ordering=args.ordering or "priority",
            mempool=args.mempool or "sealed",
            seed=args.seed,
            force=args.force,
        )
    except TourOutError as exc:
        print(f"error: --out {exc}", file=sys.stderr)
        return 1
    return 0 if result.matches else 1


if __name__ == "__main__":
    sys.exit(main())
