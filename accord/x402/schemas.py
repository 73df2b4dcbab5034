"""x402 version 2 messages as strict pydantic models, and their base64 header form.

Field names are the x402 v2 specification's (``coinbase/x402``,
``specs/x402-specification-v2.md`` at commit ``dd927a26``, §5 "Types" and §7
"Facilitator Interface"; the HTTP transport's headers are in
``specs/transports-v2/http.md``): :class:`PaymentRequired` (§5.1),
:class:`PaymentRequirements`, :class:`ResourceInfo`, :class:`PaymentPayload` (§5.2) with
the ``exact`` scheme's EIP-3009 payload (:class:`ExactPayload`, :class:`Authorization`),
:class:`SettlementResponse` (§5.3), :class:`VerifyResponse` (§5.4),
:class:`VerifyRequest`/:class:`SettleRequest` (§7.1, §7.2) and
:class:`SupportedResponse` (§7.3). ``invalidMessage``/``errorMessage`` (a human-readable
line) are the reference SDK's (``python/x402/schemas/responses.py``), not the spec's.

Numbers that are amounts or times are JSON *strings* of decimal digits, as the spec
writes them (``"amount": "10000"``); here they must be canonical (no sign, no leading
zero, no spaces) and fit a ``uint256``. Nonces are ``0x`` and 64 hex digits (32 bytes),
signatures ``0x`` and at most 128 bytes of hex. Models refuse unknown fields and coerce
nothing (``"2"`` is not a version). :func:`decode_header` reads a header strictly:
bounded length, strict base64, UTF-8, JSON without ``NaN``/``Infinity`` or duplicated
keys, then the model; any failure is one :class:`HeaderError` line naming the spot.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

X402_VERSION = 2
MAX_HEADER_CHARS = 16 * 1024
"""A payment header longer than this is refused before it is decoded."""
UINT256_MAX = (1 << 256) - 1

PAYMENT_REQUIRED = "PAYMENT-REQUIRED"
PAYMENT_SIGNATURE = "PAYMENT-SIGNATURE"
PAYMENT_RESPONSE = "PAYMENT-RESPONSE"

Uint = Annotated[str, Field(pattern=r"^(0|[1-9][0-9]{0,77})$")]
"""A ``uint256`` as a canonical decimal string (checked against 2**256 - 1 on use)."""
Address = Annotated[str, Field(min_length=1, max_length=256)]
Hex32 = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$")]
Signature = Annotated[str, Field(pattern=r"^0x(?:[0-9a-fA-F]{2}){1,128}$")]
Version = Annotated[int, Field(ge=0, le=1 << 31)]

__all__ = [
    "MAX_HEADER_CHARS",
    "PAYMENT_REQUIRED",
    "PAYMENT_RESPONSE",
    "PAYMENT_SIGNATURE",
    "X402_VERSION",
    "Authorization",
    "ExactPayload",
    "HeaderError",
    "PaymentPayload",
    "PaymentRequired",
    "PaymentRequirements",
    "ResourceInfo",
    "SettleRequest",
    "SettlementResponse",
    "SupportedKind",
    "SupportedResponse",
    "VerifyRequest",
    "VerifyResponse",
    "decode_header",
    "encode_header",
    "first_error",
    "parse_json",
    "uint",
]


class HeaderError(ValueError):
    """A payment header or request body that cannot be read (one line)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ResourceInfo(_Strict):
    """§5.1.2: the protected resource."""

    url: str = Field(min_length=1, max_length=2048)
    description: str | None = Field(default=None, max_length=1024)
    mimeType: str | None = Field(default=None, max_length=128)


class PaymentRequirements(_Strict):
    """§5.1.2: one way to pay (an entry of ``accepts``)."""

    scheme: str = Field(min_length=1, max_length=64)
    network: str = Field(min_length=1, max_length=128)
    amount: Uint
    asset: Address
    payTo: Address
    maxTimeoutSeconds: int = Field(ge=1, le=1 << 31)
    extra: dict[str, Any] | None = None


class PaymentRequired(_Strict):
    """§5.1: what a 402 carries in ``PAYMENT-REQUIRED``."""

    x402Version: Version
    error: str | None = Field(default=None, max_length=1024)
    resource: ResourceInfo
    accepts: tuple[PaymentRequirements, ...] = Field(max_length=16)
    extensions: dict[str, Any] | None = None


