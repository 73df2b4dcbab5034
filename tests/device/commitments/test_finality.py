"""Finality atoms in the commitment language: ``finalized`` and ``final_included``.

A commitment conditioned on a payment's finality fires in the first block whose
``ctx.finalized`` reaches the payment's block (``b + k + 1`` at depth ``k``), never
earlier; a fork that removes the payment before it is final means it never fires; what
a firing relied on is never changed by a later fork; replay gives the same chain; a
hostile document is refused naming its field; posting pays what ``cost.py`` says.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accord.device import Device, DeviceConfig, Transaction
from accord.device.commitments import MalformedCommitment, from_json, from_toml, to_toml
from accord.device.commitments.build import (
    commitment,
    final_excluded,
    final_included,
    finalized,
    transfer,
)
from accord.device.commitments.cost import EVAL_NODE_GAS, evaluation_gas, measure
from accord.device.commitments.language import (
    MAX_BLOCK_NUMBER,
    Commitment,
    FinalIncluded,
    Finalized,
)
from accord.device.commitments.registry import REGISTRY_ADDRESS
from accord.device.keys import Keyring
from accord.device.replay import replay
from tests.device.conftest import make_device, make_genesis

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HASH = "ab" * 32


def ship(pay: Transaction, expiry: int = 60, label: str = "ship") -> Commitment:
    """Bob ships 3 TOK to alice once her payment is in a final block."""
    return commitment(
        "bob",
        label,
        expiry=expiry,
        condition=final_included(pay.hash),
        actions=[transfer("TOK", "alice", 3)],
    )


def fired_in(device: Device, cid: str) -> list[int]:
    """Blocks of the current chain in which ``cid`` fired."""
    return [r.number for r in device.resolutions if cid in r.fired]


# -- the document ------------------------------------------------------------------------
hashes = st.binary(min_size=32, max_size=32)
numbers = st.integers(0, MAX_BLOCK_NUMBER)
cmps = st.sampled_from(["<", "<=", "==", "!=", ">=", ">"])


@SETTINGS
@given(tx=hashes, by=st.none() | numbers, cmp=cmps, value=numbers)
def test_finality_atoms_round_trip_through_json_and_toml(
    tx: bytes, by: int | None, cmp: str, value: int
) -> None:
    c = commitment(
        "bob",
        "x",
        expiry=5,
        condition=final_included(tx, by) & finalized().atom(cmp, value),  # type: ignore[arg-type]
    )
    assert from_json(c.to_json()) == c
    assert from_toml(to_toml(c)) == c
    atom = c.condition.args[0]  # type: ignore[union-attr]
    assert isinstance(atom, FinalIncluded) and atom.tx_hash == tx and atom.by == by
    assert c.condition.args[1] == Finalized(cmp=cmp, value=value)  # type: ignore[union-attr,arg-type]


def test_the_schema_lists_the_atoms() -> None:
    from accord.device.commitments import json_schema

    defs = json_schema()["$defs"]
    assert defs["Finalized"]["properties"]["op"]["const"] == "finalized"
    assert defs["FinalIncluded"]["properties"]["op"]["const"] == "final_included"


BAD_FIELDS: list[tuple[str, Any]] = [
    ("tx", "AB" * 32),
    ("tx", "0x" + "ab" * 32),
    ("tx", "ab" * 31),
    ("tx", "ab" * 33),
    ("tx", "zz" * 32),
    ("tx", "ab" * 32 + "\n"),
    ("tx", 7),
    ("tx", None),
    ("tx", ["ab"]),
    ("by", -1),
    ("by", MAX_BLOCK_NUMBER + 1),
    ("by", True),
    ("by", "3"),
    ("by", 3.0),
    ("by", [3]),
]
BAD_FINALIZED: list[tuple[str, Any]] = [
    ("value", -5),
    ("value", 1 << 70),
    ("value", False),
    ("value", "9"),
    ("value", 1.5),
    ("value", None),
    ("cmp", "=>"),
    ("cmp", 1),
]


@st.composite
def hostile_atom(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A finality atom with one bad field, and that field's name."""
    if draw(st.booleans()):
        name, bad = draw(st.sampled_from(BAD_FIELDS))
        atom: dict[str, Any] = {"op": "final_included", "tx": HASH, "by": 4, name: bad}
        if name == "by" and draw(st.booleans()):
            atom.pop("tx")  # tx missing: that is named first
            name = "tx"
    else:
        name, bad = draw(st.sampled_from(BAD_FINALIZED))
        atom = {"op": "finalized", "cmp": ">=", "value": 3, name: bad}
    if draw(st.booleans()):
        atom["surprise"] = 1  # an unknown key too: either may be named first
    return atom, name


