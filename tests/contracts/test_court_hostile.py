"""The Court under generated hostile calls (Hypothesis).

Any user or contract calls any method in any period with valid or junk arguments and
values: stakes (huge, zero, below the minimum, above the balance), disputes opened by an
account or with the wrong fee, commits by jurors not drawn, twice, or out of period,
reveals that do not open, double votes, appeals funded for a choice that does not exist,
already funded, by a loser too late, or over-funded (the surplus must come back), and an
arbitrable whose ``rule`` re-enters the court. After every call: the shared checks of
:class:`~tests.contracts.hostile_args.Hostile` (a revert changes nothing but the fee,
nobody loses free funds but the caller, conservation) and the court's own books
(:func:`~tests.contracts.court_world.books_invariant`: held fees, locks, the tree, one
``rule`` per executed dispute). A targeted test checks the over-funding refund and the
re-entrant arbitrable.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.contracts.court import Court
from accord.device import Device
from tests.contracts.court_world import Arbitrable, books_invariant
from tests.contracts.hostile_args import (
    HUGE,
    START,
    Hostile,
    Relay,
    amounts,
    call,
    commitments,
    hostile_device,
    mixed,
    names,
    relayed,
    salts,
    steps,
    values,
)

FEE, TOKEN = "USD", "TOK"
FEE_PER_JUROR = 100
MIN_STAKE = 1_000
COST = 3 * FEE_PER_JUROR

IDS = mixed(st.integers(0, 2))
CHOICES = mixed(st.integers(0, 3))
PLANS = st.sampled_from(
    (
        (),
        ("execute", (0,)),
        ("pass_period", (0,)),
        ("create_dispute", (2,)),
        ("fund_appeal", (0, 1)),
    )
)
COURT = {
    "set_stake": call(
        mixed(st.sampled_from((0, MIN_STAKE, 3 * MIN_STAKE, START, START + 1, HUGE)), amounts())
    ),
    "create_dispute": call(CHOICES, value=values(FEE)),
    "pass_period": call(IDS),
    "execute": call(IDS),
    "commit": call(IDS, commitments(st.tuples(st.integers(0, 1), st.integers(0, 1), CHOICES))),
    "reveal": call(IDS, CHOICES, salts()),
    "fund_appeal": call(
        IDS,
        CHOICES,
        value=st.one_of(
            values(FEE, high=2_000),
            st.sampled_from(({FEE: 700}, {FEE: 1_400}, {FEE: 2_100}, {FEE: 10**6})),
        ),
    ),
    "submit_evidence": call(IDS, mixed(st.just("ipfs://evidence"))),
    "appeal_cost": call(IDS),
    "appeal_period": call(IDS),
    "current_ruling": call(IDS),
    "dispute": call(IDS),
    "drawn": call(IDS, mixed(st.integers(0, 1))),
    "funding": call(IDS, CHOICES),
    "stake_of": call(names()),
    "arbitration_cost": call(),
    "@arb:open": call(mixed(st.integers(1, 3)), value=st.one_of(st.just({FEE: COST}), values(FEE))),
    "@arb:arm": call(PLANS),
    "@relay:relay": relayed(
        "@target",
        {
            "create_dispute": st.tuples(st.just(2)),
            "execute": st.tuples(IDS),
            "pass_period": st.tuples(IDS),
        },
    ),
}


def deploy(device: Device) -> tuple[str, str, Hostile]:
    court = device.deploy(
        device.account("alice"),
        Court,
        TOKEN,
        FEE,
        FEE_PER_JUROR,
        MIN_STAKE,
        2_000,
        (1, 2, 2, 30),
        "treasury",
        b"hostile-seed",
        7,
        8,
        gas_limit=3_000_000,
    )
    arb = device.deploy(device.account("alice"), Arbitrable, court)
    relay = device.deploy(device.account("mallory"), Relay)
    hostile = Hostile(device, watch=[court, arb], aliases={"@arb": arb, "@relay": relay})
    hostile.invariant = lambda dev: books_invariant(dev, court, arb)  # type: ignore[assignment]
    return court, arb, hostile


@settings(max_examples=80, deadline=None)
@given(
    steps(
        COURT,
        senders=("bob", "carol", "alice", "mallory"),
        max_blocks=4,
        max_size=30,
        focus=("pass_period", "commit", "reveal", "fund_appeal"),
    )
)
def test_court_hostile_sequences(sequence: list[Any]) -> None:
    device = hostile_device()
    court, arb, hostile = deploy(device)
    for who in ("bob", "carol"):  # two jurors and an open dispute to attack
        done = hostile.send(who, court, "set_stake", 3 * MIN_STAKE)
        assert done is not None and done.ok, done
    done = hostile.send("alice", arb, "open", 2, value={FEE: COST})
    assert done is not None and done.ok, done
    hostile.run(court, sequence)


def test_overfunding_is_refunded_and_reentry_is_refused() -> None:
    device = hostile_device()
    court, arb, hostile = deploy(device)
    for who in ("bob", "carol"):
        assert hostile.send(who, court, "set_stake", 3 * MIN_STAKE).ok  # type: ignore[union-attr]
    assert hostile.send("alice", arb, "open", 2, value={FEE: COST}).ok  # type: ignore[union-attr]
    # no juror commits: the round ends tied, ruling 0, and goes to appeal
    for _ in range(3):
        hostile.mine(3)
        hostile.send("mallory", court, "pass_period", 0)
    assert device.view(court, "dispute", 0)[2] == "appeal"
    before = device.balance("mallory", FEE)
    need = device.view(court, "funding", 0, 1)[1]
    receipt = hostile.send("mallory", court, "fund_appeal", 0, 1, value={FEE: need + 12_345})
    assert receipt is not None and receipt.ok and receipt.result == need
    assert device.balance("mallory", FEE) == before - need
    # the arbitrable re-enters execute from rule: refused, and rule ran once
    assert hostile.send("bob", arb, "arm", ("execute", (0,))).ok  # type: ignore[union-attr]
    hostile.mine(30)
    hostile.send("mallory", court, "pass_period", 0)
    assert device.view(court, "dispute", 0)[2] == "execution"
    assert device.view(court, "current_ruling", 0) == 1  # the only funded choice
    receipt = hostile.send("carol", court, "execute", 0)
    assert receipt is not None and receipt.ok
    s = device.contract_at(arb).storage()
    assert s["calls"][0] == 1 and "already been executed" in s["reentered"]
    again = hostile.send("carol", court, "execute", 0)
    assert again is not None and not again.ok


SEGMENT = steps(
    COURT,
    senders=("bob", "carol", "alice", "mallory"),
    max_blocks=2,
    max_size=5,
    focus=("commit", "reveal", "fund_appeal", "execute"),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(SEGMENT, min_size=12, max_size=12), st.sampled_from((1, 2)))
def test_court_hostile_along_the_honest_path(noise: list[list[Any]], vote: int) -> None:
    """The honest path (draw, commit, reveal, a funded appeal, a second round, execute),
    with a drawn hostile segment before each of its steps; the honest steps may fail
    when the noise has moved the dispute on, and every call is checked."""
    from accord.mechanisms.commit_reveal import commitment_hash

    device = hostile_device()
    court, arb, hostile = deploy(device)
    salt = b"honest-salt-0016"
    for who in ("bob", "carol", "alice"):
        hostile.send(who, court, "set_stake", 3 * MIN_STAKE)
    hostile.send("alice", arb, "open", 2, value={FEE: COST})
    segments = iter(noise)

    def noisy() -> None:
        hostile.run(court, next(segments))

    def period() -> str:
        return str(device.view(court, "dispute", 0)[2])

    def advance(to: str) -> None:
        """Mine and pass until the dispute is in ``to`` (or beyond: the noise may have
        moved it)."""
        for _ in range(6):
            if period() in (to, "execution"):
                return
            hostile.mine(1)
            hostile.send("mallory", court, "pass_period", 0)

    def drawn() -> list[str]:
        info = device.view(court, "dispute", 0)
        return [j for j, _ in device.view(court, "drawn", 0, info[4] - 1)]

    for _ in range(2):  # two rounds
        noisy()
        advance("commit")
        noisy()
        r = device.view(court, "dispute", 0)[4] - 1
        for juror in drawn():
            hostile.send(juror, court, "commit", 0, commitment_hash((0, r, vote), salt, juror))
        noisy()
        advance("vote")
        noisy()
        for juror in drawn():
            hostile.send(juror, court, "reveal", 0, vote, salt)
        noisy()
        advance("appeal")
        noisy()
        hostile.send("carol", court, "fund_appeal", 0, 3 - vote, value={FEE: 10**5})
        hostile.send("bob", court, "fund_appeal", 0, vote, value={FEE: 10**5})
    advance("execution")
    hostile.send("carol", court, "execute", 0)
