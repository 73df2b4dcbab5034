"""The A2A agent card a node can publish at ``/.well-known/agent-card.json``.

Schema: the Agent2Agent (A2A) protocol's ``AgentCard``, version **0.3.0**
(``a2aproject/A2A``, ``specification/json/a2a.json`` and the specification's section
5, "Agent Discovery: The Agent Card"): ``protocolVersion``, ``name``, ``description``,
``url`` and ``preferredTransport`` (``JSONRPC``, ``GRPC`` or ``HTTP+JSON``; default
``JSONRPC``), ``additionalInterfaces`` (``url`` + ``transport``), ``iconUrl``,
``provider`` (``organization``, ``url``), ``version``, ``documentationUrl``,
``capabilities`` (``streaming``, ``pushNotifications``, ``stateTransitionHistory``,
``extensions``), ``securitySchemes`` (OpenAPI 3.0's: ``apiKey``, ``http``,
``oauth2``, ``openIdConnect``, ``mutualTLS``) and ``security``,
``defaultInputModes``/``defaultOutputModes`` (MIME types), ``skills`` (``id``,
``name``, ``description``, ``tags``, optional ``examples``, ``inputModes``,
``outputModes``, ``security``), ``supportsAuthenticatedExtendedCard`` and
``signatures`` (JWS, RFC 7515: ``protected``, ``signature``, ``header``).

**ERC-8004.** The card may name the agent's ERC-8004 registrations with the field the
standard's registration file uses, ``registrations`` (``agentId`` and ``agentRegistry`` =
``{namespace}:{chainId}:{identityRegistry}``; :mod:`accord.contracts.agents.registration`),
as ERC-8004's first draft extended the A2A card. :func:`check_registration` checks that
a card and the registration file its agent holds on chain point at each other: the
file's ``A2A`` service endpoint is where the card is served, both name the same
registration on this chain, and the service's ``version`` (when given) is the card's
``protocolVersion``. :func:`registration_on_chain` reads that file through a device's
``view`` (``tokenURI``), embedded or remote.

The models are strict (no coercion, unknown fields refused, so a typo in ``node.toml``
is caught) and bounded; :func:`parse_card` and the node's config turn the first problem
into one line naming the field.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from accord.contracts.agents.registration import (
    ACCORD_NAMESPACE,
    AgentRegistration,
    RegistrationError,
    RegistrationRef,
    parse_registration_uri,
)

PROTOCOL_VERSION = "0.3.0"
"""The A2A version this schema follows."""
CARD_PATH = "/.well-known/agent-card.json"
"""Where A2A 0.3.0 has an agent publish its card (RFC 8615 well-known URI)."""
MAX_CARD_BYTES = 64 * 1024

_URL = re.compile(r"^https?://[^\s/?#]+\S*$")
_MIME = re.compile(r"^[A-Za-z0-9][\w.+-]*/[\w.+*-]+$")
_VERSION = re.compile(r"^0\.3\.\d+$")

Url = Annotated[str, Field(min_length=1, max_length=2048, pattern=_URL.pattern)]
Text = Annotated[str, Field(min_length=1, max_length=256)]
Mime = Annotated[str, Field(min_length=3, max_length=128, pattern=_MIME.pattern)]
Requirement = dict[str, list[Annotated[str, Field(max_length=256)]]]
"""An OpenAPI security requirement: scheme name -> scopes."""


class AgentCardError(ValueError):
    """A card that does not follow the schema, or does not match its registration (one line)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


class AgentProvider(_Strict):
    organization: Text
    url: Url


class AgentExtension(_Strict):
    uri: Url
    description: str | None = Field(None, max_length=4096)
    required: bool | None = None
    params: dict[str, Any] | None = None


class AgentCapabilities(_Strict):
    streaming: bool | None = None
    pushNotifications: bool | None = None
    stateTransitionHistory: bool | None = None
    extensions: list[AgentExtension] | None = Field(None, max_length=64)


class AgentInterface(_Strict):
    url: Url
    transport: Text


class AgentSkill(_Strict):
    id: Text
    name: Text
    description: str = Field(max_length=16_384)
    tags: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(max_length=64)
    examples: list[Annotated[str, Field(max_length=4096)]] | None = Field(None, max_length=64)
    inputModes: list[Mime] | None = Field(None, max_length=64)
    outputModes: list[Mime] | None = Field(None, max_length=64)
    security: list[Requirement] | None = Field(None, max_length=16)


