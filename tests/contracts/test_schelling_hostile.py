"""SchellingOracle under generated hostile calls, with a ChallengeGame it resolves.

Questions, votes, reveals, resolutions, reopenings and settlements into a game are drawn
in any order and phase (reveal before commit, resolve before the end or twice, reopen a
resolved question, settle into a game twice or before the question resolved), by any
user or a contract, with hostile ids, commitments, stakes, answers and salts. After
every call: what the oracle holds locked is exactly the stakes of the open rounds, the
oracle keeps no free balance (slashes are paid out), a question's answer never changes
once resolved, and the shared checks of :class:`~tests.contracts.hostile_args.Hostile`.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from accord.contracts.challenge import ChallengeGame
from accord.contracts.schelling import OPEN, RESOLVED, SchellingOracle
from accord.device import Device, Receipt
from accord.mechanisms import commit_reveal as CR
from tests.contracts.hostile_args import (
    SALT,
    Hostile,
    Relay,
    Snapshot,
    Step,
    amounts,
    call,
    commitments,
    hostile_device,
    mixed,
    relayed,
    salts,
    steps,
)

QID = mixed(st.integers(0, 2), st.just(0))
ANSWER = mixed(st.sampled_from(("yes", "no", "truthful", "untruthful")))
ORACLE = {
    "ask": call(mixed(st.just("q?")), mixed(st.just(("yes", "no")), st.just(("yes", "yes")))),
    "ask_challenge": call(mixed(st.just("@game")), mixed(st.integers(0, 1))),
    "commit": call(QID, commitments(ANSWER), amounts(400)),
    "reveal": call(QID, ANSWER, salts()),
    "resolve": call(QID),
    "reopen": call(QID),
    "settle_into": call(mixed(st.just("@game"), st.just("@relay")), mixed(st.integers(0, 1))),
    "outcome": call(QID),
    "status": call(QID),
    "question": call(QID),
    "ballot": call(QID, mixed(st.just("bob"))),
    "@relay:relay": relayed(
        "@target",
        {
            "commit": st.tuples(QID, commitments(ANSWER), amounts(400)),
            "resolve": st.tuples(QID),
            "settle_into": st.tuples(st.just("@game"), st.integers(0, 1)),
        },
    ),
}


def oracle_invariant(oracle: str, answered: dict[int, object]) -> object:
    def check(device: Device) -> None:
        s = device.contract_at(oracle).storage()
        owed: dict[str, int] = {}
        for (qid, number, who), (_, stake, _) in s["ballots"].items():
            if s["statuses"][qid] == OPEN and s["rounds"][qid][0] == number:
                owed[who] = owed.get(who, 0) + stake
        held = {o: n for (o, a, h), n in device.ledger.locked.items() if h == oracle}
        assert held == owed, (held, owed)
        assert device.balance(oracle, "USD") == 0, "the oracle kept slashed stake"
        for qid, status in s["statuses"].items():
            if status == RESOLVED:
                answer = s["answers_given"][qid]
                assert answered.setdefault(qid, answer) == answer, f"question {qid} re-answered"
            else:
                assert qid not in answered, f"resolved question {qid} reopened"

    return check


def oracle_rule(oracle: str, device: Device) -> object:
    def rule(step: Step, before: Snapshot, receipt: Receipt) -> None:
        s = before.storage[oracle]
        if step.method in ("commit", "reveal", "resolve"):
            qid = step.args[0]
            assert type(qid) is int and s["statuses"][qid] == OPEN
            _, commit_end, reveal_end = s["rounds"][qid]
            want = {"commit": CR.COMMIT, "reveal": CR.REVEAL, "resolve": CR.CLOSED}
            assert CR.phase(device.number, commit_end, reveal_end) == want[step.method]
        if step.method == "settle_into":
            qid = s["bound"][(step.args[0], step.args[1])]
            assert s["statuses"][qid] == RESOLVED and not s["settled_into_game"].get(qid)

    return rule


@settings(max_examples=120, deadline=None)
@given(steps(ORACLE, senders=("bob", "carol", "mallory", "alice")), st.booleans())
@example([Step("bob", "reveal", (0, "yes", SALT))], True)
@example([Step("alice", "settle_into", ("@game", 0))], True)
@example(  # a round resolved, resolved again, reopened
    [
        Step("carol", "reveal", (0, "no", SALT)),
        Step("", "mine", blocks=4),
        Step("alice", "resolve", (0,)),
        Step("alice", "resolve", (0,)),
        Step("alice", "reopen", (0,)),
    ],
    True,
)
@example(  # a bound question resolved and settled into the game, twice
    [
        Step("alice", "ask_challenge", ("@game", 0)),
        Step("bob", "commit", (1, CR.commitment_hash("truthful", SALT, "bob"), 300)),
        Step("", "mine", blocks=2),
        Step("bob", "reveal", (1, "truthful", SALT)),
        Step("", "mine", blocks=3),
        Step("alice", "resolve", (1,)),
        Step("mallory", "settle_into", ("@game", 0)),
        Step("mallory", "settle_into", ("@game", 0)),
    ],
    False,
)
def test_schelling_hostile_sequences(sequence: list[Step], reveal_first: bool) -> None:
    device = hostile_device()
    relay = device.deploy(device.account("mallory"), Relay)
    oracle = device.deploy(
        device.account("alice"), SchellingOracle, "USD", "treasury", 200, 100, 2_000, 5_000, 3, 3
    )
    game = device.deploy(device.account("alice"), ChallengeGame, "USD", 100, 20, oracle, 40)
    hostile = Hostile(device, watch=[oracle, game], aliases={"@relay": relay, "@game": game})
    hostile.invariant = oracle_invariant(oracle, {})  # type: ignore[assignment]
    hostile.rule = oracle_rule(oracle, device)  # type: ignore[assignment]
    for who, to, method, args in (
        ("alice", oracle, "ask", ("q?", ("yes", "no"))),
        ("bob", oracle, "commit", (0, CR.commitment_hash("yes", SALT, "bob"), 150)),
        ("carol", oracle, "commit", (0, CR.commitment_hash("no", SALT, "carol"), 120)),
        ("bob", game, "propose", ("claim", 100)),
        ("carol", game, "challenge", (0,)),
    ):
        done = hostile.send(who, to, method, *args)
        assert done is not None and done.ok, done
    if reveal_first:  # the attack starts in the reveal window, bob having revealed
        hostile.mine(max(0, device.contract_at(oracle).storage()["rounds"][0][1] - device.number))
        done = hostile.send("bob", oracle, "reveal", 0, "yes", SALT)
        assert done is not None and done.ok, done
    hostile.run(oracle, sequence)
