"""Signed off-device messages (``Account.sign_message``) checked by contracts, and the
asset facts a contract may read (existence and supply)."""

from __future__ import annotations

from accord.device import gas
from accord.device.transaction import message_digest
from tests.device.conftest import intrinsic, make_device
from tests.device.sample_contracts import Notary


def test_a_contract_accepts_only_the_signers_own_signature() -> None:
    device = make_device()
    alice, bob = device.account("alice"), device.account("bob")
    notary = device.deploy(alice, Notary)
    order = b"sell 100 USD for at least 5 TOK"
    good = alice.sign_message(order)
    ok = device.call(bob, notary, "attest", "alice", order, good)  # anyone may relay it
    assert ok.ok and ok.result is True
    # the gas: base + VERIFY + one read and one new write of the counter
    assert ok.gas_used == intrinsic(device, ok) + gas.VERIFY + gas.READ + gas.WRITE_NEW
    for signer, message, signature in [
        ("bob", order, good),  # alice's signature is not bob's
        ("alice", order + b"!", good),  # a changed message
        ("alice", order, bob.sign_message(order)),  # bob signing for alice
        ("nobody", order, good),  # an unknown signer
    ]:
        r = device.call(bob, notary, "attest", signer, message, signature)
        assert r.status == "reverted" and f"bad signature for {signer}" in (r.error or "")
    assert device.contract_at(notary).storage()["accepted"] == {"alice": 1}


def test_a_message_signature_is_never_a_transaction_signature() -> None:
    """Message digests are BLAKE2b personalised; transaction hashes are not, so the two
    signatures cover different digests even for the same bytes."""
    device = make_device()
    alice = device.account("alice")
    tx = device.sign(alice, "bob", value={"ETH": 1})
    assert message_digest(tx.hash) != tx.hash
    assert alice.sign_message(tx.hash) != tx.signature
    assert not device.verify_message("alice", tx.hash, tx.signature)


def test_contracts_read_asset_existence_and_supply() -> None:
    device = make_device()
    alice = device.account("alice")
    notary = device.deploy(alice, Notary)
    supply = device.ledger.supply["ETH"]
    assert device.view(notary, "asset_facts", "ETH") == (True, supply)
    assert device.view(notary, "asset_facts", "NOPE") == (False, 0)
