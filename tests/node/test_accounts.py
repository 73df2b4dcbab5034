"""accord_openAccount: honest openings used end to end, hostile ones refused in one line
with nothing changed, the policy's caps and rates, sponsors, and the openings replayed."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from accord.client import RemoteDevice
from accord.device import replay
from accord.node import Node, NodeConfig, Signer, create_app
from accord.node.accounts import NAME
from tests.node.conftest import CHAIN_ID, ETH, TOKEN, FakeClock, Rpc, make_config

KNOWN = {-32700, -32600, -32601, -32602, -32000, -32005}
OPEN = {"open": "open", "ip_burst": 1_000_000, "ip_rate": 1_000_000.0}


def _records(node: Node) -> int:
    db = sqlite3.connect(str(node.config.chain_path))
    try:
        return int(db.execute("SELECT COUNT(*) FROM records").fetchone()[0])
    finally:
        db.close()


def _footprint(node: Node) -> tuple[bytes, list[str], int, int, int]:
    d = node.device
    return d.state_hash(), d.accounts, _records(node), len(d.mempool), len(node.journal)


@pytest.fixture
def opening(tmp_path: Path, signers: dict[str, Signer]) -> Iterator[tuple[Node, Rpc]]:
    config = make_config(tmp_path / "data", signers, accounts=OPEN)
    node = Node.open(config)
    with TestClient(create_app(node)) as client:
        yield node, Rpc(client)
    node.close()


# -- honest --------------------------------------------------------------------------------
def test_an_opened_account_is_paid_and_signs_through_the_node(
    opening: tuple[Node, Rpc], signers: dict[str, Signer]
) -> None:
    node, rpc = opening
    dave = Signer.generate("dave", chain_id=CHAIN_ID)
    state, records = node.device.state_hash(), _records(node)
    assert rpc.call("accord_openAccount", dave.open_account()) == {
        "address": "dave",
        "public_key": dave.public_key.hex(),
        "sponsor": None,
    }
    assert node.device.state_hash() == state  # a binding is not in the state hash
    assert _records(node) == records + 1  # its AccountRecord, committed before the answer
    got = rpc.call("accord_getAccount", {"account": "dave"})
    assert got == {
        "address": "dave",
        "public_key": dave.public_key.hex(),
        "nonce": 0,
        "next_nonce": 0,
    }
    pay = signers["alice"].transfer(0, "dave", {"ETH": 10**15}, max_fee=3_000)
    assert rpc.call("accord_sendTransaction", {"transaction": pay}) == pay["hash"]
    assert rpc.block()["transactions"] == [pay["hash"]]
    spend = dave.transfer(0, "bob", {"ETH": 1_234}, max_fee=3_000)
    assert rpc.call("accord_sendTransaction", {"transaction": spend}) == spend["hash"]
    assert rpc.block()["transactions"] == [spend["hash"]]
    receipt = rpc.call("accord_getTransactionReceipt", {"hash": spend["hash"]})
    assert receipt["status"] == "success"
    gas_cost = receipt["fee_paid"]
    assert rpc.call("accord_getBalance", {"account": "dave"}) == 10**15 - 1_234 - gas_cost
    assert rpc.call("accord_getBalance", {"account": "bob"}) == ETH + 1_234


def test_remote_device_opens_an_account_and_signs_from_it(
    opening: tuple[Node, Rpc], signers: dict[str, Signer]
) -> None:
    node, rpc = opening
    device = RemoteDevice(
        rpc.client, keys={"alice": signers["alice"].private_key}, admin_token=TOKEN
    )
    erin_key = Signer.generate("erin", chain_id=CHAIN_ID).private_key
    erin = device.open_account("erin", erin_key)
    assert device.public_key("erin") == erin.public_key == node.device.public_key("erin")
    assert device.call(device.account("alice"), "erin", value={"ETH": 10**15}).ok
    receipt = device.call(erin, "carol", value={"ETH": 77})
    assert receipt.ok and device.balance("carol", "ETH") == 77
    with pytest.raises(Exception, match="already exists"):
        device.open_account("erin", erin_key)


def test_openings_replay_from_the_log_with_the_same_key_and_state(
    opening: tuple[Node, Rpc], signers: dict[str, Signer]
) -> None:
    node, rpc = opening
    dave = Signer.generate("dave", chain_id=CHAIN_ID)
    rpc.call("accord_openAccount", dave.open_account())
    pay = signers["alice"].transfer(0, "dave", {"ETH": 10**15}, max_fee=3_000)
    rpc.call("accord_sendTransaction", {"transaction": pay})
    rpc.block()
    frank = Signer.generate("frank", chain_id=CHAIN_ID)  # opened after the last block
    rpc.call("accord_openAccount", frank.open_account())
    spend = dave.transfer(0, "frank", {"ETH": 5}, max_fee=3_000)  # acknowledged, pending
    rpc.call("accord_sendTransaction", {"transaction": spend})
    head, state, accounts = node.device.head.hash, node.device.state_hash(), node.device.accounts
    config = node.config
    node.close()

    again = Node.open(config)
    try:
        assert again.device.accounts == accounts
        assert again.device.public_key("dave") == dave.public_key
        assert again.device.public_key("frank") == frank.public_key
        assert again.device.head.hash == head and again.device.state_hash() == state
        block = again.produce()  # dave's pending transfer to frank, restored from the journal
        assert [tx.hash.hex() for tx in block.transactions] == [spend["hash"]]
        assert again.device.balance("frank", "ETH") == 5
    finally:
        again.close()
    replayed = replay(config.chain_path)
    assert replayed.public_key("frank") == frank.public_key
    assert replayed.state_hash() == block.header.state_hash


# -- hostile -------------------------------------------------------------------------------
def _params_for(signer: Signer, name: str) -> dict[str, Any]:
    """A valid proof of ``signer``'s key, signed for ``name``."""
    return Signer(signer.private_key, name, chain_id=signer.chain_id).open_account()


