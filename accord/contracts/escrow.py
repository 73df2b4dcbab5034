"""Escrow: conditional release, arbitration and timeout refunds over locked ledger funds.

A payer opens a deal with :meth:`Escrow.open`; the device *locks* the payer's funds under
the escrow (``ctx.lock``), so they stay visible in the ledger as the payer's, but only
the escrow can move them. Each deal ends exactly once, in one of two ways:

* **released** to the payee: by anyone once the deal's *condition* holds (before the
  timeout), by the arbiter's ruling, or by the payer's own consent;
* **refunded** to the payer: by anyone once the *timeout* has passed, by the arbiter's
  ruling, or by the payee's waiver.

The condition and the timeout are data (:mod:`accord.mechanisms.escrow_terms`): block
and time thresholds, and *static calls* of other contracts' public views compared with
an expected value, combined with ``all``/``any``. Anyone can read a deal's terms with
:meth:`Escrow.deal` before relying on it. A view is read at release time inside a call
that always reverts (:meth:`Escrow.probe`), so whatever the view writes is undone: a
view cannot change state through the escrow, nor re-enter it to pay itself.

Time is split, not raced: a condition can release only while ``now < timeout``, and the
timeout refund works only from ``now ≥ timeout`` on, so at no block are both open to
the public. The arbiter (if any) may rule at any time while the deal is open, including
after the timeout until someone triggers the refund.

Designs this follows: hashed-timelock contracts (claim before the timeout, refund
after), the EVM's STATICCALL for side-effect-free reads, and Kleros/UMA-style escrows
in which a third party's ruling settles a dispute. See ``docs/contracts/escrow.md``.
"""

from __future__ import annotations

from marshal import dumps
from typing import Any

from accord.device import Context, Contract, DeviceError, Map, OutOfGas, Revert, Var, public
from accord.mechanisms.escrow_terms import (
    Condition,
    TermsError,
    evaluate,
    timed_out,
    validate_condition,
    validate_timeout,
)

OPEN, RELEASED, REFUNDED = "open", "released", "refunded"

CONDITION_BYTE_GAS = 8
"""Gas per byte of a deal's condition (its canonical encoding), charged before each
evaluation walks it (``release``, ``condition_holds``): a condition is nested at most 8
deep but may be wide, and a stored one is walked again by every call that evaluates it.
G_logdata's price per byte (Yellow Paper, appendix G); views are charged on top."""

Deal = tuple[str, str, str, str, int, Any, tuple[str, int], str]
"""``(payer, payee, arbiter, asset, amount, condition, timeout, state)``."""


class _ViewResult(Revert):
    """Carries a static call's result out of the always-reverting :meth:`Escrow.probe`."""

    def __init__(self, result: Any) -> None:
        super().__init__("static call: result carried by a revert")
        self.result = result


def _charge_walk(ctx: Context, condition: Condition) -> None:
    """Charge :data:`CONDITION_BYTE_GAS` per byte of ``condition`` before it is walked
    (its size from one C-level encoding pass, not a walk of its own)."""
    ctx.use_gas(CONDITION_BYTE_GAS * len(dumps(condition, 0)))


class _MissingView(Revert):
    """A condition names a contract or method that does not exist."""


def _views(cond: Condition) -> list[tuple[str, str, tuple[Any, ...]]]:
    if cond[0] == "view":
        return [(cond[1], cond[2], cond[3])]
    if cond[0] in ("all", "any"):
        return [v for sub in cond[1:] for v in _views(sub)]
    return []


