"""The A2A agent card at /.well-known/agent-card.json: served from the config as given,
bad configs refused in one line naming the field, 404 without one, rate-limited, and
tied to the agent's ERC-8004 registration file on the device."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from starlette.testclient import TestClient

from accord.client import RemoteDevice
from accord.contracts.agents import (
    REGISTRATION_TYPE,
    AgentRegistration,
    IdentityRegistry,
    RegistrationRef,
    Service,
    agent_registry,
    to_data_uri,
)
from accord.device.execution import contract_address
from accord.node import Node, NodeConfigError, Signer, create_app, load_config, parse_config
from accord.node.agent_card import (
    CARD_PATH,
    AgentCard,
    AgentCardError,
    check_registration,
    parse_card,
    registration_on_chain,
)
from tests.node.conftest import CHAIN_ID, TOKEN, FakeClock, make_config

REGISTRY = contract_address("alice", 0)  # alice's first transaction deploys it
REF = {"agentId": 0, "agentRegistry": agent_registry(CHAIN_ID, REGISTRY)}
CARD: dict[str, Any] = {
    "protocolVersion": "0.3.0",
    "name": "Route quoter",
    "description": "Quotes the cheapest route between two assets on this device.",
    "url": "https://quoter.example/a2a",
    "preferredTransport": "JSONRPC",
    "additionalInterfaces": [{"url": "https://quoter.example/a2a", "transport": "JSONRPC"}],
    "provider": {"organization": "accord", "url": "https://accord.example"},
    "version": "1.2.0",
    "documentationUrl": "https://accord.example/docs/routing",
    "capabilities": {"streaming": False, "pushNotifications": False},
    "securitySchemes": {
        "bearer": {"type": "http", "scheme": "Bearer", "bearerFormat": "JWT"},
        "key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
    },
    "security": [{"bearer": []}],
    "defaultInputModes": ["application/json", "text/plain"],
    "defaultOutputModes": ["application/json"],
    "skills": [
        {
            "id": "quote",
            "name": "Routing quote",
            "description": "The best split of an order across pools.",
            "tags": ["defi", "routing"],
            "examples": ["100 ETH to USD"],
            "outputModes": ["application/json"],
            "security": [{"key": []}],
        }
    ],
    "registrations": [REF],
}


def _config(tmp_path: Path, signers: dict[str, Signer], card: Any = None, **node: Any) -> Any:
    if card is not None:
        node["agent_card"] = card
    return make_config(tmp_path / "data", signers, **node)


def test_a_valid_card_is_served_exactly_as_configured(
    tmp_path: Path, signers: dict[str, Signer]
) -> None:
    config = _config(tmp_path, signers, CARD)
    node = Node.open(config)
    try:
        with TestClient(create_app(node)) as client:
            response = client.get(CARD_PATH)
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json"
            assert response.json() == CARD
            assert parse_card(response.content) == config.node.agent_card
            assert client.post(CARD_PATH, json={}).status_code == 405
    finally:
        node.close()


def test_defaults_and_the_file_form(tmp_path: Path, signers: dict[str, Signer]) -> None:
    minimal = {k: CARD[k] for k in ("name", "description", "url", "version", "capabilities")}
    minimal |= {"defaultInputModes": ["text/plain"], "defaultOutputModes": ["text/plain"]}
    minimal["skills"] = []
    (tmp_path / "card.json").write_text(json.dumps(minimal))
    data = make_config(tmp_path / "data", signers).model_dump(mode="json", exclude_none=True)
    data["node"]["agent_card_file"] = "card.json"  # relative to node.toml
    path = tmp_path / "node.toml"
    path.write_text(tomli_w.dumps(data))
    config = load_config(path)
    node = Node.open(config)
    try:
        with TestClient(create_app(node)) as client:
            served = client.get(CARD_PATH).json()
    finally:
        node.close()
    assert served == {**minimal, "protocolVersion": "0.3.0", "preferredTransport": "JSONRPC"}


def _without(key: str) -> dict[str, Any]:
    return {k: v for k, v in CARD.items() if k != key}


def _with(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    card = copy.deepcopy(CARD)
    target: Any = card
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return card


BAD: list[tuple[dict[str, Any], str]] = [
    (_without("name"), "node.agent_card.name: Field required"),
    (_without("skills"), "node.agent_card.skills: Field required"),
    (_with(("url",), "ftp://x"), "node.agent_card.url: String should match pattern"),
    (_with(("url",), 5), "node.agent_card.url: Input should be a valid string"),
    (_with(("protocolVersion",), "1.0.0"), "node.agent_card.protocolVersion"),
    (_with(("preferredTransport",), "SOAP"), "node.agent_card.preferredTransport"),
    (_with(("defaultInputModes",), ["json"]), "node.agent_card.defaultInputModes.0"),
    (_with(("capabilities", "streaming"), "yes"), "node.agent_card.capabilities.streaming"),
    (_with(("skills", 0, "tags"), "defi"), "node.agent_card.skills.0.tags"),
    (_with(("skills", 0, "extra"), 1), "node.agent_card.skills.0.extra"),
    (_with(("skills",), [CARD["skills"][0]] * 2), "skill id 'quote' appears twice"),
    (_with(("security",), [{"oauth": []}]), "security names 'oauth', which securitySchemes lacks"),
    (_with(("securitySchemes", "key", "in"), "body"), "node.agent_card.securitySchemes.key"),
    (_with(("securitySchemes", "x"), {"type": "magic"}), "node.agent_card.securitySchemes.x"),
    (_with(("registrations", 0, "agentRegistry"), "nope"), "node.agent_card.registrations.0"),
    (_with(("registrations", 0, "agentId"), -1), "node.agent_card.registrations.0.agentId"),
    (_with(("nmae",), "typo"), "node.agent_card.nmae: Extra inputs are not permitted"),
    (_with(("name",), "x" * 300), "node.agent_card.name: String should have at most 256"),
]


@pytest.mark.parametrize(("card", "says"), BAD)
def test_an_invalid_card_is_refused_in_one_line_naming_the_field(
    tmp_path: Path, signers: dict[str, Signer], card: dict[str, Any], says: str
) -> None:
    with pytest.raises(NodeConfigError) as caught:
        _config(tmp_path, signers, card)
    message = str(caught.value)
    assert "\n" not in message and says in message, message


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{", "node.agent_card_file: "),
        ("[]", "agent card must be a JSON object"),
        (json.dumps(_without("version")), "version: Field required"),
        (json.dumps(_with(("skills", 0, "id"), 7)), "skills[0].id: Input should be a valid string"),
    ],
)
def test_an_invalid_card_file_is_refused_in_one_line(
    tmp_path: Path, signers: dict[str, Signer], text: str, says: str
) -> None:
    card = tmp_path / "card.json"
    card.write_text(text)
    with pytest.raises(NodeConfigError) as caught:
        _config(tmp_path, signers, agent_card_file=str(card))
    message = str(caught.value)
    assert "\n" not in message and says in message and "card.json" in message, message


def test_a_card_and_a_card_file_together_are_refused(
    tmp_path: Path, signers: dict[str, Signer]
) -> None:
    with pytest.raises(NodeConfigError, match="not both"):
        _config(tmp_path, signers, CARD, agent_card_file=str(tmp_path / "c.json"))
    with pytest.raises(NodeConfigError, match="cannot read"):
        _config(tmp_path, signers, agent_card_file=str(tmp_path / "missing.json"))


def test_no_card_is_404_and_the_card_is_rate_limited(
    tmp_path: Path, signers: dict[str, Signer]
) -> None:
    node = Node.open(_config(tmp_path, signers))
    try:
        with TestClient(create_app(node)) as client:
            response = client.get(CARD_PATH)
            assert response.status_code == 404
            assert "no agent card" in response.json()["error"]
    finally:
        node.close()
    limits = {"ip_rate": 1.0, "ip_burst": 3}
    node = Node.open(
        parse_config(
            {
                **_config(tmp_path, signers).model_dump(mode="json", exclude_none=True),
                "node": {
                    "data_dir": str(tmp_path / "limited"),
                    "agent_card": CARD,
                    "limits": limits,
                },
            }
        )
    )
    clock = FakeClock()
    try:
        with TestClient(create_app(node, clock=clock)) as client:
            assert [client.get(CARD_PATH).status_code for _ in range(4)] == [200, 200, 200, 429]
            clock.now += 1.0
            assert client.get(CARD_PATH).status_code == 200
    finally:
        node.close()


# -- ERC-8004 --------------------------------------------------------------------------------
def _registration(endpoint: str, version: str | None = "0.3.0", **ref: Any) -> AgentRegistration:
    return AgentRegistration(
        type=REGISTRATION_TYPE,
        name="Route quoter",
        description="Quotes routes.",
        services=(Service(name="A2A", endpoint=endpoint, version=version),),
        x402Support=True,
        registrations=(RegistrationRef(**{**REF, **ref}),),
        supportedTrust=("reputation",),
    )


def test_the_card_and_the_on_chain_registration_point_at_each_other(
    tmp_path: Path, signers: dict[str, Signer]
) -> None:
    node = Node.open(_config(tmp_path, signers, CARD))
    try:
        with TestClient(create_app(node)) as client:
            card_url = str(client.base_url) + CARD_PATH
            device = RemoteDevice(
                client, keys={"alice": signers["alice"].private_key}, admin_token=TOKEN
            )
            alice = device.account("alice")
            assert device.deploy(alice, IdentityRegistry) == REGISTRY
            uri = to_data_uri(_registration(card_url))
            receipt = device.call(alice, REGISTRY, "register", uri, gas_limit=2_000_000)
            assert receipt.ok and receipt.result == 0
            card = parse_card(client.get(CARD_PATH).content)
            assert card.registrations is not None
            on_chain = registration_on_chain(device, card.registrations[0], CHAIN_ID)
            assert on_chain.service("A2A") == Service(
                name="A2A", endpoint=card_url, version="0.3.0"
            )
            shared = check_registration(card, on_chain, card_url=card_url, chain_id=CHAIN_ID)
            assert shared == RegistrationRef(**REF)
            # The same check through the embedded device the node serves.
            assert registration_on_chain(node.device, shared, CHAIN_ID) == on_chain
            with pytest.raises(AgentCardError, match="agent 1 at"):
                registration_on_chain(device, RegistrationRef(**{**REF, "agentId": 1}), CHAIN_ID)
    finally:
        node.close()


@pytest.mark.parametrize(
    ("registration", "card_update", "says"),
    [
        (_registration("https://elsewhere.example/card.json"), {}, "served at"),
        (_registration("URL", version="0.2.6"), {}, "protocolVersion '0.3.0'"),
        (_registration("URL", agentId=5), {}, "no registration in common"),
        (_registration("URL"), {"registrations": None}, "no registration in common"),
        (
            _registration("URL", agentRegistry=agent_registry(8, REGISTRY)),
            {"registrations": [{**REF, "agentRegistry": agent_registry(8, REGISTRY)}]},
            "not a registry on this device",
        ),
    ],
)
def test_a_card_and_a_registration_that_disagree_are_named(
    registration: AgentRegistration, card_update: dict[str, Any], says: str
) -> None:
    url = "https://quoter.example" + CARD_PATH
    service = registration.services[0]
    if service.endpoint == "URL":
        fixed = service.model_copy(update={"endpoint": url})
        registration = registration.model_copy(update={"services": (fixed,)})
    card = AgentCard.model_validate({**CARD, **card_update})
    with pytest.raises(AgentCardError, match=says):
        check_registration(card, registration, card_url=url, chain_id=CHAIN_ID)
    no_a2a = registration.model_copy(update={"services": ()})
    with pytest.raises(AgentCardError, match="no A2A service"):
        check_registration(card, no_a2a, card_url=url, chain_id=CHAIN_ID)
