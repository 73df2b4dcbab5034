"""ERC-8004's Validation Registry: agents ask validators to check their work.

Follows the ERC-8004 draft as of its January 2026 update (``ethereum/ERCs``,
``ERCS/erc-8004.md`` at commit ``2395308a``; "Validation Registry"; the standard warns
that this part is still being revised with the TEE community):

* ``validationRequest(validatorAddress, agentId, requestURI, requestHash)``: the agent's
  owner or an approved operator names a validator; ``requestHash`` (a ``bytes32``
  commitment to the request) identifies it and may be used once
  (``ValidationRequest``).
* ``validationResponse(requestHash, response, responseURI, responseHash, tag)``: only
  the named validator answers, with ``response`` in ``0..100`` (0 failed, 100 passed,
  or anything between); it may answer again, e.g. "soft" then "hard" finality by
  ``tag`` (``ValidationResponse``). The standard allows any update; the reference
  deployment (version 2) refuses a decreasing response, which we do not.
* reads: ``getValidationStatus(requestHash) -> (validatorAddress, agentId, response,
  responseHash, tag, lastUpdate)`` (``lastUpdate`` is the block timestamp in ms);
  ``getSummary(agentId, validatorAddresses, tag) -> (count, averageResponse)`` over the
  answered requests (:func:`accord.mechanisms.agent_summaries.validation_summary`);
  ``getAgentValidations``, ``getValidatorRequests``, ``getIdentityRegistry``.

Bounds (:mod:`.limits`): at most 64 validators named in a filter; a summary visits the
agent's requests one metered ``READ`` each. Nothing here moves money.
"""

from __future__ import annotations

from accord.contracts.agents import limits as L
from accord.device import Context, Contract, Map, Revert, Var, public
from accord.mechanisms.agent_summaries import validation_summary

Status = tuple[str, int, int, bytes, str, int, bool]
"""``(validatorAddress, agentId, response, responseHash, tag, lastUpdate, answered)``."""

MAX_RESPONSE = 100


