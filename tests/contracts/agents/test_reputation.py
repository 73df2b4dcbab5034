"""The Reputation Registry's worked behaviours (ERC-8004 draft, "Reputation Registry"):
1-indexed feedback per (agent, client), the standard's value/valueDecimals examples,
no self-rating by owner or operator, a non-empty client list for summaries, revoked
feedback leaving the summary, responses counted per responder."""

from __future__ import annotations

from accord.device import Receipt
from tests.contracts.agents.world import H0, World, h, make_world


def events(receipt: Receipt) -> list[tuple[str, dict[str, object]]]:
    return [(e.name, e.as_dict()) for e in receipt.events]


def world_with_agent() -> World:
    w = make_world()
    assert w.ok("alice", w.identity, "register", "ipfs://agent", ()) == 0
    return w


def feedback(
    w: World, who: str, value: int, decimals: int = 0, tag1: str = "", tag2: str = ""
) -> int:
    index = w.ok(who, w.reputation, "giveFeedback", 0, value, decimals, tag1, tag2, "", "", H0)
    assert type(index) is int
    return index


def test_give_feedback_stores_and_emits_the_standards_fields() -> None:
    w = world_with_agent()
    receipt = w.call(
        "bob", w.reputation, "giveFeedback", 0, 9977, 2, "uptime", "week",
        "https://agent.example/GetPrice", "ipfs://feedback", h(7),
    )  # fmt: skip
    assert receipt.ok and receipt.result == 1
    assert events(receipt) == [
        (
            "NewFeedback",
            {
                "agentId": 0,
                "clientAddress": "bob",
                "feedbackIndex": 1,
                "value": 9977,
                "valueDecimals": 2,
                "tag1": "uptime",
                "tag2": "week",
                "endpoint": "https://agent.example/GetPrice",
                "feedbackURI": "ipfs://feedback",
                "feedbackHash": h(7),
            },
        )
    ]
    assert w.view(w.reputation, "readFeedback", 0, "bob", 1) == (9977, 2, "uptime", "week", False)
    assert feedback(w, "bob", 87) == 2  # the next index of the same client
    assert feedback(w, "carol", -32, 1, "tradingYield", "day") == 1  # its own counter
    assert w.view(w.reputation, "getLastIndex", 0, "bob") == 2
    assert w.view(w.reputation, "getLastIndex", 0, "mallory") == 0
    assert w.view(w.reputation, "getClients", 0) == ("bob", "carol")
    assert w.view(w.reputation, "getIdentityRegistry") == w.identity


def test_owner_and_operators_cannot_rate_their_own_agent() -> None:
    w = world_with_agent()
    args = (0, 100, 0, "", "", "", "", H0)
    assert "self-feedback not allowed" in w.refused("alice", w.reputation, "giveFeedback", *args)
    w.ok("alice", w.identity, "approve", "bob", 0)
    assert "self-feedback not allowed" in w.refused("bob", w.reputation, "giveFeedback", *args)
    w.ok("alice", w.identity, "setApprovalForAll", "carol", True)
    assert "self-feedback not allowed" in w.refused("carol", w.reputation, "giveFeedback", *args)
    assert "unknown agent 5" in w.refused("mallory", w.reputation, "giveFeedback", 5, *args[1:])
    # after a transfer the old owner is a client like any other
    w.ok("alice", w.identity, "transferFrom", "alice", "mallory", 0)
    assert w.ok("alice", w.reputation, "giveFeedback", *args) == 1


def test_summary_needs_clients_and_averages_at_the_mode_decimals() -> None:
    w = world_with_agent()
    assert "clientAddresses must not be empty" in w.refused(
        "bob", w.reputation, "getSummary", 0, (), "", ""
    )
    assert "twice" in w.refused("bob", w.reputation, "getSummary", 0, ("bob", "bob"), "", "")
    assert w.view(w.reputation, "getSummary", 0, ("bob",), "", "") == (0, 0, 0)
    feedback(w, "bob", 87, 0, "starred")
    feedback(w, "carol", 9977, 2, "uptime")
    feedback(w, "carol", 9900, 2, "uptime")
    # all three: (87 + 99.77 + 99.00) / 3 = 95.2566..., at the mode's 2 decimals
    assert w.view(w.reputation, "getSummary", 0, ("bob", "carol"), "", "") == (3, 9525, 2)
    assert w.view(w.reputation, "getSummary", 0, ("carol",), "uptime", "") == (2, 9938, 2)
    assert w.view(w.reputation, "getSummary", 0, ("bob", "carol"), "starred", "") == (1, 87, 0)
    assert w.view(w.reputation, "getSummary", 0, ("mallory",), "", "") == (0, 0, 0)