# -- security schemes (OpenAPI 3.0's Security Scheme Object, as A2A 0.3.0 lists them) ----
class APIKeySecurityScheme(_Strict):
    type: Literal["apiKey"]
    in_: Literal["cookie", "header", "query"] = Field(alias="in")
    name: Text
    description: str | None = Field(None, max_length=4096)


class HTTPAuthSecurityScheme(_Strict):
    type: Literal["http"]
    scheme: Text
    """An RFC 7235 scheme name: ``Bearer``, ``Basic``..."""
    bearerFormat: str | None = Field(None, max_length=64)
    description: str | None = Field(None, max_length=4096)


Scopes = dict[str, Annotated[str, Field(max_length=1024)]]


class AuthorizationCodeOAuthFlow(_Strict):
    authorizationUrl: Url
    tokenUrl: Url
    refreshUrl: Url | None = None
    scopes: Scopes


class ClientCredentialsOAuthFlow(_Strict):
    tokenUrl: Url
    refreshUrl: Url | None = None
    scopes: Scopes


class ImplicitOAuthFlow(_Strict):
    authorizationUrl: Url
    refreshUrl: Url | None = None
    scopes: Scopes


class PasswordOAuthFlow(_Strict):
    tokenUrl: Url
    refreshUrl: Url | None = None
    scopes: Scopes


class OAuthFlows(_Strict):
    authorizationCode: AuthorizationCodeOAuthFlow | None = None
    clientCredentials: ClientCredentialsOAuthFlow | None = None
    implicit: ImplicitOAuthFlow | None = None
    password: PasswordOAuthFlow | None = None


class OAuth2SecurityScheme(_Strict):
    type: Literal["oauth2"]
    flows: OAuthFlows
    oauth2MetadataUrl: Url | None = None
    description: str | None = Field(None, max_length=4096)


class OpenIdConnectSecurityScheme(_Strict):
    type: Literal["openIdConnect"]
    openIdConnectUrl: Url
    description: str | None = Field(None, max_length=4096)


class MutualTLSSecurityScheme(_Strict):
    type: Literal["mutualTLS"]
    description: str | None = Field(None, max_length=4096)


SecurityScheme = Annotated[
    APIKeySecurityScheme
    | HTTPAuthSecurityScheme
    | OAuth2SecurityScheme
    | OpenIdConnectSecurityScheme
    | MutualTLSSecurityScheme,
    Field(discriminator="type"),
]


class AgentCardSignature(_Strict):
    protected: str = Field(min_length=1, max_length=8192)
    """The JWS protected header, base64url."""
    signature: str = Field(min_length=1, max_length=8192)
    header: dict[str, Any] | None = None


class AgentCard(_Strict):
    """An A2A 0.3.0 agent card (module docstring), plus ERC-8004 ``registrations``."""

    protocolVersion: str = Field(PROTOCOL_VERSION, pattern=_VERSION.pattern)
    name: Text
    description: str = Field(max_length=16_384)
    url: Url
    """The agent's A2A endpoint (it speaks ``preferredTransport`` there)."""
    preferredTransport: Literal["JSONRPC", "GRPC", "HTTP+JSON"] = "JSONRPC"
    additionalInterfaces: list[AgentInterface] | None = Field(None, max_length=16)
    iconUrl: Url | None = None
    provider: AgentProvider | None = None
    version: Text
    documentationUrl: Url | None = None
    capabilities: AgentCapabilities
    securitySchemes: dict[str, SecurityScheme] | None = Field(None, max_length=16)
    security: list[Requirement] | None = Field(None, max_length=16)
    defaultInputModes: list[Mime] = Field(max_length=64)
    defaultOutputModes: list[Mime] = Field(max_length=64)
    skills: list[AgentSkill] = Field(max_length=256)
    supportsAuthenticatedExtendedCard: bool | None = None
    signatures: list[AgentCardSignature] | None = Field(None, max_length=8)
    registrations: list[RegistrationRef] | None = Field(None, max_length=64)
    """ERC-8004: where this agent is registered (the registration file's field)."""

    @field_validator("skills")
    @classmethod
    def _unique_skills(cls, skills: list[AgentSkill]) -> list[AgentSkill]:
        seen: set[str] = set()
        for skill in skills:
            if skill.id in seen:
                raise ValueError(f"skill id {skill.id!r} appears twice")
            seen.add(skill.id)
        return skills

    @model_validator(mode="after")
    def _security_names_defined(self) -> AgentCard:
        known = set(self.securitySchemes or {})
        requirements = list(self.security or [])
        for skill in self.skills:
            requirements.extend(skill.security or [])
        for requirement in requirements:
            for name in requirement:
                if name not in known:
                    raise ValueError(f"security names {name!r}, which securitySchemes lacks")
        return self

    def to_json(self) -> dict[str, Any]:
        """The card as served (A2A's field names, unset optional fields left out)."""
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return data


