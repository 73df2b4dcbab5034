"""ArbitrationClause: every path of an agreement, with exact payouts, on a stub arbitrator.

The stub (``tests/contracts/arbitrator_stub.py``) lets each test decide the court's
ruling; ``tests/games/test_arbitration.py`` runs the clause against the real court.
Service used throughout: fee 10, levy 5 (deposit 15), bond 100, court cost 60, escrow
500; windows: accept 5, term 5, answer 4, ruling 6, appeal 6, court 10 blocks (every
call is a block of its own).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.contracts.arbitration_clause import ArbitrationClause
from accord.device import Device, Receipt
from accord.mechanisms import arbitration as A
from accord.mechanisms.commit_reveal import commitment_hash
from tests.contracts.arbitrator_stub import StubArbitrator
from tests.contracts.hostile_args import START, hostile_device

USD = "USD"
FEE, LEVY, BOND, COST, AMOUNT = 10, 5, 100, 60, 500
DEPOSIT = FEE + LEVY
PAYER, PAYEE, JUDGE = "alice", "bob", "carol"
ANSWER_W, RULING_W, APPEAL_W = 4, 6, 6


def salt(who: str, k: int = 0) -> bytes:
    return f"{who}-salt-{k:08d}".encode()


@dataclass
class World:
    device: Device
    clause: str
    court: str

    def send(self, who: str, method: str, *args: object, value: int = 0) -> Receipt:
        return self.device.call(
            self.device.account(who),
            self.clause,
            method,
            *args,
            value={USD: value} if value else None,
            gas_limit=2_000_000,
        )

    def ok(self, who: str, method: str, *args: object, value: int = 0) -> Receipt:
        receipt = self.send(who, method, *args, value=value)
        assert receipt.ok, receipt.error
        return receipt

    def fails(self, who: str, method: str, *args: object, value: int = 0, match: str = "") -> None:
        receipt = self.send(who, method, *args, value=value)
        assert not receipt.ok and match in (receipt.error or ""), receipt.error

    def give(self, dispute: int, ruling: int, back: int = 0) -> Receipt:
        return self.device.call(
            self.device.account("mallory"),
            self.court,
            "give",
            dispute,
            ruling,
            back,
            gas_limit=2_000_000,
        )

    def mine(self, n: int) -> None:
        for _ in range(n):
            self.device.build_block()

    def usd(self, who: str) -> int:
        return self.device.ledger.balance(who, USD)

    def phase(self, agreement: int = 0) -> str:
        phase: str = self.device.view(self.clause, "phase", agreement)
        return phase

    def accounting(self) -> tuple[int, int, int]:
        out: tuple[int, int, int] = self.device.view(self.clause, "accounting")
        return out

    def check(self) -> None:
        held, balance, _ = self.accounting()
        assert held == balance, (held, balance)

    def disputed(self, by: str = PAYER) -> None:
        """Open, accept, dispute by ``by`` and answer: the adjudication phase."""
        self.ok(PAYER, "open", PAYEE, JUDGE, 5, value=AMOUNT)
        self.ok(PAYEE, "accept", 0)
        other = PAYEE if by == PAYER else PAYER
        self.ok(by, "dispute", 0, commitment_hash(0, salt(by), by), value=DEPOSIT)
        self.ok(other, "answer", 0, commitment_hash(0, salt(other), other), value=DEPOSIT)


def make(audit_bps: int = 0, cost: int = COST) -> World:
    device = hostile_device()
    court = device.deploy(device.account("mallory"), StubArbitrator, USD, cost)
    clause = device.deploy(
        device.account("mallory"),
        ArbitrationClause,
        USD,
        court,
        FEE,
        LEVY,
        BOND,
        audit_bps,
        5,
        ANSWER_W,
        RULING_W,
        APPEAL_W,
        10,
    )
    return World(device, clause, court)


@pytest.fixture
def w() -> Iterator[World]:
    world = make()
    yield world
    world.check()


def test_undisputed_paths(w: World) -> None:
    w.ok(PAYER, "open", PAYEE, JUDGE, 5, value=AMOUNT)
    w.fails(PAYEE, "pay", 0, match="is offered")
    w.ok(PAYEE, "accept", 0)
    w.fails(PAYEE, "pay", 0, match="only the payer")
    w.ok(PAYER, "pay", 0)
    assert w.phase(0) == "released" and w.usd(PAYEE) == START + AMOUNT
    w.ok(PAYER, "open", PAYEE, JUDGE, 5, value=AMOUNT)  # 1: waived
    w.ok(PAYEE, "accept", 1)
    w.ok(PAYEE, "waive", 1)
    assert w.phase(1) == "refunded"
    w.ok(PAYER, "open", PAYEE, JUDGE, 2, value=AMOUNT)  # 2: closed after the term
    w.ok(PAYEE, "accept", 2)
    w.fails("mallory", "close", 2, match="open until")
    w.mine(2)
    w.ok("mallory", "close", 2)
    assert w.phase(2) == "released"
    w.ok(PAYER, "open", PAYEE, JUDGE, 2, value=AMOUNT)  # 3: never accepted
    w.fails("mallory", "cancel", 3, match="open until")
    w.mine(5)
    w.fails(PAYEE, "accept", 3, match="closed")
    w.ok("mallory", "cancel", 3)
    assert w.phase(3) == "refunded"
    assert w.usd(PAYER) == START - 2 * AMOUNT and w.usd(PAYEE) == START + 2 * AMOUNT
    assert w.accounting() == (0, 0, 0)


def test_unanswered_dispute_defaults_to_the_disputer(w: World) -> None:
    w.ok(PAYER, "open", PAYEE, JUDGE, 5, value=AMOUNT)
    w.ok(PAYEE, "accept", 0)
    w.ok(PAYER, "dispute", 0, commitment_hash(0, salt(PAYER), PAYER), value=DEPOSIT)
    w.fails(PAYER, "answer", 0, b"\x01" * 32, value=DEPOSIT, match="only the other party")
    w.fails("mallory", "default", 0, match="open until")
    w.mine(ANSWER_W)
    w.fails(PAYEE, "answer", 0, b"\x01" * 32, value=DEPOSIT, match="closed")
    w.ok("mallory", "default", 0)
    assert w.phase(0) == "refunded" and w.usd(PAYER) == START and w.usd(PAYEE) == START


def test_a_ruling_that_stands_pays_the_adjudicator_from_the_losers_deposit(w: World) -> None:
    w.disputed()
    w.fails(PAYER, "adjudicate", 0, 2, value=BOND, match="only the adjudicator")
    w.fails(JUDGE, "adjudicate", 0, 2, match="exactly")  # no bond
    w.fails(JUDGE, "adjudicate", 0, 0, value=BOND, match="ruling must be")
    w.ok(JUDGE, "adjudicate", 0, 2, value=BOND)  # refund the payer
    w.fails(PAYER, "appeal", 0, value=COST, match="only the loser")
    w.fails("mallory", "finalize", 0, match="open until")
    w.mine(APPEAL_W)
    w.fails(PAYEE, "appeal", 0, value=COST, match="closed")
    w.ok("mallory", "finalize", 0)
    assert w.phase(0) == "refunded"
    assert w.usd(PAYER) == START  # escrow and deposit back
    assert w.usd(PAYEE) == START - DEPOSIT
    assert w.usd(JUDGE) == START + FEE
    assert w.accounting() == (LEVY, LEVY, LEVY)


def test_an_appeal_that_overturns_pays_the_bond_to_the_wronged_party(w: World) -> None:
    w.disputed()
    w.ok(JUDGE, "adjudicate", 0, 2, value=BOND)  # wrong, say
    w.fails(PAYEE, "appeal", 0, value=COST - 1, match="exactly")
    w.ok(PAYEE, "appeal", 0, value=COST)
    w.fails(PAYEE, "appeal", 0, value=COST, match="is court")  # no double appeal
    w.fails("mallory", "finalize", 0, match="is court")
    assert w.phase(0) == "court"
    assert w.give(0, 1).ok
    assert w.phase(0) == "released"
    # payee: escrow + its deposit + the payer's fee share + the bond, less the court's cost
    assert w.usd(PAYEE) == START + AMOUNT + FEE + BOND - COST
    assert w.usd(PAYER) == START - AMOUNT - DEPOSIT
    assert w.usd(JUDGE) == START - BOND
    assert w.usd(w.court) == COST
    assert not w.give(0, 1).ok  # the court rules once


def test_an_appeal_that_confirms_costs_the_appellant_the_court_fee(w: World) -> None:
    w.disputed()
    w.ok(JUDGE, "adjudicate", 0, 2, value=BOND)
    w.ok(PAYEE, "appeal", 0, value=COST)
    assert w.give(0, 2).ok
    assert w.usd(PAYEE) == START - DEPOSIT - COST
    assert w.usd(JUDGE) == START + FEE
    assert w.usd(PAYER) == START


def test_a_court_that_refuses_splits(w: World) -> None:
    w.disputed()
    w.ok(JUDGE, "adjudicate", 0, 1, value=BOND)
    w.ok(PAYER, "appeal", 0, value=COST)
    assert w.give(0, 0).ok
    assert w.phase(0) == "split"
    rest = 2 * DEPOSIT - LEVY - FEE
    assert w.usd(PAYER) == START - AMOUNT // 2 - DEPOSIT - COST + (rest - rest // 2)
    assert w.usd(PAYEE) == START + AMOUNT // 2 - DEPOSIT + rest // 2
    assert w.usd(JUDGE) == START + FEE


def test_a_court_that_never_rules_leaves_the_ruling_standing_and_a_late_ruling_is_harmless(
    w: World,
) -> None:
    w.disputed()
    w.ok(JUDGE, "adjudicate", 0, 1, value=BOND)
    w.ok(PAYER, "appeal", 0, value=COST)
    w.fails("mallory", "expire", 0, match="open until")
    w.mine(10)
    w.ok("mallory", "expire", 0)
    assert w.phase(0) == "released" and w.usd(JUDGE) == START + FEE
    late = w.give(0, 2)
    assert late.ok and [e.name for e in late.events] == ["LateRuling"]
    assert w.phase(0) == "released"
    assert not w.give(0, 2).ok


def test_a_fee_returned_with_a_late_ruling_still_reaches_the_appellant(w: World) -> None:
    w.disputed()
    w.ok(JUDGE, "adjudicate", 0, 1, value=BOND)
    w.ok(PAYER, "appeal", 0, value=COST)
    w.mine(10)
    w.ok("mallory", "expire", 0)
    alice = w.usd(PAYER)
    late = w.give(0, 0, COST)  # the court could not hear it: its fee comes back late
    assert late.ok and [e.name for e in late.events][-2:] == ["CourtRefund", "LateRuling"]
    assert w.usd(PAYER) == alice + COST and w.phase(0) == "released"


def test_an_adjudicator_that_never_rules_escalates_at_the_funds_cost(w: World) -> None:
    w.disputed()
    w.mine(RULING_W)
    w.fails(JUDGE, "adjudicate", 0, 1, value=BOND, match="closed")
    w.ok("mallory", "escalate", 0)  # the fund is empty: split
    assert w.phase(0) == "split"
    w2 = make()
    w2.ok("mallory", "fund_audits", value=COST)
    w2.disputed()
    w2.mine(RULING_W)
    w2.ok("mallory", "escalate", 0)
    assert w2.phase(0) == "court" and w2.give(0, 1).ok
    # the payee wins; the adjudicator never ruled, so the payer's fee goes to the payee
    assert w2.usd(PAYEE) == START + AMOUNT + FEE
    assert w2.accounting() == (LEVY, LEVY, LEVY)
    w2.check()


def test_forged_and_foreign_rulings_are_refused(w: World) -> None:
    w.disputed()
    w.ok(JUDGE, "adjudicate", 0, 2, value=BOND)
    w.ok(PAYEE, "appeal", 0, value=COST)
    for who in (PAYER, PAYEE, JUDGE, "mallory"):
        w.fails(who, "rule", 0, 1, match="only the court")
    assert not w.give(7, 1).ok  # the stub has no dispute 7: nothing to call
    receipt = w.give(0, 3)
    assert not receipt.ok and "ruling must be" in (receipt.error or "")
    assert w.phase(0) == "court"


def test_a_court_reentering_the_clause_during_create_dispute_changes_nothing() -> None:
    w = make()
    w.disputed()
    w.ok(JUDGE, "adjudicate", 0, 2, value=BOND)
    for plan in (("rule", (0, 1)), ("appeal", (0,)), ("finalize", (0,)), ("expire", (0,))):
        arm = w.device.call(w.device.account("mallory"), w.court, "arm", plan)
        assert arm.ok
        before = (w.usd(PAYEE), w.accounting(), w.phase(0))
        w.fails(PAYEE, "appeal", 0, value=COST)
        assert (w.usd(PAYEE), w.accounting(), w.phase(0)) == before
    w.check()


def audit_world(audit_bps: int, reveal: tuple[bool, bool], k: int = 0) -> World:
    w = make(audit_bps)
    w.ok("mallory", "fund_audits", value=COST)
    w.ok(PAYER, "open", PAYEE, JUDGE, 5, value=AMOUNT)
    w.ok(PAYEE, "accept", 0)
    w.ok(PAYER, "dispute", 0, commitment_hash(0, salt(PAYER, k), PAYER), value=DEPOSIT)
    w.ok(PAYEE, "answer", 0, commitment_hash(0, salt(PAYEE, k), PAYEE), value=DEPOSIT)
    w.ok(JUDGE, "adjudicate", 0, 2, value=BOND)  # the payer wins
    w.fails(PAYER, "reveal", 0, salt(PAYEE, k), match="does not open")
    if reveal[0]:
        w.ok(PAYER, "reveal", 0, salt(PAYER, k))
    if reveal[1]:
        w.ok(PAYEE, "reveal", 0, salt(PAYEE, k))
    w.mine(APPEAL_W)
    w.ok("mallory", "finalize", 0)
    w.check()
    return w


def test_the_audit_draw_follows_the_revealed_salts_and_the_beacon() -> None:
    # The draw mixes both salts with the device's beacon of the block after the ruling's
    # (the review window ends APPEAL_W blocks after the ruling's block).
    rate = 3_000
    seen = set()
    for k in range(12):
        w = audit_world(rate, (True, True), k)
        ruled = [
            b.number
            for b in w.device.blocks
            for r in b.receipts
            if any(e.name == "Adjudicated" for e in r.events)
        ]
        beacon = w.device.headers[ruled[0] + 1].beacon
        seed = A.audit_seed(salt(PAYER, k), salt(PAYEE, k), w.clause, 0, beacon)
        expect = A.audited(seed, rate)
        assert w.phase(0) == ("court" if expect else "refunded"), k
        seen.add(expect)
        # without the beacon, the salts alone give another draw (it is mixed in)
        assert seed != A.audit_seed(salt(PAYER, k), salt(PAYEE, k), w.clause, 0)
    assert seen == {True, False}  # both outcomes occur among these salts


def test_withholding_a_reveal_cannot_dodge_an_audit_or_buy_one() -> None:
    # the ruling's winner (payer) withholds: forfeits its deposit to the fund, audited
    w = audit_world(5_000, (False, True))
    assert w.phase(0) == "court"
    _, _, fund = w.accounting()
    assert fund == DEPOSIT  # COST paid to the court, the payer's deposit forfeited
    assert w.give(0, 2).ok and w.usd(PAYER) == START - DEPOSIT
    # the loser (payee) withholds: no audit, the ruling stands
    w = audit_world(5_000, (True, False))
    assert w.phase(0) == "refunded"
    # an audit that overturns: bond to the wronged payee; the fund paid the court
    w = audit_world(10_000, (True, True))
    assert w.give(0, 1).ok
    assert w.usd(PAYEE) == START + AMOUNT + FEE + BOND
    assert w.usd(JUDGE) == START - BOND


def test_an_audit_the_fund_cannot_pay_leaves_the_ruling_standing() -> None:
    w = make(10_000)
    w.disputed()
    w.ok(JUDGE, "adjudicate", 0, 2, value=BOND)
    w.mine(APPEAL_W)
    receipt = w.ok("mallory", "finalize", 0)
    assert "FundShort" in [e.name for e in receipt.events]
    assert w.phase(0) == "refunded"


def test_setup_refuses_bad_rules() -> None:
    device = hostile_device()
    court = device.deploy(device.account("mallory"), StubArbitrator, USD, COST)
    good = [USD, court, FEE, LEVY, BOND, 0, 5, ANSWER_W, RULING_W, APPEAL_W, 10]
    for k, bad in [(0, ""), (2, -1), (4, 0), (5, 10_001), (6, 0), (10, 10**9), (3, True)]:
        args = list(good)
        args[k] = bad
        with pytest.raises(Exception, match="must be"):
            device.deploy(device.account("mallory"), ArbitrationClause, *args)


# -- the mechanism ------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 10**30),
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.integers(0, 2),
    st.integers(0, 2),
    st.integers(0, 10**9),
    st.sampled_from((0, 1)),
    st.sampled_from((0, 1)),
)
def test_settle_conserves_and_follows_its_rules(
    amount: int, fee: int, levy: int, final: int, ruled: int, bond: int, pa: int, pb: int
) -> None:
    bond = bond if ruled else 0
    paid_payer, paid_payee = pa * (fee + levy), pb * (fee + levy)
    out = A.settle(amount, fee, levy, final, ruled, bond, paid_payer, paid_payee)
    assert out.total() == amount + paid_payer + paid_payee + bond
    assert min(out) >= 0
    overturned = ruled and final and final != ruled
    if overturned:  # the bond goes to the side the final ruling favours
        side = out.payee if final == A.RELEASE else out.payer
        assert side >= bond
        assert out.adjudicator == 0
    if final and ruled == final:
        assert out.adjudicator == bond + (
            (paid_payer if final == A.RELEASE else paid_payee)
            - min(levy, paid_payer if final == A.RELEASE else paid_payee)
        )


def test_audit_rate_is_exact_at_the_boundary() -> None:
    boundary = (3_000 * (1 << 64) + 9_999) // 10_000  # the least x that is not audited
    assert A.audited((boundary - 1).to_bytes(8, "big"), 3_000)
    assert not A.audited(boundary.to_bytes(8, "big"), 3_000)
    assert not A.audited(b"\x00" * 8, 0)
    assert A.audited(b"\xff" * 8, 10_000)
    hits = sum(
        A.audited(A.audit_seed(b"a" * 16, str(k).encode(), "c", k), 2_500) for k in range(4000)
    )
    assert abs(hits / 4000 - 0.25) < 4 * (0.25 * 0.75 / 4000) ** 0.5


def test_a_fee_the_court_returns_goes_back_to_whoever_paid_it(w: World) -> None:
    w.disputed()
    w.ok(JUDGE, "adjudicate", 0, 2, value=BOND)
    w.ok(PAYEE, "appeal", 0, value=COST)
    assert w.give(0, 0, COST + 1).ok is False  # more than it was paid: refused
    assert w.give(0, 0, COST).ok  # a round without jurors: the fee comes with the ruling
    rest = 2 * DEPOSIT - LEVY - FEE
    assert w.usd(PAYEE) == START + AMOUNT // 2 - DEPOSIT + rest // 2  # the appeal fee is back
    assert w.usd(w.court) == 0
    # an audit's fee returns to the fund
    a = audit_world(10_000, (True, True))
    assert a.give(0, 0, COST).ok
    assert a.accounting()[2] == COST + LEVY


# -- against the real court ---------------------------------------------------------------
def test_with_the_real_court_a_round_without_jurors_refunds_the_appellant_and_splits() -> None:
    """The court draws no juror (nobody staked): it returns the fee to the clause and rules
    0; the clause passes the fee back to the appellant and splits the escrow."""
    from accord.contracts.court import Court
    from tests.contracts.court_world import DURATIONS, FEE_PER_JUROR, MIN_STAKE, TOKEN
    from tests.contracts.court_world import make_device as court_device

    device = court_device(jurors=())
    court = device.deploy(
        device.account("alice"),
        Court,
        TOKEN,
        USD,
        FEE_PER_JUROR,
        MIN_STAKE,
        2_000,
        DURATIONS,
        "treasury",
        b"seed",
        gas_limit=10_000_000,
    )
    clause = device.deploy(
        device.account("mallory"),
        ArbitrationClause,
        USD,
        court,
        FEE,
        LEVY,
        BOND,
        0,
        5,
        ANSWER_W,
        RULING_W,
        APPEAL_W,
        40,
        gas_limit=10_000_000,
    )
    w = World(device, clause, court)
    start = {who: w.usd(who) for who in (PAYER, PAYEE, JUDGE)}
    w.disputed()
    w.ok(JUDGE, "adjudicate", 0, 2, value=BOND)
    cost = device.view(court, "arbitration_cost")
    w.ok(PAYEE, "appeal", 0, value=cost)
    for _ in range(40):
        if device.view(clause, "phase", 0) != "court":
            break
        account = device.account("carol")
        for method in ("pass_period", "execute"):
            device.call(account, court, method, 0, gas_limit=10_000_000)
    assert w.phase(0) == "split"
    rest = 2 * DEPOSIT - LEVY - FEE
    assert w.usd(PAYEE) == start[PAYEE] + AMOUNT // 2 - DEPOSIT + rest // 2  # fee came back
    assert w.usd(PAYER) == start[PAYER] - (AMOUNT - AMOUNT // 2) - DEPOSIT + (rest - rest // 2)
    assert w.usd(JUDGE) == start[JUDGE] + FEE
    assert w.accounting() == (LEVY, LEVY, LEVY)


def test_a_returned_court_fee_reaches_its_own_appellant_whatever_the_order() -> None:
    """Two agreements in court; the court returns agreement 0's fee (a round without
    jurors) but rules on agreement 1 first. Agreement 1's appellant must not collect
    agreement 0's fee: it travels with its own dispute's ruling."""
    w = make()
    w.ok(PAYER, "open", PAYEE, JUDGE, 5, value=AMOUNT)  # 0: alice pays bob
    w.ok(PAYEE, "open", PAYER, JUDGE, 5, value=AMOUNT)  # 1: bob pays alice
    w.ok(PAYEE, "accept", 0)
    w.ok(PAYER, "accept", 1)
    for k, (by, other) in enumerate(((PAYER, PAYEE), (PAYEE, PAYER))):
        w.ok(by, "dispute", k, commitment_hash(k, salt(by), by), value=DEPOSIT)
        w.ok(other, "answer", k, commitment_hash(k, salt(other), other), value=DEPOSIT)
        w.ok(JUDGE, "adjudicate", k, 2, value=BOND)  # refund the payer
    w.ok(PAYEE, "appeal", 0, value=COST)  # bob appeals 0 (dispute 0)
    w.ok(PAYER, "appeal", 1, value=COST)  # alice appeals 1 (dispute 1)
    alice = w.usd(PAYER)
    # a stray transfer outside any ruling is nobody's returned fee
    assert w.device.call(w.device.account("mallory"), w.court, "refund", 0).ok
    assert w.give(1, 2).ok  # agreement 1: the adjudicator stands, alice loses her appeal
    assert w.usd(PAYER) == alice  # no court fee of hers came back
    bob = w.usd(PAYEE)  # bob, agreement 1's payer, has had his escrow and deposit back
    assert bob == START - DEPOSIT - COST  # his deposit in 0 and his appeal fee are out
    assert w.give(0, 0, COST).ok  # agreement 0: unheard, ruling 0, its fee with it
    rest = 2 * DEPOSIT - LEVY - FEE
    assert w.usd(PAYEE) == bob + COST + AMOUNT // 2 + rest // 2  # bob's appeal fee is back
    held, balance, _ = w.accounting()
    assert balance == held + COST  # the stray transfer stays beside ``held``, unowed


def test_a_late_finalize_reads_the_fallback_beacon() -> None:
    """More than 256 blocks after the ruling, ``finalize`` reads the beacon of the latest
    block ``ruling block + 1 + k * BEACON_WINDOW`` (``accord.mechanisms.beacon``)."""
    from accord.device import BEACON_WINDOW
    from accord.mechanisms.beacon import beacon_block

    rate, k = 5_000, 1
    w = make(rate)
    w.ok("mallory", "fund_audits", value=COST)
    w.ok(PAYER, "open", PAYEE, JUDGE, 5, value=AMOUNT)
    w.ok(PAYEE, "accept", 0)
    w.ok(PAYER, "dispute", 0, commitment_hash(0, salt(PAYER, k), PAYER), value=DEPOSIT)
    w.ok(PAYEE, "answer", 0, commitment_hash(0, salt(PAYEE, k), PAYEE), value=DEPOSIT)
    w.ok(JUDGE, "adjudicate", 0, 2, value=BOND)
    ruled = w.device.number
    w.ok(PAYER, "reveal", 0, salt(PAYER, k))
    w.ok(PAYEE, "reveal", 0, salt(PAYEE, k))
    w.mine(BEACON_WINDOW + 20)
    w.ok("mallory", "finalize", 0)
    block = beacon_block(ruled + 1, w.device.number, BEACON_WINDOW)
    assert block == ruled + 1 + BEACON_WINDOW
    beacon = w.device.headers[block].beacon
    expect = A.audited(A.audit_seed(salt(PAYER, k), salt(PAYEE, k), w.clause, 0, beacon), rate)
    assert w.phase(0) == ("court" if expect else "refunded")
    w.check()
