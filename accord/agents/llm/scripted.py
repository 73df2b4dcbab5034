"""The scripted stand-in: a deterministic policy served as an OpenAI chat endpoint.

**This is not a foundation model.** No model can be run or downloaded where accord is
built, so the shipped recordings (``examples/llm/``) and the test fixtures were produced
by this hand-written policy, answering over the real chat-completions protocol through
the real ``openai`` client (an in-process HTTP transport, no network). It exists so that
every piece of the LLM pipeline (prompting, structured output, validation, retries,
budgets, record/replay, the games' accounting) runs end to end and is tested; the
numbers it produces measure the *device* against a known policy, not what a real model
would do. ``docs/llm.md`` says how to re-record the same scenario against a real model.

The policy reads the observation JSON the prompt carries (:mod:`.prompt`):

* **trader**: takes the best quote among the pools shown; with ``intent`` allowed it
  states a limit ``intent_slippage_bps`` below the quote, otherwise it sends a plain
  swap with a ``naive_slippage_bps`` tolerance ("so that it goes through"), the vanilla
  wallet behaviour sandwich bots feed on;
* **searcher**: sizes the best sandwich of every readable pending swap (or pending
  commitment that swaps) with :func:`accord.agents.defi.searchers.best_sandwich` and
  sends ``[front, victim, back]`` as a bundle; it attacks whatever it can read, whatever
  the ordering rule, as a naive agent would;
* **intent-compiler**: a small table of sentence shapes; anything else is refused;
* any other role a game's vocabulary registered with :func:`register_stand_in` (e.g.
  ``adjudicator``, :mod:`accord.agents.arbitration.vocabulary`): that vocabulary's own
  stand-in answers.

To exercise the retry path, some first answers are deliberately invalid (one in ``fault_every``,
by a CRC of the role and block number, so the same request always gets the same answer): not JSON, a
schema violation, or a well-formed answer naming a pool or transaction that does not
exist. ``always_invalid`` answers nothing valid at all (for the give-up tests).
Usage is counted as ``ceil(characters / 4)`` for the prompt and the answer.
"""

from __future__ import annotations

import importlib
import json
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from accord.agents.defi.searchers import best_sandwich
from accord.agents.llm.prompt import read_observation
from accord.mechanisms import cfmm

FAULT_KINDS = ("not_json", "schema", "semantic")

StandInRole = Callable[[str, int], str]
"""A game vocabulary's stand-in for one role: ``(user message, attempt) -> answer text``
(``attempt`` counts the answers already rejected in this conversation)."""

STAND_IN_ROLES: dict[str, StandInRole] = {}
"""Stand-ins of roles outside the DeFi game, by the role named on the system prompt's
first line (``ROLE: <role>``). A game's vocabulary registers its own with
:func:`register_stand_in` beside the DeFi one (``docs/llm.md``, "A game's vocabulary"),
so that ``base_url = "scripted"`` serves every game through the one endpoint."""


def register_stand_in(role: str, answer: StandInRole) -> None:
    """Serve ``role`` with ``answer`` (a deterministic function: a recording must
    replay). Registering another function under a taken role is an error."""
    if role in ("trader", "searcher", "intent-compiler"):
        raise ValueError(f"role {role!r} is the DeFi stand-in's own")
    known = STAND_IN_ROLES.get(role)
    if known is not None and known is not answer:
        raise ValueError(f"a different stand-in is already registered for role {role!r}")
    STAND_IN_ROLES[role] = answer


