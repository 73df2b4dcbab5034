"""ERC-8004's Identity Registry: agents as ERC-721 tokens with a URI and metadata.

Follows the ERC-8004 draft ("Trustless Agents") as of its January 2026 update
(``ethereum/ERCs``, ``ERCS/erc-8004.md`` at commit ``2395308a``; "Identity Registry"):

* ``register(agentURI, metadata) -> agentId`` mints the next id, counting from **0**
  as the reference registry does (``_lastId++``), to the caller, and emits
  ``Transfer``, ``MetadataSet`` for the reserved ``agentWallet`` key (set to the
  owner), one ``MetadataSet`` per metadata entry and ``Registered(agentId, agentURI,
  owner)``. The standard's three overloads are one method with defaults here:
  ``register()``, ``register(agentURI)``, ``register(agentURI, metadata)``; metadata is
  a tuple of ``(metadataKey, metadataValue)`` pairs (``MetadataEntry[]``).
* ``setAgentURI`` (``URIUpdated``), ``getMetadata``/``setMetadata`` (``MetadataSet``),
  ``getAgentWallet``/``setAgentWallet``/``unsetAgentWallet`` (:mod:`.wallet`): the owner,
  an operator approved for all the owner's agents, or the agent's approved address may
  change an agent; ``agentWallet`` cannot be set through ``setMetadata`` or
  ``register``, and is cleared when the agent changes hands.
* The ERC-721 core the other registries and wallets need: ``ownerOf``, ``balanceOf``,
  ``tokenURI``, ``transferFrom``, ``approve``, ``setApprovalForAll``, ``getApproved``,
  ``isApprovedForAll``, plus ``isAuthorizedOrOwner(spender, agentId)`` (one call for the
  reputation and validation registries' "owner or operator" checks) and
  ``totalAgents``. There are no ``safeTransferFrom`` receiver hooks: an account name
  here cannot refuse a token.

Addresses are the device's account names and contract addresses; the bounds on every
string and list are in :mod:`.limits`. Nothing here moves money.
"""

from __future__ import annotations

from typing import Any

from accord.contracts.agents import limits as L
from accord.contracts.agents.wallet import MAX_DEADLINE_BLOCKS, WALLET_KEY, wallet_message
from accord.device import Context, Contract, Map, Revert, Var, public

Metadata = tuple[tuple[str, bytes], ...]


