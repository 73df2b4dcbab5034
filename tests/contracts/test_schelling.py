"""SchellingOracle on a device: stake-weighted mode, slashes and rewards to the unit,
quorum and rollover, attacks (copying, a majority whale), and settling a ChallengeGame."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.contracts.schelling import NO_ANSWER, OPEN, RESOLVED, SchellingOracle
from accord.device import (
    AssetSpec,
    Context,
    Contract,
    Device,
    DeviceConfig,
    DeviceError,
    Genesis,
    Map,
    Receipt,
    Revert,
    Var,
    checks,
    public,
)
from accord.mechanisms import schelling as S
from accord.mechanisms.commit_reveal import commitment_hash

VOTERS = ("alice", "bob", "carol", "dave", "erin", "frank", "mallory")
FUNDS = 1_000
TREASURY = "treasury"
SALT = b"schelling-salt-!"
YES_NO = ("yes", "no")
COMMIT_BLOCKS, REVEAL_BLOCKS = 5, 3
GAS = 3_000_000


class StubChallengeGame(Contract):
    """The colleague's resolver interface and nothing else: only ``resolver`` may call
    ``resolve(id, truthful)``, once per id."""

    resolver: Var[str] = Var("")
    verdicts: Map[bool | None] = Map(None)

    def setup(self, ctx: Context, resolver: str) -> None:
        self.resolver = resolver

    @public
    def resolve(self, ctx: Context, aid: int, truthful: bool) -> None:
        if ctx.sender != self.resolver:
            raise Revert(f"only the resolver {self.resolver} may resolve")
        if self.verdicts[aid] is not None:
            raise Revert(f"assertion {aid} already resolved")
        self.verdicts[aid] = truthful


def make_device() -> Device:
    genesis = Genesis(
        assets={
            "ETH": AssetSpec(issuer="eth-issuer", alloc=dict.fromkeys(VOTERS, 10**18)),
            "USD": AssetSpec(issuer="fed", alloc=dict.fromkeys(VOTERS, FUNDS)),
        },
        contract_modules=("accord.contracts", "tests"),  # the test's own contracts too
    )
    device = Device(DeviceConfig(), genesis, seed=11)
    checks.check_every_block(device)
    return device


def deploy(
    device: Device,
    *,
    quorum: int = 100,
    min_stake: int = 10,
    slash_bps: int = 1_000,
    nonreveal_bps: int = 2_000,
) -> str:
    return device.deploy(
        device.account("alice"),
        SchellingOracle,
        "USD",
        TREASURY,
        quorum,
        min_stake,
        slash_bps,
        nonreveal_bps,
        COMMIT_BLOCKS,
        REVEAL_BLOCKS,
    )


def call(device: Device, who: str, to: str, method: str, *args: Any) -> Receipt:
    return device.call(device.account(who), to, method, *args, gas_limit=GAS)


def one_block(device: Device, to: str, calls: list[tuple[str, str, tuple[Any, ...]]]) -> list[Any]:
    """Submit every ``(sender, method, args)`` and include them all in one block."""
    for who, method, args in calls:
        device.submit(device.sign(device.account(who), to, method, *args, gas_limit=GAS))
    return list(device.build_block().receipts)


def at(device: Device, block: int) -> None:
    assert device.number < block, f"already past block {block}"
    while device.number < block - 1:
        device.build_block()


def usd(device: Device, who: str) -> int:
    return device.balance(who, "USD")


def vote_round(
    device: Device, oracle: str, qid: int, votes: list[tuple[str, int, str | None]]
) -> Receipt:
    """Commit every vote in one block, reveal those with an answer, resolve."""
    _, commit_end, reveal_end = windows(device, oracle, qid)
    commits = [
        # a non-revealer commits to something it will never open
        (w, "commit", (qid, commitment_hash(a or "yes", SALT, w), stake))
        for w, stake, a in votes
    ]
    assert all(r.ok for r in one_block(device, oracle, commits))
    at(device, commit_end + 1)
    reveals = [(w, "reveal", (qid, a, SALT)) for w, _, a in votes if a is not None]
    assert all(r.ok for r in one_block(device, oracle, reveals))
    at(device, reveal_end + 1)
    receipt = call(device, "mallory", oracle, "resolve", qid)
    assert receipt.ok, receipt.error
    return receipt


def windows(device: Device, oracle: str, qid: int) -> tuple[int, int, int]:
    """``(round, commit_end, reveal_end)`` of a question, read without a transaction."""
    return device.contract_at(oracle).storage()["rounds"][qid]  # type: ignore[no-any-return]


def ask(device: Device, oracle: str, answers: tuple[str, ...] = YES_NO) -> int:
    receipt = call(device, "alice", oracle, "ask", "Did it rain in Paris on 1 May?", answers)
    assert receipt.ok, receipt.error
    return receipt.result  # type: ignore[return-value]


def test_hand_computed_resolution() -> None:
    """alice 100 yes, bob 50 yes, carol 60 no, dave 40 unrevealed; slash 10 %, 20 %.
    carol loses ⌈6⌉ = 6, dave ⌈8⌉ = 8: a pool of 14 for 150 coherent stake:
    alice ⌊14 × 100 / 150⌋ = 9, bob ⌊14 × 50 / 150⌋ = 4, 1 unit of dust to the treasury."""
    device = make_device()
    oracle = deploy(device)
    qid = ask(device, oracle)
    assert call(device, "bob", oracle, "status", qid).result == OPEN
    receipt = vote_round(
        device,
        oracle,
        qid,
        [("alice", 100, "yes"), ("bob", 50, "yes"), ("carol", 60, "no"), ("dave", 40, None)],
    )
    assert receipt.result == "yes"
    assert {w: usd(device, w) for w in ("alice", "bob", "carol", "dave")} == {
        "alice": FUNDS + 9,
        "bob": FUNDS + 4,
        "carol": FUNDS - 6,
        "dave": FUNDS - 8,
    }
    assert usd(device, TREASURY) == 1 and usd(device, oracle) == 0
    assert not device.ledger.locked
    resolved = [e.as_dict() for e in receipt.events if e.name == "Resolved"]
    assert resolved == [
        {"answer": "yes", "id": 0, "revealed_stake": 210, "round": 0, "to_treasury": 1}
    ]
    assert call(device, "bob", oracle, "outcome", qid).result == "yes"
    assert call(device, "bob", oracle, "status", qid).result == RESOLVED


def test_missed_quorum_is_no_answer_and_rolls_over() -> None:
    device = make_device()
    oracle = deploy(device, quorum=100)
    qid = ask(device, oracle)
    receipt = vote_round(device, oracle, qid, [("bob", 60, "no"), ("carol", 30, None)])
    assert receipt.result is None
    # revealers are refunded in full; the non-revealer is slashed, to the treasury
    assert usd(device, "bob") == FUNDS
    assert usd(device, "carol") == FUNDS - 6
    assert usd(device, TREASURY) == 6
    assert call(device, "bob", oracle, "outcome", qid).result is None
    assert call(device, "bob", oracle, "status", qid).result == NO_ANSWER
    closed = call(device, "bob", oracle, "commit", qid, commitment_hash("no", SALT, "bob"), 10)
    assert closed.error == "question 0 is no_answer, not open for votes"
    reopened = call(device, "erin", oracle, "reopen", qid)
    assert reopened.ok and reopened.result == 1
    _text, answers, number, commit_end, reveal_end, status = call(
        device, "bob", oracle, "question", qid
    ).result  # type: ignore[misc]
    assert (answers, number, status) == (YES_NO, 1, OPEN)
    assert (commit_end, reveal_end) == (
        device.number - 1 + COMMIT_BLOCKS,
        device.number - 1 + COMMIT_BLOCKS + REVEAL_BLOCKS,
    )
    assert call(device, "bob", oracle, "ballot", qid, "bob").result is None  # fresh round
    again = vote_round(device, oracle, qid, [("bob", 60, "no"), ("carol", 50, "no")])
    assert again.result == "no"
    assert call(device, "bob", oracle, "outcome", qid).result == "no"
    assert usd(device, "bob") == FUNDS and usd(device, "carol") == FUNDS - 6
    assert call(device, "bob", oracle, "reopen", qid).error == (
        "question 0 is resolved: only a round with no answer reopens"
    )


def test_a_tie_is_no_answer() -> None:
    device = make_device()
    oracle = deploy(device)
    qid = ask(device, oracle)
    receipt = vote_round(device, oracle, qid, [("bob", 70, "no"), ("carol", 70, "yes")])
    assert receipt.result is None
    assert usd(device, "bob") == usd(device, "carol") == FUNDS


def test_reveal_errors_windows_and_double_votes() -> None:
    device = make_device()
    oracle = deploy(device)
    qid = ask(device, oracle, ("red", "green", "blue"))
    _, commit_end, reveal_end = windows(device, oracle, qid)
    receipts = one_block(
        device,
        oracle,
        [
            ("bob", "commit", (qid, commitment_hash("red", SALT, "bob"), 50)),
            ("bob", "commit", (qid, commitment_hash("blue", SALT, "bob"), 50)),
            ("carol", "commit", (qid, commitment_hash("purple", SALT, "carol"), 50)),
            ("dave", "commit", (qid, commitment_hash("red", SALT, "dave"), 9)),
            ("erin", "commit", (qid, b"too short", 50)),
            ("frank", "commit", (99, commitment_hash("red", SALT, "frank"), 50)),
        ],
    )
    assert [r.error for r in receipts] == [
        None,
        "bob has already voted on question 0 (round 0)",
        None,
        "stake must be an int of at least 10, got 9",
        "commitment must be 32 bytes (a BLAKE2b-256 digest), got b'too short'",
        "no question 99",
    ]
    early = call(device, "bob", oracle, "reveal", qid, "red", SALT)
    assert (early.error or "").startswith(f"reveals are accepted in blocks {commit_end + 1}..")
    assert (call(device, "bob", oracle, "resolve", qid).error or "").startswith(
        f"the round closes after block {reveal_end}"
    )
    at(device, commit_end + 1)
    before = device.contract_at(oracle).storage()
    receipts = one_block(
        device,
        oracle,
        [
            ("bob", "reveal", (qid, "blue", SALT)),
            ("bob", "reveal", (qid, "red", bytes(16))),
            ("carol", "reveal", (qid, "purple", SALT)),
            ("dave", "reveal", (qid, "red", SALT)),
        ],
    )
    assert [r.error for r in receipts] == [
        "answer and salt do not open the vote of bob on question 0",
        "answer and salt do not open the vote of bob on question 0",
        "answer 'purple' is not one of ('red', 'green', 'blue')",
        "dave has no vote on question 0 (round 0) to reveal",
    ]
    assert device.contract_at(oracle).storage() == before
    assert call(device, "bob", oracle, "reveal", qid, "red", SALT).ok
    assert call(device, "bob", oracle, "reveal", qid, "red", SALT).error == (
        "bob has already revealed on question 0"
    )
    at(device, reveal_end + 1)
    # bob alone revealed 50 < quorum 100: no answer; carol (who committed a disallowed
    # answer) is a non-revealer and slashed 20 %
    assert call(device, "bob", oracle, "resolve", qid).result is None
    assert usd(device, "carol") == FUNDS - 10 and usd(device, "bob") == FUNDS
    assert call(device, "bob", oracle, "resolve", qid).error == (
        "question 0 is no_answer, not open for votes"
    )


def test_a_copied_vote_cannot_be_revealed() -> None:
    """Mallory mirrors bob's commitment hoping to reveal whatever he reveals; she can't,
    and is slashed as a non-revealer."""
    device = make_device()
    oracle = deploy(device)
    qid = ask(device, oracle)
    _, commit_end, reveal_end = windows(device, oracle, qid)
    assert call(device, "bob", oracle, "commit", qid, commitment_hash("no", SALT, "bob"), 100).ok
    copy = call(device, "mallory", oracle, "ballot", qid, "bob").result[0]  # type: ignore[index]
    assert call(device, "mallory", oracle, "commit", qid, copy, 100).ok
    at(device, commit_end + 1)
    assert call(device, "bob", oracle, "reveal", qid, "no", SALT).ok
    mirror = call(device, "mallory", oracle, "reveal", qid, "no", SALT)
    assert mirror.error == "answer and salt do not open the vote of mallory on question 0"
    at(device, reveal_end + 1)
    assert call(device, "bob", oracle, "resolve", qid).result == "no"
    assert usd(device, "mallory") == FUNDS - 20
    assert usd(device, "bob") == FUNDS + 20


def test_a_majority_whale_decides_and_is_paid_for_it() -> None:
    """The known limit of every Schelling scheme: more stake than the honest voters wins
    the vote and takes their slashes (Kleros and UMA count on the token price)."""
    device = make_device()
    oracle = deploy(device, slash_bps=5_000)
    qid = ask(device, oracle)
    receipt = vote_round(
        device,
        oracle,
        qid,
        [("mallory", 301, "no"), ("bob", 100, "yes"), ("carol", 100, "yes"), ("dave", 100, "yes")],
    )
    assert receipt.result == "no"
    assert usd(device, "mallory") == FUNDS + 150
    assert usd(device, "bob") == usd(device, "carol") == usd(device, "dave") == FUNDS - 50
    # one unit less and the honest side wins: the attack needs a strict majority of stake
    device = make_device()
    oracle = deploy(device, slash_bps=5_000)
    qid = ask(device, oracle)
    receipt = vote_round(
        device,
        oracle,
        qid,
        [("mallory", 299, "no"), ("bob", 100, "yes"), ("carol", 100, "yes"), ("dave", 100, "yes")],
    )
    assert receipt.result == "yes"
    assert usd(device, "mallory") == FUNDS - 150  # ⌈299 / 2⌉
    assert usd(device, "bob") == usd(device, "carol") == usd(device, "dave") == FUNDS + 50


def test_questions_are_independent_and_stakes_are_per_question() -> None:
    device = make_device()
    oracle = deploy(device, quorum=10)
    q0 = ask(device, oracle)
    q1 = ask(device, oracle, ("up", "down"))
    assert (q0, q1) == (0, 1)
    _, c1, r1 = windows(device, oracle, q1)
    one_block(
        device,
        oracle,
        [
            ("bob", "commit", (q0, commitment_hash("yes", SALT, "bob"), 30)),
            ("bob", "commit", (q1, commitment_hash("down", SALT, "bob"), 40)),
            ("carol", "commit", (q1, commitment_hash("up", SALT, "carol"), 50)),
        ],
    )
    assert device.locked("bob", "USD", oracle) == 70
    at(device, c1 + 1)
    assert all(
        r.ok
        for r in one_block(
            device,
            oracle,
            [
                ("bob", "reveal", (q0, "yes", SALT)),
                ("bob", "reveal", (q1, "down", SALT)),
                ("carol", "reveal", (q1, "up", SALT)),
            ],
        )
    )
    at(device, r1 + 1)
    assert call(device, "erin", oracle, "resolve", q0).result == "yes"
    assert device.locked("bob", "USD", oracle) == 40
    assert call(device, "erin", oracle, "resolve", q1).result == "up"
    assert usd(device, "bob") == FUNDS - 4 and usd(device, "carol") == FUNDS + 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("USD", TREASURY, 0, 10, 1000, 1000, 3, 3), "quorum must be a positive int"),
        (("USD", TREASURY, 10, 0, 1000, 1000, 3, 3), "min_stake must be a positive int"),
        (("USD", TREASURY, 10, 10, 10_001, 1000, 3, 3), "slash_bps must be an int in"),
        (("USD", TREASURY, 10, 10, 1000, -1, 3, 3), "nonreveal_bps must be an int in"),
        (("USD", TREASURY, 10, 10, 1000, 1000, 0, 3), "commit_blocks must be a positive"),
        (("USD", "", 10, 10, 1000, 1000, 3, 3), "treasury must be a non-empty"),
    ],
)
def test_bad_setup_is_refused(args: tuple[Any, ...], message: str) -> None:
    device = make_device()
    with pytest.raises(DeviceError, match=message):
        device.deploy(device.account("alice"), SchellingOracle, *args)


def test_bad_questions_are_refused() -> None:
    device = make_device()
    oracle = deploy(device)
    assert call(device, "bob", oracle, "ask", "", YES_NO).error == (
        "question must be a non-empty str, got ''"
    )
    assert call(device, "bob", oracle, "ask", "q", ("yes",)).error == (
        "answers must be a tuple of at least two strs, got ('yes',)"
    )
    assert call(device, "bob", oracle, "ask", "q", ("yes", "yes")).error == (
        "answers must be distinct, got ('yes', 'yes')"
    )
    assert call(device, "bob", oracle, "outcome", 0).error == "no question 0"
    assert call(device, "bob", oracle, "status", "0").error == "question id must be an int, got '0'"


# -- as a ChallengeGame resolver -------------------------------------------------------


def test_settle_into_a_stub_challenge_game() -> None:
    device = make_device()
    oracle = deploy(device)
    game = device.deploy(device.account("alice"), StubChallengeGame, oracle)
    early = call(device, "bob", oracle, "settle_into", game, 7)
    assert early.error == f"no question is bound to assertion 7 of {game}"
    asked = call(device, "bob", oracle, "ask_challenge", game, 7)
    assert asked.ok
    qid = asked.result
    text, answers, *_ = call(device, "bob", oracle, "question", qid).result  # type: ignore[misc]
    assert text == f"Is assertion 7 of {game} truthful?"
    assert answers == ("truthful", "untruthful")
    again = call(device, "carol", oracle, "ask_challenge", game, 7)
    assert again.error == f"assertion 7 of {game} already has question {qid}"
    pending = call(device, "bob", oracle, "settle_into", game, 7)
    assert pending.error == f"question {qid} is open: only a resolved question settles"
    vote_round(device, oracle, qid, [("bob", 80, "untruthful"), ("carol", 40, "truthful")])
    # anyone else calling the game directly is refused: only the oracle resolves
    assert call(device, "mallory", game, "resolve", 7, True).status == "reverted"
    receipt = call(device, "erin", oracle, "settle_into", game, 7)
    assert receipt.ok and receipt.result is False
    assert device.contract_at(game).storage()["verdicts"] == {7: False}
    twice = call(device, "erin", oracle, "settle_into", game, 7)
    assert twice.error == f"question {qid} has already been settled into {game}"
    checks.replay_equality(device)  # nested calls included, the log replays exactly


def test_settle_into_reverts_whole_when_the_game_refuses() -> None:
    device = make_device()
    oracle = deploy(device)
    game = device.deploy(device.account("alice"), StubChallengeGame, "someone-else")
    qid = call(device, "bob", oracle, "ask_challenge", game, 3).result
    vote_round(device, oracle, qid, [("bob", 120, "truthful")])
    before = device.contract_at(oracle).storage()
    refused = call(device, "erin", oracle, "settle_into", game, 3)
    assert refused.status == "reverted"
    assert refused.error == (
        f"{game} refused resolve(3, True): only the resolver someone-else may resolve"
    )
    assert device.contract_at(oracle).storage() == before  # not marked settled


def test_settle_into_the_real_challenge_game() -> None:
    challenge = pytest.importorskip("accord.contracts.challenge")
    device = make_device()
    oracle = deploy(device)
    game = device.deploy(
        device.account("alice"),
        challenge.ChallengeGame,
        "USD",
        50,  # min bond
        5,  # challenge window
        oracle,  # resolver
        40,  # resolve timeout: longer than the oracle's windows
    )
    aid = call(device, "dave", game, "propose", "the sky is green", 50).result
    assert call(device, "erin", game, "challenge", aid).ok
    qid = call(device, "erin", oracle, "ask_challenge", game, aid).result
    vote_round(device, oracle, qid, [("bob", 100, "untruthful"), ("carol", 30, "truthful")])
    assert call(device, "erin", oracle, "settle_into", game, aid).ok
    assert call(device, "erin", game, "state", aid).result == "refuted"
    assert usd(device, "erin") == FUNDS + 50  # the challenger wins the asserter's bond
    assert usd(device, "dave") == FUNDS - 50


# -- properties ------------------------------------------------------------------------

VOTE = st.tuples(st.integers(10, 300), st.sampled_from(["yes", "no", "maybe", None]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    votes=st.lists(VOTE, min_size=1, max_size=len(VOTERS)),
    quorum=st.integers(1, 600),
    slash_bps=st.integers(0, 10_000),
    nonreveal_bps=st.integers(0, 10_000),
)
def test_random_rounds_pay_what_the_mechanism_says(
    votes: list[tuple[int, str | None]], quorum: int, slash_bps: int, nonreveal_bps: int
) -> None:
    device = make_device()
    oracle = deploy(device, quorum=quorum, slash_bps=slash_bps, nonreveal_bps=nonreveal_bps)
    answers = ("yes", "no", "maybe")
    qid = ask(device, oracle, answers)
    ballots = [(w, s, a) for w, (s, a) in zip(VOTERS, votes, strict=False)]
    receipt = vote_round(device, oracle, qid, ballots)
    expected = S.settle(
        [S.Vote(w, s, a) for w, s, a in ballots], answers, quorum, slash_bps, nonreveal_bps
    )
    assert receipt.result == expected.answer
    for p in expected.payouts:
        assert usd(device, p.voter) == FUNDS - p.stake + p.paid
    assert usd(device, TREASURY) == expected.to_treasury
    assert usd(device, oracle) == 0 and not device.ledger.locked
    assert sum(usd(device, w) for w in (*VOTERS, TREASURY)) == FUNDS * len(VOTERS)
    checks.block_invariants(device)