class Escrow(Contract):
    """Many concurrent deals, ``id -> Deal``; closed deals keep their final state."""

    next_id: Var[int] = Var(0)
    deals: Map[Deal | None] = Map(None)

    # -- opening -----------------------------------------------------------------------
    @public
    def open(
        self,
        ctx: Context,
        payee: str,
        asset: str,
        amount: int,
        arbiter: str,
        condition: Condition | None,
        timeout: tuple[str, int],
    ) -> int:
        """Lock ``amount`` of the caller's ``asset`` for ``payee``; return the deal id.

        ``arbiter`` may be ``""`` (no arbiter); ``condition`` may be ``None`` (no
        automatic release: only the arbiter or the payer can pay the payee). The timeout
        must lie in the future.
        """
        payer = ctx.sender
        if type(payee) is not str or not payee:
            raise Revert(f"payee must be a non-empty address, got {payee!r}")
        if payee == payer:
            raise Revert("payee must differ from the payer")
        if type(asset) is not str or not asset:
            raise Revert(f"asset must be a non-empty symbol, got {asset!r}")
        if type(amount) is not int or amount <= 0:
            raise Revert(f"amount must be a positive int in base units, got {amount!r}")
        if type(arbiter) is not str:
            raise Revert(f"arbiter must be an address or '', got {arbiter!r}")
        if arbiter in (payer, payee):
            raise Revert("arbiter must be a third party, not the payer or the payee")
        try:
            if condition is not None:
                validate_condition(condition)
            validate_timeout(timeout)
        except TermsError as exc:
            raise Revert(str(exc)) from None
        if timed_out(timeout, ctx.block_number, ctx.timestamp):
            raise Revert(
                f"timeout {timeout!r} has already passed "
                f"(block {ctx.block_number}, time {ctx.timestamp})"
            )
        if condition is not None:
            for address, method, args in _views(condition):
                self._check_view_exists(ctx, address, method, args)
        try:
            ctx.lock(asset, amount)
        except DeviceError as exc:
            raise Revert(f"cannot lock {amount} {asset} of {payer}: {exc}") from None
        deal = self.next_id
        self.next_id = deal + 1
        self.deals[deal] = (payer, payee, arbiter, asset, amount, condition, timeout, OPEN)
        ctx.emit("Opened", deal=deal, payer=payer, payee=payee, asset=asset, amount=amount)
        return deal

    def _check_view_exists(self, ctx: Context, address: str, method: str, args: Any) -> None:
        """Refuse a condition naming a missing contract or method (its view may revert now:
        that is fine, it is read again at release)."""
        try:
            self._static_call(ctx, address, method, args)
        except (OutOfGas, _MissingView):
            raise
        except Revert:
            pass

    # -- static calls ------------------------------------------------------------------
    @public
    def probe(self, ctx: Context, address: str, method: str, args: tuple[Any, ...]) -> None:
        """Call ``address.method(*args)`` and revert, carrying the result out.

        The escrow calls this on itself to read a view with every write undone. Anyone
        may call it; it never changes anything (it always reverts).
        """
        if type(address) is not str or type(method) is not str or type(args) is not tuple:
            raise Revert(
                f"probe takes (address str, method str, args tuple), got "
                f"{address!r}, {method!r}, {args!r}"
            )
        raise _ViewResult(ctx.call(address, method, *args))

    def _static_call(self, ctx: Context, address: str, method: str, args: Any) -> Any:
        try:
            ctx.call(ctx.this, "probe", address, method, args)
        except _ViewResult as carried:
            return carried.result
        except OutOfGas:
            raise
        except Revert as exc:
            raise Revert(f"view {address}.{method}{args!r} reverted: {exc.reason}") from None
        except DeviceError as exc:
            raise _MissingView(f"condition view {address}.{method}: {exc}") from None
        raise Revert("probe returned without a result")  # unreachable: probe always reverts

    # -- closing -----------------------------------------------------------------------
    def _open_deal(self, deal: int) -> Deal:
        if type(deal) is not int:
            raise Revert(f"deal id must be an int, got {deal!r}")
        terms = self.deals[deal]
        if terms is None:
            raise Revert(f"no deal {deal}")
        if terms[7] != OPEN:
            raise Revert(f"deal {deal} is already {terms[7]}")
        return terms

    def _settle(self, ctx: Context, deal: int, terms: Deal, to_payee: bool, how: str) -> None:
        payer, payee, _, asset, amount, _, _, _ = terms
        self.deals[deal] = (*terms[:7], RELEASED if to_payee else REFUNDED)
        if to_payee:
            ctx.release(payer, asset, amount, payee)
        else:
            ctx.unlock(payer, asset, amount)
        ctx.emit("Released" if to_payee else "Refunded", deal=deal, by=ctx.sender, how=how)

    @public
    def release(self, ctx: Context, deal: int) -> None:
        """Anyone: pay the payee, if the deal's condition holds and the timeout has not
        passed. A false condition, or a view that reverts, is a revert."""
        terms = self._open_deal(deal)
        condition, timeout = terms[5], terms[6]
        if condition is None:
            raise Revert(f"deal {deal} has no condition: only its arbiter or payer can release")
        if timed_out(timeout, ctx.block_number, ctx.timestamp):
            raise Revert(f"deal {deal} timed out at {timeout!r}: it can only be refunded")

        def read(address: str, method: str, args: tuple[Any, ...]) -> Any:
            return self._static_call(ctx, address, method, args)

        _charge_walk(ctx, condition)
        if not evaluate(condition, ctx.block_number, ctx.timestamp, read):
            raise Revert(f"condition of deal {deal} does not hold: {condition!r}")
        self._settle(ctx, deal, terms, True, "condition")

    @public
    def arbitrate(self, ctx: Context, deal: int, to_payee: bool) -> None:
        """The arbiter only: pay the payee (``True``) or refund the payer (``False``)."""
        terms = self._open_deal(deal)
        if type(to_payee) is not bool:
            raise Revert(f"to_payee must be a bool, got {to_payee!r}")
        arbiter = terms[2]
        if not arbiter:
            raise Revert(f"deal {deal} has no arbiter")
        if ctx.sender != arbiter:
            raise Revert(f"only the arbiter {arbiter} may arbitrate deal {deal}")
        self._settle(ctx, deal, terms, to_payee, "arbiter")

    @public
    def pay(self, ctx: Context, deal: int) -> None:
        """The payer only: release to the payee now, whatever the condition."""
        terms = self._open_deal(deal)
        if ctx.sender != terms[0]:
            raise Revert(f"only the payer {terms[0]} may pay deal {deal}")
        self._settle(ctx, deal, terms, True, "payer")

    @public
    def refund(self, ctx: Context, deal: int) -> None:
        """Return the funds to the payer: anyone once the timeout has passed, or the payee
        at any time (waiving the deal)."""
        terms = self._open_deal(deal)
        payee, timeout = terms[1], terms[6]
        if ctx.sender == payee:
            self._settle(ctx, deal, terms, False, "payee")
            return
        if not timed_out(timeout, ctx.block_number, ctx.timestamp):
            raise Revert(
                f"deal {deal} times out at {timeout!r}; now block {ctx.block_number}, "
                f"time {ctx.timestamp}: only the payee or arbiter may refund before then"
            )
        self._settle(ctx, deal, terms, False, "timeout")

    # -- views -------------------------------------------------------------------------
    @public
    def deal(self, ctx: Context, deal: int) -> Deal:
        """The deal's terms and state: ``(payer, payee, arbiter, asset, amount, condition,
        timeout, state)``."""
        if type(deal) is not int:
            raise Revert(f"deal id must be an int, got {deal!r}")
        terms = self.deals[deal]
        if terms is None:
            raise Revert(f"no deal {deal}")
        return terms

    @public
    def state(self, ctx: Context, deal: int) -> str:
        """``"open"``, ``"released"`` or ``"refunded"``."""
        return self.deal(ctx, deal)[7]

    @public
    def condition_holds(self, ctx: Context, deal: int) -> bool:
        """Whether the deal's condition holds now (``False`` if it has none)."""
        condition = self.deal(ctx, deal)[5]
        if condition is None:
            return False

        def read(address: str, method: str, args: tuple[Any, ...]) -> Any:
            return self._static_call(ctx, address, method, args)

        _charge_walk(ctx, condition)
        return evaluate(condition, ctx.block_number, ctx.timestamp, read)
