"""``PaymentToken``: a fully backed device token with EIP-3009 authorizations.

EIP-3009 (``ethereum/ERCs``, ``ERCS/erc-3009.md`` at commit ``184ca8f5``) is an
interface of the token itself (USDC implements it), so the payment token is a contract
that keeps its own balances, as an ERC-20 does: one share per base unit of a device
asset it holds (``asset``, e.g. ``USD``), deposited with ``deposit`` (the call's value)
and paid back by ``withdraw``. So the token is always fully backed:
``totalSupply() == ledger balance of the contract in asset`` (a test checks it after
every call), and the device's own conservation check covers the asset underneath.

Why a contract and not the device's permits (``accord/device/permits.py``): a permit is
EIP-2612's, an *allowance* with a *sequential* nonce and a block deadline. EIP-3009
differs on the three points x402 relies on: random 32-byte nonces (many payments in
flight, settled in any order), a ``validAfter``/``validBefore`` window, and a transfer
to a named payee with no allowance at all. The permit module's amount check and its
message construction (a domain string and canonical bytes, signed with
``sign_message`` and checked with ``ctx.verify_signature``) are reused.

Methods (EIP-3009's names; ``from_`` is Python's spelling of ``from``):

* ``transferWithAuthorization(from_, to, value, validAfter, validBefore, nonce,
  signature)``: anyone submits ``from_``'s signed ``TransferWithAuthorization``;
* ``receiveWithAuthorization(...)``: the same for a ``ReceiveWithAuthorization``, and
  the caller must be ``to``: nobody but the payee can execute it, so it cannot be
  front-run;
* ``cancelAuthorization(authorizer, nonce, signature)``: the optional cancel, signed
  ``CancelAuthorization``; the nonce is then used for ever;
* ``authorizationState(authorizer, nonce) -> bool`` and, beyond the standard,
  ``authorizationStatus`` (``"unused"``, ``"used"``, ``"canceled"``);
* the ERC-20 core a payee needs: ``balanceOf``, ``totalSupply``, ``transfer``, ``name``,
  ``version``, ``asset``; and ``deposit``/``withdraw``.

Every argument is checked first; a bad one reverts with one line naming it and changes
nothing but the fee. Only ``deposit`` takes value. Events: ``Transfer(from, to,
value)``, ``AuthorizationUsed(authorizer, nonce)``, ``AuthorizationCanceled(authorizer,
nonce)``, ``Deposit``, ``Withdrawal``.
"""

from __future__ import annotations

from accord.contracts.payments import authorization as A
from accord.device import Context, Contract, Map, Revert, Var, public

UNUSED, USED, CANCELED = 0, 1, 2
_STATUS = {UNUSED: "unused", USED: "used", CANCELED: "canceled"}
MAX_NAME_CHARS = 64


