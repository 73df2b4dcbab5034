"""Negotiation: alternating offers over an escrowed pot, each offer a device commitment.

Two parties ``a`` and ``b`` bargain over a **pot** of assets held in escrow: items
(Deal or No Deal's books, hats and balls are assets on the device), money, or both.
The rules, one negotiation among many that one deployed contract hosts:

1. **Open.** Anyone opens ``(a, b, deposit, turn_blocks, max_turns)`` and locks its
   ``deposit`` (a host's items, say). Each party then **joins** within ``turn_blocks``
   blocks, naming its *agent* (itself, or a delegate holding a mandate from it at this
   venue: :mod:`accord.contracts.mandate`) and locking its own deposit (the money it may
   pay). The pot is every deposit; it is frozen when both have joined (the *start*).
2. **Alternate.** Offers alternate ``a, b, a, ...``; offer ``k`` says what its proposer
   keeps of each pot asset (``keep``), the rest going to the responder (OpenSpiel's
   Deal or No Deal offers name what the proposer keeps too). Offer 0 is due within
   ``turn_blocks`` blocks of the start; the responder of offer ``k`` may accept it, or
   counter with offer ``k + 1``, until the offer's deadline, ``turn_blocks - 1`` blocks
   after the block it was made in. A counter-offer rejects the live offer. At most
   ``max_turns`` offers are made.
3. **Offers are commitments.** :meth:`Negotiation.propose` posts offer ``k`` as a
   conditional commitment owned by the contract (:mod:`.negotiation_offers`): *if the
   responder's acceptance fires before the deadline, settle ``keep``*. The responder
   accepts by posting the complement (:func:`.negotiation_offers.acceptance`); both fire
   together at the end of the block and settle as one atomic group.
4. **Settle or release.** An accepted offer always settles (the pot is escrowed). An
   offer that lapses unanswered, or a negotiation that never starts, releases every
   deposit to whoever made it, by itself: every deadline is a commitment whose
   ``otherwise`` releases (:meth:`expire` is a public fallback).

A delegate's offer or acceptance binds its principal only if the principal's mandate
allows what the principal would receive for its deposit; otherwise the call reverts
naming the limit. Discounting is measured in blocks (see :mod:`.negotiation_offers`).
The rules and who can cheat at what cost are in ``docs/negotiation.md``, "On the device".
"""

from __future__ import annotations

from typing import Any

from accord.contracts.args import address
from accord.contracts.mandate import Pairs, asset_pairs
from accord.contracts.negotiation_offers import offer_commitment, offer_document, timer_document
from accord.device import Context, Contract, Device, DeviceError, Map, Revert, Var, public
from accord.device.commitments.registry import REGISTRY_ADDRESS, CommitmentRegistry

JOINING, OPEN, AGREED, FAILED = "joining", "open", "agreed", "failed"
MAX_ASSETS = 8
"""Assets in one pot (each deposit list, and the pot, name at most this many)."""
MAX_TURN_BLOCKS = 10_000
MAX_TURNS = 1_000
PROPOSE_GAS = 150_000
"""Gas :meth:`Negotiation.propose` uses besides posting its offer commitment."""

Terms = tuple[str, str, int, int, int]
"""``(a, b, turn_blocks, max_turns, opened_block)``."""
Deposit = tuple[str, str, int]
"""``(contributor, asset, amount)``, locked under the contract."""
Clock = tuple[int, int, int]
"""``(start_block, offers_made, live_deadline)``."""
Offer = tuple[str, tuple[int, ...], int]
"""``(proposer, keep, deadline)``."""


def _rest(pot: Pairs, keep: tuple[int, ...]) -> tuple[int, ...]:
    """What the responder of an offer keeping ``keep`` receives."""
    return tuple(total - q for (_, total), q in zip(pot, keep, strict=True))


