"""The device-wide hostile suite: arbitrary mixes of hostile transactions, bundles, spam,
builder insertions and calls to the hostile test contracts (under the step meter) across
accounts, under every ordering rule, visibility and fee
market, with the device checked after every block.

The per-area suites (``test_admission.py``, ``test_liveness.py``, ``test_keys.py``...)
pin each defence on its own; this one mixes everything, as agents that explore every
action will. A transaction is built field by field from every type (negative, float,
NaN, huge, nested, wrong length, non-str, bytes, duplicate value entries) and signed
with its sender's own key, so that its only defect is the hostile field.

After every ``build_block``: it did not raise, conservation and non-negativity hold
(:func:`accord.device.checks.block_invariants`), every balance, lock and supply is an
``int``, ``state_hash()`` equals the head's and the block took bounded wall time. A
refused submission raises a :class:`Rejected` error and changes nothing. At the end the
event log replays to the same head.
"""

from __future__ import annotations

import hashlib
import marshal
import time
from typing import Any, ClassVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.device import (
    DEPLOY,
    Bundle,
    Device,
    DeviceConfig,
    Rejected,
    Transaction,
    checks,
)
from accord.device.builder import BuildRequest, Choice
from accord.device.commitments.registry import REGISTRY_ADDRESS
from accord.device.keys import Keyring
from accord.device.replay import replay
from tests.device.conftest import USERS, make_genesis
from tests.device.hostile_contracts import Hostile
from tests.device.sample_contracts import Escrow, Vault

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
BLOCK_SECONDS = 10.0
"""A block's wall-time bound: generous, since CI machines are shared (the fuzzer,
``benchmarks/fuzz_device.py``, reports the real maximum)."""
SIGNERS = (*USERS, "empty", "builder")

huge = st.sampled_from([2**63, 2**64, 2**256, 10**80, -(2**63), -(2**256)])
hostile_scalar = st.one_of(
    st.integers(-(10**6), 10**6),
    huge,
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=4),
    st.binary(max_size=4),
    st.complex_numbers(max_magnitude=10),
)
hostile = st.recursive(
    hostile_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=2), inner, max_size=2),
        st.frozensets(st.integers(), max_size=2),
    ),
    max_leaves=6,
)
amount = st.one_of(st.integers(0, 10**6), st.integers(0, 10**6), hostile)
asset = st.one_of(st.sampled_from(["ETH", "USD", "TOK", "NOPE"]), hostile)
value = st.one_of(
    st.lists(st.tuples(asset, amount), max_size=3).map(tuple),
    st.sampled_from([(("ETH", 5), ("ETH", 5)), (("USD", 1), ("USD", 1)), (("ETH", -5),)]),
    hostile,
)
method_name = st.one_of(
    st.sampled_from(
        [
            *("", "move", "deposit", "withdraw", "refund", "pay", "boom", "post", "_take"),
            *("setup", "__init__", "storage", "this:X", ".x:Y", "os:system", "sys:exit"),
            *("tests.device.sample_contracts:Vault", "accord.device.ledger:Ledger"),
        ]
    ),
    hostile,
)
small_args = st.lists(
    st.one_of(st.sampled_from([*USERS, "ETH", "USD"]), st.integers(-5, 10**6), hostile),
    max_size=4,
).map(tuple)