RESERVED = ["alice", "ALICE", "Bob", "treasury", "fed", "builder", "genesis", "commitments"]
RESERVED += ["0xdead", "0X00", "Commitments"]

bad_names = (
    st.text(max_size=300).filter(lambda n: NAME.match(n) is None)
    | st.sampled_from(RESERVED)
    | st.text(alphabet="abc\x00\n\u202e\u0430é", min_size=1, max_size=8).filter(
        lambda n: NAME.match(n) is None
    )
    | st.just("a" * 65)
)
junk = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=140)
    | st.lists(st.integers(), max_size=3)
    | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
)


@st.composite
def hostile_openings(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    name = draw(st.from_regex(r"[a-z][a-z0-9]{2,10}", fullmatch=True))
    signer = Signer.generate(name, chain_id=CHAIN_ID)
    honest = signer.open_account()
    kind = draw(
        st.sampled_from(
            [
                "key_length",
                "bad_signature",
                "other_chain",
                "other_name",
                "other_key",
                "bad_name",
                "wrong_type",
                "extra_field",
                "missing",
                "sponsor",
                "not_hex",
            ]
        )
    )
    p = dict(honest)
    if kind == "key_length":
        size = draw(st.integers(0, 80).filter(lambda n: n != 32))
        p["public_key"] = draw(st.binary(min_size=size, max_size=size)).hex()
    elif kind == "bad_signature":
        p["signature"] = draw(st.binary(min_size=64, max_size=64)).hex()
    elif kind == "other_chain":
        chain = draw(st.integers(0, 2**64 - 1).filter(lambda c: c != CHAIN_ID))
        p = Signer(signer.private_key, name, chain_id=chain).open_account()
    elif kind == "other_name":
        other = draw(st.from_regex(r"[a-z][a-z0-9]{2,10}", fullmatch=True))
        p = {**_params_for(signer, other + "x"), "name": name}  # a proof signed for another name
    elif kind == "other_key":
        p["public_key"] = Signer.generate(name, chain_id=CHAIN_ID).public_key.hex()
    elif kind == "bad_name":
        bad = draw(bad_names)
        p = _params_for(signer, bad)
    elif kind == "wrong_type":
        p[draw(st.sampled_from(sorted(p)))] = draw(junk.filter(lambda v: type(v) is not str))
    elif kind == "extra_field":
        p[draw(st.sampled_from(["x", "nonce", "chain_id"]))] = draw(junk)
    elif kind == "missing":
        del p[draw(st.sampled_from(sorted(p)))]
    elif kind == "sponsor":
        p["sponsor"] = "alice"
        p["sponsor_signature"] = "00" * 64
    else:
        field = draw(st.sampled_from(["public_key", "signature"]))
        p[field] = "zz" + p[field][2:]
    return kind, p


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=hostile_openings())
def test_hostile_openings_are_refused_in_one_line_and_change_nothing(
    opening: tuple[Node, Rpc], case: tuple[str, dict[str, Any]]
) -> None:
    node, rpc = opening
    kind, params = case
    before = _footprint(node)
    error = rpc.call("accord_openAccount", params)
    assert isinstance(error, dict) and "code" in error, (kind, params, error)
    assert error["code"] in KNOWN and error["code"] != -32005, error
    assert "\n" not in error["message"] and len(error["message"]) < 400
    assert _footprint(node) == before