class ValidationRegistry(Contract):
    """Validation requests by requestHash, bound to one identity registry."""

    identity: Var[str] = Var("")
    requests: Map[Status | None] = Map(None)
    agent_count: Map[int] = Map(0)
    agent_at: Map[bytes] = Map(b"")
    """(agentId, i) -> the agent's i-th requestHash."""
    validator_count: Map[int] = Map(0)
    validator_at: Map[bytes] = Map(b"")
    """(validator, i) -> the i-th requestHash naming the validator."""

    def setup(self, ctx: Context, identityRegistry: str) -> None:
        """Bind to ``identityRegistry`` (the standard's ``initialize``); it must answer
        ``totalAgents``."""
        L.no_value(ctx)
        L.address(identityRegistry, "identityRegistry")
        ctx.call(identityRegistry, "totalAgents")
        self.identity = identityRegistry

    @public
    def getIdentityRegistry(self, ctx: Context) -> str:
        """The identity registry whose agents are validated here."""
        L.no_value(ctx)
        return self.identity

    @public
    def validationRequest(
        self,
        ctx: Context,
        validatorAddress: str,
        agentId: int,
        requestURI: str,
        requestHash: bytes,
    ) -> None:
        """Ask ``validatorAddress`` to validate agent ``agentId``'s work."""
        L.no_value(ctx)
        L.address(validatorAddress, "validatorAddress")
        L.agent_id(agentId)
        L.text(requestURI, "requestURI", L.MAX_URI_BYTES)
        L.hash32(requestHash, "requestHash")
        if self.requests[requestHash] is not None:
            raise Revert(f"request {requestHash.hex()} exists already")
        if not ctx.call(self.identity, "isAuthorizedOrOwner", ctx.sender, agentId):
            raise Revert(
                f"not authorized: {ctx.sender!r} is not the owner of agent {agentId} "
                "nor approved for it"
            )
        self.requests[requestHash] = (
            validatorAddress,
            agentId,
            0,
            L.ZERO_HASH,
            "",
            ctx.timestamp,
            False,
        )
        n = self.agent_count[agentId]
        self.agent_at[(agentId, n)] = requestHash
        self.agent_count[agentId] = n + 1
        m = self.validator_count[validatorAddress]
        self.validator_at[(validatorAddress, m)] = requestHash
        self.validator_count[validatorAddress] = m + 1
        ctx.emit(
            "ValidationRequest",
            validatorAddress=validatorAddress,
            agentId=agentId,
            requestURI=requestURI,
            requestHash=requestHash,
        )

    @public
    def validationResponse(
        self,
        ctx: Context,
        requestHash: bytes,
        response: int,
        responseURI: str,
        responseHash: bytes,
        tag: str,
    ) -> None:
        """Answer request ``requestHash`` (only its validator may) with 0..100."""
        L.no_value(ctx)
        status = self._status(requestHash)
        validator, agent = status[0], status[1]
        if ctx.sender != validator:
            raise Revert(f"not the validator: request {requestHash.hex()} names {validator!r}")
        L.bounded_int(response, "response", 0, MAX_RESPONSE)
        L.text(responseURI, "responseURI", L.MAX_URI_BYTES)
        L.hash32(responseHash, "responseHash")
        L.text(tag, "tag", L.MAX_TAG_BYTES)
        self.requests[requestHash] = (
            validator,
            agent,
            response,
            responseHash,
            tag,
            ctx.timestamp,
            True,
        )
        ctx.emit(
            "ValidationResponse",
            validatorAddress=validator,
            agentId=agent,
            requestHash=requestHash,
            response=response,
            responseURI=responseURI,
            responseHash=responseHash,
            tag=tag,
        )

    @public
    def getValidationStatus(
        self, ctx: Context, requestHash: bytes
    ) -> tuple[str, int, int, bytes, str, int]:
        """``(validatorAddress, agentId, response, responseHash, tag, lastUpdate)``."""
        L.no_value(ctx)
        return self._status(requestHash)[:6]

    @public
    def getSummary(
        self,
        ctx: Context,
        agentId: int,
        validatorAddresses: tuple[str, ...],
        tag: str,
    ) -> tuple[int, int]:
        """``(count, averageResponse)`` over the agent's answered requests, by the named
        validators (() = any) with ``tag`` ("" = any)."""
        L.no_value(ctx)
        L.agent_id(agentId)
        validators = L.addresses(validatorAddresses, "validatorAddresses", empty=True)
        L.text(tag, "tag", L.MAX_TAG_BYTES)
        wanted = frozenset(validators)
        picked: list[int] = []
        for i in range(self.agent_count[agentId]):
            status = self.requests[self.agent_at[(agentId, i)]]
            assert status is not None
            if not status[6] or (wanted and status[0] not in wanted):
                continue
            if not tag or status[4] == tag:
                picked.append(status[2])
        return validation_summary(picked)

    @public
    def getAgentValidations(self, ctx: Context, agentId: int) -> tuple[bytes, ...]:
        """The agent's requestHashes, oldest first."""
        L.no_value(ctx)
        L.agent_id(agentId)
        return tuple(self.agent_at[(agentId, i)] for i in range(self.agent_count[agentId]))

    @public
    def getValidatorRequests(self, ctx: Context, validatorAddress: str) -> tuple[bytes, ...]:
        """The requestHashes naming ``validatorAddress``, oldest first."""
        L.no_value(ctx)
        L.address(validatorAddress, "validatorAddress")
        n = self.validator_count[validatorAddress]
        return tuple(self.validator_at[(validatorAddress, i)] for i in range(n))

    def _status(self, request: object) -> Status:
        L.hash32(request, "requestHash")
        status = self.requests[request]
        if status is None:
            assert type(request) is bytes
            raise Revert(f"unknown request {request.hex()}")
        return status
