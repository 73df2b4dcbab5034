"""Deal or No Deal played on the device: SAO negotiators, offers as commitments, batched.

Each negotiation of a :class:`Match` (an instance and two negotiators speaking NegMAS's
SAO vocabulary, :mod:`accord.agents.bargaining.sao`) runs on the
:class:`~accord.contracts.negotiation.Negotiation` contract:

1. the **host** opens it, depositing the instance's pool (books, hats and balls are
   assets, :data:`ITEMS`); both players join (the pot is then frozen);
2. player 0 proposes: its ``propose(state)`` (a division: what player 0 receives)
   becomes ``propose(nid, keep)``, ``keep`` being what the proposer keeps in the pot's
   asset order; the contract posts the offer as a conditional commitment;
3. in the next block the responder's ``respond(state, offer)`` is read:
   ``ACCEPT_OFFER`` posts the acceptance commitment (the complement: both fire at the
   end of that block and the pot is paid out), ``REJECT_OFFER`` proposes the next offer,
   ``END_NEGOTIATION`` (or the last offer refused) does nothing: the offer lapses at its
   deadline and every item goes back to the host.

Whatever a negotiator answers goes to the device as it is: an offer that is not a
division of the pool is refused there (the negotiation then lapses with no deal), as
the off-device runner ends it (:func:`accord.agents.bargaining.sao.run_negotiation`).

Speed: negotiations advance in lock-step **waves**, every live negotiation of a wave
acting in the same block, so a block carries thousands of offers; a wave is as large
as the block's gas allows (:func:`wave_size`). Nonces are counted here rather than by
:meth:`Device.sign`'s mempool scan, which would make a block of ``n`` transactions cost
``n²``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from accord.agents.bargaining.sao import NMI, Negotiator, Offer, ResponseType, SAOState
from accord.contracts.negotiation import AGREED, FAILED, Negotiation
from accord.contracts.negotiation_offers import acceptance
from accord.device import AssetSpec, Device, DeviceConfig, DeviceError, Genesis, Receipt
from accord.device.commitments.registry import REGISTRY_ADDRESS, CommitmentRegistry
from accord.mechanisms.bargaining.deal_or_no_deal import Division, Instance

ITEMS = ("book", "hat", "ball")
"""The three item types as device assets (Lewis et al. 2017, "Deal or No Deal?")."""
HOST, PLAYERS = "host", ("player0", "player1")
TX_GAS = 600_000
"""Gas limit of an open, join or propose (an offer posts a commitment, ~170 k gas)."""
SETUP_BLOCKS = 1_000
"""Blocks to wait for a wave's opens, then its joins, to be included."""
GAS_PER_NEGOTIATION = 400_000
"""Gas one negotiation may use in one block (two joins), for :func:`wave_size`."""
FEE_ALLOWANCE = 10**30


@dataclass(frozen=True)
class Match:
    """One negotiation to play: ``negotiators[p]`` plays player ``p``; 0 opens."""

    instance: Instance
    negotiators: tuple[Negotiator, Negotiator]
    tag: Any = None


@dataclass(frozen=True)
class Episode:
    """How one negotiation ended on the device.

    ``agreement`` is the division player 0 received (``None``: no deal), ``offers`` the
    offers made, ``blocks`` the blocks from the start to the agreement or the release,
    ``ended_by`` ``"agreement"``, ``"timeout"`` (the last offer refused),
    ``"end_negotiation by player p"``, ``"refused acceptance by player p"``,
    ``"lapsed"`` (no answer reached the device in time) or
    ``"refused offer by player p"`` (the device refused it).
    """

    match: Match
    agreement: Division | None
    utilities: tuple[int, int]
    offers: int
    blocks: int
    ended_by: str


def negotiation_genesis(config: DeviceConfig, instances: Sequence[Instance]) -> Genesis:
    """Fees for the host and players; the host holds every pool's items."""
    items = {item: sum(inst.pool[i] for inst in instances) or 1 for i, item in enumerate(ITEMS)}
    payers = (HOST, *PLAYERS, config.builder)
    return Genesis(
        assets={
            config.fee_asset: AssetSpec(
                issuer="treasury", alloc=dict.fromkeys(payers, FEE_ALLOWANCE)
            ),
            **{item: AssetSpec(issuer=HOST, alloc={HOST: n}) for item, n in items.items()},
        }
    )