class Authorization(_Strict):
    """§5.2.2: EIP-3009's authorization parameters (``from`` is a Python keyword, so
    the attribute is ``from_``; the JSON field is ``from``)."""

    from_: Address = Field(alias="from")
    to: Address
    value: Uint
    validAfter: Uint
    validBefore: Uint
    nonce: Hex32

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


class ExactPayload(_Strict):
    """The ``exact`` scheme's ``payload``: the payer's signature and its authorization."""

    signature: Signature
    authorization: Authorization


class PaymentPayload(_Strict):
    """§5.2: what a client sends in ``PAYMENT-SIGNATURE``."""

    x402Version: Version
    resource: ResourceInfo | None = None
    accepted: PaymentRequirements
    payload: ExactPayload
    extensions: dict[str, Any] | None = None


class VerifyRequest(_Strict):
    """§7.1: ``POST /verify``'s body."""

    x402Version: Version
    paymentPayload: PaymentPayload
    paymentRequirements: PaymentRequirements


class SettleRequest(VerifyRequest):
    """§7.2: ``POST /settle``'s body (the same structure)."""


class VerifyResponse(_Strict):
    """§5.4: the facilitator's verdict."""

    isValid: bool
    invalidReason: str | None = None
    invalidMessage: str | None = None
    payer: str | None = None


class SettlementResponse(_Strict):
    """§5.3: the outcome of settlement (``PAYMENT-RESPONSE``, ``POST /settle``)."""

    success: bool
    errorReason: str | None = None
    errorMessage: str | None = None
    payer: str | None = None
    transaction: str
    network: str
    amount: str | None = None
    extensions: dict[str, Any] | None = None


class SupportedKind(_Strict):
    """§7.3.1: one (version, scheme, network) the facilitator settles."""

    x402Version: Version
    scheme: str
    network: str
    extra: dict[str, Any] | None = None


class SupportedResponse(_Strict):
    """§7.3: ``GET /supported``."""

    kinds: tuple[SupportedKind, ...]
    extensions: tuple[str, ...] = ()
    signers: dict[str, tuple[str, ...]] = Field(default_factory=dict)


Model = TypeVar("Model", bound=BaseModel)


def uint(text: str) -> int:
    """A schema's decimal string as an int; above 2**256 - 1 is a :class:`ValueError`."""
    value = int(text)
    if value > UINT256_MAX:
        raise ValueError(f"{text[:20]}... is above 2**256 - 1")
    return value


def dump(model: BaseModel) -> dict[str, Any]:
    """A model as the spec's JSON object (aliases, unset optional fields left out)."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def encode_header(model: BaseModel) -> str:
    """A model as a header value: base64 of its compact JSON (§ HTTP transport)."""
    text = json.dumps(dump(model), separators=(",", ":"), sort_keys=False)
    return base64.b64encode(text.encode()).decode("ascii")


def _no_constant(name: str) -> Any:
    raise HeaderError(f"not JSON: {name} is not a JSON number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise HeaderError(f"not JSON we accept: key {key[:40]!r} appears twice")
        seen[key] = value
    return seen


def parse_json(raw: bytes | str, model: type[Model], *, where: str) -> Model:
    """Strict JSON (no NaN, no duplicated key, an object) into ``model``; one line."""
    try:
        data = json.loads(raw, parse_constant=_no_constant, object_pairs_hook=_unique_keys)
    except HeaderError as exc:
        raise HeaderError(f"{where}: {exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        raise HeaderError(f"{where}: not JSON ({reason})") from None
    if not isinstance(data, dict):
        raise HeaderError(f"{where}: must be a JSON object, got {type(data).__name__}")
    try:  # JSON mode: arrays are tuples, strings stay strings, nothing is coerced
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise HeaderError(f"{where}: {first_error(exc)}") from None


def decode_header(value: str, model: type[Model], *, header: str) -> Model:
    """Read a base64 JSON header into ``model`` (module docstring); one-line errors."""
    if len(value) > MAX_HEADER_CHARS:
        raise HeaderError(f"{header}: {len(value)} characters, at most {MAX_HEADER_CHARS}")
    text = value.strip()
    if not text:
        raise HeaderError(f"{header}: empty")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise HeaderError(f"{header}: not base64") from None
    return parse_json(raw, model, where=header)


def first_error(exc: ValidationError) -> str:
    """The first of pydantic's errors as ``loc.path: message``."""
    error = exc.errors()[0]
    loc = ".".join(str(p) for p in error["loc"]) or "value"
    return f"{loc}: {error['msg']}"[:300]
