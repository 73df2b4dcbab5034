"""FormalContract under generated hostile calls, and money over random contract lives.

Part one draws call sequences (:func:`~tests.contracts.hostile_args.steps`) of every
method with hostile arguments (wrong types, bools, negative, huge, NaN, nested, wrong
lengths, duplicated parties, a party as observer, unknown assets, spaces that break
their own bounds), by parties, outsiders and a contract observer
(:class:`~tests.contracts.hostile_args.Relay`), in every phase (settle before the
contract is active, after it ended, twice for one step; accept after the deadline;
close early). After every call, besides :class:`~tests.contracts.hostile_args.Hostile`'s
checks (conservation, a revert changes nothing, nobody loses funds without calling,
clear reasons):

* the contract holds locked exactly what is left of the open contracts' deposits, per
  party and asset, and no free balance;
* every contract's transfers so far sum to 0, nothing is left of a final one's deposits,
  and a final contract never reopens;
* every account's money of each asset equals its start plus its net transfers, minus the
  keeper fees it paid, plus those it received as an observer: no unit is created or lost;
* a successful call was allowed to its sender in its phase (settle: the observer only,
  for a step after the last; accept and reject: a party; close: the observer or anyone
  after the deadline).

Part two is a Hypothesis state machine of valid lives (proposals with random terms,
acceptances, rejections, settlements with random features, closes, blocks mined) that
checks the same conservation after every step, and that each settlement moved exactly
what :func:`accord.mechanisms.contracting.settle_step` says it must.

Re-entry: the contract calls no other contract, so an observer contract can only call
``settle`` again within its own transaction; :class:`DoubleSettle` does exactly that
(the same step twice, then the next), and only the first settlement of a step counts.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from accord.contracts.formal_contract import (
    OPEN_STATES,
    PROPOSED,
    FormalContract,
)
from accord.device import Context, Contract, Device, Receipt, Revert, public
from accord.mechanisms.contracting import (
    ContractSpace,
    cleanup_space,
    fishery_space,
    matrix_space,
    settle_step,
    settle_steps,
    split,
    transfers,
    unilateral_space,
)
from tests.contracts.hostile_args import (
    ASSETS,
    START,
    USERS,
    Hostile,
    Relay,
    Snapshot,
    Step,
    call,
    hostile_device,
    junk,
    mixed,
    relayed,
    steps,
)

SPACES = (
    matrix_space(50),
    fishery_space(10, 20, 30),
    cleanup_space(15, 4),
    unilateral_space(1, 400, feature_max=3),
)
BAD_SPACES = (
    ("m", "defector_pays", (("theta", 5, 1),), 1),  # low above high
    ("m", "defector_pays", (("theta", 0, 10),), 0),  # no feature may be reported
    ("m", "nope", (("theta", 0, 10),), 1),
    ("m", "defector_pays", (("theta", 0, 2**200),), 1),
    ("m", "defector_pays", (("theta", 0, 10), ("x", 0, 1)), 1),
    ("m", "defector_pays", [("theta", 0, 10)], 1),
)
PARTY_SETS = (
    ("alice", "bob", "carol"),
    ("alice", "bob"),
    ("bob", "carol"),
    ("alice", "alice"),  # duplicated
    ("alice",),  # too few
    ("alice", "bob", ""),  # an empty address
    ("alice", "bob", "@relay"),  # a contract party
    tuple(f"p{i}" for i in range(33)),  # too many
)
SENDERS = (*USERS, "mallory", "mallory")
"""mallory observes contract 0: drawn three times as often as the others."""
CID = mixed(st.integers(0, 3), st.just(0), st.just(1))
STEP = mixed(st.integers(0, 8), st.just(2**63), st.just(-1))
FEATURES = mixed(
    st.lists(st.integers(0, 4), min_size=3, max_size=3).map(tuple),
    st.lists(st.integers(0, 4), min_size=2, max_size=2).map(tuple),
    st.lists(st.integers(0, 1), min_size=3, max_size=3).map(tuple),
    st.lists(junk(), min_size=1, max_size=4).map(tuple),
    st.just((0, 2**64, 0)),
    st.just((True, False, True)),
    st.just((0, -1, 0)),
)
SPACE_DATA = mixed(st.sampled_from([s.to_data() for s in SPACES]), st.sampled_from(BAD_SPACES))
PARAMS = mixed(
    st.tuples(st.integers(0, 60)),
    st.tuples(st.integers(0, 12), st.integers(0, 25)),
    st.just((True,)),
    st.just((5, 5, 5)),
)
DEPOSITS = mixed(
    st.lists(st.integers(0, 400), min_size=3, max_size=3).map(tuple),
    st.lists(st.integers(0, 400), min_size=2, max_size=2).map(tuple),
    st.just((START + 1, 1, 1)),
    st.just((2**129, 0)),
    st.just((-5, 5)),
)
PROPOSE = call(
    mixed(st.sampled_from(PARTY_SETS)),
    SPACE_DATA,
    PARAMS,
    mixed(st.sampled_from(("USD", "TOK", "NOPE"))),
    DEPOSITS,
    mixed(st.sampled_from(("mallory", "@relay", "alice", ""))),
    mixed(st.sampled_from(("", "*", "alice", "bob", "mallory"))),
    mixed(st.integers(0, 9), st.just(0)),
    mixed(st.integers(0, 4)),
    mixed(st.integers(0, 10)),
    mixed(st.integers(0, 40)),
)
STEPS = mixed(
    st.lists(st.integers(0, 12), min_size=1, max_size=5, unique=True).map(
        lambda xs: tuple(sorted(xs))
    ),
    st.lists(st.integers(0, 12), min_size=1, max_size=5).map(tuple),  # not increasing
    st.just(tuple(range(300))),  # too many
    st.just(()),
)
ROWS = mixed(
    st.lists(FEATURES, min_size=1, max_size=5).map(tuple),
    st.lists(
        st.lists(st.integers(0, 1), min_size=3, max_size=3).map(tuple), min_size=1, max_size=5
    ).map(tuple),
)
METHODS = {
    "propose": PROPOSE,
    "settle_many": call(CID, STEPS, ROWS),
    "accept": call(CID),
    "reject": call(CID),
    "settle": call(CID, STEP, FEATURES),
    "close": call(CID),
    "terms": call(CID),
    "state": call(CID),
    "status": call(CID),
    "deposits_left": call(CID),
    "transferred": call(CID),
    "count": call(),
    "@relay:relay": relayed(
        "@target",
        {
            "settle": st.tuples(CID, STEP, FEATURES),
            "settle_many": st.tuples(CID, STEPS, ROWS),
            "accept": st.tuples(CID),
            "close": st.tuples(CID),
            "propose": PROPOSE.map(lambda drawn: drawn[0]),
        },
    ),
}


class DoubleSettle(Contract):
    """An observer contract that settles one step twice in one transaction, then the
    next step: a re-entering observer."""

    @public
    def twice(
        self, ctx: Context, target: str, cid: int, step: int, features: tuple[int, ...]
    ) -> tuple[Any, ...]:
        first = ctx.call(target, "settle", cid, step, features)
        again: Any = None
        with suppress(Revert):
            again = ctx.call(target, "settle", cid, step, features)
        later = ctx.call(target, "settle", cid, step + 1, features)
        return first, again, later


# -- checks ---------------------------------------------------------------------------
def money_identity(device: Device, contract: str, accounts: list[str]) -> None:
    """Every account's holdings = start + net transfers − fees paid + fees received."""
    store = device.contract_at(contract).storage()
    expected: dict[tuple[str, str], int] = {}
    for a in accounts:
        for asset in ASSETS:
            expected[(a, asset)] = START if a in USERS else 0
    for cid, terms in store["terms_of"].items():
        state = store["state_of"][cid]
        parties, asset, observer = terms[1], terms[4], terms[6]
        for who, moved, fee in zip(parties, state[3], state[4], strict=True):
            expected[(who, asset)] = expected.get((who, asset), 0) + moved - fee
        expected[(observer, asset)] = expected.get((observer, asset), 0) + sum(state[4])
    ledger = device.ledger
    held: dict[tuple[str, str], int] = {}
    for (owner, asset), n in ledger.balances.items():
        held[(owner, asset)] = held.get((owner, asset), 0) + n
    for (owner, asset, _), n in ledger.locked.items():
        held[(owner, asset)] = held.get((owner, asset), 0) + n
    for key, want in expected.items():
        if key[1] in ASSETS:
            assert held.get(key, 0) == want, (key, held.get(key, 0), want)