# A transaction's fields: a sane value most of the time, a hostile one otherwise. The
# nonce is an offset from the sender's next nonce, or hostile.
tx_fields = st.fixed_dictionaries(
    {
        "signer": st.sampled_from(SIGNERS),
        "sender": st.one_of(st.just(None), st.sampled_from(SIGNERS), hostile),
        "nonce": st.one_of(st.integers(0, 2), st.integers(0, 2), hostile),
        "to": st.one_of(
            st.sampled_from(["vault", "escrow", "registry", "user", "deploy"]), hostile
        ),
        "method": method_name,
        "args": st.one_of(small_args, small_args, hostile),
        "value": value,
        "gas_limit": st.one_of(st.integers(0, 3_000_000), st.just(100_000), hostile),
        "max_fee": st.one_of(st.integers(0, 10**7), st.just(10**6), hostile),
        "priority_fee": st.one_of(st.integers(0, 10**4), hostile),
        "shape": st.sampled_from(["ok"] * 12 + ["short", "long", "forged", "list"]),
    }
)
spam = st.tuples(st.just("spam"), st.integers(1, 40))
HOSTILE_CALLS: tuple[tuple[str, tuple[Any, ...]], ...] = (
    ("bump", ()),
    ("spin", ()),
    ("spin_writing", ()),
    ("recurse", (0,)),
    ("hoard", (10**6,)),
    ("exit", ()),
    ("base_exception", ("generator_exit",)),
    ("base_exception", ("custom",)),
    ("exhaust", ("memory",)),
    ("exhaust", ("recursion",)),
    ("swallow", ()),
    ("swallow_once", ()),
    ("ping", ("hostile", 0)),
    ("act_for", ("bob", 10**6)),
    ("bid", ("spin",)),
    ("bid", ("exit",)),
    ("bid", ("memory",)),
    ("bid", ("short",)),
)
"""Calls to ``tests/device/hostile_contracts.Hostile`` (run under the step meter):
infinite loops, deep recursion, huge storage, ``sys.exit``, other BaseExceptions,
resource exhaustion, catching OutOfGas, re-entrancy and reaching for another's funds
(``"hostile"`` stands for the contract's own address)."""
hostile_call = st.tuples(
    st.just("hostile"),
    st.sampled_from(SIGNERS),
    st.sampled_from(HOSTILE_CALLS),
    st.sampled_from([50_000, 400_000, 2_000_000]),
)
step = st.one_of(
    st.tuples(st.just("tx"), tx_fields),
    st.tuples(st.just("tx"), tx_fields),
    st.tuples(
        st.just("bundle"),
        st.lists(tx_fields, max_size=3),
        st.one_of(st.integers(-2, 3), hostile),  # min_block offset
        st.one_of(st.integers(-2, 3), st.none(), hostile),  # max_block offset
        st.sampled_from(["none", "own", "foreign", "hostile"]),  # reverting
    ),
    spam,
    hostile_call,
    st.tuples(
        st.just("builder"), st.lists(st.one_of(tx_fields, st.binary(max_size=32)), max_size=4)
    ),
    st.tuples(st.just("block")),
)
design = st.fixed_dictionaries(
    {
        "ordering": st.sampled_from(["fcfs", "priority", "random", "batch"]),
        "mempool": st.sampled_from(["public", "private", "sealed"]),
        "fee_market": st.sampled_from(["eip1559", "first_price"]),
        "builder_may_insert": st.booleans(),
        "ordering_enforced": st.booleans(),
    }
)


def sign_raw(device: Device, signer: str, content: tuple[Any, ...]) -> Transaction:
    """Sign arbitrary contents with ``signer``'s own key (as a sender that wants the
    device to take a malformed transaction would)."""
    try:
        digest = hashlib.blake2b(marshal.dumps(content, 0), digest_size=32).digest()
    except ValueError:  # contents the canonical encoding refuses
        digest = hashlib.blake2b(repr(content).encode(), digest_size=32).digest()
    return Transaction(*content, digest, device.account(signer).sign_digest(digest))


