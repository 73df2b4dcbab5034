"""The durable-goods monopolist (Coase) on the device: a price path with and without
commitment.

A seller holds ``buyers`` units of a durable good; ``buyers`` buyers with values spread
evenly over ``[0, vmax]`` (:func:`~accord.mechanisms.coase.buyer_values`) each want one
unit. The sale (:class:`~accord.contracts.durable_sale.DurableGoodsSale`) runs
``periods`` periods of two blocks; a horizon discounted by ``horizon_discount`` is cut
into those periods, so each discounts by ``δ = D^(1/T)`` (more periods: shorter ones).

* **Without commitment** (``commitment = false``) the seller posts each period's price
  in that period, following the subgame-perfect linear equilibrium
  (:func:`~accord.mechanisms.coase.uncommitted_path`), and each buyer, best-responding to
  it, buys once the posted price ``p`` falls to its value's cutoff, ``v ≥ p / γ_n``.
* **With commitment** the seller commits the whole path at deployment: the static
  monopoly price for these buyers in every period (Stokey 1979); each buyer reads the
  path on the device and buys in its best period (:func:`~accord.mechanisms.coase.best_period`).

Payments are exact integers in ``USD``, paid to the seller by the contract. Metrics: the
first and last price, units sold, the revenue (undiscounted, as the device paid it, and
at period-1 value), the revenue against the static monopoly's ``N vmax / 4``, and the
theory's figures: the same path's revenue for these buyers (``theory_revenue_pv``,
which the sandbox must equal) and the continuum's (``continuum_revenue_pv``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from accord.contracts.durable_sale import DurableGoodsSale
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, checks
from accord.games.base import GameResult, register_game
from accord.games.glossary import NON_NEGATIVE, UNIT_INTERVAL, Better, Glossary, Metric
from accord.games.glossary import glossary as make_glossary
from accord.mechanisms import coase as C

__all__ = ["CoaseGame", "CoaseParams"]

SELLER, ASSET, GOOD = "seller", "USD", "GOOD"


class CoaseParams(BaseModel):
    """Buyers, their top value, periods, the horizon's discount and commitment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    buyers: int = Field(100, ge=1, le=5_000)
    vmax: int = Field(1_000_000, ge=2, le=10**15)
    periods: int = Field(5, ge=1, le=200)
    horizon_discount: float = Field(0.1, gt=0, lt=1)
    commitment: bool = False


GLOSSARY: Glossary = make_glossary(
    [
        Metric(
            "first_price",
            "USD base units",
            NON_NEGATIVE,
            "The price of period 1.",
            Better.NEITHER,
            True,
        ),
        Metric(
            "last_price", "USD base units", NON_NEGATIVE, "The last period's price.", Better.NEITHER
        ),
        Metric("sold", "units", NON_NEGATIVE, "Units sold over the sale.", Better.NEITHER),
        Metric(
            "revenue",
            "USD base units",
            NON_NEGATIVE,
            "What the buyers paid the seller on the device, undiscounted.",
            Better.NEITHER,
        ),
        Metric(
            "revenue_pv",
            "USD base units",
            NON_NEGATIVE,
            "The revenue at period-1 value (each period's sales discounted by δ^(t-1)).",
            Better.HIGHER,
            True,
        ),
        Metric(
            "revenue_vs_static",
            "ratio",
            NON_NEGATIVE,
            "revenue_pv over the static monopoly's N vmax / 4.",
            Better.HIGHER,
            True,
        ),
        Metric(
            "theory_revenue_pv",
            "USD base units",
            NON_NEGATIVE,
            "The theory's revenue at period-1 value for these buyers and this path.",
            Better.NEITHER,
        ),
        Metric(
            "continuum_revenue_pv",
            "USD base units",
            NON_NEGATIVE,
            "The continuum's revenue: N vmax c_T without commitment, N vmax / 4 with it.",
            Better.NEITHER,
        ),
        Metric(
            "delta", "factor", UNIT_INTERVAL, "The per-period discount D^(1/T).", Better.NEITHER
        ),
    ]
)


