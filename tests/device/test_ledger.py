"""The ledger: assets, issuers, transfers, locks, canonical zeros and the journal."""

from __future__ import annotations

import pytest

from accord.device import InsufficientFunds, NotHolder, NotIssuer, OutOfGas, UnknownAsset
from accord.device.ledger import Ledger


def fresh() -> Ledger:
    ledger = Ledger()
    ledger.create_asset("ETH", "treasury")
    ledger.mint("ETH", "alice", 100, by="treasury")
    ledger.commit()
    return ledger


def held(ledger: Ledger, asset: str) -> int:
    free = sum(v for (_, a), v in ledger.balances.items() if a == asset)
    locked = sum(v for (_, a, _), v in ledger.locked.items() if a == asset)
    return free + locked


def test_mint_and_burn_only_by_issuer() -> None:
    ledger = fresh()
    assert ledger.supply == {"ETH": 100}
    assert ledger.issuers == {"ETH": "treasury"}
    with pytest.raises(NotIssuer, match="alice may not mint"):
        ledger.mint("ETH", "alice", 5, by="alice")
    with pytest.raises(NotIssuer):
        ledger.burn("ETH", "alice", 5, by="bob")
    assert ledger.balance("alice", "ETH") == 100
    assert ledger.supply["ETH"] == 100
    ledger.mint("ETH", "bob", 7, by="treasury")
    assert ledger.supply["ETH"] == 107
    ledger.burn("ETH", "alice", 30, by="treasury")
    assert ledger.balance("alice", "ETH") == 70
    assert ledger.supply["ETH"] == 77 == held(ledger, "ETH")


def test_burn_more_than_balance_fails() -> None:
    ledger = fresh()
    with pytest.raises(InsufficientFunds) as info:
        ledger.burn("ETH", "alice", 101, by="treasury")
    assert (info.value.needed, info.value.available) == (101, 100)
    assert ledger.supply["ETH"] == 100


def test_unknown_and_duplicate_assets() -> None:
    ledger = fresh()
    with pytest.raises(UnknownAsset):
        ledger.mint("DOGE", "alice", 1, by="treasury")
    with pytest.raises(UnknownAsset):
        ledger.transfer("DOGE", "alice", "bob", 1)
    with pytest.raises(NotIssuer, match="already exists"):
        ledger.create_asset("ETH", "mallory")
    with pytest.raises(UnknownAsset):
        ledger.create_asset("", "mallory")
    assert ledger.issuers == {"ETH": "treasury"}


@pytest.mark.parametrize(
    ("amount", "error"), [(-1, ValueError), (1.0, TypeError), (True, TypeError)]
)
def test_amounts_are_non_negative_ints(amount: object, error: type[Exception]) -> None:
    ledger = fresh()
    with pytest.raises(error):
        ledger.transfer("ETH", "alice", "bob", amount)  # type: ignore[arg-type]
    with pytest.raises(error):
        ledger.mint("ETH", "alice", amount, by="treasury")  # type: ignore[arg-type]
    assert ledger.balances == {("alice", "ETH"): 100}


def test_transfer_and_canonical_zeros() -> None:
    ledger = fresh()
    ledger.transfer("ETH", "alice", "bob", 40)
    assert ledger.balances == {("alice", "ETH"): 60, ("bob", "ETH"): 40}
    ledger.transfer("ETH", "alice", "bob", 60)
    assert ledger.balances == {("bob", "ETH"): 100}  # alice's zero is absent
    assert ("alice", "ETH") not in ledger.balances
    assert ledger.balance("alice", "ETH") == 0
    ledger.transfer("ETH", "alice", "bob", 0)  # a zero transfer is a no-op
    assert ledger.balances == {("bob", "ETH"): 100}
    with pytest.raises(InsufficientFunds):
        ledger.transfer("ETH", "alice", "bob", 1)
    assert ledger.supply["ETH"] == held(ledger, "ETH") == 100