def contract_invariant(contract: str, closed: dict[int, str], accounts: list[str]) -> Any:
    def check(device: Device) -> None:
        store = device.contract_at(contract).storage()
        owed: dict[tuple[str, str], int] = {}
        for cid, terms in store["terms_of"].items():
            state = store["state_of"][cid]
            status, accepted, left, moved, fees, _ = state
            parties, asset, deposits = terms[1], terms[4], terms[5]
            assert sum(moved) == 0, (cid, moved)
            assert all(type(x) is int and x >= 0 for x in (*left, *fees)), state
            if status in OPEN_STATES:
                assert cid not in closed, f"contract {cid} reopened"
                for who, a, rest, deposit in zip(parties, accepted, left, deposits, strict=True):
                    assert rest <= deposit and (a or rest == 0), (cid, state)
                    if rest:
                        owed[(who, asset)] = owed.get((who, asset), 0) + rest
            else:
                assert not any(left), f"final contract {cid} kept deposits {left}"
                assert closed.setdefault(cid, status) == status, f"contract {cid} changed"
        held = {(o, a): n for (o, a, h), n in device.ledger.locked.items() if h == contract and n}
        assert held == owed, (held, owed)
        assert not any(n for (who, _), n in device.ledger.balances.items() if who == contract)
        money_identity(device, contract, accounts)

    return check


