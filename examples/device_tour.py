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

from accord.lab.tour import run_tour


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ordering", choices=["fcfs", "priority", "random", "batch"])
    parser.add_argument("--mempool", choices=["public", "private", "sealed"])
    parser.add_argument("--out", default="runs/tour.db", help="where to write the event log")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    result = run_tour(
        args.out,
        ordering=args.ordering or "priority",
        mempool=args.mempool or "sealed",
        seed=args.seed,
    )
    return 0 if result.matches else 1


if __name__ == "__main__":
    sys.exit(main())
