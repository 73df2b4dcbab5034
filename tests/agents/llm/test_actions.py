"""Nothing invalid reaches the device: each bad answer is refused with the field named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accord.agents.base import Observation, observe
from accord.agents.defi import TradeNeed
from accord.agents.llm import LLMClient, LLMSettings
from accord.agents.llm.actions import Decision, decision_schema, to_device
from accord.agents.llm.prompt import messages, observation_data, read_observation
from accord.agents.structured import InvalidOutput
from accord.device import Bundle, DeviceConfig, Transaction
from accord.device.commitments.language import Commitment
from accord.games.llm_defi import SEARCHER, TOKENS_USD, TRADER, Params, _market, _setup, _World


def world(tmp_path: Path, mempool: str = "public") -> _World:
    settings = LLMSettings(model="m", mode="replay", cache=str(tmp_path / "none.jsonl"))
    client = LLMClient(settings, environ={})
    return _setup(Params(llm=settings), DeviceConfig(mempool=mempool), 0, client)


def obs_of(w: _World, who: str, need: TradeNeed | None = None) -> Observation:
    private = {"need": need} if need else None
    return observe(w.device, who, assets=TOKENS_USD, state={"market": _market(w)}, private=private)


def decide(w: _World, who: str, data: object, kinds: tuple[str, ...] = ("swap",)) -> list:
    decision = Decision.model_validate(data)
    return to_device(decision, obs_of(w, who), w.device.account(who), kinds, _market(w))  # type: ignore[arg-type]


def swap(pool: str, amount: int, a: str = "A", b: str = "B", **kw: object) -> dict:
    return {
        "type": "swap",
        "pool": pool,
        "asset_in": a,
        "amount_in": amount,
        "asset_out": b,
        "min_out": 1,
        **kw,
    }


def test_a_valid_swap_is_signed_by_the_agent(tmp_path: Path) -> None:
    w = world(tmp_path)
    [tx] = decide(w, TRADER, {"actions": [swap(w.pools[0], 1000)]})
    assert isinstance(tx, Transaction) and tx.sender == TRADER and tx.method == "swap"
    assert list(tx.args[:3]) == ["A", 1000, 1]


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda p: swap("nowhere", 10), r"actions\[0\]\.pool: no pool 'nowhere'"),
        (lambda p: swap(p, 10, "A", "D"), r"actions\[0\]\.asset_out: pool .* trades A/B, not 'D'"),
        (lambda p: swap(p, 10**18), r"actions\[0\]: sells 1000000000000000000 A but you hold only"),
        (lambda p: {"type": "intent", "text": "sell 5 A for B"}, r"'intent' is not available"),
    ],
)
def test_invalid_actions_are_refused(tmp_path: Path, action: object, message: str) -> None:
    w = world(tmp_path)
    with pytest.raises(InvalidOutput, match=message):
        decide(w, TRADER, {"actions": [action(w.pools[0])]})  # type: ignore[operator]


def test_bundle_must_reference_a_visible_transaction(tmp_path: Path) -> None:
    w = world(tmp_path)
    [victim] = decide(w, TRADER, {"actions": [swap(w.pools[0], 1000)]})
    w.device.submit(victim)
    ref = {"type": "pending", "tx": victim.hash.hex()[:16]}
    items = [swap(w.pools[0], 50), ref, swap(w.pools[0], 10, "B", "A")]
    [bundle] = decide(
        w, SEARCHER, {"actions": [{"type": "bundle", "items": items}]}, ("swap", "bundle")
    )
    assert isinstance(bundle, Bundle) and bundle.txs[1] == victim
    assert [t.sender for t in bundle.txs] == [SEARCHER, TRADER, SEARCHER]
    bogus = [swap(w.pools[0], 50), {"type": "pending", "tx": "deadbeefdeadbeef"}]
    with pytest.raises(InvalidOutput, match=r"items\[1\]\.tx: no pending transaction"):
        decide(w, SEARCHER, {"actions": [{"type": "bundle", "items": bogus}]}, ("swap", "bundle"))
    own = [swap(w.pools[0], 50), ref]
    with pytest.raises(InvalidOutput, match="your own transaction"):
        decide(w, TRADER, {"actions": [{"type": "bundle", "items": own}]}, ("swap", "bundle"))


def test_sealed_mempool_hides_the_victim_from_prompt_and_bundle(tmp_path: Path) -> None:
    w = world(tmp_path, mempool="sealed")
    [victim] = decide(w, TRADER, {"actions": [swap(w.pools[0], 1000)]})
    w.device.submit(victim)
    obs = obs_of(w, SEARCHER)
    data = observation_data(obs, "searcher", ("swap", "bundle"), _market(w))
    assert data["pending"] == [] and data["sealed_pending"] == 1
    text = json.dumps(messages(obs, "searcher", ("swap", "bundle"), _market(w)))
    assert victim.hash.hex()[:16] not in text and "1000" not in json.dumps(data["pending"])
    ref = [swap(w.pools[0], 50), {"type": "pending", "tx": victim.hash.hex()[:16]}]
    with pytest.raises(InvalidOutput, match="no pending transaction you can see"):
        decide(w, SEARCHER, {"actions": [{"type": "bundle", "items": ref}]}, ("swap", "bundle"))


def test_prompt_holds_the_need_but_no_reference_prices(tmp_path: Path) -> None:
    w = world(tmp_path)
    need = TradeNeed(0, "A", "B", 12345, 0)
    msgs = messages(obs_of(w, TRADER, need), "trader", ("swap",), _market(w))
    data = read_observation(msgs[1]["content"])
    assert data["need"]["amount"] == 12345 and data["you"] == TRADER
    pool = _market(w).direct("A", "B")
    assert pool is not None
    c = pool.curve
    assert data["need"]["quotes_now"][pool.address] == c.out_given_in(0, 1, 12345)
    assert "price" not in json.dumps(data)  # reference prices are the run's, not the agent's


def test_intent_compiles_to_a_commitment_for_the_agent(tmp_path: Path) -> None:
    w = world(tmp_path)
    [c] = decide(
        w,
        TRADER,
        {"actions": [{"type": "intent", "text": "sell 1000 A for at least 1 B"}]},
        ("swap", "intent"),
    )
    assert isinstance(c, Commitment) and c.owner == TRADER
    with pytest.raises(InvalidOutput, match=r"actions\[0\]\.text: .*not in a form"):
        decide(w, TRADER, {"actions": [{"type": "intent", "text": "get me B"}]}, ("swap", "intent"))
    foreign = {"owner": "searcher", "label": "x", "expiry": 99}
    with pytest.raises(InvalidOutput, match="owner must be 'trader'"):
        decide(w, TRADER, {"actions": [{"type": "commit", "commitment": foreign}]}, ("commit",))


def test_schema_offers_only_the_allowed_kinds() -> None:
    schema = decision_schema(("swap",))
    refs = [r["$ref"] for r in schema["properties"]["actions"]["items"]["oneOf"]]
    assert refs == ["#/$defs/SwapOut"] and set(schema["$defs"]) == {"SwapOut"}
    full = decision_schema(("swap", "bundle", "intent", "commit"))
    assert len(full["properties"]["actions"]["items"]["oneOf"]) == 4
