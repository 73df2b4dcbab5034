"""Hostile arguments, call sequences and the checks run after every call, shared by the
shipped contracts' hostile tests (``tests/contracts/test_*_hostile.py``).

Every argument an agent passes is hostile until checked. A strategy per argument mixes
valid values with :func:`junk` (0, 1, negative, 2**256, bools, ``None``, floats, NaN,
strings where ints go, bytes, nested tuples, a 20 KB string, lists); :func:`steps`
draws call sequences across senders (including a contract, :class:`Relay`) and phases
(``("mine", n)`` steps move the block number). :class:`Hostile` sends each call and
checks after it:

* the call succeeded, or it reverted with a reason a person can read (a ``Revert``'s
  message or a named device error, never a stray ``TypeError``/``KeyError`` from inside
  contract code), or the device refused it before it ran (a non-canonical argument);
* a revert or a refusal changed nothing but the sender's fee (balances, locks, supplies,
  the watched contracts' storage);
* nobody's free balance fell except the caller's own and contracts' (a contract pays
  only from what it holds), and no account's funds were locked unless it is the caller;
* conservation and non-negativity (:func:`accord.device.checks.block_invariants`), and
  every balance, lock and supply is an ``int``;
* the contract's own accounting invariant, passed in by each test.
"""

from __future__ import annotations

import builtins
import math
import re
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from accord.device import (
    AssetSpec,
    Context,
    Contract,
    Device,
    DeviceConfig,
    DeviceError,
    Genesis,
    Receipt,
    Revert,
    Var,
    checks,
    public,
)
from accord.mechanisms.commit_reveal import commitment_hash

USERS = ("alice", "bob", "carol", "mallory")
START = 1_000_000
FEE = "ETH"
ASSETS = ("USD", "TOK", "GOLD")
GAS = 3_000_000
HUGE = 2**256

# -- the hostile values -------------------------------------------------------------------
JUNK_ATOMS: tuple[object, ...] = (
    0,
    1,
    -1,
    -(10**30),
    HUGE,
    HUGE + 1,
    -HUGE,
    2**63,
    True,
    False,
    None,
    "",
    "x",
    "alice",
    "0x" + "0" * 40,
    "A" * 20_000,
    b"",
    b"\x00" * 32,
    b"\xff" * 33,
    (),
    ((),),
    (1, (2, (3, (4, (5,))))),
    ("alice", 1),
    (1, 1),
    [1, 2],
    math.nan,
    math.inf,
    1.0,
    0.5,
    -0.0,
)
"""Values that go where they should not: every argument is also drawn from these."""


def canonical_values() -> st.SearchStrategy[object]:
    """Small nested canonical values of every type (what a signed transaction may carry)."""
    atoms = st.one_of(
        st.integers(-(2**70), 2**70),
        st.booleans(),
        st.none(),
        st.text(max_size=8),
        st.binary(max_size=40),
    )
    return st.recursive(
        atoms, lambda inner: st.tuples(inner, inner) | st.tuples(inner), max_leaves=6
    )


def junk() -> st.SearchStrategy[object]:
    """Hostile values: the fixed list above and arbitrary canonical values."""
    fixed = st.sampled_from(range(len(JUNK_ATOMS))).map(JUNK_ATOMS.__getitem__)  # short repr
    return st.one_of(fixed, canonical_values())


