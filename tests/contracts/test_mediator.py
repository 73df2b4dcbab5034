"""Mediator on a device: every rule settles exactly and atomically, timeouts refund, the
non-revealer pays the revealers, and nobody sees a report before every party committed."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.contracts.mediator import Mediator
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, checks
from accord.device.execution import contract_address
from accord.mechanisms.bargaining.mediation_rules import parse_rule
from accord.mechanisms.commit_reveal import commitment_hash

BUYER, SELLER, DEPLOYER, OTHER = "bob", "sue", "dan", "carol"
USERS = (BUYER, SELLER, DEPLOYER, OTHER, "erin", "mallory")
FUNDS = 10_000
SINK = "treasury"
COMMIT_END, REVEAL_END = 6, 12
RANGE = (0, 100)


def make_device() -> Device:
    genesis = Genesis(
        assets={
            "ETH": AssetSpec(issuer="eth-issuer", alloc=dict.fromkeys(USERS, 10**18)),
            "USD": AssetSpec(issuer="fed", alloc=dict.fromkeys(USERS, FUNDS)),
            "GOOD": AssetSpec(issuer="maker", alloc=dict.fromkeys(USERS, 5)),
        }
    )
    device = Device(DeviceConfig(), genesis, seed=3)
    checks.check_every_block(device)
    return device


def salt_of(who: str) -> bytes:
    return f"salt-of-{who}-16bytes!".encode()


def call(device: Device, who: str, to: str, method: str, *args: Any) -> Any:
    return device.call(device.account(who), to, method, *args, gas_limit=5_000_000)


def deploy(
    device: Device,
    rule: tuple[Any, ...],
    parties: tuple[str, ...] = (BUYER, SELLER),
    assets: tuple[str, ...] = ("USD", "GOOD"),
    penalty: int = 30,
    subsidy: int = 0,
) -> str:
    return device.deploy(
        device.account(DEPLOYER),
        Mediator,
        rule,
        parties,
        assets,
        penalty,
        COMMIT_END,
        REVEAL_END,
        SINK,
        subsidy,
    )


def at(device: Device, block: int) -> None:
    while device.number < block - 1:
        device.build_block()


def mediate(device: Device, address: str, reports: dict[str, Any]) -> Any:
    for who, report in reports.items():
        r = call(device, who, address, "commit", commitment_hash(report, salt_of(who), who))
        assert r.ok, r.error
    last = None
    for who, report in reports.items():
        last = call(device, who, address, "reveal", report, salt_of(who))
        assert last.ok, last.error
    return last


def usd(device: Device, who: str) -> int:
    return device.balance(who, "USD")


def good(device: Device, who: str) -> int:
    return device.balance(who, "GOOD")


KDA = ("k_double_auction", RANGE, RANGE, 1, (1, 2))


def test_k_double_auction_splits_the_difference_and_settles_atomically() -> None:
    device = make_device()
    address = deploy(device, KDA)
    terms = call(device, OTHER, address, "terms").result
    assert terms[3] == ((100, 0), (30, 1))  # the buyer covers its top value, the seller the good
    last = mediate(device, address, {BUYER: 80, SELLER: 40})
    assert last.result == ("trade", ((-60, 1), (60, -1)))
    assert usd(device, BUYER) == FUNDS - 60 and good(device, BUYER) == 6
    assert usd(device, SELLER) == FUNDS + 60 and good(device, SELLER) == 4
    assert not device.ledger.locked and usd(device, address) == 0
    assert call(device, OTHER, address, "phase").result == "settled"
    checks.replay_equality(device)


def test_k_double_auction_rounds_the_price_towards_the_protocol() -> None:
    device = make_device()
    address = deploy(device, ("k_double_auction", RANGE, RANGE, 2, (1, 3)))
    mediate(device, address, {BUYER: 81, SELLER: 40})  # p = 40 + 41/3 = 53.67
    assert usd(device, BUYER) == FUNDS - 54 and usd(device, SELLER) == FUNDS + 53
    assert usd(device, SINK) == 1 and good(device, BUYER) == 7


def test_no_trade_moves_nothing_but_refunds() -> None:
    device = make_device()
    address = deploy(device, KDA)
    assert mediate(device, address, {BUYER: 30, SELLER: 40}).result[0] == "no trade"
    assert usd(device, BUYER) == usd(device, SELLER) == FUNDS
    assert good(device, SELLER) == 5 and not device.ledger.locked


def test_posted_price_trades_only_when_both_accept() -> None:
    device = make_device()
    address = deploy(device, ("posted_price", RANGE, RANGE, 1, 55))
    assert mediate(device, address, {BUYER: 55, SELLER: 55}).result[0] == "trade"
    assert usd(device, BUYER) == FUNDS - 55 and usd(device, SELLER) == FUNDS + 55
    device2 = make_device()
    address2 = deploy(device2, ("posted_price", RANGE, RANGE, 1, 55))
    assert mediate(device2, address2, {BUYER: 90, SELLER: 56}).result[0] == "no trade"


def test_second_best_uniform_trades_only_above_the_quarter_gap() -> None:
    device = make_device()
    address = deploy(device, ("second_best", RANGE, RANGE, 1))
    # v - c = 30 >= 100/4: p = 90/3 + 100/6 = 46.67
    assert mediate(device, address, {BUYER: 60, SELLER: 30}).result[0] == "trade"
    assert usd(device, BUYER) == FUNDS - 47 and usd(device, SELLER) == FUNDS + 46
    assert usd(device, SINK) == 1
    device2 = make_device()
    address2 = deploy(device2, ("second_best", RANGE, RANGE, 1))
    assert mediate(device2, address2, {BUYER: 60, SELLER: 36}).result[0] == "no trade"


def test_vcg_needs_a_funded_subsidy_and_the_deployer_pays_the_deficit() -> None:
    device = make_device()
    vcg = ("vcg", RANGE, RANGE, 1)
    with pytest.raises(Exception, match="subsidy of at least 100"):
        deploy(device, vcg, subsidy=99)
    address = deploy(device, vcg, subsidy=100)
    assert device.locked(DEPLOYER, "USD", address) == 100
    mediate(device, address, {BUYER: 80, SELLER: 40})
    assert usd(device, BUYER) == FUNDS - 40 and usd(device, SELLER) == FUNDS + 80
    assert usd(device, DEPLOYER) == FUNDS - 40  # the deficit v - c
    assert not device.ledger.locked


def test_agv_is_budget_balanced_and_charges_a_buyer_who_does_not_trade() -> None:
    device = make_device()
    address = deploy(device, ("agv", RANGE, RANGE, 1))
    # X = E[v' 1{v' >= 50}] + E[c' 1{c' <= 10}] = 37.5 + 0.5
    assert mediate(device, address, {BUYER: 10, SELLER: 50}).result == (
        "no trade",
        ((-38, 0), (38, 0)),
    )
    assert usd(device, BUYER) == FUNDS - 38 and usd(device, SELLER) == FUNDS + 38


def test_nash_bargaining_among_three_parties() -> None:
    device = make_device()
    outcomes = (
        ((10, 0), (-5, 0), (-5, 0)),
        ((0, 1), (0, -1), (0, 0)),
    )
    parties = (BUYER, SELLER, OTHER)
    address = deploy(device, ("nash", outcomes, 100), parties, penalty=5)
    reports = {BUYER: (0, 10, 4), SELLER: (2, 5, 4), OTHER: (1, 3, 2)}
    # gains: outcome 0 (10, 3, 2) -> 60; outcome 1 (4, 2, 1) -> 8
    assert mediate(device, address, reports).result == (0, outcomes[0])
    assert usd(device, BUYER) == FUNDS + 10 and usd(device, OTHER) == FUNDS - 5


def test_a_party_may_veto_by_its_disagreement_utility() -> None:
    device = make_device()
    outcomes = (((5, 0), (-5, 0)),)
    address = deploy(device, ("egalitarian", outcomes, 100), penalty=0)
    assert mediate(device, address, {BUYER: (0, 9), SELLER: (7, 6)}).result[0] == -1
    assert usd(device, BUYER) == usd(device, SELLER) == FUNDS


def test_missing_commit_refunds_every_committer_whole() -> None:
    device = make_device()
    address = deploy(device, KDA)
    assert call(device, BUYER, address, "commit", commitment_hash(80, salt_of(BUYER), BUYER)).ok
    assert call(device, BUYER, address, "reveal", 80, salt_of(BUYER)).status == "reverted"
    assert call(device, OTHER, address, "expire").status == "reverted"  # not yet
    at(device, COMMIT_END + 1)
    assert call(device, OTHER, address, "phase").result == "lapsed"
    assert call(device, OTHER, address, "expire").result == 0
    assert usd(device, BUYER) == FUNDS and not device.ledger.locked
    assert call(device, OTHER, address, "expire").status == "reverted"  # once


def test_a_committer_who_does_not_reveal_pays_the_penalty_to_the_revealer() -> None:
    device = make_device()
    address = deploy(device, KDA, penalty=30)
    for who, report in ((BUYER, 80), (SELLER, 40)):
        assert call(device, who, address, "commit", commitment_hash(report, salt_of(who), who)).ok
    assert call(device, BUYER, address, "reveal", 80, salt_of(BUYER)).ok
    at(device, REVEAL_END + 1)
    assert call(device, OTHER, address, "expire").result == 30
    assert usd(device, SELLER) == FUNDS - 30 and good(device, SELLER) == 5
    assert usd(device, BUYER) == FUNDS + 30 and not device.ledger.locked


def test_a_mediator_cannot_be_its_own_sink() -> None:
    """Its address is known before it is deployed (``contract_address``); as its own sink,
    every unit of dust and every unshared forfeit would stay in it for good."""
    device = make_device()
    own = contract_address(DEPLOYER, device.nonce(DEPLOYER))
    with pytest.raises(Exception, match="sink must not be the mediator itself"):
        device.deploy(
            device.account(DEPLOYER),
            Mediator,
            KDA,
            (BUYER, SELLER),
            ("USD", "GOOD"),
            30,
            COMMIT_END,
            REVEAL_END,
            own,
        )
    assert own not in device.contracts


def test_nobody_sees_a_report_before_every_party_has_committed() -> None:
    """The reports are searched for in storage, events and the call's arguments."""
    device = make_device()
    parties = (BUYER, SELLER, OTHER)
    outcomes = (((1, 0), (0, 0), (-1, 0)),)
    address = deploy(device, ("utilitarian", outcomes, 10**9), parties)
    reports = {BUYER: (123_456_789, 987_654_321), SELLER: (555_444_333, 111_222_333)}
    needles = [repr(r).encode() for r in reports.values()]
    needles += [str(n).encode() for r in reports.values() for n in r]
    seen: list[bytes] = []
    for who, report in reports.items():
        receipt = call(device, who, address, "commit", commitment_hash(report, salt_of(who), who))
        assert receipt.ok
        seen.append(repr(receipt.events).encode())
        seen.append(repr(receipt.result).encode())
    seen.append(repr(device.contract_at(address).storage()).encode())
    seen.append(repr(call(device, DEPLOYER, address, "terms").result).encode())
    blob = b" ".join(seen)
    for needle in needles:
        assert needle not in blob
    for who in parties:  # nobody, the deployer included, can open or read one yet
        assert call(device, who, address, "report_of", BUYER).result is None
    early = call(device, BUYER, address, "reveal", reports[BUYER], salt_of(BUYER))
    assert early.status == "reverted" and "every party has committed" in (early.error or "")
    # the collateral is the same whatever the report: it does not leak it either
    assert device.locked(BUYER, "USD", address) == device.locked(SELLER, "USD", address) == 30


