"""Commitments pay for their evaluation per node *and per Kripke world*; the block's
evaluation never exceeds what was paid; calls into metered contracts are metered.

Pins ``accord/device/commitments/cost.py`` (``evaluation_units``: compiled nodes × worlds
+ actions, from the document), ``modal.py``'s ``WorkBudget`` and ``resolver.py`` (the
block's budget is the sum its pending commitments paid for; past it nothing fires; a view
or an action calling a contract from ``Genesis.metered_modules`` runs under the step
meter). Issue 11, "Gas bounds work".
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.device import Device, DeviceConfig, checks
from accord.device.commitments.build import (
    FALSE,
    TRUE,
    block,
    call,
    commitment,
    fires,
    fires_against,
    provable,
    transfer,
    view,
)
from accord.device.commitments.cost import (
    EVAL_NODE_GAS,
    EXISTS_SCAN,
    evaluation_gas,
    evaluation_units,
    measure,
)
from accord.device.commitments.language import And, Formula, Implies, Not, Or
from accord.device.commitments.modal import ModalSolver, WorkBudget
from accord.device.commitments.registry import REGISTRY_ADDRESS
from tests.device.conftest import make_device, make_genesis
from tests.device.hostile_contracts import Hostile

SELF_ID = "alice/x"


def formulas(refs: list[str]) -> st.SearchStrategy[Formula]:
    """Random conditions: constants, block atoms, references to ``refs`` (and to the
    commitment itself), under any nesting of the connectives and of ``provable``."""
    leaves = st.one_of(
        st.sampled_from([TRUE, FALSE]),
        st.integers(0, 3).map(lambda v: block() >= v),
        st.sampled_from([*refs, "$self"]).map(fires),
        st.sampled_from(refs).map(lambda r: fires_against(r, "$self")),
    )
    return st.recursive(
        leaves,
        lambda kids: st.one_of(
            kids.map(lambda f: Not(arg=f)),
            kids.map(provable),
            st.lists(kids, min_size=1, max_size=3).map(lambda a: And(args=a)),
            st.lists(kids, min_size=1, max_size=3).map(lambda a: Or(args=a)),
            st.tuples(kids, kids).map(lambda p: Implies(premise=p[0], conclusion=p[1])),
        ),
        max_leaves=25,
    )


@settings(max_examples=200, deadline=None)
@given(formulas(["bob/y", "carol/z"]), st.integers(0, 3))
def test_one_commitments_solve_stays_within_its_document_bound(
    condition: Formula, actions: int
) -> None:
    """Alone (the commitments it names absent), a commitment compiles to at most
    ``measure().compiled`` nodes, needs at most ``boxes + 1`` worlds, and the solver's
    counted work never exceeds ``evaluation_units``: the posting charge covers it."""
    c = commitment(
        "alice",
        "x",
        expiry=9,
        condition=condition,
        actions=[transfer("USD", "bob", 1)] * actions,
    )
    size = measure(c)
    assert evaluation_units(c) == size.compiled * (size.boxes + 1) + actions
    budget = WorkBudget(evaluation_units(c))
    solver = ModalSolver(
        {SELF_ID: c},
        state=lambda atom, program: True,
        budget=budget,
        sizes=lambda cid: measure(c).compiled if cid == SELF_ID else 1,
    )
    solution = solver.solve([solver.instance(SELF_ID)])
    assert solution.worlds <= size.boxes + 1
    assert budget.used <= budget.limit
    unbudgeted = ModalSolver({SELF_ID: c}, state=lambda atom, program: True)
    assert unbudgeted.solve([unbudgeted.instance(SELF_ID)]).fires == solution.fires


def nested(depth: int) -> Formula:
    """``provable(provable(… false …))``: ``□^d ⊥`` holds up to world ``d − 1`` and fails
    from world ``d`` on, so each level adds a world."""
    f: Formula = FALSE
    for _ in range(depth):
        f = provable(f)
    return f


def test_the_charge_grows_with_nodes_times_worlds() -> None:
    """``depth`` nested boxes: ``depth + 1`` compiled nodes in ``depth + 1`` worlds. The
    per-block charge is their product: quadratic in the depth, where a charge per node
    (the old one) grew linearly."""
    for depth in (1, 10, 100):
        c = commitment("alice", "deep", expiry=5, condition=nested(depth))
        size = measure(c)
        assert (size.nodes, size.compiled, size.boxes) == (depth + 1, depth + 1, depth)
        assert evaluation_units(c) == (depth + 1) * (depth + 1)
        assert evaluation_gas(c, 1) == EVAL_NODE_GAS * (depth + 1) ** 2
        solver = ModalSolver({"alice/deep": c})
        worlds = solver.solve([solver.instance("alice/deep")]).worlds
        assert worlds == depth + 1  # the bound is reached: each box flips in its own world


def test_a_commitment_with_too_many_worlds_is_refused_at_posting() -> None:
    """Six chains of 100 nested boxes: 607 compiled nodes over up to 601 worlds, 364,807
    units a block, ~36M gas for one block of life, past a 30M block: posting it runs out
    of gas and leaves nothing pending."""
    device = make_device()
    deep = And(args=[nested(100)] * 6)
    c = commitment("alice", "deep", expiry=device.number + 1, condition=deep)
    assert evaluation_units(c) == 607 * 601
    assert evaluation_gas(c, 1) > 30_000_000
    tx = device.sign(
        device.account("alice"), REGISTRY_ADDRESS, "post", c.to_json(), gas_limit=30_000_000
    )
    receipt = device.execute(tx)
    assert receipt.status == "out_of_gas", receipt.error
    assert device.registry.count() == 0
    shallow = commitment("alice", "ok", expiry=device.number + 1, condition=nested(50))
    device.commit(device.account("alice"), shallow)
    device.build_block()
    assert device.resolutions[-1].work <= evaluation_units(shallow)


def test_an_exists_atom_pays_for_its_scan_and_references() -> None:
    from accord.device.commitments.build import exists

    plain = commitment("alice", "e", expiry=5, condition=exists(owner="bob", fires=False))
    firing = commitment("alice", "f", expiry=5, condition=exists(owner="bob"))
    assert measure(plain).compiled == 1 + EXISTS_SCAN and measure(plain).boxes == 0
    assert measure(firing).compiled == 1 + 3 * EXISTS_SCAN
    assert measure(firing).boxes == EXISTS_SCAN


def test_hypothetical_copies_beyond_what_was_paid_fire_nothing_and_halt_nothing() -> None:
    """Carol posts one large program and 40 cheap commitments, each asking what it would
    do against a different counterpart: each question compiles the large program again,
    work no single document paid for. The block's evaluation stops at the budget (what
    the pending commitments paid per block), fires nothing, seals, and replays; once the
    hostile commitments expire, commitments fire again."""
    device = make_device()
    expiry = device.number + 2
    big = commitment(
        "carol", "big", expiry=expiry, condition=And(args=[block() >= k for k in range(300)])
    )
    askers = [
        commitment(
            "carol",
            f"ask{k}",
            expiry=expiry,
            condition=fires_against("carol/big", f"nobody{k}"),
            actions=[transfer("USD", "bob", 1)],
        )
        for k in range(40)
    ]
    for c in (big, *askers):
        device.commit(device.account("carol"), c)
    device.build_block()
    res = device.resolutions[-1]
    budget = sum(evaluation_units(c) for c in (big, *askers))
    assert res.exhausted and res.fired == () and res.groups == ()
    assert res.work <= budget < 40 * 300  # far less than the copies would have cost
    assert device.balance("bob", "USD") == 1_000  # nobody was paid
    device.build_block()  # the hostile commitments expire here
    assert device.pending_commitments() == []
    honest = commitment("alice", "pay", expiry=device.number + 3, condition=TRUE,
                        actions=[transfer("USD", "bob", 5)])  # fmt: skip
    device.commit(device.account("alice"), honest)
    device.build_block()
    assert device.resolutions[-1].fired == ("alice/pay",) and not device.resolutions[-1].exhausted
    assert device.balance("bob", "USD") == 1_005
    checks.replay_equality(device)


# -- calls into metered contracts ---------------------------------------------------------
def metered_device() -> tuple[Device, str]:
    genesis = make_genesis().model_copy(update={"metered_modules": (Hostile.__module__,)})
    device = Device(DeviceConfig(), genesis, seed=0)
    checks.check_every_block(device)
    return device, device.deploy(device.account("alice"), Hostile)


def test_a_view_atom_on_a_looping_metered_contract_runs_out_of_gas_and_is_false() -> None:
    """A commitment's view calls a metered contract whose method loops for ever: the step
    meter stops it at the view's gas (``COMMITMENT_VIEW_GAS``), the atom is false, the
    block seals, and the contract's writes are undone."""
    device, hostile = metered_device()
    c = commitment(
        "alice",
        "watch",
        expiry=device.number + 3,
        condition=view(hostile, "spin_writing") >= 0,
        actions=[transfer("USD", "bob", 1)],
    )
    device.commit(device.account("alice"), c)
    device.build_block()
    res = device.resolutions[-1]
    assert res.fired == () and not res.exhausted
    assert device.contract_at(hostile).storage().get("counter", 0) == 0
    assert device.pending_commitments() == [c]
    checks.replay_equality(device)