@register_game
class CoaseGame:
    """A durable-goods seller with and without a committed price path."""

    name: ClassVar[str] = "coase"
    Params: ClassVar[type[BaseModel]] = CoaseParams
    glossary: ClassVar[Glossary] = GLOSSARY

    def run(self, params: BaseModel, device: DeviceConfig, seed: int) -> GameResult:
        p = CoaseParams.model_validate(params.model_dump())
        n, T = p.buyers, p.periods
        delta = C.per_period(p.horizon_discount, T)
        values = C.buyer_values(n, p.vmax)
        names = [f"buyer{i:04d}" for i in range(n)]
        genesis = Genesis(
            assets={
                device.fee_asset: AssetSpec(
                    issuer="treasury", alloc=dict.fromkeys([SELLER, *names], 10**18)
                ),
                ASSET: AssetSpec(issuer="fed", alloc=dict.fromkeys(names, p.vmax)),
                GOOD: AssetSpec(issuer="maker", alloc={SELLER: n}),
            }
        )
        dev = Device(device, genesis, seed=seed)
        checks.check_every_block(dev)
        if p.commitment:
            path = C.committed_path(T, C.monopoly_price(values))
            committed: tuple[int, ...] = path.prices
        else:
            path = C.uncommitted_path(T, delta, p.vmax)
            committed = ()
        gamma = C.coefficients(T, delta).gamma
        seller = dev.account(SELLER)
        sale = dev.deploy(seller, DurableGoodsSale, ASSET, GOOD, T, 2, committed)
        dev.submit(dev.sign(seller, sale, "stock", value={GOOD: n}))
        weights = C.powers(delta, T)
        bought = [False] * n
        rows: list[dict[str, Any]] = []
        revenue_pv = 0.0
        before = dev.balance(SELLER, ASSET)
        for t in range(1, T + 1):
            if not p.commitment and path.prices[t - 1] > 0:  # the seller's equilibrium price
                dev.submit(dev.sign(seller, sale, "post", path.prices[t - 1]))
            dev.build_block()  # the period's first block: the price is posted
            period, price = dev.view(sale, "quote")
            assert period == t
            future: tuple[int, ...] = dev.view(sale, "path")[t - 1 :]
            buying = []
            for i, v in enumerate(values):
                if bought[i] or not price:
                    continue
                if p.commitment:
                    buys = C.best_period(v, future, delta) == 0
                else:
                    buys = v >= price / gamma[T - t]
                if buys:
                    buying.append(i)
                    dev.submit(dev.sign(dev.account(names[i]), sale, "buy", value={ASSET: price}))
            block = dev.build_block()
            assert all(r.ok for r in block.receipts), [r.error for r in block.receipts]
            assert len(block.receipts) == len(buying)
            for i in buying:
                bought[i] = True
            revenue_pv += weights[t - 1] * price * len(buying)
            rows.append(
                {
                    "period": t,
                    "price": price,
                    "sales": len(buying),
                    "theory_price": path.prices[t - 1],
                }
            )
        withdrawn = dev.call(seller, sale, "withdraw")
        assert withdrawn.ok, withdrawn.error
        revenue = dev.balance(SELLER, ASSET) - before
        theory = C.realise(values, path, delta, committed=p.commitment)
        static = n * p.vmax / 4
        continuum = static if p.commitment else C.coefficients(T, delta).c[-1] * p.vmax * n
        metrics: dict[str, float | int] = {
            "first_price": rows[0]["price"],
            "last_price": rows[-1]["price"],
            "sold": sum(bought),
            "revenue": revenue,
            "revenue_pv": revenue_pv,
            "revenue_vs_static": revenue_pv / static,
            "theory_revenue_pv": theory.present_value,
            "continuum_revenue_pv": continuum,
            "delta": delta,
        }
        return GameResult(metrics, dev.state_hash().hex(), dev.number, {"periods": rows})
