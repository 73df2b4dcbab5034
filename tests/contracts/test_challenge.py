"""ChallengeGame: the fraud-proof game, its payouts, its deadlines and its weakness.

A false claim that is challenged loses its bond; a true one that is challenged wins the
challenger's bond; a false one nobody challenges is accepted (the watcher assumption).
Exact balances after every scenario; the device's invariants after every block.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.contracts.challenge import BURN_ADDRESS, ChallengeGame
from accord.contracts.escrow import Escrow
from accord.contracts.staking import Staking
from accord.device import (
    AssetSpec,
    Context,
    Contract,
    Device,
    DeviceConfig,
    DeviceError,
    Genesis,
    Var,
    checks,
    public,
)

BOND = "BOND"
START = 1_000_000
USERS = ("alice", "bob", "carol", "mallory", "oracle")
WINDOW = 4
TIMEOUT = 10


class Jury(Contract):
    """A resolver that is a contract, as a Schelling-point oracle would be: it reaches a
    verdict by its own rules and calls ``resolve(id, truthful)`` on the game."""

    game: Var[str] = Var("")

    def setup(self, ctx: Context, *args: Any) -> None:
        pass

    @public
    def attach(self, ctx: Context, game: str) -> None:
        self.game = game

    @public
    def verdict(self, ctx: Context, aid: int, truthful: bool) -> None:
        ctx.call(self.game, "resolve", aid, truthful)


def make_device() -> Device:
    genesis = Genesis(
        assets={
            "ETH": AssetSpec(issuer="treasury", alloc={u: 10**18 for u in USERS}),
            BOND: AssetSpec(issuer="foundation", alloc=dict.fromkeys(USERS, START)),
        },
        contract_modules=("accord.contracts", "tests"),  # the test's own contracts too
    )
    device = Device(DeviceConfig(), genesis, seed=11)
    checks.check_every_block(device)
    return device


def deploy(
    device: Device,
    *args: Any,
    resolver: str = "oracle",
    burn_bps: int = 1_000,
    window: int = WINDOW,
    timeout: int = TIMEOUT,
) -> str:
    return device.deploy(
        device.account("oracle"),
        ChallengeGame,
        BOND,
        100,
        window,
        resolver,
        timeout,
        burn_bps,
        *args,
    )


@pytest.fixture
def device() -> Device:
    return make_device()


def call(device: Device, who: str, to: str, method: str, *args: Any) -> Any:
    receipt = device.call(device.account(who), to, method, *args)
    if not receipt.ok:
        raise AssertionError(f"{method} reverted: {receipt.error}")
    return receipt.result


def balances(device: Device) -> dict[str, int]:
    return {u: device.balance(u, BOND) for u in (*USERS, BURN_ADDRESS)}


def reverts(device: Device, who: str, to: str, method: str, *args: Any, match: str) -> None:
    before, storage = balances(device), device.contract_at(to).storage()
    locks = dict(device.ledger.locked)
    receipt = device.call(device.account(who), to, method, *args)
    assert receipt.status == "reverted", f"{method} should revert"
    assert receipt.error is not None and match in receipt.error, receipt.error
    assert balances(device) == before
    assert device.contract_at(to).storage() == storage
    assert device.ledger.locked == locks


def expect(device: Device, **delta: int) -> None:
    """Balances equal START plus ``delta`` (``burn`` for the burn address)."""
    want = {u: START + delta.get(u, 0) for u in USERS}
    want[BURN_ADDRESS] = delta.get("burn", 0)
    assert balances(device) == want


# -- the three outcomes the fraud proof exists for ---------------------------------------
def test_false_claim_challenged_loses_its_bond(device: Device) -> None:
    game = deploy(device)
    aid = call(device, "mallory", game, "propose", "state root 0xbad", 1_000)
    assert device.locked("mallory", BOND, game) == 1_000
    call(device, "carol", game, "challenge", aid)
    assert device.locked("carol", BOND, game) == 1_000
    call(device, "oracle", game, "resolve", aid, False)
    # carol: own bond back + floor(1000 × 0.9) = 900; the burn gets the other 100
    expect(device, mallory=-1_000, carol=900, burn=100)
    assert call(device, "bob", game, "state", aid) == "refuted"
    assert call(device, "bob", game, "is_true", aid) is False
    assert device.ledger.locked == {}


def test_honest_claim_challenged_wins_the_challengers_bond(device: Device) -> None:
    game = deploy(device)
    aid = call(device, "alice", game, "propose", ("price", 1_234), 1_000)
    call(device, "mallory", game, "challenge", aid)  # a griefing challenge
    call(device, "oracle", game, "resolve", aid, True)
    expect(device, alice=900, mallory=-1_000, burn=100)
    assert call(device, "bob", game, "state", aid) == "upheld"
    assert call(device, "bob", game, "is_true", aid) is True


def test_false_claim_unchallenged_finalizes(device: Device) -> None:
    """The known weakness: with no watcher, a false claim is accepted and costs nothing."""
    game = deploy(device)
    aid = call(device, "mallory", game, "propose", "2 + 2 = 5", 100)
    while device.number < WINDOW + 1:  # proposed in block 2; the window closes at 6
        reverts(device, "bob", game, "finalize", aid, match="challengeable until block 6")
    call(device, "bob", game, "finalize", aid)
    expect(device)  # the liar got its bond back
    assert call(device, "bob", game, "is_true", aid) is True
    assert call(device, "bob", game, "claim", aid) == "2 + 2 = 5"
    reverts(device, "carol", game, "challenge", aid, match="is accepted, not open to challenge")


def test_rounding_of_the_forfeit(device: Device) -> None:
    game = deploy(device, burn_bps=1_000)
    aid = call(device, "mallory", game, "propose", "x", 1_001)
    call(device, "carol", game, "challenge", aid)
    call(device, "oracle", game, "resolve", aid, False)
    # winner: floor(1001 × 9000 / 10000) = floor(900.9) = 900; burn: 101 (the dust)
    expect(device, mallory=-1_001, carol=900, burn=101)


def test_zero_burn_pays_the_whole_bond(device: Device) -> None:
    game = deploy(device, burn_bps=0)
    aid = call(device, "mallory", game, "propose", "x", 500)
    call(device, "carol", game, "challenge", aid)
    call(device, "oracle", game, "resolve", aid, False)
    expect(device, mallory=-500, carol=500)


# -- who may do what, and when ----------------------------------------------------------
def test_challenge_window_and_who_may_challenge(device: Device) -> None:
    game = deploy(device)
    aid = call(device, "alice", game, "propose", "x", 100)  # block 2, window closes at 6
    reverts(device, "alice", game, "challenge", aid, match="may not challenge its own")
    while device.number < 5:
        device.build_block()
    reverts(device, "bob", game, "challenge", aid, match="window of assertion 0 closed at block 6")
    reverts(device, "bob", game, "challenge", 9, match="no assertion 9")


def test_only_the_resolver_resolves_and_only_once(device: Device) -> None:
    game = deploy(device)
    aid = call(device, "alice", game, "propose", "x", 100)
    reverts(device, "oracle", game, "resolve", aid, True, match="only a challenged one")
    call(device, "bob", game, "challenge", aid)
    reverts(device, "bob", game, "challenge", aid, match="is challenged, not open")
    for who in ("alice", "bob", "mallory"):
        reverts(device, who, game, "resolve", aid, True, match="only the resolver oracle")
    reverts(device, "oracle", game, "resolve", aid, 1, match="truthful must be a bool")
    reverts(device, "oracle", game, "finalize", aid, match="only an unchallenged one")
    call(device, "oracle", game, "resolve", aid, True)
    reverts(device, "oracle", game, "resolve", aid, False, match="assertion 0 is upheld")
    reverts(device, "bob", game, "expire", aid, match="only a challenged one expires")
    expect(device, alice=90, bob=-100, burn=10)


def test_silent_resolver_expires_and_refunds_both(device: Device) -> None:
    game = deploy(device)
    aid = call(device, "alice", game, "propose", "x", 100)
    call(device, "bob", game, "challenge", aid)  # block 3: verdict deadline 13
    while device.number < 12:
        reverts(device, "carol", game, "expire", aid, match="resolver has until block 13")
    call(device, "carol", game, "expire", aid)  # block 13: the resolver is too late
    reverts(device, "oracle", game, "resolve", aid, True, match="assertion 0 is expired")
    expect(device)
    assert call(device, "carol", game, "is_true", aid) is False


def test_late_verdict_is_refused(device: Device) -> None:
    game = deploy(device)
    aid = call(device, "alice", game, "propose", "x", 100)
    call(device, "bob", game, "challenge", aid)
    while device.number < 12:
        device.build_block()
    reverts(device, "oracle", game, "resolve", aid, True, match="passed at block 13")


def test_bad_proposals(device: Device) -> None:
    game = deploy(device)
    reverts(device, "alice", game, "propose", "x", 99, match="at least 100, got 99")
    reverts(device, "alice", game, "propose", "x", True, match="at least 100")
    reverts(device, "alice", game, "propose", None, 100, match="claim must not be None")
    reverts(
        device, "alice", game, "propose", "x", START + 1, match="bond of 1000001 BOND not covered"
    )
    aid = call(device, "alice", game, "propose", "x", START)
    call(device, "bob", game, "propose", "y", 100)
    reverts(device, "bob", game, "challenge", aid, match="cannot challenge: bond of 1000000")


def test_bad_setup() -> None:
    device = make_device()
    oracle = device.account("oracle")
    for args, message in [
        ((BOND, 0, 4, "oracle", 6), "min_bond must be a positive int"),
        ((BOND, 1, 0, "oracle", 6), "window_blocks must be"),
        ((BOND, 1, 4, "", 6), "resolver must be"),
        ((BOND, 1, 4, "oracle", 0), "resolve_timeout_blocks must be"),
        ((BOND, 1, 4, "oracle", 6, 10_001), "burn_bps must be"),
        ((BOND, 1, 4, "oracle", 6, 0, BURN_ADDRESS, "", 5), "min_stake needs a staking"),
    ]:
        with pytest.raises(DeviceError, match=message):
            device.deploy(oracle, ChallengeGame, *args)


# -- composition ------------------------------------------------------------------------
def test_a_contract_resolver(device: Device) -> None:
    """The resolver may be a contract (a Schelling oracle, a jury): same interface."""
    jury = device.deploy(device.account("oracle"), Jury)
    game = deploy(device, resolver=jury)
    call(device, "oracle", jury, "attach", game)
    aid = call(device, "mallory", game, "propose", "x", 200)
    call(device, "carol", game, "challenge", aid)
    reverts(device, "oracle", game, "resolve", aid, True, match=f"only the resolver {jury}")
    call(device, "alice", jury, "verdict", aid, False)
    expect(device, mallory=-200, carol=180, burn=20)


def test_schelling_oracle_as_resolver(device: Device) -> None:
    """End to end with the colleague's :class:`SchellingOracle` as the resolver: a
    challenged lie goes to a staked commit-reveal vote, which refutes it."""
    from accord.contracts.schelling import SchellingOracle
    from accord.mechanisms.commit_reveal import commitment_hash

    oracle = device.deploy(
        device.account("oracle"), SchellingOracle, BOND, "oracle", 100, 10, 1_000, 1_000, 2, 2
    )
    game = deploy(device, resolver=oracle)
    aid = call(device, "mallory", game, "propose", "the bridge holds 10**6", 1_000)
    call(device, "carol", game, "challenge", aid)
    qid = call(device, "bob", oracle, "ask_challenge", game, aid)
    salts = {"alice": b"a" * 16, "bob": b"b" * 16}
    for voter, salt in salts.items():
        commitment = commitment_hash("untruthful", salt, voter)
        call(device, voter, oracle, "commit", qid, commitment, 100)
    _, commit_end, reveal_end = device.contract_at(oracle).storage()["rounds"][qid]
    while device.number < commit_end:
        device.build_block()
    for voter, salt in salts.items():
        call(device, voter, oracle, "reveal", qid, "untruthful", salt)
    while device.number < reveal_end:
        device.build_block()
    assert call(device, "alice", oracle, "resolve", qid) == "untruthful"
    assert call(device, "alice", oracle, "settle_into", game, aid) is False
    assert call(device, "alice", game, "state", aid) == "refuted"
    expect(device, mallory=-1_000, carol=900, burn=100)
    checks.replay_equality(device)


def test_escrow_pays_on_an_accepted_claim(device: Device) -> None:
    """An escrow whose condition is the game's verdict: pay only for a true claim."""
    game = deploy(device)
    escrow = device.deploy(device.account("oracle"), Escrow)
    aid = call(device, "bob", game, "propose", "delivered", 100)
    condition = ("view", game, "is_true", (aid,), "==", True)
    deal = call(device, "alice", escrow, "open", "bob", BOND, 5_000, "", condition, ("block", 50))
    assert device.call(device.account("bob"), escrow, "release", deal).status == "reverted"
    while device.number < 2 + WINDOW:
        device.build_block()
    call(device, "carol", game, "finalize", aid)
    call(device, "bob", escrow, "release", deal)
    expect(device, alice=-5_000, bob=5_000)