def test_each_refusal_names_what_is_wrong(
    opening: tuple[Node, Rpc], signers: dict[str, Signer]
) -> None:
    node, rpc = opening
    zed = Signer.generate("zed", chain_id=CHAIN_ID)
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({**zed.open_account(), "public_key": "ab" * 31}, -32602, "public_key"),
        ({**zed.open_account(), "signature": "00" * 64}, -32000, "signature: not 'zed'"),
        (Signer(zed.private_key, "zed", chain_id=8).open_account(), -32000, "chain 7"),
        (_params_for(zed, "\u0430lice"), -32000, "ASCII letters"),
        (_params_for(zed, "Alice"), -32000, "already exists"),
        (_params_for(zed, "treasury"), -32000, "reserved"),
        (_params_for(zed, "builder"), -32000, "reserved"),
        (_params_for(zed, "0xabc"), -32000, "contract address"),
        (_params_for(zed, "a\nb"), -32000, "ASCII letters"),
        (_params_for(zed, "x" * 65), -32602, "name"),
        ({**zed.open_account(), "name": 5}, -32602, "name: Input should be a valid string"),
        ({**zed.open_account(), "sponsor": "alice"}, -32602, "takes no sponsors"),
    ]
    for params, code, says in cases:
        before = _footprint(node)
        error = rpc.call("accord_openAccount", params)
        assert error["code"] == code and says in error["message"], (params, error)
        assert _footprint(node) == before
    assert rpc.call("accord_openAccount", zed.open_account())["address"] == "zed"
    before = _footprint(node)
    again = rpc.call("accord_openAccount", zed.open_account())
    assert again["code"] == -32000 and "already exists" in again["message"]
    assert _footprint(node) == before


def test_a_name_paid_before_it_was_opened_cannot_be_claimed(
    opening: tuple[Node, Rpc], signers: dict[str, Signer]
) -> None:
    node, rpc = opening
    pay = signers["alice"].transfer(0, "gina", {"ETH": 5}, max_fee=3_000)
    rpc.call("accord_sendTransaction", {"transaction": pay})
    rpc.block()
    before = _footprint(node)
    squatter = Signer.generate("gina", chain_id=CHAIN_ID)
    error = rpc.call("accord_openAccount", squatter.open_account())
    assert error["code"] == -32000 and "already holds funds" in error["message"]
    assert _footprint(node) == before


def test_closed_by_default(rpc: Rpc, node: Node) -> None:
    before = _footprint(node)
    error = rpc.call("accord_openAccount", Signer.generate("zed", chain_id=7).open_account())
    assert error["code"] == -32000 and 'open = "closed"' in error["message"]
    assert error["data"] == {"error": "AccountRefused", "field": "open"}
    assert _footprint(node) == before


