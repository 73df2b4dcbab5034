"""The facilitator: ``POST /verify``, ``POST /settle`` and ``GET /supported`` over a device.

The interface is the x402 v2 specification's §7 (``specs/x402-specification-v2.md`` at
``dd927a26``): the request bodies ``{x402Version, paymentPayload,
paymentRequirements}``, the responses :class:`VerifyResponse`,
:class:`SettlementResponse` and :class:`SupportedResponse`, the reason codes of
:mod:`accord.x402.codes`. :class:`Facilitator` is the logic (callable in process by the
middleware); :func:`facilitator_app` serves it over HTTP with Starlette.

**Who submits.** The facilitator settles ``receiveWithAuthorization`` transactions
*signed by the payee* (``signers``: the payee accounts whose keys it holds; ``GET
/supported`` lists them under ``signers``). The payee pays the settlement's gas. So a
facilitator is run by, or for, the payees it serves; a requirement whose ``payTo`` it
cannot sign for is ``invalid_payment_requirements``.

**What it promises under attack** (``docs/x402.md``):

* ``/verify`` changes nothing on the device (every read is a view; the simulation, the
  payee's signed settlement run in the next block, is rolled back:
  :mod:`accord.x402.dryrun`); it remembers the verified payment (bounded: :data:`MAX_VERIFIED`
  entries, the oldest forgotten first) so that ``/settle`` can insist on it;
* ``/settle`` settles only a payment it verified and has not settled, re-runs every
  check first (the device may have moved), and settles at most once: the nonce is
  single use on the device, and a second ``/settle`` is refused before any transaction;
* a malformed body is ``400`` with a one-line ``invalidMessage``/``errorMessage``; a
  body over :data:`MAX_BODY_BYTES` is ``413``; nothing a request contains reaches the
  device unchecked;
* device access is serialised by one lock (Starlette runs handlers in a thread pool).

**Against a node.** ``device`` may be a device behind an open node
(:class:`~accord.x402.devices.NodeDevice`, e.g. :class:`~accord.client.RemoteDevice`
holding the payees' keys): the checks read the node's views, signatures are checked
against the public keys it binds, the simulation is its ``accord_simulate``, and the
payee's signed settlement goes out over ``accord_sendTransaction``. ``produce`` then
either seals a block through the node's admin endpoint (the default, with the admin
token) or waits for the node's block timer (:func:`next_block`).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from accord.device import gas as G
from accord.device.block import Receipt
from accord.device.errors import DeviceError
from accord.device.transaction import Account, Transaction
from accord.x402 import codes as C
from accord.x402.devices import PaymentDevice
from accord.x402.dryrun import dry_run
from accord.x402.exact import SCHEME, Invalid, Settlement, check, network_id
from accord.x402.schemas import (
    X402_VERSION,
    HeaderError,
    SettlementResponse,
    SettleRequest,
    SupportedKind,
    SupportedResponse,
    VerifyRequest,
    VerifyResponse,
    dump,
    parse_json,
)

MAX_VERIFIED = 10_000
"""Verified, unsettled payments remembered at once (the oldest is forgotten first)."""
MAX_BODY_BYTES = 64 * 1024
SETTLE_GAS = 200_000
"""Gas limit of a settlement transaction (before its calldata; it uses about 60,000)."""
WITHDRAW_GAS = 2 * G.TX_BASE
"""Gas limit of the transaction that withdraws a settlement not included in time (a
plain transaction of nothing; its intrinsic gas is ``TX_BASE`` plus its calldata)."""

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_VERIFIED",
    "Facilitator",
    "FacilitatorAPI",
    "facilitator_app",
    "next_block",
]


class FacilitatorAPI(Protocol):
    """What a resource server needs of a facilitator (in process or over HTTP)."""

    def verify(self, request: VerifyRequest) -> VerifyResponse: ...

    def settle(self, request: SettleRequest) -> SettlementResponse: ...

    def supported(self) -> SupportedResponse: ...


def _produce_one(device: PaymentDevice) -> None:
    device.build_block()


def next_block(timeout_s: float = 10.0, poll_s: float = 0.02) -> Callable[[PaymentDevice], None]:
    """A ``produce`` for a node that seals blocks on its timer: wait (wall clock, at
    most ``timeout_s``) until the head moves past where it was, which includes what
    was submitted before. Past the timeout it returns; the settlement then reads as
    not included and is withdrawn (:meth:`Facilitator._withdraw`: the payer pays
    nothing) rather than blocking the server."""

    def wait(device: PaymentDevice) -> None:
        start = device.number
        deadline = time.monotonic() + timeout_s
        while device.number <= start and time.monotonic() < deadline:
            time.sleep(poll_s)

    return wait


class Facilitator:
    """Verifies and settles ``exact`` payments in ``tokens`` to the payees ``signers``.

    Args:
        device: the device the tokens live on: embedded, or behind a node
            (:class:`~accord.x402.devices.NodeDevice`).
        tokens: addresses of deployed :class:`~accord.contracts.payments.PaymentToken`\\s.
        signers: the payees' signing accounts (the facilitator submits as them).
        produce: called after a settlement is submitted, until it is included; default:
            build one block (an embedded device; a node's admin endpoint). For a node
            sealing on its timer, :func:`next_block`.
    """

    def __init__(
        self,
        device: PaymentDevice,
        tokens: Iterable[str],
        signers: Iterable[Account],
        *,
        produce: Callable[[PaymentDevice], None] = _produce_one,
    ) -> None:
        self.device = device
        self.tokens = frozenset(tokens)
        self.signers: Mapping[str, Account] = {a.address: a for a in signers}
        self.produce = produce
        self.network = network_id(device.chain_id)
        self.lock = threading.RLock()
        self.verified: OrderedDict[bytes, Settlement] = OrderedDict()
        self.settled: OrderedDict[tuple[str, str, bytes], str] = OrderedDict()
        """(token, payer, nonce) -> the settling transaction's hash (0x hex), for the
        last :data:`MAX_VERIFIED` settlements (older ones: the device still refuses the
        nonce, and a re-verification names it used)."""

    # -- the three endpoints ---------------------------------------------------------
    def supported(self) -> SupportedResponse:
        return SupportedResponse(
            kinds=(SupportedKind(x402Version=X402_VERSION, scheme=SCHEME, network=self.network),),
            extensions=(),
            signers={f"{self.network.split(':')[0]}:*": tuple(sorted(self.signers))},
        )

    def verify(self, request: VerifyRequest) -> VerifyResponse:
        payer = request.paymentPayload.payload.authorization.from_
        with self.lock:
            try:
                settlement, _ = self._check(request)
            except Invalid as bad:
                return VerifyResponse(
                    isValid=False, invalidReason=bad.reason, invalidMessage=bad.message, payer=payer
                )
            except Exception as exc:  # a bug, not an input: never a 500 with a traceback
                return VerifyResponse(
                    isValid=False,
                    invalidReason=C.UNEXPECTED_VERIFY,
                    invalidMessage=f"{type(exc).__name__}: {exc}"[:300],
                    payer=payer,
                )
            key = payment_key(request)
            self.verified[key] = settlement
            self.verified.move_to_end(key)
            while len(self.verified) > MAX_VERIFIED:
                self.verified.popitem(last=False)
            return VerifyResponse(isValid=True, payer=payer)

    def settle(self, request: SettleRequest) -> SettlementResponse:
        payer = request.paymentPayload.payload.authorization.from_
        with self.lock:
            try:
                return self._settle(request, payer)
            except Invalid as bad:
                return self._failed(bad.reason, bad.message, payer)
            except Exception as exc:
                return self._failed(C.UNEXPECTED_SETTLE, f"{type(exc).__name__}: {exc}", payer)

    # -- internals -------------------------------------------------------------------
    def _check(self, request: VerifyRequest) -> tuple[Settlement, Transaction]:
        """Every check, then the settlement transaction (signed as the payee) run in
        the next block and rolled back: the spec's simulation."""
        device = self.device
        settlement = check(
            device,
            request.x402Version,
            request.paymentPayload,
            request.paymentRequirements,
            tokens=self.tokens,
            signers=self.signers,
        )
        tx = device.sign(
            self.signers[settlement.payee],
            settlement.token,
            "receiveWithAuthorization",
            *settlement.args(),
            gas_limit=SETTLE_GAS,
        )
        status, error = dry_run(device, tx)
        if status != "success":
            raise Invalid(C.TRANSACTION_STATE, f"simulation: {status}: {error}")
        return settlement, tx

    def _failed(self, reason: str, message: str, payer: str) -> SettlementResponse:
        return SettlementResponse(
            success=False,
            errorReason=reason,
            errorMessage=message[:300],
            payer=payer,
            transaction="",
            network=self.network,
        )

    def _settle(self, request: SettleRequest, payer: str) -> SettlementResponse:
        auth = request.paymentPayload.payload.authorization
        nonce = bytes.fromhex(auth.nonce[2:])
        done = self.settled.get((request.paymentRequirements.asset, payer, nonce))
        if done is not None:
            raise Invalid(C.NONCE_USED, f"this authorization was settled in transaction {done}")
        key = payment_key(request)
        if key not in self.verified:
            raise Invalid(
                C.PAYMENT_NOT_VERIFIED,
                "settle without verify: this facilitator has not verified this payment",
            )
        settlement, tx = self._check(request)  # again: the device may have moved since
        del self.verified[key]
        device = self.device
        try:
            device.submit(tx)
        except DeviceError as exc:  # the gate's refusal (a node's: its RemoteError)
            raise Invalid(C.TRANSACTION_STATE, f"settlement transaction refused: {exc}") from None
        self.produce(device)
        receipt = _receipt(device, tx) or self._withdraw(tx)
        if not receipt.ok:
            raise Invalid(C.TRANSACTION_STATE, f"settlement reverted: {receipt.error}")
        tx_hash = "0x" + tx.hash.hex()
        self.settled[(settlement.token, payer, nonce)] = tx_hash
        while len(self.settled) > MAX_VERIFIED:
            self.settled.popitem(last=False)
        return SettlementResponse(
            success=True,
            payer=payer,
            transaction=tx_hash,
            network=self.network,
            amount=str(settlement.value),
        )

    def _withdraw(self, tx: Transaction) -> Receipt:
        """The settlement was not included by ``produce``'s end: replace it in the pool
        (same sender and nonce, both fees more than doubled: a plain transaction of
        nothing from the payee to itself, whose gas the payee pays), so that it can
        never be included and the payer, refused the call, pays nothing. If the nonce is
        already used, the settlement landed in the meantime: its receipt is returned, and
        the call is served as any other settled one."""
        device = self.device
        replacement = device.sign(
            self.signers[tx.sender],
            tx.sender,
            nonce=tx.nonce,
            gas_limit=WITHDRAW_GAS,
            max_fee=2 * tx.max_fee + 1,
            priority_fee=2 * tx.priority_fee + 1,
        )
        try:
            device.submit(replacement)
        except DeviceError as exc:
            landed = _receipt(device, tx)
            if landed is not None:
                return landed
            raise Invalid(
                C.TRANSACTION_STATE,
                f"settlement transaction not included, and not withdrawn ({exc}): it may "
                "still be included",
            ) from None
        raise Invalid(
            C.TRANSACTION_STATE,
            "settlement transaction not included; withdrawn (replaced by the payee's "
            f"transaction 0x{replacement.hash.hex()}): the payer pays nothing",
        )


def _receipt(device: PaymentDevice, tx: Transaction) -> Receipt | None:
    """``tx``'s receipt, or None while it is not included."""
    try:
        return device.receipt(tx.hash)
    except (DeviceError, KeyError):
        return None


def payment_key(request: VerifyRequest) -> bytes:
    """What identifies a payment between ``/verify`` and ``/settle``: a digest of the
    payload and requirements as JSON (canonical: sorted keys)."""
    body = {"p": dump(request.paymentPayload), "r": dump(request.paymentRequirements)}
    return hashlib.blake2b(json.dumps(body, sort_keys=True).encode(), digest_size=32).digest()


def facilitator_app(facilitator: FacilitatorAPI) -> Starlette:
    """The facilitator's HTTP API (Starlette): ``POST /verify``, ``POST /settle``,
    ``GET /supported``."""

    async def body(request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise _TooLarge
        data = b""
        async for chunk in request.stream():
            data += chunk
            if len(data) > MAX_BODY_BYTES:
                raise _TooLarge
        return data

    async def verify(request: Request) -> JSONResponse:
        try:
            parsed = parse_json(await body(request), VerifyRequest, where="body")
        except _TooLarge:
            return _too_large()
        except HeaderError as exc:
            bad = VerifyResponse(
                isValid=False, invalidReason=C.INVALID_PAYLOAD, invalidMessage=str(exc)
            )
            return JSONResponse(dump(bad), status_code=400)
        result = await _in_thread(facilitator.verify, parsed)
        return JSONResponse(dump(result))

    async def settle(request: Request) -> JSONResponse:
        try:
            parsed = parse_json(await body(request), SettleRequest, where="body")
        except _TooLarge:
            return _too_large()
        except HeaderError as exc:
            supported = await _in_thread(facilitator.supported)
            bad = SettlementResponse(
                success=False,
                errorReason=C.INVALID_PAYLOAD,
                errorMessage=str(exc),
                transaction="",
                network=supported.kinds[0].network if supported.kinds else "",
            )
            return JSONResponse(dump(bad), status_code=400)
        result = await _in_thread(facilitator.settle, parsed)
        return JSONResponse(dump(result))

    async def supported(request: Request) -> JSONResponse:
        return JSONResponse(dump(await _in_thread(facilitator.supported)))

    return Starlette(
        routes=[
            Route("/verify", verify, methods=["POST"]),
            Route("/settle", settle, methods=["POST"]),
            Route("/supported", supported, methods=["GET"]),
        ]
    )


class _TooLarge(Exception):
    pass


def _too_large() -> JSONResponse:
    return JSONResponse({"error": f"request body over {MAX_BODY_BYTES} bytes"}, status_code=413)


T = TypeVar("T")


async def _in_thread(fn: Callable[..., T], *args: object) -> T:
    return await run_in_threadpool(fn, *args)