def test_reveals_open_as_soon_as_every_party_has_committed() -> None:
    device = make_device()
    address = deploy(device, KDA)
    assert mediate(device, address, {BUYER: 70, SELLER: 20}).ok
    assert device.number < COMMIT_END  # settled well before the commit deadline


BILATERAL_SPECS = st.one_of(
    st.builds(
        lambda n, d: ("k_double_auction", RANGE, RANGE, 1, (min(n, d), d)),
        st.integers(0, 7),
        st.integers(1, 7),
    ),
    st.builds(lambda p: ("posted_price", RANGE, RANGE, 1, p), st.integers(0, 100)),
    st.sampled_from(
        [
            ("first_best", RANGE, RANGE, 1),
            ("second_best", RANGE, RANGE, 1),
            ("vcg", RANGE, RANGE, 1),
            ("agv", RANGE, (10, 90), 1),
        ]
    ),
)


@settings(max_examples=int(os.environ.get("MEDIATOR_EXAMPLES", "40")), deadline=None)
@given(BILATERAL_SPECS, st.integers(0, 100), st.integers(10, 90))
def test_every_bilateral_rule_settles_what_it_decides_and_conserves_to_the_unit(
    spec: tuple[Any, ...], v: int, c: int
) -> None:
    device = make_device()
    rule = parse_rule(spec, 2)
    total_usd = sum(usd(device, w) for w in (*USERS, SINK))
    address = deploy(device, spec, subsidy=rule.max_deficit())
    expect = rule.settle((v, c))
    last = mediate(device, address, {BUYER: v, SELLER: c})
    assert last.result == (expect.outcome, expect.transfers)
    (pay, got), (recv, gave) = expect.transfers
    assert usd(device, BUYER) == FUNDS + pay and good(device, BUYER) == 5 + got
    assert usd(device, SELLER) == FUNDS + recv and good(device, SELLER) == 5 + gave
    assert sum(usd(device, w) for w in (*USERS, SINK)) == total_usd
    assert usd(device, DEPLOYER) == FUNDS - max(0, pay + recv)
    assert usd(device, SINK) == max(0, -(pay + recv))
    assert not device.ledger.locked and usd(device, address) == 0


