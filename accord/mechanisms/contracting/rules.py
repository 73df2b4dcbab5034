"""The transfer rules: each party's net transfer for one step, summing to exactly 0.

A rule maps the parties' observable integer features of one step to a net transfer per
party (positive: received). Every amount that is split among ``k`` parties is split by
:func:`split`: each gets ``amount // k`` and the first ``amount % k`` of them, in party
order, one unit more, so a split is exact and conserves the amount to the unit. The
rules (Haupt, Christoffersen, Damani & Hadfield-Menell, "Formal Contracts Mitigate
Social Dilemmas in Multi-Agent RL", 2024, §4's contract spaces; issue 14):

* ``defector_pays`` (``θ``): with defectors ``D`` (feature 1) and cooperators ``C``
  (feature 0), each defector pays ``θ`` and ``θ·|D|`` is split among ``C``; nothing
  moves if ``D`` or ``C`` is empty.
* ``over_threshold`` (``q``, ``p``): party ``i`` pays ``p·max(0, x_i − q)``, split among
  the other ``n − 1`` parties (in party order).
* ``per_unit_received`` (``θ``): party ``i`` receives ``θ·x_i``, paid by the other
  ``n − 1`` parties, split among them.
* ``unilateral`` (``q``, ``p``): as ``over_threshold`` for party 0 only.
"""

from __future__ import annotations

from collections.abc import Sequence

from accord.mechanisms.contracting.space import (
    DEFECTOR_PAYS,
    MAX_PARTIES,
    OVER_THRESHOLD,
    PER_UNIT_RECEIVED,
    UNILATERAL,
    ContractError,
    ContractSpace,
    Params,
)

__all__ = ["max_owed", "split", "transfers"]


def split(amount: int, k: int) -> tuple[int, ...]:
    """``amount`` split among ``k`` recipients: ``amount // k`` each and one unit more
    to the first ``amount % k``; sums to ``amount`` exactly."""
    if type(amount) is not int or amount < 0:
        raise ContractError(f"amount to split must be a non-negative int, got {amount!r}")
    if type(k) is not int or k < 1:
        raise ContractError(f"must split among at least 1 recipient, got {k!r}")
    base, extra = divmod(amount, k)
    return (base + 1,) * extra + (base,) * (k - extra)


def _spread(net: list[int], source: int, amount: int, sign: int) -> None:
    """Split ``amount`` over every party but ``source``, in party order, adding
    ``sign × share`` to each and ``−sign × amount`` to ``source``."""
    n = len(net)
    shares = split(amount, n - 1)
    k = 0
    for j in range(n):
        if j != source:
            net[j] += sign * shares[k]
            k += 1
    net[source] -= sign * amount


def transfers(
    space: ContractSpace,
    params: Sequence[int],
    features: Sequence[int],
    parties: int | None = None,
) -> tuple[int, ...]:
    """Each party's net transfer for one step (sums to 0).

    ``params`` and ``features`` are checked against ``space`` first (a
    :class:`ContractError` names the bad one); with ``parties``, ``features`` must have
    exactly that many entries. A contract needs at least two parties.
    """
    values = space.check_params(params)
    if parties is None:
        parties = len(features) if isinstance(features, (tuple, list)) else -1
    x = space.check_features(features, parties)
    if len(x) < 2:
        raise ContractError(f"a contract needs at least 2 parties, got {len(x)}")
    return net_of(space.rule, values, x)


def net_of(rule: str, values: Params, x: tuple[int, ...]) -> tuple[int, ...]:
    """:func:`transfers` without the checks: ``values`` and ``x`` already checked
    against the space whose ``rule`` this is (a settlement checks the parameters once,
    then each step's features)."""
    n = len(x)
    net = [0] * n
    if rule == DEFECTOR_PAYS:
        (theta,) = values
        defectors = [i for i in range(n) if x[i]]
        cooperators = [i for i in range(n) if not x[i]]
        if theta and defectors and cooperators:
            for i in defectors:
                net[i] = -theta
            shares = split(theta * len(defectors), len(cooperators))
            for i, share in zip(cooperators, shares, strict=True):
                net[i] = share
    elif rule in (OVER_THRESHOLD, UNILATERAL):
        threshold, rate = values
        payers = range(1) if rule == UNILATERAL else range(n)
        for i in payers:
            if rate and x[i] > threshold:
                _spread(net, i, rate * (x[i] - threshold), +1)
    elif rule == PER_UNIT_RECEIVED:
        (rate,) = values
        for i in range(n):
            if rate and x[i]:
                _spread(net, i, rate * x[i], -1)
    else:  # pragma: no cover - ContractSpace admits only the rules above
        raise ContractError(f"unknown rule {rule!r}")
    return tuple(net)


def max_owed(space: ContractSpace, params: Sequence[int], parties: int) -> tuple[int, ...]:
    """The most each party can owe in one step, over every feature profile: a deposit of
    ``max_owed × steps`` makes the contract fully credible (it can never run out).

    * ``defector_pays``: ``θ`` (a defector pays θ, whatever the others do);
    * ``over_threshold``: ``p·(feature_max − q)`` (0 if ``q ≥ feature_max``);
    * ``unilateral``: that for party 0, 0 for the others;
    * ``per_unit_received``: every other party cleans ``feature_max`` and ``i`` none;
      ``i`` pays each of them its share of ``θ·feature_max`` split among ``n − 1``
      payers, where it is payer number ``i − 1`` for the cleaners before it in party
      order and number ``i`` for those after it.
    """
    values = space.check_params(params)
    if type(parties) is not int or not 2 <= parties <= MAX_PARTIES:
        raise ContractError(f"parties must be an int in [2, {MAX_PARTIES}], got {parties!r}")
    top = space.feature_max
    rule = space.rule
    if rule == DEFECTOR_PAYS:
        return (values[0],) * parties
    if rule in (OVER_THRESHOLD, UNILATERAL):
        threshold, rate = values
        most = rate * max(0, top - threshold)
        if rule == UNILATERAL:
            return (most,) + (0,) * (parties - 1)
        return (most,) * parties
    (rate,) = values
    shares = split(rate * top, parties - 1)  # what each payer pays one cleaner, in order
    # to a cleaner j < i, party i is payer number i − 1; to a cleaner j > i, number i
    return tuple(
        i * shares[i - 1] + (parties - 1 - i) * shares[min(i, parties - 2)] for i in range(parties)
    )
