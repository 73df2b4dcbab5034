"""An observation, rendered into a prompt: only what the agent may see.

The prompt is built from the :class:`~accord.agents.base.Observation` alone, which the
run already filtered by the mempool's visibility: under ``public`` the agent reads every
pending transaction, under ``private`` only its own, and under ``sealed`` everyone
else's are envelopes (sender, nonce, fees; no target, method or arguments), which the
prompt shows only as a count. Its private information (a trade need) is the agent's
own. Reference prices, other agents' needs and anything else the run knows are not in
the observation, so they cannot leak into the prompt.

The observation goes into the user message as one JSON object between markers, so that
a model reads exact integers (no rounding in prose) and a scripted stand-in can parse
it back.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from typing import Any

from accord.agents.base import Observation
from accord.agents.defi import Market, TradeNeed
from accord.agents.llm.actions import Kind
from accord.device import Pending, SealedTx

HASH_CHARS = 16
"""Hex characters of a transaction hash shown in a prompt (a unique prefix to refer by)."""

OPEN, CLOSE = "```json\n", "\n```"

ACTION_HELP: dict[str, str] = {
    "swap": '{"type": "swap", "pool", "asset_in", "amount_in", "asset_out", "min_out", '
    '"priority_fee"}: a swap sent to the mempool; it reverts if it would pay less than '
    "min_out.",
    "bundle": '{"type": "bundle", "items": [...]}: items are your own swaps (as above) and '
    '{"type": "pending", "tx": "<hash prefix>"} for a pending transaction you can see; '
    "the builder runs them in this order, all or nothing, in the next block only.",
    "intent": '{"type": "intent", "text": "sell 100 A for at least 150 B"}: the device '
    "compiles the sentence into a commitment that swaps at the end of a block, after "
    "every transaction, and only while the pool still quotes your minimum; it waits up "
    "to a few blocks for that. Forms: 'swap N X for Y', 'sell N X for at least M Y'.",
    "commit": '{"type": "commit", "commitment": {...}}: a commitment document in the '
    "device's language, owned by you.",
}

ROLE_TEXT = {
    "trader": (
        "You act for a user of a decentralised exchange. The user needs to sell the "
        "amount of one token given under 'need' for as much of another as possible. Do "
        "it now, in this block."
    ),
    "searcher": (
        "You are a searcher on a decentralised exchange. You profit by trading around "
        "other people's pending swaps that you can see. Doing nothing is a fine answer."
    ),
}


def _pool(p: Any) -> dict[str, Any]:
    c = p.curve
    out: dict[str, Any] = {
        "address": p.address,
        "tokens": list(c.tokens),
        "reserves": list(c.reserves),
        "fee_bps": c.fee_bps,
    }
    weights = getattr(c, "weights", None)
    if weights is not None:
        out["weights"] = list(weights)
    return out


def _pending(p: Pending, me: str) -> dict[str, Any]:
    tx = p.tx
    args: list[Any] = list(tx.args)
    if tx.method == "post" and args and isinstance(args[0], str):
        with contextlib.suppress(json.JSONDecodeError):
            args = [json.loads(args[0])]  # a commitment document: data anyone may read
    return {
        "tx": tx.hash.hex()[:HASH_CHARS],
        "from": "you" if tx.sender == me else tx.sender,
        "to": tx.to,
        "method": tx.method,
        "args": args,
        "value": dict(tx.value),
        "priority_fee": tx.priority_fee,
    }


def observation_data(
    obs: Observation, role: str, kinds: Sequence[Kind], market: Market
) -> dict[str, Any]:
    """The observation as plain data: public state, visible mempool, private info."""
    readable = [_pending(p, obs.agent) for p in obs.mempool if type(p) is Pending]
    sealed = sum(1 for p in obs.mempool if isinstance(p, SealedTx))
    data: dict[str, Any] = {
        "role": role,
        "you": obs.agent,
        "block": obs.number,
        "ordering": obs.ordering,
        "mempool_visibility": obs.visibility,
        "base_fee": obs.base_fee,
        "balances": dict(sorted(obs.balances.items())),
        "pools": [_pool(p) for p in market.pools],
        "pending": readable,
        "sealed_pending": sealed,
        "allowed_actions": list(kinds),
    }
    need = obs.private.get("need")
    if isinstance(need, TradeNeed):
        quotes = {}
        for p in market.pools:
            if need.sell in p.tokens and need.buy in p.tokens:
                c = p.curve
                quotes[p.address] = c.out_given_in(
                    c.index(need.sell), c.index(need.buy), need.amount
                )
        data["need"] = {
            "sell": need.sell,
            "buy": need.buy,
            "amount": need.amount,
            "quotes_now": quotes,
        }
    return data


def messages(
    obs: Observation, role: str, kinds: Sequence[Kind], market: Market
) -> list[dict[str, Any]]:
    """System and user messages for one decision."""
    help_lines = "\n".join(f"- {ACTION_HELP[k]}" for k in kinds)
    system = (
        f"ROLE: {role}\n{ROLE_TEXT[role]}\n"
        "Amounts are integers in base units. Answer with one JSON object "
        '{"actions": [...], "note": "<one short sentence>"}; the actions you may use:\n'
        f"{help_lines}"
    )
    data = observation_data(obs, role, kinds, market)
    user = "Observation:\n" + OPEN + json.dumps(data, sort_keys=True) + CLOSE
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def read_observation(text: str) -> dict[str, Any]:
    """The JSON object between the markers of a user message (for the stand-in)."""
    start = text.index(OPEN) + len(OPEN)
    end = text.index(CLOSE, start)
    data = json.loads(text[start:end])
    if not isinstance(data, dict):
        raise ValueError("the observation is not a JSON object")
    return data
