"""Slashing, bond payouts and unbonding queues: exact integer math, no device.

The stateful shells (:mod:`accord.contracts.staking`, :mod:`accord.contracts.challenge`)
keep the balances; this module decides *how much* moves. Every function takes and
returns Python ``int`` base units and fractions in **basis points** (1 bp = 1/10,000),
so no float ever touches an amount.

Rounding rule (``docs/contracts/staking.md``): a fraction that is *taken from* a
participant rounds **up** (:func:`bps_ceil`) and a fraction *paid to* a participant
rounds **down** (:func:`bps_floor`). The rounding dust always lands on the protocol
side (the burn or the treasury), never in a user's favour. This is the rule the
project's design notes set for every mechanism ("round towards the protocol").

Sources: Cosmos SDK ``x/slashing`` and ``x/staking`` (slash fraction of the stake at
the infraction, unbonding entries remain slashable, tombstoning of double-signers);
Ethereum's consensus specs (``slash_validator``: whistleblower reward out of the slashed
amount); Arbitrum/Optimism fault-proof bonds and UMA's Optimistic Oracle (the loser's
bond pays the winner, part of it burned so that colluding with oneself costs money).
"""

from __future__ import annotations

from typing import NamedTuple

BPS = 10_000
"""Basis points in one whole."""

UnbondingEntry = tuple[int, int]
"""``(amount, ready_block)``: stake leaving the bond, withdrawable from ``ready_block``."""


def check_bps(bps: int, name: str = "bps") -> int:
    """``bps`` if it is an int in ``[0, BPS]``; ``ValueError`` naming ``name`` otherwise."""
    if type(bps) is not int or not 0 <= bps <= BPS:
        raise ValueError(f"{name} must be an int in [0, {BPS}] basis points, got {bps!r}")
    return bps


def check_amount(amount: int, name: str = "amount", *, positive: bool = True) -> int:
    """``amount`` if it is an int (not a bool) that is positive (or non-negative)."""
    if type(amount) is not int or amount < (1 if positive else 0):
        want = "a positive" if positive else "a non-negative"
        raise ValueError(f"{name} must be {want} int in base units, got {amount!r}")
    return amount


def bps_floor(amount: int, bps: int) -> int:
    """``⌊amount × bps / BPS⌋``: a share *paid to* someone."""
    return check_amount(amount, positive=False) * check_bps(bps) // BPS


def bps_ceil(amount: int, bps: int) -> int:
    """``⌈amount × bps / BPS⌉``: a share *taken from* someone."""
    return -(-check_amount(amount, positive=False) * check_bps(bps) // BPS)


class Split(NamedTuple):
    """Where one slashed or forfeited amount goes; the parts sum to the amount."""

    to_party: int
    """To the reporter (a slash) or the winner (a forfeited bond): rounded down."""
    to_protocol: int
    """To the configured destination: burn address or treasury (gets the dust)."""


def split_slash(amount: int, reporter_bps: int) -> Split:
    """A slashed ``amount``: ``⌊amount × reporter_bps / BPS⌋`` to the reporter, the rest
    to the destination (Ethereum's whistleblower reward, Cosmos' community pool)."""
    to_reporter = bps_floor(amount, reporter_bps)
    return Split(to_reporter, amount - to_reporter)


def forfeit_bond(loser_bond: int, burn_bps: int) -> Split:
    """A lost challenge bond: the winner gets ``⌊bond × (BPS − burn_bps) / BPS⌋`` and the
    burn the remainder, i.e. ``⌈bond × burn_bps / BPS⌉``.

    The burn is what makes a self-challenge (the asserter disputing its own claim from a
    second account to delay it) cost money: without it, the winner and the loser are the
    same purse and the dispute is free (Arbitrum's and Optimism's bond designs).
    """
    to_winner = bps_floor(loser_bond, BPS - check_bps(burn_bps, "burn_bps"))
    return Split(to_winner, loser_bond - to_winner)


def penalty(stake: int, slash_bps: int) -> int:
    """The rule's penalty on ``stake``: ``⌈stake × slash_bps / BPS⌉`` (never above the stake)."""
    return min(stake, bps_ceil(stake, check_bps(slash_bps, "slash_bps")))


class Allocation(NamedTuple):
    """The result of taking a slash out of a bonded stake and its unbonding queue."""

    taken: int
    bonded: int
    unbonding: tuple[UnbondingEntry, ...]


def slashable(bonded: int, unbonding: tuple[UnbondingEntry, ...]) -> int:
    """Stake a slash can reach: the bond plus every unbonding entry not yet withdrawn."""
    return bonded + sum(amount for amount, _ in unbonding)


def allocate_slash(bonded: int, unbonding: tuple[UnbondingEntry, ...], amount: int) -> Allocation:
    """Take up to ``amount`` from the bond first, then from unbonding entries, latest
    ``ready_block`` first (the stake that left most recently is the stake that was
    still bonded closest to the offence).

    The take is capped at :func:`slashable`: a slash never exceeds what is there (Cosmos
    slashes what remains). Entries reduced to zero are dropped; the others keep their
    order. ``taken`` is what actually moved.
    """
    check_amount(amount, positive=False)
    from_bond = min(bonded, amount)
    rest = amount - from_bond
    entries = list(unbonding)
    # Walk newest-maturing first; ties broken by position (later entry first).
    order = sorted(range(len(entries)), key=lambda i: (entries[i][1], i), reverse=True)
    for i in order:
        if rest == 0:
            break
        have, ready = entries[i]
        take = min(have, rest)
        entries[i] = (have - take, ready)
        rest -= take
    kept = tuple(e for e in entries if e[0] > 0)
    return Allocation(amount - rest, bonded - from_bond, kept)


def mature(
    unbonding: tuple[UnbondingEntry, ...], block: int
) -> tuple[int, tuple[UnbondingEntry, ...]]:
    """Split the queue at ``block``: (total withdrawable now, entries still waiting).

    An entry is withdrawable when ``block >= ready_block``.
    """
    ready = sum(amount for amount, at in unbonding if block >= at)
    waiting = tuple(e for e in unbonding if block < e[1])
    return ready, waiting
