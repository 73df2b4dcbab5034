"""The canonical intents of the commitment-device literature, as commitment builders.

Each function returns a :class:`~accord.device.commitments.Commitment`: data that any
party can read before relying on it, and that the device resolves and settles
atomically (``docs/commitments.md``). They follow the examples of "Cooperative AI via
Decentralized Commitment Devices" (Sun, Crapis, Stephenson, Passerat-Palmbach, 2023):

1. :func:`swap_if_offer`: "if a swap D→A exists at a rate ≤ 1000 A/D, swap 500 A→D,
   else do nothing", and its variant whose else-branch routes through the best path;
2. :func:`reroute_for_side_payments` and :func:`side_payment`: "I change route if the
   other agents commit to transfer me a share of the surplus my change gives them";
3. :func:`flash_loan_offer` and :func:`flash_loan_use`: "I lend you X if a commitment
   from you returns X plus a fee in the same atomic group".
"""

from __future__ import annotations

from collections.abc import Sequence

from accord.device.commitments.build import (
    action_pattern,
    all_of,
    call,
    commitment,
    exists,
    fires,
    transfer,
)
from accord.device.commitments.language import REFS, Action, Commitment


def swap_call(pool: str, asset_in: str, amount_in: int, min_out: int, to: str) -> Action:
    """An AMM ``swap`` call sending ``amount_in`` of ``asset_in`` as value."""
    return call(pool, "swap", asset_in, amount_in, min_out, to, value={asset_in: amount_in})


def swap_if_offer(
    owner: str,
    label: str,
    *,
    pool: str,
    give: tuple[str, int],
    want: str,
    max_rate: tuple[int, int],
    expiry: int,
    min_out: int = 1,
    router: str | None = None,
) -> Commitment:
    """Swap ``give`` into ``want`` right after someone swaps ``want`` into ``give`` at a
    rate of at most ``max_rate`` (``give`` units per ``want`` unit, an exact ratio).

    The trigger is any pending commitment calling ``pool.swap(want, amount, min_out, to)``
    with ``min_out / amount ≤ max_rate``: it pushes the pool's price of ``want`` down, so
    swapping after it buys more. ``after = ["$refs"]`` runs this swap after the matched
    one, in the same atomic group. With ``router``, the else-branch (at expiry, if no
    such swap appeared) routes the same order through the router's best path.
    """
    asset, amount = give
    trigger = action_pattern(
        kind="call",
        to=pool,
        method="swap",
        args=[want, None, None, None],
        rate=(2, 1, "<=", max_rate),
    )
    otherwise: list[Action] = []
    if router is not None:
        otherwise = [
            call(
                router,
                "swap_best",
                asset,
                amount,
                want,
                min_out,
                owner,
                value={asset: amount},
            )
        ]
    return commitment(
        owner,
        label,
        expiry=expiry,
        condition=exists(action=trigger),
        actions=[swap_call(pool, asset, amount, min_out, owner)],
        otherwise=otherwise,
        after=[REFS],
    )


def reroute_for_side_payments(
    owner: str,
    label: str,
    *,
    payers: Sequence[str],
    new_route: Sequence[Action],
    old_route: Sequence[Action],
    expiry: int,
) -> Commitment:
    """Take ``new_route`` if every commitment in ``payers`` fires; else ``old_route``.

    The payers' commitments (:func:`side_payment`) pay only if this one fires, so the
    pair is mutually conditional and resolves under Löbian semantics: all fire together,
    or nobody pays and the owner keeps its old route at expiry.
    """
    return commitment(
        owner,
        label,
        expiry=expiry,
        condition=all_of(*(fires(p) for p in payers)),
        actions=list(new_route),
        otherwise=list(old_route),
    )


def side_payment(
    owner: str,
    label: str,
    *,
    rerouter: str,
    asset: str,
    amount: int,
    then: Sequence[Action] = (),
    expiry: int,
) -> Commitment:
    """Pay ``amount`` to the owner of ``rerouter`` iff it fires, then do ``then``.

    ``then`` (e.g. the payer's own swap) runs after the rerouted trade, in the same
    group, so the payer trades on the prices the reroute leaves.
    """
    return commitment(
        owner,
        label,
        expiry=expiry,
        condition=fires(rerouter),
        actions=[transfer(asset, rerouter.split("/", 1)[0], amount), *then],
        after=[rerouter],
    )


def flash_loan_offer(
    owner: str,
    label: str,
    *,
    borrower: str,
    asset: str,
    amount: int,
    fee: int,
    expiry: int,
) -> Commitment:
    """Lend ``amount`` to ``borrower``'s owner iff that commitment repays ``amount + fee``.

    The condition inspects the borrower's commitment (it must fire and contain a
    transfer of at least ``amount + fee`` back to the lender), and ``requires`` makes the
    lender's balance rise by ``fee`` over the group, or the whole group unwinds.
    """
    repays = action_pattern(kind="transfer", asset=asset, to="$self", min_amount=amount + fee)
    return commitment(
        owner,
        label,
        expiry=expiry,
        condition=exists(id=borrower, action=repays),
        actions=[transfer(asset, borrower.split("/", 1)[0], amount)],
        requires={asset: fee},
    )


def flash_loan_use(
    owner: str,
    label: str,
    *,
    lender: str,
    asset: str,
    amount: int,
    fee: int,
    use: Sequence[Action],
    expiry: int,
) -> Commitment:
    """Borrow from ``lender``, run ``use``, and repay ``amount + fee``, all in one group."""
    return commitment(
        owner,
        label,
        expiry=expiry,
        condition=fires(lender),
        actions=[*use, transfer(asset, lender.split("/", 1)[0], amount + fee)],
        after=[lender],
    )
