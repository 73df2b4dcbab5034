"""Uniform-price batch clearing of opposite swap orders against one CFMM pool.

Pure math, no device. :func:`uniform_clearing` is a frequent batch auction (Budish,
Cramton & Shim, "The High-Frequency Trading Arms Race: Frequent Batch Auctions as a Market
Design Response", QJE 2015) whose liquidity is a :mod:`accord.mechanisms.cfmm.pools` pool,
as in CoW Swap's batches with coincidence of wants: the two directions are netted, only
the imbalance trades against the curve, and every order gets the same price; the pool's
net trade is always one its invariant (with fee) accepts. :class:`Order` is an order and
:class:`Clearing` the result.

**Bounded, charged work.** Each round of :func:`uniform_clearing` drops at least one
order, so there are at most ``len(orders)`` rounds; each round walks every order once and
bisects the net flow (at most ``2·(bits(X) + 1)`` curve evaluations). A device contract
passes ``charge=ctx.use_gas``: :data:`ORDER_ROUND_GAS` per order is charged before each
round's bookkeeping and :data:`EVALUATION_GAS` before each curve evaluation (plus what
the pool itself charges, :class:`~accord.mechanisms.cfmm.pools.WeightedPool`), so a batch
that needs many rounds pays for each of them before it runs, and one that cannot pay
stops (out of gas) before the work.

Import these names from :mod:`accord.mechanisms.cfmm`, which re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from accord.mechanisms.cfmm.pools import Pool, check_pair
from accord.mechanisms.cfmm.v2 import check_nonneg, check_positive
from accord.mechanisms.introot import Charge

__all__ = ["EVALUATION_GAS", "ORDER_ROUND_GAS", "Clearing", "Order", "uniform_clearing"]

EVALUATION_GAS = 200
"""Gas per evaluation of the pool's curve (``out_given_in`` of a product or
constant-sum pool: a few big-int multiplications and a division)."""
ORDER_ROUND_GAS = 200
"""Gas per order per round of the clearing's bookkeeping: the order's share of the sums,
its output at the round's price (a multiplication and a division), its shortfall against
``min_out`` (one exact fraction compared): about as much work as one curve evaluation."""


# -- uniform-price batch clearing against a pool ------------------------------------------------
@dataclass(frozen=True, slots=True)
class Order:
    """A swap order for batch clearing: tender ``amount`` of token i (``sells_i``) or of
    token j (not ``sells_i``) and receive at least ``min_out`` of the other."""

    sells_i: bool
    amount: int
    min_out: int = 0


@dataclass(frozen=True, slots=True)
class Clearing:
    """The result of :func:`uniform_clearing`.

    ``price`` is units of j per unit of i, the same for every filled order (``None`` if
    none filled); ``outs[k]`` what order k receives (0 if unfilled: its input goes back);
    ``tendered``/``received`` the pool's net flows per token and ``pool`` the pool after
    them; ``evaluations`` how many times the curve was evaluated and ``rounds`` how many
    price rounds ran (each walked every order), the work the gas paid for.
    """

    price: Fraction | None
    outs: tuple[int, ...]
    filled: tuple[bool, ...]
    tendered: tuple[int, ...]
    received: tuple[int, ...]
    pool: Pool
    evaluations: int
    rounds: int = 0


def _largest_net(
    pool: Pool, i: int, j: int, x: int, y: int, counter: list[int], charge: Charge | None
) -> tuple[int, int]:
    """Largest ``d ∈ [0, x]`` with ``out(d)·(x − d) ≥ y·d``, and ``out(d)``.

    ``out(d)/d`` (the pool's average price for the net flow ``d``) falls with ``d`` and
    ``y/(x − d)`` (the price at which the other side's ``y`` buys the remaining ``x − d``)
    rises, so this is the integer just below their crossing: the pool's price on the
    imbalance is at least the price at which the two sides are netted. At most
    ``bits(x) + 1`` evaluations (a bisection of ``[0, x]``), each charged before it runs.
    """

    def ok(d: int) -> tuple[bool, int]:
        counter[0] += 1
        if charge is not None:
            charge(EVALUATION_GAS)
        out = pool.out_given_in(i, j, d, charge)
        return out * (x - d) >= y * d, out

    good, out = ok(x)
    if good:
        return x, out
    lo, lo_out, hi = 0, 0, x
    while hi - lo > 1:
        mid = (lo + hi) // 2
        good, out = ok(mid)
        if good:
            lo, lo_out = mid, out
        else:
            hi = mid
    return lo, lo_out


def uniform_clearing(
    pool: Pool, i: int, j: int, orders: tuple[Order, ...], charge: Charge | None = None
) -> Clearing:
    """Clear opposite swap orders on the pair (i, j) of ``pool`` at one uniform price.

    A frequent batch auction (Budish, Cramton & Shim, "The High-Frequency Trading Arms
    Race: Frequent Batch Auctions as a Market Design Response", QJE 2015) whose liquidity
    is the pool, as in CoW Swap's batches with coincidence of wants: the two directions
    are netted, only the imbalance trades against the curve, and every order gets the
    same price. With ``X`` tendered of i and ``Y`` of j in total:

    1. if some net flow ``d > 0`` of i into the pool is consistent (:func:`_largest_net`),
       the pool pays ``L = out(d)`` of j and the price is ``p = (L + Y) / X`` j per i;
    2. else the same the other way round (``q = (L' + X) / Y`` i per j, ``p = 1/q``);
    3. else the two sides cross with no pool trade at ``p = Y / X``.

    Sellers of i receive ``floor(amount·p)`` of j, sellers of j ``floor(amount/p)`` of i;
    the rounding dust stays in the pool, and in every case the pool's net trade is one its
    invariant (with fee) accepts.

    If the price misses some orders' ``min_out`` (or gives an order nothing), only the
    *worst-missing* is dropped, the one with the largest relative shortfall
    ``(m − out)/m`` with ``m = max(min_out, 1)``, and the price is recomputed; this repeats
    until every remaining order is satisfied. Dropping every missing order at once would
    also exclude orders that the price without the worst one satisfies. Orders tied at
    exactly the largest shortfall are dropped together: a tie broken by position would
    let one of two identical orders fill and not the other depending on where it stands,
    the advantage of position a batch exists to remove. So nothing depends on the
    orders' positions.

    ``charge`` (``ctx.use_gas`` on the device) is called before each round's bookkeeping
    with :data:`ORDER_ROUND_GAS` per order and before each curve evaluation (module
    docstring); at most ``len(orders)`` rounds run.
    """
    n = len(pool.reserves)
    i, j = check_pair(n, i, j)
    if charge is not None:
        charge(ORDER_ROUND_GAS * len(orders))  # validation and the final netting
    for k, o in enumerate(orders):
        check_positive(f"orders[{k}].amount", o.amount)
        check_nonneg(f"orders[{k}].min_out", o.min_out)
    active = [True] * len(orders)
    counter = [0]
    price: Fraction | None = None
    outs = [0] * len(orders)
    rounds = 0
    while True:  # each round drops at least one order: at most len(orders) rounds
        rounds += 1
        if charge is not None:
            charge(ORDER_ROUND_GAS * len(orders))
        x = sum(o.amount for o, a in zip(orders, active, strict=True) if a and o.sells_i)
        y = sum(o.amount for o, a in zip(orders, active, strict=True) if a and not o.sells_i)
        if x == 0 and y == 0:
            price = None
            outs = [0] * len(orders)
            break
        d, out_d = _largest_net(pool, i, j, x, y, counter, charge) if x else (0, 0)
        if d > 0:
            price = Fraction(out_d + y, x)
        else:
            e, out_e = _largest_net(pool, j, i, y, x, counter, charge) if y else (0, 0)
            if e > 0:
                price = Fraction(y, out_e + x) if out_e + x else Fraction(0)
            else:
                price = Fraction(y, x) if x and y else Fraction(0)
        outs = [0] * len(orders)
        worst: Fraction | None = None
        missing: list[tuple[Fraction, int]] = []
        for k, o in enumerate(orders):
            if not active[k]:
                continue
            if o.sells_i:
                got = o.amount * price.numerator // price.denominator
            else:
                got = o.amount * price.denominator // price.numerator if price else 0
            outs[k] = got
            floor = max(o.min_out, 1)
            if got < floor:
                shortfall = Fraction(floor - got, floor)
                missing.append((shortfall, k))
                if worst is None or shortfall > worst:
                    worst = shortfall
        if worst is None:
            break
        for shortfall, k in missing:
            if shortfall == worst:
                active[k] = False
    if not any(active):
        price = None
    net = [0] * n
    for o, got, a in zip(orders, outs, active, strict=True):
        if a:
            src, dst = (i, j) if o.sells_i else (j, i)
            net[src] += o.amount
            net[dst] -= got
    tendered = tuple(max(v, 0) for v in net)
    received = tuple(max(-v, 0) for v in net)
    if not pool.accepts(tendered, received, charge):  # pragma: no cover - a bug, never a user error
        raise AssertionError(f"uniform clearing broke the invariant: {tendered} / {received}")
    after = pool.with_reserves(tuple(r + v for r, v in zip(pool.reserves, net, strict=True)))
    return Clearing(
        price, tuple(outs), tuple(active), tendered, received, after, counter[0], rounds
    )
