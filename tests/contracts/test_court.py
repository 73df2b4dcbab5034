"""The Court on a device: first-round arbitration worked by hand, to the unit."""

from __future__ import annotations

import pytest

from accord.contracts.court import Court
from accord.device import checks
from accord.device.execution import contract_address
from accord.mechanisms.commit_reveal import commitment_hash
from tests.contracts.court_world import (
    ALPHA_BPS,
    DURATIONS,
    FEE,
    FEE_PER_JUROR,
    GAS,
    MIN_STAKE,
    TOKEN,
    TREASURY,
    World,
    court_invariant,
    make_device,
    make_world,
    salt_of,
)

AT_STAKE = MIN_STAKE * ALPHA_BPS // 10_000  # 200


def balances(world: World, asset: str) -> dict[str, int]:
    return {j: world.device.balance(j, asset) for j in (*world.jurors, TREASURY)}


def test_first_round_pays_the_coherent_and_rules_once() -> None:
    world = make_world()
    assert world.view("arbitration_cost") == 3 * FEE_PER_JUROR
    d = world.open(2)
    assert d == 0
    assert world.view("dispute", d)[:3] == (world.arbitrable, 2, "evidence")
    assert world.view("current_ruling", d) == 0
    court_invariant(world)
    assert world.until_passable(d) == "commit"
    drawn = world.drawn(d, 0)
    assert sum(drawn.values()) == 3
    # every drawn juror has AT_STAKE locked per draw
    s = world.storage()
    for j, k in drawn.items():
        assert s["locked"][j] == k * AT_STAKE
    court_invariant(world)
    # the first juror drawn votes 2, the others 1
    jurors = list(drawn)
    votes = {j: 1 for j in jurors}
    votes[jurors[0]] = 2
    fee_before, pnk_before = balances(world, FEE), balances(world, TOKEN)
    stakes_before = {j: world.view("stake_of", j)[0] for j in world.jurors}
    for j in jurors:
        world.ok(j, "commit", d, commitment_hash((d, 0, votes[j]), salt_of(j, d, 0), j))
    assert world.until_passable(d) == "vote"  # everyone committed: no need to wait
    for j in jurors:
        world.ok(j, "reveal", d, votes[j], salt_of(j, d, 0))
    assert world.until_passable(d) == "appeal"
    against = drawn[jurors[0]]
    if against * 2 == 3:
        raise AssertionError("3 draws cannot tie two ways")
    winner = 2 if against >= 2 else 1
    assert world.view("current_ruling", d) == winner
    assert world.until_passable(d) == "execution"
    assert world.view("current_ruling", d) == winner
    court_invariant(world)
    # hand-computed settlement: coherent draws share 3,000 USD and the penalties
    coherent = {j: k for j, k in drawn.items() if votes[j] == winner}
    incoherent = {j: k for j, k in drawn.items() if votes[j] != winner}
    count = sum(coherent.values())
    penalties = sum(incoherent.values()) * AT_STAKE
    fee_each, pnk_each = 3 * FEE_PER_JUROR // count, penalties // count
    fee_after, pnk_after = balances(world, FEE), balances(world, TOKEN)
    for j in world.jurors:
        k = coherent.get(j, 0)
        assert fee_after[j] - fee_before[j] == k * fee_each, j
        assert pnk_after[j] - pnk_before[j] == k * pnk_each, j
        lost = incoherent.get(j, 0) * AT_STAKE
        assert world.view("stake_of", j) == (stakes_before[j] - lost, 0), j
    assert fee_after[TREASURY] - fee_before[TREASURY] == 3 * FEE_PER_JUROR - count * fee_each
    assert pnk_after[TREASURY] - pnk_before[TREASURY] == penalties - count * pnk_each
    # the ruling is executed once, by anyone, through the arbitrable's rule
    assert world.ok("bob", "execute", d) == winner
    arb = world.device.contract_at(world.arbitrable).storage()
    assert arb["rulings"][d] == winner and arb["calls"][d] == 1
    again = world.call("bob", "execute", d)
    assert not again.ok and "already been executed" in (again.error or "")
    court_invariant(world)
    assert world.storage().get("held", 0) == 0
    checks.block_invariants(world.device)


