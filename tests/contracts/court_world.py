"""A device with a Court, staked jurors and a test arbitrable: shared by the court's
tests (``tests/contracts/test_court*.py``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from accord.contracts.court import Court
from accord.device import (
    AssetSpec,
    Context,
    Contract,
    Device,
    DeviceConfig,
    DeviceError,
    Genesis,
    Map,
    Receipt,
    Revert,
    Var,
    checks,
    public,
)
from accord.mechanisms.commit_reveal import commitment_hash

FEE, TOKEN = "USD", "PNK"
JURORS = tuple(f"juror{i}" for i in range(8))
PARTIES = ("alice", "bob", "carol", "mallory")
FUNDS = 10**9
FEE_PER_JUROR = 1_000
MIN_STAKE = 1_000
ALPHA_BPS = 2_000  # 20%: each draw locks 200 PNK
DURATIONS = (2, 3, 3, 10)
TREASURY = "treasury"
GAS = 10_000_000


def salt_of(who: str, d: int, r: int) -> bytes:
    return f"salt:{who}:{d}:{r}".encode().ljust(16, b".")


class Arbitrable(Contract):
    """The arbitrable side of ERC-792, minimal: opens disputes at the court with the fee
    it is sent, records each ``rule`` from the court (others are refused), and, when
    armed, re-enters the court from ``rule`` (the revert swallowed)."""

    court: Var[str] = Var("")
    rulings: Map[int] = Map(-1)
    calls: Map[int] = Map(0)
    plan: Var[tuple[Any, ...]] = Var(())
    reentered: Var[str] = Var("")

    def setup(self, ctx: Context, court: str) -> None:
        self.court = court

    @public
    def open(self, ctx: Context, choices: int) -> int:
        return ctx.call(self.court, "create_dispute", choices, value=dict(ctx.value))  # type: ignore[no-any-return]

    @public
    def arm(self, ctx: Context, plan: tuple[Any, ...]) -> None:
        ok = plan == () or (
            type(plan) is tuple
            and len(plan) == 2
            and type(plan[0]) is str
            and type(plan[1]) is tuple
        )
        if not ok:
            raise Revert(f"plan must be () or (method, args), got {plan!r:.100}")
        self.plan = plan

    @public
    def rule(self, ctx: Context, dispute: int, ruling: int) -> None:
        if ctx.sender != self.court:
            raise Revert(f"only the court may rule, not {ctx.sender}")
        self.rulings[dispute] = ruling
        self.calls[dispute] = self.calls[dispute] + 1
        plan = self.plan
        if plan:
            try:
                ctx.call(self.court, plan[0], *plan[1])
                self.reentered = "succeeded"
            except (Revert, DeviceError) as exc:
                self.reentered = str(exc)[:200]


def make_device(jurors: Sequence[str] = JURORS, seed: int = 11, funds: int = FUNDS) -> Device:
    people = (*jurors, *PARTIES)
    genesis = Genesis(
        assets={
            "ETH": AssetSpec(
                issuer="eth-issuer", alloc=dict.fromkeys((*people, "builder"), 10**18)
            ),
            FEE: AssetSpec(issuer="fed", alloc=dict.fromkeys(people, FUNDS)),
            TOKEN: AssetSpec(issuer="pnk-dao", alloc=dict.fromkeys(people, funds)),
        },
        contract_modules=("accord.contracts", "tests"),
    )
    device = Device(DeviceConfig(), genesis, seed=seed)
    checks.check_every_block(device)
    return device


@dataclass
class World:
    device: Device
    court: str
    arbitrable: str
    jurors: tuple[str, ...]
    salts: dict[tuple[str, int, int], bytes] = field(default_factory=dict)

    def call(
        self,
        who: str,
        method: str,
        *args: Any,
        to: str = "",
        value: Mapping[str, int] | None = None,
    ) -> Receipt:
        return self.device.call(
            self.device.account(who), to or self.court, method, *args, value=value, gas_limit=GAS
        )

    def ok(
        self,
        who: str,
        method: str,
        *args: Any,
        to: str = "",
        value: Mapping[str, int] | None = None,
    ) -> Any:
        receipt = self.call(who, method, *args, to=to, value=value)
        assert receipt.ok, f"{who}.{method}{args}: {receipt.error}"
        return receipt.result

    def view(self, method: str, *args: Any) -> Any:
        return self.device.view(self.court, method, *args)

    def storage(self) -> dict[str, Any]:
        return self.device.contract_at(self.court).storage()

    def open(self, choices: int = 2, who: str = "alice") -> int:
        cost = self.view("arbitration_cost")
        return self.ok(who, "open", choices, to=self.arbitrable, value={FEE: cost})  # type: ignore[no-any-return]

    def mine(self, blocks: int) -> None:
        for _ in range(blocks):
            self.device.build_block()

    def until_passable(self, d: int) -> str:
        """Mine until ``pass_period`` may run, then run it; returns the new period."""
        for _ in range(50):
            receipt = self.call("mallory", "pass_period", d)
            if receipt.ok:
                return str(receipt.result)
            assert "period runs until block" in (receipt.error or ""), receipt.error
        raise AssertionError("pass_period never became possible")

    def drawn(self, d: int, r: int) -> dict[str, int]:
        return dict(self.view("drawn", d, r))

    def vote_round(self, d: int, votes: Mapping[str, int | None]) -> None:
        """From the evidence period: draw, commit every drawn juror's vote (``votes``:
        juror -> choice, ``None`` for a juror that commits and never reveals, absent: one
        that does not commit), reveal, and pass into the appeal period (or execution)."""
        assert self.view("dispute", d)[2] == "evidence"
        if self.until_passable(d) == "execution":
            return
        r = self.view("dispute", d)[4] - 1
        for juror in self.drawn(d, r):
            if juror not in votes:
                continue
            salt = salt_of(juror, d, r)
            choice = votes[juror]
            sealed = commitment_hash((d, r, 1 if choice is None else choice), salt, juror)
            self.ok(juror, "commit", d, sealed)
        assert self.until_passable(d) == "vote"
        for juror in self.drawn(d, r):
            choice = votes.get(juror)
            if choice is not None:
                self.ok(juror, "reveal", d, choice, salt_of(juror, d, r))
        assert self.until_passable(d) in ("appeal", "execution")


def make_world(
    jurors: Sequence[str] = JURORS,
    stakes: Mapping[str, int] | None = None,
    *,
    max_jurors: int = 31,
    capacity: int = 16,
    seed: int = 11,
    alpha_bps: int = ALPHA_BPS,
    durations: tuple[int, int, int, int] = DURATIONS,
    funds: int = FUNDS,
) -> World:
    device = make_device(jurors, seed, funds)
    court = device.deploy(
        device.account("alice"),
        Court,
        TOKEN,
        FEE,
        FEE_PER_JUROR,
        MIN_STAKE,
        alpha_bps,
        durations,
        TREASURY,
        f"court-seed-{seed}".encode(),
        max_jurors,
        capacity,
        gas_limit=GAS,
    )
    arbitrable = device.deploy(device.account("alice"), Arbitrable, court)
    world = World(device, court, arbitrable, tuple(jurors))
    for juror in jurors:
        amount = (stakes or {}).get(juror, 10 * MIN_STAKE)
        if amount:
            world.ok(juror, "set_stake", amount)
    return world


def court_invariant(world: World) -> None:
    """:func:`books_invariant` of a :class:`World`'s court."""
    books_invariant(world.device, world.court, world.arbitrable)


