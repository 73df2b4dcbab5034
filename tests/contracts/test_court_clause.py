"""The Court behind an ArbitrationClause (the other engineer's arbitrable), end to end
through the interface both sides rely on: the clause creates the dispute paying
``arbitration_cost()``, jurors vote, the court settles and calls ``rule`` once, and the
escrow ends as the jurors ruled, every unit accounted for on both sides."""

from __future__ import annotations

from accord.contracts.arbitration_clause import ArbitrationClause
from accord.mechanisms.commit_reveal import commitment_hash
from tests.contracts.court_world import FEE, FEE_PER_JUROR, JURORS, court_invariant, make_world

AMOUNT, CLAUSE_FEE, LEVY, BOND = 50_000, 100, 50, 10_000
RELEASE, REFUND = 1, 2


def test_an_appeal_from_the_clause_is_decided_by_the_jurors() -> None:
    world = make_world()
    device = world.device
    clause = device.deploy(
        device.account("mallory"),
        ArbitrationClause,
        FEE,
        world.court,
        CLAUSE_FEE,
        LEVY,
        BOND,
        0,  # no audits: only the appeal reaches the court
        5,
        5,
        5,
        8,
        200,
    )

    def send(who: str, method: str, *args: object, value: int = 0) -> object:
        return world.ok(who, method, *args, to=clause, value={FEE: value} if value else None)

    a = send("alice", "open", "bob", "carol", 20, value=AMOUNT)
    send("bob", "accept", a)
    deposit = CLAUSE_FEE + LEVY
    send("alice", "dispute", a, commitment_hash(a, b"alice-salt-00000", "alice"), value=deposit)
    send("bob", "answer", a, commitment_hash(a, b"bob-salt-0000000", "bob"), value=deposit)
    send("carol", "adjudicate", a, RELEASE, value=BOND)  # the adjudicator rules for bob
    before = {w: device.balance(w, FEE) for w in ("alice", "bob", "carol")}
    cost = world.view("arbitration_cost")
    assert cost == 3 * FEE_PER_JUROR
    send("alice", "appeal", a, value=cost)  # alice, the loser, appeals to the court
    assert world.view("dispute", 0)[:3] == (clause, 2, "evidence")
    # the jurors refund alice: the adjudicator is overturned
    world.vote_round(0, dict.fromkeys(JURORS, REFUND))
    assert world.until_passable(0) == "execution"
    assert world.view("current_ruling", 0) == REFUND
    world.ok("mallory", "execute", 0)
    assert device.view(clause, "phase", a) == "refunded"
    after = {w: device.balance(w, FEE) for w in ("alice", "bob", "carol")}
    # alice: paid the appeal, gets the escrow, her deposit, bob's fee and carol's bond
    assert after["alice"] - before["alice"] == -cost + AMOUNT + deposit + CLAUSE_FEE + BOND
    assert after["bob"] - before["bob"] == 0  # bob's deposit paid the levy and the fee
    assert after["carol"] - before["carol"] == 0  # the bond went to the wronged party
    held, balance, _ = device.view(clause, "accounting")
    assert held == balance
    court_invariant(world)
    again = world.call("mallory", "execute", 0)
    assert not again.ok