def mixed(*valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Valid values (each strategy given) or junk: about three in four valid."""
    good = st.one_of(*valid)
    both = st.one_of(good, good, good, junk())
    both._hostile_valid = good  # type: ignore[attr-defined]  # read by call()
    return both


def _valid(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The valid part of a :func:`mixed` strategy (the strategy itself otherwise)."""
    return getattr(strategy, "_hostile_valid", strategy)


def amounts(high: int = START) -> st.SearchStrategy[Any]:
    """Dust, ordinary and too-large amounts, and junk."""
    return mixed(
        st.integers(1, high),
        st.integers(max(1, high // 20), high),
        st.sampled_from((0, 1, 2, high, high + 1)),
    )


def names(*valid: str) -> st.SearchStrategy[Any]:
    """Names from ``valid`` and the users, or junk."""
    return mixed(st.sampled_from(valid + USERS))


def values(*assets: str, high: int = START) -> st.SearchStrategy[dict[str, Any] | None]:
    """A call's ``value``: none, one of ``assets``, or hostile (zero, negative, floats,
    unknown assets, many at once)."""
    pick = st.sampled_from(assets + ASSETS + ("NOPE",))
    amount = st.one_of(st.integers(1, high), st.sampled_from((0, -1, HUGE, 1.5, True, "1")))
    return st.one_of(
        st.none(),
        st.builds(lambda a, n: {a: n}, st.sampled_from(assets), st.integers(1, high)),
        st.dictionaries(pick, amount, max_size=3),
    )


# -- test contracts -----------------------------------------------------------------------
class Relay(Contract):
    """A contract that calls others as itself: a contract sender, a re-entering view,
    a flash-swap borrower that re-enters the pool. ``plan`` is ``(target, method,
    args)`` or ``()``; the re-entry's revert is swallowed so that the outer call goes on."""

    plan: Var[tuple[Any, ...]] = Var(())
    count: Var[int] = Var(0)

    @public
    def relay(self, ctx: Context, target: str, method: str, args: tuple[Any, ...]) -> Any:
        """Call ``target.method(*args)`` with this contract as the sender."""
        if type(args) is not tuple:
            raise Revert(f"args must be a tuple, got {args!r}")
        return ctx.call(target, method, *args)

    @public
    def arm(self, ctx: Context, plan: tuple[Any, ...]) -> None:
        """What the next view or callback re-enters with."""
        if type(plan) is not tuple:
            raise Revert(f"plan must be (target, method, args) or (), got {plan!r}")
        self.plan = plan

    @public
    def get(self, ctx: Context, *args: Any) -> int:
        """A "view" that writes, then re-enters its plan's target; returns 1."""
        self.count = self.count + 1
        self._reenter(ctx)
        return 1

    @public
    def on_flash(self, ctx: Context, initiator: str, outs: tuple[int, ...], data: Any) -> None:
        """A flash-swap callback that re-enters (and repays nothing unless the plan does)."""
        self._reenter(ctx)

    def _reenter(self, ctx: Context) -> None:
        plan = self.plan
        if type(plan) is tuple and len(plan) == 3 and type(plan[2]) is tuple:
            with suppress(Revert, DeviceError):
                ctx.call(plan[0], plan[1], *plan[2])


# -- the device ---------------------------------------------------------------------------
def hostile_genesis(extra: Mapping[str, AssetSpec] | None = None) -> Genesis:
    """ETH for fees; USD, TOK and GOLD, ``START`` each, for the four users."""
    assets = {
        FEE: AssetSpec(issuer="treasury", alloc={u: 10**18 for u in (*USERS, "builder")}),
        "USD": AssetSpec(issuer="fed", alloc=dict.fromkeys(USERS, START)),
        "TOK": AssetSpec(issuer="mint", alloc=dict.fromkeys(USERS, START)),
        "GOLD": AssetSpec(issuer="vault", alloc=dict.fromkeys(USERS, START)),
    }
    assets.update(extra or {})
    return Genesis(assets=assets, contract_modules=("accord.contracts", "tests"))


def hostile_device(**config: Any) -> Device:
    device = Device(DeviceConfig(**config), hostile_genesis(), seed=11)
    checks.check_every_block(device)
    return device


# -- the checks ---------------------------------------------------------------------------
def locks_match_open_records(
    holder: str,
    table: str,
    noun: str,
    fields: Callable[[Any], tuple[str, str, int, str]],
    open_state: str,
    closed: dict[int, str],
) -> Callable[[Device], None]:
    """An escrowing contract's accounting invariant: every record of its ``table``
    (``fields`` reads ``(owner, asset, amount, state)`` from one) has a positive int
    amount; the ledger's locks held by ``holder`` equal the amounts of the records in
    ``open_state``, by (owner, asset); and a closed record stays closed in its one final
    state (``closed`` remembers them across calls)."""

    def check(device: Device) -> None:
        owed: dict[tuple[str, str], int] = {}
        for key, terms in device.contract_at(holder).storage()[table].items():
            owner, asset, amount, state = fields(terms)
            assert type(amount) is int and amount > 0, terms
            if state == open_state:
                assert key not in closed, f"{noun} {key} reopened"
                owed[(owner, asset)] = owed.get((owner, asset), 0) + amount
            else:
                assert closed.setdefault(key, state) == state, f"{noun} {key} closed twice"
        held = {
            (owner, asset): n
            for (owner, asset, by), n in device.ledger.locked.items()
            if by == holder
        }
        assert held == owed, (held, owed)

    return check


_ALLOWED_ERRORS = frozenset(
    {
        "InsufficientFunds",
        "NotHolder",
        "NotIssuer",
        "UnknownAsset",
        "UnknownContract",
        "UnknownMethod",
        "InvalidValue",
        "OutOfGas",
    }
)
_NAMED = re.compile(r"^([A-Za-z_][\w.]*): ")
_ARITY = re.compile(r"\w+\(\) (missing \d+ required|takes \d+ positional|takes from \d+ to)")


def unclear_error(error: str) -> bool:
    """Whether a revert reason is a stray Python exception from inside contract code
    (``"TypeError: '<' not supported ..."``) rather than a reason given on purpose. A
    call with the wrong number of arguments (the device's arity check) is clear."""
    found = _NAMED.match(error)
    if found is None:
        return False
    name = found.group(1).rsplit(".", 1)[-1]
    if name in _ALLOWED_ERRORS:
        return False
    if name == "TypeError" and _ARITY.search(error):
        return False
    kind = getattr(builtins, name, None)
    is_builtin = isinstance(kind, type) and issubclass(kind, BaseException)
    return is_builtin or name.endswith(("Error", "Exception", "Operation"))


@dataclass
class Snapshot:
    balances: dict[tuple[str, str], int]
    locked: dict[tuple[str, str, str], int]
    supply: dict[str, int]
    storage: dict[str, Any]

    def without_fees(self, payers: Sequence[str]) -> tuple[Any, ...]:
        """Everything but the fee asset's balances of the payers and the builder, and its supply."""
        skip = {*payers, "builder"}
        bal = {k: v for k, v in self.balances.items() if not (k[1] == FEE and k[0] in skip)}
        sup = {k: v for k, v in self.supply.items() if k != FEE}
        return bal, self.locked, sup, self.storage


@dataclass
class Hostile:
    """Sends hostile calls to a device and checks every outcome (module docstring)."""

    device: Device
    watch: list[str] = field(default_factory=list)
    invariant: Callable[[Device], None] | None = None
    rule: Callable[[Step, Snapshot, Receipt], None] | None = None
    """Checks a successful call against the contract's rules (who may, what moves)."""
    aliases: dict[str, str] = field(default_factory=dict)
    """``"@name" -> address``: placeholders in drawn steps (``@target``, ``@relay``)."""
    outcomes: dict[str, int] = field(default_factory=dict)
    last_before: Snapshot | None = None

    def snapshot(self) -> Snapshot:
        ledger = self.device.ledger
        storage = {a: self.device.contract_at(a).storage() for a in self.watch}
        return Snapshot(dict(ledger.balances), dict(ledger.locked), dict(ledger.supply), storage)

    def send(
        self, who: str, to: str, method: str, *args: object, value: Mapping[str, Any] | None = None
    ) -> Receipt | None:
        """Sign and execute one call as ``who``; check it. ``None`` if it was refused."""
        device = self.device
        before = self.last_before = self.snapshot()
        try:
            tx = device.sign(device.account(who), to, method, *args, value=value, gas_limit=GAS)
            receipt = device.execute(tx)
        except (DeviceError, ValueError, TypeError) as exc:
            # refused before it ran (non-canonical argument or value, unknown method, ...)
            assert type(exc) is not TypeError or "canonical" in str(exc), repr(exc)
            self._count("refused")
            after = self.snapshot()
            assert after.without_fees([who]) == before.without_fees([who]), "refusal changed state"
            self.check()
            return None
        self.check_outcome(before, [(who, receipt)])
        return receipt

    def check_outcome(self, before: Snapshot, done: Sequence[tuple[str, Receipt]]) -> None:
        """Check a block's receipts (each with its sender) against the state before it."""
        after = self.snapshot()
        senders = [who for who, _ in done]
        for who, receipt in done:
            assert receipt.status in ("success", "reverted", "out_of_gas"), receipt
            if receipt.status != "success":
                error = receipt.error or ""
                assert error, f"{who}'s call reverted without a reason"
                assert not unclear_error(error), f"unclear revert reason: {error[:300]}"
            self._count(receipt.status)
        if all(r.status != "success" for _, r in done):
            assert after.without_fees(senders) == before.without_fees(senders), (
                "a reverted call changed state"
            )
        self.check_consent(before, after, senders)
        self.check()

    def check_consent(self, before: Snapshot, after: Snapshot, senders: Sequence[str]) -> None:
        """Only the callers' own free funds fell (and contracts'); only callers' funds were
        newly locked."""
        contracts = self.device.contracts
        for key in before.balances.keys() | after.balances.keys():
            account, asset = key
            if account in senders or account in contracts:
                continue
            if asset == FEE and account == "builder":
                continue
            delta = after.balances.get(key, 0) - before.balances.get(key, 0)
            assert delta >= 0, f"{account} lost {-delta} {asset} without calling"
        for key in before.locked.keys() | after.locked.keys():
            grew = after.locked.get(key, 0) - before.locked.get(key, 0)
            assert grew <= 0 or key[0] in senders, f"{key[0]}'s funds were locked by {key[2]}"

    def check(self) -> None:
        device = self.device
        checks.block_invariants(device)
        ledger = device.ledger
        for table in (ledger.balances, ledger.locked, ledger.supply):
            for key, amount in table.items():
                assert type(amount) is int and amount >= 0, (key, amount)
        if self.invariant is not None:
            self.invariant(device)

    def mine(self, blocks: int) -> None:
        for _ in range(blocks):
            self.device.build_block()
        self.check()

    def _count(self, kind: str) -> None:
        self.outcomes[kind] = self.outcomes.get(kind, 0) + 1

    def run(self, target: str, sequence: Sequence[Step]) -> list[Receipt | None]:
        """Play a drawn sequence against ``target``; a ``mine`` step moves blocks."""
        aliases = {"@target": target, **self.aliases}
        out: list[Receipt | None] = []
        for step in sequence:
            if step.method == "mine":
                self.mine(step.blocks)
                continue
            to = aliases.get(step.to, step.to) or target
            args = _resolve(step.args, aliases)
            receipt = self.send(step.who, to, step.method, *args, value=step.value)
            if receipt is not None and receipt.ok and self.rule is not None and to == target:
                assert self.last_before is not None
                self.rule(Step(step.who, step.method, args, step.value), self.last_before, receipt)
            out.append(receipt)
        return out


def _resolve(value: Any, aliases: Mapping[str, str]) -> Any:
    """``value`` with every ``"@name"`` placeholder replaced by its address."""
    if type(value) is str:
        return aliases.get(value, value)
    if type(value) is tuple:
        return tuple(_resolve(v, aliases) for v in value)
    return value


# -- call sequences -----------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One drawn step: a call (``to`` empty: the contract under test) or ``mine``."""

    who: str
    method: str
    args: tuple[Any, ...] = ()
    value: Mapping[str, Any] | None = None
    to: str = ""
    blocks: int = 0

    def __repr__(self) -> str:  # short, for Hypothesis' falsifying examples
        if self.method == "mine":
            return f"mine({self.blocks})"
        args = ", ".join(_short(a) for a in self.args)
        value = f", value={self.value}" if self.value else ""
        return f"{self.who}.{self.method}({args}{value})"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}...<{len(text)} chars>"


Call = st.SearchStrategy[tuple[tuple[Any, ...], Mapping[str, Any] | None]]


def call(*args: st.SearchStrategy[Any], value: Any = None) -> Call:
    """The arguments of one method (a strategy each) and, optionally, its value strategy.

    A third of the draws have every argument valid, a third exactly one argument junk
    (the others valid: so the junk is what the method must refuse), a third each
    argument mixed."""
    vs = value if value is not None else st.none()
    good = [_valid(a) for a in args]
    variants = [st.tuples(*good), st.tuples(*args)]
    if args:
        one_bad = [st.tuples(*good[:k], junk(), *good[k + 1 :]) for k in range(len(args))]
        variants.append(st.one_of(*one_bad))
    return st.tuples(st.one_of(*variants), vs)


def matching(
    args: Call, value_of: Callable[..., Mapping[str, Any]], hostile: st.SearchStrategy[Any]
) -> Call:
    """A method's arguments with, two times in three, the value they call for
    (``value_of(*args)``, when the arguments allow one) and else a hostile value."""

    def build(drawn: tuple[tuple[Any, ...], Any], pick: Any) -> Any:
        if pick != "match":
            return (drawn[0], pick)
        try:
            return (drawn[0], value_of(*drawn[0]))
        except (TypeError, ValueError, KeyError):  # junk arguments: no value fits them
            return (drawn[0], None)

    return st.builds(build, args, st.one_of(st.just("match"), st.just("match"), hostile))


def relayed(target: str, methods: Mapping[str, st.SearchStrategy[tuple[Any, ...]]]) -> Call:
    """Arguments of :meth:`Relay.relay`: ``target``'s method and that method's arguments
    (``methods`` maps a name to a strategy of argument tuples), so the contract calls it."""
    pairs = [st.tuples(st.just(target), st.just(m), args) for m, args in sorted(methods.items())]
    return st.tuples(st.one_of(*pairs), st.none())


def steps(
    methods: Mapping[str, Call],
    *,
    senders: Sequence[str] = USERS,
    max_blocks: int = 6,
    max_size: int = 25,
    focus: Sequence[str] = (),
) -> st.SearchStrategy[list[Step]]:
    """Sequences of calls of ``methods`` (name → :func:`call`) by ``senders``, with
    blocks mined between them (phases), and now and then a wrong number of arguments.
    A name ``"@relay:relay"`` calls method ``relay`` of the contract aliased ``@relay``;
    the names in ``focus`` are drawn four times as often as the others."""

    def one(name: str) -> st.SearchStrategy[Step]:
        def build(who: str, drawn: tuple[tuple[Any, ...], Any], arity: int) -> Step:
            args, value = drawn
            if arity < 0:
                args = args[:arity]
            elif arity > 0:
                args = (*args, *(["extra"] * arity))
            to, _, method = name.rpartition(":")
            return Step(who, method, tuple(args), value, to=to)

        arity = st.sampled_from((0,) * 38 + (-1, 1))
        return st.builds(build, st.sampled_from(senders), methods[name], arity)

    names = sorted(methods) + [name for name in focus for _ in range(3)]
    call_step = st.sampled_from(names).flatmap(one)
    mine = st.builds(lambda n: Step("", "mine", blocks=n), st.integers(1, max_blocks))
    return st.lists(st.one_of(call_step, call_step, call_step, mine), min_size=2, max_size=max_size)


# -- commit-reveal ------------------------------------------------------------------------
SALT = b"hostile-salt-16b"


def commitments(opened: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Commitments to a value drawn from ``opened`` by any user (often not the sender:
    a copied commitment), or junk (wrong length, not bytes)."""

    def seal(value: Any, who: str) -> Any:
        try:
            return commitment_hash(value, SALT, who)
        except ValueError:  # a value no commitment can hold: send it as the commitment
            return value

    return mixed(st.builds(seal, opened, st.sampled_from(USERS)))


def salts() -> st.SearchStrategy[Any]:
    return mixed(st.just(SALT), st.just(SALT), st.just(b"\x00" * 16))
