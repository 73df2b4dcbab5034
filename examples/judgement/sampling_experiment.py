"""Random against active pair sampling, on planted rounds (seeded, deterministic).

Each round: 500 items with true log-credits ``t ~ N(0, 1)``; 10 lists; a jury budget of
50 pairs with noise sd 0.5. Lists are either truth plus i.i.d. noise (sd uniform in
[0.1, 2]) or accurate (sd 0.1) with *blind spots* (a fraction in [0, 0.3] of the items
off by N(0, 3²)). The jury sees 50 random pairs, or the 50 pairs where the lists
disagree most (:func:`~accord.mechanisms.judgement.sampling.active_pairs`); the fit's
pooled list is scored on 20,000 fresh random pairs against the *true* ratios (mean
squared log error). Run: ``python examples/judgement/sampling_experiment.py``.
"""

from __future__ import annotations

import numpy as np

from accord.mechanisms.judgement.fitting import fit_geometric
from accord.mechanisms.judgement.sampling import active_pairs, random_pairs

N, K, BUDGET, ROUNDS = 500, 10, 50, 40
ITEMS = tuple(("p", f"r{i}") for i in range(N))


def lists(kind: str, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if kind == "iid":
        sigma = rng.uniform(0.1, 2.0, size=K)
        return np.asarray(t[:, None] + sigma * rng.normal(size=(N, K)))
    frac = rng.uniform(0.0, 0.3, size=K)
    spots = (rng.random((N, K)) < frac) * rng.normal(scale=3.0, size=(N, K))
    return np.asarray(t[:, None] + 0.1 * rng.normal(size=(N, K)) + spots)


def experiment(kind: str) -> dict[str, float]:
    """Mean held-out error of the pooled list per strategy, and how often active wins."""
    errors: dict[str, list[float]] = {"random": [], "active": []}
    for seed in range(ROUNDS):
        rng = np.random.default_rng(seed)
        t = rng.normal(size=N)
        logs = lists(kind, t, rng)
        ta, tb = random_pairs(ITEMS, 20_000, rng)
        for mode, err in errors.items():
            if mode == "random":
                a, b = random_pairs(ITEMS, BUDGET, rng)
            else:
                a, b = active_pairs(ITEMS, logs, BUDGET, rng)
            c = t[b] - t[a] + 0.5 * rng.normal(size=BUDGET)
            pooled = logs @ fit_geometric(logs[b] - logs[a], c).weights
            r = pooled[tb] - pooled[ta] - (t[tb] - t[ta])
            err.append(float(r @ r) / len(r))
    wins = np.mean(np.array(errors["active"]) < np.array(errors["random"]))
    return {
        "random": float(np.mean(errors["random"])),
        "active": float(np.mean(errors["active"])),
        "active_wins": float(wins),
    }


if __name__ == "__main__":
    for kind in ("iid", "blind"):
        r = experiment(kind)
        print(
            f"{kind:5s}: random {r['random']:.4f}, active {r['active']:.4f}, "
            f"active better in {r['active_wins']:.0%} of {ROUNDS} rounds"
        )
