"""ERC-8004's Reputation Registry: clients' feedback on agents, revocable, answerable.

Follows the ERC-8004 draft as of its January 2026 update (``ethereum/ERCs``,
``ERCS/erc-8004.md`` at commit ``2395308a``; "Reputation Registry"):

* ``giveFeedback(agentId, value, valueDecimals, tag1, tag2, endpoint, feedbackURI,
  feedbackHash)``: any caller (the *clientAddress*) but the agent's owner or an
  approved operator rates a registered agent with a signed fixed-point ``value``
  (``int128``) of ``valueDecimals`` decimals (``0..18``). The feedback is stored under
  the next **1-indexed** feedbackIndex of that (agent, client) pair with ``value``,
  ``valueDecimals``, ``tag1``, ``tag2`` and ``isRevoked``; ``endpoint``, ``feedbackURI``
  and ``feedbackHash`` are only emitted (``NewFeedback``), as the standard says.
* ``revokeFeedback(agentId, feedbackIndex)``: the client withdraws one of its own
  (``FeedbackRevoked``); revoked feedback stays readable and leaves every summary.
* ``appendResponse(agentId, clientAddress, feedbackIndex, responseURI, responseHash)``:
  anyone answers a feedback (``ResponseAppended``); responses are counted per responder.
* reads: ``getSummary(agentId, clientAddresses, tag1, tag2) -> (count, summaryValue,
  summaryValueDecimals)`` (:func:`accord.mechanisms.agent_summaries.feedback_summary`;
  the client list MUST be non-empty, against Sybil feedback), ``readFeedback``,
  ``readAllFeedback`` (seven parallel tuples), ``getResponseCount``, ``getClients``,
  ``getLastIndex``, ``getIdentityRegistry``. An empty tag filter matches every tag.

Bounds (:mod:`.limits`): a read names at most 64 distinct addresses, and every stored
feedback or response it visits is a metered ``READ``, so its work is bounded by the
list and paid per item. Nothing here moves money.
"""

from __future__ import annotations

from collections.abc import Iterator

from accord.contracts.agents import limits as L
from accord.device import Context, Contract, Map, Revert, Var, public
from accord.mechanisms.agent_summaries import MAX_DECIMALS, feedback_summary

INT128_MIN, INT128_MAX = -(1 << 127), (1 << 127) - 1

Feedback = tuple[int, int, str, str, bool]
"""``(value, valueDecimals, tag1, tag2, isRevoked)``."""