def nest(atom: dict[str, Any], depth: int) -> tuple[dict[str, Any], str]:
    """``atom`` under ``depth`` connectives; the path to it."""
    path = "condition"
    wrapped = atom
    prefix = ""
    for level in range(depth):
        if level % 2:
            wrapped = {"op": "not", "arg": wrapped}
        else:
            wrapped = {"op": "and", "args": [{"op": "const", "value": True}, wrapped]}
    for level in reversed(range(depth)):
        prefix += ".not.arg" if level % 2 else ".and.args[1]"
    return wrapped, path + prefix + "." + atom["op"]


@SETTINGS
@given(case=hostile_atom(), depth=st.integers(0, 4))
def test_a_hostile_finality_atom_is_refused_naming_its_field(
    case: tuple[dict[str, Any], str], depth: int
) -> None:
    atom, name = case
    condition, path = nest(atom, depth)
    document = {"owner": "bob", "label": "x", "expiry": 9, "condition": condition}
    with pytest.raises(MalformedCommitment) as info:
        from_json(json.dumps(document))
    error = info.value
    assert error.field is not None and error.field.startswith(path + "."), error.field
    assert error.field.split(".")[-1] in (name, "surprise")
    assert "\n" not in str(error)


@SETTINGS
@given(case=hostile_atom())
def test_a_hostile_finality_document_never_reaches_the_device(
    case: tuple[dict[str, Any], str],
) -> None:
    """``Device.commit`` refuses it before signing; posted raw, the registry reverts
    naming the field and nothing is pending."""
    atom, name = case
    device = make_device(finality_depth=2)
    bob = device.account("bob")
    document = {"owner": "bob", "label": "x", "expiry": 9, "condition": atom}
    with pytest.raises(MalformedCommitment):
        device.commit(bob, document)
    assert len(device.mempool) == 0
    tx = device.sign(bob, REGISTRY_ADDRESS, "post", json.dumps(document), gas_limit=2_000_000)
    receipt = device.execute(tx)
    assert receipt.status == "reverted" and receipt.error is not None
    assert "malformed commitment" in receipt.error
    assert f"condition.{atom['op']}.{name}:" in receipt.error or "surprise" in receipt.error
    assert device.registry.count() == 0


@pytest.mark.parametrize("digits", ["9" * 5_000, "-" + "9" * 5_000])
def test_an_integer_too_long_for_python_is_named_by_its_field(digits: str) -> None:
    """``json.loads`` refuses integers over 4,300 digits with a ``ValueError``: the codec
    reads one as infinity, so the schema names the field; on chain the post reverts."""
    atom = f'{{"op":"final_included","tx":"{HASH}","by":{digits}}}'
    document = f'{{"owner":"bob","label":"x","expiry":9,"condition":{atom}}}'
    with pytest.raises(MalformedCommitment) as info:
        from_json(document)
    assert info.value.field == "condition.final_included.by"
    with pytest.raises(MalformedCommitment) as info:
        from_toml(f'owner = "bob"\nlabel = "x"\nexpiry = {digits}\n')
    assert info.value.field == "toml" and "\n" not in str(info.value)
    device = make_device(finality_depth=2)
    tx = device.sign(device.account("bob"), REGISTRY_ADDRESS, "post", document, gas_limit=3_000_000)
    receipt = device.execute(tx)
    assert receipt.status == "reverted" and receipt.error is not None
    assert "condition.final_included.by" in receipt.error
    assert device.registry.count() == 0


