"""Extortion: a committed threat, and the target's pledge never to yield to one.

The pure half is :func:`accord.mechanisms.races.extortion`; ``docs/commitment-races.md``
has the model. The sponsor (the deployer) funds a pot of ``2 w`` that pays each side its
*wealth* ``w`` unless a threat changes it:

* :meth:`threaten` (the extorter, once, up to ``threat_end``): a **binding** threat: the
  target pays ``demand`` by ``pay_end`` or the threat is carried out at settlement,
  costing the extorter ``cost`` and the target ``harm``. Nothing the extorter does later
  can withdraw it.
* :meth:`pay` (the target, once, while threatened, up to ``pay_end``): yield.
* :meth:`pledge` (the target, once, any time before settlement): *commit not to
  commit*, i.e. bind itself never to yield to a threat conditioned on its actions. From
  then on the device refuses such threats (:meth:`threaten` reverts) and the target's
  :meth:`pay` reverts; a threat that already stood is still carried out.
* :meth:`settle` (anyone, once, after ``pay_end``): no threat ``(w, w)``; paid
  ``(w + x, w − x)``; refused ``(w − c, w − h)``; the rest of the pot to the sponsor.
"""

from __future__ import annotations

from accord.contracts.args import address, base_units
from accord.device import Context, Contract, Revert, Var, public

__all__ = ["Extortion"]


class Extortion(Contract):
    """One extortion game (module docstring)."""

    asset: Var[str] = Var("")
    sponsor: Var[str] = Var("")
    extorter: Var[str] = Var("")
    target: Var[str] = Var("")
    wealth: Var[int] = Var(0)
    harm: Var[int] = Var(0)
    cost: Var[int] = Var(0)
    threat_end: Var[int] = Var(0)
    pay_end: Var[int] = Var(0)
    funded: Var[bool] = Var(False)
    pledged: Var[bool] = Var(False)
    demand: Var[int] = Var(0)
    paid: Var[bool] = Var(False)
    settled: Var[bool] = Var(False)

    def setup(
        self,
        ctx: Context,
        asset: str,
        extorter: str,
        target: str,
        wealth: int,
        harm: int,
        cost: int,
        threat_end: int,
        pay_end: int,
    ) -> None:
        """Each side's ``wealth``; a carried-out threat costs the target ``harm`` and the
        extorter ``cost`` (both at most ``wealth``); threats up to block ``threat_end``,
        payments up to ``pay_end``."""
        self.asset = address("asset", asset)
        e, t = address("extorter", extorter), address("target", target)
        if e == t or ctx.sender in (e, t):
            raise Revert("extorter, target and sponsor must be three accounts")
        self.extorter, self.target = e, t
        w = base_units("wealth", wealth, positive=True)
        for name, v in (("harm", harm), ("cost", cost)):
            if base_units(name, v, positive=True) > w:
                raise Revert(f"{name} {v} must not exceed the wealth {w}")
        base_units("threat_end", threat_end)
        base_units("pay_end", pay_end)
        if not ctx.block_number < threat_end <= pay_end:
            raise Revert(
                f"need block {ctx.block_number} < threat_end <= pay_end, got {threat_end}, "
                f"{pay_end}"
            )
        self.wealth, self.harm, self.cost = w, harm, cost
        self.threat_end, self.pay_end = threat_end, pay_end
        self.sponsor = ctx.sender

    def _no_value(self, ctx: Context, method: str) -> None:
        if ctx.value:
            raise Revert(f"{method} takes no value")

    @public
    def fund(self, ctx: Context) -> None:
        """The sponsor sends exactly ``2 w`` of ``asset``, once."""
        if ctx.sender != self.sponsor:
            raise Revert("only the sponsor funds the pot")
        if self.funded:
            raise Revert("the pot is already funded")
        pot = 2 * self.wealth
        if dict(ctx.value) != {self.asset: pot}:
            raise Revert(f"fund takes exactly {pot} {self.asset}, got {dict(ctx.value)}")
        self.funded = True

    @public
    def pledge(self, ctx: Context) -> None:
        """The target binds itself never to yield to a threat conditioned on its actions."""
        self._no_value(ctx, "pledge")
        if ctx.sender != self.target:
            raise Revert(f"only the target {self.target} can pledge")
        if self.settled:
            raise Revert("the game is settled")
        if self.pledged:
            raise Revert("the target has already pledged")
        self.pledged = True
        ctx.emit("Pledged", target=self.target)

    @public
    def threaten(self, ctx: Context, demand: int) -> None:
        """A binding threat: pay ``demand`` by ``pay_end`` or it is carried out."""
        self._no_value(ctx, "threaten")
        if ctx.sender != self.extorter:
            raise Revert(f"only the extorter {self.extorter} can threaten")
        if not self.funded:
            raise Revert("the pot is not funded yet")
        if ctx.block_number > self.threat_end:
            raise Revert(f"threats are accepted up to block {self.threat_end}")
        if self.demand:
            raise Revert("a threat already stands")
        if self.pledged:
            raise Revert(
                f"{self.target} has pledged to ignore threats conditioned on its actions: "
                "the device accepts none"
            )
        base_units("demand", demand, positive=True)
        if demand > self.wealth:
            raise Revert(f"demand {demand} exceeds the target's wealth {self.wealth}")
        self.demand = demand
        ctx.emit("Threatened", demand=demand)

    @public
    def pay(self, ctx: Context) -> None:
        """The target yields to the standing threat."""
        self._no_value(ctx, "pay")
        if ctx.sender != self.target:
            raise Revert(f"only the target {self.target} can pay")
        if not self.demand:
            raise Revert("there is no threat to pay")
        if self.pledged:
            raise Revert(f"{self.target} has pledged never to yield to a threat")
        if self.paid:
            raise Revert("the demand is already paid")
        if ctx.block_number > self.pay_end:
            raise Revert(f"payments are accepted up to block {self.pay_end}")
        self.paid = True
        ctx.emit("Paid", demand=self.demand)

    @public
    def settle(self, ctx: Context) -> tuple[int, int]:
        """Anyone, once, after ``pay_end``: pay ``(extorter, target)`` and the rest back."""
        self._no_value(ctx, "settle")
        if ctx.block_number <= self.pay_end:
            raise Revert(f"settle opens after block {self.pay_end}, now {ctx.block_number}")
        if self.settled:
            raise Revert("the game is already settled")
        self.settled = True
        if not self.funded:
            return (0, 0)
        w, x = self.wealth, self.demand
        if not x:
            pay = (w, w)
        elif self.paid:
            pay = (w + x, w - x)
        else:
            pay = (w - self.cost, w - self.harm)
            ctx.emit("CarriedOut", cost=self.cost, harm=self.harm)
        ctx.transfer(self.asset, self.extorter, pay[0])
        ctx.transfer(self.asset, self.target, pay[1])
        rest = 2 * w - sum(pay)
        if rest:
            ctx.transfer(self.asset, self.sponsor, rest)
        ctx.emit("Settled", payoffs=pay)
        return pay

    @public
    def status(self, ctx: Context) -> tuple[bool, int, bool, bool]:
        """``(pledged, demand standing or 0, paid, settled)``."""
        return (self.pledged, self.demand, self.paid, self.settled)