def test_refusals_name_what_is_wrong() -> None:
    """The hostile cases of the brief, one by one, each refused with a reason and
    changing nothing (the hostile Hypothesis tests cover them in every order)."""
    from tests.contracts.court_world import JURORS

    world = make_world()
    d = world.open(2)

    def refused(who: str, method: str, *args: object, why: str, **kw: object) -> None:
        before = world.storage()
        receipt = world.call(who, method, *args, **kw)  # type: ignore[arg-type]
        assert not receipt.ok and why in (receipt.error or ""), (method, receipt.error)
        assert world.storage() == before

    cost = 3 * FEE_PER_JUROR
    refused(
        "alice", "create_dispute", 2, why="called by the arbitrable contract", value={FEE: cost}
    )
    refused("alice", "open", 2, why="exactly 3000", to=world.arbitrable, value={FEE: cost - 1})
    refused("alice", "open", 9, why="choices must be", to=world.arbitrable, value={FEE: cost})
    refused("alice", "commit", d, b"\x00" * 32, why="not commit")  # out of period
    refused("alice", "pass_period", 7, why="unknown dispute")
    refused("alice", "execute", d, why="not execution")
    refused(JURORS[0], "set_stake", MIN_STAKE - 1, why="at least min_stake")
    refused(JURORS[0], "set_stake", 10**30, why="cannot stake")
    assert world.until_passable(d) == "commit"
    drawn = world.drawn(d, 0)
    outsider = next(j for j in JURORS if j not in drawn)
    juror = next(iter(drawn))
    seal = commitment_hash((d, 0, 1), salt_of(juror, d, 0), juror)
    refused(outsider, "commit", d, seal, why="was not drawn")
    refused(juror, "set_stake", 0, why="at stake in disputes")
    world.ok(juror, "commit", d, seal)
    refused(juror, "commit", d, seal, why="already committed")
    refused(juror, "reveal", d, 1, salt_of(juror, d, 0), why="not vote")
    world.mine(5)
    assert world.until_passable(d) == "vote"
    refused(juror, "reveal", d, 2, salt_of(juror, d, 0), why="do not open")
    refused(juror, "reveal", d, 3, salt_of(juror, d, 0), why="choice must be")
    refused(juror, "reveal", d, 1, b"short", why="salt must be at least 16 bytes")
    world.ok(juror, "reveal", d, 1, salt_of(juror, d, 0))
    refused(juror, "reveal", d, 1, salt_of(juror, d, 0), why="already voted")
    world.mine(5)
    assert world.until_passable(d) == "appeal"
    refused("carol", "fund_appeal", d, 3, why="choice must be", value={FEE: 10**5})
    refused("carol", "fund_appeal", d, 2, why="only USD", value={TOKEN: 10**5})
    refused("carol", "fund_appeal", d, 2, why="only USD", value={FEE: 10**5, TOKEN: 1})
    world.mine(12)
    refused("carol", "fund_appeal", d, 2, why="appeal period is blocks", value={FEE: 10**5})


def test_same_seed_same_draws_and_state() -> None:
    """A run is a pure function of its scenario and seeds: two courts with the same
    seed draw the same jurors and reach the same state hash; the court seed moves
    the draw."""

    def run(court_seed: int) -> tuple[dict[str, int], bytes]:
        world = make_world(seed=court_seed)
        d = world.open(2)
        world.until_passable(d)
        return world.drawn(d, 0), world.device.state_hash()

    first, again = run(11), run(11)
    assert first == again
    draws = {tuple(sorted(run(s)[0].items())) for s in (1, 2, 3, 4, 5, 6)}
    assert len(draws) > 1


def test_a_whale_is_drawn_by_its_stake_and_the_books_stay_exact() -> None:
    """Huge stakes: one juror stakes 10**60 against 10**3; every draw is the whale's
    (its chance of missing one is below 10**-56), exactly as the sum tree says, and
    the whole dispute replays to the same state hash."""
    from tests.contracts.court_world import JURORS

    whale = JURORS[0]
    world = make_world(stakes={whale: 10**60}, funds=10**61)
    assert world.view("total_weight") == 10**60 + 7 * 10 * MIN_STAKE
    d = world.open(2)
    world.vote_round(d, dict.fromkeys(JURORS, 2))
    assert world.drawn(d, 0) == {whale: 3}
    assert world.view("current_ruling", d) == 2
    assert world.until_passable(d) == "execution"
    assert world.view("stake_of", whale) == (10**60, 0)
    world.ok("bob", "execute", d)
    court_invariant(world)
    checks.replay_equality(world.device)


def test_a_full_court_refuses_stakers_and_reuses_freed_slots() -> None:
    from tests.contracts.court_world import JURORS

    world = make_world(jurors=JURORS[:3], stakes={JURORS[2]: 0}, capacity=2)
    refused = world.call(JURORS[2], "set_stake", MIN_STAKE)
    assert not refused.ok and "court is full" in (refused.error or "")
    world.ok(JURORS[0], "set_stake", 0)  # leaves: its slot is free again
    assert world.view("stake_of", JURORS[0]) == (0, 0)
    world.ok(JURORS[2], "set_stake", 2 * MIN_STAKE)
    s = world.storage()
    assert s["slot_of"][JURORS[2]] == 1 and s["juror_at"][0] == JURORS[2]
    assert world.view("total_weight") == 2 * MIN_STAKE + 10 * MIN_STAKE
    court_invariant(world)


def test_a_court_cannot_be_its_own_treasury() -> None:
    """Its address is known before it is deployed (``contract_address``); as its own
    treasury, every unit of dust and every unearned reward or penalty would stay in it,
    outside ``held``, for good."""
    device = make_device()
    own = contract_address("alice", device.nonce("alice"))
    with pytest.raises(Exception, match="treasury must not be the court itself"):
        device.deploy(
            device.account("alice"),
            Court,
            TOKEN,
            FEE,
            FEE_PER_JUROR,
            MIN_STAKE,
            ALPHA_BPS,
            DURATIONS,
            own,
            b"seed",
            gas_limit=GAS,
        )
    assert own not in device.contracts
