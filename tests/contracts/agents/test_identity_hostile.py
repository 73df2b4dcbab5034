"""The Identity Registry under generated hostile calls.

Every public method of :class:`~accord.contracts.agents.IdentityRegistry` is called
with hostile arguments (wrong types, negative and huge ids, 9 KB URIs, lone
surrogates, duplicated or reserved metadata keys, 17 entries), by any user or by a
contract (:class:`~tests.contracts.hostile_args.Relay`), in any phase, with real wallet
signatures drawn for the wrong signer, agent, deadline or nonce, and with value
attached. After every call: the shared checks of
:class:`~tests.contracts.hostile_args.Hostile`, ids are dense from 0 and balances count
them, no money moved, and a successful change was made by someone allowed to.
"""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from accord.contracts.agents import (
    IdentityRegistry,
    ReputationRegistry,
    ValidationRegistry,
    wallet_message,
)
from accord.device import Contract, Receipt
from tests.contracts.agents.hostile import (
    AGENT,
    URI,
    both,
    hostile,
    identity_invariant,
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

KEY = hostile(st.sampled_from(("agentName", "k", "é")), "agentWallet", "", "k" * 65)
BLOB = hostile(st.binary(max_size=40), b"x" * 4097, "bytes")
META = hostile(
    st.sampled_from(((), (("k", b"v"),), (("a", b""), ("b", b"\x00")))),
    (("k", b"v"), ("k", b"w")),
    (("agentWallet", b"x"),),
    tuple((f"k{i}", b"") for i in range(17)),
    (("k",),),
    (("k", "v"),),
)
OFFSETS = (-1, 1, 5, 25, 26, 40)
SIGNERS = ("carol", "alice")
DEADLINE = mixed(st.sampled_from([f"@d{o}" for o in OFFSETS]))
SIG = mixed(
    st.builds(
        lambda s, a, o, n: f"@sig:{s}:{a}:{o}:{n}",
        st.sampled_from(SIGNERS),
        st.sampled_from((0, 1)),
        st.sampled_from(OFFSETS),
        st.sampled_from((0, 1)),
    ),
    st.just(b"\x00" * 64),
)
VALUE = st.one_of(st.none(), st.none(), st.none(), values("USD"))

METHODS = {
    "register": call(URI, META, value=VALUE),
    "setAgentURI": call(AGENT, URI),
    "tokenURI": call(AGENT),
    "getMetadata": call(AGENT, KEY),
    "setMetadata": call(AGENT, KEY, BLOB, value=VALUE),
    "getAgentWallet": call(AGENT),
    "getWalletNonce": call(AGENT),
    "setAgentWallet": call(AGENT, names("carol"), DEADLINE, SIG),
    "unsetAgentWallet": call(AGENT),
    "ownerOf": call(AGENT),
    "balanceOf": call(names()),
    "totalAgents": call(),
    "isAuthorizedOrOwner": call(names("@relay"), AGENT),
    "transferFrom": call(names("@relay"), names("@relay"), AGENT),
    "approve": call(mixed(st.sampled_from(("", *USERS))), AGENT),
    "setApprovalForAll": call(names("@relay"), mixed(st.booleans())),
    "getApproved": call(AGENT),
    "isApprovedForAll": call(names(), names()),
    "@relay:relay": call(
        st.just("@target"),
        st.sampled_from(("register", "setAgentURI", "transferFrom", "approve")),
        st.tuples(URI, st.just(()))
        | st.tuples(AGENT, URI)
        | st.tuples(names("@relay"), names(), AGENT),
    ),
}
WRITES_NEEDING_AUTH = (
    "setAgentURI",
    "setMetadata",
    "setAgentWallet",
    "unsetAgentWallet",
    "transferFrom",
)


def identity_rule(identity: str) -> Any:
    """Who may change an agent (checked on every successful call)."""

    def rule(step: Step, before: Snapshot, receipt: Receipt) -> None:
        storage = before.storage[identity]
        if step.value:
            raise AssertionError(f"{step.method} accepted value {step.value}")
        if step.method == "register":
            assert receipt.result == storage.get("next_id", 0)
            return
        if step.method not in WRITES_NEEDING_AUTH:
            return
        agent = step.args[2] if step.method == "transferFrom" else step.args[0]
        owner = storage["owners"][agent]
        allowed = (
            step.who == owner
            or storage.get("approvals", {}).get(agent) == step.who
            or storage.get("operators", {}).get((owner, step.who), False)
        )
        assert allowed, f"{step.who} changed agent {agent} of {owner}"
        if step.method == "setMetadata":
            assert step.args[1] != "agentWallet"

    return rule


def signature_aliases(identity: str, device: Any) -> dict[str, Any]:
    """``@d<offset>`` deadlines and ``@sig:<signer>:<agent>:<offset>:<nonce>``
    signatures (of wallet ``carol`` for owner ``alice``), from the current block."""
    now = device.number
    out: dict[str, Any] = {f"@d{o}": now + o for o in OFFSETS}
    for signer in SIGNERS:
        account = device.account(signer)
        for agent in (0, 1):
            for o in OFFSETS:
                for nonce in (0, 1):
                    message = wallet_message(identity, agent, "carol", "alice", now + o, nonce)
                    out[f"@sig:{signer}:{agent}:{o}:{nonce}"] = account.sign_message(message)
    return out


@settings(max_examples=200, deadline=None)
@given(
    steps(
        METHODS,
        focus=("setAgentWallet", "transferFrom", "setMetadata", "approve", "unsetAgentWallet"),
    )
)
@example([Step("alice", "setAgentWallet", (0, "carol", "@d5", "@sig:carol:0:5:0"))])
@example([Step("alice", "register", ("x", ()), value={"USD": 5})])
@example(
    [
        Step("alice", "setMetadata", (0, "k", b"v")),
        Step("alice", "setMetadata", (0, "k", b"")),
        Step("alice", "approve", ("bob", 0)),
        Step("bob", "setAgentURI", (0, "ipfs://by-bob")),
        Step("bob", "transferFrom", ("alice", "carol", 0)),
        Step("carol", "getWalletNonce", (0,)),
        Step("carol", "unsetAgentWallet", (0,)),
        Step("alice", "setAgentWallet", (0, "carol", "@d5", "@sig:carol:0:5:0")),
    ]
)
@example([Step("alice", "register", ("\ud800", ()))])
def test_identity_hostile_sequences(sequence: list[Step]) -> None:
    device = hostile_device()
    identity = device.deploy(device.account("alice"), IdentityRegistry)
    relay = device.deploy(device.account("mallory"), Relay)
    hostile = Hostile(
        device,
        watch=[identity],
        invariant=both(identity_invariant(identity), no_money_moves((identity,))),
        aliases={"@relay": relay},
    )
    hostile.rule = identity_rule(identity)
    for who in ("alice", "alice", "bob"):  # agents 0 and 1 are alice's, 2 is bob's
        receipt = hostile.send(who, identity, "register", "ipfs://x", ())
        assert receipt is not None and receipt.ok, receipt
    hostile.aliases.update(signature_aliases(identity, device))
    hostile.run(identity, sequence)


SETUPS: dict[type[Contract], st.SearchStrategy[Any]] = {
    IdentityRegistry: st.just(()) | st.tuples(names()),
    ReputationRegistry: st.tuples(mixed(st.just("@identity"), st.just("@relay"))),
    ValidationRegistry: st.tuples(mixed(st.just("@identity"), st.just("@relay"))),
}


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(sorted(SETUPS, key=lambda c: c.__name__)).flatmap(
        lambda cls: st.tuples(st.just(cls), SETUPS[cls], st.sampled_from((0, 0, 0, 1)))
    ),
    st.one_of(st.none(), st.none(), values("USD")),
)
def test_registries_setup_under_hostile_arguments(drawn: Any, value: Any) -> None:
    """Each registry deploys with its right arguments and no value, or reverts clearly."""
    cls, args, extra = drawn
    device = hostile_device()
    identity = device.deploy(device.account("alice"), IdentityRegistry)
    relay = device.deploy(device.account("mallory"), Relay)
    hostile = Hostile(device, invariant=no_money_moves((identity,)))
    names_ = {"@identity": identity, "@relay": relay}
    args = tuple(names_.get(a, a) if type(a) is str else a for a in args) + ("x",) * extra
    receipt = hostile.send("bob", "", cls.class_path(), *args, value=value)
    if receipt is not None and receipt.ok:
        assert not value and not extra, (args, value)
        if cls is not IdentityRegistry:
            assert args == (identity,)