def test_an_action_calling_a_looping_metered_contract_fails_out_of_gas() -> None:
    """A commitment's action calls a metered looping method: the step meter stops it at
    the action's own gas; the group fails and rolls back, the block seals."""
    device, hostile = metered_device()
    c = commitment(
        "alice",
        "poke",
        expiry=device.number + 3,
        condition=TRUE,
        actions=[transfer("USD", "bob", 7), call(hostile, "spin_writing", gas=300_000)],
    )
    device.commit(device.account("alice"), c)
    device.build_block()
    (group,) = device.resolutions[-1].groups
    assert not group.ok and group.error is not None and "OutOfGas" in group.error
    assert device.balance("bob", "USD") == 1_000  # the transfer before it was undone
    assert device.contract_at(hostile).storage().get("counter", 0) == 0
    checks.replay_equality(device)


def test_an_action_may_not_ask_for_more_than_the_action_gas_cap() -> None:
    """An action's ``gas`` bounds the steps a metered contract may run for it when the
    commitment settles; posting one that asks for more than ``MAX_ACTION_GAS`` reverts
    naming it, and nothing is pending."""
    from accord.device.commitments.registry import MAX_ACTION_GAS

    device, hostile = metered_device()
    for gas, ok in ((MAX_ACTION_GAS, True), (MAX_ACTION_GAS + 1, False), (10**12, False)):
        c = commitment("alice", f"g{gas}", expiry=device.number + 5,
                       condition=FALSE, actions=[call(hostile, "spin", gas=gas)])  # fmt: skip
        tx = device.sign(
            device.account("alice"), REGISTRY_ADDRESS, "post", c.to_json(), gas_limit=5_000_000
        )
        receipt = device.execute(tx)
        assert receipt.ok == ok, receipt.error
        if not ok:
            assert receipt.error is not None and "MAX_ACTION_GAS" in receipt.error
    assert device.registry.count() == 1