class ReputationRegistry(Contract):
    """Feedback by (agentId, clientAddress, feedbackIndex), bound to one identity registry."""

    identity: Var[str] = Var("")
    feedback: Map[Feedback | None] = Map(None)
    last_index: Map[int] = Map(0)
    """(agentId, client) -> the client's last feedbackIndex for the agent (0: none)."""
    client_count: Map[int] = Map(0)
    client_at: Map[str] = Map("")
    """(agentId, i) -> the i-th distinct client of the agent, in order of first feedback."""
    responses: Map[int] = Map(0)
    """(agentId, client, feedbackIndex, responder) -> responses appended."""
    responder_count: Map[int] = Map(0)
    responder_at: Map[str] = Map("")
    """(agentId, client, feedbackIndex, i) -> the i-th distinct responder."""

    def setup(self, ctx: Context, identityRegistry: str) -> None:
        """Bind to ``identityRegistry`` (the standard's ``initialize``); it must answer
        ``totalAgents``, so a typo or a non-registry is refused here, not at first use."""
        L.no_value(ctx)
        L.address(identityRegistry, "identityRegistry")
        ctx.call(identityRegistry, "totalAgents")
        self.identity = identityRegistry

    @public
    def getIdentityRegistry(self, ctx: Context) -> str:
        """The identity registry whose agents are rated here."""
        L.no_value(ctx)
        return self.identity

    # -- writes ------------------------------------------------------------------------
    @public
    def giveFeedback(
        self,
        ctx: Context,
        agentId: int,
        value: int,
        valueDecimals: int,
        tag1: str,
        tag2: str,
        endpoint: str,
        feedbackURI: str,
        feedbackHash: bytes,
    ) -> int:
        """Rate agent ``agentId`` as the caller; returns the new feedbackIndex."""
        L.no_value(ctx)
        L.agent_id(agentId)
        L.bounded_int(value, "value", INT128_MIN, INT128_MAX)
        L.bounded_int(valueDecimals, "valueDecimals", 0, MAX_DECIMALS)
        L.text(tag1, "tag1", L.MAX_TAG_BYTES)
        L.text(tag2, "tag2", L.MAX_TAG_BYTES)
        L.text(endpoint, "endpoint", L.MAX_URI_BYTES)
        L.text(feedbackURI, "feedbackURI", L.MAX_URI_BYTES)
        L.hash32(feedbackHash, "feedbackHash")
        client = ctx.sender
        if ctx.call(self.identity, "isAuthorizedOrOwner", client, agentId):
            raise Revert(
                f"self-feedback not allowed: {client!r} owns agent {agentId} or is approved for it"
            )
        index = self.last_index[(agentId, client)] + 1
        if index == 1:
            n = self.client_count[agentId]
            self.client_at[(agentId, n)] = client
            self.client_count[agentId] = n + 1
        self.last_index[(agentId, client)] = index
        self.feedback[(agentId, client, index)] = (value, valueDecimals, tag1, tag2, False)
        ctx.emit(
            "NewFeedback",
            agentId=agentId,
            clientAddress=client,
            feedbackIndex=index,
            value=value,
            valueDecimals=valueDecimals,
            tag1=tag1,
            tag2=tag2,
            endpoint=endpoint,
            feedbackURI=feedbackURI,
            feedbackHash=feedbackHash,
        )
        return index

    @public
    def revokeFeedback(self, ctx: Context, agentId: int, feedbackIndex: int) -> None:
        """Revoke the caller's own feedback ``feedbackIndex`` on agent ``agentId``."""
        L.no_value(ctx)
        client = ctx.sender
        entry = self._entry(agentId, client, feedbackIndex)
        if entry[4]:
            raise Revert(
                f"feedback {feedbackIndex} of {client!r} on agent {agentId} is already revoked"
            )
        self.feedback[(agentId, client, feedbackIndex)] = (*entry[:4], True)
        ctx.emit(
            "FeedbackRevoked", agentId=agentId, clientAddress=client, feedbackIndex=feedbackIndex
        )

    @public
    def appendResponse(
        self,
        ctx: Context,
        agentId: int,
        clientAddress: str,
        feedbackIndex: int,
        responseURI: str,
        responseHash: bytes,
    ) -> None:
        """Answer a feedback (anyone may: the agent showing a refund, a spam tagger)."""
        L.no_value(ctx)
        L.address(clientAddress, "clientAddress")
        self._entry(agentId, clientAddress, feedbackIndex)
        L.text(responseURI, "responseURI", L.MAX_URI_BYTES, empty=False)
        L.hash32(responseHash, "responseHash")
        responder = ctx.sender
        key = (agentId, clientAddress, feedbackIndex, responder)
        count = self.responses[key]
        if count == 0:
            item = (agentId, clientAddress, feedbackIndex)
            n = self.responder_count[item]
            self.responder_at[(*item, n)] = responder
            self.responder_count[item] = n + 1
        self.responses[key] = count + 1
        ctx.emit(
            "ResponseAppended",
            agentId=agentId,
            clientAddress=clientAddress,
            feedbackIndex=feedbackIndex,
            responder=responder,
            responseURI=responseURI,
            responseHash=responseHash,
        )

    # -- reads -------------------------------------------------------------------------
    @public
    def getSummary(
        self,
        ctx: Context,
        agentId: int,
        clientAddresses: tuple[str, ...],
        tag1: str,
        tag2: str,
    ) -> tuple[int, int, int]:
        """``(count, summaryValue, summaryValueDecimals)`` of the named clients'
        unrevoked feedback matching the tags ("" matches all)."""
        L.no_value(ctx)
        L.agent_id(agentId)
        clients = L.addresses(clientAddresses, "clientAddresses", empty=False)
        L.text(tag1, "tag1", L.MAX_TAG_BYTES)
        L.text(tag2, "tag2", L.MAX_TAG_BYTES)
        return feedback_summary(
            (entry[0], entry[1])
            for _, _, entry in self._walk(agentId, clients, tag1, tag2)
            if not entry[4]
        )

    @public
    def readFeedback(
        self,
        ctx: Context,
        agentId: int,
        clientAddress: str,
        feedbackIndex: int,
    ) -> Feedback:
        """``(value, valueDecimals, tag1, tag2, isRevoked)`` of one feedback."""
        L.no_value(ctx)
        L.address(clientAddress, "clientAddress")
        return self._entry(agentId, clientAddress, feedbackIndex)

    @public
    def readAllFeedback(
        self,
        ctx: Context,
        agentId: int,
        clientAddresses: tuple[str, ...],
        tag1: str,
        tag2: str,
        includeRevoked: bool,
    ) -> tuple[tuple[object, ...], ...]:
        """``(clients, feedbackIndexes, values, valueDecimals, tag1s, tag2s,
        revokedStatuses)`` of the matching feedback; no clients named: every client of
        the agent (at most 64 are walked: name them past that)."""
        L.no_value(ctx)
        L.agent_id(agentId)
        clients = L.addresses(clientAddresses, "clientAddresses", empty=True)
        L.text(tag1, "tag1", L.MAX_TAG_BYTES)
        L.text(tag2, "tag2", L.MAX_TAG_BYTES)
        L.flag(includeRevoked, "includeRevoked")
        if not clients:
            clients = self._clients(agentId)
        rows = [
            (client, index, *entry)
            for client, index, entry in self._walk(agentId, clients, tag1, tag2)
            if includeRevoked or not entry[4]
        ]
        return tuple(tuple(column) for column in zip(*rows, strict=True)) or ((),) * 7

    @public
    def getResponseCount(
        self,
        ctx: Context,
        agentId: int,
        clientAddress: str,
        feedbackIndex: int,
        responders: tuple[str, ...],
    ) -> int:
        """Responses to the agent's feedback: of one client ("" = every client), one
        feedbackIndex (0 = all), by the named responders (() = anyone)."""
        L.no_value(ctx)
        L.agent_id(agentId)
        if type(clientAddress) is not str:
            raise Revert(
                f"clientAddress must be a str ('' = all), got {type(clientAddress).__name__}"
            )
        if clientAddress:
            L.address(clientAddress, "clientAddress")
        L.bounded_int(feedbackIndex, "feedbackIndex", 0, (1 << 64) - 1)
        named = L.addresses(responders, "responders", empty=True)
        clients = (clientAddress,) if clientAddress else self._clients(agentId)
        total = 0
        for client in clients:
            last = self.last_index[(agentId, client)]
            if feedbackIndex:
                indexes: range = (
                    range(feedbackIndex, feedbackIndex + 1) if feedbackIndex <= last else range(0)
                )
            else:
                indexes = range(1, last + 1)
            for index in indexes:
                item = (agentId, client, index)
                who = named or tuple(
                    self.responder_at[(*item, i)] for i in range(self.responder_count[item])
                )
                total += sum(self.responses[(*item, r)] for r in who)
        return total

    @public
    def getClients(self, ctx: Context, agentId: int) -> tuple[str, ...]:
        """The agent's clients, in order of their first feedback (at most 64 returned;
        ``getClientCount`` and ``getClientAt`` page past that)."""
        L.no_value(ctx)
        L.agent_id(agentId)
        return self._clients(agentId)

    @public
    def getClientCount(self, ctx: Context, agentId: int) -> int:
        """How many distinct clients rated the agent."""
        L.no_value(ctx)
        return self.client_count[L.agent_id(agentId)]

    @public
    def getClientAt(self, ctx: Context, agentId: int, i: int) -> str:
        """The ``i``-th client of the agent (from 0)."""
        L.no_value(ctx)
        L.agent_id(agentId)
        L.bounded_int(i, "i", 0, self.client_count[agentId] - 1)
        return self.client_at[(agentId, i)]

    @public
    def getLastIndex(self, ctx: Context, agentId: int, clientAddress: str) -> int:
        """The client's last feedbackIndex for the agent (0: none)."""
        L.no_value(ctx)
        L.agent_id(agentId)
        return self.last_index[(agentId, L.address(clientAddress, "clientAddress"))]

    # -- internals ---------------------------------------------------------------------
    def _entry(self, agent: object, client: str, index: object) -> Feedback:
        L.agent_id(agent)
        last = self.last_index[(agent, client)]
        L.bounded_int(index, "feedbackIndex", 0, (1 << 64) - 1)
        if index == 0 or index > last:  # type: ignore[operator]
            raise Revert(
                f"no feedback {index} of {client!r} on agent {agent}: indexes run from 1 to {last}"
            )
        entry = self.feedback[(agent, client, index)]
        assert entry is not None
        return entry

    def _clients(self, agent: int) -> tuple[str, ...]:
        n = min(self.client_count[agent], L.MAX_LIST)
        return tuple(self.client_at[(agent, i)] for i in range(n))

    def _walk(
        self, agent: int, clients: tuple[str, ...], tag1: str, tag2: str
    ) -> Iterator[tuple[str, int, Feedback]]:
        """Every stored feedback of ``clients`` on ``agent`` matching the tags (each one
        read, and so charged, once)."""
        for client in clients:
            for index in range(1, self.last_index[(agent, client)] + 1):
                entry = self.feedback[(agent, client, index)]
                assert entry is not None
                if (not tag1 or entry[2] == tag1) and (not tag2 or entry[3] == tag2):
                    yield client, index, entry
