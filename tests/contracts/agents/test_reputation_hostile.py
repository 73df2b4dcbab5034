"""The Reputation and Validation Registries under generated hostile calls.

Every public method of :class:`~accord.contracts.agents.ReputationRegistry` and
:class:`~accord.contracts.agents.ValidationRegistry` is called with hostile arguments
(ids that are negative, huge or bools; values past ``int128``; 19 decimals; 65-byte
tags; 31-byte hashes; client lists empty, duplicated, too long or holding a non-name),
by any user, the agents' owner, an operator, or a contract relaying the call, in any
phase, with value attached now and then. After every call: the shared checks of
:class:`~tests.contracts.hostile_args.Hostile`, no money moved, feedback indexes are
dense from 1 per (agent, client), no agent was rated by its owner or an operator, and
only the named validator answered a request, with 0..100.
"""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from accord.contracts.agents import IdentityRegistry, ReputationRegistry, ValidationRegistry
from accord.device import Device, Receipt
from tests.contracts.agents.hostile import (
    ADDRESSES,
    AGENT,
    HASH,
    TAG,
    URI,
    both,
    hostile,
    no_money_moves,
)
from tests.contracts.hostile_args import (
    USERS,
    Hostile,
    Relay,
    Snapshot,
    Step,
    call,
    hostile_device,
    mixed,
    names,
    steps,
    values,
)

VALUE = hostile(
    st.integers(-(10**6), 10**6) | st.sampled_from((2**127 - 1, -(2**127))), 2**127, -(2**127) - 1
)
DECIMALS = hostile(st.integers(0, 18), 19, -1)
INDEX = hostile(st.integers(1, 3), 0, 2**64)
PAY = st.one_of(st.none(), st.none(), st.none(), values("USD"))
FEEDBACK_ARGS = (AGENT, VALUE, DECIMALS, TAG, TAG, URI, URI, HASH)

REPUTATION = {
    "giveFeedback": call(*FEEDBACK_ARGS, value=PAY),
    "revokeFeedback": call(AGENT, INDEX),
    "appendResponse": call(AGENT, names("@relay"), INDEX, URI, HASH, value=PAY),
    "getSummary": call(AGENT, ADDRESSES, TAG, TAG),
    "readFeedback": call(AGENT, names("@relay"), INDEX),
    "readAllFeedback": call(AGENT, ADDRESSES, TAG, TAG, mixed(st.booleans())),
    "getResponseCount": call(AGENT, names(""), INDEX, ADDRESSES),
    "getClients": call(AGENT),
    "getClientCount": call(AGENT),
    "getClientAt": call(AGENT, INDEX),
    "getLastIndex": call(AGENT, names()),
    "getIdentityRegistry": call(),
    "@identity:setApprovalForAll": call(names("@relay"), mixed(st.booleans())),
    "@identity:transferFrom": call(names(), names("@relay"), AGENT),
    "@relay:relay": call(
        st.just("@target"),
        st.sampled_from(("giveFeedback", "revokeFeedback")),
        st.tuples(*(a for a in FEEDBACK_ARGS)) | st.tuples(AGENT, INDEX),
    ),
}
RATE_AGENT_2 = (2, 1, 0, "", "", "", "", bytes(32))
REQUEST = hostile(st.sampled_from([n.to_bytes(32, "big") for n in range(1, 4)]), b"x")
RESPONSE = hostile(st.integers(0, 100), 101, -1, 255, 256)
VALIDATION = {
    "validationRequest": call(names("@relay"), AGENT, URI, REQUEST, value=PAY),
    "validationResponse": call(REQUEST, RESPONSE, URI, HASH, TAG),
    "getValidationStatus": call(REQUEST),
    "getSummary": call(AGENT, ADDRESSES, TAG),
    "getAgentValidations": call(AGENT),
    "getValidatorRequests": call(names()),
    "getIdentityRegistry": call(),
    "@identity:setApprovalForAll": call(names("@relay"), mixed(st.booleans())),
    "@relay:relay": call(
        st.just("@target"),
        st.sampled_from(("validationResponse", "validationRequest")),
        st.tuples(REQUEST, RESPONSE, URI, HASH, TAG) | st.tuples(names(), AGENT, URI, REQUEST),
    ),
}


def world() -> tuple[Device, str, str, str, str]:
    """Agents 0 and 1 are alice's, 2 is bob's; bob rated agent 0 and carol agent 2;
    alice asked carol to validate agent 0 (request 1); mallory's relay contract."""
    device = hostile_device()
    identity = device.deploy(device.account("alice"), IdentityRegistry)
    reputation = device.deploy(device.account("alice"), ReputationRegistry, identity)
    validation = device.deploy(device.account("alice"), ValidationRegistry, identity)
    relay = device.deploy(device.account("mallory"), Relay)
    for who, to, method, *args in (
        ("alice", identity, "register", "ipfs://x", ()),
        ("alice", identity, "register", "ipfs://x", ()),
        ("bob", identity, "register", "ipfs://x", ()),
        ("bob", reputation, "giveFeedback", 0, 80, 0, "starred", "", "", "", bytes(32)),
        ("carol", reputation, "giveFeedback", 2, 9977, 2, "uptime", "", "", "", bytes(32)),
        (
            "alice",
            validation,
            "validationRequest",
            "carol",
            0,
            "ipfs://job",
            (1).to_bytes(32, "big"),
        ),
    ):
        receipt = device.call(device.account(who), to, method, *args)
        assert receipt.ok, receipt.error
    return device, identity, reputation, validation, relay


