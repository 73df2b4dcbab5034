"""The admission gate (accord.device.admission): every field checked for type, range and
shape, ability to pay, per-sender slots, replacement by fee bump, a global cap with
eviction by fee, bundles, the builder's own items and replay, all through one gate.

The Hypothesis suite builds transactions field by field from every type and signs them
with the sender's own key (tests/device/hostile.py): each one is either admitted with
well-formed fields or refused with a Rejected error naming a field, and nothing
changes; after the blocks, build_block has not raised, the invariants hold
(make_device checks conservation and non-negative balances after every block), every
balance is an int, the state hash equals the head's, and replay reproduces the run.
"""

from __future__ import annotations

import enum
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.device import (
    DEPLOY,
    AssetSpec,
    Bundle,
    BundleFailed,
    Device,
    DeviceConfig,
    Genesis,
    Rejected,
    Transaction,
    checks,
    replay,
)
from accord.device import gas as G
from accord.device.admission import (
    MAX_AMOUNT,
    MAX_ARG_DEPTH,
    MAX_NONCE,
    CannotPay,
    LogRejected,
    PoolFull,
    ReplacementUnderpriced,
    SenderFull,
    check_fields,
)
from accord.device.builder import BuildRequest, Choice
from accord.device.mempool import Mempool
from accord.device.store import BlockRecord, MemoryLog
from tests.device.conftest import ETH, TEST_CONTRACTS, make_device
from tests.device.hostile import sign_fields
from tests.device.sample_contracts import Vault

FIELDS = ("sender", "nonce", "to", "method", "args", "value", "gas_limit", "max_fee")
FIELDS += ("priority_fee",)
NAMED = {*FIELDS, "tx", "hash", "signature"}


class Color(enum.IntEnum):
    RED = 1


class Name(str):
    pass


def named_field(field: str) -> str:
    """``value[1]`` and ``args[0][2]`` name the field ``value`` and ``args``."""
    return field.split("[", 1)[0]


def well_formed(tx: Transaction) -> bool:
    """An independent statement of what an admitted transaction must be."""
    sender, nonce, to, method, args, value, gas_limit, max_fee, priority_fee, h, sig = tx

    def canonical(x: object) -> bool:
        if type(x) in (int, str, bytes, bool, type(None)):
            return True
        return type(x) is tuple and all(canonical(y) for y in x)  # type: ignore[attr-defined]

    assets = [pair[0] for pair in value] if type(value) is tuple else []
    return (
        type(tx) is Transaction
        and len(tx) == 11
        and all(type(s) is str for s in (sender, to, method))
        and all(type(n) is int and n >= 0 for n in (nonce, gas_limit, max_fee, priority_fee))
        and nonce <= MAX_NONCE
        and max_fee <= MAX_AMOUNT
        and priority_fee <= max_fee
        and gas_limit >= G.TX_BASE
        and type(args) is tuple
        and canonical(args)
        and type(value) is tuple
        and all(
            type(p) is tuple
            and len(p) == 2
            and type(p[0]) is str
            and type(p[1]) is int
            and 0 < p[1] <= MAX_AMOUNT
            for p in value
        )
        and assets == sorted(set(assets))
        and gas_limit >= G.intrinsic_gas(method, args, value)  # TX_BASE + EIP-2028 calldata
        and type(h) is bytes
        and type(sig) is bytes
    )


