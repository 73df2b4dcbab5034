"""The deterministic parser: the four forms, exact commitments, and clear refusals."""

from __future__ import annotations

import pytest

from accord.agents.intent import IntentContext, IntentError, NotRecognised, compile_intent
from accord.agents.intents import swap_if_offer
from accord.contracts.amm import ProductAMM
from accord.device import AssetSpec, Device, DeviceConfig, Genesis
from accord.device.commitments.build import action_pattern, call, commitment, exists, transfer, view
from accord.device.commitments.codec import from_json, json_schema, parse_commitment
from accord.mechanisms.cfmm import amount_out

CTX = IntentContext(
    owner="alice",
    block=5,
    patience=4,
    pools={"p1": ("A", "D"), "p2": ("A", "B")},
    router="r0",
    label="x",
)


def test_swap() -> None:
    c = compile_intent("Swap 500 A for D.", context=CTX).commitment
    assert c == commitment(
        "alice",
        "x",
        expiry=9,
        actions=[call("p1", "swap", "A", 500, 1, "alice", "D", value={"A": 500})],
    )
    assert compile_intent("buy D with 500 A", context=CTX).commitment == c


def test_swap_without_a_direct_pool_uses_the_router() -> None:
    c = compile_intent("swap 7 B for D within 2 blocks", context=CTX).commitment
    assert c.expiry == 7
    assert c.actions == [call("r0", "swap_best", "B", 7, "D", 1, "alice", value={"B": 7})]


def test_limit() -> None:
    c = compile_intent("sell 100 A for at least 150 B by block 30", context=CTX).commitment
    assert c == commitment(
        "alice",
        "x",
        expiry=30,
        condition=view("p2", "quote", "A", 100, "B") >= 150,
        actions=[call("p2", "swap", "A", 100, 150, "alice", "B", value={"A": 100})],
    )


def test_conditional_swap_is_the_canonical_intent() -> None:
    s = "if a swap D→A exists at rate ≤ 1000 A/D, swap 500 A→D"
    c = compile_intent(s, context=CTX).commitment
    assert c == swap_if_offer(
        "alice", "x", pool="p1", give=("A", 500), want="D", max_rate=(1000, 1), expiry=9
    )
    c2 = compile_intent(s + ", else route through the best path", context=CTX).commitment
    assert c2 == swap_if_offer(
        "alice",
        "x",
        pool="p1",
        give=("A", 500),
        want="D",
        max_rate=(1000, 1),
        expiry=9,
        router="r0",
    )
    c3 = compile_intent(
        "if a swap D->A exists at rate <= 999.5 A per D, swap 500 A to D", context=CTX
    ).commitment
    assert c3.condition.pattern.action.rate.value == (1999, 2)  # type: ignore[union-attr]


def test_flash_loan() -> None:
    c = compile_intent(
        "lend 1000 A to bob if he returns 1003 A in the same block", context=CTX
    ).commitment
    repays = action_pattern(kind="transfer", asset="A", to="$self", min_amount=1003)
    assert c == commitment(
        "alice",
        "x",
        expiry=9,
        condition=exists(owner="bob", action=repays),
        actions=[transfer("A", "bob", 1000)],
        requires={"A": 3},
    )


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        ("swap 1.5 A for D", "not a whole number"),
        ("swap 0 A for D", "must be positive"),
        ("swap 5 A for A", "sell and buy the same asset"),
        ("sell 100 B for at least 1 D", "no pool trades B for D directly"),
        ("if a swap A→D exists at rate ≤ 1000 A/D, swap 500 A→D", "must go the other way"),
        ("if a swap D→A exists at rate ≤ 0.001 D/A, swap 500 A→D", "state the rate in A per D"),
        ("lend 1000 A to bob if he returns 900 A in the same block", "less than the 1000 lent"),
        ("lend 1000 A to bob if carol returns 1003 A in the same block", "name carol"),
        ("lend 1000 A to bob if he returns 1003 B in the same block", "repays in kind"),
        ("swap 500 A for D by block 2", "already past"),
    ],
)
def test_refusals_say_why(sentence: str, reason: str) -> None:
    with pytest.raises(IntentError, match=reason):
        compile_intent(sentence, context=CTX)


@pytest.mark.parametrize(
    "sentence",
    ["buy a house", "swap 500 A for D unless it rains", "sell 100 A for at least 150 B please", ""],
)
def test_unknown_forms_are_never_half_parsed(sentence: str) -> None:
    with pytest.raises(IntentError) as err:
        compile_intent(sentence, context=CTX)
    assert sentence == "" or isinstance(err.value, NotRecognised)


def test_every_compiled_intent_is_a_valid_document() -> None:
    schema_keys = set(json_schema()["properties"])
    for s in (
        "swap 500 A for D",
        "sell 100 A for at least 150 B",
        "if a swap D→A exists at rate ≤ 1000 A/D, swap 500 A→D",
        "lend 1000 A to bob if he returns 1003 A in the same block",
    ):
        c = compile_intent(s, context=CTX).commitment
        assert from_json(c.to_json()) == c and parse_commitment(c.to_data()) == c
        assert set(c.to_data()) <= schema_keys


def test_a_compiled_limit_order_settles_on_the_device() -> None:
    users = ("alice", "lp")
    genesis = Genesis(
        assets={
            "ETH": AssetSpec(issuer="t", alloc=dict.fromkeys(users, 10**18)),
            "A": AssetSpec(issuer="m", alloc=dict.fromkeys(users, 10**9)),
            "B": AssetSpec(issuer="m", alloc=dict.fromkeys(users, 10**9)),
        }
    )
    device = Device(DeviceConfig(), genesis, seed=1)
    lp = device.account("lp")
    pool = device.deploy(lp, ProductAMM, "A", "B")
    device.call(lp, pool, "add_liquidity", 0, "lp", value={"A": 10**6, "B": 2 * 10**6})
    quote = amount_out(1000, 10**6, 2 * 10**6)
    ctx = IntentContext(owner="alice", block=device.number + 1, pools={pool: ("A", "B")})
    ok = compile_intent(f"sell 1000 A for at least {quote} B", context=ctx).commitment
    too_greedy = compile_intent(f"sell 10 A for at least {quote} B", context=ctx).commitment
    b0 = device.balance("alice", "B")
    for c in (ok, too_greedy):
        device.commit(device.account("alice"), c)
    device.build_block()
    assert device.balance("alice", "B") - b0 == quote  # the limit held; the greedy one waits
    assert [c.id for c in device.pending_commitments()] == [too_greedy.id]
