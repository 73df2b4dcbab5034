"""Reads an agent or a game makes on an embedded device that the node's first methods
lacked: an asset's supply, a lock, and what commitment resolution did in each block.

With ``accord_getLogs``, ``accord_listAccounts`` (the explorer's) and the device config
in ``accord_nodeInfo``, they let :class:`~accord.client.RemoteDevice` answer
``supply``, ``locked``, ``resolutions``, ``logs``, ``accounts`` and ``latency`` as the
embedded :class:`~accord.device.Device` does (``tests/client/test_remote_reads.py``
compares the two).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from accord.device.commitments.resolver import GroupOutcome, Resolution
from accord.node.reads import Name, Params
from accord.node.rpc import Method


class SupplyParams(Params):
    asset: str = Name


class LockedParams(Params):
    owner: str = Name
    asset: str = Name
    holder: str = Name


class ResolutionsParams(Params):
    from_block: int = Field(0, ge=0)


def get_supply(s: Any, p: SupplyParams) -> int:
    """An asset's total supply (0 for an unknown asset), as ``Device.supply``."""
    supply: int = s.node.device.supply(p.asset)
    return supply


def get_locked(s: Any, p: LockedParams) -> int:
    """What ``owner`` has locked of ``asset`` under ``holder``, as ``Device.locked``."""
    locked: int = s.node.device.locked(p.owner, p.asset, p.holder)
    return locked


def group_json(g: GroupOutcome) -> dict[str, Any]:
    return {"members": list(g.members), "ok": g.ok, "error": g.error, "culprit": g.culprit}


def resolution_json(r: Resolution) -> dict[str, Any]:
    return {
        "number": r.number,
        "pending": r.pending,
        "fired": list(r.fired),
        "groups": [group_json(g) for g in r.groups],
        "expired": [group_json(g) for g in r.expired],
        "worlds": r.worlds,
        "exhausted": r.exhausted,
        "work": r.work,
    }


def get_resolutions(s: Any, p: ResolutionsParams) -> list[dict[str, Any]]:
    """What commitment resolution did in each block from ``from_block`` on (the blocks
    with pending commitments), as ``Device.resolutions`` keeps it: the last 1,024, or
    the device's ``history``; which fired, which groups settled or failed, which expired."""
    return [resolution_json(r) for r in s.node.device.resolutions if r.number >= p.from_block]


METHODS: dict[str, Method] = {
    "accord_getSupply": Method(SupplyParams, get_supply, "An asset's total supply."),
    "accord_getLocked": Method(
        LockedParams, get_locked, "What an owner has locked of an asset under a holder."
    ),
    "accord_getResolutions": Method(
        ResolutionsParams,
        get_resolutions,
        "What commitment resolution did per block (fired, settled or failed groups, "
        "expired), from a block on, as the device keeps it.",
    ),
}