# -- firing on the device ----------------------------------------------------------------
@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_a_commitment_on_a_payment_fires_once_the_payment_is_final_never_earlier(k: int) -> None:
    device = make_device(finality_depth=k, record_inclusions=True)
    alice, bob = device.account("alice"), device.account("bob")
    pay = device.sign(alice, "bob", value={"USD": 100})
    device.commit(bob, ship(pay))
    device.build_blocks(2)
    device.submit(pay)
    device.build_block()
    b = device.number
    assert device.included(pay.hash) == b
    for _ in range(k + 4):
        final_before = device.is_final(b)
        already = bool(fired_in(device, "bob/ship"))
        device.build_block()
        fired = fired_in(device, "bob/ship") == [device.number]
        assert fired == (final_before and not already), (device.number, b, k)
    assert fired_in(device, "bob/ship") == [b + k + 1]
    assert device.balance("alice", "TOK") == 13 and device.balance("bob", "TOK") == 7


@pytest.mark.parametrize("k", [0, 2])
def test_finalized_names_a_final_block(k: int) -> None:
    device = make_device(finality_depth=k)
    bob = device.account("bob")
    target = 6
    c = commitment(
        "bob",
        "when",
        expiry=40,
        condition=finalized() >= target,
        actions=[transfer("TOK", "alice", 1)],
    )
    device.commit(bob, c)
    for _ in range(target + k + 3):  # bounded: a commitment that never fires fails, not hangs
        before = device.finalized
        already = fired_in(device, "bob/when") != []
        device.build_block()
        fired_now = fired_in(device, "bob/when") == [device.number]
        assert fired_now == (before >= target and not already), device.number
    assert fired_in(device, "bob/when") == [target + k + 1]


def test_a_device_that_records_no_inclusions_refuses_final_included() -> None:
    device = make_device()  # finality_depth 0: no inclusions recorded
    bob = device.account("bob")
    pay = device.sign(device.account("alice"), "bob", value={"USD": 1})
    tx = device.sign(bob, REGISTRY_ADDRESS, "post", ship(pay).to_json(), gas_limit=2_000_000)
    receipt = device.execute(tx)
    assert receipt.status == "reverted"
    assert receipt.error is not None and "records no inclusions" in receipt.error
    assert "\n" not in receipt.error
    assert device.registry.count() == 0


def fork_world(k: int = 2, **config: Any) -> tuple[Device, Transaction, Transaction]:
    """Bob's ``ship`` and carol's bounty (to dave, if alice's payment is left out of
    every block up to 6) are posted and final; alice's payment and a double spend of
    its nonce are signed."""
    device = make_device(keyring=Keyring(), finality_depth=k, **config)
    alice, bob, carol = (device.account(n) for n in ("alice", "bob", "carol"))
    pay = device.sign(alice, "bob", value={"USD": 100}, nonce=0)
    spend = device.sign(  # outbids the payment if both are pending
        alice, "alice", value={"USD": 100}, nonce=0, max_fee=pay.max_fee * 2, priority_fee=5
    )
    device.commit(bob, ship(pay, expiry=200))
    bounty = commitment(
        "carol",
        "bounty",
        expiry=60,
        condition=final_excluded(pay.hash, 6),
        actions=[transfer("USD", "dave", 50)],
    )
    device.commit(carol, bounty)
    device.build_blocks(k + 1)  # the posts are final
    return device, pay, spend


def test_a_fork_that_removes_the_payment_before_it_is_final_means_it_never_fires() -> None:
    device, pay, spend = fork_world()
    device.submit(pay)
    device.build_block()
    b = device.number
    assert b == 4 and not device.is_final(b)
    result = device.reorg(1, [[spend], []], builder="bandit")  # double spend in the fork
    assert [h for h, _ in result.dropped] == [pay.hash] and result.returned == ()
    device.build_blocks(30)
    assert device.included(pay.hash) is None
    assert fired_in(device, "bob/ship") == []
    assert device.balance("alice", "TOK") == 10
    # The exclusion is final once block 6 is: the bounty fires in 6 + k + 1 = 9.
    assert fired_in(device, "carol/bounty") == [9]
    assert device.balance("dave", "USD") == 1_050
    replayed = replay(device.log)  # type: ignore[arg-type]
    assert replayed.head == device.head and replayed.state_hash() == device.state_hash()


