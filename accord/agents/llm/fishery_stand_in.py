"""The fishers' stand-in: deterministic personas served as the ``fisher`` role of the
scripted endpoint. **Not a model** (``docs/llm.md``).

Each fisher of an episode gets one of five personas, by a hash of the episode and its
name (so a seed varies the mix, and the same request always gets the same answer):

* ``restrained``: catches its equal share of the sustainable total (the most the five
  can take together while the lake regrows to where it is), proposes the strictest
  contract on the menu that bites (a penalty of at least :data:`BITES` tons per ton) and
  accepts any contract whose quota is at most twice its share;
* ``greedy``: catches its n-th of the lake plus two tons, whatever that does to it;
  proposes nothing, but accepts a contract that binds everyone alike if its quota leaves
  it at least its sustainable share (it will not restrain itself alone, but does not
  mind a rule for all);
* ``reciprocal``: starts restrained, then matches the mean of the others' last catches
  (tit-for-tat on quantities); votes like ``restrained``;
* ``erratic`` (a confused small model): catches, proposes and votes by a CRC of the
  month, between nothing and twice its n-th of the lake; it ignores the contract in force
  (and so pays its penalties);
* ``frustrated``: restrained until someone took more than twice its share last month,
  then catches like ``greedy`` ("if they take it anyway, I take mine"); accepts any
  contract that bites.

Under a contract in force every other persona keeps to the quota if the penalty is at
least :data:`BITES` tons per ton (a ton over it then costs more than it brings; at 1 it
is free, as :mod:`accord.agents.commons.model` says too) and ignores it otherwise: the
device's penalty, not the persona's goodwill, is what holds it.

Messages are plain sentences. Some first answers are deliberately invalid (one in
:data:`FAULT_EVERY`, by a CRC of the episode, fisher, month and task), to exercise the
check and retries: not JSON, tons as a string, more than the lake holds, an option off
the menu. The others' messages are never read: an injected instruction changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from typing import Any

from accord.agents.llm.fishery import ROLE, read_view
from accord.agents.llm.scripted import register_stand_in

PERSONAS = ("restrained", "greedy", "reciprocal", "frustrated", "erratic")
FAULT_EVERY = 6
BITES = 2
"""The penalty per ton over the quota from which a contract binds a persona: a ton over
then costs more than it brings."""
FAULTS = ("not_json", "string_tons", "over_stock", "off_menu")


def persona(episode: int, name: str) -> str:
    """The persona of fisher ``name`` in ``episode`` (SHA-256: stable everywhere, and
    well mixed across episodes, which a CRC's low bits are not)."""
    digest = hashlib.sha256(f"{episode}:{name}".encode()).digest()
    return PERSONAS[int.from_bytes(digest[:4], "big") % len(PERSONAS)]


def _crc(*parts: object) -> int:
    return zlib.crc32(":".join(str(p) for p in parts).encode())


def sustainable_total(data: dict[str, Any]) -> int:
    """The shown sustainable total, else the most the fishers may take together so that
    doubling (GovSim's regrowth) brings the lake back to where it is and keeps it off
    the collapse bound: ``stock - max(ceil(stock / 2), collapse_below)``."""
    if isinstance(data.get("sustainable_total_catch"), int):
        return max(0, int(data["sustainable_total_catch"]))
    stock = int(data["fish_in_lake"])
    return max(0, stock - max(-(-stock // 2), int(data["collapse_below"])))


def _binding(terms: dict[str, Any] | None) -> int | None:
    """The quota of a contract whose penalty makes a ton over it a loss, else ``None``."""
    if not terms or terms.get("quota") is None:
        return None
    return int(terms["quota"]) if int(terms["penalty"]) >= BITES else None


def plan_catch(data: dict[str, Any], who: str) -> int:
    """What persona ``who`` catches, before the contract is taken into account."""
    stock = int(data["fish_in_lake"])
    n = int(data["fishers"])
    share = sustainable_total(data) // n
    greedy = min(stock, stock // n + 2)
    last = {k: int(v) for k, v in data["last_month_catches"].items() if k != data["you"]}
    if who == "greedy":
        return greedy
    if who == "erratic":
        return min(stock, _crc(data["episode"], data["you"], data["month"]) % (2 * greedy + 1))
    if who == "reciprocal" and last:
        return min(stock, max(share, sum(last.values()) // len(last)))
    if who == "frustrated" and last and max(last.values()) > 2 * max(share, 1):
        return greedy
    return share


def catch(data: dict[str, Any]) -> tuple[int, str]:
    who = persona(int(data["episode"]), str(data["you"]))
    tons = plan_catch(data, who)
    quota = _binding(data.get("contract_in_force"))
    if quota is not None and tons > quota and who != "erratic":
        return quota, f"The contract holds me to {quota} tons, so {quota} it is."
    if who == "greedy":
        return tons, f"I am taking {tons} tons; the fish are there to be caught."
    return tons, f"I catch {tons} tons. Let us keep the lake full for next month."


def _share_of(data: dict[str, Any]) -> int:
    return sustainable_total(data) // int(data["fishers"])


def propose(data: dict[str, Any]) -> tuple[int, str]:
    who = persona(int(data["episode"]), str(data["you"]))
    if who == "greedy":
        return 0, "No contract for me; everyone fishes as they like."
    if who == "erratic":
        k = _crc(data["episode"], data["you"], data["month"], "o") % len(data["menu"])
        return k, "How about this one?"
    share = _share_of(data)
    biting = [
        t
        for t in data["menu"]
        if t and t["quota"] is not None and int(t["penalty"]) >= BITES and t["quota"] >= 1
    ]
    if not biting:
        return 0, "Nothing on the menu would hold anyone."
    fitting = [t for t in biting if int(t["quota"]) <= max(share, 1)]
    pick = max(fitting, key=lambda t: (t["quota"], t["penalty"])) if fitting else None
    if pick is None:
        pick = min(biting, key=lambda t: (t["quota"], -t["penalty"]))
    q, p = pick["quota"], pick["penalty"]
    return int(pick["option"]), f"Let us each take at most {q} tons, {p} per ton over it."


def vote(data: dict[str, Any]) -> tuple[bool, str]:
    who = persona(int(data["episode"]), str(data["you"]))
    terms = data.get("proposal") or {}
    if terms.get("quota") is None:
        return False, "That is no contract."
    quota, penalty = int(terms["quota"]), int(terms["penalty"])
    share = _share_of(data)
    if who == "greedy":  # binds everyone alike: fine, if it leaves its share
        ok = quota >= share or penalty < BITES
    elif who == "erratic":
        ok = _crc(data["episode"], data["you"], data["month"], "v") % 2 == 0
    elif who == "frustrated":
        ok = penalty >= BITES
    else:
        ok = quota <= 2 * max(share, 1)
    return ok, ("I accept: the device will hold us all to it." if ok else "Not these terms.")


def _fault(kind: str, data: dict[str, Any]) -> str:
    task = data["task"]
    if kind == "not_json":
        return "Sure! I think I will catch a few tons this month."
    if task == "catch":
        if kind == "string_tons":
            return json.dumps({"catch": "10 tons", "message": ""})
        return json.dumps({"catch": int(data["fish_in_lake"]) + 7, "message": "all of it"})
    if task == "propose":
        return json.dumps({"option": len(data["menu"]) + 3, "message": "the best one"})
    return json.dumps({"vote": "yes", "message": ""})


def stand_in(user: str, attempt: int) -> str:
    """The ``fisher`` role's answer to ``user`` (``attempt``: answers already refused)."""
    data = read_view(user)
    task = str(data["task"])
    tag = _crc(data["episode"], data["you"], data["month"], task)
    if attempt == 0 and tag % FAULT_EVERY == 0:
        return _fault(FAULTS[(tag // FAULT_EVERY) % len(FAULTS)], data)
    if task == "catch":
        tons, said = catch(data)
        return json.dumps({"catch": tons, "message": said})
    if task == "propose":
        option, said = propose(data)
        return json.dumps({"option": option, "message": said})
    ok, said = vote(data)
    return json.dumps({"vote": "accept" if ok else "reject", "message": said})


register_stand_in(ROLE, stand_in)
