"""ChallengeGame (staking through Staking) and the JudgementJury resolver under
generated hostile calls.

Proposals, challenges, verdicts, finalizations and expiries are drawn in any order and
phase (challenge after the window, finalize before it, resolve by a stranger or twice,
expire before the deadline), by any user or a contract, with hostile ids, bonds, claims
and verdicts; jurors answer with hostile games, ids, choices and multipliers. After
every call: what the game holds locked is exactly the bonds of open assertions (the
asserter's while pending, both parties' while challenged), a settled assertion never
changes again, a successful move was its caller's to make in its phase, and the shared
checks of :class:`~tests.contracts.hostile_args.Hostile`.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from accord.contracts.challenge import CHALLENGED, PENDING, ChallengeGame
from accord.contracts.judgement_challenge import JudgementJury
from accord.contracts.staking import Staking
from accord.device import Device, Receipt
from tests.contracts.hostile_args import (
    Hostile,
    Relay,
    Snapshot,
    Step,
    amounts,
    call,
    canonical_values,
    hostile_device,
    mixed,
    names,
    relayed,
    steps,
)

BOND, WINDOW, TIMEOUT, STAKE = 100, 4, 6, 500
AID = mixed(st.integers(0, 2), st.just(0))
CLAIM = mixed(
    st.builds(lambda n, d: ("root", "a", "b", n, d), st.integers(1, 5), st.integers(1, 5)),
    canonical_values(),
)
GAME = {
    "propose": call(CLAIM, amounts(400)),
    "challenge": call(AID),
    "resolve": call(AID, mixed(st.booleans())),
    "finalize": call(AID),
    "expire": call(AID),
    "assertion": call(AID),
    "state": call(AID),
    "claim": call(AID),
    "is_true": call(AID),
    "@relay:relay": relayed(
        "@target",
        {
            "propose": st.tuples(CLAIM, amounts(400)),
            "challenge": st.tuples(AID),
            "resolve": st.tuples(AID, st.booleans()),
        },
    ),
}


def game_invariant(game: str, settled: dict[int, object]) -> object:
    def check(device: Device) -> None:
        s = device.contract_at(game).storage()
        owed: dict[str, int] = {}
        for aid, (asserter, _, bond, _, challenger, _, state) in s["assertions"].items():
            if state in (PENDING, CHALLENGED):
                assert aid not in settled, f"assertion {aid} reopened"
                owed[asserter] = owed.get(asserter, 0) + bond
                if state == CHALLENGED:
                    owed[challenger] = owed.get(challenger, 0) + bond
            else:
                assert settled.setdefault(aid, state) == state, f"assertion {aid} settled twice"
        held = {o: n for (o, a, h), n in device.ledger.locked.items() if h == game}
        assert held == owed, (held, owed)

    return check


def game_rule(game: str, resolver: str, device: Device) -> object:
    def rule(step: Step, before: Snapshot, receipt: Receipt) -> None:
        s = before.storage[game]
        if step.method not in ("challenge", "resolve", "finalize", "expire"):
            return
        aid = step.args[0]
        assert type(aid) is int
        asserter, _, _, proposed, _, challenged, state = s["assertions"][aid]
        now = device.number
        if step.method == "challenge":
            assert state == PENDING and now < proposed + WINDOW and step.who != asserter
        elif step.method == "finalize":
            assert state == PENDING and now >= proposed + WINDOW
        elif step.method == "resolve":
            assert step.who == resolver and state == CHALLENGED
            assert now < challenged + TIMEOUT
        else:
            assert state == CHALLENGED and now >= challenged + TIMEOUT

    return rule


def deploy_game(device: Device, resolver: str) -> tuple[str, str]:
    """A staking contract (alice governs) and a game that slashes through it."""
    staking = device.deploy(
        device.account("alice"), Staking, "TOK", 2, (), "treasury", 0, 0, "alice"
    )
    game = device.deploy(
        device.account("alice"),
        ChallengeGame,
        "USD",
        BOND,
        WINDOW,
        resolver,
        TIMEOUT,
        1_000,
        "treasury",
        staking,
        STAKE,
    )
    assert device.call(device.account("alice"), staking, "set_slasher", game, True).ok
    for who in ("bob", "carol", "mallory"):
        assert device.call(device.account(who), staking, "bond", 2 * STAKE).ok
    return staking, game


@settings(max_examples=120, deadline=None)
@given(steps(GAME, senders=("bob", "carol", "mallory", "alice")), st.booleans())
@example([Step("carol", "resolve", (True, True))], True)
def test_challenge_hostile_sequences(sequence: list[Step], challenged: bool) -> None:
    device = hostile_device()
    relay = device.deploy(device.account("mallory"), Relay)
    staking, game = deploy_game(device, "carol")
    hostile = Hostile(device, watch=[game, staking], aliases={"@relay": relay})
    hostile.invariant = game_invariant(game, {})  # type: ignore[assignment]
    hostile.rule = game_rule(game, "carol", device)  # type: ignore[assignment]
    done = hostile.send("bob", game, "propose", ("root", "a", "b", 1, 2), BOND)
    assert done is not None and done.ok, done
    if challenged:
        done = hostile.send("mallory", game, "challenge", 0)
        assert done is not None and done.ok, done
    hostile.run(game, sequence)


# -- the jury as resolver -----------------------------------------------------------------
JURORS = ("carol", "mallory")
JURY = {
    "judge": call(
        mixed(st.just("@game"), st.just("@relay")),
        AID,
        mixed(st.sampled_from((1, 2))),
        mixed(st.integers(100, 500)),
    ),
    "answers": call(mixed(st.just("@game")), AID),
    "verdict": call(mixed(st.just("@game")), AID),
    "is_juror": call(names()),
    "@game:propose": GAME["propose"],
    "@game:challenge": GAME["challenge"],
    "@game:expire": GAME["expire"],
    "@game:resolve": GAME["resolve"],
}


def jury_invariant(jury: str, game: str) -> object:
    def check(device: Device) -> None:
        s = device.contract_at(jury).storage()
        assertions = device.contract_at(game).storage()["assertions"]
        for answers in s["answers_of"].values():
            jurors = [a[0] for a in answers]
            assert len(set(jurors)) == len(jurors) and set(jurors) <= set(JURORS), answers
        for (g, aid), holds in s["verdicts"].items():
            assert g == game and len(s["answers_of"][(g, aid)]) == 2
            assert assertions[aid][6] == ("upheld" if holds else "refuted")

    return check


@settings(max_examples=100, deadline=None)
@given(steps(JURY, senders=("carol", "mallory", "bob", "alice")))
@example([Step("carol", "judge", ("@game", 0, 1, 100))])  # a second answer from one juror
@example([Step("mallory", "judge", ("@game", 0, 1, 100)), Step("mallory", "verdict", ("@game", 0))])
@example([Step("mallory", "judge", ("@relay", 0, 1, 100))])  # a game that is not one
def test_jury_hostile_sequences(sequence: list[Step]) -> None:
    device = hostile_device()
    relay = device.deploy(device.account("mallory"), Relay)
    jury = device.deploy(device.account("alice"), JudgementJury, JURORS, 2, 20_000)
    _, game = deploy_game(device, jury)
    hostile = Hostile(device, watch=[jury, game], aliases={"@relay": relay, "@game": game})
    hostile.invariant = lambda d: (  # type: ignore[assignment]
        jury_invariant(jury, game)(d),
        game_invariant(game, {})(d),  # type: ignore[operator]
    )
    for who, method, args in (
        ("bob", "propose", (("root", "a", "b", 1, 2), BOND)),
        ("alice", "challenge", (0,)),
        ("bob", "propose", (("root", "a", "b", 3, 1), BOND)),
    ):
        done = hostile.send(who, game, method, *args)
        assert done is not None and done.ok, done
    done = hostile.send("carol", jury, "judge", game, 0, 2, 150)  # one answer of two
    assert done is not None and done.ok, done
    hostile.run(jury, sequence)
