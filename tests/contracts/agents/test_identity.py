"""The Identity Registry's worked behaviours (ERC-8004 draft, "Identity Registry"),
as exact assertions: ids from 0, events with their fields, URI and metadata updates,
the reserved ``agentWallet`` and its signed authorization, ERC-721 transfers and
approvals."""

from __future__ import annotations

from accord.contracts.agents import MAX_DEADLINE_BLOCKS, WALLET_KEY
from accord.device import Receipt
from tests.contracts.agents.world import World, make_world


def events(receipt: Receipt) -> list[tuple[str, dict[str, object]]]:
    return [(e.name, e.as_dict()) for e in receipt.events]


def register(w: World, who: str, uri: str = "", meta: tuple[object, ...] = ()) -> int:
    agent = w.ok(who, w.identity, "register", uri, meta)
    assert type(agent) is int
    return agent


def test_ids_count_from_zero_per_registry_and_register_emits_the_standard_events() -> None:
    w = make_world()
    receipt = w.call("alice", w.identity, "register", "ipfs://cid-a", (("agentName", b"A"),))
    assert receipt.ok and receipt.result == 0
    assert events(receipt) == [
        ("Transfer", {"from": "", "to": "alice", "tokenId": 0}),
        ("MetadataSet", {"agentId": 0, "metadataKey": WALLET_KEY, "metadataValue": b"alice"}),
        ("MetadataSet", {"agentId": 0, "metadataKey": "agentName", "metadataValue": b"A"}),
        ("Registered", {"agentId": 0, "agentURI": "ipfs://cid-a", "owner": "alice"}),
    ]
    assert register(w, "bob") == 1  # register() with no URI: the standard's third overload
    assert w.ok("bob", w.identity, "register", "https://b.example/agent.json") == 2
    assert w.view(w.identity, "totalAgents") == 3
    assert w.view(w.identity, "ownerOf", 1) == "bob"
    assert w.view(w.identity, "balanceOf", "bob") == 2
    assert w.view(w.identity, "tokenURI", 1) == ""
    assert w.view(w.identity, "tokenURI", 2) == "https://b.example/agent.json"
    assert w.view(w.identity, "getMetadata", 0, "agentName") == b"A"
    assert w.view(w.identity, "getMetadata", 0, "unset") == b""
    assert w.view(w.identity, "getAgentWallet", 0) == "alice"
    assert w.view(w.identity, "getMetadata", 0, WALLET_KEY) == b"alice"
    assert "unknown agent 3: 3 registered" in w.refused("bob", w.identity, "setAgentURI", 3, "x")


def test_set_agent_uri_and_metadata_by_the_owner_only() -> None:
    w = make_world()
    register(w, "alice", "ipfs://v1")
    receipt = w.call("alice", w.identity, "setAgentURI", 0, "ipfs://v2")
    assert events(receipt) == [
        ("URIUpdated", {"agentId": 0, "newURI": "ipfs://v2", "updatedBy": "alice"})
    ]
    assert w.view(w.identity, "tokenURI", 0) == "ipfs://v2"
    assert "not authorized: 'bob'" in w.refused("bob", w.identity, "setAgentURI", 0, "ipfs://evil")
    receipt = w.call("alice", w.identity, "setMetadata", 0, "agentName", b"Alice's agent")
    assert events(receipt) == [
        (
            "MetadataSet",
            {"agentId": 0, "metadataKey": "agentName", "metadataValue": b"Alice's agent"},
        )
    ]
    assert w.view(w.identity, "getMetadata", 0, "agentName") == b"Alice's agent"
    assert "not authorized" in w.refused("bob", w.identity, "setMetadata", 0, "agentName", b"x")
    assert "reserved key" in w.refused("alice", w.identity, "setMetadata", 0, WALLET_KEY, b"bob")
    assert "reserved key" in w.refused("alice", w.identity, "register", "", ((WALLET_KEY, b"bob"),))
    assert "twice" in w.refused("alice", w.identity, "register", "", (("k", b"1"), ("k", b"2")))