# -- hostile values, every type ------------------------------------------------------------
ATOMS = st.one_of(
    st.integers(min_value=-(2**300), max_value=2**300),
    st.sampled_from([0, 1, -1, 2**63, 2**64, 2**256, 2**256 - 1, 10**80]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -0.0, 1.5, 1e30]),
    st.booleans(),
    st.none(),
    st.text(max_size=8),
    st.binary(max_size=8),
    st.sampled_from(
        [np.int64(5), np.uint8(3), np.float64(2.0), Color.RED, Name("alice"), bytearray(b"x")]
    ),
    st.sampled_from(["", ".x:Y", "this:X", "os:system", "a..b:C", "x:", ":Y", "m:Q-1"]),
)
HOSTILE = st.recursive(
    ATOMS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=3), inner, max_size=2),
        st.frozensets(st.integers(), max_size=2),
    ),
    max_leaves=6,
)
VALUES = st.one_of(
    st.just(()),
    st.lists(
        st.tuples(st.sampled_from(["ETH", "USD", "TOK", "NOPE", ""]), st.integers(-5, 10**19)),
        max_size=3,
    ).map(tuple),  # duplicated, unsorted and zero or negative amounts among them
    st.lists(st.tuples(HOSTILE, HOSTILE), max_size=2).map(tuple),
    st.lists(st.tuples(st.just("ETH"), st.just(1), st.just(2)), max_size=1).map(tuple),
    HOSTILE,
)


def base_fields(device: Device, sender: str, vault: str, kind: int) -> list[Any]:
    nonce = device.next_nonce(sender)
    fee = device.default_max_fee(0)
    if kind == 0:  # a call
        return [sender, nonce, vault, "deposit", ("x", 1), (), 100_000, fee, 0]
    if kind == 1:  # a transfer with value
        return [sender, nonce, "bob", "", (), (("ETH", 5),), 100_000, fee, 1]
    return [sender, nonce, DEPLOY, "tests.device.sample_contracts:Vault", (), (), 200_000, fee, 0]


@st.composite
def hostile_txs(draw: st.DrawFn) -> tuple[str, int, dict[int, object]]:
    sender = draw(st.sampled_from(["alice", "bob", "empty"]))
    kind = draw(st.integers(0, 2))
    changed = draw(st.lists(st.integers(0, 8), max_size=3, unique=True))
    edits: dict[int, object] = {}
    for i in changed:
        edits[i] = draw(VALUES if FIELDS[i] == "value" else HOSTILE)
    return sender, kind, edits


def snapshot(device: Device) -> tuple[bytes, int, int]:
    return device.state_hash(), len(device.mempool), len(device.mempool.bundles())


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(hostile_txs(), min_size=1, max_size=6), st.integers(0, 3))
@pytest.mark.parametrize("signatures", ["ed25519", "mac"])
def test_hostile_fields_are_admitted_well_formed_or_refused_naming_a_field(
    signatures: str, sends: list[tuple[str, int, dict[int, object]]], blocks: int
) -> None:
    """Under both schemes. With MAC signatures, ``submit`` takes its inlined common case
    (the gate's checks written out, any doubt handed to the whole gate) from the second
    transaction on, once the gate's full path has run for alice and bob: the same
    refusals, fields and admissions are asked of it."""
    # conservation and non-negative balances after every block
    device = make_device(signatures=signatures)
    vault = device.deploy(device.account("alice"), Vault)
    for name in ("alice", "bob"):  # the gate's full path once for each: the lanes exist
        device.submit(device.sign(device.account(name), "carol", value={"ETH": 1}))
    assert device.mempool.room > 0
    for sender, kind, edits in sends:
        fields = base_fields(device, sender, vault, kind)
        for i, hostile in edits.items():
            fields[i] = hostile
        tx = sign_fields(device, sender, fields)
        before = snapshot(device)
        try:
            device.submit(tx)
        except Rejected as exc:
            assert named_field(exc.field) in NAMED, exc
            assert str(exc).startswith(f"{exc.field}: ")
            assert snapshot(device) == before  # nothing changed
        else:
            assert well_formed(tx), tx
            assert device.mempool.get(tx.hash) is not None
            # the intrinsic gas the block loop will charge, computed once at admission
            assert device.mempool.txs[tx.hash][3] == G.intrinsic_gas(tx[3], tx[4], tx[5])
        for _ in range(blocks):
            device.build_block()  # never raises
    device.build_blocks(2)
    assert all(type(v) is int and v >= 0 for v in device.ledger.balances.values())
    checks.block_invariants(device)
    assert device.state_hash() == device.head.state_hash
    keys = device.keyring if signatures == "mac" else None
    assert replay(device.log, keys=keys).state_hash() == device.state_hash()


