"""JudgementJury resolving a ChallengeGame: flagging an item, the jury's verdict, who
can cheat and what it costs. Exact balances; the device's invariants after every block."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from accord.contracts.challenge import ChallengeGame
from accord.contracts.judgement_challenge import JudgementJury
from accord.contracts.staking import BURN_ADDRESS, Staking
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, checks

BOND = "BOND"
START = 1_000_000
USERS = ("alice", "bob", "fred", "mallory", "operator", "j1", "j2", "j3")
WINDOW, TIMEOUT, B = 4, 10, 1_000
# prysm vs nimbus-eth2, from the real level-1 data: prysm deserves 3.62× nimbus
PRYSM, NIMBUS = "https://github.com/prysmaticlabs/prysm", "https://github.com/status-im/nimbus-eth2"


def make_device() -> Device:
    genesis = Genesis(
        assets={
            "ETH": AssetSpec(issuer="treasury", alloc={u: 10**18 for u in USERS}),
            BOND: AssetSpec(issuer="foundation", alloc=dict.fromkeys(USERS, START)),
        }
    )
    device = Device(DeviceConfig(), genesis, seed=5)
    checks.check_every_block(device)
    return device


@pytest.fixture
def device() -> Device:
    return make_device()


def call(device: Device, who: str, to: str, method: str, *args: Any, gas: int = 200_000) -> Any:
    receipt = device.call(device.account(who), to, method, *args, gas_limit=gas)
    if not receipt.ok:
        raise AssertionError(f"{method} reverted: {receipt.error}")
    return receipt.result


def reverts(device: Device, who: str, to: str, method: str, *args: Any, match: str) -> None:
    before = {u: device.balance(u, BOND) for u in USERS}
    storage = device.contract_at(to).storage()
    receipt = device.call(device.account(who), to, method, *args)
    assert receipt.status == "reverted", f"{method} should revert"
    assert receipt.error is not None and match in receipt.error, receipt.error
    assert {u: device.balance(u, BOND) for u in USERS} == before
    assert device.contract_at(to).storage() == storage


def expect(device: Device, **delta: int) -> None:
    want = {u: START + delta.get(u, 0) for u in USERS}
    got = {u: device.balance(u, BOND) for u in USERS}
    assert got == want
    assert device.balance(BURN_ADDRESS, BOND) == delta.get("burn", 0)


def setup_round(
    device: Device, quorum: int = 1, tolerance: int = 20_000, *game_args: Any
) -> tuple[str, str]:
    op = device.account("operator")
    jury = device.deploy(op, JudgementJury, ("j1", "j2", "j3"), quorum, tolerance)
    game = device.deploy(op, ChallengeGame, BOND, 100, WINDOW, jury, TIMEOUT, 1_000, *game_args)
    return jury, game


def claim(num: int, den: int) -> tuple[str, str, str, int, int]:
    return ("ethereum", PRYSM, NIMBUS, num, den)  # x[nimbus] / x[prysm] = num / den


def test_flagger_is_rewarded_when_the_jury_agrees(device: Device) -> None:
    jury, game = setup_round(device)
    aid = call(device, "alice", game, "propose", claim(10, 1), B)  # nimbus 10× prysm
    call(device, "fred", game, "challenge", aid)  # fred stakes B to send it to the jury
    call(device, "j1", jury, "judge", game, aid, 1, 362)  # prysm 3.62× nimbus
    assert call(device, "bob", game, "state", aid) == "refuted"
    assert call(device, "bob", jury, "verdict", game, aid) is False
    assert call(device, "bob", jury, "answers", game, aid) == (("j1", 1, 362),)
    expect(device, alice=-B, fred=900, burn=100)


def test_flagger_is_slashed_when_the_jury_disagrees(device: Device) -> None:
    jury, game = setup_round(device)
    aid = call(device, "bob", game, "propose", claim(1, 3), B)  # 1/3 vs the jury's 1/3.62
    call(device, "fred", game, "challenge", aid)
    call(device, "j2", jury, "judge", game, aid, 1, 362)
    assert call(device, "bob", game, "state", aid) == "upheld"
    expect(device, bob=900, fred=-B, burn=100)


def test_median_of_three_jurors_resists_one_corrupt_juror(device: Device) -> None:
    jury, game = setup_round(device, 3)
    aid = call(device, "bob", game, "propose", claim(1, 3), B)
    call(device, "mallory", game, "challenge", aid)
    call(device, "j3", jury, "judge", game, aid, 2, 99_900)  # bribed: nimbus 999× prysm
    call(device, "j1", jury, "judge", game, aid, 1, 362)
    assert call(device, "bob", game, "state", aid) == "challenged"  # 2 of 3 answers
    call(device, "j2", jury, "judge", game, aid, 1, 250)
    assert call(device, "bob", game, "state", aid) == "upheld"
    expect(device, bob=900, mallory=-B, burn=100)
    # two corrupt jurors of three are a majority: the median is theirs
    aid = call(device, "bob", game, "propose", claim(1, 3), B)
    call(device, "mallory", game, "challenge", aid)
    call(device, "j3", jury, "judge", game, aid, 2, 99_900)
    call(device, "j2", jury, "judge", game, aid, 2, 50_000)
    call(device, "j1", jury, "judge", game, aid, 1, 362)
    assert call(device, "bob", game, "state", aid) == "refuted"
    expect(device, bob=900 - B, mallory=-B + 900, burn=200)


def test_who_may_judge_and_when(device: Device) -> None:
    jury, game = setup_round(device, 2)
    aid = call(device, "alice", game, "propose", claim(1, 3), B)
    reverts(device, "j1", jury, "judge", game, aid, 1, 362, match="only a flagged claim")
    call(device, "fred", game, "challenge", aid)
    reverts(device, "mallory", jury, "judge", game, aid, 1, 362, match="mallory is not a juror")
    reverts(device, "j1", jury, "judge", game, aid, 1, 99, match="multiplier_centi must be")
    reverts(device, "j1", jury, "judge", game, aid, 3, 200, match="choice must be 1")
    call(device, "j1", jury, "judge", game, aid, 1, 362)
    reverts(device, "j1", jury, "judge", game, aid, 1, 300, match="j1 already answered")
    call(device, "j2", jury, "judge", game, aid, 1, 400)
    reverts(device, "j3", jury, "judge", game, aid, 1, 400, match="already judged")
    # a game that did not make this jury its resolver refuses the verdict
    other = device.deploy(
        device.account("operator"), ChallengeGame, BOND, 100, WINDOW, "operator", TIMEOUT
    )
    aid2 = call(device, "alice", other, "propose", claim(1, 3), B)
    call(device, "fred", other, "challenge", aid2)
    call(device, "j1", jury, "judge", other, aid2, 1, 362)  # below quorum: recorded only
    reverts(device, "j2", jury, "judge", other, aid2, 1, 362, match="only the resolver")


def test_setup_errors(device: Device) -> None:
    op = device.account("operator")
    for args, message in [
        (((), 1, 20_000), "jurors must be a non-empty tuple"),
        ((("j1", "j1"), 1, 20_000), "juror j1 is listed twice"),
        ((("j1",), 2, 20_000), "quorum must be an int in [1, 1]"),
        ((("j1",), 1, 9_000), "tolerance_bps must be an int >= 10000"),
    ]:
        with pytest.raises(Exception, match=message.replace("[", r"\[").replace("]", r"\]")):
            device.deploy(op, JudgementJury, *args)


def test_unreadable_claim_is_refuted(device: Device) -> None:
    jury, game = setup_round(device)
    aid = call(device, "mallory", game, "propose", "trust me", B)
    call(device, "fred", game, "challenge", aid)
    call(device, "j1", jury, "judge", game, aid, 2, 100)
    assert call(device, "bob", game, "state", aid) == "refuted"
    expect(device, mallory=-B, fred=900, burn=100)


def test_an_unflagged_false_claim_is_accepted(device: Device) -> None:
    """The watcher assumption: nobody flags, the jury never sees it, the liar pays 0."""
    _, game = setup_round(device)
    aid = call(device, "mallory", game, "propose", claim(999, 1), B)
    while device.number < 3 + WINDOW:
        device.build_block()
    call(device, "bob", game, "finalize", aid)
    assert call(device, "bob", game, "is_true", aid) is True
    expect(device)


def test_a_refuted_submitter_also_loses_its_stake(device: Device) -> None:
    op = device.account("operator")
    staking = device.deploy(op, Staking, BOND, 3, (), "operator", 5_000, 0, "operator")
    jury, game = setup_round(device, 1, 20_000, BURN_ADDRESS, staking, 400)
    call(device, "operator", staking, "set_slasher", game, True)
    call(device, "alice", staking, "bond", 400)
    aid = call(device, "alice", game, "propose", claim(10, 1), B)
    call(device, "fred", game, "challenge", aid)
    # the verdict, the bond payout and the stake slash in one call: past the default gas
    call(device, "j1", jury, "judge", game, aid, 1, 362, gas=400_000)
    # bond: fred +900, burn 100; stake 400 slashed: half to fred (reporter), half to operator
    expect(device, alice=-B - 400, fred=900 + 200, operator=200, burn=100)
    checks.replay_equality(device)


DOC = Path(__file__).resolve().parents[2] / "docs" / "contracts" / "judgement_challenge.md"


def test_doc_example_prints_what_the_page_says(capsys: pytest.CaptureFixture[str]) -> None:
    text = DOC.read_text()
    found = re.search(
        r"^```python\n(.*?)^```\n.*?^```text\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE
    )
    assert found, "docs/contracts/judgement_challenge.md needs a python block and its output"
    exec(compile(found.group(1), str(DOC), "exec"), {"__name__": "docs_judgement_challenge"})
    assert capsys.readouterr().out == found.group(2)


def test_doc_page_mentions_every_public_method() -> None:
    text = DOC.read_text()
    missing = sorted(m for m in JudgementJury._public if f"{m}(" not in text)
    assert not missing, f"docs/contracts/judgement_challenge.md does not mention {missing}"


def test_self_flagging_costs_the_burn_whatever_the_verdict(device: Device) -> None:
    """A submitter flagging its own claim from a second account (bob) to buy jury time
    pays the 10% burn of one bond, upheld or refuted."""
    jury, game = setup_round(device)
    aid = call(device, "alice", game, "propose", claim(1, 3), B)
    call(device, "bob", game, "challenge", aid)
    call(device, "j1", jury, "judge", game, aid, 1, 362)  # upheld
    aid = call(device, "alice", game, "propose", claim(10, 1), B)
    call(device, "bob", game, "challenge", aid)
    call(device, "j1", jury, "judge", game, aid, 1, 362)  # refuted
    expect(device, alice=900 - B, bob=-B + 900, burn=200)
    pair = device.balance("alice", BOND) + device.balance("bob", BOND)
    assert pair == 2 * START - 2 * (B // 10)