class IdentityRegistry(Contract):
    """Agents by id: owner, URI, metadata, wallet and ERC-721 approvals."""

    next_id: Var[int] = Var(0)
    owners: Map[str] = Map("")
    """agentId -> owner ("" = no such agent)."""
    uris: Map[str] = Map("")
    metadata: Map[bytes] = Map(b"")
    """(agentId, metadataKey) -> metadataValue."""
    wallets: Map[str] = Map("")
    """agentId -> agentWallet ("" = unset: the standard's zero address)."""
    wallet_nonces: Map[int] = Map(0)
    approvals: Map[str] = Map("")
    """agentId -> the one address approved for it (ERC-721 ``getApproved``)."""
    operators: Map[bool] = Map(False)
    """(owner, operator) -> approved for all the owner's agents."""
    balances: Map[int] = Map(0)

    def setup(self, ctx: Context, *args: object) -> None:
        L.no_value(ctx)
        if args:
            raise Revert("IdentityRegistry takes no constructor arguments")

    # -- registration ------------------------------------------------------------------
    @public
    def register(self, ctx: Context, agentURI: str = "", metadata: Metadata = ()) -> int:
        """Mint the next agent to the caller; return its id."""
        L.no_value(ctx)
        L.text(agentURI, "agentURI", L.MAX_URI_BYTES)
        entries = _metadata_entries(metadata)
        owner = ctx.sender
        agent = self.next_id
        self.next_id = agent + 1
        self.owners[agent] = owner
        self.balances[owner] += 1
        if agentURI:
            self.uris[agent] = agentURI
        self.wallets[agent] = owner
        ctx.emit("Transfer", **{"from": "", "to": owner, "tokenId": agent})
        ctx.emit("MetadataSet", agentId=agent, metadataKey=WALLET_KEY, metadataValue=owner.encode())
        for key, value in entries:
            self.metadata[(agent, key)] = value
            ctx.emit("MetadataSet", agentId=agent, metadataKey=key, metadataValue=value)
        ctx.emit("Registered", agentId=agent, agentURI=agentURI, owner=owner)
        return agent

    @public
    def setAgentURI(self, ctx: Context, agentId: int, newURI: str) -> None:
        """Point the agent at a new registration file."""
        L.no_value(ctx)
        self._authorize(ctx, agentId)
        L.text(newURI, "newURI", L.MAX_URI_BYTES)
        self.uris[agentId] = newURI
        ctx.emit("URIUpdated", agentId=agentId, newURI=newURI, updatedBy=ctx.sender)

    @public
    def tokenURI(self, ctx: Context, agentId: int) -> str:
        """The agent's URI (its registration file)."""
        L.no_value(ctx)
        self._owner(agentId)
        return self.uris[agentId]

    # -- metadata ----------------------------------------------------------------------
    @public
    def getMetadata(self, ctx: Context, agentId: int, metadataKey: str) -> bytes:
        """The value under ``metadataKey`` (``b""`` if unset); ``agentWallet`` reads the
        wallet's name as UTF-8."""
        L.no_value(ctx)
        self._owner(agentId)
        L.text(metadataKey, "metadataKey", L.MAX_KEY_BYTES, empty=False)
        if metadataKey == WALLET_KEY:
            return self.wallets[agentId].encode()
        return self.metadata[(agentId, metadataKey)]

    @public
    def setMetadata(
        self, ctx: Context, agentId: int, metadataKey: str, metadataValue: bytes
    ) -> None:
        """Set (``b""``: clear) one metadata entry; ``agentWallet`` is refused."""
        L.no_value(ctx)
        self._authorize(ctx, agentId)
        L.text(metadataKey, "metadataKey", L.MAX_KEY_BYTES, empty=False)
        L.blob(metadataValue, "metadataValue", L.MAX_METADATA_BYTES)
        if metadataKey == WALLET_KEY:
            raise Revert("reserved key: agentWallet is set only by setAgentWallet")
        self.metadata[(agentId, metadataKey)] = metadataValue
        ctx.emit(
            "MetadataSet", agentId=agentId, metadataKey=metadataKey, metadataValue=metadataValue
        )

    # -- the agent wallet --------------------------------------------------------------
    @public
    def getAgentWallet(self, ctx: Context, agentId: int) -> str:
        """Where the agent is paid ("" if unset)."""
        L.no_value(ctx)
        self._owner(agentId)
        return self.wallets[agentId]

    @public
    def getWalletNonce(self, ctx: Context, agentId: int) -> int:
        """The nonce the next wallet authorization of this agent must carry."""
        L.no_value(ctx)
        self._owner(agentId)
        return self.wallet_nonces[agentId]

    @public
    def setAgentWallet(
        self,
        ctx: Context,
        agentId: int,
        newWallet: str,
        deadline: int,
        signature: bytes,
    ) -> None:
        """Make ``newWallet`` the agent's wallet, with ``newWallet``'s signature of
        :func:`~accord.contracts.agents.wallet.wallet_message` (valid up to block
        ``deadline``, at most ``MAX_DEADLINE_BLOCKS`` ahead)."""
        L.no_value(ctx)
        owner = self._authorize(ctx, agentId)
        L.address(newWallet, "newWallet")
        if type(deadline) is not int:
            raise Revert(f"deadline must be an int block number, got {type(deadline).__name__}")
        if type(signature) is not bytes or len(signature) > 128:
            raise Revert("signature must be bytes (at most 128)")
        now = ctx.block_number
        if deadline < now:
            raise Revert(f"expired: deadline block {deadline} is before block {now}")
        if deadline > now + MAX_DEADLINE_BLOCKS:
            raise Revert(
                f"deadline too far: block {deadline} is more than {MAX_DEADLINE_BLOCKS} "
                f"blocks after block {now}"
            )
        nonce = self.wallet_nonces[agentId]
        message = wallet_message(ctx.this, agentId, newWallet, owner, deadline, nonce)
        if not ctx.verify_signature(newWallet, message, signature):
            raise Revert(
                f"invalid wallet signature: not {newWallet!r}'s authorization of agent "
                f"{agentId} for owner {owner!r}, deadline {deadline}, nonce {nonce}"
            )
        self.wallet_nonces[agentId] = nonce + 1
        self.wallets[agentId] = newWallet
        ctx.emit(
            "MetadataSet", agentId=agentId, metadataKey=WALLET_KEY, metadataValue=newWallet.encode()
        )

    @public
    def unsetAgentWallet(self, ctx: Context, agentId: int) -> None:
        """Clear the agent's wallet."""
        L.no_value(ctx)
        self._authorize(ctx, agentId)
        self._clear_wallet(ctx, agentId)

    # -- ERC-721 -----------------------------------------------------------------------
    @public
    def ownerOf(self, ctx: Context, agentId: int) -> str:
        """The agent's owner; reverts for an id never minted."""
        L.no_value(ctx)
        return self._owner(agentId)

    @public
    def balanceOf(self, ctx: Context, owner: str) -> int:
        """How many agents ``owner`` holds."""
        L.no_value(ctx)
        return self.balances[L.address(owner, "owner")]

    @public
    def totalAgents(self, ctx: Context) -> int:
        """How many agents were registered (the next id)."""
        L.no_value(ctx)
        return self.next_id

    @public
    def isAuthorizedOrOwner(self, ctx: Context, spender: str, agentId: int) -> bool:
        """Whether ``spender`` owns the agent or is approved for it (by id or for all)."""
        L.no_value(ctx)
        owner = self._owner(agentId)
        L.address(spender, "spender")
        return self._may(owner, spender, agentId)

    @public
    def transferFrom(self, ctx: Context, from_: str, to: str, agentId: int) -> None:
        """Move the agent from ``from_`` to ``to``; clears its approval and its wallet."""
        L.no_value(ctx)
        owner = self._authorize(ctx, agentId)
        L.address(from_, "from")
        L.address(to, "to")
        if from_ != owner:
            raise Revert(f"from must be the owner of agent {agentId}, {owner!r}, got {from_!r}")
        self.approvals[agentId] = ""
        if to != owner:
            self.owners[agentId] = to
            self.balances[owner] -= 1
            self.balances[to] += 1
            self._clear_wallet(ctx, agentId)
        ctx.emit("Transfer", **{"from": owner, "to": to, "tokenId": agentId})

    @public
    def approve(self, ctx: Context, to: str, agentId: int) -> None:
        """Approve ``to`` ("" clears) for one agent; the owner or an operator may."""
        L.no_value(ctx)
        owner = self._owner(agentId)
        if type(to) is not str:
            raise Revert(f"to must be a str ('' clears), got {type(to).__name__}")
        if to:
            L.address(to, "to")
        if ctx.sender != owner and not self.operators[(owner, ctx.sender)]:
            raise Revert(f"not authorized: {ctx.sender!r} may not approve for agent {agentId}")
        if to == owner:
            raise Revert("approval to the current owner")
        self.approvals[agentId] = to
        ctx.emit("Approval", owner=owner, approved=to, tokenId=agentId)

    @public
    def setApprovalForAll(self, ctx: Context, operator: str, approved: bool) -> None:
        """Let ``operator`` manage all the caller's agents (or stop it)."""
        L.no_value(ctx)
        L.address(operator, "operator")
        L.flag(approved, "approved")
        if operator == ctx.sender:
            raise Revert("an owner cannot be its own operator")
        self.operators[(ctx.sender, operator)] = approved
        ctx.emit("ApprovalForAll", owner=ctx.sender, operator=operator, approved=approved)

    @public
    def getApproved(self, ctx: Context, agentId: int) -> str:
        """The address approved for the agent ("" if none)."""
        L.no_value(ctx)
        self._owner(agentId)
        return self.approvals[agentId]

    @public
    def isApprovedForAll(self, ctx: Context, owner: str, operator: str) -> bool:
        """Whether ``operator`` manages all of ``owner``'s agents."""
        L.no_value(ctx)
        return self.operators[(L.address(owner, "owner"), L.address(operator, "operator"))]

    # -- internals ---------------------------------------------------------------------
    def _owner(self, agent: object) -> str:
        L.agent_id(agent)
        owner = self.owners[agent]
        if not owner:
            raise Revert(f"unknown agent {agent}: {self.next_id} registered (ids from 0)")
        return owner

    def _may(self, owner: str, spender: str, agent: int) -> bool:
        return (
            spender == owner or self.approvals[agent] == spender or self.operators[(owner, spender)]
        )

    def _authorize(self, ctx: Context, agent: object) -> str:
        """The agent's owner, if the caller may manage the agent; else a revert."""
        owner = self._owner(agent)
        assert type(agent) is int
        if not self._may(owner, ctx.sender, agent):
            raise Revert(
                f"not authorized: {ctx.sender!r} is not the owner of agent {agent} "
                "nor approved for it"
            )
        return owner

    def _clear_wallet(self, ctx: Context, agent: int) -> None:
        self.wallets[agent] = ""
        ctx.emit("MetadataSet", agentId=agent, metadataKey=WALLET_KEY, metadataValue=b"")


def _metadata_entries(metadata: object) -> Metadata:
    """Check ``register``'s metadata: a tuple of at most 16 ``(key, value)`` pairs with
    distinct keys, none of them ``agentWallet``."""
    if type(metadata) is not tuple:
        raise Revert(
            f"metadata must be a tuple of (key, value) pairs, got {type(metadata).__name__}"
        )
    if len(metadata) > L.MAX_METADATA_ENTRIES:
        raise Revert(f"metadata has {len(metadata)} entries, at most {L.MAX_METADATA_ENTRIES}")
    seen: set[str] = set()
    for entry in metadata:
        if type(entry) is not tuple or len(entry) != 2:
            raise Revert(f"a metadata entry must be a (key, value) pair, got {_short(entry)}")
        key = L.text(entry[0], "metadataKey", L.MAX_KEY_BYTES, empty=False)
        L.blob(entry[1], "metadataValue", L.MAX_METADATA_BYTES)
        if key == WALLET_KEY:
            raise Revert("reserved key: agentWallet is set only by setAgentWallet")
        if key in seen:
            raise Revert(f"metadata sets key {key!r} twice")
        seen.add(key)
    return metadata


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}... ({type(value).__name__})"