def test_the_common_case_reads_a_names_length_from_its_encoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``submit``'s common case (MAC-signed senders) takes each name's length from
    marshal's encoding (its UTF-8 bytes, not its characters): a non-ASCII sender and
    recipient are admitted there, with the intrinsic gas the whole gate computes."""
    alloc = {"zoë": ETH, "名前": ETH}
    genesis = Genesis(
        assets={"ETH": AssetSpec(issuer="treasury", alloc=alloc)}, contract_modules=TEST_CONTRACTS
    )
    device = Device(DeviceConfig(signatures="mac"), genesis)
    zoe = device.account("zoë")
    device.submit(device.sign(zoe, "名前", value={"ETH": 1}))  # the whole gate, once
    whole = device._admit
    slow: list[object] = []

    def counted(tx: object, at: object = None) -> bytes:
        slow.append(tx)
        return whole(tx, at)

    monkeypatch.setattr(device, "_admit", counted)
    amounts = (2, 256, 10**9)
    sent = [
        device.sign(zoe, "名前", value={"ETH": amount}, nonce=nonce)
        for nonce, amount in enumerate(amounts, start=1)
    ]
    for tx in sent:
        device.submit(tx)
        assert device.mempool.txs[tx.hash][3] == G.intrinsic_gas(tx[3], tx[4], tx[5])
    assert slow == []  # all three took the common case
    assert {r.status for r in device.build_block().receipts} == {"success"}
    assert device.balance("名前", "ETH") == ETH + 1 + sum(amounts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(VALUES, min_size=1, max_size=4))
def test_a_hostile_value_is_refused_or_moves_exactly_what_it_says(values: list[object]) -> None:
    device = make_device()
    before = {a: device.balance("carol", a) for a in ("ETH", "USD", "TOK")}
    sent = dict.fromkeys(before, 0)
    admitted = []
    for value in values:
        fields = ["alice", device.next_nonce("alice"), "carol", "", (), value, 100_000, 3_000, 0]
        tx = sign_fields(device, "alice", fields)
        try:
            device.submit(tx)
        except Rejected as exc:
            assert named_field(exc.field) == "value", exc
            continue
        assert well_formed(tx), tx
        admitted.append(tx)
    block = device.build_block()
    for tx in admitted:
        if block.receipt(tx.hash).ok:
            for asset, amount in tx.value:
                sent[asset] += amount
    assert {a: device.balance("carol", a) - before[a] for a in before} == sent
    assert all(v >= 0 for v in sent.values())


# -- the instances, one by one -----------------------------------------------------
def refused(device: Device, fields: list[Any], sender: str = "alice") -> Rejected:
    before = snapshot(device)
    with pytest.raises(Rejected) as info:
        device.submit(sign_fields(device, sender, fields))
    assert snapshot(device) == before
    return info.value


@pytest.mark.parametrize(
    ("index", "hostile", "field"),
    [
        (2, ["bob"], "to"),  # unhashable: crashed build_block
        (6, 100_000.0, "gas_limit"),
        (7, 2_000.5, "max_fee"),  # float fees reached balances and the supply
        (8, math.nan, "priority_fee"),
        (1, True, "nonce"),
        (1, -1, "nonce"),
        (1, 2**64, "nonce"),  # EIP-2681
        (7, 2**256, "max_fee"),
        (7, np.int64(2_000), "max_fee"),
        (0, Name("alice"), "sender"),
        (3, b"deposit", "method"),
        (4, ["x", 1], "args"),  # a list: Account.sign would have made it a tuple
        (4, ("x", 1.5), "args[1]"),
        (4, ("x", {"a": 1}), "args[1]"),
        (4, ("x", Color.RED), "args[1]"),
        (5, (("ETH", -(10**9)),), "value[0]"),  # a negative value minted credit
        (5, (("ETH", 0),), "value[0]"),
        (5, (("ETH", 1), ("ETH", 1)), "value[1]"),  # listed twice: halted batch blocks
        (5, (("USD", 1), ("ETH", 1)), "value[1]"),  # unsorted
        (5, (("ETH", 1, 2),), "value[0]"),
        (5, {"ETH": 1}, "value"),
        (5, (("ETH", 1.0),), "value[0]"),
    ],
)
def test_each_field_is_checked_as_account_sign_builds_it(
    index: int, hostile: object, field: str
) -> None:
    device = make_device()
    vault = device.deploy(device.account("alice"), Vault)
    fields = base_fields(device, "alice", vault, 0)
    fields[index] = hostile
    assert refused(device, fields).field == field


def test_a_priority_fee_above_the_max_fee_is_refused() -> None:
    device = make_device()
    fields = base_fields(device, "alice", "bob", 1)
    fields[7], fields[8] = 2_000, 2_001
    assert refused(device, fields).field == "priority_fee"  # geth's ErrTipAboveFeeCap


@pytest.mark.parametrize("path", [".x:Y", "this:X ", "a..b:C", "x:", ":Y", "m:Q-1", "é:X", "a:b:c"])
def test_a_deploy_names_module_colon_qualname_of_identifiers(path: str) -> None:
    device = make_device()
    fields = base_fields(device, "alice", "", 2)
    fields[3] = path
    assert refused(device, fields).field == "method"


def test_a_deploy_of_a_class_that_does_not_resolve_is_refused_at_admission() -> None:
    device = make_device()
    fields = base_fields(device, "alice", "", 2)
    fields[3] = "tests.device.sample_contracts:NoSuchClass"
    assert refused(device, fields).field == "method"


def test_wrong_shapes_of_the_transaction_itself_are_refused() -> None:
    device = make_device()
    good = device.sign(device.account("alice"), "bob", value={"ETH": 1})
    for bad, field in [
        (tuple(good), "tx"),  # a plain tuple
        (tuple.__new__(Transaction, (*good, b"x")), "tx"),  # 12 fields
        (tuple.__new__(Transaction, tuple(good)[:10]), "tx"),  # 10 fields
        (good._replace(hash=bytearray(good.hash)), "hash"),
        (good._replace(signature=bytearray(good.signature)), "signature"),  # BadSignature
        (good._replace(hash=good.hash[:31]), "hash"),
        ("not a transaction", "tx"),
    ]:
        with pytest.raises(Rejected) as info:
            device.submit(bad)  # type: ignore[arg-type]
        assert info.value.field == field
    assert len(device.mempool) == 0


def test_submit_refuses_a_non_int_arrival_time() -> None:
    device = make_device(latency_ms={"alice": 5})
    tx = device.sign(device.account("alice"), "bob", value={"ETH": 1})
    for at in (1.5, "now", True):
        with pytest.raises(Rejected) as info:
            device.submit(tx, at=at)  # type: ignore[arg-type]
        assert info.value.field == "at"
    device.submit(tx, at=3)
    assert device.mempool.get(tx.hash).arrival == 8  # type: ignore[union-attr]


# -- ability to pay -------------------------------------------------------------------------
def test_a_sender_must_cover_max_fee_times_gas_limit_plus_its_fee_asset_value() -> None:
    device = make_device()
    alice = device.account("alice")
    have = device.balance("alice", "ETH")
    fee = 2_000
    gas_limit = 100_000
    exact = device.sign(
        alice, "bob", value={"ETH": have - fee * gas_limit}, gas_limit=gas_limit, max_fee=fee
    )
    over = exact._replace(value=(("ETH", have - fee * gas_limit + 1),))
    over = sign_fields(device, "alice", over[:9])
    with pytest.raises(CannotPay) as info:
        device.submit(over)
    assert info.value.field == "sender"
    assert f"holds {have} ETH, needs {have + 1}" in str(info.value)
    device.submit(exact)  # exactly enough is enough
    assert device.build_block().receipt(exact.hash).ok


def test_other_assets_are_checked_at_admission_only_when_configured() -> None:
    fields = ["alice", 0, "bob", "", (), (("USD", 1_001),), 100_000, 2_000, 0]  # holds 1,000
    loose = make_device()
    tx = sign_fields(loose, "alice", fields)
    loose.submit(tx)  # as geth: found at execution, where it reverts and pays its gas
    receipt = loose.build_block().receipt(tx.hash)
    assert receipt.status == "reverted" and receipt.fee_paid > 0
    strict = make_device(admission_checks_assets=True)
    with pytest.raises(CannotPay) as info:
        strict.submit(sign_fields(strict, "alice", fields))
    assert info.value.field == "value" and "holds 1000 USD, sends 1001" in str(info.value)


def test_free_spam_from_a_zero_balance_account_is_refused_at_submission() -> None:
    """The issue's measurement at a smaller scale: 2,000 unpayable transactions from an
    account without funds (20,000 stayed for 900 blocks and were re-logged every block)."""
    device = make_device()
    empty = device.account("empty")
    honest = device.sign(device.account("alice"), "bob", value={"ETH": 1})
    device.submit(honest)
    refusals = 0
    for nonce in range(2_000):
        try:
            device.submit(empty.sign(nonce, "bob", gas_limit=30_000, max_fee=2_000))
        except CannotPay as exc:
            assert exc.field == "sender"
            refusals += 1
    assert refusals == 2_000
    assert len(device.mempool) == 1
    device.build_blocks(10)
    log = device.log
    assert isinstance(log, MemoryLog)
    items = [len(r.items) for r in log.records if isinstance(r, BlockRecord)]
    assert items == [1] + [0] * 9  # the honest transaction, then nothing is re-tried
    assert device.blocks[-1].skipped == ()


# -- slots, replacement and the global cap --------------------------------------------------
def test_a_sender_holds_at_most_max_pending_per_sender() -> None:
    device = make_device(max_pending_per_sender=3)
    alice = device.account("alice")
    for _ in range(3):
        device.submit(device.sign(alice, "bob", value={"ETH": 1}))
    with pytest.raises(SenderFull) as info:
        device.submit(device.sign(alice, "bob", value={"ETH": 1}))
    assert info.value.field == "sender" and "3 pending" in str(info.value)
    device.submit(device.sign(device.account("bob"), "alice", value={"ETH": 1}))  # others may
    assert len(device.build_block().transactions) == 4
    device.submit(device.sign(alice, "bob", value={"ETH": 1}))  # slots free again


def test_a_replacement_needs_both_fees_bumped_by_the_configured_percent() -> None:
    device = make_device(replacement_bump_pct=10)
    alice = device.account("alice")
    old = device.sign(alice, "bob", value={"ETH": 1}, max_fee=2_000, priority_fee=100, nonce=0)
    device.submit(old)

    def same_nonce(max_fee: int, tip: int) -> Transaction:
        return device.sign(
            alice, "carol", value={"ETH": 1}, max_fee=max_fee, priority_fee=tip, nonce=0
        )

    for max_fee, tip, field in [
        (2_000, 100, "max_fee"),  # same fees
        (2_199, 110, "max_fee"),  # max_fee 1 short of +10%
        (2_200, 109, "priority_fee"),  # tip 1 short
        (1_000, 500, "max_fee"),
    ]:
        with pytest.raises(ReplacementUnderpriced) as info:
            device.submit(same_nonce(max_fee, tip))
        assert info.value.field == field and "replacement underpriced" in str(info.value)
        assert device.mempool.get(old.hash) is not None and len(device.mempool) == 1
    new = same_nonce(2_200, 110)  # exactly +10% on both
    device.submit(new)
    assert device.mempool.get(old.hash) is None and device.mempool.get(new.hash) is not None
    assert device.mempool.lanes["alice"] == {0: new.hash}
    assert device.build_block().transactions == (new,)


def test_a_replacement_of_a_zero_tip_must_raise_it() -> None:
    device = make_device()
    alice = device.account("alice")
    device.submit(device.sign(alice, "bob", max_fee=2_000, priority_fee=0, nonce=0))
    with pytest.raises(ReplacementUnderpriced):  # geth: strictly higher, then the bump
        device.submit(device.sign(alice, "carol", max_fee=4_000, priority_fee=0, nonce=0))
    device.submit(device.sign(alice, "carol", max_fee=4_000, priority_fee=1, nonce=0))


def test_a_full_pool_evicts_its_cheapest_for_a_better_paying_newcomer() -> None:
    device = make_device(mempool_capacity=3)
    users = ["alice", "bob", "carol"]
    sent = {}
    for who, tip in zip(users, (5, 1, 9), strict=True):
        tx = device.sign(device.account(who), "dave", max_fee=3_000, priority_fee=tip)
        device.submit(tx)
        sent[who] = tx
    dave = device.account("dave")
    cheap = device.sign(dave, "alice", max_fee=3_000, priority_fee=1)  # ties bob's: refused
    with pytest.raises(PoolFull) as info:
        device.submit(cheap)
    assert info.value.field == "max_fee" and "priority_fee 1" in str(info.value)
    better = device.sign(dave, "alice", max_fee=3_000, priority_fee=2)
    device.submit(better)
    assert device.mempool.get(sent["bob"].hash) is None  # the cheapest went
    assert {p.tx.sender for p in device.mempool.arrived(device.now)} == {"alice", "carol", "dave"}
    assert len(device.mempool) == 3


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 9), st.integers(0, 50), st.integers(0, 50)),
        min_size=1,
        max_size=40,
    ),
    st.lists(st.integers(0, 100), max_size=10),
)
def test_cheapest_is_the_lowest_fee_pair_whatever_came_and_went(
    adds: list[tuple[int, int, int, int]], removals: list[int]
) -> None:
    device = make_device(check=False)
    pool = Mempool()
    txs: dict[bytes, Transaction] = {}
    for step, (who, nonce, max_fee, tip) in enumerate(adds):
        sender = ["alice", "bob", "carol", "dave"][who]
        tx = sign_fields(
            device, sender, [sender, nonce, "x", "", (step,), (), 21_000, max_fee, tip]
        )
        pool.add(tx, 0)
        txs[tx.hash] = tx
        if step % 5 == 4:
            assert pool.cheapest() is not None  # the heap exists from here on
        for r in removals[step % 3 :: 7]:
            if pool.txs:
                pool.discard(list(pool.txs)[r % len(pool.txs)])
    found = pool.cheapest()
    if not pool.txs:
        assert found is None
        return
    assert found is not None
    left = [entry for entry in pool.txs.values()]
    want = min(left, key=lambda e: (e[0].max_fee, e[0].priority_fee, -e[0].nonce, -e[2]))
    assert found == want


# -- bundles -------------------------------------------------------------------------------
def test_bundle_fields_are_checked() -> None:
    device = make_device(max_bundle_txs=2)
    alice = device.account("alice")
    a = device.sign(alice, "bob", value={"ETH": 1})
    b = device.sign(alice, "bob", value={"ETH": 1}, nonce=a.nonce + 1)
    c = device.sign(alice, "bob", value={"ETH": 1}, nonce=a.nonce + 2)

    def make(**fields: Any) -> Bundle:
        bundle = Bundle((a,))
        for name, value in fields.items():
            object.__setattr__(bundle, name, value)
        return bundle

    for bundle, field in [
        (make(txs=(a, b, c)), "txs"),  # more than max_bundle_txs
        (make(txs=[a]), "txs"),
        (make(min_block=-1), "min_block"),
        (make(min_block=1.5), "min_block"),
        (make(max_block=True), "max_block"),
        (make(min_block=3, max_block=2), "max_block"),
        (make(reverting=frozenset({b.hash})), "reverting"),  # not one of its own
        (make(reverting={a.hash}), "reverting"),
        (make(txs=(a._replace(max_fee=2.5),)), "txs[0]"),
        ("not a bundle", "bundle"),
    ]:
        with pytest.raises(Rejected) as info:
            device.submit_bundle(bundle, sender="alice")  # type: ignore[arg-type]
        assert info.value.field == field, (bundle, info.value)
    with pytest.raises(Rejected) as info:
        device.submit_bundle(Bundle((a,)), sender=["alice"])  # type: ignore[arg-type]
    assert info.value.field == "sender"
    assert device.mempool.bundles() == []


def test_a_bundle_transaction_with_a_bad_field_is_named_with_its_cause() -> None:
    device = make_device()
    good = device.sign(device.account("alice"), "bob", value={"ETH": 1})
    bad = sign_fields(device, "bob", ["bob", 0, ["x"], "", (), (), 21_000, 2_000, 0])
    with pytest.raises(BundleFailed) as info:
        device.submit_bundle(Bundle((good, bad)), sender="alice")
    assert info.value.field == "txs[1]" and info.value.cause is not None
    assert info.value.cause.field == "to"


def test_a_bundle_whose_first_transaction_cannot_pay_is_refused() -> None:
    device = make_device()
    broke = device.sign(device.account("empty"), "bob", max_fee=2_000)
    with pytest.raises(BundleFailed) as info:
        device.submit_bundle(Bundle((broke,)), sender="empty")
    assert info.value.cause is not None and info.value.cause.field == "sender"


def test_a_sender_holds_at_most_max_pending_bundles() -> None:
    device = make_device(max_pending_bundles_per_sender=2)
    alice = device.account("alice")
    start = device.nonce("alice")
    bundles = [
        Bundle((device.sign(alice, "bob", value={"ETH": i + 1}, nonce=start),)) for i in range(3)
    ]
    device.submit_bundle(bundles[0], sender="searcher")
    device.submit_bundle(bundles[1], sender="searcher")
    device.submit_bundle(bundles[1], sender="searcher")  # the same one again: no new slot
    with pytest.raises(SenderFull):
        device.submit_bundle(bundles[2], sender="searcher")
    device.submit_bundle(bundles[2], sender="other")


# -- the builder's own items ---------------------------------------------------------------
class Inserter:
    def __init__(self, address: str, own: Transaction) -> None:
        self.address = address
        self.follows_rule = False
        self.own = own

    def build(self, request: BuildRequest) -> list[Choice]:
        return [self.own, *(p.hash for p in request.pending)]


@pytest.mark.parametrize(
    ("index", "hostile", "field"),
    [(2, ["sink"], "to"), (7, 2_000.5, "max_fee"), (5, (("ETH", -5),), "value[0]")],
)
def test_the_builders_inserted_transactions_pass_the_same_gate(
    index: int, hostile: object, field: str
) -> None:
    device = make_device(builder_may_insert=True)
    device.submit(device.sign(device.account("alice"), "bob", value={"ETH": 1}))
    fields = ["builder", 0, "sink", "", (), (("ETH", 1),), 30_000, 2_000, 0]
    fields[index] = hostile
    own = sign_fields(device, "builder", fields)
    pending = len(device.mempool)
    block = device.build_block(Inserter("mev", own))
    # The gate refused the insertion, so the builder's whole block is refused: the
    # device's honest builder built it instead, with alice's transfer and nothing else.
    assert block.builder_refused == block.builder_refused.splitlines()[0]
    assert block.builder_refused.startswith(f"InvalidValue: {field}: ")
    assert block.header.builder == device.config.builder == "builder"
    assert [tx.sender for tx in block.transactions] == ["alice"]
    assert pending == 1 and len(device.mempool) == 0  # the insertion never entered
    assert device.nonce("builder") == 0
    assert device.state_hash() == device.head.state_hash


def test_the_builders_inserted_transaction_must_be_payable() -> None:
    device = make_device(builder_may_insert=True)
    device.open_account("mev")
    own = sign_fields(device, "mev", ["mev", 0, "sink", "", (), (), 30_000, 2_000, 0])
    block = device.build_block(Inserter("mev", own))
    assert block.builder_refused is not None and block.builder_refused.startswith("CannotPay")
    assert block.transactions == () and block.header.builder == "builder"
    assert device.number == 1 and device.nonce("mev") == 0 and len(device.mempool) == 0
    # An empty block changes only what every block changes (no balance moved).
    assert device.balance("mev", "ETH") == 0


# -- replay --------------------------------------------------------------------------------
def recorded_run() -> Device:
    device = make_device()
    alice = device.account("alice")
    for i in range(3):
        device.call(alice, "bob", value={"ETH": i + 1})
    return device


@pytest.mark.parametrize(
    ("index", "hostile", "field"),
    [
        (2, ["bob"], "to"),
        (7, 2_000.5, "max_fee"),
        (5, (("ETH", -(10**20)),), "value[0]"),
        (5, (("ETH", 1), ("ETH", 1)), "value[1]"),
        (3, ".x:Y", "method"),
        (1, True, "nonce"),
    ],
)
def test_replay_refuses_a_logged_item_that_fails_the_gate_naming_block_and_field(
    index: int, hostile: object, field: str
) -> None:
    device = recorded_run()
    log = device.log
    assert isinstance(log, MemoryLog)
    records = list(log.records)
    target = records[1]
    assert isinstance(target, BlockRecord) and target.number == 2
    fields = list(target.items[0][:9])
    fields[index] = hostile
    if index == 3:
        fields[2] = DEPLOY
    forged = sign_fields(device, "alice", fields)  # signed with alice's own key
    records[1] = BlockRecord(2, target.builder, (forged,), target.state_hash)
    tampered = MemoryLog()
    assert log.header is not None
    tampered.start(log.header)
    for record in records:
        tampered.append(record)
    with pytest.raises(LogRejected) as info:
        replay(tampered)
    error = info.value
    assert (error.number, error.index, error.field) == (2, 0, field)
    assert str(error).startswith(f"{field}: block 2, item 0 fails admission: ")


def test_check_fields_returns_a_valid_transaction_unchanged() -> None:
    device = make_device()
    tx = device.sign(device.account("alice"), "bob", value={"ETH": 1, "USD": 2}, max_fee=ETH)
    assert check_fields(tx, device.config.block_gas_limit) is tx


def nest(depth: int) -> tuple[object, ...]:
    """``depth`` tuples, one inside the next, around an int."""
    inner: object = 1
    for _ in range(depth):
        inner = (inner,)
    return inner  # type: ignore[return-value]


@pytest.mark.parametrize("signatures", ["ed25519", "mac"])
def test_arguments_nest_at_most_max_arg_depth_and_a_deeper_nesting_is_named(
    signatures: str,
) -> None:
    """An agent controls ``args``: a nesting to the bound is admitted, one level more is
    refused naming the innermost tuple's place, and a nesting far beyond CPython's
    recursion limit is refused the same way (the walk does not recurse)."""
    device = make_device(signatures=signatures)
    vault = device.deploy(device.account("alice"), Vault)
    device.submit(device.sign(device.account("bob"), "carol", value={"ETH": 1}))  # gate set
    fields = base_fields(device, "alice", vault, 0)
    fields[4] = (nest(MAX_ARG_DEPTH - 1),)
    device.submit(sign_fields(device, "alice", fields))
    for depth in (MAX_ARG_DEPTH, 100_000):
        fields = base_fields(device, "alice", vault, 0)
        fields[1] += 1  # after the admitted one
        fields[4] = (nest(depth),)
        assert refused(device, fields).field == "args" + "[0]" * MAX_ARG_DEPTH
