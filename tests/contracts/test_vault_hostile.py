"""Vault under generated hostile calls, one by one and settled in batch.

Deposits, moves and reads are drawn with hostile names and amounts, by any user or a
contract; under the ``batch`` ordering rule, blocks of hostile deposits from several
senders settle together. After every call or block: ``total`` is the sum of the
balances, every balance is a positive int held by a name, a move was made by its source
or the owner and moved exactly its amount, and the shared checks of
:class:`~tests.contracts.hostile_args.Hostile`.
"""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from accord.contracts.vault import Vault
from accord.device import Device, DeviceError, Receipt
from tests.contracts.hostile_args import (
    GAS,
    USERS,
    Hostile,
    Relay,
    Snapshot,
    Step,
    amounts,
    call,
    hostile_device,
    names,
    relayed,
    steps,
)

METHODS = {
    "deposit": call(names("@relay"), amounts()),
    "move": call(names("@relay"), names("@relay"), amounts()),
    "balance_of": call(names()),
    "@relay:relay": relayed(
        "@target",
        {"move": st.tuples(names(), names(), amounts()), "deposit": st.tuples(names(), amounts())},
    ),
}


def books(vault: str) -> Any:
    def check(device: Device) -> None:
        s = device.contract_at(vault).storage()
        assert s.get("total", 0) == sum(s["balances"].values())
        for who, amount in s["balances"].items():
            assert type(who) is str and who and type(amount) is int and amount > 0, (who, amount)

    return check


def vault_rule(vault: str) -> Any:
    def rule(step: Step, before: Snapshot, receipt: Receipt) -> None:
        if step.method != "move":
            return
        a, _, amount = step.args
        old = before.storage[vault]["balances"]
        assert step.who in (a, before.storage[vault]["owner"])
        assert type(amount) is int and 0 < amount <= old.get(a, 0)

    return rule


@settings(max_examples=100, deadline=None)
@given(steps(METHODS, senders=("bob", "alice", "carol", "mallory")))
@example([Step("bob", "deposit", (None, 5))])  # credited to no one
@example([Step("bob", "deposit", ("bob", 5)), Step("bob", "move", ("bob", (1, 2), 5))])
def test_vault_hostile_sequences(sequence: list[Step]) -> None:
    device = hostile_device()
    relay = device.deploy(device.account("mallory"), Relay)
    vault = device.deploy(device.account("alice"), Vault)
    hostile = Hostile(device, watch=[vault], aliases={"@relay": relay}, invariant=books(vault))
    hostile.rule = vault_rule(vault)
    hostile.run(vault, sequence)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.sampled_from(USERS), METHODS["deposit"]), max_size=4),
        min_size=1,
        max_size=5,
    )
)
def test_vault_batch_hostile_blocks(blocks: list[Any]) -> None:
    device = hostile_device(ordering="batch")
    vault = device.deploy(device.account("alice"), Vault)
    hostile = Hostile(device, watch=[vault], invariant=books(vault))
    for deposits in blocks:
        before = hostile.snapshot()
        sent: dict[bytes, str] = {}
        for who, (args, _) in deposits:
            try:
                tx = device.sign(device.account(who), vault, "deposit", *args, gas_limit=GAS)
                sent[device.submit(tx)] = who
            except (DeviceError, ValueError):  # refused at signing or at the gate
                pass
        block = device.build_block()
        hostile.check_outcome(before, [(sent[r.tx_hash], r) for r in block.receipts])