def test_stake_gate_and_stake_slash(device: Device) -> None:
    """Staking through :class:`Staking`: an asserter needs stake, and a refuted asserter
    is slashed there too (the game is a slasher), the challenger as reporter."""
    staking = device.deploy(
        device.account("oracle"), Staking, BOND, 3, (), "oracle", 5_000, 0, "oracle"
    )
    game = deploy(device, BURN_ADDRESS, staking, 400)
    reverts(device, "mallory", game, "propose", "x", 100, match="mallory has 0 bonded")
    call(device, "mallory", staking, "bond", 400)
    aid = call(device, "mallory", game, "propose", "x", 100)
    call(device, "carol", game, "challenge", aid)
    # not yet a slasher: the verdict stands, the stake slash fails and is logged
    receipt = device.call(device.account("oracle"), game, "resolve", aid, False)
    assert receipt.ok and [e.name for e in receipt.events][-1] == "StakeSlashFailed"
    expect(device, mallory=-500, carol=90, burn=10)
    call(device, "oracle", staking, "set_slasher", game, True)
    aid = call(device, "mallory", game, "propose", "y", 100)
    call(device, "carol", game, "challenge", aid)
    call(device, "oracle", game, "resolve", aid, False)
    # bonds: carol +90 again; stake: 400 slashed, half to carol (reporter), half to oracle
    expect(device, mallory=-600, carol=180 + 200, oracle=200, burn=20)
    assert device.locked("mallory", BOND, staking) == 0
    checks.replay_equality(device)