def test_lock_unlock_release() -> None:
    ledger = fresh()
    ledger.lock("ETH", "alice", 30, holder="escrow")
    assert ledger.balance("alice", "ETH") == 70
    assert ledger.locked_balance("alice", "ETH", "escrow") == 30
    assert ledger.locked == {("alice", "ETH", "escrow"): 30}
    ledger.unlock("ETH", "alice", 10, holder="escrow")
    assert ledger.balance("alice", "ETH") == 80
    assert ledger.locked_balance("alice", "ETH", "escrow") == 20
    ledger.release("ETH", "alice", 20, "bob", holder="escrow")
    assert ledger.balance("bob", "ETH") == 20
    assert ledger.balance("alice", "ETH") == 80
    assert ledger.locked == {}  # the zero lock is absent
    assert ledger.supply["ETH"] == held(ledger, "ETH") == 100


def test_only_the_holder_unlocks_or_releases() -> None:
    ledger = fresh()
    ledger.lock("ETH", "alice", 30, holder="escrow")
    with pytest.raises(NotHolder):
        ledger.release("ETH", "alice", 30, "mallory", holder="mallory")
    with pytest.raises(NotHolder):
        ledger.unlock("ETH", "alice", 1, holder="other")
    with pytest.raises(NotHolder):  # the holder, but more than is locked
        ledger.release("ETH", "alice", 31, "bob", holder="escrow")
    assert ledger.locked_balance("alice", "ETH", "escrow") == 30
    assert ledger.balance("mallory", "ETH") == 0
    assert ledger.balance("alice", "ETH") == 70


def test_lock_needs_free_funds() -> None:
    ledger = fresh()
    with pytest.raises(InsufficientFunds):
        ledger.lock("ETH", "alice", 101, holder="escrow")
    assert ledger.locked == {}


def test_rollback_undoes_everything_after_mark() -> None:
    ledger = fresh()
    ledger.transfer("ETH", "alice", "bob", 10)
    ledger.events.append("kept")
    mark = ledger.mark()
    ledger.transfer("ETH", "alice", "bob", 90)
    ledger.lock("ETH", "bob", 50, holder="escrow")
    ledger.mint("ETH", "carol", 5, by="treasury")
    ledger.nonces["x"] = 1  # not journaled: stays (only journaled writes roll back)
    ledger.write(ledger.nonces, "alice", 3)
    ledger.events.append("dropped")
    ledger.rollback(mark)
    assert ledger.balances == {("alice", "ETH"): 90, ("bob", "ETH"): 10}
    assert ledger.locked == {}
    assert ledger.supply == {"ETH": 100}
    assert "alice" not in ledger.nonces
    assert ledger.events == ["kept"]


def test_commit_forgets_the_journal() -> None:
    ledger = fresh()
    ledger.transfer("ETH", "alice", "bob", 10)
    assert ledger.journal
    ledger.commit()
    assert ledger.journal == []
    ledger.rollback((0, 0))
    assert ledger.balance("bob", "ETH") == 10


def test_write_deletes_int_zero_only() -> None:
    ledger = Ledger()
    table: dict[str, object] = {}
    ledger.write(table, "a", 0)
    assert table == {}
    ledger.write(table, "b", False)  # not an int zero: kept
    ledger.write(table, "c", 5)
    ledger.write(table, "c", 0)
    assert table == {"b": False}


def test_burn_fee_reduces_supply_only() -> None:
    ledger = fresh()
    ledger.debit("alice", "ETH", 10)
    ledger.burn_fee("ETH", 10)
    assert ledger.supply["ETH"] == 90 == held(ledger, "ETH")


def test_gas_meter() -> None:
    ledger = Ledger()
    ledger.gas_used, ledger.gas_limit = 0, 10_000
    ledger.charge_ledger_op()
    assert ledger.gas_used == 9_000
    with pytest.raises(OutOfGas) as info:
        ledger.use_gas(1_001)
    assert (info.value.used, info.value.limit) == (10_001, 10_000)
