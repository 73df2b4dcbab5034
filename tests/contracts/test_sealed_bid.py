"""SealedBidAuction on a device: first and second price, reserve, ties, penalties, and who
can cheat at what cost (seller shills, copiers, bidders who abort)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.contracts.sealed_bid import SealedBidAuction
from accord.device import AssetSpec, Device, DeviceConfig, DeviceError, Genesis, checks
from accord.mechanisms import auctions as A
from accord.mechanisms.commit_reveal import commitment_hash

SELLER = "alice"
BIDDERS = ("bob", "carol", "dave", "erin", "mallory")
SYBILS = ("sybil1", "sybil2", "sybil3")
USERS = (SELLER, *BIDDERS, *SYBILS)
FUNDS = 1_000
SALT = b"0123456789abcdef"
SINK = "burn"
COMMIT_END, REVEAL_END = 7, 13


def make_device() -> Device:
    genesis = Genesis(
        assets={
            "ETH": AssetSpec(issuer="eth-issuer", alloc=dict.fromkeys(USERS, 10**18)),
            "USD": AssetSpec(issuer="fed", alloc=dict.fromkeys(USERS, FUNDS)),
            "ART": AssetSpec(issuer="gallery", alloc={SELLER: 3}),
        }
    )
    device = Device(DeviceConfig(), genesis, seed=5)
    checks.check_every_block(device)
    return device


def at(device: Device, block: int) -> None:
    assert device.number < block, f"already past block {block}"
    while device.number < block - 1:
        device.build_block()


def deploy(
    device: Device,
    rule: str = A.SECOND_PRICE,
    *,
    reserve: int = 0,
    min_deposit: int = 20,
    penalty: int = 5,
) -> str:
    """An auction of 1 ART deployed in block 1: commits up to block 7, reveals 8..13."""
    return device.deploy(
        device.account(SELLER),
        SealedBidAuction,
        rule,
        "ART",
        1,
        "USD",
        reserve,
        min_deposit,
        penalty,
        COMMIT_END,
        REVEAL_END,
        SINK,
    )


def call(device: Device, who: str, to: str, method: str, *args: Any) -> Any:
    return device.call(device.account(who), to, method, *args, gas_limit=2_000_000)


def seal(device: Device, auction: str, who: str, bid: int, deposit: int = 20) -> Any:
    return call(device, who, auction, "commit", commitment_hash(bid, SALT, who), deposit)


def usd(device: Device, who: str) -> int:
    return device.balance(who, "USD")


def run(device: Device, auction: str, bids: dict[str, int], hidden: tuple[str, ...] = ()) -> Any:
    """Seal every bid (in dict order, one block each), reveal all but ``hidden``, settle."""
    for who, bid in bids.items():
        receipt = seal(device, auction, who, bid, deposit=max(20, bid))
        assert receipt.ok, receipt.error
    at(device, COMMIT_END + 1)
    for who, bid in bids.items():
        if who not in hidden:
            receipt = call(device, who, auction, "reveal", bid, SALT)
            assert receipt.ok, receipt.error
    at(device, REVEAL_END + 1)
    receipt = call(device, "erin", auction, "settle")
    assert receipt.ok, receipt.error
    return receipt


def test_vickrey_textbook_winner_pays_the_second_bid() -> None:
    device = make_device()
    auction = deploy(device)
    assert device.locked(SELLER, "ART", auction) == 1  # the item is escrowed at creation
    receipt = run(device, auction, {"bob": 10, "carol": 7, "dave": 3})
    assert receipt.result == ("bob", 7)
    assert device.balance("bob", "ART") == 1 and device.balance(SELLER, "ART") == 2
    assert usd(device, "bob") == FUNDS - 7
    assert usd(device, SELLER) == FUNDS + 7
    assert usd(device, "carol") == usd(device, "dave") == FUNDS
    assert not device.ledger.locked
    assert call(device, "erin", auction, "outcome").result == ("bob", 7)
    checks.replay_equality(device)  # the event log replays to the same state hash


def test_first_price_winner_pays_its_own_bid() -> None:
    device = make_device()
    auction = deploy(device, A.FIRST_PRICE)
    assert run(device, auction, {"bob": 10, "carol": 7, "dave": 3}).result == ("bob", 10)
    assert usd(device, "bob") == FUNDS - 10 and usd(device, SELLER) == FUNDS + 10


@pytest.mark.parametrize(
    ("rule", "reserve", "bids", "result"),
    [
        (A.SECOND_PRICE, 8, {"bob": 10, "carol": 7, "dave": 3}, ("bob", 8)),
        (A.SECOND_PRICE, 5, {"bob": 10}, ("bob", 5)),  # alone: pays the reserve
        (A.FIRST_PRICE, 5, {"bob": 10}, ("bob", 10)),
        (A.SECOND_PRICE, 10, {"bob": 10, "carol": 9}, ("bob", 10)),  # bid == reserve wins
        (A.SECOND_PRICE, 11, {"bob": 10, "carol": 7}, ("", 0)),  # no sale
        (A.FIRST_PRICE, 11, {"bob": 10}, ("", 0)),
    ],
)
def test_reserve_price(
    rule: str, reserve: int, bids: dict[str, int], result: tuple[str, int]
) -> None:
    device = make_device()
    auction = deploy(device, rule, reserve=reserve)
    assert run(device, auction, bids).result == result
    winner, price = result
    if winner:
        assert device.balance(winner, "ART") == 1 and usd(device, winner) == FUNDS - price
    else:
        assert device.balance(SELLER, "ART") == 3  # the item went back to the seller
    assert usd(device, SELLER) == FUNDS + price
    assert not device.ledger.locked


@pytest.mark.parametrize("rule", A.RULES)
def test_tie_goes_to_the_earliest_commit(rule: str) -> None:
    device = make_device()
    auction = deploy(device, rule)
    # carol commits in block 2, bob in block 3: carol wins despite her later address
    assert run(device, auction, {"carol": 10, "bob": 10, "dave": 4}).result == ("carol", 10)


def test_tie_in_the_same_block_goes_to_the_smaller_address() -> None:
    device = make_device()
    auction = deploy(device)
    for who in ("carol", "bob"):  # carol is submitted (and executed) first
        commitment = commitment_hash(9, SALT, who)
        device.submit(device.sign(device.account(who), auction, "commit", commitment, 20))
    block = device.build_block()
    assert [tx.sender for tx in block.transactions] == ["carol", "bob"]
    assert all(r.ok for r in block.receipts)
    at(device, COMMIT_END + 1)
    for who in ("carol", "bob"):
        assert call(device, who, auction, "reveal", 9, SALT).ok
    at(device, REVEAL_END + 1)
    assert call(device, "erin", auction, "settle").result == ("bob", 9)


def test_non_revealers_pay_the_penalty_to_the_sink() -> None:
    device = make_device()
    auction = deploy(device, penalty=5)
    receipt = run(device, auction, {"bob": 10, "carol": 7, "dave": 30}, hidden=("dave",))
    # dave's 30 would have won; unrevealed it neither wins nor sets the price
    assert receipt.result == ("bob", 7)
    assert usd(device, "dave") == FUNDS - 5
    assert usd(device, SINK) == 5
    penalised = [e.as_dict() for e in receipt.events if e.name == "Penalised"]
    assert penalised == [{"bidder": "dave", "amount": 5}]


def test_a_bid_above_the_deposit_cannot_be_revealed() -> None:
    """The deposit must cover the bid, so the winner can always pay."""
    device = make_device()
    auction = deploy(device, penalty=5)
    assert seal(device, auction, "bob", 50, deposit=20).ok
    assert seal(device, auction, "carol", 8, deposit=20).ok
    at(device, COMMIT_END + 1)
    over = call(device, "bob", auction, "reveal", 50, SALT)
    assert over.status == "reverted" and over.error == "bid 50 exceeds the deposit 20 of bob"
    assert call(device, "carol", auction, "reveal", 8, SALT).ok
    at(device, REVEAL_END + 1)
    assert call(device, "erin", auction, "settle").result == ("carol", 0)
    assert usd(device, "bob") == FUNDS - 5  # a non-revealer after all


def test_the_deposit_leaks_an_upper_bound_on_the_bid() -> None:
    """Known leakage: anyone can read the deposit, and bid ≤ deposit."""
    device = make_device()
    auction = deploy(device)
    assert seal(device, auction, "bob", 17, deposit=25).ok
    commitment, deposit, committed_at, revealed = call(
        device, "mallory", auction, "bid_of", "bob"
    ).result
    assert (deposit, committed_at, revealed) == (25, 2, None)
    assert commitment == commitment_hash(17, SALT, "bob")


def test_rules_of_the_game_revert_cleanly() -> None:
    device = make_device()
    auction = deploy(device, min_deposit=20)
    own = seal(device, auction, SELLER, 5)
    assert own.error == "the seller may not bid in its own auction"
    small = seal(device, auction, "bob", 5, deposit=19)
    assert small.error == "deposit must be an int of at least 20, got 19"
    broke = seal(device, auction, "bob", 5, deposit=FUNDS + 1)
    assert (broke.error or "").startswith("cannot lock 1001 USD for the bid deposit")
    assert seal(device, auction, "bob", 5).ok
    assert seal(device, auction, "bob", 6).error == "bob has already bid"
    early = call(device, "bob", auction, "reveal", 5, SALT)
    assert (early.error or "").startswith("reveals are accepted in blocks 8..13")
    early_settle = call(device, "bob", auction, "settle")
    assert (early_settle.error or "").startswith("the round closes after block 13")
    assert device.number == COMMIT_END + 1  # every call above took a block
    wrong = call(device, "bob", auction, "reveal", 6, SALT)
    assert wrong.error == "bid and salt do not open the sealed bid of bob"
    negative = call(device, "bob", auction, "reveal", -1, SALT)
    assert negative.error == "bid must be a non-negative int in base units, got -1"
    nobody = call(device, "carol", auction, "reveal", 5, SALT)
    assert nobody.error == "carol has no sealed bid to reveal"
    assert call(device, "bob", auction, "reveal", 5, SALT).ok
    assert call(device, "bob", auction, "reveal", 5, SALT).error == "bob has already revealed"
    at(device, REVEAL_END + 1)
    assert call(device, "bob", auction, "settle").result == ("bob", 0)
    assert call(device, "bob", auction, "settle").error == "the auction is already settled"
    assert usd(device, "bob") == FUNDS and device.balance("bob", "ART") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("dutch", "ART", 1, "USD", 0, 20, 5, 7, 13), "rule must be one of"),
        (("first_price", "ART", 0, "USD", 0, 20, 5, 7, 13), "item_amount must be a positive"),
        (("first_price", "ART", 1, "USD", -1, 20, 5, 7, 13), "reserve must be a non-negative"),
        (("first_price", "ART", 1, "USD", 0, 20, 21, 7, 13), "penalty 21 must not exceed"),
        (("first_price", "ART", 1, "USD", 0, 0, 0, 7, 13), "min_deposit must be a positive"),
        (("first_price", "ART", 1, "USD", 0, 20, 5, 7, 7), "reveal_end 7 must be after"),
        (("first_price", "ART", 4, "USD", 0, 20, 5, 7, 13), "cannot lock 4 ART for the item"),
    ],
)
def test_bad_setup_is_refused(args: tuple[Any, ...], message: str) -> None:
    device = make_device()
    with pytest.raises(DeviceError, match=message):
        device.deploy(device.account(SELLER), SealedBidAuction, *args)
    assert device.balance(SELLER, "ART") == 3


@pytest.mark.parametrize("penalty", [1, 5])
def test_seller_shilling_with_selective_reveals_costs_the_penalties(penalty: int) -> None:
    """The seller's three sybils seal 7, 8 and 9; after the honest reveals (bob 10,
    carol 6) only the 9 is revealed, lifting bob's Vickrey price from 6 to 9. The two
    shills left unrevealed forfeit the penalty: the seller's coalition nets
    ``(9 − 6) − 2 × penalty``, a gain at penalty 1 and a loss at penalty 5."""
    device = make_device()
    auction = deploy(device, penalty=penalty)
    honest = {"bob": 10, "carol": 6}
    shills = {"sybil1": 7, "sybil2": 8, "sybil3": 9}
    receipt = run(device, auction, {**honest, **shills}, hidden=("sybil1", "sybil2"))
    assert receipt.result == ("bob", 9)
    coalition = (SELLER, *SYBILS)
    honest_price = A.outcome([A.Bid("bob", 10, 2), A.Bid("carol", 6, 3)], 0, A.SECOND_PRICE)
    assert honest_price == ("bob", 6)
    # what the coalition holds, over what the seller would have had without shills
    gain = sum(usd(device, w) for w in coalition) - FUNDS * len(coalition) - honest_price.price
    assert gain == (9 - 6) - 2 * penalty
    assert (gain > 0) == (penalty == 1)
    assert usd(device, SINK) == 2 * penalty
    assert usd(device, "bob") == FUNDS - 9


def test_a_winning_shill_is_a_hidden_reserve_price() -> None:
    """A seller's sybil that outbids everyone buys the item back from the seller: the
    coalition's money is unchanged (it pays itself), the honest bidder gets nothing. It
    is a secret reserve price, bounded only by the sybil's deposit, and costs nothing but
    fees: the contract cannot tell a sybil from a bidder."""
    device = make_device()
    auction = deploy(device)
    assert run(device, auction, {"bob": 10, "sybil1": 50}).result == ("sybil1", 10)
    assert usd(device, SELLER) + usd(device, "sybil1") == 2 * FUNDS
    assert device.balance("sybil1", "ART") == 1 and usd(device, "bob") == FUNDS


def test_a_copied_sealed_bid_cannot_be_revealed() -> None:
    device = make_device()
    auction = deploy(device, penalty=5)
    assert seal(device, auction, "bob", 10).ok
    copy = call(device, "bob", auction, "bid_of", "bob").result[0]
    assert call(device, "mallory", auction, "commit", copy, 20).ok
    at(device, COMMIT_END + 1)
    assert call(device, "bob", auction, "reveal", 10, SALT).ok
    stolen = call(device, "mallory", auction, "reveal", 10, SALT)
    assert stolen.error == "bid and salt do not open the sealed bid of mallory"
    at(device, REVEAL_END + 1)
    # had mallory's copy opened, she would have tied bob at 10 and pushed his price to 10
    assert call(device, "erin", auction, "settle").result == ("bob", 0)
    assert usd(device, "mallory") == FUNDS - 5


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    bids=st.lists(st.integers(0, 60), min_size=1, max_size=5),
    shown=st.lists(st.booleans(), min_size=5, max_size=5),
    reserve=st.integers(0, 40),
    rule=st.sampled_from(A.RULES),
)
def test_random_auctions_match_the_mechanism_and_conserve_value(
    bids: list[int], shown: list[bool], reserve: int, rule: str
) -> None:
    device = make_device()
    penalty = 5
    auction = deploy(device, rule, reserve=reserve, penalty=penalty)
    book = dict(zip(BIDDERS, bids, strict=False))
    hidden = tuple(w for w, s in zip(book, shown, strict=False) if not s)
    usd_before = sum(usd(device, w) for w in (*USERS, SINK))
    winner, price = run(device, auction, book, hidden=hidden).result
    revealed = [b for b in book.items() if b[0] not in hidden]
    eligible = sorted((b for w, b in revealed if b >= reserve), reverse=True)
    if not eligible:
        assert (winner, price) == ("", 0)
        assert device.balance(SELLER, "ART") == 3
    else:
        assert book[winner] == eligible[0]
        if rule == A.SECOND_PRICE:
            assert price == max(eligible[1] if len(eligible) > 1 else reserve, reserve)
        else:
            assert price == eligible[0]
        assert device.balance(winner, "ART") == 1
    for w in book:
        expected = FUNDS - (price if w == winner else 0) - (penalty if w in hidden else 0)
        assert usd(device, w) == expected
    assert usd(device, SELLER) == FUNDS + price
    assert usd(device, SINK) == penalty * len(hidden)
    assert sum(usd(device, w) for w in (*USERS, SINK)) == usd_before
    assert not device.ledger.locked
    checks.block_invariants(device)
