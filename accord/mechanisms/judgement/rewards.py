"""Rewards of distilled human judgement: the fitted weights times the pool, exactly.

Each submission's reward is its weight times the pool (Buterin, "AI as the engine,
humans as the steering wheel": the fit's weights pay the players). Money is an int, so
the weights become exact rationals and the pool is divided by the **largest remainder**
method (Hamilton's method): every part gets ``⌊pool × share⌋`` and the units left over go,
one each, to the largest fractional remainders, ties to the smaller key. The parts sum
to the pool exactly.

**Copies gain nothing.** The pool is divided among *owners* first, then within each
owner among its submissions. With geometric pooling, ``k`` copies of a list are one
column of the fit (:mod:`accord.mechanisms.judgement.fitting`): the solver sees the same
problem with or without them and the copies split the one weight their list earns. An
owner's rational weight, and so its reward, is then exactly what one copy would get.
A *near*-copy ``log x' = log x + ε δ`` is a genuinely different list: the owner's copies
pool to ``Σ_{j∈owner} w_j log x_j``, a list the owner could have submitted alone, and
the fit would give that one list the same total weight (a split of one list into
near-copies earns what their geometric mix earns, no more; ``docs/judgement.md``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from accord.mechanisms.judgement.fitting import Fit


def largest_remainder(pool: int, shares: Sequence[Fraction], keys: Sequence[str]) -> list[int]:
    """Split ``pool`` by exact ``shares`` (non-negative, summing to 1): floors, then one
    unit each to the largest remainders, ties to the smaller key. ``sum == pool``."""
    if type(pool) is not int or pool < 0:
        raise ValueError(f"pool must be a non-negative int, got {pool!r}")
    if len(shares) != len(keys):
        raise ValueError("need one key per share")
    if any(s < 0 for s in shares) or sum(shares) != 1:
        raise ValueError(f"shares must be non-negative and sum to 1, got sum {sum(shares)}")
    quotas = [pool * s for s in shares]
    parts = [q.numerator // q.denominator for q in quotas]
    left = pool - sum(parts)
    order = sorted(range(len(shares)), key=lambda i: (-(quotas[i] - parts[i]), keys[i]))
    for i in order[:left]:
        parts[i] += 1
    return parts


def exact_weights(result: Fit) -> list[Fraction]:
    """The fit's weights as exact rationals summing to 1: each distinct list's float
    weight, normalised exactly, split equally among its copies."""
    group = [Fraction(float(g)) for g in result.group_weights]
    total = sum(group, Fraction(0))
    w = [Fraction(0)] * len(result.weights)
    for members, gw in zip(result.groups, group, strict=True):
        for j in members:
            w[j] = gw / total / len(members)
    return w


def rewards(
    pool: int, names: Sequence[str], result: Fit, owners: Mapping[str, str] | None = None
) -> dict[str, int]:
    """Each submission's reward in base units; ``owners[name]`` (default: itself) says
    who owns it. Owners are paid by largest remainder, then each owner's amount is split
    among its submissions the same way. Conservation: the rewards sum to ``pool``."""
    if len(names) != len(result.weights):
        raise ValueError(f"{len(names)} names for {len(result.weights)} weights")
    owner_of = {n: (owners or {}).get(n, n) for n in names}
    weights = dict(zip(names, exact_weights(result), strict=True))
    by_owner: dict[str, list[str]] = {}
    for n in names:
        by_owner.setdefault(owner_of[n], []).append(n)
    owner_keys = sorted(by_owner)
    owner_w = [sum((weights[n] for n in by_owner[o]), Fraction(0)) for o in owner_keys]
    owner_pay = largest_remainder(pool, owner_w, owner_keys)
    out: dict[str, int] = {}
    for o, wo, pay in zip(owner_keys, owner_w, owner_pay, strict=True):
        subs = by_owner[o]
        # an owner of weight 0 is paid 0 (a zero remainder never wins a unit)
        inner = [weights[n] / wo for n in subs] if wo else [Fraction(1, len(subs))] * len(subs)
        for n, part in zip(subs, largest_remainder(pay, inner, subs), strict=True):
            out[n] = part
    return {n: out[n] for n in names}
