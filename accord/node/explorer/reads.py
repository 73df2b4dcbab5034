"""The explorer's read-only methods: what the node's other reads do not list.

Each is a JSON-RPC method like those of :mod:`accord.node.reads` (strict pydantic params,
registered in :data:`accord.node.methods.METHODS`, described by ``accord_schema``). Every
one builds at most ``limit`` rows, ``limit`` at most :data:`MAX_LIMIT`: lists are slices
of the :class:`~accord.node.explorer.index.ExplorerIndex`'s append-only lists, or pages of
one of the device's own tables (``itertools.islice`` over a dict, which skips ``offset``
entries, at most :data:`MAX_SKIP`); nothing sorts or scans the chain per
request, and the only contract code run is views metered by the device's ``VIEW_GAS``.
Nothing here writes: state, mempool and journal are untouched (tested).

* ``accord_listAccounts``, ``accord_getBalances``, ``accord_getAccountTransactions``;
* ``accord_listContracts``, ``accord_getStorage`` (a contract's ``Var`` slots and one
  ``Map``'s entries, paged);
* ``accord_listCommitments`` (``pending``, ``fired`` or ``expired``);
* ``accord_listAgents``, ``accord_getAgent`` (ERC-8004: identity, reputation,
  validations).
"""

from __future__ import annotations

from itertools import islice
from typing import Any, Literal

from pydantic import Field

from accord.node.explorer.index import ExplorerIndex, Outcome, index_of
from accord.node.reads import Name, Params, value
from accord.node.rpc import INVALID_PARAMS, Method, RpcError

MAX_LIMIT = 100
"""The most rows one call answers."""
MAX_SKIP = 10_000
"""The largest ``offset`` into a table that is paged by skipping (a contract's map, the
assets, the pending commitments): skipping a million dict entries takes about 30 ms
here, so an unbounded offset would let one cheap request cost that much."""
MAX_REGISTRIES = 16
"""The most bound reputation or validation registries one ``accord_getAgent`` reads."""

Offset = Field(0, ge=0, le=1 << 62)
Limit = Field(20, ge=1, le=MAX_LIMIT)


class PageParams(Params):
    offset: int = Offset
    limit: int = Limit


class AccountPageParams(Params):
    account: str = Name
    offset: int = Offset
    limit: int = Limit


class StorageParams(Params):
    address: str = Name
    map: str | None = Field(None, min_length=1, max_length=200)
    """Which ``Map`` to page through; none: the ``Var`` slots and each map's size only."""
    offset: int = Offset
    limit: int = Limit


class CommitmentsParams(Params):
    status: Literal["pending", "fired", "expired"] = "pending"
    offset: int = Offset
    limit: int = Limit


class AgentsParams(Params):
    registry: str | None = Field(None, min_length=1, max_length=200)
    """An identity registry's address; none: the first one deployed."""
    offset: int = Offset
    limit: int = Limit


class AgentParams(Params):
    registry: str = Name
    agentId: int = Field(ge=0, le=1 << 62)  # (the standard's name)
    limit: int = Limit
    """The most feedback rows and validation requests shown (each)."""


def _page(items: list[Any], p: Any) -> list[Any]:
    """Newest first: ``offset`` counts back from the newest."""
    end = max(len(items) - p.offset, 0)
    return items[max(end - p.limit, 0) : end][::-1]


def _bad(message: str) -> RpcError:
    return RpcError(INVALID_PARAMS, f"invalid params: {message}")


def _skipped(table: dict[Any, Any], p: Any) -> islice[Any]:
    """One page of ``table``'s items, in insertion order; ``offset`` at most
    :data:`MAX_SKIP`."""
    if p.offset > MAX_SKIP:
        raise _bad(f"offset: at most {MAX_SKIP} in this table, got {p.offset}")
    return islice(table.items(), p.offset, p.offset + p.limit)


# -- accounts -----------------------------------------------------------------------------
def list_accounts(s: Any, p: PageParams) -> dict[str, Any]:
    """Accounts by name (as of now), each with its nonce and fee-asset balance."""
    device = s.node.device
    names = index_of(s.node).accounts()
    fee = device.config.fee_asset
    rows = [
        {"address": n, "nonce": device.nonce(n), "balance": device.balance(n, fee)}
        for n in names[p.offset : p.offset + p.limit]
    ]
    return {"total": len(names), "fee_asset": fee, "accounts": rows}


def get_balances(s: Any, p: AccountPageParams) -> dict[str, Any]:
    """The account's free balance of each asset the device has (in creation order)."""
    device = s.node.device
    supply = device.ledger.supply
    assets = [asset for asset, _ in _skipped(supply, p)]
    return {
        "account": p.account,
        "total": len(supply),
        "balances": [[a, device.balance(p.account, a)] for a in assets],
    }