class Negotiation(Contract):
    """Many concurrent bilateral negotiations, ``nid -> state`` (module docstring)."""

    mandates_at: Var[str] = Var("")
    next_id: Var[int] = Var(0)
    terms: Map[Terms | None] = Map(None)
    phase: Map[str] = Map("")
    agents: Map[str] = Map("")
    deposits: Map[tuple[Deposit, ...]] = Map(())
    pots: Map[Pairs] = Map(())
    clock: Map[Clock] = Map((0, 0, 0))
    offers: Map[Offer | None] = Map(None)
    accepted: Map[tuple[int, int] | None] = Map(None)
    outcome: Map[tuple[int, int, tuple[int, ...]] | None] = Map(None)

    def setup(self, ctx: Context, *args: Any) -> None:
        """``Negotiation(mandates="")``: the :class:`~.mandate.Mandates` contract that
        delegates' limits are read from ("" = parties act only themselves)."""
        if len(args) > 1:
            raise Revert("Negotiation takes one constructor argument: the mandates address")
        mandates = args[0] if args else ""
        if type(mandates) is not str:
            raise Revert(f"mandates must be an address or '', got {mandates!r}")
        self.mandates_at = mandates

    # -- opening -------------------------------------------------------------------------
    @public
    def open(
        self, ctx: Context, a: str, b: str, deposit: Any, turn_blocks: int, max_turns: int
    ) -> int:
        """Open a negotiation between ``a`` (who proposes first) and ``b``; lock the
        sender's ``deposit`` (``((asset, amount), ...)``, may be empty). Returns its id."""
        address("a", a)
        address("b", b)
        if a == b:
            raise Revert("a and b must be two different parties")
        if type(turn_blocks) is not int or not 1 <= turn_blocks <= MAX_TURN_BLOCKS:
            raise Revert(
                f"turn_blocks must be an int in [1, {MAX_TURN_BLOCKS}], got {turn_blocks!r}"
            )
        if type(max_turns) is not int or not 1 <= max_turns <= MAX_TURNS:
            raise Revert(f"max_turns must be an int in [1, {MAX_TURNS}], got {max_turns!r}")
        locked = self._lock(ctx, deposit)
        nid = self.next_id
        self.next_id = nid + 1
        self.terms[nid] = (a, b, turn_blocks, max_turns, ctx.block_number)
        self.phase[nid] = JOINING
        self.deposits[nid] = locked
        self._post(ctx, timer_document(ctx.this, nid, "join", ctx.block_number + turn_blocks - 1))
        ctx.emit("Opened", nid=nid, a=a, b=b, by=ctx.sender)
        return nid

    @public
    def join(self, ctx: Context, nid: int, agent: str, deposit: Any) -> None:
        """A party joins: names its ``agent`` (itself, or a delegate holding its mandate
        here) and locks its ``deposit``. The second join starts the negotiation."""
        a, b, turn_blocks, _, opened = self._terms(nid)
        party = ctx.sender
        if party not in (a, b):
            raise Revert(f"only {a} or {b} may join negotiation {nid}")
        if self.phase[nid] != JOINING:
            raise Revert(f"negotiation {nid} is {self.phase[nid]}, not joining")
        if self.agents[(nid, party)]:
            raise Revert(f"{party} has already joined negotiation {nid}")
        if ctx.block_number > opened + turn_blocks - 1:
            raise Revert(
                f"negotiation {nid} closed for joining at block {opened + turn_blocks - 1}"
            )
        address("agent", agent)
        if agent != party:
            mandates = self.mandates_at
            if not mandates:
                raise Revert("this venue has no mandates contract: a party must be its own agent")
            if ctx.call(mandates, "mandate", party, agent, ctx.this) is None:
                raise Revert(f"{agent} holds no mandate from {party} at {ctx.this}")
        locked = self._lock(ctx, deposit)
        entries = self.deposits[nid] + locked
        if len(entries) > 3 * MAX_ASSETS:
            raise Revert(f"negotiation {nid} would hold more than {3 * MAX_ASSETS} deposits")
        self.deposits[nid] = entries
        self.agents[(nid, party)] = agent
        ctx.emit("Joined", nid=nid, party=party, agent=agent)
        other = b if party == a else a
        if self.agents[(nid, other)]:
            self._start(ctx, nid, turn_blocks)

    def _start(self, ctx: Context, nid: int, turn_blocks: int) -> None:
        totals: dict[str, int] = {}
        for _, asset, amount in self.deposits[nid]:
            totals[asset] = totals.get(asset, 0) + amount
        if not totals:
            raise Revert(f"negotiation {nid} has an empty pot: nothing to bargain over")
        if len(totals) > MAX_ASSETS:
            raise Revert(
                f"the pot of negotiation {nid} has {len(totals)} assets, at most {MAX_ASSETS}"
            )
        self.pots[nid] = tuple(sorted(totals.items()))
        self.phase[nid] = OPEN
        now = ctx.block_number
        self.clock[nid] = (now, 0, now + turn_blocks - 1)
        self._post(ctx, timer_document(ctx.this, nid, "start", now + turn_blocks - 1))
        ctx.emit("Started", nid=nid, deadline=now + turn_blocks - 1)

    def _lock(self, ctx: Context, deposit: Any) -> tuple[Deposit, ...]:
        pairs = asset_pairs("deposit", deposit)
        if len(pairs) > MAX_ASSETS:
            raise Revert(f"deposit names {len(pairs)} assets, at most {MAX_ASSETS}")
        out = []
        for asset, amount in pairs:
            if amount == 0:
                raise Revert(f"deposit of {asset} must be positive")
            try:
                ctx.lock(asset, amount)
            except DeviceError as exc:
                raise Revert(f"cannot lock {amount} {asset} of {ctx.sender}: {exc}") from None
            out.append((ctx.sender, asset, amount))
        return tuple(out)

    # -- offers ------------------------------------------------------------------------
    @public
    def propose(self, ctx: Context, nid: int, keep: Any) -> int:
        """Make the next offer: ``keep`` is what the proposer keeps of each pot asset
        (in the pot's asset order, :meth:`pot`). The sender is the proposer or its
        agent. Posts the offer commitment; returns the offer's number ``k``."""
        a, b, turn_blocks, max_turns, _ = self._terms(nid)
        self._open(nid)
        start, k, deadline = self.clock[nid]
        if k >= max_turns:
            raise Revert(
                f"negotiation {nid} has had its {max_turns} offers: accept or let it lapse"
            )
        if ctx.block_number > deadline:
            raise Revert(f"negotiation {nid}'s turn ended at block {deadline}")
        proposer, responder = (a, b) if k % 2 == 0 else (b, a)
        self._acting_for(ctx, nid, proposer, "propose")
        pot = self.pots[nid]
        keep = self._keep(keep, pot)
        if ctx.sender != proposer:
            self._check_mandate(ctx, nid, proposer, keep)
        expiry = ctx.block_number + turn_blocks - 1
        self.offers[(nid, k)] = (proposer, keep, expiry)
        self.clock[nid] = (start, k + 1, expiry)
        agent = self.agents[(nid, responder)]
        acceptors = (responder,) if agent == responder else (responder, agent)
        self._post(ctx, offer_document(ctx.this, nid, k, keep, acceptors, expiry))
        ctx.emit("Offered", nid=nid, k=k, proposer=proposer, keep=keep, deadline=expiry)
        return k

    @public
    def accept(self, ctx: Context, nid: int, k: int) -> bool:
        """The responder (or its agent) accepts live offer ``k``. Called by the
        acceptance commitment's action: the offer's ``settle`` follows in the same
        group. A bare call only marks the acceptance for this block (nothing settles
        without the offer commitment firing)."""
        proposer, keep, deadline = self._live(nid, k)
        if ctx.block_number > deadline:
            raise Revert(f"offer {k} of negotiation {nid} expired at block {deadline}")
        a, b = self._terms(nid)[:2]
        responder = b if proposer == a else a
        self._acting_for(ctx, nid, responder, "accept")
        if ctx.sender != responder:
            pot = self.pots[nid]
            self._check_mandate(ctx, nid, responder, _rest(pot, keep))
        self.accepted[nid] = (k, ctx.block_number)
        return True

    @public
    def settle(self, ctx: Context, nid: int, k: int, keep: Any) -> None:
        """The offer commitment's action (only the contract itself may call it): pay out
        offer ``k``, accepted in this block (else release every deposit: a refusal)."""
        if ctx.sender != ctx.this:
            raise Revert("only the offer commitment settles (the contract itself)")
        self._terms(nid)
        if self.phase[nid] != OPEN or self.clock[nid][1] - 1 != k:
            # The acceptance's own actions moved the negotiation on first (a counter-offer
            # in the same group): the offer is no longer live, and settles as nothing.
            # Reverting would strike the offer off and leave no lapse to release the pot.
            return
        proposer, stored, _ = self._live(nid, k)
        if type(keep) is not tuple or keep != stored:
            raise Revert(f"settle's keep {keep!r} is not offer {k}'s")
        if self.accepted[nid] != (k, ctx.block_number):
            # The responder fired a commitment under the acceptance's id without
            # accepting: a refusal, which ends the negotiation as a lapse would.
            self._release_all(ctx, nid, "refused")
            return
        a, b = self._terms(nid)[:2]
        responder = b if proposer == a else a
        for (asset, total), mine in zip(self.pots[nid], stored, strict=True):
            self._pay(ctx, nid, asset, ((proposer, mine), (responder, total - mine)))
        self.phase[nid] = AGREED
        self.outcome[nid] = (
            k,
            ctx.block_number,
            stored if proposer == a else _rest(self.pots[nid], stored),
        )
        ctx.emit("Agreed", nid=nid, k=k, block=ctx.block_number)

    @public
    def lapse(self, ctx: Context, nid: int, k: int) -> None:
        """The offer commitment's ``otherwise`` (the contract itself only): if offer
        ``k`` is still the live one at its deadline, release every deposit. ``k = -1``
        is the deadline to join, or to make the first offer (the timers)."""
        if ctx.sender != ctx.this:
            raise Revert("only the offer commitment lapses an offer (the contract itself)")
        phase = self.phase[nid]
        if phase == JOINING:
            _, _, turn_blocks, _, opened = self._terms(nid)
            if k == -1 and ctx.block_number >= opened + turn_blocks - 1:
                self._release_all(ctx, nid, "not joined")
        elif phase == OPEN:
            _, made, deadline = self.clock[nid]
            if made - 1 == k and ctx.block_number >= deadline:
                self._release_all(ctx, nid, "lapsed")

    @public
    def expire(self, ctx: Context, nid: int) -> None:
        """Anyone: release every deposit of a negotiation past its deadline (never
        started, no offer in time, or an offer whose commitment is gone)."""
        _, _, turn_blocks, _, opened = self._terms(nid)
        phase = self.phase[nid]
        if phase == JOINING:
            deadline = opened + turn_blocks - 1
        elif phase == OPEN:
            deadline = self.clock[nid][2]
        else:
            raise Revert(f"negotiation {nid} is already {phase}")
        if ctx.block_number <= deadline:
            raise Revert(f"negotiation {nid} runs until block {deadline}")
        self._release_all(ctx, nid, "expired")

    @staticmethod
    def _post(ctx: Context, document: str) -> None:
        """Post a commitment owned by this contract (the sender pays its gas)."""
        ctx.call(REGISTRY_ADDRESS, "post", document)

    # -- payments ----------------------------------------------------------------------
    def _pay(self, ctx: Context, nid: int, asset: str, shares: tuple[tuple[str, int], ...]) -> None:
        """Pay ``shares`` of ``asset`` out of its deposits, in deposit order."""
        entries = [(who, n) for who, a, n in self.deposits[nid] if a == asset]
        i, left = 0, entries[0][1] if entries else 0
        for to, amount in shares:
            while amount:
                who = entries[i][0]
                part = min(amount, left)
                if who == to:
                    ctx.unlock(who, asset, part)
                else:
                    ctx.release(who, asset, part, to)
                amount -= part
                left -= part
                if not left and i + 1 < len(entries):
                    i += 1
                    left = entries[i][1]

    def _release_all(self, ctx: Context, nid: int, how: str) -> None:
        for who, asset, amount in self.deposits[nid]:
            ctx.unlock(who, asset, amount)
        self.phase[nid] = FAILED
        ctx.emit("Released", nid=nid, how=how)

    # -- checks ------------------------------------------------------------------------
    def _terms(self, nid: object) -> Terms:
        if type(nid) is not int:
            raise Revert(f"negotiation id must be an int, got {nid!r}")
        terms = self.terms[nid]
        if terms is None:
            raise Revert(f"no negotiation {nid}")
        return terms

    def _open(self, nid: int) -> None:
        if self.phase[nid] != OPEN:
            raise Revert(f"negotiation {nid} is {self.phase[nid]}, not open")

    def _live(self, nid: object, k: object) -> Offer:
        self._terms(nid)
        assert type(nid) is int
        self._open(nid)
        if type(k) is not int:
            raise Revert(f"offer number must be an int, got {k!r}")
        made = self.clock[nid][1]
        if k != made - 1 or k < 0:
            raise Revert(f"offer {k} is not the live offer of negotiation {nid} ({made} made)")
        offer = self.offers[(nid, k)]
        assert offer is not None
        return offer

    def _acting_for(self, ctx: Context, nid: int, party: str, what: str) -> None:
        if ctx.sender != party and ctx.sender != self.agents[(nid, party)]:
            raise Revert(f"only {party} or its agent may {what} now in negotiation {nid}")

    @staticmethod
    def _keep(keep: Any, pot: Pairs) -> tuple[int, ...]:
        if type(keep) is not tuple or len(keep) != len(pot):
            raise Revert(
                f"keep must be a tuple of {len(pot)} ints (one per pot asset), got {keep!r}"[:300]
            )
        for (asset, total), q in zip(pot, keep, strict=True):
            if type(q) is not int or not 0 <= q <= total:
                raise Revert(f"keep of {asset} must be an int in [0, {total}], got {q!r}"[:300])
        return keep

    def _check_mandate(
        self, ctx: Context, nid: int, principal: str, receive: tuple[int, ...]
    ) -> None:
        contribution: dict[str, int] = {}
        for who, asset, amount in self.deposits[nid]:
            if who == principal:
                contribution[asset] = contribution.get(asset, 0) + amount
        got = tuple((asset, q) for (asset, _), q in zip(self.pots[nid], receive, strict=True))
        ctx.call(
            self.mandates_at,
            "check",
            principal,
            ctx.sender,
            tuple(sorted(contribution.items())),
            got,
        )

    # -- views -------------------------------------------------------------------------
    @public
    def parties(self, ctx: Context, nid: int) -> tuple[str, str, str, str, int, int]:
        """``(a, b, agent_a, agent_b, turn_blocks, max_turns)`` (agents ``""`` until joined)."""
        a, b, turn_blocks, max_turns, _ = self._terms(nid)
        return (a, b, self.agents[(nid, a)], self.agents[(nid, b)], turn_blocks, max_turns)

    @public
    def count(self, ctx: Context) -> int:
        """How many negotiations were opened (the next one's id)."""
        return self.next_id

    @public
    def pot(self, ctx: Context, nid: int) -> Pairs:
        """The pot, ``((asset, total), ...)`` in the order ``keep`` lists (after the start)."""
        self._terms(nid)
        return self.pots[nid]

    @public
    def state(self, ctx: Context, nid: int) -> tuple[str, int, int, int]:
        """``(phase, start_block, offers_made, live_deadline)``."""
        self._terms(nid)
        return (self.phase[nid], *self.clock[nid])

    @public
    def offer(self, ctx: Context, nid: int, k: int) -> Offer:
        """Offer ``k``: ``(proposer, keep, deadline)``."""
        self._terms(nid)
        if type(k) is not int:
            raise Revert(f"offer number must be an int, got {k!r}")
        offer = self.offers[(nid, k)]
        if offer is None:
            raise Revert(f"negotiation {nid} has no offer {k}")
        return offer

    @public
    def agreement(self, ctx: Context, nid: int) -> tuple[int, int, tuple[int, ...]] | None:
        """``(k, block, a_receives)`` once agreed, else ``None``."""
        self._terms(nid)
        return self.outcome[nid]

    @staticmethod
    def propose_gas(
        venue: str,
        nid: int,
        k: int,
        keep: tuple[int, ...],
        acceptors: tuple[str, ...],
        block: int,
        turn_blocks: int,
    ) -> int:
        """A gas limit enough for :meth:`propose` in block ``block``."""
        document = offer_commitment(venue, nid, k, keep, acceptors, block + turn_blocks - 1)
        return PROPOSE_GAS + CommitmentRegistry.post_gas(document, block)


def propose_gas_limit(device: Device, venue: str, nid: int, keep: tuple[int, ...]) -> int:
    """The gas limit a transaction ``propose(nid, keep)`` needs if it is included in the
    next block (read from ``device``'s state): posting the offer pays for its
    evaluation in every block of its window, so it grows with ``turn_blocks``."""
    a, b, agent_a, agent_b, turn_blocks, _ = device.view(venue, "parties", nid)
    made: int = device.view(venue, "state", nid)[2]
    responder, agent = (b, agent_b) if made % 2 == 0 else (a, agent_a)
    acceptors = (responder,) if agent in ("", responder) else (responder, agent)
    return Negotiation.propose_gas(
        venue, nid, made, keep, acceptors, device.number + 1, turn_blocks
    )


__all__ = ["AGREED", "FAILED", "JOINING", "OPEN", "Negotiation", "propose_gas_limit"]