def contract_rule(device: Device, contract: str) -> Any:
    """Who may do what, checked on every successful call to the contract."""

    def check(step: Step, before: Snapshot, receipt: Receipt) -> None:
        if step.method not in ("accept", "reject", "settle", "settle_many", "close"):
            return
        store = before.storage[contract]
        cid = step.args[0]
        terms, state = store["terms_of"][cid], store["state_of"][cid]
        assert state[0] in OPEN_STATES, (step, state)
        if step.method in ("accept", "reject"):
            assert step.who in terms[1] and state[0] == PROPOSED, step
        elif step.method in ("settle", "settle_many"):
            assert step.who == terms[6], step
            steps = (step.args[1],) if step.method == "settle" else step.args[1]
            assert list(steps) == sorted(set(steps)), step
            assert steps[0] > state[5] and terms[9] <= steps[0] and steps[-1] <= terms[10], step
        else:
            assert step.who == terms[6] or device.number > terms[11], step

    return check


def setup(device: Device) -> tuple[Hostile, str, str]:
    contract = device.deploy(device.account("alice"), FormalContract)
    relay = device.deploy(device.account("mallory"), Relay)
    accounts = [*USERS, relay, contract, "builder"]
    hostile = Hostile(
        device,
        watch=[contract],
        invariant=contract_invariant(contract, {}, accounts),
        aliases={"@relay": relay},
    )
    hostile.rule = contract_rule(device, contract)
    pd, fish = SPACES[0].to_data(), SPACES[1].to_data()
    # contract 0: a PD among three, mallory observes, keeper fee shared; 1: a fishery
    # quota between two, starting at step 2, observed by a contract
    for args in (
        (
            ("alice", "bob", "carol"),
            pd,
            (20,),
            "USD",
            (300, 300, 300),
            "mallory",
            "*",
            3,
            0,
            30,
            40,
        ),
        (("alice", "bob"), fish, (3, 10), "TOK", (200, 100), relay, "bob", 1, 2, 9, 40),
    ):
        receipt = hostile.send("alice", contract, "propose", *args)
        assert receipt is not None and receipt.ok, receipt
    # contract 0 active (1 stays a proposal until bob accepts); 2: a cleanup contract
    # observed by the relay contract, active
    for who in ("bob", "carol"):
        receipt = hostile.send(who, contract, "accept", 0)
        assert receipt is not None and receipt.ok, receipt
    clean = SPACES[2].to_data()
    args = (("bob", "carol", "alice"), clean, (7,), "USD", (90, 60, 30), relay, "", 0, 1, 30, 60)
    for who, method, call_args in (
        ("alice", "propose", args),
        ("bob", "accept", (2,)),
        ("carol", "accept", (2,)),
    ):
        receipt = hostile.send(who, contract, method, *call_args)
        assert receipt is not None and receipt.ok, receipt
    return hostile, contract, relay


@settings(max_examples=80, deadline=None)
@given(steps(METHODS, senders=SENDERS, focus=("settle", "@relay:relay", "accept")))
@example(
    [
        Step("bob", "accept", (0,)),
        Step("carol", "accept", (0,)),
        Step("mallory", "settle", (0, 1, (1, 0, 0))),
        Step("mallory", "settle", (0, 1, (1, 0, 0))),  # twice for one step
        Step("bob", "settle", (0, 2, (0, 1, 0))),  # a party settling
        Step("mallory", "settle", (0, 3, (0, float("nan"), 0))),
        Step("mallory", "settle", (0, 3, (0, True, 0))),
        Step("eve", "accept", (1,)),
    ]
)
@example([Step("mallory", "settle", (0, 0, (1, 0, 0)))])  # before it is active
@example([Step("alice", "close", (0,)), Step("alice", "reject", (1,))])
def test_formal_contract_hostile_sequences(sequence: list[Step]) -> None:
    device = hostile_device()
    hostile, contract, _ = setup(device)
    hostile.run(contract, sequence)