class World:
    """A device with three contracts (one hostile), and the hostile steps applied to it."""

    def __init__(self, config: dict[str, Any]) -> None:
        keys = Keyring(b"\x07" * 32)  # fixed keys: two worlds sign alike
        genesis = make_genesis().model_copy(update={"metered_modules": (Hostile.__module__,)})
        self.device = device = Device(DeviceConfig(**config), genesis, keyring=keys)
        deployer = device.account("alice")
        self.targets = {
            "vault": device.deploy(deployer, Vault),
            "escrow": device.deploy(deployer, Escrow),
            "hostile": device.deploy(deployer, Hostile),
            "registry": REGISTRY_ADDRESS,
            "user": "bob",
            "deploy": DEPLOY,
        }
        self.spam_nonce = 0
        self.blocks = 0

    def transaction(self, fields: dict[str, Any]) -> Any:
        device = self.device
        signer = fields["signer"]
        sender = signer if fields["sender"] is None else fields["sender"]
        nonce = fields["nonce"]
        if type(nonce) is int and 0 <= nonce <= 2 and type(sender) is str:
            nonce += device.nonce(sender)
        to = fields["to"]
        to = self.targets.get(to, to) if isinstance(to, str) else to
        content = (
            sender,
            nonce,
            to,
            fields["method"],
            fields["args"],
            fields["value"],
            fields["gas_limit"],
            fields["max_fee"],
            fields["priority_fee"],
        )
        tx = sign_raw(device, signer, content)
        shape = fields["shape"]
        if shape == "short":
            return tuple(tx)[:10]
        if shape == "long":
            return (*tuple(tx), b"x")
        if shape == "list":
            return list(tx)
        if shape == "forged":
            other = "bob" if signer != "bob" else "carol"
            return tx._replace(signature=sign_raw(device, other, content).signature)
        return tx

    def submit(self, item: Any, bundle_sender: str = "alice") -> None:
        """Submit; a refusal must be a :class:`Rejected` error that changes nothing."""
        device = self.device
        before = (len(device.mempool), len(device.mempool.bundles()), device.state_hash())
        try:
            if isinstance(item, Bundle):
                device.submit_bundle(item, sender=bundle_sender)
            else:
                device.submit(item)
        except Rejected as exc:
            assert exc.field, f"{exc!r} names no field"
            after = (len(device.mempool), len(device.mempool.bundles()), device.state_hash())
            assert after == before, f"a refused input changed the device: {item!r}"

    def bundle(self, txs: list[Any], low: Any, high: Any, reverting: str) -> Bundle:
        number = self.device.number
        start = number + low if type(low) is int else low
        end = number + high if type(high) is int else high
        hashes = [t.hash for t in txs if isinstance(t, Transaction)]
        allowed: Any = {
            "none": frozenset(),
            "own": frozenset(hashes),
            "foreign": frozenset({b"\x01" * 32, b"\x02" * 32}),
            "hostile": [1, "x", None],
        }[reverting]
        bundle = object.__new__(Bundle)  # as any caller in the process can: no checks
        for name, field_value in (
            ("txs", tuple(txs)),
            ("min_block", start),
            ("max_block", end),
            ("reverting", allowed),
        ):
            object.__setattr__(bundle, name, field_value)
        return bundle

    def hostile_call(self, signer: str, call: tuple[str, tuple[Any, ...]], gas: int) -> Any:
        method, args = call
        target = self.targets["hostile"]
        args = tuple(target if a == "hostile" else a for a in args)
        nonce = self.device.nonce(signer)
        content = (signer, nonce, target, method, args, (), gas, 10**6, 1)
        return sign_raw(self.device, signer, content)

    def spam(self, count: int) -> None:
        device = self.device
        for _ in range(count):
            content = ("empty", self.spam_nonce, "bob", "", (), (("ETH", 1),), 21_000, 10**6, 1)
            self.spam_nonce += 1
            self.submit(sign_raw(device, "empty", content))

    def build(self, inserted: list[Any] | None = None) -> None:
        """Build a block and check the device after it."""
        device = self.device
        builder = None if inserted is None else InsertingBuilder(device, inserted)
        head = device.head
        started = time.perf_counter()
        block = device.build_block(builder)  # any raise is a halt: the test fails
        if block.builder_refused is not None:
            # A builder's block may be refused whole (it chose an unknown item, inserted
            # where it may not or what the gate refused): it loses the block, which the
            # device's honest builder built instead.
            assert builder is not None, "the honest builder's own block was refused"
            assert block.header.builder == device.config.builder
        assert device.head is not head
        took = time.perf_counter() - started
        self.blocks += 1
        assert took < BLOCK_SECONDS, f"block {device.number} took {took:.1f} s"
        check_after_block(device)


class InsertingBuilder:
    """A builder that takes every pending item and inserts its own hostile ones."""

    follows_rule: ClassVar[bool] = False

    def __init__(self, device: Device, inserted: list[Any]) -> None:
        self.address = device.config.builder
        self.inserted = inserted

    def build(self, request: BuildRequest) -> list[Choice]:
        own: list[Any] = [p.hash for p in request.pending]
        own.extend(b.hash for b in request.bundles)
        return own + self.inserted


def check_after_block(device: Device) -> None:
    ledger = device.ledger
    for table in (ledger.balances, ledger.locked, ledger.supply):
        for key, amount_held in table.items():
            assert type(amount_held) is int, f"{key!r} holds {amount_held!r}"
    assert type(device.base_fee) is int
    checks.block_invariants(device)
    assert device.state_hash() == device.head.state_hash, "state differs from the head's"


def play(world: World, steps: list[tuple[Any, ...]]) -> None:
    for item in steps:
        kind = item[0]
        if kind == "tx":
            world.submit(world.transaction(item[1]))
        elif kind == "bundle":
            txs = [world.transaction(f) for f in item[1]]
            world.submit(world.bundle(txs, item[2], item[3], item[4]), bundle_sender="dave")
        elif kind == "spam":
            world.spam(item[1])
        elif kind == "hostile":
            world.submit(world.hostile_call(item[1], item[2], item[3]))
        elif kind == "builder":
            inserted = [x if isinstance(x, bytes) else world.transaction(x) for x in item[1]]
            world.build(inserted)
        else:
            world.build()
    world.build()
    world.build()


@SETTINGS
@given(steps=st.lists(step, min_size=1, max_size=25), config=design)
def test_hostile_mix_never_halts_and_keeps_every_invariant(
    steps: list[tuple[Any, ...]], config: dict[str, Any]
) -> None:
    world = World(config)
    play(world, steps)
    again = replay(world.device.log, keys=world.device.keyring)
    assert again.head.hash == world.device.head.hash
    assert again.state_hash() == world.device.state_hash()


@SETTINGS
@given(steps=st.lists(step, min_size=1, max_size=15), config=design)
def test_hostile_mix_is_deterministic(steps: list[tuple[Any, ...]], config: dict[str, Any]) -> None:
    first, second = World(config), World(config)
    play(first, steps)
    play(second, steps)
    assert [h.hash for h in first.device.headers] == [h.hash for h in second.device.headers]
