"""Property tests: random transfers, escrow, bundles and reverts over several blocks.

After every block, conservation and non-negativity hold (``checks.check_every_block``);
the same operations give the same state hash twice, and the event log replays to it.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.device import Bundle, Device, Transaction, checks
from accord.device.keys import Keyring
from tests.device.conftest import USERS, make_device
from tests.device.sample_contracts import Escrow, Vault

KEYRING = Keyring(bytes(range(32)))

ASSETS = ("ETH", "USD", "TOK")
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

user = st.sampled_from(USERS)
asset = st.sampled_from(ASSETS)
amount = st.integers(0, 1_200)  # sometimes more than a USD/TOK balance: a revert

transfer = st.tuples(st.just("transfer"), user, user, asset, amount, st.integers(0, 3))
deposit = st.tuples(st.just("deposit"), user, asset, amount)
refund = st.tuples(st.just("refund"), user, asset, amount)
pay = st.tuples(st.just("pay"), user, asset, amount, user)
revert = st.tuples(st.just("revert"), user)
out_of_gas = st.tuples(st.just("oog"), user)
block = st.tuples(st.just("block"))
single = st.one_of(transfer, deposit, refund, pay, revert, out_of_gas)
bundle = st.tuples(
    st.just("bundle"),
    user,
    st.lists(st.one_of(transfer, deposit, pay, revert), min_size=1, max_size=3),
    st.booleans(),  # allow the bundle's reverting calls
    st.integers(0, 3),  # max_block offset
)
ops_strategy = st.lists(st.one_of(single, single, bundle, block), max_size=25)
design = st.fixed_dictionaries(
    {
        "ordering": st.sampled_from(["fcfs", "priority", "random"]),
        "mempool": st.sampled_from(["public", "private", "sealed"]),
        "fee_market": st.sampled_from(["eip1559", "first_price"]),
    }
)


def sign_op(device: Device, addrs: dict[str, str], op: tuple[Any, ...], nonce: int) -> Transaction:
    """The transaction an operation stands for, signed by its sender at ``nonce``."""
    kind = op[0]
    if kind == "transfer":
        _, sender, to, what, n, tip = op
        return device.sign(
            device.account(sender), to, value={what: n}, priority_fee=tip, nonce=nonce
        )
    if kind == "deposit":
        _, sender, what, n = op
        return device.sign(device.account(sender), addrs["escrow"], "deposit", what, n, nonce=nonce)
    if kind == "refund":
        _, sender, what, n = op
        return device.sign(device.account(sender), addrs["escrow"], "refund", what, n, nonce=nonce)
    if kind == "pay":
        _, sender, what, n, to = op
        return device.sign(device.account(sender), addrs["escrow"], "pay", what, n, to, nonce=nonce)
    if kind == "revert":
        _, sender = op
        return device.sign(
            device.account(sender),
            addrs["vault"],
            "pay_in_then_revert",
            value={"ETH": 7},
            nonce=nonce,
        )
    if kind == "oog":
        _, sender = op
        return device.sign(
            device.account(sender),
            addrs["vault"],
            "burn_gas",
            10**6,
            gas_limit=60_000,
            nonce=nonce,
        )
    raise AssertionError(kind)


def run(ops: list[tuple[Any, ...]], config: dict[str, Any], seed: int = 0) -> Device:
    # invariants checked after every block; one keyring, so that header hashes (which
    # commit to the genesis hash, hence to the public keys) are comparable across runs
    device = make_device(seed=seed, keyring=KEYRING, **config)
    alice = device.account("alice")
    addrs = {"vault": device.deploy(alice, Vault), "escrow": device.deploy(alice, Escrow)}
    for op in ops:
        if op[0] == "block":
            device.build_block()
        elif op[0] == "bundle":
            _, sender, inner, allow, offset = op
            start = device.next_nonce(sender)
            txs = tuple(
                sign_op(device, addrs, (o[0], sender, *o[2:]), start + i)
                for i, o in enumerate(inner)
            )
            reverting = frozenset(tx.hash for tx in txs) if allow else frozenset()
            max_block = device.number + 1 + offset
            device.submit_bundle(
                Bundle(txs, max_block=max_block, reverting=reverting), sender=sender
            )
        else:
            device.submit(sign_op(device, addrs, op, device.next_nonce(op[1])))
    device.build_blocks(2)
    return device


def burned(device: Device) -> int:
    return sum(h.base_fee * h.gas_used for h in device.headers)


@SETTINGS
@given(ops=ops_strategy, config=design)
def test_invariants_hold_after_every_block(
    ops: list[tuple[Any, ...]], config: dict[str, Any]
) -> None:
    device = run(ops, config)
    checks.block_invariants(device)
    # only the base fee is ever destroyed; nothing else is minted or burned
    assert device.supply("ETH") == 5 * 10**18 - burned(device)
    assert device.supply("USD") == 4_000
    assert device.supply("TOK") == 40
    # the escrow's books agree with the ledger's locks
    escrow = next(a for a, c in device.contracts.items() if isinstance(c, Escrow))
    books = device.contract_at(escrow).storage()["held"]
    locks = {(o, a): n for (o, a, h), n in device.ledger.locked.items() if h == escrow}
    assert books == locks
    assert all(h == escrow for (_, _, h) in device.ledger.locked)
    # no internal balance survives a revert in the vault
    vault = next(a for a, c in device.contracts.items() if isinstance(c, Vault))
    assert device.contract_at(vault).storage()["balances"] == {}
    assert device.balance(vault, "ETH") == 0


@SETTINGS
@given(ops=ops_strategy, config=design)
def test_same_operations_same_state_hash(
    ops: list[tuple[Any, ...]], config: dict[str, Any]
) -> None:
    first, second = run(ops, config), run(ops, config)
    assert first.state_hash() == second.state_hash()
    assert [h.hash for h in first.headers] == [h.hash for h in second.headers]


@SETTINGS
@given(ops=ops_strategy, config=design, seed=st.integers(0, 3))
def test_replay_reproduces_every_block(
    ops: list[tuple[Any, ...]], config: dict[str, Any], seed: int
) -> None:
    device = run(ops, config, seed)
    assert checks.replay_equality(device) == device.state_hash()