def account_transactions(s: Any, p: AccountPageParams) -> dict[str, Any]:
    """The hashes of the account's included transactions, newest first."""
    hashes = index_of(s.node).by_sender.get(p.account, [])
    return {"account": p.account, "total": len(hashes), "transactions": _page(hashes, p)}


# -- contracts ----------------------------------------------------------------------------
def list_contracts(s: Any, p: PageParams) -> dict[str, Any]:
    """Deployed contracts, oldest first: address and ``module:Class``."""
    rows = index_of(s.node).contracts
    return {
        "total": len(rows),
        "contracts": [{"address": a, "class": c} for a, c in rows[p.offset : p.offset + p.limit]],
    }


def get_storage(s: Any, p: StorageParams) -> dict[str, Any] | None:
    """A contract's storage: its ``Var`` slots, each ``Map``'s size and, with ``map``,
    one page of that map's entries, in the order they were written (a slot cleared and
    set again comes last). Null for an address with no contract."""
    contract = s.node.device.contracts.get(p.address)
    if contract is None:
        return None
    maps = {name: contract.__dict__[name]._data for name in sorted(contract._maps)}
    out: dict[str, Any] = {
        "address": p.address,
        "class": type(contract).class_path(),
        "vars": {name: value(v) for name, v in sorted(contract._vars.items())},
        "maps": {name: len(data) for name, data in maps.items()},
    }
    if p.map is not None:
        data = maps.get(p.map)
        if data is None:
            raise _bad(f"map: {type(contract).__name__} has no map {p.map[:100]!r}")
        entries = _skipped(data, p)
        out["map"] = p.map
        out["total"] = len(data)
        out["entries"] = [[value(k), value(v)] for k, v in entries]
    return out


# -- commitments --------------------------------------------------------------------------
def _outcome(o: Outcome, index: ExplorerIndex) -> dict[str, Any]:
    return {
        "id": o.id,
        "block_number": o.block_number,
        "status": o.status,
        "error": o.error,
        "culprit": o.culprit,
        "posted_tx": index.posted.get(o.id),
    }


def list_commitments(s: Any, p: CommitmentsParams) -> dict[str, Any]:
    """Pending commitments (posting order: the documents), or what resolution did with
    those that fired or expired (newest first)."""
    index = index_of(s.node)
    if p.status == "pending":
        entries = s.node.device.registry.__dict__["entries"]._data
        rows = []
        for commitment_id, (seq, document) in _skipped(entries, p):
            rows.append(
                {
                    "id": commitment_id,
                    "seq": seq,
                    "document": document,
                    "posted_tx": index.posted.get(commitment_id),
                }
            )
        return {"status": "pending", "total": len(entries), "commitments": rows}
    outcomes = index.fired if p.status == "fired" else index.expired
    return {
        "status": p.status,
        "total": len(outcomes),
        "commitments": [_outcome(o, index) for o in _page(outcomes, p)],
    }


# -- ERC-8004 agents ----------------------------------------------------------------------
def _raw(contract: Any, name: str) -> dict[Any, Any]:
    data: dict[Any, Any] = contract.__dict__[name]._data
    return data


def _view(s: Any, address: str, method: str, *args: object) -> Any:
    """A view's JSON result, or None when it reverts or runs out of ``VIEW_GAS``."""
    try:
        return value(s.node.device.view(address, method, *args))
    except Exception:  # a revert or OutOfGas: the explorer shows "unknown"
        return None


def _identity(s: Any, registry: str) -> Any:
    index = index_of(s.node)
    if registry not in index.identities:
        raise _bad(f"registry: no ERC-8004 identity registry at {registry[:100]!r}")
    return s.node.device.contracts[registry]


def list_agents(s: Any, p: AgentsParams) -> dict[str, Any]:
    """An identity registry's agents by id (owner, URI, wallet), and every identity
    registry with the reputation and validation registries bound to it."""
    index = index_of(s.node)
    registries = [
        {
            "identity": a,
            "reputation": index.reputations.get(a, [])[:MAX_REGISTRIES],
            "validation": index.validations.get(a, [])[:MAX_REGISTRIES],
        }
        for a in index.identities[:MAX_LIMIT]
    ]
    out: dict[str, Any] = {"registries": registries, "registries_total": len(index.identities)}
    address = p.registry or (index.identities[0] if index.identities else None)
    if address is None:
        return {**out, "registry": None, "total": 0, "agents": []}
    contract = _identity(s, address)
    total = contract._vars.get("next_id", 0)
    owners, uris, wallets = (
        _raw(contract, "owners"),
        _raw(contract, "uris"),
        _raw(contract, "wallets"),
    )
    agents = [
        {
            "agentId": i,
            "owner": owners.get(i, ""),
            "uri": uris.get(i, ""),
            "wallet": wallets.get(i, ""),
        }
        for i in range(p.offset, min(p.offset + p.limit, total))
    ]
    return {**out, "registry": address, "total": total, "agents": agents}