class PaymentToken(Contract):
    """A token backed one to one by a device asset, with EIP-3009 authorizations."""

    underlying: Var[str] = Var("")
    token_name: Var[str] = Var("")
    token_version: Var[str] = Var("")
    supply: Var[int] = Var(0)
    balances: Map[int] = Map(0)
    states: Map[int] = Map(UNUSED)
    """(authorizer, nonce) -> UNUSED, USED or CANCELED."""

    def setup(self, ctx: Context, asset: str, name: str, version: str = "1") -> None:
        _no_value(ctx)
        A.check_address("asset", asset)
        if not ctx.asset_exists(asset):
            raise Revert(f"asset {asset!r} does not exist on this device")
        self.token_name = _label("name", name)
        self.token_version = _label("version", version)
        self.underlying = asset

    # -- reads -------------------------------------------------------------------------
    @public
    def name(self, ctx: Context) -> str:
        """EIP-712 domain ``name`` (signed into every authorization)."""
        _no_value(ctx)
        return self.token_name

    @public
    def version(self, ctx: Context) -> str:
        """EIP-712 domain ``version``."""
        _no_value(ctx)
        return self.token_version

    @public
    def asset(self, ctx: Context) -> str:
        """The device asset backing the token."""
        _no_value(ctx)
        return self.underlying

    @public
    def totalSupply(self, ctx: Context) -> int:
        _no_value(ctx)
        return self.supply

    @public
    def balanceOf(self, ctx: Context, account: str) -> int:
        _no_value(ctx)
        return self.balances[A.check_address("account", account)]

    @public
    def authorizationState(self, ctx: Context, authorizer: str, nonce: bytes) -> bool:
        """EIP-3009: whether ``authorizer``'s ``nonce`` is used (or canceled)."""
        _no_value(ctx)
        key = (A.check_address("authorizer", authorizer), A.check_nonce(nonce))
        return self.states[key] != UNUSED

    @public
    def authorizationStatus(self, ctx: Context, authorizer: str, nonce: bytes) -> str:
        """``"unused"``, ``"used"`` or ``"canceled"`` (beyond the standard's bool)."""
        _no_value(ctx)
        key = (A.check_address("authorizer", authorizer), A.check_nonce(nonce))
        return _STATUS[self.states[key]]

    # -- backing -----------------------------------------------------------------------
    @public
    def deposit(self, ctx: Context, to: str = "") -> int:
        """Mint the call's value of ``asset`` to ``to`` (default: the caller); returns it."""
        asset = self.underlying
        sent = dict(ctx.value)
        amount = sent.pop(asset, 0)
        if sent:
            raise Revert(f"deposit takes only {asset}, got {sorted(sent)}")
        if amount <= 0:
            raise Revert(f"deposit needs a positive value of {asset} sent with the call")
        if type(to) is not str:
            raise Revert(f"to must be a str ('' = the caller), got {type(to).__name__}")
        payee = A.check_address("to", to) if to else ctx.sender
        self.balances[payee] += amount
        self.supply += amount
        ctx.emit("Deposit", to=payee, value=amount)
        ctx.emit("Transfer", **{"from": "", "to": payee, "value": amount})
        return amount

    @public
    def withdraw(self, ctx: Context, value: int) -> None:
        """Burn ``value`` of the caller's tokens and pay it out in ``asset``."""
        _no_value(ctx)
        A.check_value(value)
        self._debit(ctx.sender, value)
        self.supply -= value
        ctx.transfer(self.underlying, ctx.sender, value)
        ctx.emit("Withdrawal", account=ctx.sender, value=value)
        ctx.emit("Transfer", **{"from": ctx.sender, "to": "", "value": value})

    @public
    def transfer(self, ctx: Context, to: str, value: int) -> bool:
        """ERC-20 ``transfer`` from the caller."""
        _no_value(ctx)
        A.check_address("to", to)
        A.check_value(value)
        self._move(ctx, ctx.sender, to, value)
        return True

    # -- EIP-3009 ----------------------------------------------------------------------
    @public
    def transferWithAuthorization(
        self,
        ctx: Context,
        from_: str,
        to: str,
        value: int,
        validAfter: int,
        validBefore: int,
        nonce: bytes,
        signature: bytes,
    ) -> bool:
        """Execute ``from_``'s signed ``TransferWithAuthorization`` (anyone may submit)."""
        _no_value(ctx)
        self._authorized(
            ctx, A.TRANSFER, from_, to, value, validAfter, validBefore, nonce, signature
        )
        return True

    @public
    def receiveWithAuthorization(
        self,
        ctx: Context,
        from_: str,
        to: str,
        value: int,
        validAfter: int,
        validBefore: int,
        nonce: bytes,
        signature: bytes,
    ) -> bool:
        """Execute ``from_``'s signed ``ReceiveWithAuthorization``; the caller must be
        the payee ``to`` (EIP-3009's defence against front-running)."""
        _no_value(ctx)
        self._authorized(
            ctx, A.RECEIVE, from_, to, value, validAfter, validBefore, nonce, signature
        )
        return True

    @public
    def cancelAuthorization(
        self, ctx: Context, authorizer: str, nonce: bytes, signature: bytes
    ) -> None:
        """Cancel ``authorizer``'s unused ``nonce`` with its signed ``CancelAuthorization``."""
        _no_value(ctx)
        A.check_address("authorizer", authorizer)
        A.check_nonce(nonce)
        A.check_signature(signature)
        self._unused(authorizer, nonce)
        message = A.cancel_message(
            token=ctx.this,
            name=self.token_name,
            version=self.token_version,
            authorizer=authorizer,
            nonce=nonce,
        )
        if not ctx.verify_signature(authorizer, message, signature):
            raise Revert(f"invalid signature: not {authorizer!r}'s cancellation of this nonce")
        self.states[(authorizer, nonce)] = CANCELED
        ctx.emit("AuthorizationCanceled", authorizer=authorizer, nonce=nonce)

    # -- internals ---------------------------------------------------------------------
    def _authorized(
        self,
        ctx: Context,
        kind: A.Kind,
        from_: object,
        to: object,
        value: object,
        valid_after: object,
        valid_before: object,
        nonce: object,
        signature: object,
    ) -> None:
        payer = A.check_address("from", from_)
        payee = A.check_address("to", to)
        amount = A.check_value(value)
        after = A.check_time("validAfter", valid_after)
        before = A.check_time("validBefore", valid_before)
        key = A.check_nonce(nonce)
        sig = A.check_signature(signature)
        if kind == A.RECEIVE and ctx.sender != payee:
            raise Revert(f"caller must be the payee: {ctx.sender!r} is not {payee!r}")
        now = A.device_seconds(ctx.timestamp)
        if now <= after:
            raise Revert(f"authorization is not yet valid: now {now} <= validAfter {after}")
        if now >= before:
            raise Revert(f"authorization is expired: now {now} >= validBefore {before}")
        self._unused(payer, key)
        message = A.authorization_message(
            kind,
            token=ctx.this,
            name=self.token_name,
            version=self.token_version,
            from_=payer,
            to=payee,
            value=amount,
            valid_after=after,
            valid_before=before,
            nonce=key,
        )
        if not ctx.verify_signature(payer, message, sig):
            raise Revert(
                f"invalid signature: not {payer!r}'s {kind} of {amount} to {payee!r} "
                "with this window and nonce"
            )
        self.states[(payer, key)] = USED
        ctx.emit("AuthorizationUsed", authorizer=payer, nonce=key)
        self._move(ctx, payer, payee, amount)

    def _unused(self, authorizer: str, nonce: bytes) -> None:
        state = self.states[(authorizer, nonce)]
        if state != UNUSED:
            raise Revert(
                f"authorization is {_STATUS[state]}: nonce 0x{nonce.hex()} of {authorizer!r}"
            )

    def _debit(self, account: str, value: int) -> None:
        have = self.balances[account]
        if have < value:
            raise Revert(f"insufficient balance: {account!r} holds {have}, needs {value}")
        self.balances[account] = have - value

    def _move(self, ctx: Context, payer: str, payee: str, value: int) -> None:
        self._debit(payer, value)
        self.balances[payee] += value
        ctx.emit("Transfer", **{"from": payer, "to": payee, "value": value})


def _no_value(ctx: Context) -> None:
    if ctx.value:
        raise Revert("this method takes no value (only deposit does): it would be stuck")


def _label(field: str, value: object) -> str:
    if type(value) is not str or not value or len(value) > MAX_NAME_CHARS:
        raise Revert(f"{field} must be a non-empty str of at most {MAX_NAME_CHARS} characters")
    return value