def first_error(exc: ValidationError) -> str:
    """A card's first validation problem, as one line naming where it is."""
    first = exc.errors()[0]
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"])
    message = " ".join(str(first["msg"]).split())
    if first["type"] == "extra_forbidden":
        message = "not a field of an A2A 0.3 agent card"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where.lstrip('.') or 'agent card'}: {message}{more}"


def parse_card(raw: str | bytes) -> AgentCard:
    """Parse and check a card's JSON; :class:`AgentCardError` (one line) otherwise."""
    if len(raw) > MAX_CARD_BYTES:
        raise AgentCardError(f"agent card too large: {len(raw)} bytes, at most {MAX_CARD_BYTES}")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AgentCardError(f"agent card is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise AgentCardError(f"agent card must be a JSON object, got {type(data).__name__}")
    try:
        return AgentCard.model_validate_json(json.dumps(data))
    except ValidationError as exc:
        raise AgentCardError(first_error(exc)) from None


# -- ERC-8004 --------------------------------------------------------------------------------
class _Views(Protocol):
    def view(self, address: str, method: str, *args: object, sender: str = "") -> Any: ...


def identity_address(ref: RegistrationRef, chain_id: int) -> str:
    """The identity registry's address on this chain named by ``ref.agentRegistry``."""
    namespace, chain, address = ref.agentRegistry.split(":", 2)
    if namespace != ACCORD_NAMESPACE or chain != str(chain_id):
        raise AgentCardError(
            f"registrations: {ref.agentRegistry!r} is not a registry on this device "
            f"({ACCORD_NAMESPACE}:{chain_id}:...)"
        )
    return address


def registration_on_chain(device: _Views, ref: RegistrationRef, chain_id: int) -> AgentRegistration:
    """The registration file agent ``ref.agentId`` holds in its identity registry (its
    ``tokenURI``, a ``data:`` URI), read through ``device.view``."""
    address = identity_address(ref, chain_id)
    try:
        uri = device.view(address, "tokenURI", ref.agentId)
    except Exception as exc:  # an unknown contract or agent: the device's one-line error
        raise AgentCardError(f"agent {ref.agentId} at {address}: {exc}") from None
    if type(uri) is not str:
        raise AgentCardError(f"agent {ref.agentId} at {address}: tokenURI is not a string")
    try:
        return parse_registration_uri(uri)
    except RegistrationError as exc:
        raise AgentCardError(f"agent {ref.agentId}'s registration file: {exc}") from None


def check_registration(
    card: AgentCard, registration: AgentRegistration, *, card_url: str, chain_id: int
) -> RegistrationRef:
    """Check that ``card`` (served at ``card_url``) and ``registration`` (its agent's
    ERC-8004 registration file) point at each other; return the registration they share.
    Raises :class:`AgentCardError` with one line naming the mismatch."""
    service = registration.service("A2A")
    if service is None:
        raise AgentCardError("the registration file lists no A2A service")
    if service.endpoint != card_url:
        raise AgentCardError(
            f"the registration's A2A endpoint is {service.endpoint!r}, but the card is "
            f"served at {card_url!r}"
        )
    if service.version is not None and service.version != card.protocolVersion:
        raise AgentCardError(
            f"the registration's A2A version is {service.version!r}, the card's "
            f"protocolVersion {card.protocolVersion!r}"
        )
    mine = {(r.agentId, r.agentRegistry) for r in card.registrations or []}
    for ref in registration.registrations:
        if (ref.agentId, ref.agentRegistry) in mine:
            identity_address(ref, chain_id)
            return ref
    raise AgentCardError(
        f"the card and the registration file name no registration in common (card: {sorted(mine)})"
    )
