"""CommitmentRace: the first commitment binds, a later one is void; under the batch rule
or in a sealed window simultaneous commitments cancel; play and settlement pay the game's
payoffs from the pot, conserving it."""

from __future__ import annotations

from typing import Any

import pytest

from accord.contracts.commitment_race import CommitmentRace
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, checks
from accord.mechanisms.commit_reveal import commitment_hash

CHICKEN = ("chicken", 5_000, 3_000, 1_000, 0, 0)
ULTIMATUM = ("ultimatum", 0, 0, 0, 0, 100)
SALT = b"race-salt-0123456789"


def make(
    ordering: str = "priority", game: tuple[Any, ...] = CHICKEN, sealed: bool = False
) -> tuple[Device, str, tuple[int, int, int]]:
    alloc = {"sponsor": 10**12, "bob": 10**12, "carol": 10**12}
    dev = Device(
        DeviceConfig(ordering=ordering, signatures="mac"),
        Genesis(assets={"ETH": AssetSpec(issuer="treasury", alloc=alloc)}),
        seed=3,
    )
    checks.check_every_block(dev)
    now = dev.number + 1
    ends = (now + 3, now + 6, now + 9) if sealed else (now + 3, now + 3, now + 6)
    race = dev.deploy(
        dev.account("sponsor"), CommitmentRace, game, "ETH", ("bob", "carol"), *ends, sealed
    )
    pot = 6_000 if game == CHICKEN else 100
    assert dev.call(dev.account("sponsor"), race, "fund", value={"ETH": pot}).ok
    return dev, race, ends


def both(dev: Device, race: str, method: str, *per: tuple[Any, ...]) -> list[Any]:
    """bob and carol send ``method`` in one block (``per``: each one's arguments)."""
    txs = [
        dev.sign(dev.account(who), race, method, *args, gas_limit=300_000)
        for who, args in zip(("bob", "carol"), per, strict=True)
    ]
    for tx in txs:
        dev.submit(tx)
    block = dev.build_block()
    return [r for r in block.receipts]


def finish(dev: Device, race: str, ends: tuple[int, int, int], plays: dict[str, int]) -> Any:
    while dev.number < ends[1]:
        dev.build_block()
    for who, action in plays.items():
        r = dev.call(dev.account(who), race, "play", action)
        assert r.ok, r.error
    while dev.number <= ends[2]:
        dev.build_block()
    r = dev.call(dev.account("sponsor"), race, "settle")
    assert r.ok, r.error
    return r.result


@pytest.mark.parametrize("ordering", ["priority", "fcfs", "random"])
def test_the_first_commitment_binds_and_the_later_one_is_void(ordering: str) -> None:
    dev, race, ends = make(ordering)
    receipts = both(dev, race, "commit", (1,), (1,))
    assert all(r.ok for r in receipts)
    assert sorted(r.result for r in receipts) == [False, True]
    bound, action, cancelled, _ = dev.view(race, "status")
    assert action == 1 and not cancelled
    winner = ("bob", "carol")[bound]
    loser = ("carol", "bob")[bound]
    before = {w: dev.balance(w, "ETH") for w in ("bob", "carol", "sponsor")}
    pay = finish(dev, race, ends, {loser: 0})
    assert tuple(pay) == ((5_000, 1_000) if bound == 0 else (1_000, 5_000))
    assert dev.balance(race, "ETH") == 0
    assert dev.balance(winner, "ETH") - before[winner] == 5_000
    # the sponsor gets the pot's rest back (6,000 - 6,000) minus its settle fee
    assert dev.balance("sponsor", "ETH") <= before["sponsor"]


def test_under_the_batch_rule_simultaneous_commitments_cancel() -> None:
    dev, race, ends = make("batch")
    receipts = both(dev, race, "commit", (1,), (1,))
    assert [r.result for r in receipts] == [False, False]
    assert dev.view(race, "status") == (-1, 0, True, False)
    # nobody is bound: the crash is possible, and each pays P = 0
    assert tuple(finish(dev, race, ends, {"bob": 1, "carol": 1})) == (0, 0)
    assert dev.balance(race, "ETH") == 0


def test_under_the_batch_rule_a_lone_commitment_binds() -> None:
    dev, race, _ = make("batch")
    r = dev.call(dev.account("bob"), race, "commit", 1)
    assert r.ok and r.result is True
    assert dev.view(race, "status")[:3] == (0, 1, False)


@pytest.mark.parametrize("ordering", ["priority", "fcfs"])
def test_a_sealed_window_cancels_two_reveals_whatever_their_order(ordering: str) -> None:
    dev, race, ends = make(ordering, sealed=True)
    hashes = [(commitment_hash(1, SALT, w),) for w in ("bob", "carol")]
    assert all(r.ok for r in both(dev, race, "seal", *hashes))
    while dev.number < ends[0]:
        dev.build_block()
    assert dev.call(dev.account("bob"), race, "reveal", 1, SALT).ok
    dev.build_block()
    assert dev.call(dev.account("carol"), race, "reveal", 1, SALT).ok
    pay = finish(dev, race, ends, {"bob": 0, "carol": 0})
    assert dev.view(race, "status")[:3] == (-1, 0, True)
    assert tuple(pay) == (3_000, 3_000)


def test_a_sealed_window_with_one_reveal_binds_it() -> None:
    dev, race, ends = make("priority", sealed=True)
    assert dev.call(dev.account("carol"), race, "seal", commitment_hash(1, SALT, "carol")).ok
    while dev.number < ends[0]:
        dev.build_block()
    assert dev.call(dev.account("carol"), race, "reveal", 1, SALT).ok
    pay = finish(dev, race, ends, {"bob": 0})
    assert dev.view(race, "status")[:3] == (1, 1, False)
    assert tuple(pay) == (1_000, 5_000)


def test_the_ultimatum_responder_answers_only_a_known_offer() -> None:
    dev, race, ends = make("fcfs", ULTIMATUM)
    assert dev.call(dev.account("carol"), race, "commit", 99).result is True
    while dev.number < ends[1]:
        dev.build_block()
    r = dev.call(dev.account("bob"), race, "play", 99)  # meets the bound threshold
    assert r.ok
    dev2, race2, ends2 = make("fcfs", ULTIMATUM)
    while dev2.number < ends2[1]:
        dev2.build_block()
    r = dev2.call(dev2.account("carol"), race2, "play", 1)
    assert not r.ok and "proposer's offer" in (r.error or "")


def test_a_bound_player_cannot_play_otherwise() -> None:
    dev, race, ends = make("fcfs")
    assert dev.call(dev.account("bob"), race, "commit", 1).result is True
    while dev.number < ends[1]:
        dev.build_block()
    r = dev.call(dev.account("bob"), race, "play", 0)
    assert not r.ok and "bound to 1" in (r.error or "")