def test_a_reorged_payment_that_lands_again_fires_once_its_new_block_is_final() -> None:
    device, pay, _ = fork_world(k=3)
    device.submit(pay)
    device.build_block()
    assert device.number == 5
    device.reorg(2, [[], [], []])  # blocks 4, 5 replaced by three empty ones
    assert device.included(pay.hash) is None and pay.hash in device.mempool
    device.build_block()  # the returned payment lands in block 7
    b = device.included(pay.hash)
    assert b == 7
    device.build_blocks(6)
    assert fired_in(device, "bob/ship") == [b + 3 + 1]
    # It landed in 7 > 6: the exclusion holds once 6 is final, in block 6 + 3 + 1.
    assert fired_in(device, "carol/bounty") == [10]


def test_a_firing_undone_by_a_fork_fires_again_in_the_alternative_block() -> None:
    """The atom reads only final blocks, so the block replacing the firing block reads
    the same value: the commitment fires again at the same height."""
    device, pay, _ = fork_world(k=2)
    device.submit(pay)
    device.build_block()
    b = device.number
    device.build_blocks(3)
    assert fired_in(device, "bob/ship") == [b + 3]
    device.reorg(2, [[], [], []])  # replaces b + 2 and b + 3: the firing block
    assert fired_in(device, "bob/ship") == [b + 3]
    assert device.balance("alice", "TOK") == 13 and device.balance("bob", "TOK") == 7


def test_replay_of_a_sqlite_log_with_a_fork_and_finality_commitments(tmp_path: Any) -> None:
    path = tmp_path / "finality.db"
    keyring = Keyring()
    device = Device(DeviceConfig(finality_depth=2), make_genesis(), store=path, keyring=keyring)
    alice, bob = device.account("alice"), device.account("bob")
    pay = device.sign(alice, "bob", value={"USD": 100}, nonce=0)
    spend = device.sign(
        alice, "alice", value={"USD": 100}, nonce=0, max_fee=pay.max_fee * 2, priority_fee=5
    )
    device.commit(bob, ship(pay))
    device.build_blocks(3)
    device.submit(pay)
    device.build_block()
    device.reorg(1, [[spend], []], builder="bandit")
    pay2 = device.sign(alice, "bob", value={"USD": 7})
    device.commit(bob, ship(pay2, label="ship2"))
    device.submit(pay2)
    device.build_blocks(6)
    assert fired_in(device, "bob/ship") == [] and len(fired_in(device, "bob/ship2")) == 1
    device.log.close()  # type: ignore[attr-defined]
    replayed = replay(path)
    assert replayed.head == device.head
    assert replayed.state_hash() == device.state_hash()
    assert [r.fired for r in replayed.resolutions] == [r.fired for r in device.resolutions]


# -- what posting pays ----------------------------------------------------------------------
def test_finality_atoms_cost_one_node_each_per_block() -> None:
    pay = bytes(32)
    c = commitment(
        "bob",
        "a",
        expiry=10,
        condition=final_included(pay, 5) & (finalized() >= 3),
        actions=[transfer("TOK", "alice", 1)],
    )
    size = measure(c)
    assert (size.nodes, size.compiled, size.boxes, size.views, size.inclusions) == (3, 3, 0, 0, 1)
    # 3 nodes in one world plus one action, per block
    assert evaluation_gas(c, 7) == 7 * (3 + 1) * EVAL_NODE_GAS
    excluded = commitment("bob", "b", expiry=10, condition=final_excluded(pay, 5))
    assert measure(excluded).compiled == 4  # and, finalized, not, final_included