def _tokens(text: str) -> int:
    return -(-len(text) // 4)


@dataclass(frozen=True)
class ScriptedPolicy:
    """The stand-in's knobs (the defaults are what the shipped recordings used)."""

    naive_slippage_bps: int = 300
    intent_slippage_bps: int = 50
    searcher_tip: int = 5
    fault_every: int = 3
    always_invalid: bool = False

    # -- dispatch ------------------------------------------------------------------------
    def answer(self, request: dict[str, Any]) -> str:
        messages = request.get("messages") or []
        system = next((m["content"] for m in messages if m.get("role") == "system"), "")
        user = next((m["content"] for m in messages if m.get("role") == "user"), "")
        attempt = sum(1 for m in messages if m.get("role") == "assistant")
        role = system.split("\n", 1)[0].removeprefix("ROLE: ").strip()
        if role in STAND_IN_ROLES:
            return STAND_IN_ROLES[role](user, attempt)
        data = read_observation(user)
        if role == "intent-compiler":
            return self._intent(data, attempt)
        block = int(data.get("block", 0))
        if self.always_invalid:
            return self._fault(FAULT_KINDS[attempt % 3], data)
        tag = zlib.crc32(f"{role}:{block}".encode())
        if attempt == 0 and self.fault_every and tag % self.fault_every == 0:
            return self._fault(FAULT_KINDS[(tag // self.fault_every) % 3], data)
        if role == "trader":
            return self._trader(data)
        if role == "searcher":
            return self._searcher(data)
        return json.dumps({"actions": [], "note": f"unknown role {role!r}"})

    # -- roles ---------------------------------------------------------------------------
    def _trader(self, data: dict[str, Any]) -> str:
        need = data["need"]
        quotes: dict[str, int] = need["quotes_now"]
        if not quotes:
            return json.dumps({"actions": [], "note": "no pool trades this pair"})
        pool = max(sorted(quotes), key=lambda a: quotes[a])
        quote = quotes[pool]
        if "intent" in data["allowed_actions"]:
            floor = quote * (10_000 - self.intent_slippage_bps) // 10_000
            text = f"sell {need['amount']} {need['sell']} for at least {floor} {need['buy']}"
            action: dict[str, Any] = {"type": "intent", "text": text}
            note = "a limit intent just under today's quote"
        else:
            action = {
                "type": "swap",
                "pool": pool,
                "asset_in": need["sell"],
                "amount_in": need["amount"],
                "asset_out": need["buy"],
                "min_out": quote * (10_000 - self.naive_slippage_bps) // 10_000,
                "priority_fee": 2,
            }
            note = "swap on the best pool with 3% slippage so that it goes through"
        return json.dumps({"actions": [action], "note": note})

    def _victims(self, data: dict[str, Any]) -> list[tuple[str, str, str, int, int]]:
        """Readable pending swaps of others: ``(tx, pool, asset_in, amount, min_out)``."""
        pools = {p["address"] for p in data["pools"]}
        out = []
        for p in data["pending"]:
            if p["from"] == "you":
                continue
            if p["method"] == "swap" and p["to"] in pools and len(p["args"]) >= 3:
                out.append((p["tx"], p["to"], p["args"][0], p["args"][1], p["args"][2]))
            elif p["method"] == "post" and p["args"] and isinstance(p["args"][0], dict):
                for a in p["args"][0].get("actions", []):
                    if a.get("method") == "swap" and a.get("to") in pools:
                        args = a["args"]
                        out.append((p["tx"], a["to"], args[0], args[1], args[2]))
        return out

    def _searcher(self, data: dict[str, Any]) -> str:
        pools = {p["address"]: p for p in data["pools"]}
        best: tuple[float, dict[str, Any]] | None = None
        for tx, address, asset_in, amount, min_out in self._victims(data):
            p = pools[address]
            tokens = tuple(p["tokens"])
            if asset_in not in tokens or len(tokens) != 2:
                continue
            curve: cfmm.ProductPool | cfmm.WeightedPool
            if "weights" in p:
                curve = cfmm.WeightedPool(
                    tuple(p["reserves"]), tuple(p["weights"]), p["fee_bps"], tokens
                )
            else:
                curve = cfmm.ProductPool(tuple(p["reserves"]), p["fee_bps"], tokens)
            i = tokens.index(asset_in)
            j = 1 - i
            budget = int(data["balances"].get(asset_in, 0))
            sw = best_sandwich(curve, i, j, amount, min_out, budget)
            if sw is None:
                continue
            score = sw.profit / sw.front_in
            a, b = tokens[i], tokens[j]
            bundle = {
                "type": "bundle",
                "items": [
                    _swap(address, a, sw.front_in, b, sw.front_out, self.searcher_tip),
                    {"type": "pending", "tx": tx},
                    _swap(address, b, sw.front_out, a, sw.front_in + 1, self.searcher_tip),
                ],
            }
            if best is None or score > best[0]:
                best = (score, bundle)
        if best is None:
            return json.dumps({"actions": [], "note": "nothing worth sandwiching"})
        return json.dumps({"actions": [best[1]], "note": "sandwich the most profitable swap"})

    def _intent(self, data: dict[str, Any], attempt: int) -> str:
        sentence = " ".join(str(data["sentence"]).split()).rstrip(".")
        owner, expiry = data["owner"], int(data["default_expiry"])
        if self.always_invalid:
            return "I think you want to pay someone."
        m = re.fullmatch(
            r"pay (\w+) (\d+) (\w+) (?:once|when|after) block (\d+)(?: arrives| is reached)?",
            sentence,
            re.IGNORECASE,
        )
        if m is not None:
            to, amount, asset, at = m.group(1), int(m.group(2)), m.group(3), int(m.group(4))
            shown: Any = f"{amount} {asset}" if attempt == 0 else amount  # first try: invalid
            doc = {
                "owner": owner,
                "label": f"pay-{to}-at-{at}",
                "expiry": max(expiry, at),
                "condition": {"op": "block", "cmp": ">=", "value": at},
                "actions": [{"kind": "transfer", "asset": asset, "to": to, "amount": shown}],
            }
            return json.dumps({"commitment": doc, "refusal": None})
        m = re.fullmatch(
            r"give (\w+) (\d+) (\w+) if my (\w+) balance is (?:above|over|more than) (\d+)",
            sentence,
            re.IGNORECASE,
        )
        if m is not None:
            to, given, asset, watch, level = m.groups()
            doc = {
                "owner": owner,
                "label": f"give-{to}",
                "expiry": expiry,
                "condition": {
                    "op": "balance",
                    "account": "$self",
                    "asset": watch,
                    "cmp": ">",
                    "value": int(level),
                },
                "actions": [{"kind": "transfer", "asset": asset, "to": to, "amount": int(given)}],
            }
            return json.dumps({"commitment": doc, "refusal": None})
        return json.dumps(
            {
                "commitment": None,
                "refusal": "I cannot tell which assets, amounts and conditions you mean",
            }
        )

    # -- deliberate faults ---------------------------------------------------------------
    def _fault(self, kind: str, data: dict[str, Any]) -> str:
        if kind == "not_json":
            return "Sure! I will take care of that trade for you right away."
        need = data.get("need") or {"sell": "A", "buy": "B", "amount": 1}
        if kind == "schema":
            swap = {
                "type": "swap",
                "pool": data["pools"][0]["address"] if data.get("pools") else "pool",
                "asset_in": need["sell"],
                "amount_in": f"{need['amount']} {need['sell']}",
                "asset_out": need["buy"],
                "min_out": 0,
            }
            return json.dumps({"actions": [swap], "note": "amount with its unit"})
        if data.get("role") == "searcher":
            bogus = {"type": "pending", "tx": "deadbeefdeadbeef"}
            pool = data["pools"][0]
            items = [_swap(pool["address"], pool["tokens"][0], 1, pool["tokens"][1], 0, 0), bogus]
            return json.dumps({"actions": [{"type": "bundle", "items": items}], "note": ""})
        swap = {
            "type": "swap",
            "pool": "pool-that-does-not-exist",
            "asset_in": need["sell"],
            "amount_in": need["amount"],
            "asset_out": need["buy"],
            "min_out": 0,
        }
        return json.dumps({"actions": [swap], "note": "a pool I remember"})


def _swap(pool: str, a: str, amount: int, b: str, min_out: int, tip: int) -> dict[str, Any]:
    return {
        "type": "swap",
        "pool": pool,
        "asset_in": a,
        "amount_in": amount,
        "asset_out": b,
        "min_out": min_out,
        "priority_fee": tip,
    }


def completion(request: dict[str, Any], policy: ScriptedPolicy) -> dict[str, Any]:
    """The chat-completion object the stand-in answers ``request`` with."""
    text = policy.answer(request)
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if request.get("tools"):
        name = request["tools"][0]["function"]["name"]
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_0", "type": "function", "function": {"name": name, "arguments": text}}
            ],
        }
    prompt = json.dumps(request.get("messages", []), sort_keys=True)
    usage = {"prompt_tokens": _tokens(prompt), "completion_tokens": _tokens(text)}
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    return {
        "id": "scripted",
        "object": "chat.completion",
        "created": 0,
        "model": request.get("model", ""),
        "system_fingerprint": "accord-scripted-stand-in",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if request.get("tools") else "stop",
            }
        ],
        "usage": usage,
    }


def http_module() -> ModuleType:
    """The HTTP library the installed ``openai`` client is built on (httpx or httpx2)."""
    base = importlib.import_module("openai._base_client")
    for name in ("httpx2", "httpx"):
        module = getattr(base, name, None)
        if isinstance(module, ModuleType):
            return module
    return importlib.import_module("httpx")


def stand_in_http_client(policy: ScriptedPolicy | None = None) -> Any:
    """An HTTP client whose transport answers chat completions in-process, no network."""
    http = http_module()
    chosen = policy or ScriptedPolicy()

    def handle(request: Any) -> Any:
        if not str(request.url).endswith("/chat/completions"):
            return http.Response(404, json={"error": {"message": "only /chat/completions"}})
        body = json.loads(request.content)
        return http.Response(200, json=completion(body, chosen))

    return http.Client(transport=http.MockTransport(handle))