def _reputation(s: Any, address: str, agent: int, limit: int) -> dict[str, Any]:
    contract = s.node.device.contracts[address]
    count = _raw(contract, "client_count").get(agent, 0)
    client_at, last = _raw(contract, "client_at"), _raw(contract, "last_index")
    feedback = _raw(contract, "feedback")
    clients = [client_at.get((agent, i), "") for i in range(min(count, 64))]
    rows: list[dict[str, Any]] = []
    for client in clients:
        for i in range(1, last.get((agent, client), 0) + 1):
            if len(rows) >= limit:
                break
            entry = feedback.get((agent, client, i))
            if entry is None:
                continue
            v, decimals, tag1, tag2, revoked = entry
            rows.append(
                {
                    "client": client,
                    "index": i,
                    "value": v,
                    "valueDecimals": decimals,
                    "tag1": tag1,
                    "tag2": tag2,
                    "revoked": revoked,
                }
            )
    summary = _view(s, address, "getSummary", agent, tuple(clients), "", "") if clients else None
    return {
        "address": address,
        "clients_total": count,
        "summary": summary,
        "feedback": rows,
    }


def _validation(s: Any, address: str, agent: int, limit: int) -> dict[str, Any]:
    contract = s.node.device.contracts[address]
    count = _raw(contract, "agent_count").get(agent, 0)
    agent_at, requests = _raw(contract, "agent_at"), _raw(contract, "requests")
    rows = []
    for i in range(min(count, limit)):
        request_hash = agent_at.get((agent, i), b"")
        status = requests.get(request_hash)
        if status is None:  # never so in a registry's storage; skipped, not a -32603
            continue
        validator, _, response, response_hash, tag, updated, answered = status
        rows.append(
            {
                "requestHash": request_hash.hex(),
                "validator": validator,
                "response": response if answered else None,
                "responseHash": response_hash.hex(),
                "tag": tag,
                "lastUpdate": updated,
            }
        )
    return {
        "address": address,
        "total": count,
        "summary": _view(s, address, "getSummary", agent, (), ""),
        "requests": rows,
    }


def get_agent(s: Any, p: AgentParams) -> dict[str, Any] | None:
    """One agent: owner, URI, wallet, and per bound registry its feedback (with the
    standard's ``getSummary`` over its first 64 clients) and validation requests.
    Null for an id never registered."""
    contract = _identity(s, p.registry)
    owner = _raw(contract, "owners").get(p.agentId, "")
    if not owner:
        return None
    index = index_of(s.node)
    return {
        "registry": p.registry,
        "agentId": p.agentId,
        "owner": owner,
        "uri": _raw(contract, "uris").get(p.agentId, ""),
        "wallet": _raw(contract, "wallets").get(p.agentId, ""),
        "reputation": [
            _reputation(s, a, p.agentId, p.limit)
            for a in index.reputations.get(p.registry, [])[:MAX_REGISTRIES]
        ],
        "validation": [
            _validation(s, a, p.agentId, p.limit)
            for a in index.validations.get(p.registry, [])[:MAX_REGISTRIES]
        ],
    }


EXPLORER_METHODS: dict[str, Method] = {
    "accord_listAccounts": Method(
        PageParams, list_accounts, "Accounts by name with nonce and fee-asset balance, paged."
    ),
    "accord_getBalances": Method(
        AccountPageParams, get_balances, "An account's free balance of each asset, paged."
    ),
    "accord_getAccountTransactions": Method(
        AccountPageParams,
        account_transactions,
        "Hashes of an account's included transactions, newest first, paged.",
    ),
    "accord_listContracts": Method(
        PageParams, list_contracts, "Deployed contracts (address, class), oldest first, paged."
    ),
    "accord_getStorage": Method(
        StorageParams,
        get_storage,
        "A contract's Var slots, its maps' sizes and one map's entries, paged; or null.",
    ),
    "accord_listCommitments": Method(
        CommitmentsParams,
        list_commitments,
        "Commitments pending (documents), or fired or expired (outcomes, newest first), paged.",
    ),
    "accord_listAgents": Method(
        AgentsParams,
        list_agents,
        "ERC-8004 registries, and one identity registry's agents by id, paged.",
    ),
    "accord_getAgent": Method(
        AgentParams,
        get_agent,
        "An ERC-8004 agent: owner, URI, wallet, feedback and validations; or null.",
    ),
}
