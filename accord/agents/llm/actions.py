"""What an LLM agent may answer, and the checks that stand between its answer and the device.

The answer is one JSON object, ``{"actions": [...], "note": "..."}``, each action one of

* ``swap``: a swap on a pool, sent to the public mempool as a signed transaction;
* ``bundle``: the agent's own swaps and references to pending transactions it can see
  (by hash prefix), all-or-nothing and in that order (Flashbots' ``eth_sendBundle``);
* ``intent``: a sentence that :func:`accord.agents.intent.compile_intent` compiles into
  a conditional commitment ("sell 100 A for at least 150 B");
* ``commit``: a commitment document in the device's language (``docs/commitments.md``).

Which kinds an agent is offered depends on its role and the run (a trader without the
device's intents gets ``swap`` only). :func:`to_device` validates an answer against the
agent's observation and signs it with the agent's key: a pool that does not exist, an
asset the pool does not trade, more than the agent holds, a transaction it cannot see,
a commitment for someone else: each raises :class:`InvalidOutput` naming the action and
field, so nothing invalid is ever submitted.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from accord.agents.base import Action, Observation
from accord.agents.defi import Hop, Market, swap_tx
from accord.agents.intent.check import check_commitment
from accord.agents.intent.context import IntentContext
from accord.agents.intent.parser import IntentError, parse
from accord.agents.structured import InvalidOutput
from accord.device import Account, Bundle, Pending, Transaction
from accord.device.commitments.codec import MalformedCommitment, parse_commitment
from accord.device.commitments.language import Commitment

MAX_TIP = 10**6
"""The largest priority fee per gas an LLM agent may offer (a guard against typos)."""

Kind = Literal["swap", "bundle", "intent", "commit"]
ALL_KINDS: tuple[Kind, ...] = ("swap", "bundle", "intent", "commit")


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SwapOut(_Out):
    """Sell ``amount_in`` of ``asset_in`` on ``pool`` for at least ``min_out`` of ``asset_out``."""

    type: Literal["swap"]
    pool: str
    asset_in: str
    amount_in: int = Field(gt=0)
    asset_out: str
    min_out: int = Field(ge=0)
    priority_fee: int = Field(0, ge=0, le=MAX_TIP)


class PendingRef(_Out):
    """A pending transaction the agent can see, by (a prefix of) its hash in hex."""

    type: Literal["pending"]
    tx: str = Field(min_length=8, max_length=64)


BundleItem = Annotated[SwapOut | PendingRef, Field(discriminator="type")]


class BundleOut(_Out):
    type: Literal["bundle"]
    items: list[BundleItem] = Field(min_length=1, max_length=6)


class IntentOut(_Out):
    type: Literal["intent"]
    text: str = Field(min_length=1, max_length=300)


class CommitOut(_Out):
    type: Literal["commit"]
    commitment: dict[str, Any]


ActionOut = Annotated[SwapOut | BundleOut | IntentOut | CommitOut, Field(discriminator="type")]


class Decision(_Out):
    """The whole answer: up to three actions (none is a valid answer) and a short note."""

    actions: list[ActionOut] = Field(default_factory=list, max_length=3)
    note: str = Field("", max_length=400)


_TITLES = {"swap": "SwapOut", "bundle": "BundleOut", "intent": "IntentOut", "commit": "CommitOut"}


def decision_schema(kinds: Sequence[Kind]) -> dict[str, Any]:
    """:class:`Decision`'s JSON Schema offering only ``kinds`` of action."""
    schema = copy.deepcopy(Decision.model_json_schema())
    allowed = {f"#/$defs/{_TITLES[k]}" for k in kinds}
    items = schema["properties"]["actions"]["items"]
    items["oneOf"] = [r for r in items["oneOf"] if r["$ref"] in allowed]
    mapping = items.get("discriminator", {}).get("mapping", {})
    items["discriminator"]["mapping"] = {k: v for k, v in mapping.items() if v in allowed}
    for k in ALL_KINDS:
        if k not in kinds and k != "swap":  # a bundle's items use SwapOut's definition
            schema["$defs"].pop(_TITLES[k], None)
    if "bundle" not in kinds:
        schema["$defs"].pop("PendingRef", None)
    return schema


def intent_context(obs: Observation, market: Market, patience: int) -> IntentContext:
    """The context an LLM trader's sentences compile against: its pools, no router."""
    pools = {p.address: tuple(p.tokens) for p in market.pools}
    assets = tuple(sorted({t for p in market.pools for t in p.tokens}))
    return IntentContext(
        owner=obs.agent,
        block=obs.number,
        patience=patience,
        pools=pools,
        router=None,
        assets=assets,
    )


