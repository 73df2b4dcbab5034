"""An LLM delegate bargains on the device for a principal, against a scripted negotiator.

One Deal-or-No-Deal negotiation (``accord.mechanisms.bargaining.deal_or_no_deal``) on
the :class:`~accord.contracts.negotiation.Negotiation` venue, with the principal's hard
limits committed to :class:`~accord.contracts.mandate.Mandates` **before** the delegate
can act:

1. the host opens the negotiation and deposits the pool (books, hats and balls are
   assets); the principal grants its delegate a mandate at the venue
   (:func:`principal_limits`: its valuation as weights, a reservation value as
   ``min_value``), then joins naming the delegate; the counterpart joins as itself;
2. offers alternate, player 0 first. On the principal's side the
   :class:`~accord.agents.llm.negotiation.LLMDelegate` decides (proposes, accepts or
   ends) and signs as the delegate; on the other side a scripted negotiator speaking
   NegMAS's SAO vocabulary (:mod:`accord.agents.bargaining`) proposes and responds;
3. an acceptance is the complement commitment: both fire at the end of the block and
   the pot is paid out. A delegate's offer or acceptance outside the mandate is a
   revert on the device (``refused``), whatever the model answered and whether or not
   the delegate checked it first; the negotiation then lapses and every item returns to
   the host.

Each transaction is its own block (a negotiation takes a few dozen blocks); the game
speed of ``deal_or_no_deal``'s waves is not the point here, the mandate is.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field

from accord.agents.bargaining.sao import NMI, Negotiator, Offer, ResponseType, SAOState
from accord.agents.llm import negotiation_stand_in  # noqa: F401  # registers "delegate"
from accord.agents.llm.negotiation import LLMDelegate, Principal, Situation, to_device
from accord.contracts.mandate import Limits, Mandates, Pairs, Raw
from accord.contracts.negotiation import AGREED, FAILED, OPEN, Negotiation
from accord.contracts.negotiation_offers import acceptance
from accord.device import AssetSpec, Device, DeviceConfig, DeviceError, Genesis, Transaction
from accord.mechanisms.bargaining.deal_or_no_deal import Division, Instance

ITEMS = ("book", "hat", "ball")
"""Deal or No Deal's item types as device assets (the ``deal_or_no_deal`` game's names)."""
HOST, PRINCIPAL, DELEGATE, COUNTERPART = "host", "principal", "delegate", "counterpart"
GAS = 600_000


def delegation_genesis(config: DeviceConfig, instances: Sequence[Instance]) -> Genesis:
    """Fees for everyone; the host holds every pool's items."""
    items = {item: sum(i.pool[k] for i in instances) or 1 for k, item in enumerate(ITEMS)}
    payers = (HOST, PRINCIPAL, DELEGATE, COUNTERPART, config.builder)
    return Genesis(
        assets={
            config.fee_asset: AssetSpec(issuer="treasury", alloc=dict.fromkeys(payers, 10**30)),
            **{item: AssetSpec(issuer=HOST, alloc={HOST: n}) for item, n in items.items()},
        }
    )


def principal_limits(values: Sequence[int], reservation: int, expiry: int) -> Limits:
    """A principal's hard limits: its valuation of the items as weights, and the least
    value it accepts (``min_value``), until block ``expiry``."""
    weights = tuple(sorted((item, v) for item, v in zip(ITEMS, values, strict=True) if v))
    return Limits(expiry=expiry, weights=weights, min_value=reservation)


@dataclass
class DelegatedEpisode:
    """How one delegated negotiation ended.

    ``received`` is what the principal got, by item (``None``: no deal), ``value`` its
    private value of it, ``offers`` the offers the device accepted, ``refused`` the
    delegate's moves the device reverted (limits), ``ended_by`` ``agreement``,
    ``end by delegate``, ``end by counterpart``, ``delegate gave up``, ``refused by the
    device`` or ``timeout``.
    """

    received: dict[str, int] | None
    value: int
    offers: int
    refused: int
    ended_by: str
    errors: list[str] = field(default_factory=list)