def wave_size(config: DeviceConfig, limit: int) -> int:
    """How many negotiations fit a block's gas, at most ``limit`` (and the per-sender
    mempool cap: every negotiation of a wave has a transaction from each player)."""
    return max(
        1, min(limit, config.block_gas_limit // GAS_PER_NEGOTIATION, config.max_pending_per_sender)
    )


class _Nonces:
    """Each account's next nonce, counted locally (module docstring)."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self.next: dict[str, int] = {}

    def peek(self, account: str) -> int:
        n = self.next.get(account)
        return self.device.nonce(account) if n is None else n

    def used(self, account: str, nonce: int) -> None:
        self.next[account] = nonce + 1


@dataclass
class _Live:
    """A negotiation in play."""

    match: Match
    nid: int
    pot: tuple[str, ...]
    history: list[Offer]
    ended_by: str = ""
    started: int = 0
    made: int = 0
    """Offers the device has recorded."""
    pending: bytes | None = None
    """The hash of our last transaction for it, until its receipt is seen."""
    pending_what: str = ""


class Table:
    """A device with the Negotiation contract deployed, playing :class:`Match` es."""

    def __init__(self, device: Device, *, n_steps: int, turn_blocks: int = 2) -> None:
        if turn_blocks < 2:
            raise ValueError("turn_blocks must be >= 2: a responder answers in the next block")
        self.device = device
        self.n_steps = n_steps
        self.turn_blocks = turn_blocks
        self.accounts = {name: device.account(name) for name in (HOST, *PLAYERS)}
        self.venue = device.deploy(self.accounts[HOST], Negotiation)
        self.nonces = _Nonces(device)
        self.blocks = 0

    # -- transactions --------------------------------------------------------------------
    def _send(self, who: str, method: str, *args: object) -> bytes | None:
        """Sign and submit; the transaction's hash, or ``None`` if the device refused it
        at the gate (a negotiator's junk that is not even a canonical value)."""
        device = self.device
        nonce = self.nonces.peek(who)
        try:
            tx = device.sign(
                self.accounts[who], self.venue, method, *args, gas_limit=TX_GAS, nonce=nonce
            )
            tx_hash = device.submit(tx)
        except DeviceError:
            return None
        self.nonces.used(who, nonce)
        return tx_hash

    def _accept(self, who: str, nid: int, k: int) -> bytes:
        device = self.device
        deadline = device.number + self.turn_blocks  # ≥ the offer's: posted one block later
        commitment = acceptance(who, self.venue, nid, k, deadline)
        document, gas = CommitmentRegistry.posting(
            commitment, self.accounts[who].address, device.number + 1
        )
        nonce = self.nonces.peek(who)
        tx = device.sign(
            self.accounts[who], REGISTRY_ADDRESS, "post", document, gas_limit=gas, nonce=nonce
        )
        tx_hash = device.submit(tx)
        self.nonces.used(who, nonce)
        return tx_hash

    def _receipt(self, tx_hash: bytes) -> Receipt | None:
        try:
            return self.device.receipt(tx_hash)
        except KeyError:  # not included yet (latency, a full block)
            return None

    def _settle_setup(self, hashes: list[bytes | None], what: str) -> list[Receipt]:
        """Mine until every set-up transaction is included (at most ``SETUP_BLOCKS``
        blocks); each must have succeeded."""
        out: list[Receipt | None] = [None] * len(hashes)
        for _ in range(SETUP_BLOCKS):
            self._mine()
            for i, h in enumerate(hashes):
                if out[i] is None and h is not None:
                    out[i] = self._receipt(h)
            if all(r is not None for r in out):
                break
        for i, r in enumerate(out):
            if r is None or not r.ok:
                why = "never included" if r is None else r.error
                raise RuntimeError(f"{what} of match {i} failed: {why}")
        return [r for r in out if r is not None]

    def _mine(self) -> None:
        self.device.build_block()
        self.blocks += 1

    # -- play ----------------------------------------------------------------------------
    def play(
        self, matches: Sequence[Match], wave: int, progress: Callable[[int], None] | None = None
    ) -> list[Episode]:
        """Play every match, ``wave`` at a time; episodes in the order of ``matches``."""
        out: list[Episode] = []
        for start in range(0, len(matches), wave):
            out.extend(self._play_wave(matches[start : start + wave]))
            if progress is not None:
                progress(len(out))
        return out

    def _play_wave(self, matches: Sequence[Match]) -> list[Episode]:
        view = self.device.view
        base = self._next_id()
        opens = []
        for m in matches:
            deposit = tuple(sorted((ITEMS[i], n) for i, n in enumerate(m.instance.pool) if n))
            opens.append(
                self._send(
                    HOST, "open", PLAYERS[0], PLAYERS[1], deposit, self.turn_blocks, self.n_steps
                )
            )
        nids = [_as_int(r.result) for r in self._settle_setup(opens, "open")]
        assert nids == list(range(base, base + len(matches)))
        joins = [self._send(player, "join", nid, player, ()) for nid in nids for player in PLAYERS]
        self._settle_setup(joins, "join")
        live: list[_Live] = []
        for nid, m in zip(nids, matches, strict=True):
            pot = tuple(asset for asset, _ in view(self.venue, "pot", nid))
            for index, neg in enumerate(m.negotiators):
                neg.on_negotiation_start(
                    NMI(
                        player=index,
                        pool=m.instance.pool,
                        values=m.instance.values[index],
                        n_steps=self.n_steps,
                        outcomes=m.instance.divisions(),
                    )
                )
            live.append(_Live(m, nid, pot, [], started=view(self.venue, "state", nid)[1]))
        for g in live:
            self._propose(g, 0)
        ended: dict[int, Episode] = {}
        active = list(live)
        while active:
            self._mine()
            still = []
            for g in active:
                phase, _, g.made, _ = view(self.venue, "state", g.nid)
                if g.pending is not None:
                    receipt = self._receipt(g.pending)
                    if receipt is not None:
                        g.pending = None
                        if not receipt.ok:
                            g.ended_by = g.pending_what
                if phase in (AGREED, FAILED):
                    ended[g.nid] = self._episode(g, phase)
                    continue
                still.append(g)
                if g.pending is None and not g.ended_by:
                    self._respond(g)
            active = still
        return [ended[g.nid] for g in live]

    def _next_id(self) -> int:
        n: int = self.device.view(self.venue, "count")
        return n

    def _propose(self, g: _Live, step: int) -> None:
        p = step % 2
        state = SAOState(
            step,
            self.n_steps,
            g.history[-1].outcome if g.history else None,
            g.history[-1].proposer if g.history else None,
            tuple(g.history),
        )
        division = g.match.negotiators[p].propose(state)
        g.history.append(Offer(step, p, division))
        g.pending = self._send(PLAYERS[p], "propose", g.nid, _keep(g, division, p))
        g.pending_what = f"refused offer by player {p}"
        if g.pending is None:
            g.ended_by = g.pending_what

    def _respond(self, g: _Live) -> None:
        offer = g.history[-1]
        p = 1 - offer.proposer
        state = SAOState(offer.step, self.n_steps, offer.outcome, offer.proposer, tuple(g.history))
        answer = g.match.negotiators[p].respond(state, offer.outcome)
        if answer is ResponseType.ACCEPT_OFFER:
            g.pending = self._accept(PLAYERS[p], g.nid, offer.step)
            g.pending_what = f"refused acceptance by player {p}"
            g.ended_by = f"acceptance by player {p} did not settle"  # unless it agrees
        elif answer is ResponseType.REJECT_OFFER and offer.step + 1 < self.n_steps:
            self._propose(g, offer.step + 1)
        elif answer is ResponseType.REJECT_OFFER:
            g.ended_by = "timeout"
        elif answer is ResponseType.END_NEGOTIATION:
            g.ended_by = f"end_negotiation by player {p}"
        else:
            g.ended_by = f"invalid response {answer!r} by player {p}"[:200]

    def _episode(self, g: _Live, phase: str) -> Episode:
        instance = g.match.instance
        blocks = self.device.number - g.started
        if phase == AGREED:
            _, _, a_gets = self.device.view(self.venue, "agreement", g.nid)
            got = dict(zip(g.pot, a_gets, strict=True))
            division = (got.get(ITEMS[0], 0), got.get(ITEMS[1], 0), got.get(ITEMS[2], 0))
            return Episode(
                g.match, division, instance.utilities(division), g.made, blocks, "agreement"
            )
        return Episode(g.match, None, (0, 0), g.made, blocks, g.ended_by or "lapsed")


def _as_int(value: object) -> int:
    if type(value) is not int:
        raise RuntimeError(f"open returned {value!r}, not a negotiation id")
    return value


def _keep(g: _Live, division: object, proposer: int) -> object:
    """What the proposer keeps, in the pot's order. A triple of ints is mapped whether or
    not it is a division (the device refuses one outside the pool, naming why); anything
    else goes through as it is, for the device to refuse."""
    pool = g.match.instance.pool
    if not (
        isinstance(division, tuple)
        and len(division) == len(ITEMS)
        and all(type(q) is int for q in division)
    ):
        return division if isinstance(division, tuple | int | str | None) else repr(division)
    mine = division if proposer == 0 else tuple(n - q for n, q in zip(pool, division, strict=True))
    by_item = dict(zip(ITEMS, mine, strict=True))
    return tuple(by_item[asset] for asset in g.pot)


def new_table(
    config: DeviceConfig,
    instances: Sequence[Instance],
    seed: int,
    *,
    n_steps: int,
    turn_blocks: int = 2,
) -> Table:
    """A fresh device for ``instances`` and its :class:`Table`."""
    device = Device(config, negotiation_genesis(config, instances), seed=seed)
    return Table(device, n_steps=n_steps, turn_blocks=turn_blocks)
