"""DeepFund: funding a node pays everyone it reaches, exactly and conserved.

Exact balances after each scenario; a property test over random cyclic graphs checks that
the payouts sum to the amount, each is the floor or ceiling of its exact quota, the
contract keeps nothing, and the ledger's conservation holds after every block.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.contracts.deepfund import DeepFund
from accord.device import AssetSpec, Device, DeviceConfig, DeviceError, Genesis, checks
from accord.mechanisms.deepfund.exact import UnitEdge, adjacency, exact_shares
from tests.mechanisms.deepfund.test_exact import unit_graphs

USD = "USD"
START = 10**30
GAS = 10_000_000


def make_device() -> Device:
    genesis = Genesis(
        assets={
            "ETH": AssetSpec(
                issuer="treasury", alloc={"gov": 10**24, "donor": 10**24, "mx": 10**24}
            ),
            USD: AssetSpec(issuer="fed", alloc={"donor": START}),
        },
    )
    device = Device(DeviceConfig(block_gas_limit=30_000_000), genesis, seed=3)
    checks.check_every_block(device)
    return device


def deploy(
    device: Device,
    edges: tuple[tuple[str, str, int], ...] = (("a", "b", 50), ("b", "a", 40), ("b", "c", 30)),
    maintainers: tuple[tuple[str, str], ...] = (("a", "ma"), ("b", "mb"), ("c", "mc")),
    scale: int = 100,
    governor: str = "gov",
) -> str:
    return device.deploy(
        device.account("gov"), DeepFund, USD, scale, maintainers, edges, governor, gas_limit=GAS
    )


def call(device: Device, who: str, to: str, method: str, *args: Any, **kw: Any) -> Any:
    receipt = device.call(device.account(who), to, method, *args, gas_limit=GAS, **kw)
    if not receipt.ok:
        raise AssertionError(f"{method} reverted: {receipt.error}")
    return receipt.result


def reverts(
    device: Device, who: str, to: str, method: str, *args: Any, match: str, **kw: Any
) -> None:
    storage = device.contract_at(to).storage()
    before = {a: device.balance(a, USD) for a in ("donor", "ma", "mb", "mc", to)}
    receipt = device.call(device.account(who), to, method, *args, gas_limit=GAS, **kw)
    assert receipt.status == "reverted", f"{method} should revert"
    assert receipt.error is not None and match in receipt.error, receipt.error
    assert device.contract_at(to).storage() == storage
    assert {a: device.balance(a, USD) for a in before} == before


def usd(device: Device, who: str) -> int:
    return device.balance(who, USD)


def test_funding_pays_the_cycle_exactly() -> None:
    device = make_device()
    fund = deploy(device)
    # s_a = 1/(1 − 0.5·0.4) = 5/4, s_b = 5/8, s_c = 0.3·5/8: shares 5/8, 3/16, 3/16
    paid = call(device, "donor", fund, "fund", "a", value={USD: 1000})
    assert paid == (("a", 625), ("b", 188), ("c", 187))  # 187.5 each: the tie goes to "b"
    assert (usd(device, "ma"), usd(device, "mb"), usd(device, "mc")) == (625, 188, 187)
    assert usd(device, "donor") == START - 1000 and usd(device, fund) == 0
    assert call(device, "donor", fund, "total_funded", "a") == 1000
    assert call(device, "donor", fund, "total_received", "b") == 188
    # funding b: s_b = 1/(1 − 0.2) = 5/4, s_a = 0.4·5/4 = 1/2, s_c = 0.3·5/4 = 3/8;
    # shares b 0.3·5/4 = 3/8, a 0.5·1/2 = 1/4, c 3/8
    assert call(device, "donor", fund, "quote", "b", 8) == (("a", 2), ("b", 3), ("c", 3))
    assert call(device, "donor", fund, "fund", "b", value={USD: 8}) == (
        ("a", 2),
        ("b", 3),
        ("c", 3),
    )
    assert call(device, "donor", fund, "total_received", "b") == 191
    receipt = device.call(device.account("donor"), fund, "fund", "c", value={USD: 5}, gas_limit=GAS)
    assert receipt.result == (("c", 5),)
    assert [e.name for e in receipt.events] == ["Funded"]


def test_a_shared_maintainer_is_paid_the_sum() -> None:
    device = make_device()
    fund = deploy(device, maintainers=(("a", "ma"), ("b", "ma"), ("c", "mc")))
    call(device, "donor", fund, "fund", "a", value={USD: 1000})
    assert usd(device, "ma") == 625 + 188 and usd(device, "mc") == 187


def test_funding_errors_change_nothing() -> None:
    device = make_device()
    fund = deploy(device)
    reverts(device, "donor", fund, "fund", "zz", value={USD: 10}, match="unknown node 'zz'")
    reverts(device, "donor", fund, "fund", "a", match="send a positive amount of USD")
    reverts(
        device, "donor", fund, "fund", "a", value={"ETH": 10}, match="only USD funds this graph"
    )
    reverts(
        device, "donor", fund, "fund", "", value={USD: 10}, match="node must be a non-empty str"
    )
    reverts(device, "donor", fund, "quote", "a", 0, match="amount must be a positive int")


@pytest.mark.parametrize(
    ("edges", "maintainers", "scale", "message"),
    [
        ((("a", "b", 50),), (("a", "ma"),), 100, "node 'b' has no maintainer"),
        ((("a", "b", 100), ("b", "a", 100)), (("a", "ma"), ("b", "mb")), 100, "keeps nothing"),
        (
            (("a", "b", 60), ("a", "c", 50)),
            (("a", "m"), ("b", "m"), ("c", "m")),
            100,
            "sum to 110 > scale 100",
        ),
        ((("a", "a", 5),), (("a", "ma"),), 100, "self-loop"),
        ((("a", "b", 5),), (("a", "ma"), ("b", "mb")), 0, "scale must be a positive int"),
        ((), (("a", "ma"), ("a", "mb")), 100, "node 'a' listed twice"),
    ],
)
def test_bad_graphs_are_refused_at_deployment(
    edges: tuple[tuple[str, str, int], ...],
    maintainers: tuple[tuple[str, str], ...],
    scale: int,
    message: str,
) -> None:
    device = make_device()
    with pytest.raises(DeviceError, match=message):
        deploy(device, edges=edges, maintainers=maintainers, scale=scale)


def test_governance_changes_the_weights() -> None:
    device = make_device()
    fund = deploy(device)
    reverts(device, "donor", fund, "add_node", "d", "md", match="only the governor")
    call(device, "gov", fund, "add_node", "d", "md")
    reverts(device, "gov", fund, "add_node", "d", "mx", match="already exists")
    call(device, "gov", fund, "set_dependencies", "c", (("d", 50),))
    assert call(device, "donor", fund, "dependencies", "c") == (("d", 50),)
    assert call(device, "donor", fund, "fund", "c", value={USD: 10}) == (("c", 5), ("d", 5))
    # a change that would close a cycle keeping nothing is refused, and changes nothing
    call(device, "gov", fund, "set_dependencies", "d", (("c", 100),))
    reverts(device, "gov", fund, "set_dependencies", "c", (("d", 100),), match="keeps nothing")
    reverts(
        device, "gov", fund, "set_dependencies", "c", (("zz", 1),), match="'zz' has no maintainer"
    )
    reverts(device, "gov", fund, "set_dependencies", "c", (("d", 101),), match="> scale 100")
    reverts(device, "donor", fund, "set_dependencies", "c", (), match="only the governor")
    call(device, "gov", fund, "set_dependencies", "c", ())
    assert call(device, "donor", fund, "dependencies", "c") == ()
    call(device, "gov", fund, "renounce_governor")
    reverts(device, "gov", fund, "set_dependencies", "c", (("d", 1),), match="only the governor")


def test_a_maintainer_hands_its_payouts_on() -> None:
    device = make_device()
    fund = deploy(device, maintainers=(("a", "ma"), ("b", "mb"), ("c", "mx")))
    reverts(device, "gov", fund, "set_maintainer", "c", "gov", match="only 'c''s maintainer")
    call(device, "mx", fund, "set_maintainer", "c", "mc")
    assert call(device, "donor", fund, "maintainer", "c") == "mc"
    call(device, "donor", fund, "fund", "c", value={USD: 3})
    assert usd(device, "mc") == 3 and usd(device, "mx") == 0


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(unit_graphs(max_nodes=6), st.integers(1, 10**20), st.data())
def test_payouts_are_conserved_and_within_a_unit_of_the_exact_quota(
    case: tuple[int, list[UnitEdge]], amount: int, data: st.DataObject
) -> None:
    scale, edges = case
    nodes = sorted({x for e in edges for x in e[:2]} | {"n0"})
    root = data.draw(st.sampled_from(nodes))
    device = make_device()
    maintainers = tuple((x, f"m_{x}") for x in nodes)
    fund = deploy(device, edges=tuple(edges), maintainers=maintainers, scale=scale)
    paid = dict(call(device, "donor", fund, "fund", root, value={USD: amount}))
    assert sum(paid.values()) == amount
    shares = exact_shares(adjacency(edges, scale), scale, root).shares
    for node in nodes:
        quota = amount * shares.get(node, Fraction(0))
        got = paid.get(node, 0)
        assert got in (quota.__floor__(), quota.__ceil__()), (node, got, quota)
        assert usd(device, f"m_{node}") == got
    assert usd(device, fund) == 0 and usd(device, "donor") == START - amount
    checks.conservation(device)


def test_funding_charges_the_exact_work_and_a_cycle_too_big_to_pay_is_refused() -> None:
    """``fund`` pays ``WORK_GAS`` per unit of the exact propagation's work and of its
    payout split, each charged before it runs: a quote's gas covers them, and a dense
    40-node cycle at scale 10^18 (its elimination takes seconds) runs out of gas on the
    structural charge, before any elimination, paying nobody."""
    from accord.contracts.deepfund import WORK_GAS
    from accord.device.gas import intrinsic_gas
    from accord.mechanisms.deepfund.exact import payout_work
    from tests.mechanisms.deepfund.test_exact_work import dense_cycle

    device = make_device()
    scale = 10**18
    edges = tuple(dense_cycle(40, scale))
    nodes = tuple((f"n{i}", f"m{i}") for i in range(40))
    fund = device.deploy(
        device.account("gov"), DeepFund, USD, scale, nodes, edges, "gov", gas_limit=29_000_000
    )
    before = {m: usd(device, m) for _, m in nodes} | {"donor": usd(device, "donor")}
    receipt = device.call(
        device.account("donor"), fund, "fund", "n0", value={USD: 10**6}, gas_limit=GAS
    )
    assert receipt.status == "out_of_gas", receipt
    assert {m: usd(device, m) for m in before} == before
    # the default graph: quotes of a small and a 2^300 amount differ exactly by the
    # payout split's work (the common denominator times a larger amount) and calldata
    small = deploy(device)  # a → b ⇄ a, b → c, scale 100
    split = exact_shares(adjacency([("a", "b", 50), ("b", "a", 40), ("b", "c", 30)], 100), 100, "a")
    gas = {}
    for amount in (10**6, 2**300):
        tx = device.sign(device.account("donor"), small, "quote", "a", amount, gas_limit=GAS)
        device.submit(tx)
        (r,) = device.build_block().receipts
        assert r.ok, r.error
        gas[amount] = r.gas_used - intrinsic_gas(tx.method, tx.args, tx.value)
    extra = payout_work(split.shares.values(), 2**300) - payout_work(split.shares.values(), 10**6)
    assert extra > 0 and gas[2**300] - gas[10**6] == WORK_GAS * extra


def test_doc_example(capsys: pytest.CaptureFixture[str]) -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "contracts" / "deepfund.md"
    text = doc.read_text()
    code = re.findall(r"^```python\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)
    printed = re.findall(r"^```text\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)
    exec(compile(code[0], str(doc), "exec"), {"__name__": "deepfund_contract_doc"})
    assert capsys.readouterr().out == printed[0]