_BITS = st.lists(st.integers(0, 1), min_size=3, max_size=3).map(tuple)
FEATURES_OK = st.one_of(
    _BITS, _BITS, st.lists(st.integers(0, 4), min_size=3, max_size=3).map(tuple)
)
_RUN = st.integers(0, 30).flatmap(lambda a: st.integers(1, 4).map(lambda k: tuple(range(a, a + k))))
SETTLING = {
    "settle": call(st.sampled_from((0, 0, 0, 2)), st.integers(0, 30), FEATURES_OK),
    "settle_many": st.tuples(
        st.tuples(st.sampled_from((0, 0, 2)), _RUN).flatmap(
            lambda head: st.lists(FEATURES_OK, min_size=len(head[1]), max_size=len(head[1])).map(
                lambda rows: (*head, tuple(rows))
            )
        ),
        st.none(),
    ),
    "accept": call(st.integers(0, 2)),
    "close": call(st.integers(0, 2)),
    "@relay:relay": relayed(
        "@target",
        {
            "settle": st.tuples(st.sampled_from((2, 2, 1, 0)), st.integers(0, 30), FEATURES_OK),
            "close": st.tuples(st.just(2)),
        },
    ),
}


@settings(max_examples=60, deadline=None)
@given(steps(SETTLING, senders=("mallory", "mallory", "bob", "alice"), max_blocks=20))
def test_formal_contract_settlement_sequences(sequence: list[Step]) -> None:
    """Mostly valid settlements (and some one-argument-junk ones) of the active contracts,
    by their observers and others, out of order, with closes and deadlines passing."""
    device = hostile_device()
    hostile, contract, _ = setup(device)
    hostile.run(contract, sequence)


def test_a_reentering_observer_settles_a_step_once() -> None:
    device = hostile_device()
    hostile, contract, _ = setup(device)
    double = device.deploy(device.account("mallory"), DoubleSettle)
    pd = SPACES[0].to_data()
    args = (("alice", "bob"), pd, (20,), "USD", (50, 50), double, "", 0, 0, 9, 40)
    receipt = hostile.send("alice", contract, "propose", *args)
    assert receipt is not None and receipt.ok
    cid = receipt.result
    accepted = hostile.send("bob", contract, "accept", cid)
    assert accepted is not None and accepted.ok
    receipt = hostile.send("carol", double, "twice", contract, cid, 0, (1, 0))
    assert receipt is not None and receipt.ok, receipt
    first, again, later = receipt.result  # type: ignore[misc]
    assert first[0] == (-20, 20) and again is None and later[0] == (-20, 20)
    assert device.view(contract, "transferred", cid) == (-40, 40)
    assert device.view(contract, "state", cid)[5] == 1


