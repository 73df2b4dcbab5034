"""Typed errors of the commitment device.

Every error names the offending field, so a rejected transaction or bundle can be
diagnosed from its message alone. A rejected transaction changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable


class DeviceError(Exception):
    """Base class of every error the device raises on bad input."""


class Rejected(DeviceError):
    """A transaction or bundle that cannot be included at all (nothing changes, no fee).

    ``field`` names the transaction field at fault.
    """

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class BadNonce(Rejected):
    """The nonce is replayed (already used) or out of order (a gap)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="nonce")


class BadSignature(Rejected):
    """The signature does not match the sender's key: a forged or altered transaction."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="signature")


class UnknownAccount(Rejected):
    """The sender has no key on this device."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="sender")


class FeeTooLow(Rejected):
    """``max_fee`` is below the block's base fee, or the priority fee exceeds the max fee."""

    def __init__(self, message: str, *, field: str = "max_fee") -> None:
        super().__init__(message, field=field)


class GasLimitTooLow(Rejected):
    """``gas_limit`` is below the intrinsic cost or above the block gas limit."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="gas_limit")


class InvalidValue(Rejected):
    """An argument or value is not a canonical value (int, str, bytes, bool, None, tuple)."""

    def __init__(self, message: str, *, field: str = "args") -> None:
        super().__init__(message, field=field)


class InsufficientFunds(DeviceError):
    """An account cannot pay: for gas up front (a rejection) or inside a call (a revert)."""

    def __init__(self, account: str, asset: str, needed: int, available: int) -> None:
        super().__init__(
            f"{account} holds {available} {asset}, needs {needed} (short by {needed - available})"
        )
        self.account = account
        self.asset = asset
        self.needed = needed
        self.available = available


class UnknownContract(Rejected):
    """The target address holds no contract, but a method was named."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="to")


class UnknownMethod(Rejected):
    """The contract has no public method of that name."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="method")


class NotIssuer(DeviceError):
    """Only an asset's issuer may mint or burn it."""


class NotHolder(DeviceError):
    """Only the holder of a lock (the contract that locked the funds) may release it."""


class UnknownAsset(DeviceError):
    """The asset was never created."""


class Revert(Exception):
    """Raised by contract code: undoes everything the call did (gas is still paid).

    Not a :class:`DeviceError`: a revert is a normal outcome of a valid transaction.
    """

    def __init__(self, reason: str = "reverted") -> None:
        super().__init__(reason)
        self.reason = reason


class OutOfGas(BaseException):
    """The call used more gas than its limit: reverts, and the whole limit is paid.

    A :class:`BaseException`, not a :class:`Revert` (nor an :class:`Exception`), so that
    contract code's ``except Exception`` or ``except Revert`` cannot swallow it. Code
    that catches it anyway (``except BaseException``) gains nothing: a call that ends
    above its gas limit fails as out of gas all the same (the executor compares
    ``gas_used`` with the limit after the call), and under the step meter
    (:mod:`accord.device.meter`) every later line raises it again.
    """

    def __init__(self, used: int, limit: int, reason: str | None = None) -> None:
        self.reason = reason or f"out of gas: used {used} of limit {limit}"
        super().__init__(self.reason)
        self.used = used
        self.limit = limit

    def __del__(self) -> None:
        # The step meter re-arms its tracer, which CPython removes when the tracer
        # raises, once contract code lets go of a caught OutOfGas (meter.py).
        hook = _released
        if hook is not None:
            hook()


_released: Callable[[], None] | None = None
"""Set by the step meter while a metered call runs out of gas (:mod:`accord.device.meter`)."""


def set_release_hook(hook: Callable[[], None] | None) -> None:
    """Install (or remove, with ``None``) what :meth:`OutOfGas.__del__` calls."""
    global _released
    _released = hook


class BundleFailed(Rejected):
    """A bundle was refused: one of its transactions is not validly signed (at
    submission), or it could not be applied whole in a block (nothing of it remains).

    ``field`` names the failing transaction (``"txs[2]"``) and ``index`` its position;
    ``cause`` is that transaction's own :class:`Rejected` error, or ``None`` when it was
    included but reverted without its hash being in the bundle's ``reverting`` set.
    """

    def __init__(self, message: str, *, index: int, cause: Rejected | None = None) -> None:
        super().__init__(message, field=f"txs[{index}]")
        self.index = index
        self.cause = cause
