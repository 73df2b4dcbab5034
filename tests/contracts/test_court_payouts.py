"""Court payouts on the device against the formulas, for generated votes and appeals
(Hypothesis): every juror's and funder's balance moves by exactly what the formulas of
``docs/arbitration.md`` ("Court") say, computed here from scratch, and every unit paid
in is paid out."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.contracts.court_world import (
    ALPHA_BPS,
    FEE,
    FEE_PER_JUROR,
    JURORS,
    MIN_STAKE,
    TOKEN,
    TREASURY,
    World,
    court_invariant,
    make_world,
)

AT_STAKE = MIN_STAKE * ALPHA_BPS // 10_000
FUNDERS = ("alice", "bob", "carol", "mallory")
# a juror's behaviour: a choice it commits and reveals, "hide" (commits, never
# reveals) or "absent" (never commits)
BEHAVIOUR = st.sampled_from((0, 1, 2, "hide", "absent"))


def balances(world: World, asset: str) -> dict[str, int]:
    return {w: world.device.balance(w, asset) for w in (*JURORS, *FUNDERS, TREASURY)}


def expected_round(
    drawn: dict[str, int], votes: dict[str, object], fees: int, ruling: int, tied: bool
) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Per account: fee asset gained, token gained, stake lost, for one round."""
    coherent = {
        j: k for j, k in drawn.items() if isinstance(votes[j], int) and (tied or votes[j] == ruling)
    }
    count = sum(coherent.values())
    penalties = sum(k for j, k in drawn.items() if j not in coherent) * AT_STAKE
    fee_gain: dict[str, int] = {}
    pnk_gain: dict[str, int] = {}
    lost = {j: k * AT_STAKE for j, k in drawn.items() if j not in coherent}
    if count:
        for j, k in coherent.items():
            fee_gain[j] = k * (fees // count)
            pnk_gain[j] = k * (penalties // count)
        fee_gain[TREASURY] = fees - count * (fees // count)
        pnk_gain[TREASURY] = penalties - count * (penalties // count)
    else:
        fee_gain[TREASURY], pnk_gain[TREASURY] = fees, penalties
    return fee_gain, pnk_gain, lost


def plurality(drawn: dict[str, int], votes: dict[str, object]) -> tuple[int, bool]:
    counts = [0, 0, 0]
    for j, k in drawn.items():
        if isinstance(votes[j], int):
            counts[votes[j]] += k  # type: ignore[index]
    best = max(counts)
    winners = [c for c in range(3) if counts[c] == best]
    tied = best == 0 or len(winners) > 1
    return (0 if tied else winners[0]), tied


def cast(world: World, d: int, behaviour: dict[str, object]) -> dict[str, object]:
    votes: dict[str, object] = {}
    for j in JURORS:
        b = behaviour[j]
        if b == "absent":
            continue
        votes[j] = None if b == "hide" else b
    world.vote_round(d, votes)
    return {j: (behaviour[j] if isinstance(behaviour[j], int) else None) for j in JURORS}


@settings(max_examples=25, deadline=None)
@given(st.fixed_dictionaries({j: BEHAVIOUR for j in JURORS}), st.integers(0, 50))
def test_first_round_payouts_follow_the_formulas(behaviour: dict[str, object], seed: int) -> None:
    world = make_world(seed=seed)
    d = world.open(2)
    fee0, pnk0 = balances(world, FEE), balances(world, TOKEN)
    stake0 = {j: world.view("stake_of", j)[0] for j in JURORS}
    votes = cast(world, d, behaviour)
    drawn = world.drawn(d, 0)
    ruling, tied = plurality(drawn, votes)
    assert world.view("current_ruling", d) == ruling
    world.until_passable(d)
    assert world.view("dispute", d)[2] == "execution"
    fee_gain, pnk_gain, lost = expected_round(drawn, votes, 3 * FEE_PER_JUROR, ruling, tied)
    fee1, pnk1 = balances(world, FEE), balances(world, TOKEN)
    for w in (*JURORS, TREASURY):
        assert fee1[w] - fee0[w] == fee_gain.get(w, 0), w
        assert pnk1[w] - pnk0[w] == pnk_gain.get(w, 0), w
    for j in JURORS:
        assert world.view("stake_of", j) == (stake0[j] - lost.get(j, 0), 0), j
    court_invariant(world)
    assert world.storage().get("held", 0) == 0


CONTRIBUTION = st.tuples(st.sampled_from(FUNDERS), st.sampled_from((1, 2)), st.integers(1, 30_000))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(CONTRIBUTION, max_size=8),
    st.sampled_from((1, 2)),
    st.sampled_from((1, 2)),
)
def test_crowdfunding_payouts_follow_the_formulas(
    contributions: list[tuple[str, int, int]], first: int, second: int
) -> None:
    """Round 0 votes ``first`` unanimously; the drawn contributions fund the appeal (any
    side, any amount: capped, refunded, refused below the minimum); if both sides are
    funded, round 1 votes ``second`` unanimously. Each funder's balance moves by what
    Kleros' repayment rule gives, computed here from scratch."""
    world = make_world(durations=(2, 3, 3, 40))  # the loser's half: 20 blocks, 8 calls
    d = world.open(2)
    cast(world, d, dict.fromkeys(JURORS, first))
    cost = 7 * FEE_PER_JUROR
    need = {c: cost + cost * (1 if c == first else 2) for c in (1, 2)}
    before = balances(world, FEE)
    paid = {1: 0, 2: 0}
    taken: dict[tuple[str, int], int] = {}
    funded: list[int] = []
    for who, choice, amount in contributions:
        if len(funded) == 2:
            break
        receipt = world.call(who, "fund_appeal", d, choice, value={FEE: amount})
        least = min(need[choice] - paid[choice], -(-need[choice] // 8))
        want = min(amount, need[choice] - paid[choice])
        if choice in funded or want < least:
            assert not receipt.ok, receipt
            continue
        assert receipt.ok and receipt.result == want, (receipt.error, want)
        paid[choice] += want
        taken[(who, choice)] = taken.get((who, choice), 0) + want
        if paid[choice] == need[choice]:
            funded.append(choice)
    if len(funded) == 2:
        cast(world, d, dict.fromkeys(JURORS, second))
    world.until_passable(d)
    assert world.view("dispute", d)[2] == "execution"
    if len(funded) == 2:
        final = second
    elif len(funded) == 1:
        final = funded[0]
    else:
        final = first
    assert world.view("current_ruling", d) == final
    rewards = paid[1] + paid[2] - cost if len(funded) == 2 else sum(paid[c] for c in funded)
    gain = dict.fromkeys(FUNDERS, 0)
    for (who, choice), amount in taken.items():
        gain[who] -= amount
        if choice not in funded:
            gain[who] += amount
        elif choice == final:
            gain[who] += amount * rewards // paid[choice]
    after = balances(world, FEE)
    for w in FUNDERS:
        assert after[w] - before[w] == gain[w], w
    court_invariant(world)
    assert world.storage().get("held", 0) == 0
