"""Commitments pay for their evaluation: a maximum expiry and an up-front charge.

Pins ``accord/device/commitments/cost.py`` and the registry's checks: an expiry more
than ``max_commitment_blocks`` ahead is refused; posting costs, up front, the
evaluation of every block of the commitment's life (nodes and distinct views); a
commitment with thousands of view atoms cannot be posted for free, nor live long.
"""

from __future__ import annotations

from functools import reduce

from hypothesis import example, given, settings
from hypothesis import strategies as st

from accord.device import Device
from accord.device.commitments.build import balance, block, commitment, transfer, view
from accord.device.commitments.cost import (
    EVAL_NODE_GAS,
    EVAL_VIEW_GAS,
    condition_size,
    evaluation_gas,
)
from accord.device.commitments.language import And, Commitment, Formula
from accord.device.commitments.registry import REGISTRY_ADDRESS, CommitmentRegistry
from tests.device.conftest import make_device


def simple(expiry: int, label: str = "pay") -> Commitment:
    return commitment(
        "alice",
        label,
        expiry=expiry,
        condition=(block() >= 10_000) & (balance("alice", "USD") >= 1),
        actions=[transfer("USD", "bob", 1)],
    )


def post_raw(device: Device, c: Commitment, gas_limit: int) -> tuple[str, int, str | None]:
    """Post ``c`` with an explicit gas limit; the receipt's status, gas and error."""
    tx = device.sign(
        device.account(c.owner), REGISTRY_ADDRESS, "post", c.to_json(), gas_limit=gas_limit
    )
    receipt = device.execute(tx)
    return receipt.status, receipt.gas_used, receipt.error


def test_condition_size_counts_nodes_and_distinct_views() -> None:
    c = simple(5)
    assert condition_size(c) == (3, 0)  # and(block, balance)
    pool = "0xpool"
    atoms = [view(pool, "spot_price", "A") <= (k, 1) for k in range(5)]
    atoms.append(view(pool, "reserves") <= (1, 1))
    with_views = commitment("alice", "v", expiry=5, condition=reduce(lambda a, b: a & b, atoms))
    # 6 view atoms over 2 distinct views; 5 And nodes joining them
    assert condition_size(with_views) == (11, 2)
    assert evaluation_gas(with_views, 4) == 4 * (11 * EVAL_NODE_GAS + 2 * EVAL_VIEW_GAS)


def test_an_expiry_beyond_max_commitment_blocks_is_refused() -> None:
    device = make_device(max_commitment_blocks=10)
    start = device.number + 1  # the block the post lands in
    ok = simple(start + 9, "ok")  # 10 blocks of life: the most allowed
    too_far = simple(start + 10, "far")
    status, _, error = post_raw(device, too_far, 5_000_000)
    assert status == "reverted" and error is not None and "max_commitment_blocks" in error
    assert device.registry.count() == 0
    start = device.number + 1
    ok = simple(start + 9, "ok")
    status, _, error = post_raw(device, ok, 5_000_000)
    assert status == "success", error
    assert device.registry.count() == 1


def test_posting_charges_every_block_of_life_up_front() -> None:
    device = make_device()
    start = device.number + 1
    short = simple(start + 100, "aaaa")  # 101 blocks of life
    s_status, s_gas, _ = post_raw(device, short, 5_000_000)
    start = device.number + 1
    long = simple(start + 200, "bbbb")  # 201 blocks of life
    assert len(short.to_json()) == len(long.to_json())  # same size: only life differs
    l_status, l_gas, _ = post_raw(device, long, 5_000_000)
    assert s_status == l_status == "success"
    # 100 more blocks of 3 nodes (one world: no box) and 1 action each (the sequence
    # number's storage write differs between a first and a second post: WRITE_NEW then
    # WRITE)
    assert l_gas - s_gas == 100 * (3 + 1) * EVAL_NODE_GAS - (20_000 - 5_000)


def test_too_little_gas_for_the_evaluation_posts_nothing() -> None:
    device = make_device()
    c = simple(device.number + 1 + 999, "pricey")
    need = CommitmentRegistry.post_gas(c, device.number + 1)
    status, _, _ = post_raw(device, c, need - 3 * EVAL_NODE_GAS * 1000)
    assert status == "out_of_gas"
    assert device.registry.count() == 0
    assert post_raw(device, c, need)[0] == "success"


def test_thousands_of_view_atoms_cannot_be_posted_for_free() -> None:
    """The issue's commitment with thousands of view atoms: each distinct view is paid
    for every block, so 2,000 of them cannot even live one block within a block's gas."""
    device = make_device()
    atoms: list[Formula] = [view("0xpool", "quote", "A", k) >= 1 for k in range(2_000)]
    heavy = commitment(
        "alice",
        "heavy",
        expiry=device.number + 1,
        condition=And(args=atoms),  # flat: one And of 2,000 atoms
    )
    assert evaluation_gas(heavy, 1) >= 2_000 * EVAL_VIEW_GAS > 30_000_000
    status, _, error = post_raw(device, heavy, 30_000_000)
    assert status == "out_of_gas", error
    assert device.registry.count() == 0


@settings(max_examples=25, deadline=None)
@example(life=1, cap=1)  # found on a clean install: expires in its own block
@given(life=st.integers(min_value=-5, max_value=40), cap=st.integers(min_value=1, max_value=30))
def test_a_post_succeeds_exactly_when_its_life_is_within_the_cap(life: int, cap: int) -> None:
    device = make_device(max_commitment_blocks=cap)
    start = device.number + 1
    expiry = start + life - 1
    if expiry < 0:
        return
    c = simple(expiry, "x")
    status, _, error = post_raw(device, c, CommitmentRegistry.post_gas(c, start))
    assert (status == "success") == (1 <= life <= cap), (life, cap, error)
    if status != "success":
        assert device.registry.count() == 0
    elif life > 1:
        assert device.registry.count() == 1
    else:  # a life of one block: it expires at the end of the block that posted it
        assert device.registry.count() == 0
        assert [g.members for g in device.resolutions[-1].expired] == [(c.id,)]