def test_over_the_rate_and_over_the_cap(tmp_path: Path, signers: dict[str, Signer]) -> None:
    policy = {"open": "open", "ip_rate": 1.0, "ip_burst": 2, "max_accounts": 3}
    node = Node.open(make_config(tmp_path / "d", signers, accounts=policy))
    clock = FakeClock()
    try:
        with TestClient(create_app(node, clock=clock)) as client:
            rpc = Rpc(client)
            bad = {**Signer.generate("x1", chain_id=7).open_account(), "signature": "00" * 64}
            assert rpc.call("accord_openAccount", bad)["code"] == -32000  # costs a token too
            assert rpc.call("accord_openAccount", Signer.generate("x2", chain_id=7).open_account())
            before = _footprint(node)
            over = rpc.call("accord_openAccount", Signer.generate("x3", chain_id=7).open_account())
            assert over["code"] == -32005 and "account openings a second" in over["message"]
            assert _footprint(node) == before
            clock.now += 10.0
            for name in ("x3", "x4"):
                assert rpc.call(
                    "accord_openAccount", Signer.generate(name, chain_id=7).open_account()
                )
            clock.now += 10.0
            before = _footprint(node)
            full = rpc.call("accord_openAccount", Signer.generate("x5", chain_id=7).open_account())
            assert full["code"] == -32005 and "max_accounts" in full["message"]
            assert _footprint(node) == before
        config = node.config
    finally:
        node.close()
    again = Node.open(config)  # the cap counts the replayed openings
    try:
        with TestClient(create_app(again)) as client:
            full = Rpc(client).call(
                "accord_openAccount", Signer.generate("x6", chain_id=7).open_account()
            )
            assert full["code"] == -32005 and "max_accounts" in full["message"]
    finally:
        again.close()


# -- sponsored -----------------------------------------------------------------------------
STAKE = 4 * 10**17  # alice and bob hold 10**18 ETH: two sponsorships each


def test_a_sponsored_opening_needs_a_sponsor_with_stake_for_each(
    tmp_path: Path, signers: dict[str, Signer]
) -> None:
    policy = {"open": "sponsored", "sponsor_stake": STAKE, "ip_burst": 1_000}
    policy |= {"sponsor_burst": 1, "sponsor_rate": 0.001}
    config: NodeConfig = make_config(tmp_path / "s", signers, accounts=policy)
    node, clock = Node.open(config), FakeClock()
    alice, carol = signers["alice"], signers["carol"]
    hana = Signer.generate("hana", chain_id=CHAIN_ID)
    key = hana.public_key
    with TestClient(create_app(node, clock=clock)) as client:
        rpc = Rpc(client)
        pay = alice.transfer(0, "gina", {"ETH": 5}, max_fee=3_000)
        rpc.call("accord_sendTransaction", {"transaction": pay})
        rpc.block()
        gina = Signer.generate("gina", chain_id=CHAIN_ID)
        cases: list[tuple[dict[str, Any], int, str]] = [
            (hana.open_account(), -32602, "only with a sponsor"),
            (
                {**hana.open_account(), **carol.sponsor("hana", key)},
                -32000,
                "holds 0 ETH; with 0 accounts sponsored, one more needs 400000000000000000",
            ),
            (
                {**hana.open_account(), **alice.sponsor("hana", bytes(32))},
                -32000,
                "sponsor_signature",
            ),
            ({**hana.open_account(), **alice.sponsor("hank", key)}, -32000, "sponsor_signature"),
            (
                {**hana.open_account(), **alice.sponsor("hana", key), "sponsor": "bob"},
                -32000,
                "not signed by 'bob'",
            ),
            (
                {**hana.open_account(), **alice.sponsor("hana", key), "sponsor": "nobody"},
                -32000,
                "not an account",
            ),
            (
                {**gina.open_account(), **alice.sponsor("gina", gina.public_key)},
                -32000,
                "already holds funds",
            ),
        ]
        for params, code, says in cases:
            before = _footprint(node)
            error = rpc.call("accord_openAccount", params)
            assert error["code"] == code and says in error["message"], (params, error)
            assert _footprint(node) == before
        # A squatter's key with alice's signature for hana's key: refused.
        squatter = Signer.generate("hana", chain_id=CHAIN_ID)
        stolen = {**squatter.open_account(), **alice.sponsor("hana", key)}
        assert rpc.call("accord_openAccount", stolen)["code"] == -32000
        opened = rpc.call(
            "accord_openAccount", {**hana.open_account(), **alice.sponsor("hana", key)}
        )
        assert opened == {"address": "hana", "public_key": key.hex(), "sponsor": "alice"}
        ivan, jo = (Signer.generate(n, chain_id=CHAIN_ID) for n in ("ivan", "jo"))
        ivan_params = {**ivan.open_account(), **alice.sponsor("ivan", ivan.public_key)}
        jo_params = {**jo.open_account(), **alice.sponsor("jo", jo.public_key)}
        before = _footprint(node)
        late = rpc.call("accord_openAccount", ivan_params)  # alice's bucket: burst 1
        assert late["code"] == -32005 and "may sponsor" in late["message"]
        assert _footprint(node) == before
        clock.now += 2_000.0
        assert rpc.call("accord_openAccount", ivan_params)["address"] == "ivan"
        clock.now += 2_000.0
        broke = rpc.call("accord_openAccount", jo_params)
        assert broke["code"] == -32000
        assert "with 2 accounts sponsored, one more needs 1200000000000000000" in broke["message"]
    node.close()
    again = Node.open(config)  # the sponsorships are counted after a restart too
    try:
        with TestClient(create_app(again)) as client:
            broke = Rpc(client).call("accord_openAccount", jo_params)
            assert "with 2 accounts sponsored" in broke["message"]
            assert (
                Rpc(client).call(
                    "accord_openAccount",
                    {**jo.open_account(), **signers["bob"].sponsor("jo", jo.public_key)},
                )["sponsor"]
                == "bob"
            )
    finally:
        again.close()


