"""x402 pay-per-call between agents: discover, pay, use, rate.

An agent service, the NL -> intent compiler (``accord.agents.intent.compile_intent``
with its deterministic parser), is registered in the ERC-8004 identity registry; its
registration file lists the service's endpoint and ``x402Support: true``. Two client
agents find it by reading the registry, call it, get **402 Payment Required**, pay per
call with a signed EIP-3009 ``ReceiveWithAuthorization`` (``PAYMENT-SIGNATURE``), get
the compiled intent with ``PAYMENT-RESPONSE``, and rate the service in the reputation
registry. Everything runs in one process: the service's HTTP app is served through
Starlette's test client, and its facilitator settles on the same device, embedded
(:func:`main`) or behind a node (:func:`play` on a ``RemoteDevice``: the test runs both).

Run: ``python examples/x402_demo.py`` (``docs/x402.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from accord.agents.intent import IntentContext, IntentError, compile_intent
from accord.contracts.agents import (
    AgentRegistration,
    IdentityRegistry,
    RegistrationRef,
    ReputationRegistry,
    Service,
    agent_registry,
    parse_registration_uri,
    to_data_uri,
)
from accord.contracts.payments import PaymentToken
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, checks
from accord.device.commitments.codec import to_json
from accord.x402 import (
    Facilitator,
    PaidRoute,
    PaymentDevice,
    PaymentMiddleware,
    TokenInfo,
    X402Client,
    device_clock,
    network_id,
    payment_requirements,
)

PRICE = 250  # base units of the token per compiled sentence
ENDPOINT = "http://compiler.agents.example/compile"
SENTENCES = {
    "ann": ["Swap 500 A for D.", "swap 7 B for D within 2 blocks"],
    "ben": ["buy D with 500 A"],
}


def service_app(facilitator: Facilitator, requirements: Any) -> Starlette:
    """The compiler as an HTTP service, charging ``PRICE`` per call."""

    async def compile_(request: Request) -> JSONResponse:
        body = await request.json()
        try:
            compiled = compile_intent(str(body["sentence"]), context=IntentContext(owner="me"))
        except (IntentError, KeyError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)  # not charged
        return JSONResponse(
            {"english": compiled.english, "commitment": to_json(compiled.commitment)}
        )

    app = Starlette(routes=[Route("/compile", compile_, methods=["POST"])])
    app.add_middleware(
        PaymentMiddleware,
        facilitator=facilitator,
        routes=[PaidRoute("/compile", (requirements,), "NL -> intent compiler")],
    )
    return app


PEOPLE = ("operator", "ann", "ben")
CONFIG = DeviceConfig(genesis_time_ms=1_767_225_600_000)


def genesis() -> Genesis:
    """The setup: gas money for everyone, USD for the two client agents. To run the demo
    through a node, bind each name's public key (``public_keys``) and call :func:`play`
    with a ``RemoteDevice`` holding their private keys (``docs/x402.md``)."""
    return Genesis(
        assets={
            "ETH": AssetSpec(issuer="treasury", alloc=dict.fromkeys(PEOPLE, 10**18)),
            "USD": AssetSpec(issuer="fed", alloc={"ann": 10_000, "ben": 10_000}),
        }
    )


def main() -> dict[str, Any]:
    """The demo on an embedded device (every block checked)."""
    device = Device(CONFIG, genesis(), seed=0)
    checks.check_every_block(device)
    return play(device)


def play(device: PaymentDevice, nonces: Callable[[], bytes] | None = None) -> dict[str, Any]:
    """Register, discover, pay and rate, through the agent-facing API only: the same on
    an embedded device and through a node (``tests/x402/test_demo.py``). ``nonces``
    makes the payments' authorization nonces (default: random, as a client's are)."""
    operator = device.account("operator")

    # The infrastructure: the registries and a payment token backed by USD.
    identity = device.deploy(operator, IdentityRegistry)
    reputation = device.deploy(operator, ReputationRegistry, identity)
    token = device.deploy(operator, PaymentToken, "USD", "Accord USD", "1")
    for who in ("ann", "ben"):  # each client agent wraps some USD to pay with
        device.call(device.account(who), token, "deposit", value={"USD": 2_000})

    # The service registers itself: its registration file lists the endpoint and x402.
    agent_id = device.view(identity, "totalAgents")
    registration = AgentRegistration(
        type="https://eips.ethereum.org/EIPS/eip-8004#registration-v1",
        name="intent-compiler",
        description="Compiles an English sentence into a conditional commitment.",
        services=(Service(name="web", endpoint=ENDPOINT),),
        x402Support=True,
        registrations=(
            RegistrationRef(agentId=agent_id, agentRegistry=agent_registry(1, identity)),
        ),
        supportedTrust=("reputation",),
    )
    receipt = device.call(operator, identity, "register", to_data_uri(registration))
    assert receipt.ok and receipt.result == agent_id, receipt.error
    info = TokenInfo.read(device, token)
    requirements = payment_requirements(device.chain_id, info, "operator", PRICE)
    facilitator = Facilitator(device, [token], [operator])
    hosts = {ENDPOINT: TestClient(service_app(facilitator, requirements))}

    # Client agents discover the service through the identity registry ...
    found = []
    for candidate in range(device.view(identity, "totalAgents")):
        card = parse_registration_uri(device.view(identity, "tokenURI", candidate))
        web = card.service("web")
        if card.x402Support and web is not None:
            found.append((candidate, card.name, web.endpoint))
    ((service_id, service_name, endpoint),) = found

    # ... pay per call through x402, and rate it in the reputation registry.
    results: dict[str, Any] = {"service": (service_id, service_name), "calls": []}
    for who, sentences in SENTENCES.items():
        account = device.account(who)
        client = X402Client(
            account,
            hosts[endpoint],
            clock=device_clock(device),
            max_amount=PRICE,
            networks=[network_id(device.chain_id)],
            assets=[token],
            **({} if nonces is None else {"nonces": nonces}),
        )
        for sentence in sentences:
            paid = client.request("POST", "/compile", json={"sentence": sentence})
            assert paid.settlement is not None and paid.settlement.success
            english = paid.response.json()["english"].splitlines()[0]
            results["calls"].append((who, sentence, paid.response.status_code, english))
            print(f"{who} paid {paid.settlement.amount} for {sentence!r}: {english}")
        rating = device.call(
            account,
            reputation,
            "giveFeedback",
            service_id,
            90 if who == "ann" else 80,
            0,
            "intent",
            "x402",
            endpoint,
            "",
            bytes(32),
        )
        assert rating.ok, rating.error
        results[f"{who}_spent"] = client.spent

    summary = device.view(reputation, "getSummary", service_id, ("ann", "ben"), "", "")
    results["summary"] = summary
    results["tokens"] = {
        who: device.view(token, "balanceOf", who) for who in ("ann", "ben", "operator")
    }
    print(f"service {service_name} (agent {service_id}) earned {results['tokens']['operator']}")
    print(f"reputation summary (count, value, decimals): {summary}")
    return results


if __name__ == "__main__":
    main()
