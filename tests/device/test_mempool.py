"""Mempool visibility (public, private, sealed), latency, and builders' discretion."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from accord.device import (
    Account,
    BuildRequest,
    Bundle,
    Device,
    Pending,
    SealedTx,
    Transaction,
)
from accord.device.builder import Choice
from tests.device.conftest import balances, make_device


def send(device: Device, who: str, tip: int = 0, at: int | None = None) -> Transaction:
    tx = device.sign(device.account(who), "sink", value={"ETH": 1}, priority_fee=tip)
    device.submit(tx, at=at)
    return tx


def hashes(view: list[Pending | SealedTx]) -> set[bytes]:
    return {item.hash for item in view}


# -- visibility ------------------------------------------------------------------------
def test_public_everyone_sees_everything_in_full() -> None:
    device = make_device(mempool="public")
    a, b = send(device, "alice"), send(device, "bob")
    for observer in ("alice", "bob", "carol", "builder"):
        view = device.pending_view(observer)
        assert hashes(view) == {a.hash, b.hash}
        assert all(isinstance(item, Pending) for item in view)
    full = {p.hash: p for p in device.pending_view("carol") if isinstance(p, Pending)}
    assert full[a.hash].tx == a


def test_private_only_the_builder_sees_others() -> None:
    device = make_device(mempool="private")
    a, b = send(device, "alice"), send(device, "bob")
    assert hashes(device.pending_view("alice")) == {a.hash}
    assert hashes(device.pending_view("bob")) == {b.hash}
    assert device.pending_view("carol") == []
    builder_view = device.pending_view("builder")
    assert hashes(builder_view) == {a.hash, b.hash}
    assert all(isinstance(item, Pending) for item in builder_view)
    custom = make_device(mempool="private", builder="mev")
    c = send(custom, "alice")
    assert hashes(custom.pending_view("mev")) == {c.hash}
    assert custom.pending_view("builder") == []


def test_sealed_hides_contents_from_everyone_but_the_sender() -> None:
    device = make_device(mempool="sealed")
    a, b = send(device, "alice", tip=4), send(device, "bob")
    for observer in ("carol", "builder"):
        view = device.pending_view(observer)
        assert hashes(view) == {a.hash, b.hash}
        assert all(isinstance(item, SealedTx) for item in view)
    alice_view = {item.hash: item for item in device.pending_view("alice")}
    own, other = alice_view[a.hash], alice_view[b.hash]
    assert isinstance(own, Pending) and own.tx == a
    assert isinstance(other, SealedTx)
    assert not any(hasattr(other, f) for f in ("to", "method", "args", "value", "tx"))
    assert SealedTx._fields == (
        "hash",
        "sender",
        "nonce",
        "gas_limit",
        "max_fee",
        "priority_fee",
        "arrival",
    )
    sealed_a = next(s for s in device.pending_view("bob") if s.hash == a.hash)
    assert isinstance(sealed_a, SealedTx)
    assert (sealed_a.sender, sealed_a.nonce, sealed_a.priority_fee) == ("alice", 0, 4)


@pytest.mark.parametrize("visibility", ["public", "private", "sealed"])
def test_every_visibility_still_builds_blocks(visibility: str) -> None:
    device = make_device(mempool=visibility)
    txs = {send(device, who).hash for who in ("alice", "bob", "carol")}
    block = device.build_block()
    assert {tx.hash for tx in block.transactions} == txs
    assert device.pending_view("alice") == []


class Recorder:
    """Includes everything and remembers what it was shown."""

    follows_rule: ClassVar[bool] = True

    def __init__(self, address: str = "builder") -> None:
        self.address = address
        self.requests: list[BuildRequest] = []

    def build(self, request: BuildRequest) -> list[Choice]:
        self.requests.append(request)
        choices: list[Choice] = [p.hash for p in request.pending]
        return choices + [b.hash for b in request.bundles]


@pytest.mark.parametrize(("visibility", "kind"), [("private", Pending), ("sealed", SealedTx)])
def test_builder_request_respects_visibility(visibility: str, kind: type) -> None:
    device = make_device(mempool=visibility)
    txs = [send(device, who) for who in ("alice", "bob")]
    recorder = Recorder()
    block = device.build_block(recorder)
    (request,) = recorder.requests
    assert (request.number, request.timestamp, request.visibility) == (1, 12_000, visibility)
    assert {p.hash for p in request.pending} == {tx.hash for tx in txs}
    assert all(isinstance(p, kind) for p in request.pending)
    assert len(block.transactions) == 2


# -- latency ---------------------------------------------------------------------------
def test_latency_delays_visibility_and_inclusion() -> None:
    device = make_device(latency_ms={"alice": 20_000}, default_latency_ms=1_000)
    slow = send(device, "alice", at=0)  # arrives at 20_000
    quick = send(device, "bob", at=0)  # arrives at 1_000
    assert device.pending_view("carol") == []  # now = 0: nothing has arrived
    assert hashes(device.pending_view("carol", at=1_000)) == {quick.hash}
    assert hashes(device.pending_view("carol", at=20_000)) == {quick.hash, slow.hash}
    assert device.latency("alice") == 20_000 and device.latency("bob") == 1_000
    first = device.build_block()  # timestamp 12_000
    assert first.transactions == (quick,)
    assert slow.hash in device.mempool
    second = device.build_block()  # timestamp 24_000
    assert second.transactions == (slow,)


def test_a_late_arrival_on_submits_common_path_waits_for_its_time() -> None:
    """A sender's second transaction takes submit's inlined common case; sent with an
    ``at`` in the future, its arrival is its own, recorded in ``Mempool.latest``, so the
    honest builder does not take everything pending as arrived: the transaction waits
    for its time, then is included (and the ones around it are not held back)."""
    device = make_device()  # no latency: others arrive at the device's common time
    early = send(device, "bob")  # bob's first: the gate's slow path
    late = send(device, "bob", at=30_000)  # the common case, arriving at 30_000
    assert device.mempool.room > 0 and device.mempool.latest == 30_000
    alice = send(device, "alice")
    first = device.build_block()  # timestamp 12_000
    assert set(first.transactions) == {early, alice}
    assert late.hash in device.mempool
    assert device.build_block().transactions == ()  # 24_000: not yet
    assert device.build_block().transactions == (late,)  # 36_000
    assert len(device.mempool) == 0


def test_builder_cannot_include_a_transaction_before_it_arrives() -> None:
    device = make_device(latency_ms={"alice": 50_000})
    slow = send(device, "alice")

    class Eager(Recorder):
        def build(self, request: BuildRequest) -> list[Choice]:
            return [slow.hash]

    block = device.build_block(Eager())
    assert block.builder_refused is not None
    assert block.builder_refused.startswith("DeviceError: builder builder chose unknown item")
    assert block.transactions == () and slow.hash in device.mempool


# -- builders --------------------------------------------------------------------------
class Inserter:
    """A builder that puts a transaction of its own first, then everything else."""

    follows_rule: ClassVar[bool] = False

    def __init__(self, account: Account, make: Callable[[BuildRequest], Transaction]) -> None:
        self.address = account.address
        self.make = make

    def build(self, request: BuildRequest) -> list[Choice]:
        own: list[Choice] = [self.make(request)]
        return own + [p.hash for p in request.pending]


def own_tx(device: Device, **kw: Any) -> Callable[[BuildRequest], Transaction]:
    me = device.account("builder")
    return lambda request: device.sign(me, "sink", value={"ETH": 1}, **kw)


def test_insertion_refused_unless_allowed() -> None:
    device = make_device(builder_may_insert=False)
    send(device, "alice", tip=5)
    block = device.build_block(Inserter(device.account("builder"), own_tx(device)))
    refused = block.builder_refused
    assert refused is not None and "builder_may_insert is false" in refused
    # Built locally instead: alice's transaction only, and the builder's never entered.
    assert [tx.sender for tx in block.transactions] == ["alice"]
    assert device.nonce("builder") == 0 and len(device.mempool) == 0


def run_inserter(enforced: bool) -> tuple[Device, tuple[Transaction, ...]]:
    device = make_device(builder_may_insert=True, ordering_enforced=enforced)
    user = send(device, "alice", tip=9)
    block = device.build_block(Inserter(device.account("builder"), own_tx(device)))
    assert user in block.transactions
    assert all(r.ok for r in block.receipts)
    return device, block.transactions


def test_inserted_order_stands_when_the_rule_is_not_enforced() -> None:
    _, txs = run_inserter(enforced=False)
    assert [tx.sender for tx in txs] == ["builder", "alice"]


def test_enforced_rule_reorders_the_builders_choice() -> None:
    _, txs = run_inserter(enforced=True)
    assert [tx.sender for tx in txs] == ["alice", "builder"]  # priority: tip 9 before 0


def test_builder_earns_tips_at_its_own_address() -> None:
    device = make_device(builder_may_insert=True)
    device.open_account("mev")
    user = send(device, "alice", tip=9)

    class Mev(Recorder):
        pass

    mev = Mev("mev")
    block = device.build_block(mev)
    assert block.header.builder == "mev"
    receipt = block.receipt(user.hash)
    assert device.balance("mev", "ETH") == receipt.tip_paid == 9 * receipt.gas_used


def test_builder_cannot_forge_a_users_transaction() -> None:
    device = make_device(builder_may_insert=True)
    key = device.account("builder").key
    forged = Account("alice", key)

    def make(request: BuildRequest) -> Transaction:
        return device.sign(forged, "builder", value={"ETH": 10**17})

    before = balances(device)
    block = device.build_block(Inserter(device.account("builder"), make))
    assert block.builder_refused is not None and block.builder_refused.startswith("BadSignature")
    assert block.transactions == () and device.number == 1
    assert balances(device) == before


def test_builder_cannot_alter_a_pending_transaction() -> None:
    device = make_device(builder_may_insert=True)
    user = send(device, "alice", tip=1)

    def make(request: BuildRequest) -> Transaction:
        return user._replace(to="builder")

    block = device.build_block(Inserter(device.account("builder"), make))
    assert block.builder_refused is not None and block.builder_refused.startswith("BadSignature")
    assert block.transactions == (user,)  # built locally: alice's, as she signed it
    assert block.transactions[0].to != "builder"


def test_builder_may_censor_and_the_transaction_waits() -> None:
    device = make_device()
    censored = send(device, "alice", tip=5)
    kept = send(device, "bob")

    class Censor(Recorder):
        def build(self, request: BuildRequest) -> list[Choice]:
            return [p.hash for p in request.pending if p.hash != censored.hash]

    block = device.build_block(Censor())
    assert block.transactions == (kept,)
    assert censored.hash in device.mempool
    assert device.build_block().transactions == (censored,)


def test_unknown_choice_is_refused() -> None:
    device = make_device()

    class Liar(Recorder):
        def build(self, request: BuildRequest) -> list[Choice]:
            return [b"\x01" * 32]

    block = device.build_block(Liar())
    assert block.builder_refused == "DeviceError: builder builder chose unknown item " + "01" * 32
    assert block.number == 1 and block.transactions == ()


def test_duplicate_choices_are_included_once() -> None:
    device = make_device()
    tx = send(device, "alice")

    class Stutter(Recorder):
        def build(self, request: BuildRequest) -> list[Choice]:
            return [tx.hash, tx.hash]

    assert device.build_block(Stutter()).transactions == (tx,)


def test_stuck_items_are_evicted_after_the_mempool_lifetime() -> None:
    """A nonce-gap transaction and an open-ended bundle that never lands leave the mempool
    once they have waited ``mempool_lifetime_ms`` (geth's txpool.lifetime), and with them
    the nonces they held: ``next_nonce`` falls back to the ledger's."""
    device = make_device(block_time_ms=1_000, mempool_lifetime_ms=3_000)
    alice = device.account("alice")
    gap = device.sign(alice, "bob", value={"ETH": 1}, nonce=device.nonce("alice") + 1)
    device.submit(gap)  # waits for a nonce that never comes
    n = device.next_nonce("bob")
    bob = device.account("bob")
    more = device.balance("bob", "ETH") + 1  # more than bob holds, less than the supply
    # Its first transaction can pay (admission checks it), its second never can.
    never = Bundle(
        (
            device.sign(bob, "carol", value={"ETH": 1}, nonce=n),
            device.sign(bob, "carol", value={"ETH": more}, nonce=n + 1),
        )
    )
    device.submit_bundle(never, sender="bob")
    assert device.next_nonce("bob") == n + 2
    device.build_block()  # t = 1 s
    device.build_block()  # t = 2 s
    assert gap.hash in device.mempool.txs and device.mempool.bundle(never.hash) is not None
    device.build_block()  # t = 3 s: both arrived at t = 0, three seconds ago
    assert gap.hash not in device.mempool.txs and device.mempool.bundle(never.hash) is None
    assert device.next_nonce("bob") == n == device.nonce("bob")


def test_without_a_lifetime_stuck_items_wait() -> None:
    device = make_device(block_time_ms=1_000, mempool_lifetime_ms=None)
    alice = device.account("alice")
    gap = device.sign(alice, "bob", value={"ETH": 1}, nonce=device.nonce("alice") + 1)
    device.submit(gap)
    device.build_blocks(50)
    assert gap.hash in device.mempool.txs


class Broken:
    """A builder whose own code fails, or whose answer is not a list of choices."""

    follows_rule: ClassVar[bool] = False
    address = "mev"

    def __init__(self, answer: object) -> None:
        self.answer = answer

    def build(self, request: BuildRequest) -> list[Choice]:
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (ZeroDivisionError("division by zero"), "ZeroDivisionError: division by zero"),
        (RecursionError("maximum recursion depth exceeded"), "RecursionError: maximum"),
        (None, "TypeError: 'NoneType' object is not iterable"),
        (7, "TypeError: 'int' object is not iterable"),
        ([b"\x02" * 31], "DeviceError: builder mev chose unknown item 02"),
        (["not a choice"], "InvalidValue: "),
        ([[b"nested"]], "InvalidValue: "),
    ],
)
def test_a_builder_that_fails_loses_its_block_and_the_device_goes_on(
    answer: object, reason: str
) -> None:
    """Liveness (issue 11): whatever a builder raises or returns, ``build_block`` seals a
    block, built by the device's honest builder, with the reason kept."""
    device = make_device(builder_may_insert=True)
    user = send(device, "alice", tip=3)
    block = device.build_block(Broken(answer))
    assert block.builder_refused is not None and block.builder_refused.startswith(reason)
    assert "\n" not in block.builder_refused
    assert block.header.builder == "builder" and block.transactions == (user,)
    assert device.state_hash() == device.head.state_hash and device.number == 1


class Unprintable(Exception):
    """An agent's own exception whose text cannot be read."""

    def __str__(self) -> str:
        raise RuntimeError("no text for you")


def test_a_builder_raising_an_unprintable_exception_still_loses_only_its_block() -> None:
    device = make_device()
    user = send(device, "alice")
    block = device.build_block(Broken(Unprintable()))
    assert block.builder_refused == "Unprintable"
    assert block.transactions == (user,) and device.state_hash() == device.head.state_hash


def test_a_builder_interrupted_by_the_user_still_stops_the_run() -> None:
    """Only agent faults fall back: a KeyboardInterrupt in a builder propagates, with
    nothing sealed."""
    device = make_device()
    send(device, "alice")
    with pytest.raises(KeyboardInterrupt):
        device.build_block(Broken(KeyboardInterrupt()))
    assert device.number == 0 and device.state_hash() == device.head.state_hash