def test_an_approved_address_and_an_operator_may_manage_the_agent() -> None:
    w = make_world()
    register(w, "alice")
    w.ok("alice", w.identity, "approve", "bob", 0)
    assert w.view(w.identity, "getApproved", 0) == "bob"
    w.ok("bob", w.identity, "setAgentURI", 0, "ipfs://by-bob")
    assert w.view(w.identity, "isAuthorizedOrOwner", "bob", 0) is True
    assert w.view(w.identity, "isAuthorizedOrOwner", "carol", 0) is False
    w.ok("alice", w.identity, "setApprovalForAll", "carol", True)
    assert w.view(w.identity, "isApprovedForAll", "alice", "carol") is True
    w.ok("carol", w.identity, "setMetadata", 0, "k", b"v")
    w.ok("alice", w.identity, "setApprovalForAll", "carol", False)
    assert "not authorized" in w.refused("carol", w.identity, "setMetadata", 0, "k", b"w")


def test_a_transfer_moves_the_agent_and_clears_its_wallet_and_approval() -> None:
    w = make_world()
    register(w, "alice")
    w.ok("alice", w.identity, "approve", "mallory", 0)
    receipt = w.call("alice", w.identity, "transferFrom", "alice", "bob", 0)
    assert events(receipt) == [
        ("MetadataSet", {"agentId": 0, "metadataKey": WALLET_KEY, "metadataValue": b""}),
        ("Transfer", {"from": "alice", "to": "bob", "tokenId": 0}),
    ]
    assert w.view(w.identity, "ownerOf", 0) == "bob"
    assert w.view(w.identity, "getAgentWallet", 0) == ""
    assert w.view(w.identity, "getApproved", 0) == ""
    assert w.view(w.identity, "balanceOf", "alice") == 0
    assert "not authorized" in w.refused("mallory", w.identity, "transferFrom", "bob", "mallory", 0)
    assert "from must be the owner" in w.refused("bob", w.identity, "transferFrom", "x", "y", 0)


def test_set_agent_wallet_with_the_new_wallets_signature() -> None:
    w = make_world()
    register(w, "alice")
    deadline = w.device.number + 1 + MAX_DEADLINE_BLOCKS  # the call runs in the next block
    sig = w.wallet_signature("carol", 0, "carol", "alice", deadline)
    receipt = w.call("alice", w.identity, "setAgentWallet", 0, "carol", deadline, sig)
    assert receipt.ok, receipt.error
    assert events(receipt) == [
        ("MetadataSet", {"agentId": 0, "metadataKey": WALLET_KEY, "metadataValue": b"carol"})
    ]
    assert w.view(w.identity, "getAgentWallet", 0) == "carol"
    assert w.view(w.identity, "getWalletNonce", 0) == 1
    receipt = w.call("alice", w.identity, "unsetAgentWallet", 0)
    assert receipt.ok and w.view(w.identity, "getAgentWallet", 0) == ""


def test_wallet_authorization_expired_too_far_replayed_forged_or_for_another_agent() -> None:
    w = make_world()
    register(w, "alice")
    register(w, "alice")
    now = w.device.number + 1  # the block the next call runs in

    def attempt(sig: bytes, deadline: int, agent: int = 0, who: str = "alice") -> str:
        return w.refused(who, w.identity, "setAgentWallet", agent, "carol", deadline, sig)

    # expired: the deadline block has passed (check against the block the call runs in)
    w.device.build_block()
    w.device.build_block()
    late = w.wallet_signature("carol", 0, "carol", "alice", now)
    assert "expired: deadline block" in attempt(late, now)
    now = w.device.number + 1
    # too far ahead: more than 25 blocks
    far = now + MAX_DEADLINE_BLOCKS + 1
    assert "deadline too far" in attempt(w.wallet_signature("carol", 0, "carol", "alice", far), far)
    # signed by someone else (the owner cannot sign for the wallet)
    deadline = now + 10
    assert "invalid wallet signature" in attempt(
        w.wallet_signature("alice", 0, "carol", "alice", deadline), deadline
    )
    # for another agent: carol's authorization of agent 1 does not set agent 0
    other = w.wallet_signature("carol", 1, "carol", "alice", deadline)
    assert "invalid wallet signature" in attempt(other, deadline)
    # a stranger relaying carol's valid signature is not the owner
    good = w.wallet_signature("carol", 0, "carol", "alice", deadline)
    assert "not authorized" in attempt(good, deadline, who="mallory")
    # replayed: it works once; after the owner moves the wallet, it cannot set it back
    w.ok("alice", w.identity, "setAgentWallet", 0, "carol", deadline, good)
    w.ok("alice", w.identity, "unsetAgentWallet", 0)
    assert "invalid wallet signature" in attempt(good, deadline)
    assert w.view(w.identity, "getAgentWallet", 0) == ""
    # and for another registry or device (the message binds the registry's address)
    assert w.view(w.identity, "getAgentWallet", 1) == "alice"