# -- part two: a state machine of valid lives ---------------------------------------
class Lives(RuleBasedStateMachine):
    """Random proposals, answers, settlements and closes; money is checked after each."""

    def __init__(self) -> None:
        super().__init__()
        self.device = hostile_device()
        self.contract = self.device.deploy(self.device.account("alice"), FormalContract)
        self.accounts = [*USERS, self.contract, "builder"]
        self.check = contract_invariant(self.contract, {}, self.accounts)
        self.steps: dict[int, int] = {}

    def call(self, who: str, method: str, *args: Any) -> Receipt:
        device = self.device
        tx = device.sign(device.account(who), self.contract, method, *args, gas_limit=3_000_000)
        return device.execute(tx)

    def view(self, method: str, *args: Any) -> Any:
        return self.device.view(self.contract, method, *args)

    @rule(
        data=st.data(),
        space=st.sampled_from(SPACES),
        n=st.integers(2, 3),
        proposer=st.sampled_from(USERS),
        fee=st.sampled_from(("", "*", "party")),
        start=st.integers(0, 3),
        all_accept=st.sampled_from((True, True, False)),
    )
    def propose(
        self,
        data: st.DataObject,
        space: ContractSpace,
        n: int,
        proposer: str,
        fee: str,
        start: int,
        all_accept: bool,
    ) -> None:
        parties = data.draw(st.permutations(USERS[:3]))[:n]
        params = tuple(data.draw(st.integers(p.low, p.high)) for p in space.params)
        deposits = tuple(data.draw(st.integers(0, 500)) for _ in parties)
        fee_payer = parties[0] if fee == "party" else fee
        keeper = data.draw(st.integers(0, 7)) if fee_payer else 0
        if keeper and fee_payer == "*":
            deposits = tuple(d + 1 for d in deposits)
        elif keeper:
            deposits = (deposits[0] + 1, *deposits[1:])
        asset = data.draw(st.sampled_from(("USD", "TOK")))
        end = start + data.draw(st.integers(0, 6))
        receipt = self.call(
            proposer,
            "propose",
            tuple(parties),
            space.to_data(),
            params,
            asset,
            deposits,
            "mallory",
            fee_payer,
            keeper,
            start,
            end,
            self.device.number + 30,
        )
        assert receipt.ok, receipt.error
        cid = receipt.result
        if all_accept:
            for who, accepted in zip(parties, self.view("state", cid)[1], strict=True):
                if not accepted:
                    assert self.call(who, "accept", cid).ok
            assert self.view("status", cid) == "active"

    def _ids(self) -> list[int]:
        return list(range(self.view("count")))

    @precondition(lambda self: self.view("count") > 0)
    @rule(data=st.data(), accept=st.booleans())
    def answer(self, data: st.DataObject, accept: bool) -> None:
        cid = data.draw(st.sampled_from(self._ids()))
        terms, state = self.view("terms", cid), self.view("state", cid)
        who = data.draw(st.sampled_from(terms[1]))
        late = self.device.number + 1 > terms[11]
        receipt = self.call(who, "accept" if accept else "reject", cid)
        i = terms[1].index(who)
        allowed = state[0] == PROPOSED and not (accept and (state[1][i] or late))
        assert receipt.ok == allowed, (receipt.error, state)

    def _open_ids(self) -> list[int]:
        return [c for c in self._ids() if self.view("status", c) in OPEN_STATES]

    @precondition(lambda self: self.view("count") > 0)
    @rule(data=st.data(), skip=st.integers(0, 2), any_id=st.booleans())
    def settle(self, data: st.DataObject, skip: int, any_id: bool) -> None:
        ids = self._ids() if any_id else self._open_ids() or self._ids()
        cid = data.draw(st.sampled_from(ids))
        terms, state = self.view("terms", cid), self.view("state", cid)
        space = ContractSpace.from_data(terms[2])
        n = len(terms[1])
        features = tuple(data.draw(st.integers(0, space.feature_max)) for _ in range(n))
        step = max(state[5] + 1, terms[9]) + skip
        receipt = self.call("mallory", "settle", cid, step, features)
        if state[0] not in OPEN_STATES or step > terms[10]:
            assert not receipt.ok
            return
        assert receipt.ok, receipt.error
        moved, fees, status = receipt.result  # type: ignore[misc]
        if state[0] == PROPOSED:
            assert status == "expired" and not any(moved) and not any(fees)
            return
        fee_payer, keeper = terms[7], terms[8]
        due = (0,) * n
        if keeper:
            due = (
                split(keeper, n)
                if fee_payer == "*"
                else tuple(keeper if p == fee_payer else 0 for p in terms[1])
            )
        want = settle_step(transfers(space, terms[3], features), state[2], due)
        assert (moved, fees) == (want.transfers, want.fees)
        final = "exhausted" if want.exhausted else "ended" if step == terms[10] else "active"
        assert status == final

    @precondition(lambda self: self.view("count") > 0)
    @rule(data=st.data(), k=st.integers(1, 5))
    def settle_many(self, data: st.DataObject, k: int) -> None:
        """Several steps at once move what :func:`settle_steps` says, in one call."""
        ids = self._open_ids() or self._ids()
        cid = data.draw(st.sampled_from(ids))
        terms, state = self.view("terms", cid), self.view("state", cid)
        space = ContractSpace.from_data(terms[2])
        n = len(terms[1])
        first = max(state[5] + 1, terms[9])
        steps = tuple(range(first, first + k))
        top = space.feature_max
        rows = tuple(tuple(data.draw(st.integers(0, top)) for _ in range(n)) for _ in range(k))
        receipt = self.call("mallory", "settle_many", cid, steps, rows)
        if state[0] not in OPEN_STATES or steps[-1] > terms[10]:
            assert not receipt.ok
            return
        assert receipt.ok, receipt.error
        done, status = receipt.result  # type: ignore[misc]
        if state[0] == PROPOSED:
            assert done == () and status == "expired"
            return
        fee_payer, keeper = terms[7], terms[8]
        due = (0,) * n
        if keeper:
            due = (
                split(keeper, n)
                if fee_payer == "*"
                else tuple(keeper if p == fee_payer else 0 for p in terms[1])
            )
        want = settle_steps(space, terms[3], rows, state[2], due)
        assert done == tuple((w.transfers, w.fees) for w in want.steps)
        last = steps[len(done) - 1]
        assert status == (
            "exhausted" if want.exhausted else "ended" if last == terms[10] else "active"
        )
        if status == "active":
            assert self.view("state", cid)[5] == last

    @precondition(lambda self: self.view("count") > 0)
    @rule(data=st.data(), skip=st.integers(0, 1))
    def settle_an_open_one(self, data: st.DataObject, skip: int) -> None:
        """Settlements of open contracts, drawn twice as often as the others."""
        self.settle(data, skip, False)

    @precondition(lambda self: self.view("count") > 0)
    @rule(data=st.data(), who=st.sampled_from(USERS))
    def close(self, data: st.DataObject, who: str) -> None:
        cid = data.draw(st.sampled_from(self._ids()))
        terms, state = self.view("terms", cid), self.view("state", cid)
        late = self.device.number + 1 > terms[11]  # the block the close runs in
        receipt = self.call(who, "close", cid)
        allowed = state[0] in OPEN_STATES and (late or (who == "mallory" and state[0] != PROPOSED))
        assert receipt.ok == allowed, (receipt.error, state, who)

    @rule(blocks=st.integers(1, 8))
    def mine(self, blocks: int) -> None:
        self.device.build_blocks(blocks)

    @invariant()
    def money_is_conserved(self) -> None:
        self.check(self.device)