def test_a_log_that_cannot_record_the_opening_opens_nothing(
    opening: tuple[Node, Rpc], monkeypatch: pytest.MonkeyPatch
) -> None:
    node, rpc = opening

    def broken(record: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(node.device.log, "append", broken)
    before = _footprint(node)
    error = rpc.call("accord_openAccount", Signer.generate("zed", chain_id=7).open_account())
    assert error["code"] == -32000 and "nothing opened" in error["message"]
    assert _footprint(node) == before
    with pytest.raises(Exception, match="no account 'zed'"):
        node.device.public_key("zed")


def test_a_sponsorship_row_without_its_opening_is_forgotten_at_start(
    tmp_path: Path, signers: dict[str, Signer]
) -> None:
    from accord.node.accounts import Opener, Sponsorships

    config = make_config(tmp_path / "p", signers, accounts={"open": "sponsored"})
    node = Node.open(config)
    try:
        rows = Sponsorships(config.node.data_dir / "accounts.db")
        rows.add("ghost", "alice")  # as if killed between the row and the AccountRecord
        rows.add("alice", "bob")  # a name that is an account stays
        rows.close()
        opener = Opener(node, config.node.accounts)
        assert opener.sponsorships is not None
        assert opener.sponsorships.sponsor_of("ghost") is None
        assert opener.sponsorships.count("alice") == 0
        assert opener.sponsorships.sponsor_of("alice") == "bob"
        opener.close()
    finally:
        node.close()


P25519 = 2**255 - 19
SMALL_ORDER = [
    bytes([1]) + bytes(31),  # the identity (order 1)
    (P25519 - 1).to_bytes(32, "little"),  # (0, -1), order 2
    bytes(32),  # (sqrt(-1), 0), order 4
    (1 << 255).to_bytes(32, "little"),  # (-sqrt(-1), 0), order 4
    bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),  # order 8
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),  # order 8
    (P25519 + 1).to_bytes(32, "little"),  # y = p + 1: not canonical
]


def test_weak_keys_are_found_and_real_keys_are_not() -> None:
    from accord.device.ed25519 import decode_point as _decode_point
    from accord.node.accounts import weak_key

    base_y = 4 * pow(5, -1, P25519) % P25519  # RFC 8032 §5.1's base point
    decoded = _decode_point(base_y.to_bytes(32, "little"))
    x_b = 15112221349535400772501151409588531511454012693041857206046113283949847762202
    assert decoded == (x_b, base_y)
    assert all(weak_key(key) for key in SMALL_ORDER)
    assert not any(weak_key(Signer.generate("k", chain_id=7).public_key) for _ in range(100))


def test_a_small_order_key_whose_signature_anyone_forges_is_refused(
    opening: tuple[Node, Rpc],
) -> None:
    node, rpc = opening
    identity = SMALL_ORDER[0]
    forged = {
        "name": "anyone",
        "public_key": identity.hex(),
        "signature": (identity + bytes(32)).hex(),
    }
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    Ed25519PublicKey.from_public_bytes(identity).verify(identity + bytes(32), b"any message")
    before = _footprint(node)
    for key in SMALL_ORDER:
        error = rpc.call("accord_openAccount", {**forged, "public_key": key.hex()})
        assert error["code"] == -32000 and error["data"]["field"] == "public_key", error
    assert _footprint(node) == before
