"""The registration file (ERC-8004 draft, "Agent URI and Agent Registration File"):
the standard's example parses; bad files are refused with one line naming the spot."""

from __future__ import annotations

import json
from typing import Any

import pytest

from accord.contracts.agents import (
    REGISTRATION_TYPE,
    AgentRegistration,
    RegistrationError,
    agent_registry,
    parse_registration,
    parse_registration_uri,
    to_data_uri,
)

EXAMPLE: dict[str, Any] = {
    "type": REGISTRATION_TYPE,
    "name": "myAgentName",
    "description": "A natural language description of the Agent",
    "image": "https://example.com/agentimage.png",
    "services": [
        {"name": "web", "endpoint": "https://web.agentxyz.com/"},
        {
            "name": "A2A",
            "endpoint": "https://agent.example/.well-known/agent-card.json",
            "version": "0.3.0",
        },
        {"name": "MCP", "endpoint": "https://mcp.agent.eth/", "version": "2025-06-18"},
        {"name": "OASF", "endpoint": "ipfs://cid", "version": "0.8", "skills": [], "domains": []},
        {"name": "ENS", "endpoint": "vitalik.eth", "version": "v1"},
        {"name": "DID", "endpoint": "did:method:foobar", "version": "v1"},
        {"name": "email", "endpoint": "mail@myagent.com"},
    ],
    "x402Support": False,
    "active": True,
    "registrations": [
        {"agentId": 22, "agentRegistry": "eip155:1:0x742d35Cc6634C0532925a3b844Bc9e7595f0bEb7"}
    ],
    "supportedTrust": ["reputation", "crypto-economic", "tee-attestation"],
}


def test_the_standards_example_parses_and_round_trips() -> None:
    reg = parse_registration(json.dumps(EXAMPLE))
    assert reg.name == "myAgentName"
    assert [s.name for s in reg.services] == ["web", "A2A", "MCP", "OASF", "ENS", "DID", "email"]
    a2a = reg.service("A2A")
    assert a2a is not None and a2a.version == "0.3.0"
    assert reg.service("nope") is None
    assert reg.x402Support is False and reg.active is True
    assert reg.registrations[0].agentId == 22
    assert reg.supportedTrust == ("reputation", "crypto-economic", "tee-attestation")
    assert parse_registration_uri(to_data_uri(reg)) == reg
    assert agent_registry(1, "0xabc") == "accord:1:0xabc"


def test_a_minimal_file_is_for_discovery_only() -> None:
    reg = parse_registration(
        json.dumps({"type": REGISTRATION_TYPE, "name": "x", "description": ""})
    )
    assert reg == AgentRegistration(type=REGISTRATION_TYPE, name="x", description="")
    assert reg.supportedTrust == () and reg.services == () and reg.x402Support is False


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"type": "https://example.com/v2"},
            "type: Input should be 'https://eips.ethereum.org/EIPS/eip-8004",
        ),
        ({"x402Support": "yes"}, "x402Support: Input should be a valid boolean"),
        (
            {"supportedTrust": ["vibes"]},
            "supportedTrust[0]: Input should be 'reputation', 'crypto-economic'",
        ),
        ({"services": [{"name": "A2A"}]}, "services[0].endpoint: Field required"),
        (
            {"services": [{"name": "A2A", "endpoint": "x", "port": 1}]},
            "services[0].port: not a field",
        ),
        (
            {"registrations": [{"agentId": "22", "agentRegistry": "eip155:1:0x1"}]},
            "registrations[0].agentId: Input should be a valid int",
        ),
        (
            {"registrations": [{"agentId": -1, "agentRegistry": "eip155:1:0x1"}]},
            "registrations[0].agentId: Input should be greater",
        ),
        (
            {"registrations": [{"agentId": 1, "agentRegistry": "0x742"}]},
            "registrations[0].agentRegistry: Value error, must be {namespace}",
        ),
        ({"name": ""}, "name: String should have at least 1 character"),
        ({"owner": "me"}, "owner: not a field of an ERC-8004 registration file"),
    ],
)
def test_bad_files_get_one_line_errors(change: dict[str, Any], message: str) -> None:
    with pytest.raises(RegistrationError) as info:
        parse_registration(json.dumps({**EXAMPLE, **change}))
    assert str(info.value).startswith(message), str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{", "registration file is not JSON"),
        ("[1]", "registration file must be a JSON object, got list"),
        (b"\xff", "registration file is not JSON"),
        ("x" * 70_000, "registration file too large: 70000 bytes"),
        (
            json.dumps(
                {"type": REGISTRATION_TYPE, "name": "x", "description": "", "endpoints": []}
            ),
            "endpoints: renamed services",
        ),
        ("{}", "type: Field required (and 2 more)"),
    ],
)
def test_malformed_files_get_one_line_errors(raw: str | bytes, message: str) -> None:
    with pytest.raises(RegistrationError) as info:
        parse_registration(raw)
    assert str(info.value).startswith(message), str(info.value)
    assert "\n" not in str(info.value)


def test_data_uris_must_be_base64_json() -> None:
    with pytest.raises(RegistrationError, match="must start with 'data:application/json;base64,'"):
        parse_registration_uri("https://example.com/agent.json")
    with pytest.raises(RegistrationError, match="not valid base64"):
        parse_registration_uri("data:application/json;base64,@@@")
