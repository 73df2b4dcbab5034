"""The Court's appeals on a device: crowdfunding with the 1x/2x multipliers, the loser's
half period, refunds, default wins, the new round of 2n + 1 jurors, repayment to the
unit; rounds that cannot be drawn; the juror cap."""

from __future__ import annotations

from typing import Any

from tests.contracts.court_world import (
    FEE,
    FEE_PER_JUROR,
    JURORS,
    TREASURY,
    World,
    court_invariant,
    make_world,
)

COST_7 = 7 * FEE_PER_JUROR  # the appeal of a 3-juror round


def usd(world: World, *who: str) -> dict[str, int]:
    return {w: world.device.balance(w, FEE) for w in who}


def fund(world: World, who: str, d: int, choice: int, amount: int) -> Any:
    return world.call(who, "fund_appeal", d, choice, value={FEE: amount})


def test_appeal_round_overturns_and_pays_the_right_funders() -> None:
    world = make_world()
    d = world.open(2)
    world.vote_round(d, dict.fromkeys(JURORS, 1))  # round 0: unanimous for 1
    assert world.view("current_ruling", d) == 1
    start, end = world.view("appeal_period", d)
    assert end - start == 10
    assert world.view("appeal_cost", d) == COST_7
    assert world.view("funding", d, 2) == (0, 3 * COST_7, False)  # loser: 3x in all
    assert world.view("funding", d, 1) == (0, 2 * COST_7, False)  # winner: 2x in all
    before = usd(world, "alice", "bob", "carol", TREASURY, *JURORS)
    # carol over-funds the loser: 21,000 taken, 4,000 refunded at once
    receipt = fund(world, "carol", d, 2, 25_000)
    assert receipt.ok and receipt.result == 3 * COST_7
    assert usd(world, "carol")["carol"] == before["carol"] - 3 * COST_7
    assert world.view("funding", d, 2) == (3 * COST_7, 3 * COST_7, True)
    refused = fund(world, "bob", d, 2, 1)
    assert not refused.ok and "already fully funded" in (refused.error or "")
    # a dust contribution is refused (at least ceil(14,000 / 8) = 1,750)
    dust = fund(world, "mallory", d, 1, 10)
    assert not dust.ok and "at least 1750" in (dust.error or "")
    # alice and bob fund the winner: the second funded choice appeals
    assert fund(world, "alice", d, 1, 10_000).result == 10_000
    court_invariant(world)
    assert fund(world, "bob", d, 1, 9_000).result == 4_000  # 5,000 refunded
    info = world.view("dispute", d)
    assert info[2:5:2] == ("evidence", 2)  # back to evidence, second round
    assert world.view("current_ruling", d) == 0  # round 1 not voted yet
    court_invariant(world)
    # round 1: 7 draws, unanimous for 2: the appeal overturns round 0
    world.vote_round(d, dict.fromkeys(JURORS, 2))
    assert sum(world.drawn(d, 1).values()) == 7
    assert world.until_passable(d) == "execution"
    assert world.view("current_ruling", d) == 2
    after = usd(world, "alice", "bob", "carol", TREASURY, *JURORS)
    # rewards = 14,000 + 21,000 - 7,000 = 28,000, all to carol (the only funder of 2)
    assert after["carol"] - before["carol"] == -3 * COST_7 + 28_000
    assert after["alice"] - before["alice"] == -10_000
    assert after["bob"] - before["bob"] == -4_000
    # round 0: nobody coherent with 2, so its 3,000 fee and 3 x 200 PNK of penalties go
    # to the treasury; round 1: 7 coherent draws share its 7,000 (1,000 each), no dust
    assert after[TREASURY] - before[TREASURY] == 3 * FEE_PER_JUROR
    assert world.device.balance(TREASURY, "PNK") == 3 * 200
    round1 = world.drawn(d, 1)
    for j in JURORS:
        assert after[j] - before[j] == round1.get(j, 0) * 1_000, j
    court_invariant(world)
    assert world.storage().get("held", 0) == 0
    world.ok("alice", "execute", d)
    arb = world.device.contract_at(world.arbitrable).storage()
    assert arb["rulings"][d] == 2
    # round 0's jurors (all voted 1) were incoherent with the final ruling 2: each lost
    # 200 per draw; round 1's coherent jurors shared round 0's and round 1's penalties
    s = world.storage()
    assert all(v == 0 for v in s["locked"].values())


def test_only_one_side_funded_wins_by_default() -> None:
    world = make_world()
    d = world.open(2)
    world.vote_round(d, dict.fromkeys(JURORS, 1))
    before = usd(world, "carol")
    assert fund(world, "carol", d, 2, 3 * COST_7).ok  # the loser funds, nobody answers
    assert world.until_passable(d) == "execution"
    assert world.view("current_ruling", d) == 2  # the funded loser wins
    assert usd(world, "carol") == before  # and is refunded in full
    court_invariant(world)


def test_loser_funds_only_in_the_first_half_and_the_period_ends_early() -> None:
    world = make_world()
    d = world.open(2)
    world.vote_round(d, dict.fromkeys(JURORS, 1))
    start, end = world.view("appeal_period", d)
    deadline = start + (end - start) // 2
    world.mine(deadline - world.device.number - 1)  # the next call runs in `deadline`
    late = fund(world, "carol", d, 2, 3 * COST_7)
    assert not late.ok and "first half" in (late.error or "")
    # nobody funded the loser in time: the appeal period may end now (before `end`)
    assert world.device.number + 1 < end
    assert world.ok("mallory", "pass_period", d) == "execution"
    assert world.view("current_ruling", d) == 1