Lives.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
TestLives = Lives.TestCase


def send(device: Device, contract: str, who: str, method: str, *args: Any) -> Receipt:
    tx = device.sign(device.account(who), contract, method, *args, gas_limit=3_000_000)
    return device.execute(tx)


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(SPACES),
    st.lists(st.lists(st.integers(0, 4), min_size=3, max_size=3), min_size=1, max_size=8),
    st.lists(st.integers(0, 150), min_size=3, max_size=3),
    st.sampled_from(("", "*", "bob")),
)
def test_settle_many_moves_exactly_what_settling_one_by_one_moves(
    space: ContractSpace, rows: list[list[int]], deposits: list[int], fee_payer: str
) -> None:
    """Two devices, the same contract: one settles the rows one by one, the other in one
    ``settle_many``. Balances, locks, the contract's state and the results agree."""
    rows_t = tuple(tuple(min(x, space.feature_max) for x in row) for row in rows)
    params = tuple(min(p.high, 7 + i) for i, p in enumerate(space.params))
    keeper = 2 if fee_payer else 0
    dep = tuple(d + 3 for d in deposits)
    end = len(rows_t) + 2
    outcomes = []
    for batched in (False, True):
        device = hostile_device()
        contract = device.deploy(device.account("alice"), FormalContract)
        names = ("alice", "bob", "carol")

        args = (
            names,
            space.to_data(),
            params,
            "USD",
            dep,
            "mallory",
            fee_payer,
            keeper,
            0,
            end,
            99,
        )
        assert send(device, contract, "alice", "propose", *args).ok
        for who in names[1:]:
            assert send(device, contract, who, "accept", 0).ok
        results: list[Any] = []
        if batched:
            r = send(
                device, contract, "mallory", "settle_many", 0, tuple(range(len(rows_t))), rows_t
            )
            assert r.ok, r.error
            results = [*r.result[0], r.result[1]]  # type: ignore[index]
        else:
            status = "active"
            for step, row in enumerate(rows_t):
                if status != "active":
                    break
                r = send(device, contract, "mallory", "settle", 0, step, row)
                assert r.ok, r.error
                moved, fees, status = r.result  # type: ignore[misc]
                results.append((moved, fees))
            results.append(status)
        ledger = device.ledger
        usd = {k: v for k, v in ledger.balances.items() if k[1] == "USD"}
        locks = {k: v for k, v in ledger.locked.items() if k[1] == "USD" and v}
        state = device.view(contract, "state", 0)
        outcomes.append((results, usd, locks, state))
    assert outcomes[0] == outcomes[1]
