"""One step's settlement against what is left of the deposits, and who pays whom.

Transfers are paid out of the deposits the parties locked when they accepted
(:mod:`accord.contracts.formal_contract`). :func:`settle_step` applies one step:

1. **Keeper fees** first: each party's fee share (``fees``) is taken from its deposit,
   at most what is left.
2. **Transfers**: a payer (net ``t_i < 0``) pays ``min(−t_i, left_i)``. If every payer
   covers its share, the receivers get exactly their ``t_j``. Otherwise the receivers
   share what was paid, ``P``, pro rata to what they were owed out of ``O``: each gets
   ``⌊t_j·P/O⌋`` and the ``P − Σ⌊…⌋`` units left (fewer than the receivers) go one each
   to the receivers in party order. The paid transfers still sum to exactly 0.
3. A payer that could not cover its fee or its transfer has **exhausted** its deposit:
   the contract ends (its caller refunds every remainder). That is issue 14's defined
   consequence of running out of deposit.

:func:`payments` turns a zero-sum vector into ledger moves ``(payer, receiver, amount)``
by walking payers and receivers in party order (at most ``payers + receivers − 1``
moves), so a settlement makes few ledger operations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from accord.mechanisms.contracting.rules import net_of
from accord.mechanisms.contracting.space import ContractError, ContractSpace

__all__ = ["Batch", "Book", "Settlement", "flows", "payments", "settle_step", "settle_steps"]


class Settlement(NamedTuple):
    """What one step moved: fees paid and net transfers, per party."""

    fees: tuple[int, ...]
    """Fee each party paid (to the keeper), at most its fee share."""
    transfers: tuple[int, ...]
    """Net transfer each party got (negative: paid), summing to 0."""
    left: tuple[int, ...]
    """Each party's deposit after the step."""
    exhausted: bool
    """Whether some party could not cover its fee or its transfer."""


def _ints(name: str, values: Sequence[int], n: int, signed: bool = False) -> None:
    if len(values) != n:
        raise ContractError(f"{name} must have {n} entries, got {len(values)}")
    for v in values:
        if type(v) is not int or (not signed and v < 0):
            raise ContractError(f"{name} must be {'ints' if signed else 'non-negative ints'}")


def settle_step(
    net: Sequence[int], left: Sequence[int], fees: Sequence[int] | None = None
) -> Settlement:
    """Apply one step's net transfers ``net`` (sum 0) and fee shares ``fees`` to the
    deposits ``left`` (module docstring)."""
    n = len(left)
    _ints("left", left, n)
    _ints("net", net, n, signed=True)
    if sum(net) != 0:
        raise ContractError(f"net transfers must sum to 0, got {sum(net)}")
    due = (0,) * n if fees is None else tuple(fees)
    _ints("fees", due, n)
    return _apply(net, left, due)


def _apply(net: Sequence[int], left: Sequence[int], due: tuple[int, ...]) -> Settlement:
    """:func:`settle_step` on checked inputs."""
    n = len(left)
    rest = list(left)
    paid_fees = tuple(min(f, r) for f, r in zip(due, rest, strict=True))
    short = paid_fees != due
    for i in range(n):
        rest[i] -= paid_fees[i]
    out = [0] * n
    owed = 0
    paid = 0
    for i, t in enumerate(net):
        if t < 0:
            pay = min(-t, rest[i])
            short = short or pay < -t
            rest[i] -= pay
            out[i] = -pay
            owed -= t
            paid += pay
    if paid == owed:
        for j, t in enumerate(net):
            if t > 0:
                out[j] = t
    else:
        given = 0
        receivers = [j for j, t in enumerate(net) if t > 0]
        for j in receivers:
            out[j] = net[j] * paid // owed
            given += out[j]
        for j in receivers[: paid - given]:
            out[j] += 1
    return Settlement(paid_fees, tuple(out), tuple(rest), short)


def payments(transfers: Sequence[int]) -> tuple[tuple[int, int, int], ...]:
    """Ledger moves ``(payer, receiver, amount)`` that realise a zero-sum vector, payers
    and receivers matched in party order."""
    if sum(transfers) != 0:
        raise ContractError(f"transfers must sum to 0, got {sum(transfers)}")
    payers = [[i, -t] for i, t in enumerate(transfers) if t < 0]
    receivers = [[j, t] for j, t in enumerate(transfers) if t > 0]
    moves: list[tuple[int, int, int]] = []
    a = b = 0
    while a < len(payers) and b < len(receivers):
        amount = min(payers[a][1], receivers[b][1])
        moves.append((payers[a][0], receivers[b][0], amount))
        payers[a][1] -= amount
        receivers[b][1] -= amount
        if payers[a][1] == 0:
            a += 1
        if receivers[b][1] == 0:
            b += 1
    return tuple(moves)


