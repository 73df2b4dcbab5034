"""Permits: an account's signed authorization for a contract to spend its funds.

A contract acts only as itself (:mod:`accord.device.context`). To take an account's
funds later, outside that account's own call, it needs the account's authorization,
recorded as an *allowance* ``(owner, spender, asset) -> amount`` in the ledger and spent
by ``ctx.transfer_from``. An allowance is set either

* by the owner's own call: ``ctx.approve(asset, amount)`` inside a call the owner made
  to the spender (ERC-20 ``approve``), or
* by a **permit**, EIP-2612's signed approval: the owner signs, off the device,

  ``permit_message(owner, spender, asset, amount, nonce, deadline, chain_id)``

  with :meth:`~accord.device.Account.sign_message`, and anyone relays it through a
  contract that calls ``ctx.permit(...)``. The device checks the signature against the
  owner's key, the owner's current permit nonce (then consumes it: a permit works
  once) and the deadline (the last block number at which it is valid, EIP-2612's
  ``deadline`` counted in blocks, since the device's clock is its block number), and
  binds the chain id, so a permit signed for one device is refused by another.
"""

from __future__ import annotations

from accord.device.encoding import digest_bytes
from accord.device.errors import Revert

PERMIT_DOMAIN = "accord.permit.v1"
"""The first item of every permit message (domain separation, EIP-712's role)."""
MAX_AMOUNT = (1 << 256) - 1
"""The largest allowance (ERC-20's ``type(uint256).max``): larger amounts are refused."""


class NotAllowed(Revert):
    """Acting for another account without (enough of) its authorization."""


def permit_message(
    owner: str,
    spender: str,
    asset: str,
    amount: int,
    nonce: int,
    deadline: int,
    chain_id: int,
) -> bytes:
    """The bytes an owner signs to permit ``spender`` to take ``amount`` of ``asset``."""
    return digest_bytes((PERMIT_DOMAIN, chain_id, owner, spender, asset, amount, nonce, deadline))


def check_name(field: str, value: object) -> str:
    """``value`` if it is a non-empty ``str``, else a ``Revert`` naming ``field``."""
    if type(value) is not str or not value:
        raise Revert(f"{field} must be a non-empty string, got {type(value).__name__}")
    return value


def check_amount(field: str, value: object) -> int:
    """``value`` if it is an ``int`` in ``[0, MAX_AMOUNT]``, else a ``Revert``."""
    if type(value) is not int:
        raise Revert(f"{field} must be an int in base units, got {type(value).__name__}")
    if value < 0 or value > MAX_AMOUNT:
        shown = value if value.bit_length() <= 256 else f"an int of {value.bit_length()} bits"
        raise Revert(f"{field} must be in [0, 2**256 - 1], got {shown}")
    return value


def check_permit_fields(
    owner: object,
    spender: object,
    asset: object,
    amount: object,
    deadline: object,
    signature: object,
) -> None:
    """Refuse a permit whose fields have the wrong type or range (a ``Revert``)."""
    check_name("owner", owner)
    check_name("spender", spender)
    check_name("asset", asset)
    check_amount("amount", amount)
    if type(deadline) is not int or deadline < 0:
        raise Revert(f"deadline must be a non-negative int block number, got {deadline!r}")
    if type(signature) is not bytes:
        raise Revert(f"signature must be bytes, got {type(signature).__name__}")