def test_revoked_feedback_leaves_the_summary_but_stays_readable() -> None:
    w = world_with_agent()
    feedback(w, "bob", 10)
    feedback(w, "bob", 90)
    assert w.view(w.reputation, "getSummary", 0, ("bob",), "", "") == (2, 50, 0)
    receipt = w.call("bob", w.reputation, "revokeFeedback", 0, 1)
    assert events(receipt) == [
        ("FeedbackRevoked", {"agentId": 0, "clientAddress": "bob", "feedbackIndex": 1})
    ]
    assert w.view(w.reputation, "getSummary", 0, ("bob",), "", "") == (1, 90, 0)
    assert w.view(w.reputation, "readFeedback", 0, "bob", 1) == (10, 0, "", "", True)
    assert w.view(w.reputation, "readAllFeedback", 0, (), "", "", False) == (
        ("bob",), (2,), (90,), (0,), ("",), ("",), (False,),
    )  # fmt: skip
    assert w.view(w.reputation, "readAllFeedback", 0, ("bob",), "", "", True)[1] == (1, 2)
    assert "already revoked" in w.refused("bob", w.reputation, "revokeFeedback", 0, 1)
    assert "no feedback 1 of 'carol'" in w.refused("carol", w.reputation, "revokeFeedback", 0, 1)
    assert "indexes run from 1 to 2" in w.refused("bob", w.reputation, "revokeFeedback", 0, 3)
    assert "indexes run from 1 to 2" in w.refused("bob", w.reputation, "revokeFeedback", 0, 0)


def test_anyone_may_respond_and_responses_are_counted_per_responder() -> None:
    w = world_with_agent()
    feedback(w, "bob", 5)
    receipt = w.call("alice", w.reputation, "appendResponse", 0, "bob", 1, "ipfs://refund", h(1))
    assert events(receipt) == [
        (
            "ResponseAppended",
            {
                "agentId": 0,
                "clientAddress": "bob",
                "feedbackIndex": 1,
                "responder": "alice",
                "responseURI": "ipfs://refund",
                "responseHash": h(1),
            },
        )
    ]
    w.ok("alice", w.reputation, "appendResponse", 0, "bob", 1, "ipfs://refund-2", H0)
    w.ok("carol", w.reputation, "appendResponse", 0, "bob", 1, "ipfs://spam-tag", H0)
    assert w.view(w.reputation, "getResponseCount", 0, "bob", 1, ()) == 3
    assert w.view(w.reputation, "getResponseCount", 0, "bob", 1, ("alice",)) == 2
    assert w.view(w.reputation, "getResponseCount", 0, "", 0, ("carol",)) == 1
    assert w.view(w.reputation, "getResponseCount", 0, "bob", 2, ()) == 0
    assert "must not be empty" in w.refused(
        "carol", w.reputation, "appendResponse", 0, "bob", 1, "", H0
    )
    assert "no feedback 2" in w.refused(
        "carol", w.reputation, "appendResponse", 0, "bob", 2, "x", H0
    )


def test_the_standards_value_examples_round_trip() -> None:
    """The table "Examples of value / valueDecimals": each stored exactly."""
    w = world_with_agent()
    rows = [
        ("starred", 87, 0),
        ("uptime", 9977, 2),
        ("responseTime", 560, 0),
        ("tradingYield", -32, 1),
    ]
    for n, (tag, value, decimals) in enumerate(rows, start=1):
        assert feedback(w, "bob", value, decimals, tag) == n
        assert w.view(w.reputation, "readFeedback", 0, "bob", n) == (
            value,
            decimals,
            tag,
            "",
            False,
        )
    assert "valueDecimals must be in [0, 18]" in w.refused(
        "bob", w.reputation, "giveFeedback", 0, 1, 19, "", "", "", "", H0
    )
    assert "value must be in" in w.refused(
        "bob", w.reputation, "giveFeedback", 0, 2**127, 0, "", "", "", "", H0
    )
    assert "feedbackHash must be 32 bytes" in w.refused(
        "bob", w.reputation, "giveFeedback", 0, 1, 0, "", "", "", "", b""
    )
