"""Fishery: the GovSim lake on the device, its fish a device asset.

The pure dynamics are :mod:`accord.mechanisms.commons` (GovSim: Piatti et al., NeurIPS
2024). This contract holds the stock as its own balance of a fish asset it issues, so
that a catch is a transfer, regrowth is a mint, and contract transfers (quota
penalties, :mod:`accord.contracts.formal_contract`) and welfare are counted in the same
units: one base unit of the asset is one ton of fish.

* **Deploy** ``setup(asset, fishers, capacity=100, initial=100, growth=2,
  collapse_below=5, rounds=12, harvest_blocks=1, endowment=0, open_access=False)``
  creates ``asset`` (the contract is its issuer), mints the ``initial`` stock to itself
  and ``endowment`` to each fisher (savings for contract deposits). Round 1 opens.
* **Harvest** ``harvest(round, amount)``: a licensed fisher (anyone, with
  ``open_access``), once per round, while round ``round`` is open (a harvest naming
  another round reverts, so a stale one cannot land in the next round). It is served
  ``min(amount, stock)`` at once (GovSim serves the asks in full when the lake holds
  them); the order in which the harvests of a block run is the device's ordering rule,
  which is the point of putting the lake on a device. Under the ``batch`` ordering rule
  ``harvest`` is batchable: a block's harvests settle together, pro rata when they ask
  for more than the stock (:func:`~accord.mechanisms.commons.pro_rata`, GovSim's
  ``proportional`` rule), so position in the block buys nothing.
* **Close** ``close_round(round)``: anyone, once more than ``harvest_blocks`` blocks
  have passed since the round opened. If fewer than ``collapse_below`` fish remain the
  lake collapses (nothing more can be caught); else the stock regrows to
  ``min(capacity, growth * remaining)`` (the difference is minted). After the last round
  the fishery is finished. The close records each fisher's catch of the round; if an
  *observer hook* is set (``watch``), the close posts those catches to it in the same
  transaction, so a quota contract settles exactly on what the lake recorded. A keeper
  fee the contract pays its observer (this lake) is passed on to whoever sent the close:
  the contract's terms say who pays for the settlement's gas, and the closer is paid.

Nothing here trusts a caller: every argument is type- and range-checked (a bad one
reverts with a message naming it), the only funds that move are the contract's own, and
the loops (over the fishers, at most :data:`MAX_FISHERS`) are charged before they run.
"""

from __future__ import annotations

from collections.abc import Sequence

from accord.contracts.args import address, base_units
from accord.device import BatchCall, Context, Contract, DeviceError, Map, Revert, Var, public
from accord.device import gas as G
from accord.device.encoding import Canonical
from accord.mechanisms import commons as M

__all__ = ["MAX_FISHERS", "MAX_ROUNDS", "Fishery"]

MAX_FISHERS = 64
"""The most fishers one lake licenses (bounds every loop over them)."""
MAX_ROUNDS = 10_000
MAX_HARVEST_BLOCKS = 1_000
CLOSE_GAS_PER_FISHER = G.READ + G.WRITE_NEW
"""Charged per fisher before a close visits them (a read of the catch, a write of it)."""


