"""Emissions on a device: exact scores, largest-remainder emissions, recursive streams,
cycles refused, bad input refused by name, and Σ minted == budget."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.contracts.emissions import Emissions
from accord.device import AssetSpec, Device, DeviceConfig, DeviceError, Genesis, Receipt, checks

ACCOUNTS = ("dao", "jury", "F1", "F2", "A", "B", "C")


def make_device() -> Device:
    genesis = Genesis(
        assets={"ETH": AssetSpec(issuer="eth-issuer", alloc=dict.fromkeys(ACCOUNTS, 10**18))}
    )
    device = Device(DeviceConfig(), genesis, seed=2)
    checks.check_every_block(device)
    return device


def deploy(device: Device, budget: int = 1_000, questions: int = 2) -> str:
    return device.deploy(device.account("dao"), Emissions, "EMIT", budget, questions, "jury")


def call(device: Device, who: str, to: str, method: str, *args: Any) -> Receipt:
    return device.call(device.account(who), to, method, *args, gas_limit=3_000_000)


def ok(receipt: Receipt) -> Any:
    assert receipt.ok, receipt.error
    return receipt.result


def test_an_epoch_by_hand() -> None:
    """F1 says (0.8, 0.3), F2 says (0.6, 0.5); outcomes (yes, no).
    F1: (0.25 − 0.04) + (0.25 − 0.09) = 0.37; F2: (0.25 − 0.16) + 0 = 0.09 (× 10¹² ppm²).
    1,000 ∝ 37 : 9 → quotas 804.35, 195.65 → 804, 196. F1 streams 30 % to A and to B:
    quotas 241.2, 241.2, kept 321.6 → 241, 241, 322; A streams half to C: 120.5 each,
    the odd unit to the first in order (C) → C 121, A 120."""
    device = make_device()
    em = deploy(device)
    for f in ("F1", "F2"):
        ok(call(device, f, em, "register"))
    ok(call(device, "F1", em, "set_stream", (("A", 3_000), ("B", 3_000))))
    ok(call(device, "A", em, "set_stream", (("C", 5_000),)))
    ok(call(device, "F1", em, "forecast", 0, (800_000, 300_000)))
    ok(call(device, "F2", em, "forecast", 0, (600_000, 500_000)))
    assert ok(call(device, "jury", em, "resolve", 0, (True, False))) == 1_000
    assert device.view(em, "result", 0, "F1") == (370_000_000_000, 804, 322)
    assert device.view(em, "result", 0, "F2") == (90_000_000_000, 196, 196)
    minted = {a: device.balance(a, "EMIT") for a in ACCOUNTS if device.balance(a, "EMIT")}
    assert minted == {"F1": 322, "F2": 196, "A": 120, "B": 241, "C": 121}
    assert device.supply("EMIT") == 1_000


def test_nobody_beats_chance_nothing_is_minted() -> None:
    device = make_device()
    em = deploy(device)
    ok(call(device, "F1", em, "register"))
    ok(call(device, "F1", em, "forecast", 0, (100_000, 500_000)))
    assert ok(call(device, "jury", em, "resolve", 0, (True, True))) == 0
    assert device.supply("EMIT") == 0
    assert device.view(em, "result", 0, "F1")[0] == -560_000_000_000  # (0.25 − 0.81) + 0
    # the next epoch is open; the old one is closed
    late = call(device, "F1", em, "forecast", 0, (1, 1))
    assert not late.ok and "epoch 0 is not open (the open epoch is 1)" in (late.error or "")


def test_cycles_are_refused_by_name() -> None:
    device = make_device()
    em = deploy(device)
    ok(call(device, "F1", em, "set_stream", (("A", 1_000),)))
    ok(call(device, "A", em, "set_stream", (("B", 1_000),)))
    bad = call(device, "B", em, "set_stream", (("F1", 500),))
    assert not bad.ok and bad.error == "cycle in streams: B -> F1 -> A -> B"
    own = call(device, "B", em, "set_stream", (("B", 500),))
    assert not own.ok and own.error == "cycle in streams: B -> B"
    assert device.view(em, "stream", "B") == ()


@pytest.mark.parametrize(
    ("who", "method", "args", "message"),
    [
        ("F1", "set_stream", ((("A", 6_000), ("B", 5_000)),), "sends 11000 bps, more than 10000"),
        ("F1", "set_stream", ((("A", 0),),), "share to A must be an int in (0, 10000]"),
        ("F1", "set_stream", ((("A", 1), ("A", 2)),), "names a contributor twice"),
        ("F1", "forecast", (0, (1, 2, 3)), "forecast must be a tuple of 2 probabilities"),
        ("F1", "forecast", (0, (1, 1_000_001)), "forecast[1] must be an int in [0, 1000000]"),
        ("F2", "forecast", (0, (1, 1)), "F2 is not a registered forecaster"),
        ("F1", "resolve", (0, (True, False)), "only the resolver jury may resolve"),
        ("jury", "resolve", (0, (True, 1)), "outcomes[1] must be a bool"),
        ("F1", "register", (), "F1 is already a registered forecaster"),
    ],
)
def test_bad_calls_revert_naming_the_problem(
    who: str, method: str, args: tuple[Any, ...], message: str
) -> None:
    device = make_device()
    em = deploy(device)
    ok(call(device, "F1", em, "register"))
    before = device.contract_at(em).storage()
    r = call(device, who, em, method, *args)
    assert not r.ok and message in (r.error or "")
    assert device.contract_at(em).storage() == before


def test_bad_deploy() -> None:
    device = make_device()
    with pytest.raises(DeviceError, match="budget must be a positive int"):
        device.deploy(device.account("dao"), Emissions, "EMIT", 0, 2, "jury")
    with pytest.raises(DeviceError, match="cannot create emission asset 'ETH'"):
        device.deploy(device.account("dao"), Emissions, "ETH", 10, 2, "jury")


forecast = st.tuples(
    st.integers(0, 1_000_000), st.integers(0, 1_000_000), st.integers(0, 1_000_000)
)
share = st.integers(1, 5_000)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    budget=st.integers(1, 10**12),
    f1=forecast,
    f2=forecast,
    outcomes=st.tuples(st.booleans(), st.booleans(), st.booleans()),
    s=st.tuples(share, share, share, share),
)
def test_minted_equals_budget_and_matches_the_math(
    budget: int,
    f1: tuple[int, int, int],
    f2: tuple[int, int, int],
    outcomes: tuple[bool, bool, bool],
    s: tuple[int, int, int, int],
) -> None:
    from accord.mechanisms import scoring
    from accord.mechanisms.streams import flow, largest_remainder

    device = make_device()
    em = deploy(device, budget=budget, questions=3)
    for f in ("F1", "F2"):
        ok(call(device, f, em, "register"))
    ok(call(device, "F1", em, "set_stream", (("A", s[0]), ("B", s[1]))))
    ok(call(device, "F2", em, "set_stream", (("A", s[2]),)))
    ok(call(device, "A", em, "set_stream", (("C", s[3]),)))
    ok(call(device, "F1", em, "forecast", 0, f1))
    ok(call(device, "F2", em, "forecast", 0, f2))
    minted = ok(call(device, "jury", em, "resolve", 0, outcomes))
    scores = [
        sum(scoring.brier_improvement_ppm(p, y) for p, y in zip(f, outcomes, strict=True))
        for f in (f1, f2)
    ]
    assert device.supply("EMIT") == minted == (budget if max(scores) > 0 else 0)
    if minted:
        parts = largest_remainder(budget, [max(0, x) for x in scores])
        kept = flow(
            {"F1": {"A": s[0], "B": s[1]}, "F2": {"A": s[2]}, "A": {"C": s[3]}},
            {f: p for f, p in zip(("F1", "F2"), parts, strict=True) if p},
        )
        for who in ACCOUNTS:
            assert device.balance(who, "EMIT") == kept.get(who, 0)


# -- docs/contracts/emissions.md ---------------------------------------------------------------
def test_doc_example_prints_what_the_page_says(capsys: pytest.CaptureFixture[str]) -> None:
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parents[2] / "docs" / "contracts" / "emissions.md"
    found = re.search(
        r"^```python\n(.*?)^```\n.*?^```text\n(.*?)^```",
        page.read_text(),
        flags=re.DOTALL | re.MULTILINE,
    )
    assert found, "no ```python block followed by ```text"
    exec(compile(found.group(1), str(page), "exec"), {"__name__": "docs_emissions"})
    assert capsys.readouterr().out == found.group(2)


def test_doc_page_names_every_public_method() -> None:
    from pathlib import Path

    from accord.contracts.emissions import Emissions as Documented

    text = (Path(__file__).resolve().parents[2] / "docs" / "contracts" / "emissions.md").read_text()
    missing = sorted(m for m in Documented._public if f"`{m}(" not in text)
    assert not missing, f"docs/contracts/emissions.md does not document {missing}"


def refused_cycle_gas(n: int) -> tuple[int, str]:
    """A chain of streams ``s0 → s1 → … → s{n-1}``; then ``s{n-1}`` tries to stream to
    ``s0``. Returns the refused call's gas beyond its calldata, and its error."""
    from accord.device.gas import intrinsic_gas

    names = [f"s{k:02d}" for k in range(n)]
    genesis = Genesis(
        assets={"ETH": AssetSpec(issuer="eth-issuer", alloc=dict.fromkeys([*names, "dao"], 10**18))}
    )
    device = Device(DeviceConfig(), genesis, seed=2)
    em = device.deploy(device.account("dao"), Emissions, "EMIT", 1_000, 2, "dao")
    for a, b in itertools.pairwise(names):
        ok(call(device, a, em, "set_stream", ((b, 5_000),)))
    last = names[-1]
    tx = device.sign(
        device.account(last), em, "set_stream", ((names[0], 100),), gas_limit=3_000_000
    )
    receipt = device.execute(tx)
    assert receipt.status == "reverted"
    return receipt.gas_used - intrinsic_gas(tx.method, tx.args, tx.value), receipt.error or ""


def test_a_cycle_check_walks_each_stream_once_and_pays_per_node_and_share() -> None:
    """``set_stream``'s cycle check follows the chain back to the sender: one node and one
    share per link, each charged before it is walked (``GAS_PER_RECIPIENT`` + a read +
    ``GAS_PER_EDGE``), so twice the chain costs exactly that much per extra link, and the
    error names the whole cycle."""
    from accord.contracts.emissions import GAS_PER_EDGE, GAS_PER_RECIPIENT
    from accord.device.gas import READ

    gas_20, error = refused_cycle_gas(20)
    chain = " -> ".join(f"s{k:02d}" for k in range(20))
    assert error.endswith(f"cycle in streams: s19 -> {chain}")
    gas_40, _ = refused_cycle_gas(40)
    assert gas_40 - gas_20 == 20 * (GAS_PER_RECIPIENT + READ + GAS_PER_EDGE)
