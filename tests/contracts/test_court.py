"""The Court on a device: first-round arbitration worked by hand, to the unit."""

from __future__ import annotations

from accord.device import checks
from accord.mechanisms.commit_reveal import commitment_hash
from tests.contracts.court_world import (
    ALPHA_BPS,
    FEE,
    FEE_PER_JUROR,
    MIN_STAKE,
    TOKEN,
    TREASURY,
    World,
    court_invariant,
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
