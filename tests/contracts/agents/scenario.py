"""One scripted life of the three ERC-8004 registries: the determinism test replays
it, and ``benchmarks/bench_erc8004.py`` measures its gas per call."""

from __future__ import annotations

from accord.contracts.agents import REGISTRATION_TYPE, AgentRegistration, Service, to_data_uri
from tests.contracts.agents.world import H0, World, h

REGISTRATION = AgentRegistration(
    type=REGISTRATION_TYPE,
    name="quote-bot",
    description="Routing quotes, paid per call over x402",
    services=(Service(name="A2A", endpoint="https://q.example/.well-known/agent-card.json"),),
    x402Support=True,
    supportedTrust=("reputation",),
)


def play(w: World) -> dict[str, int]:
    """Run the scenario; return the gas used by the first call of each method, keyed
    ``"identity.register"``, ``"reputation.getSummary"``..."""
    gas: dict[str, int] = {}
    label = dict(zip(w.addresses, ("identity", "reputation", "validation"), strict=True))

    def run(who: str, to: str, method: str, *args: object) -> object:
        receipt = w.call(who, to, method, *args)
        assert receipt.ok, (method, receipt.error)
        gas.setdefault(f"{label[to]}.{method}", receipt.gas_used)
        return receipt.result

    uri = to_data_uri(REGISTRATION)
    run("alice", w.identity, "register", "ipfs://bafy-agent", (("agentName", b"quote-bot"),))
    run("bob", w.identity, "register", uri, ())
    run("alice", w.identity, "setAgentURI", 0, "ipfs://bafy-agent-v2")
    run("alice", w.identity, "setMetadata", 0, "pricing", b"1 USD per quote")
    deadline = w.device.number + 10
    sig = w.wallet_signature("carol", 0, "carol", "alice", deadline)
    run("alice", w.identity, "setAgentWallet", 0, "carol", deadline, sig)
    run("alice", w.identity, "approve", "mallory", 0)
    for client, value, decimals in (("bob", 87, 0), ("carol", 9977, 2), ("mallory", 40, 0)):
        if client == "mallory":
            client = "bob"
        run(client, w.reputation, "giveFeedback", 0, value, decimals, "starred", "", "", "", H0)
    run("bob", w.reputation, "revokeFeedback", 0, 2)
    run("alice", w.reputation, "appendResponse", 0, "bob", 1, "ipfs://refund", h(1))
    run("alice", w.reputation, "getSummary", 0, ("bob", "carol"), "starred", "")
    run("alice", w.validation, "validationRequest", "carol", 0, "ipfs://job", h(2))
    run("carol", w.validation, "validationResponse", h(2), 90, "ipfs://audit", h(3), "soft")
    run("alice", w.validation, "getSummary", 0, (), "")
    run("alice", w.identity, "transferFrom", "alice", "mallory", 0)
    return gas