def _int_in(name: str, value: object, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise Revert(f"{name} must be an int in [{low}, {high}], got {value!r}")
    return value


class Fishery(Contract):
    """A common-pool lake, round by round (module docstring)."""

    asset: Var[str] = Var("")
    fishers: Var[tuple[str, ...]] = Var(())
    capacity: Var[int] = Var(0)
    growth: Var[int] = Var(0)
    collapse_below: Var[int] = Var(0)
    rounds: Var[int] = Var(0)
    harvest_blocks: Var[int] = Var(1)
    open_access: Var[bool] = Var(False)
    stock: Var[int] = Var(0)
    round: Var[int] = Var(0)
    opened: Var[int] = Var(0)
    """The block the current round opened in."""
    collapsed: Var[bool] = Var(False)
    finished: Var[bool] = Var(False)
    caught_total: Var[int] = Var(0)
    harvests: Var[int] = Var(0)
    """Harvests landed in the open round."""
    watcher: Var[tuple[str, Canonical] | None] = Var(None)
    """``(contract, id)`` told each round's catches at the close (``watch``)."""
    watch_owner: Var[str] = Var("")
    """Who may set the watcher: the deployer."""

    caught: Map[int] = Map(0)
    """``(round, who) -> catch``: every catch, kept (the record a quota settles on)."""
    harvested: Map[bool] = Map(False)
    """``(round, who) -> True`` once ``who`` has harvested in ``round`` (even 0)."""

    def setup(
        self,
        ctx: Context,
        asset: str,
        fishers: tuple[str, ...],
        capacity: int = 100,
        initial: int = 100,
        growth: int = 2,
        collapse_below: int = 5,
        rounds: int = 12,
        harvest_blocks: int = 1,
        endowment: int = 0,
        open_access: bool = False,
    ) -> None:
        """Create ``asset``, stock the lake, endow the fishers and open round 1."""
        asset = address("asset", asset)
        if type(fishers) is not tuple or not 1 <= len(fishers) <= MAX_FISHERS:
            raise Revert(f"fishers must be a tuple of 1 to {MAX_FISHERS} accounts, got {fishers!r}")
        for who in fishers:
            address("fisher", who)
        if len(set(fishers)) != len(fishers):
            raise Revert(f"fishers must be distinct, got {fishers!r}")
        capacity = _int_in("capacity", capacity, 1, 2**64)
        _int_in("initial", initial, 0, capacity)
        _int_in("growth", growth, 2, 1_000)
        _int_in("collapse_below", collapse_below, 0, capacity)
        _int_in("rounds", rounds, 1, MAX_ROUNDS)
        _int_in("harvest_blocks", harvest_blocks, 1, MAX_HARVEST_BLOCKS)
        base_units("endowment", endowment)
        if endowment > 2**128:
            raise Revert(f"endowment must be at most 2**128, got {endowment}")
        if type(open_access) is not bool:
            raise Revert(f"open_access must be a bool, got {open_access!r}")
        ctx.create_asset(asset)
        if initial:
            ctx.mint(asset, ctx.this, initial)
        ctx.use_gas(G.LEDGER_OP * len(fishers))
        for who in fishers:
            if endowment:
                ctx.mint(asset, who, endowment)
        self.asset, self.fishers = asset, fishers
        self.capacity, self.growth, self.collapse_below = capacity, growth, collapse_below
        self.rounds, self.harvest_blocks, self.open_access = rounds, harvest_blocks, open_access
        self.stock, self.round, self.opened = initial, 1, ctx.block_number
        self.watch_owner = ctx.sender
        ctx.emit("Opened", round=1, stock=initial, threshold=self._threshold(initial))

    def _commons(self) -> M.Commons:
        return M.Commons(
            len(self.fishers),
            self.capacity,
            0,
            self.growth,
            self.collapse_below,
            self.rounds,
        )

    def _threshold(self, stock: int) -> int:
        return M.threshold(self._commons(), stock)

    # -- harvesting ----------------------------------------------------------------------
    def _check_harvest(self, who: str, round: object, amount: object, value: object) -> int:
        """The checks a harvest must pass; returns the amount asked."""
        if value:
            raise Revert("harvest takes no value")
        if self.collapsed:
            raise Revert("the lake has collapsed: nothing can be caught")
        if self.finished:
            raise Revert("the fishery is finished: every round is closed")
        current = self.round
        if type(round) is not int or round != current:
            raise Revert(f"round must be the open round {current}, got {round!r}")
        ask = base_units("amount", amount)
        if not self.open_access and who not in self.fishers:
            raise Revert(f"{who} holds no licence to fish this lake")
        if self.harvested[(current, who)]:
            raise Revert(f"{who} has already harvested in round {current}")
        return ask

    def _land(self, ctx: Context, who: str, got: int) -> None:
        current = self.round
        self.harvested[(current, who)] = True
        self.harvests = self.harvests + 1
        if got:
            self.caught[(current, who)] = got
            self.stock = self.stock - got
            self.caught_total = self.caught_total + got
            ctx.transfer(self.asset, who, got)
        ctx.emit("Harvested", who=who, round=current, amount=got, stock=self.stock)

    @public(batch=True)
    def harvest(self, ctx: Context, round: int, amount: int) -> int:
        """Catch up to ``amount`` fish in the open round ``round``; returns the catch."""
        ask = self._check_harvest(ctx.sender, round, amount, ctx.value)
        got = min(ask, self.stock)
        self._land(ctx, ctx.sender, got)
        return got

    def settle_batch(self, ctx: Context, calls: Sequence[BatchCall]) -> list[Canonical]:
        """Under the batch rule: every valid harvest of the block, pro rata when they ask
        for more than the stock; an invalid one gets 0 and a ``Refused`` event."""
        results: list[Canonical] = [0] * len(calls)
        valid: list[tuple[int, str, int]] = []
        seen: set[str] = set()
        ctx.use_gas(G.READ * len(calls))
        for k, call in enumerate(calls):
            try:
                if call.method != "harvest" or len(call.args) != 2:
                    raise Revert(f"{call.method!r} with {len(call.args)} arguments does not batch")
                ask = self._check_harvest(call.sender, call.args[0], call.args[1], call.value)
                if call.sender in seen:
                    raise Revert(f"{call.sender} has already harvested in round {self.round}")
            except Revert as exc:
                ctx.emit("Refused", tx=call.tx_hash, sender=call.sender, reason=exc.reason)
                continue
            seen.add(call.sender)
            valid.append((k, call.sender, ask))
        grants = M.pro_rata(self.stock, [ask for _, _, ask in valid])
        for (k, who, _), got in zip(valid, grants, strict=True):
            self._land(ctx, who, got)
            results[k] = got
        return results

    # -- closing a round -----------------------------------------------------------------
    @public
    def close_round(self, ctx: Context, round: int) -> tuple[int, bool]:
        """Close the open round ``round`` (anyone, once its harvest blocks have passed):
        collapse or regrow, post the catches to the watcher. Returns ``(stock, collapsed)``."""
        if ctx.value:
            raise Revert("close_round takes no value")
        if self.collapsed or self.finished:
            raise Revert("the fishery is over: no round is open")
        current = self.round
        if type(round) is not int or round != current:
            raise Revert(f"round must be the open round {current}, got {round!r}")
        ready = self.opened + self.harvest_blocks
        if ctx.block_number <= ready:
            raise Revert(
                f"round {current} can close from block {ready + 1}, not {ctx.block_number}"
            )
        fishers = self.fishers
        ctx.use_gas(CLOSE_GAS_PER_FISHER * len(fishers))
        catches = tuple(self.caught[(current, who)] for who in fishers)
        remaining = self.stock
        c = self._commons()
        if M.collapsed(c, remaining):
            self.collapsed = True
            ctx.emit("Collapsed", round=current, remaining=remaining)
        else:
            grown = M.regrow(c, remaining)
            if grown > remaining:
                ctx.mint(self.asset, ctx.this, grown - remaining)
            self.stock = grown
        ctx.emit("Closed", round=current, catches=catches, remaining=remaining, stock=self.stock)
        if current >= self.rounds and not self.collapsed:
            self.finished = True
        self.harvests = 0
        if not (self.collapsed or self.finished):
            self.round = current + 1
            self.opened = ctx.block_number
            ctx.emit(
                "Opened", round=current + 1, stock=self.stock, threshold=self._threshold(self.stock)
            )
        watcher = self.watcher  # last: the lake's state is final before it calls out
        if watcher is not None:
            try:  # a watcher that fails (ended, out of deposit) must not stop the lake
                ctx.call(watcher[0], "settle", watcher[1], current, catches)
            except Revert as exc:
                ctx.emit("WatcherFailed", round=current, reason=exc.reason)
            except DeviceError as exc:
                ctx.emit("WatcherFailed", round=current, reason=f"{type(exc).__name__}: {exc}")
            # a keeper fee the contract paid its observer (this lake) goes to the closer
            surplus = ctx.balance(ctx.this, self.asset) - self.stock
            if surplus > 0:
                ctx.transfer(self.asset, ctx.sender, surplus)
                ctx.emit("KeeperPaid", round=current, to=ctx.sender, amount=surplus)
        return self.stock, self.collapsed

    @public
    def watch(self, ctx: Context, contract: str, id: Canonical) -> None:
        """The deployer names a contract to tell each round's catches at the close
        (``contract.settle(id, round, catches)``, catches in fisher order); ``""`` clears.
        Set only while no harvest has landed in the open round, so that a quota settles
        on whole rounds (a contract proposed mid-season starts at a round's start). The
        deployer (the game's referee) is trusted to name the watcher; it moves no funds:
        a quota contract checks that its observer is this lake."""
        if ctx.sender != self.watch_owner:
            raise Revert(f"only the deployer {self.watch_owner} may set the watcher")
        if self.harvests or self.collapsed or self.finished:
            raise Revert("the watcher is set before the open round's first harvest, not after")
        if type(contract) is not str:
            raise Revert(f"contract must be an address str, got {contract!r}")
        if contract == "":
            self.watcher = None
            return
        if type(id) not in (int, str, bytes):
            raise Revert(f"id must be an int, str or bytes, got {id!r}")
        self.watcher = (contract, id)

    # -- views ---------------------------------------------------------------------------
    @public
    def status(self, ctx: Context) -> tuple[int, int, int, bool, bool, int]:
        """``(round, stock, threshold, collapsed, finished, opened block)``."""
        return (
            self.round,
            self.stock,
            self._threshold(self.stock),
            self.collapsed,
            self.finished,
            self.opened,
        )

    @public
    def catch_of(self, ctx: Context, round: int, who: str) -> int:
        """What ``who`` caught in ``round`` (0 if nothing)."""
        _int_in("round", round, -MAX_ROUNDS, MAX_ROUNDS)
        address("who", who)
        return self.caught[(round, who)]

    @public
    def catches(self, ctx: Context, round: int) -> tuple[int, ...]:
        """Every licensed fisher's catch in ``round``, in fisher order."""
        _int_in("round", round, 0, MAX_ROUNDS)
        ctx.use_gas(G.READ * len(self.fishers))
        return tuple(self.caught[(round, who)] for who in self.fishers)

    @public
    def licensed(self, ctx: Context) -> tuple[str, ...]:
        """The licensed fishers, in order."""
        return self.fishers