def test_posting_charges_what_cost_py_says() -> None:
    """Two documents of the same size whose lives differ by 100 blocks: the later post
    pays 100 more blocks of (3 nodes + 1 action) of evaluation (and a cheaper sequence
    number write, as in test_cost)."""
    device = make_device(finality_depth=2)
    bob = device.account("bob")
    pay = bytes(32)

    def doc(label: str, expiry: int) -> Commitment:
        return commitment(
            "bob",
            label,
            expiry=expiry,
            condition=final_included(pay, 5) & (finalized() >= 3),
            actions=[transfer("TOK", "alice", 1)],
        )

    def post(c: Commitment) -> int:
        tx = device.sign(bob, REGISTRY_ADDRESS, "post", c.to_json(), gas_limit=5_000_000)
        receipt = device.execute(tx)
        assert receipt.ok, receipt.error
        return receipt.gas_used

    short, long = doc("aaaa", device.number + 101), doc("bbbb", device.number + 202)
    assert len(short.to_json()) == len(long.to_json())
    s_gas = post(short)
    l_gas = post(long)
    assert l_gas - s_gas == 100 * (3 + 1) * EVAL_NODE_GAS - (20_000 - 5_000)


# -- generated histories with forks -------------------------------------------------------
@st.composite
def history(draw: st.DrawFn) -> dict[str, Any]:
    k = draw(st.integers(1, 3))
    steps = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["block", "block", "pay", "fork", "fork"]),
                st.integers(1, 3),  # fork depth (capped to k)
                st.integers(0, 2),  # fork: 0 empty, 1 the payment, 2 the double spend
                st.integers(1, 3),  # fork: extra blocks beyond the depth (capped to k)
            ),
            min_size=4,
            max_size=20,
        )
    )
    return {"k": k, "steps": steps}


@SETTINGS
@given(case=history())
def test_no_fork_changes_what_a_firing_relied_on(case: dict[str, Any]) -> None:
    """Over generated histories of blocks, the payment and forks (that drop, keep or
    double-spend it): every firing seen in any block (undone ones too) happened in
    block ``N`` with the payment in block ``b <= N - 1 - k`` at the time, and at the
    end the payment is still in block ``b``; the canonical chain's firing is in block
    ``b + k + 1`` exactly when that block exists (within the expiry), and replay agrees."""
    k = case["k"]
    device, pay, spend = fork_world(k)
    seen: list[tuple[int, int | None]] = []

    def hook(dev: Device, block: Any) -> None:
        res = dev.resolutions[-1] if dev.resolutions else None
        if res is not None and res.number == block.number and "bob/ship" in res.fired:
            seen.append((block.number, dev.included(pay.hash)))

    device.block_hooks.append(hook)
    for kind, depth, alt, extra in case["steps"]:
        pool = device.mempool
        # (a fork may have returned the double spend: it holds the nonce)
        if (
            kind == "pay"
            and device.nonce("alice") == 0
            and not (pay.hash in pool or spend.hash in pool)
        ):
            device.submit(pay)
        if kind != "fork":
            device.build_block()
            continue
        # The posts (block 1) are final: a fork of depth <= k replaces blocks >= 2.
        d = min(depth, k)
        items = [[], [pay], [spend]][alt]  # a nonce already used: the gate leaves it out
        device.reorg(d, [items] + [[] for _ in range(d + min(extra, k) - 1)])
    final_block = device.included(pay.hash)
    for number, b in seen:
        assert b is not None and b <= number - 1 - k
        assert final_block == b  # no later fork moved it
    fired = fired_in(device, "bob/ship")
    event(f"fired on the chain: {bool(fired)}; firings undone by a fork: {len(seen) > len(fired)}")
    event(f"the payment is on the chain: {final_block is not None}")
    if final_block is not None and final_block + k + 1 <= device.number:
        assert fired == [final_block + k + 1]
    else:
        assert fired == []
    replayed = replay(device.log)  # type: ignore[arg-type]
    assert replayed.head == device.head and replayed.state_hash() == device.state_hash()
