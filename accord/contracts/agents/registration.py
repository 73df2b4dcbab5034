"""The ERC-8004 agent registration file: the JSON an agent's ``agentURI`` resolves to.

Schema of the ERC-8004 draft as of its January 2026 update (``ethereum/ERCs``,
``ERCS/erc-8004.md`` at commit ``2395308a``; "Agent URI and Agent Registration
File"): a ``type`` URI (:data:`REGISTRATION_TYPE`), ``name``, ``description``,
``image``, ``services`` (``web``, ``A2A``, ``MCP``, ``OASF``, ``ENS``, ``DID``,
``email`` or any other name, each with an ``endpoint`` and an optional ``version``;
OASF may list ``skills`` and ``domains``), ``x402Support``, ``active``,
``registrations`` (``agentId`` and ``agentRegistry`` = ``{namespace}:{chainId}:
{identityRegistry}``, both mandatory) and the optional ``supportedTrust``
(``reputation``, ``crypto-economic``, ``tee-attestation``; absent or empty: the file is
for discovery only).

The models are strict pydantic models: an unknown field, a wrong type (a string where
a bool goes, ``"1"`` for an id) or a bad value is refused, and :func:`parse_registration`
turns the first problem into a one-line :class:`RegistrationError` naming where it is
(``services[1].endpoint: ...``). Fields the standard marks SHOULD (``image``, a
service's ``version``) are optional. The pre-2026 name ``endpoints`` is refused with a
hint that it is now ``services``. Registration files are read off the device (by agents
and the explorer); the registries store only the URI.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

REGISTRATION_TYPE = "https://eips.ethereum.org/EIPS/eip-8004#registration-v1"
DATA_URI_PREFIX = "data:application/json;base64,"
MAX_FILE_BYTES = 64 * 1024
"""A registration file larger than this is refused before it is parsed."""
ACCORD_NAMESPACE = "accord"
"""The CAIP-2 namespace of an accord device (``eip155`` is Ethereum's)."""
_REGISTRY = re.compile(r"^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}:\S{1,256}$")

Trust = Literal["reputation", "crypto-economic", "tee-attestation"]

__all__ = [
    "ACCORD_NAMESPACE",
    "REGISTRATION_TYPE",
    "AgentRegistration",
    "RegistrationError",
    "RegistrationRef",
    "Service",
    "agent_registry",
    "parse_registration",
    "parse_registration_uri",
    "to_data_uri",
]


class RegistrationError(ValueError):
    """A registration file that does not follow the standard (one line)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Service(_Strict):
    """One way to reach the agent: ``{"name": "A2A", "endpoint": "...", "version": ...}``."""

    name: str = Field(min_length=1, max_length=64)
    endpoint: str = Field(min_length=1, max_length=2048)
    version: str | None = Field(default=None, max_length=64)
    skills: tuple[str, ...] | None = Field(default=None, max_length=256)
    domains: tuple[str, ...] | None = Field(default=None, max_length=256)
    capabilities: tuple[str, ...] | None = Field(default=None, max_length=256)


class RegistrationRef(_Strict):
    """Where the agent is registered: ``{"agentId": 22, "agentRegistry": "eip155:1:0x.."}``."""

    agentId: int = Field(ge=0, le=(1 << 256) - 1)
    agentRegistry: str

    @field_validator("agentRegistry")
    @classmethod
    def _caip(cls, value: str) -> str:
        if not _REGISTRY.match(value):
            raise ValueError(
                "must be {namespace}:{chainId}:{identityRegistry}, e.g. eip155:1:0x742..."
            )
        return value


class AgentRegistration(_Strict):
    """An ERC-8004 registration file (module docstring)."""

    type: Literal["https://eips.ethereum.org/EIPS/eip-8004#registration-v1"]
    name: str = Field(min_length=1, max_length=256)
    description: str = Field(max_length=16_384)
    image: str | None = Field(default=None, max_length=2048)
    services: tuple[Service, ...] = Field(default=(), max_length=64)
    x402Support: bool = False
    active: bool = True
    registrations: tuple[RegistrationRef, ...] = Field(default=(), max_length=64)
    supportedTrust: tuple[Trust, ...] = Field(default=(), max_length=8)

    def service(self, name: str) -> Service | None:
        """The first service called ``name`` (``"A2A"``, ``"MCP"``, ``"web"``...)."""
        return next((s for s in self.services if s.name == name), None)

    def to_json(self) -> str:
        """The file's JSON (unset optional fields left out)."""
        return self.model_dump_json(exclude_none=True)


def agent_registry(chain_id: int, identity_registry: str) -> str:
    """The ``agentRegistry`` string of an identity registry on an accord device."""
    return f"{ACCORD_NAMESPACE}:{chain_id}:{identity_registry}"


def parse_registration(raw: str | bytes) -> AgentRegistration:
    """Parse and check a registration file; a :class:`RegistrationError` (one line)
    names the first problem."""
    if len(raw) > MAX_FILE_BYTES:
        raise RegistrationError(
            f"registration file too large: {len(raw)} bytes, at most {MAX_FILE_BYTES}"
        )
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RegistrationError(f"registration file is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise RegistrationError(
            f"registration file must be a JSON object, got {type(data).__name__}"
        )
    if "endpoints" in data and "services" not in data:
        raise RegistrationError("endpoints: renamed services in the January 2026 ERC-8004 update")
    try:
        return AgentRegistration.model_validate_json(json.dumps(data))
    except ValidationError as exc:
        raise RegistrationError(_first_error(exc)) from None


def parse_registration_uri(uri: str) -> AgentRegistration:
    """Parse an on-chain registration, a ``data:application/json;base64,...`` agentURI
    (other schemes must be fetched first: this reads no network)."""
    if not uri.startswith(DATA_URI_PREFIX):
        raise RegistrationError(
            f"not an inline registration: the agentURI must start with {DATA_URI_PREFIX!r}"
        )
    try:
        raw = base64.b64decode(uri[len(DATA_URI_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise RegistrationError("agentURI: the data URI is not valid base64") from None
    return parse_registration(raw)


def to_data_uri(registration: AgentRegistration) -> str:
    """``registration`` as an on-chain agentURI (the standard's base64 data URI)."""
    return DATA_URI_PREFIX + base64.b64encode(registration.to_json().encode()).decode()


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".")
    message = " ".join(str(first["msg"]).split())
    if first["type"] == "extra_forbidden":
        message = "not a field of an ERC-8004 registration file"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where or 'registration file'}: {message}{more}"