def authorized(identity: dict[str, Any], who: str, agent: int) -> bool:
    owner = identity["owners"][agent]
    return (
        who == owner
        or identity.get("approvals", {}).get(agent) == who
        or identity.get("operators", {}).get((owner, who), False)
    )


def reputation_invariant(reputation: str) -> Any:
    def check(device: Device) -> None:
        storage = device.contract_at(reputation).storage()
        last = storage.get("last_index", {})
        stored = sorted(storage.get("feedback", {}))
        assert stored == sorted((a, c, i) for (a, c), n in last.items() for i in range(1, n + 1))
        for entry in storage.get("feedback", {}).values():
            value, decimals, *_ = entry
            assert -(2**127) <= value < 2**127 and 0 <= decimals <= 18
        clients = storage.get("client_count", {})
        assert sum(clients.values()) == len(last)

    return check


@settings(max_examples=200, deadline=None)
@given(
    steps(
        REPUTATION,
        senders=(*USERS, "bob"),
        focus=("giveFeedback", "revokeFeedback", "appendResponse", "readAllFeedback"),
    )
)
@example([Step("alice", "giveFeedback", (0, 1, 0, "", "", "", "", bytes(32)))])
@example([Step("bob", "getSummary", (0, (), "", ""))])
@example(
    [
        Step("alice", "appendResponse", (0, "bob", 1, "ipfs://refund", bytes(32))),
        Step("carol", "appendResponse", (0, "bob", 1, "ipfs://spam", bytes(32))),
        Step("bob", "revokeFeedback", (0, 1)),
        Step("bob", "revokeFeedback", (0, 1)),
        Step("carol", "readFeedback", (0, "bob", 1)),
        Step("carol", "readAllFeedback", (0, (), "", "", True)),
        Step("carol", "getResponseCount", (0, "", 0, ())),
        Step("carol", "getClientAt", (2, 0)),
        Step("carol", "getLastIndex", (2, "carol")),
        Step("carol", "getSummary", (2, ("carol", "bob"), "uptime", "")),
        Step("carol", "giveFeedback", (2, -(2**127), 18, "", "", "", "", bytes(32))),
    ]
)
@example(
    [
        Step("bob", "setApprovalForAll", ("@relay", True), to="@identity"),
        Step("mallory", "relay", ("@target", "giveFeedback", RATE_AGENT_2), to="@relay"),
    ]
)
def test_reputation_hostile_sequences(sequence: list[Step]) -> None:
    device, identity, reputation, _, relay = world()

    def rule(step: Step, before: Snapshot, receipt: Receipt) -> None:
        assert not step.value, f"{step.method} accepted value"
        if step.method == "giveFeedback":
            agent = step.args[0]
            assert not authorized(before.storage[identity], step.who, agent), "self-feedback"
            assert (
                receipt.result
                == before.storage[reputation].get("last_index", {}).get((agent, step.who), 0) + 1
            )
        if step.method == "getSummary":
            assert step.args[1], "a summary without clients"

    hostile = Hostile(
        device,
        watch=[identity, reputation],
        invariant=both(reputation_invariant(reputation), no_money_moves((identity, reputation))),
        aliases={"@relay": relay, "@identity": identity},
        rule=rule,
    )
    hostile.run(reputation, sequence)


@settings(max_examples=150, deadline=None)
@given(
    steps(
        VALIDATION,
        senders=(*USERS, "carol"),
        focus=("validationRequest", "validationResponse", "getSummary"),
    )
)
@example(
    [
        Step("alice", "validationRequest", ("carol", 0, "", (1).to_bytes(32, "big"))),
        Step("carol", "validationResponse", ((1).to_bytes(32, "big"), 101, "", bytes(32), "")),
        Step("bob", "validationResponse", ((1).to_bytes(32, "big"), 50, "", bytes(32), "")),
        Step("carol", "validationResponse", ((1).to_bytes(32, "big"), 50, "", bytes(32), "t")),
        Step("carol", "validationResponse", ((1).to_bytes(32, "big"), 0, "", bytes(32), "")),
        Step("bob", "getValidationStatus", ((1).to_bytes(32, "big"),)),
        Step("bob", "getSummary", (0, ("carol",), "")),
    ]
)
def test_validation_hostile_sequences(sequence: list[Step]) -> None:
    device, identity, _, validation, relay = world()

    def rule(step: Step, before: Snapshot, receipt: Receipt) -> None:
        assert not step.value, f"{step.method} accepted value"
        requests = before.storage[validation].get("requests", {})
        if step.method == "validationRequest":
            assert step.args[3] not in requests
            assert authorized(before.storage[identity], step.who, step.args[1])
        if step.method == "validationResponse":
            assert requests[step.args[0]][0] == step.who
            assert 0 <= step.args[1] <= 100

    def invariant(device: Device) -> None:
        storage = device.contract_at(validation).storage()
        requests = storage.get("requests", {})
        assert sum(storage.get("agent_count", {}).values()) == len(requests)
        assert sum(storage.get("validator_count", {}).values()) == len(requests)
        for status in requests.values():
            assert 0 <= status[2] <= 100

    hostile = Hostile(
        device,
        watch=[identity, validation],
        invariant=both(invariant, no_money_moves((identity, validation))),
        aliases={"@relay": relay, "@identity": identity},
        rule=rule,
    )
    hostile.run(validation, sequence)
