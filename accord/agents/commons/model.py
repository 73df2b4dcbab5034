"""The scripted fishers' model of a season: myopic best responses, payoffs under a contract.

A fisher who maximises its own catch this round, under quota terms ``(q, p)`` backed by
a deposit ``D``, asks for the ``c <= S`` that maximises ``c - min(D, p (c - q)^+)``: the
quota ``q`` when ``p >= 2`` (every ton over costs more than it brings) and the deposit
is large enough that ``S - D <= q``, else the whole stock ``S`` (:func:`best_response`).
At ``p = 1`` exceeding gains nothing and costs nothing: the model assumes the worst.
Without a contract it asks for the whole stock.

:func:`season` plays a whole season of such fishers on the pure dynamics
(:mod:`accord.mechanisms.commons`), averaging over the ``n`` rotations of the serving
order (so every fisher is first equally often: the expected payoff under a random
order, exactly, as a :class:`~fractions.Fraction`). The planner
(:class:`~accord.agents.commons.scripted.Planner`) and every scripted fisher's
``accept`` use it: a contract is accepted when it leaves each party at least as well off
as no contract (Haupt et al. 2024's acceptance condition).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from accord.agents.commons.view import Terms
from accord.mechanisms import commons as M
from accord.mechanisms.contracting import fishery_space, transfers

__all__ = ["best_response", "deposit_for", "fines", "season", "welfare"]


def deposit_for(c: M.Commons, quota: int, penalty: int) -> int:
    """The deposit that backs the largest one-round excess: ``penalty * (C - quota)``."""
    return penalty * max(0, c.capacity - quota)


def best_response(stock: int, terms: Terms | None) -> int:
    """The myopic ask under ``terms`` (module docstring)."""
    if terms is None:
        return stock
    if terms.penalty >= 2 and stock - terms.deposit <= terms.quota:
        return min(stock, terms.quota)
    return stock


def fines(terms: Terms, catches: Sequence[int]) -> tuple[int, ...]:
    """Each party's net transfer for one round under ``terms``: the contracting
    mechanism's over-quota rule (:func:`accord.mechanisms.contracting.transfers` on
    :func:`~accord.mechanisms.contracting.fishery_space`: ``p`` per ton over ``q``,
    split exactly among the others); sums to 0. The model ignores a deposit running
    out."""
    space = fishery_space(terms.quota, terms.penalty, max(1, *catches))
    return transfers(space, (terms.quota, terms.penalty), tuple(catches))


def season(c: M.Commons, terms: Terms | None) -> tuple[Fraction, ...]:
    """Each fisher's expected payoff (catches + net transfers) over a season of myopic
    fishers under ``terms`` (``None``: no contract), averaged over serving orders."""
    n = c.fishers
    totals = [Fraction(0)] * n
    for shift in range(n):
        order = [(shift + k) % n for k in range(n)]
        stock = c.initial
        payoff = [0] * n
        for _ in range(c.rounds):
            asks = [best_response(stock, terms)] * n
            served = M.serve(stock, [asks[i] for i in order])
            catches = [0] * n
            for i, got in zip(order, served, strict=True):
                catches[i] = got
            net = fines(terms, catches) if terms is not None else (0,) * n
            for i in range(n):
                payoff[i] += catches[i] + net[i]
            remaining = stock - sum(catches)
            if M.collapsed(c, remaining):
                break
            stock = M.regrow(c, remaining)
        for i in range(n):
            totals[i] += Fraction(payoff[i], n)
    return tuple(totals)


def welfare(payoffs: Sequence[Fraction]) -> Fraction:
    """The sum of the payoffs (transfers cancel: it is the total catch)."""
    return sum(payoffs, Fraction(0))