def books_invariant(device: Device, court: str, arbitrable: str = "") -> None:
    """The court's books match the ledger and each other, to the unit:

    * it holds exactly ``held`` of the fee asset, and ``held`` is what its open disputes
      brought in (every round's fees and contributions, less what paid the next round);
      it holds no free token (penalties are paid out in the call that takes them);
    * each juror's ledger lock under the court is its stake, and what is locked in its
      books is ``at_stake`` per draw in the disputes not yet settled;
    * the tree's root is the sum of its leaves, each the juror's stake or 0 (0 when the
      juror cannot back one more draw);
    * the arbitrable heard ``rule`` once for each executed dispute, never twice.
    """
    s = device.contract_at(court).storage()
    fee, token = s["fee_asset"], s["token"]
    held = s.get("held", 0)
    assert device.balance(court, fee) == held, (device.balance(court, fee), held)
    if token != fee:
        assert device.balance(court, token) == 0
    open_value = 0
    at_draws: dict[str, int] = {}
    for d in range(s.get("dispute_count", 0)):
        if s["final"].get(d) is not None:
            continue
        for r in range(s["round_count"][d]):
            open_value += s["fees"].get((d, r), 0) - s["spent"].get((d, r), 0)
            open_value += sum(n for (dd, rr, _), n in s["paid"].items() if (dd, rr) == (d, r))
            for (dd, rr, j), k in s["draws"].items():
                if (dd, rr) == (d, r):
                    at_draws[j] = at_draws.get(j, 0) + k * s["at_stake"]
    assert held == open_value, (held, open_value)
    assert {j: n for j, n in s["locked"].items() if n} == at_draws, (s["locked"], at_draws)
    locks = {o: n for (o, a, h), n in device.ledger.locked.items() if h == court and a == token}
    assert locks == {j: n for j, n in s["stake"].items() if n}, (locks, s["stake"])
    capacity = s["capacity"]
    tree = s["tree"]
    for node in range(1, capacity):
        assert tree.get(node, 0) == tree.get(2 * node, 0) + tree.get(2 * node + 1, 0)
    for j, slot in s["slot_of"].items():
        stake, locked = s["stake"].get(j, 0), s["locked"].get(j, 0)
        want = stake if stake - locked >= s["at_stake"] and stake > 0 else 0
        assert tree.get(capacity + slot - 1, 0) == want, (j, want)
    if arbitrable:
        calls = device.contract_at(arbitrable).storage()["calls"]
        for d in range(s.get("dispute_count", 0)):
            if s["arbitrable"][d] == arbitrable:
                assert calls.get(d, 0) == (1 if s["ruled"].get(d, False) else 0), d