class _Funds:
    """The agent's spendable amounts, as its own earlier swaps in the answer use them."""

    def __init__(self, obs: Observation) -> None:
        self.left = dict(obs.balances)

    def spend(self, where: str, asset: str, amount: int) -> None:
        have = self.left.get(asset, 0)
        if amount > have:
            raise InvalidOutput(f"{where}: sells {amount} {asset} but you hold only {have}")
        self.left[asset] = have - amount

    def receive(self, asset: str, amount: int) -> None:
        self.left[asset] = self.left.get(asset, 0) + amount


def _hop(where: str, s: SwapOut, market: Market) -> Hop:
    info = market.by_address(s.pool)
    if info is None:
        known = ", ".join(p.address for p in market.pools)
        raise InvalidOutput(f"{where}.pool: no pool {s.pool!r} (pools: {known})")
    for field_name, asset in (("asset_in", s.asset_in), ("asset_out", s.asset_out)):
        if asset not in info.tokens:
            raise InvalidOutput(
                f"{where}.{field_name}: pool {s.pool} trades {'/'.join(info.tokens)}, not {asset!r}"
            )
    if s.asset_in == s.asset_out:
        raise InvalidOutput(f"{where}: asset_in and asset_out are both {s.asset_in!r}")
    return Hop(s.pool, s.asset_in, s.amount_in, s.asset_out, s.min_out)


def _find_pending(where: str, prefix: str, obs: Observation) -> Transaction:
    prefix = prefix.lower().removeprefix("0x")
    mine = obs.agent
    found = [p for p in obs.visible() if p.tx.hash.hex().startswith(prefix)]
    if not found:
        raise InvalidOutput(
            f"{where}.tx: no pending transaction you can see starts with {prefix!r}"
        )
    if len(found) > 1:
        raise InvalidOutput(f"{where}.tx: {prefix!r} matches {len(found)} transactions; give more")
    pending: Pending = found[0]
    if pending.tx.sender == mine:
        raise InvalidOutput(f"{where}.tx: that is your own transaction; add it as a swap instead")
    return pending.tx


def to_device(
    decision: Decision,
    obs: Observation,
    account: Account,
    kinds: Sequence[Kind],
    market: Market,
    patience: int = 2,
) -> list[Action]:
    """Validate ``decision`` for this agent now and sign it; :class:`InvalidOutput` if not."""
    funds = _Funds(obs)
    nonce = obs.nonce
    txs: list[Action] = []
    commitments: list[Commitment] = []  # posted last: the device signs them with later nonces
    for k, action in enumerate(decision.actions):
        where = f"actions[{k}]"
        if action.type not in kinds:
            raise InvalidOutput(
                f"{where}.type: {action.type!r} is not available to you here "
                f"(you may use: {', '.join(kinds)})"
            )
        if isinstance(action, SwapOut):
            hop = _hop(where, action, market)
            funds.spend(where, hop.asset_in, hop.amount_in)
            txs.append(swap_tx(account, nonce, hop, obs, priority_fee=action.priority_fee))
            nonce += 1
        elif isinstance(action, BundleOut):
            items: list[Transaction] = []
            own = 0
            for j, item in enumerate(action.items):
                at = f"{where}.items[{j}]"
                if isinstance(item, PendingRef):
                    items.append(_find_pending(at, item.tx, obs))
                    continue
                hop = _hop(at, item, market)
                funds.spend(at, hop.asset_in, hop.amount_in)
                funds.receive(hop.asset_out, hop.min_out)
                items.append(swap_tx(account, nonce, hop, obs, priority_fee=item.priority_fee))
                nonce += 1
                own += 1
            if own == 0:
                raise InvalidOutput(f"{where}: a bundle needs at least one swap of your own")
            if len({tx.hash for tx in items}) != len(items):
                raise InvalidOutput(f"{where}: a bundle lists the same transaction twice")
            txs.append(Bundle(tuple(items), min_block=obs.number, max_block=obs.number))
        elif isinstance(action, IntentOut):
            context = intent_context(obs, market, patience)
            try:
                commitments.append(parse(action.text, context))
            except IntentError as exc:
                raise InvalidOutput(f"{where}.text: {exc}") from None
        else:
            assert isinstance(action, CommitOut)
            try:
                c = parse_commitment(action.commitment)
            except MalformedCommitment as exc:
                raise InvalidOutput(f"{where}.commitment.{exc.field}: {exc}") from None
            check_commitment(c, intent_context(obs, market, patience))
            commitments.append(c)
    labels = [c.label for c in commitments]
    if len(set(labels)) != len(labels):
        raise InvalidOutput("two commitments share a label; each needs its own")
    return [*txs, *commitments]
