"""Mandates: a principal commits its hard limits first, then a delegate acts within them.

A principal (a person, a firm, an AI's owner) lets a *delegate* account (a scripted
agent, an LLM) negotiate for it, but only inside limits the principal commits to the
device **before** the delegate acts. The device, not the delegate, enforces them: a
venue (a contract such as :class:`~accord.contracts.negotiation.Negotiation`) asks
:meth:`Mandates.check` before it lets a delegate's offer or acceptance bind the
principal, and a refusal is a revert naming the limit. Whatever the delegate sends (a
hallucinated split, a bribe-shaped offer, a replay), nothing outside the limits can
bind the principal. This is the principal–agent problem's classic remedy, the
*contractible* restriction of the agent's action set (Holmström 1977, "On Incentives
and Control in Organizations"; delegation sets, Alonso & Matouschek 2008, "Optimal
Delegation", RES 75(1)); here the restriction is enforced by the device itself.

A mandate is ``(principal, delegate, venue) -> Limits``:

* ``expiry``: the last block in which the delegate may make an offer or accept one for
  the principal (an offer it made in time stays open to the counterparty until the
  offer's own deadline: an offer cannot be withdrawn);
* ``min_receive``: ``((asset, n), ...)``: the principal must end with at least ``n``
  of ``asset`` from the deal (e.g. keep at least 2 books);
* ``max_give``: ``((asset, n), ...)``: what it put in minus what it gets back is at
  most ``n`` (the most it may pay);
* ``weights`` and ``min_value``: the principal's linear valuation of what it receives,
  ``Σ weights[a]·receive[a] ≥ min_value`` (a reservation value, in integers).

Everything is an exact integer; no float decides. Limits are public state: the
counterparty can read them (a reservation value is revealed by committing it; see
``docs/negotiation.md``, "On the device"). The principal may :meth:`Mandates.revoke` at
any time (withdrawing authority only narrows what the delegate can do next: an offer
it already made binds until its deadline, tested); limits cannot be
edited in place, so a counterparty reading them never reads a moving target.

How a delegate makes an offer (the principal ``alice`` first, then her delegate
``bot``; ``mandates`` and ``neg`` are the deployed contracts, ``nid`` a negotiation
alice is a party of; ``propose_gas_limit`` from :mod:`accord.contracts.negotiation`)::

    limits = Limits(expiry=500, min_receive=(("book", 1),), weights=(("book", 4),
                    ("hat", 1)), min_value=5)
    device.call(alice, mandates, "grant", "bot", neg, limits.to_args())
    device.call(alice, neg, "join", nid, "bot", ())  # alice names bot her agent
    keep = (1, 2, 0)  # what alice keeps, in the pot's asset order: ball, book, hat
    gas = propose_gas_limit(device, neg, nid, keep)
    receipt = device.call(bot, neg, "propose", nid, keep, gas_limit=gas)
    # refused (receipt.error names min_value) if alice's share were worth less than 5

The delegate accepts offer ``k`` by posting its complement as itself, ``device.commit(
bot, acceptance("bot", neg, nid, k, deadline))`` (``deadline`` from
``device.view(neg, "state", nid)[3]``; :func:`.negotiation_offers.acceptance`); the
venue checks the mandate when it fires, and an acceptance outside it is struck off
while the offer stays open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.contracts.args import address
from accord.device import Context, Contract, Map, Revert, public

MAX_LIMIT_ENTRIES = 16
"""At most this many assets per limit list (bounds every check's loop)."""
MAX_AMOUNT = 2**127
"""Limits and quantities are below this (keeps storage and arithmetic bounded)."""
CHECK_GAS_PER_ENTRY = 50
"""Gas charged per limit entry a check compares, before the loop."""

Pairs = tuple[tuple[str, int], ...]
Raw = tuple[int, Pairs, Pairs, Pairs, int]
"""The stored form: ``(expiry, min_receive, max_give, weights, min_value)``."""


@dataclass(frozen=True)
class Limits:
    """A principal's hard limits for one delegate at one venue (module docstring)."""

    expiry: int
    min_receive: Pairs = ()
    max_give: Pairs = ()
    weights: Pairs = ()
    min_value: int = 0

    def to_args(self) -> Raw:
        """The canonical tuple :meth:`Mandates.grant` takes."""
        return (self.expiry, self.min_receive, self.max_give, self.weights, self.min_value)


def _amount(name: str, value: object) -> int:
    if type(value) is not int or value < 0 or value >= MAX_AMOUNT:
        raise Revert(f"{name} must be an int in [0, 2**127), got {value!r}")
    return value


def asset_pairs(name: str, raw: object) -> Pairs:
    """Sorted ``((asset, n), ...)`` with distinct assets, or a revert naming ``name``."""
    if type(raw) is not tuple:
        raise Revert(f"{name} must be a tuple of (asset, amount) pairs, got {raw!r}")
    if len(raw) > MAX_LIMIT_ENTRIES:
        raise Revert(f"{name} has {len(raw)} entries, at most {MAX_LIMIT_ENTRIES}")
    out: dict[str, int] = {}
    for i, pair in enumerate(raw):
        if type(pair) is not tuple or len(pair) != 2:
            raise Revert(f"{name}[{i}] must be an (asset, amount) pair, got {pair!r}")
        asset = address(f"{name}[{i}] asset", pair[0])
        if asset in out:
            raise Revert(f"{name} names {asset!r} twice")
        out[asset] = _amount(f"{name}[{i}] amount", pair[1])
    return tuple(sorted(out.items()))


def parse_limits(raw: object) -> Raw:
    """Check a hostile limits tuple; return its canonical (sorted) form or revert."""
    if type(raw) is not tuple or len(raw) != 5:
        raise Revert(
            f"limits must be (expiry, min_receive, max_give, weights, min_value), got {raw!r}"[:300]
        )
    expiry = _amount("limits.expiry", raw[0])
    return (
        expiry,
        asset_pairs("limits.min_receive", raw[1]),
        asset_pairs("limits.max_give", raw[2]),
        asset_pairs("limits.weights", raw[3]),
        _amount("limits.min_value", raw[4]),
    )


def violation(limits: Raw, block: int, contribution: Pairs, receive: Pairs) -> str | None:
    """Why a deal giving the principal ``receive`` for its ``contribution`` breaks
    ``limits`` in ``block``, or ``None`` if it is within them. Exact integers."""
    expiry, min_receive, max_give, weights, min_value = limits
    if block > expiry:
        return f"the mandate expired at block {expiry} (now {block})"
    got = dict(receive)
    put = dict(contribution)
    for asset, n in min_receive:
        if got.get(asset, 0) < n:
            return f"min_receive: receives {got.get(asset, 0)} {asset}, at least {n} required"
    for asset, n in max_give:
        given = put.get(asset, 0) - got.get(asset, 0)
        if given > n:
            return f"max_give: gives {given} {asset}, at most {n} allowed"
    if min_value:
        value = sum(w * got.get(asset, 0) for asset, w in weights)
        if value < min_value:
            return f"min_value: receives value {value}, at least {min_value} required"
    return None


class Mandates(Contract):
    """``(principal, delegate, venue) -> limits``; see the module docstring."""

    mandates: Map[Raw | None] = Map(None)

    @public
    def grant(self, ctx: Context, delegate: str, venue: str, limits: Any) -> None:
        """The principal (the sender) lets ``delegate`` bind it at ``venue`` within
        ``limits``. Refused while a mandate for the same delegate and venue is stored, an
        expired one included (revoke it first: limits never change under a reader's
        eyes)."""
        principal = ctx.sender
        address("delegate", delegate)
        address("venue", venue)
        if delegate == principal:
            raise Revert("a principal cannot be its own delegate")
        parsed = parse_limits(limits)
        if parsed[0] < ctx.block_number:
            raise Revert(
                f"limits.expiry {parsed[0]} is before the current block {ctx.block_number}"
            )
        key = (principal, delegate, venue)
        if self.mandates[key] is not None:
            raise Revert(f"{delegate} already holds a mandate from {principal} at {venue}")
        self.mandates[key] = parsed
        ctx.emit("Granted", principal=principal, delegate=delegate, venue=venue)

    @public
    def revoke(self, ctx: Context, delegate: str, venue: str) -> None:
        """The principal withdraws ``delegate``'s mandate at ``venue``."""
        key = (ctx.sender, address("delegate", delegate), address("venue", venue))
        if self.mandates[key] is None:
            raise Revert(f"{delegate} holds no mandate from {ctx.sender} at {venue}")
        self.mandates[key] = None
        ctx.emit("Revoked", principal=ctx.sender, delegate=delegate, venue=venue)

    @public
    def mandate(self, ctx: Context, principal: str, delegate: str, venue: str) -> Raw | None:
        """The stored limits (expired ones too, until revoked: compare ``expiry`` with the
        block), or ``None``: anyone may read them."""
        return self.mandates[(principal, delegate, venue)]

    @public
    def check(
        self, ctx: Context, principal: str, delegate: str, contribution: Any, receive: Any
    ) -> bool:
        """The venue (the sender) asks whether ``delegate`` may bind ``principal`` to
        receive ``receive`` for ``contribution``; reverts naming the broken limit.
        Returns ``True`` (so that a caller can tell a check from a no-op)."""
        venue = ctx.sender
        limits = self.mandates[(principal, delegate, venue)]
        if limits is None:
            raise Revert(f"{delegate!r} holds no mandate from {principal!r} at {venue}")
        contribution = asset_pairs("contribution", contribution)
        receive = asset_pairs("receive", receive)
        ctx.use_gas(CHECK_GAS_PER_ENTRY * (len(limits[1]) + len(limits[2]) + len(limits[3])))
        why = violation(limits, ctx.block_number, contribution, receive)
        if why is not None:
            raise Revert(f"mandate of {principal} for {delegate}: {why}")
        return True