class DelegationTable:
    """A device with :class:`Mandates` and a :class:`Negotiation` venue that reads them."""

    def __init__(self, device: Device, *, turn_blocks: int = 4) -> None:
        if turn_blocks < 3:
            raise ValueError("turn_blocks must be >= 3: a move lands one block after the offer")
        self.device = device
        self.turn_blocks = turn_blocks
        self.acct = {n: device.account(n) for n in (HOST, PRINCIPAL, DELEGATE, COUNTERPART)}
        self.mandates = device.deploy(self.acct[HOST], Mandates)
        self.venue = device.deploy(self.acct[HOST], Negotiation, self.mandates)

    def _call(self, who: str, to: str, method: str, *args: object) -> str | None:
        receipt = self.device.call(self.acct[who], to, method, *args, gas_limit=GAS)
        return None if receipt.ok else (receipt.error or receipt.status)

    def play(
        self,
        instance: Instance,
        player: int,
        delegate: LLMDelegate,
        counterpart: Negotiator,
        *,
        reservation: int,
        brief: str = "",
        n_steps: int = 8,
        counterpart_note: str = "",
        limits: Limits | None = None,
    ) -> DelegatedEpisode:
        """The principal plays ``player`` (0 opens) of ``instance`` through ``delegate``.

        The principal's limits are its instance values and ``reservation``
        (:func:`principal_limits`), or ``limits`` if given (e.g. compiled from its words
        by :func:`accord.agents.llm.negotiation_brief.compile_preferences`); with
        ``limits`` its stated weights are also the values the delegate is told and the
        episode's value is measured in."""
        device, venue = self.device, self.venue
        sides = (PRINCIPAL, COUNTERPART) if player == 0 else (COUNTERPART, PRINCIPAL)
        deposit = tuple(sorted((ITEMS[k], n) for k, n in enumerate(instance.pool) if n))
        nid: int = device.view(venue, "count")
        errors = [self._call(HOST, venue, "open", *sides, deposit, self.turn_blocks, n_steps)]
        stated = limits is not None
        if limits is None:
            limits = principal_limits(instance.values[player], reservation, device.number + 500)
        errors.append(
            self._call(PRINCIPAL, self.mandates, "grant", DELEGATE, venue, limits.to_args())
        )
        errors.append(self._call(PRINCIPAL, venue, "join", nid, DELEGATE, ()))
        errors.append(self._call(COUNTERPART, venue, "join", nid, COUNTERPART, ()))
        problems = [e for e in errors if e]
        if problems:
            raise RuntimeError(f"the negotiation could not start: {problems}")
        try:
            return self._play(
                nid,
                instance,
                player,
                delegate,
                counterpart,
                n_steps,
                brief,
                counterpart_note,
                dict(limits.weights) if stated else None,
            )
        finally:  # one mandate per negotiation: the next one grants afresh
            self._call(PRINCIPAL, self.mandates, "revoke", DELEGATE, venue)

    def _play(
        self,
        nid: int,
        instance: Instance,
        player: int,
        delegate: LLMDelegate,
        counterpart: Negotiator,
        n_steps: int,
        brief: str,
        counterpart_note: str,
        stated: dict[str, int] | None,
    ) -> DelegatedEpisode:
        device, venue = self.device, self.venue
        pot: Pairs = device.view(venue, "pot", nid)
        raw: Raw = device.view(self.mandates, "mandate", PRINCIPAL, DELEGATE, venue)
        values = dict(zip(ITEMS, instance.values[player], strict=True))
        principal = Principal(PRINCIPAL, values if stated is None else stated, raw, brief)
        counterpart.on_negotiation_start(
            NMI(
                1 - player,
                instance.pool,
                instance.values[1 - player],
                n_steps,
                instance.divisions(),
            )
        )
        history: list[Offer] = []
        refused, ended_by = 0, ""
        for step in range(n_steps):
            proposer = step % 2
            live = history[-1] if history else None
            if proposer == player:
                s = self._situation(
                    nid, principal, pot, step, n_steps, live, player, counterpart_note
                )
                d = delegate.decide(s)
                if d is None:
                    ended_by = "delegate gave up"
                    break
                if d.action == "end":
                    ended_by = "end by delegate"
                    break
                action = to_device(
                    d, s, self.acct[DELEGATE], device.next_nonce(DELEGATE), device.default_max_fee()
                )
                if isinstance(action, Transaction):
                    receipt = device.execute(action)
                    if not receipt.ok:
                        refused += 1
                        ended_by = "refused by the device"
                        break
                    assert d.receive is not None
                    history.append(Offer(step, proposer, self._division(pot, d.receive, player)))
                    continue
                assert action is not None
                with suppress(DeviceError, ValueError):  # e.g. an acceptance of no offer
                    device.commit(self.acct[DELEGATE], action)
                device.build_block()
                if device.view(venue, "state", nid)[0] != AGREED:
                    refused += 1
                    ended_by = "refused by the device"
                ended_by = ended_by or "agreement"
                break
            state = SAOState(
                step,
                n_steps,
                live.outcome if live else None,
                live.proposer if live else None,
                tuple(history),
            )
            if live is not None:
                answer = counterpart.respond(state, live.outcome)
                if answer is ResponseType.ACCEPT_OFFER:
                    _, _, deadline = device.view(venue, "offer", nid, step - 1)
                    device.commit(
                        self.acct[COUNTERPART],
                        acceptance(COUNTERPART, venue, nid, step - 1, deadline),
                    )
                    device.build_block()
                    ended_by = "agreement"
                    break
                if answer is not ResponseType.REJECT_OFFER:
                    ended_by = "end by counterpart"
                    break
            division = counterpart.propose(state)
            keep = self._pot_order(pot, division if player == 1 else instance.rest(division))
            if self._call(COUNTERPART, venue, "propose", nid, keep) is not None:
                ended_by = "counterpart's offer refused"
                break
            history.append(Offer(step, proposer, division))
        for _ in range(self.turn_blocks + 2):  # let a lapse fire (bounded)
            if device.view(venue, "state", nid)[0] != OPEN:
                break
            device.build_block()
        phase = device.view(venue, "state", nid)[0]
        if phase == AGREED:
            _, _, a_gets = device.view(venue, "agreement", nid)
            mine = (
                a_gets
                if player == 0
                else tuple(t - q for (_, t), q in zip(pot, a_gets, strict=True))
            )
            received = {a: q for (a, _), q in zip(pot, mine, strict=True)}
            value = sum(principal.values.get(a, 0) * q for a, q in received.items())
            return DelegatedEpisode(received, value, len(history), refused, "agreement")
        assert phase == FAILED, phase
        return DelegatedEpisode(None, 0, len(history), refused, ended_by or "timeout")

    def _situation(
        self,
        nid: int,
        principal: Principal,
        pot: Pairs,
        step: int,
        n_steps: int,
        live: Offer | None,
        player: int,
        note: str,
    ) -> Situation:
        offer, deadline = None, 0
        if live is not None:
            offer = self._receive(pot, live.outcome, player)
            deadline = self.device.view(self.venue, "offer", nid, step - 1)[2]
        return Situation(
            venue=self.venue,
            nid=nid,
            delegate=DELEGATE,
            principal=principal,
            pot=pot,
            contribution=(),
            block=self.device.number + 1,
            step=step,
            n_steps=n_steps,
            offer=offer,
            offer_deadline=deadline,
            counterpart_note=note,
        )

    @staticmethod
    def _pot_order(pot: Pairs, bundle: Sequence[int]) -> tuple[int, ...]:
        by_item = dict(zip(ITEMS, bundle, strict=True))
        return tuple(by_item[a] for a, _ in pot)

    def _receive(self, pot: Pairs, division: Division, player: int) -> tuple[int, ...]:
        """What ``player`` receives of a division (player 0's quantities), in pot order."""
        totals = {a: n for a, n in pot}
        p0 = dict(zip(ITEMS, division, strict=True))
        return tuple(p0[a] if player == 0 else totals[a] - p0[a] for a, _ in pot)

    @staticmethod
    def _division(pot: Pairs, receive: Sequence[int], player: int) -> Division:
        """The division (player 0's quantities by item) in which ``player`` gets ``receive``."""
        got = {a: q for (a, _), q in zip(pot, receive, strict=True)}
        totals = {a: n for a, n in pot}
        mine = tuple(got.get(i, 0) for i in ITEMS)
        if player == 0:
            return (mine[0], mine[1], mine[2])
        rest = tuple(totals.get(i, 0) - q for i, q in zip(ITEMS, mine, strict=True))
        return (rest[0], rest[1], rest[2])


def new_delegation_table(
    instances: Sequence[Instance], seed: int, config: DeviceConfig | None = None
) -> DelegationTable:
    """A fresh device for ``instances`` and its :class:`DelegationTable`."""
    config = config or DeviceConfig()
    return DelegationTable(Device(config, delegation_genesis(config, instances), seed=seed))