def test_the_design_note_example_prints_what_it_says(capsys: pytest.CaptureFixture[str]) -> None:
    page = Path(__file__).resolve().parents[2] / "docs" / "contracts" / "mediator.md"
    found = re.search(
        r"^```python\n(.*?)^```\n.*?^```text\n(.*?)^```",
        page.read_text(),
        flags=re.DOTALL | re.MULTILINE,
    )
    assert found
    exec(compile(found.group(1), str(page), "exec"), {"__name__": "docs_mediator"})
    assert capsys.readouterr().out == found.group(2)
    missing = [m for m in Mediator._public if f"{m}(" not in page.read_text()]
    assert not missing


def test_the_design_notes_gas_figures_for_the_k_double_auction() -> None:
    """docs/contracts/mediator.md: about 93,000 gas per commit, 90,000 per reveal and
    184,000 for the settling reveal (``DeviceConfig()`` defaults), within 10%."""
    device = make_device()
    address = deploy(device, KDA)
    reports = {BUYER: 80, SELLER: 40}
    commits = [
        call(device, w, address, "commit", commitment_hash(r, salt_of(w), w)).gas_used
        for w, r in reports.items()
    ]
    reveals = [
        call(device, w, address, "reveal", r, salt_of(w)).gas_used for w, r in reports.items()
    ]
    for used, claim in ((commits[0], 93_000), (reveals[0], 90_000), (reveals[1], 184_000)):
        assert abs(used - claim) <= claim // 10, (used, claim)
    assert 0.85 * 93_000 <= commits[1] <= 1.1 * 93_000
