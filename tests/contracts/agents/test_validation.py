"""The Validation Registry's worked behaviours (ERC-8004 draft, "Validation Registry"):
requests by the owner or an operator only, one per requestHash, responses 0..100 by
the named validator only, updates, status and summary."""

from __future__ import annotations

from accord.device import Receipt
from tests.contracts.agents.world import H0, World, h, make_world


def events(receipt: Receipt) -> list[tuple[str, dict[str, object]]]:
    return [(e.name, e.as_dict()) for e in receipt.events]


def world_with_request() -> World:
    w = make_world()
    assert w.ok("alice", w.identity, "register", "ipfs://agent", ()) == 0
    receipt = w.call("alice", w.validation, "validationRequest", "carol", 0, "ipfs://job", h(1))
    assert events(receipt) == [
        (
            "ValidationRequest",
            {
                "validatorAddress": "carol",
                "agentId": 0,
                "requestURI": "ipfs://job",
                "requestHash": h(1),
            },
        )
    ]
    return w


def test_a_request_by_the_owner_is_answered_by_its_validator() -> None:
    w = world_with_request()
    stamp = w.device.now
    assert w.view(w.validation, "getValidationStatus", h(1)) == ("carol", 0, 0, H0, "", stamp)
    receipt = w.call(
        "carol", w.validation, "validationResponse", h(1), 100, "ipfs://audit", h(2), "soft"
    )
    assert events(receipt) == [
        (
            "ValidationResponse",
            {
                "validatorAddress": "carol",
                "agentId": 0,
                "requestHash": h(1),
                "response": 100,
                "responseURI": "ipfs://audit",
                "responseHash": h(2),
                "tag": "soft",
            },
        )
    ]
    now = w.device.now
    assert w.view(w.validation, "getValidationStatus", h(1)) == ("carol", 0, 100, h(2), "soft", now)
    # answered again (progressive validation): the status is the latest answer
    w.ok("carol", w.validation, "validationResponse", h(1), 40, "", H0, "hard")
    assert w.view(w.validation, "getValidationStatus", h(1))[2:5] == (40, H0, "hard")
    assert w.view(w.validation, "getAgentValidations", 0) == (h(1),)
    assert w.view(w.validation, "getValidatorRequests", "carol") == (h(1),)
    assert w.view(w.validation, "getIdentityRegistry") == w.identity


def test_responses_are_0_to_100_and_only_from_the_named_validator() -> None:
    w = world_with_request()
    for bad in (101, -1, 2**8, True):
        reason = w.refused("carol", w.validation, "validationResponse", h(1), bad, "", H0, "")
        assert "response must be" in reason, reason
    assert "not the validator" in w.refused(
        "bob", w.validation, "validationResponse", h(1), 100, "", H0, ""
    )
    assert "unknown request" in w.refused(
        "carol", w.validation, "validationResponse", h(9), 1, "", H0, ""
    )
    w.ok("carol", w.validation, "validationResponse", h(1), 0, "", H0, "")
    w.ok("carol", w.validation, "validationResponse", h(1), 100, "", H0, "")


def test_only_the_owner_or_an_operator_requests_and_a_hash_is_used_once() -> None:
    w = world_with_request()
    assert "not authorized" in w.refused(
        "bob", w.validation, "validationRequest", "carol", 0, "", h(2)
    )
    assert "exists already" in w.refused(
        "alice", w.validation, "validationRequest", "bob", 0, "", h(1)
    )
    assert "unknown agent 7" in w.refused(
        "alice", w.validation, "validationRequest", "bob", 7, "", h(3)
    )
    w.ok("alice", w.identity, "setApprovalForAll", "bob", True)
    w.ok("bob", w.validation, "validationRequest", "mallory", 0, "", h(2))


def test_summary_averages_answered_requests_by_validator_and_tag() -> None:
    w = world_with_request()
    w.ok("alice", w.validation, "validationRequest", "bob", 0, "", h(2))
    w.ok("alice", w.validation, "validationRequest", "bob", 0, "", h(3))  # never answered
    assert w.view(w.validation, "getSummary", 0, (), "") == (0, 0)
    w.ok("carol", w.validation, "validationResponse", h(1), 100, "", H0, "zkml")
    w.ok("bob", w.validation, "validationResponse", h(2), 33, "", H0, "tee")
    assert w.view(w.validation, "getSummary", 0, (), "") == (2, 66)  # floor(133 / 2)
    assert w.view(w.validation, "getSummary", 0, ("bob",), "") == (1, 33)
    assert w.view(w.validation, "getSummary", 0, (), "zkml") == (1, 100)
    assert w.view(w.validation, "getSummary", 0, ("mallory",), "") == (0, 0)
    assert w.view(w.validation, "getSummary", 1, (), "") == (0, 0)