def test_self_challenge_costs_the_burn(device: Device) -> None:
    """Griefing by delay: the asserter disputes its own claim from a sybil and has the
    resolver's verdict go its way. Its net cost is exactly the burn."""
    game = deploy(device, burn_bps=1_000)
    aid = call(device, "mallory", game, "propose", "x", 1_000)
    call(device, "bob", game, "challenge", aid)  # bob is mallory's sybil here
    call(device, "oracle", game, "resolve", aid, True)
    assert device.balance("mallory", BOND) + device.balance("bob", BOND) == 2 * START - 100


# -- property ---------------------------------------------------------------------------
PLAYERS = ("alice", "bob", "carol", "mallory")
RECENT = st.integers(-1, 3)
"""Which assertion an action targets: 0 the latest, 1 the one before...; -1 one not made."""
CHALLENGE = st.tuples(st.just("challenge"), st.sampled_from(PLAYERS), RECENT)
RESOLVE = st.tuples(
    st.just("resolve"), st.sampled_from(("oracle", "oracle", "bob")), RECENT, st.booleans()
)
OPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("propose"), st.sampled_from(PLAYERS), st.just("claim"), st.integers(50, 400_000)
        ),
        CHALLENGE,
        CHALLENGE,
        RESOLVE,
        RESOLVE,
        st.tuples(st.just("finalize"), st.sampled_from(PLAYERS), RECENT),
        st.tuples(st.just("expire"), st.sampled_from(PLAYERS), RECENT),
        st.tuples(st.just("block")),
    ),
    max_size=40,
)
P_WINDOW, P_TIMEOUT = 8, 5
"""The property test's game: a long window, so that challenges land, and a short verdict
deadline, so that expiry happens too."""


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPS, st.integers(0, 10_000))
def test_random_games_match_a_model(ops: list[tuple[Any, ...]], burn: int) -> None:
    """Random play against a model of the rules: every call's success, and every exact
    balance, is predicted. Funds are conserved (the burn address is counted) and a player
    ends above its start only by what it won, by the rule."""
    device = make_device()
    game = deploy(device, burn_bps=burn, window=P_WINDOW, timeout=P_TIMEOUT)
    free = dict.fromkeys(PLAYERS, START)
    burned = 0
    # id -> [asserter, bond, proposed_block, challenger, challenged_block, state]
    model: dict[int, list[Any]] = {}
    preamble = [("propose", p, "claim", 1_000) for p in PLAYERS]  # something to act on
    for op in preamble + ops:
        kind = op[0]
        if kind == "block":
            device.build_block()
            continue
        n = device.number + 1  # the block the call executes in
        who = op[1]
        if kind == "propose":
            bond = op[3]
            receipt = device.call(device.account(who), game, "propose", "claim", bond)
            ok = 100 <= bond <= free[who]
            assert receipt.ok == ok, (op, receipt.error)
            if ok:
                model[receipt.result] = [who, bond, n, "", 0, "pending"]
                free[who] -= bond
            assert {p: device.balance(p, BOND) for p in PLAYERS} == free
            continue
        aid = len(model) - 1 - op[2]
        receipt = device.call(device.account(who), game, kind, aid, *op[3:])
        m = model.get(aid)
        state = m[5] if m is not None else None
        if m is None:
            ok = False
        elif kind == "challenge":
            ok = state == "pending" and n < m[2] + P_WINDOW and who != m[0] and m[1] <= free[who]
        elif kind == "resolve":
            ok = state == "challenged" and who == "oracle" and n < m[4] + P_TIMEOUT
        elif kind == "finalize":
            ok = state == "pending" and n >= m[2] + P_WINDOW
        else:
            ok = state == "challenged" and n >= m[4] + P_TIMEOUT
        assert receipt.ok == ok, (op, receipt.error, m, n)
        if ok:
            assert m is not None
            asserter, bond = m[0], m[1]
            if kind == "challenge":
                m[3], m[4], m[5] = who, n, "challenged"
                free[who] -= bond
            elif kind == "finalize":
                m[5] = "accepted"
                free[asserter] += bond
            elif kind == "expire":
                m[5] = "expired"
                free[asserter] += bond
                free[m[3]] += bond
            else:
                truthful = op[3]
                m[5] = "upheld" if truthful else "refuted"
                winner = asserter if truthful else m[3]
                to_winner = bond * (10_000 - burn) // 10_000
                free[winner] += bond + to_winner
                burned += bond - to_winner
        assert {p: device.balance(p, BOND) for p in PLAYERS} == free
    for who in PLAYERS:
        open_locks = sum(m[1] for m in model.values() if m[5] == "pending" and m[0] == who)
        open_locks += sum(m[1] for m in model.values() if m[5] == "challenged" and who in m[:4])
        assert device.locked(who, BOND, game) == open_locks
    assert device.balance(BURN_ADDRESS, BOND) == burned
    assert sum(free.values()) + burned + sum(device.ledger.locked.values()) == START * 4
    checks.block_invariants(device)
    checks.state_hash_matches(device)  # the incremental state hash equals a full recompute