def flows(outflows: Sequence[int], inflows: Sequence[int]) -> tuple[tuple[int, int, int], ...]:
    """Ledger moves ``(payer, receiver, amount)`` that take ``outflows[i]`` out of each
    party's deposit and put ``inflows[j]`` into each party's free balance (equal totals),
    matched in party order; ``payer == receiver`` is a party's own deposit coming back
    to it (an unlock). Several steps settled at once move the same as one by one: what
    left each deposit, and what reached each free balance, are the steps' sums."""
    if sum(outflows) != sum(inflows):
        raise ContractError(f"outflows {sum(outflows)} and inflows {sum(inflows)} differ")
    payers = [[i, a] for i, a in enumerate(outflows) if a > 0]
    receivers = [[j, a] for j, a in enumerate(inflows) if a > 0]
    moves: list[tuple[int, int, int]] = []
    a = b = 0
    while a < len(payers) and b < len(receivers):
        amount = min(payers[a][1], receivers[b][1])
        moves.append((payers[a][0], receivers[b][0], amount))
        payers[a][1] -= amount
        receivers[b][1] -= amount
        if payers[a][1] == 0:
            a += 1
        if receivers[b][1] == 0:
            b += 1
    return tuple(moves)


class Batch(NamedTuple):
    """Several steps settled in order (:func:`settle_steps`)."""

    steps: tuple[Settlement, ...]
    """The applied steps: all of them, or up to and including the one that exhausted a
    deposit (the steps after it are not applied)."""
    left: tuple[int, ...]
    exhausted: bool
    outflows: tuple[int, ...]
    """What left each party's deposit for transfers (fees apart), summed over the steps."""
    inflows: tuple[int, ...]
    """What each party received, summed over the steps."""
    fees: tuple[int, ...]
    """The keeper fees each party paid, summed over the steps."""


class Book:
    """One contract's deposits, settled step after step: the parameters, deposits and
    fee shares are checked once, then each step's features (what the device contract
    and :class:`~accord.games.contracting.Deferred` run for every step)."""

    def __init__(
        self,
        space: ContractSpace,
        params: Sequence[int],
        left: Sequence[int],
        fees: Sequence[int],
    ) -> None:
        self.space = space
        self.params = space.check_params(params)
        n = len(left)
        if n < 2:
            raise ContractError(f"a contract needs at least 2 parties, got {n}")
        _ints("left", left, n)
        _ints("fees", fees, n)
        self.left: tuple[int, ...] = tuple(left)
        self.fees: tuple[int, ...] = tuple(fees)

    def step(self, features: Sequence[int]) -> Settlement:
        """Settle one step's ``features`` against what is left; returns the step."""
        x = self.space.check_features(features, len(self.left))
        done = _apply(net_of(self.space.rule, self.params, x), self.left, self.fees)
        self.left = done.left
        return done


def settle_steps(
    space: ContractSpace,
    params: Sequence[int],
    rows: Sequence[Sequence[int]],
    left: Sequence[int],
    fees: Sequence[int],
) -> Batch:
    """Settle the feature ``rows`` one after the other from the deposits ``left``, with
    ``fees`` due per step (:func:`settle_step` each), stopping after a step that
    exhausts a deposit. A bad row is a :class:`ContractError` naming its index."""
    book = Book(space, params, left, fees)
    n = len(left)
    done: list[Settlement] = []
    out = [0] * n
    into = [0] * n
    paid = [0] * n
    exhausted = False
    for k, row in enumerate(rows):
        try:
            step = book.step(row)
        except ContractError as exc:
            raise ContractError(f"row {k}: {exc}") from None
        done.append(step)
        for i, t in enumerate(step.transfers):
            if t < 0:
                out[i] -= t
            else:
                into[i] += t
            paid[i] += step.fees[i]
        if step.exhausted:
            exhausted = True
            break
    return Batch(tuple(done), book.left, exhausted, tuple(out), tuple(into), tuple(paid))