def test_partial_funding_is_refunded() -> None:
    world = make_world()
    d = world.open(2)
    world.vote_round(d, dict.fromkeys(JURORS, 1))
    before = usd(world, "carol", "bob")
    assert fund(world, "carol", d, 2, 5_000).ok
    assert fund(world, "bob", d, 1, 2_000).ok
    assert world.until_passable(d) == "execution"
    assert world.view("current_ruling", d) == 1
    assert usd(world, "carol", "bob") == before
    court_invariant(world)


def test_no_juror_staked_refunds_the_arbitrable() -> None:
    world = make_world(stakes=dict.fromkeys(JURORS, 0))
    d = world.open(2)
    paid = world.device.balance(world.arbitrable, FEE)
    assert world.until_passable(d) == "execution"
    assert world.view("current_ruling", d) == 0
    # the fee stays in the court until it goes back with the ruling, so the arbitrable
    # can tell which dispute's fee it is
    assert world.device.balance(world.arbitrable, FEE) == paid
    assert world.ok("bob", "execute", d) == 0
    assert world.device.balance(world.arbitrable, FEE) == paid + 3 * FEE_PER_JUROR
    court_invariant(world)


def test_an_appeal_round_that_cannot_be_drawn_is_undone() -> None:
    # alpha 100%: a draw locks 1,000; one juror staking 3,000 backs round 0's 3 draws
    # and nothing more, so the appeal round finds nobody to draw
    juror = JURORS[0]
    world = make_world(jurors=(juror,), stakes={juror: 3_000}, alpha_bps=10_000)
    d = world.open(2)
    world.vote_round(d, {juror: 1})
    assert world.drawn(d, 0) == {juror: 3}
    assert world.view("total_weight") == 0
    before = usd(world, "alice", "carol")
    assert fund(world, "carol", d, 2, 3 * COST_7).ok
    assert fund(world, "alice", d, 1, 2 * COST_7).ok  # appeal: round 1
    assert world.until_passable(d) == "execution"
    assert world.view("dispute", d)[4] == 1  # the unheard round was removed
    assert world.view("current_ruling", d) == 1  # round 0's ruling stands
    assert usd(world, "alice", "carol") == before  # both sides refunded in full
    assert world.view("stake_of", juror) == (3_000, 0)  # coherent: nothing lost
    court_invariant(world)


def test_the_juror_cap_ends_appeals() -> None:
    world = make_world(max_jurors=7)
    d = world.open(2)
    world.vote_round(d, dict.fromkeys(JURORS, 1))
    assert world.view("appeal_cost", d) == COST_7
    assert fund(world, "carol", d, 2, 3 * COST_7).ok
    assert fund(world, "alice", d, 1, 2 * COST_7).ok
    world.vote_round(d, dict.fromkeys(JURORS, 1))  # round 1: 7 jurors, the cap
    refused = world.call("bob", "appeal_cost", d)
    assert not refused.ok and "exceeds 7" in (refused.error or "")
    assert not fund(world, "carol", d, 2, 10**6).ok
    assert world.ok("mallory", "pass_period", d) == "execution"  # no appeal can come
    court_invariant(world)


def test_the_largest_settlement_fits_in_a_block() -> None:
    """Every bound at once: 64 jurors, the 63-juror cap (5 rounds, 119 draws), 8 choices,
    half the jurors incoherent in every round, and in every appealed round 8
    contributions to the loser, 1 to the winner and 7 to each of the 7 other choices
    (never filled: all refunded). Entering execution settles it all in one call, which
    must fit the device's 30,000,000-gas block."""
    jurors = tuple(f"juror{i}" for i in range(64))
    world = make_world(
        jurors=jurors,
        stakes=dict.fromkeys(jurors, 20_000),
        max_jurors=63,
        capacity=64,
        durations=(2, 200, 200, 400),
    )
    d = world.open(8)
    for r in range(5):
        world.vote_round(d, {j: 1 + i % 2 for i, j in enumerate(jurors)})
        if r == 4:
            break
        winner = world.view("current_ruling", d)
        loser = 3 - winner if winner else 1
        for c in (0, *range(3, 9)):
            if c == winner:
                continue
            for f in jurors[:7]:
                need = world.view("funding", d, c)[1]
                world.ok(f, "fund_appeal", d, c, value={FEE: -(-need // 8)})
        need = world.view("funding", d, loser)[1]
        for f in jurors[:7]:
            world.ok(f, "fund_appeal", d, loser, value={FEE: -(-need // 8)})
        world.ok("alice", "fund_appeal", d, loser, value={FEE: need})
        world.ok("bob", "fund_appeal", d, winner, value={FEE: 10**7})
    assert world.view("dispute", d)[4] == 5
    assert sum(sum(world.drawn(d, r).values()) for r in range(5)) == 119
    device = world.device
    world.mine(400)
    receipt = device.call(
        device.account("mallory"), world.court, "pass_period", d, gas_limit=30_000_000
    )
    assert receipt.ok, receipt.error
    assert receipt.gas_used < 30_000_000
    print(f"largest settlement: {receipt.gas_used:,} gas")
    court_invariant(world)
