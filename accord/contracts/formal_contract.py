"""FormalContract: zero-sum transfer contracts between agents, settled each step from
locked deposits.

The device half of Haupt, Christoffersen, Damani & Hadfield-Menell, "Formal Contracts
Mitigate Social Dilemmas in Multi-Agent RL" (AAMAS journal, 2024): the math (spaces,
rules, exact splits, settlement against deposits) is
:mod:`accord.mechanisms.contracting`; this contract holds the deposits and the state.
One deployment holds many contracts, ``id -> terms + state``. Life of a contract:

1. **propose** (anyone): the parties (2 to 32, distinct), the space (as data), the
   parameters, the asset, one deposit per party, the **observer** (an account or a
   contract that is not a party: the env's referee, the fishery contract), the gas terms,
   the steps ``start..end`` it covers (the observer's clock: env steps, rounds) and a
   ``deadline`` block. A proposer who is a party accepts by proposing; a party whose
   deposit is 0 can only receive, so it is taken to accept (a unilateral commitment, where
   only the committer stakes, is active as soon as the committer proposes it).
2. **accept** (each party, once, while proposed): its deposit is locked under this
   contract (``ctx.lock``, as :class:`~accord.contracts.escrow.Escrow` locks: the funds
   stay the party's, only this contract can move them). When every party has accepted,
   the contract is **active**. **reject** (any party, while proposed; also one who
   accepted) cancels it and refunds every locked deposit.
3. **settle(id, step, features)** (the observer only): one step's features, one int per
   party; steps strictly increase and lie in ``start..end``. The rule's net transfers are
   paid out of the deposits (to the receivers' free balances), after the keeper fee. A
   party whose deposit cannot cover its fee or its transfer pays what it has left and the
   contract is **exhausted**: it ends, and every remainder is refunded at once. Settling
   step ``end`` **ends** it the same way. Settling a proposal that not every party has
   accepted, at a step ``>= start``, **expires** it (deposits refunded, nothing moves):
   "not all accepted by the start".
4. **close(id)**: the observer may end an active contract at any time (the episode ended
   early); after the ``deadline`` block anyone may end or expire a contract that is
   still open, so that deposits never stay locked because an observer went away.

**Gas.** The observer sends every settlement and pays its gas. With a keeper fee
(``keeper_fee > 0``) the contract reimburses it: each settlement pays ``keeper_fee`` of
the contract's asset to the observer, out of ``fee_payer``'s deposit (a party), or split
among all parties (``fee_payer == "*"``, by the exact split rule). ``fee_payer == ""``
(the default) means the observer bears its gas and ``keeper_fee`` must be 0. The fee is
taken before the step's transfers and counts for exhaustion like them.

**Bounds.** Every loop runs over the parties (at most
:data:`~accord.mechanisms.contracting.MAX_PARTIES`) and is charged :data:`PARTY_GAS` per
party (``PAIR_GAS`` per pair for the rule) before it runs. The contract calls no other
contract (ledger operations run no code), so nothing can re-enter it; an observer that
is a contract can only call ``settle`` again, for a later step.

Design note, figures and who can cheat: ``docs/contracts/formal_contract.md``.
"""

from __future__ import annotations

from typing import Any

from accord.contracts.args import address, base_units
from accord.contracts.commit_reveal import lock_or_revert
from accord.contracts.formal_contract_terms import (
    MAX_BATCH,
    MAX_DEPOSIT,
    MAX_STEP,
    SHARED,
    bounded,
    fee_shares,
    require,
    short,
)
from accord.contracts.formal_contract_terms import deposits as check_deposits
from accord.contracts.formal_contract_terms import parties as check_parties
from accord.device import Context, Contract, Map, Revert, Var, public
from accord.mechanisms.contracting import ContractSpace, flows, settle_steps

__all__ = [
    "ACTIVE",
    "ENDED",
    "EXHAUSTED",
    "EXPIRED",
    "OPEN_STATES",
    "PROPOSED",
    "REJECTED",
    "SHARED",
    "FormalContract",
    "State",
    "Terms",
]

PROPOSED, ACTIVE = "proposed", "active"
ENDED, EXHAUSTED, REJECTED, EXPIRED = "ended", "exhausted", "rejected", "expired"
OPEN_STATES = (PROPOSED, ACTIVE)
"""The states a contract may leave; the four others are final (deposits refunded)."""
PARTY_GAS = 300
"""Gas per party charged before each loop over the parties (checks, splits, refunds),
and per party and settled step: the loops are pure Python outside the storage meter; a
few lines of work per party, at the step meter's 100 gas a line."""
PAIR_GAS = 50
"""Gas per (payer, party) pair and settled step, charged before the rule runs (a split
walks the others)."""

Terms = tuple[Any, ...]
"""``(proposer, parties, space, params, asset, deposits, observer, fee_payer,
keeper_fee, start, end, deadline)``; ``space`` as :meth:`ContractSpace.to_data`."""
State = tuple[Any, ...]
"""``(status, accepted, left, transferred, fees, last_step)``: ``accepted`` a bool per
party, ``left`` each deposit's remainder, ``transferred`` each party's net transfer so
far, ``fees`` the keeper fees each paid so far, ``last_step`` the last settled step
(``start − 1`` before the first)."""


class FormalContract(Contract):
    """Many formal contracts, ``id -> (Terms, State)`` (module docstring)."""

    next_id: Var[int] = Var(0)
    terms_of: Map[Terms | None] = Map(None)
    state_of: Map[State | None] = Map(None)

    # -- proposing and answering -------------------------------------------------------
    @public
    def propose(
        self,
        ctx: Context,
        parties: tuple[str, ...],
        space: tuple[Any, ...],
        params: tuple[int, ...],
        asset: str,
        deposits: tuple[int, ...],
        observer: str,
        fee_payer: str,
        keeper_fee: int,
        start: int,
        end: int,
        deadline: int,
    ) -> int:
        """Propose a contract; returns its id. The proposer, if a party, accepts (its
        deposit is locked now); parties with deposit 0 accept too."""
        parties = check_parties(parties)
        n = len(parties)
        ctx.use_gas(PARTY_GAS * n)
        contract_space = require(ContractSpace.from_data, space)
        params = require(contract_space.check_params, params)
        if type(params) is not tuple:
            raise Revert(f"params must be a tuple, got {short(params)}")
        address("asset", asset)
        if not ctx.asset_exists(asset):
            raise Revert(f"asset {asset!r} does not exist")
        deposits = check_deposits(deposits, n)
        address("observer", observer)
        if observer in parties:
            raise Revert("the observer must not be a party (it reports the parties' features)")
        if type(fee_payer) is not str or (
            fee_payer not in ("", SHARED) and fee_payer not in parties
        ):
            raise Revert(f"fee_payer must be '', '*' or a party, got {short(fee_payer)}")
        base_units("keeper_fee", keeper_fee)
        if keeper_fee > MAX_DEPOSIT:
            raise Revert(f"keeper_fee must be at most {MAX_DEPOSIT}, got {keeper_fee}")
        if fee_payer == "" and keeper_fee:
            raise Revert("a keeper_fee needs a fee_payer (a party, or '*' for all)")
        if keeper_fee and any(
            d == 0 for who, d in zip(parties, deposits, strict=True) if fee_payer in (SHARED, who)
        ):
            raise Revert("every party that pays the keeper_fee needs a positive deposit")
        bounded("start", start, 0, MAX_STEP)
        bounded("end", end, start, MAX_STEP)
        bounded("deadline", deadline, ctx.block_number + 1, MAX_STEP)
        proposer = ctx.sender
        accepted = tuple(
            d == 0 or who == proposer for who, d in zip(parties, deposits, strict=True)
        )
        if proposer in parties:
            mine = deposits[parties.index(proposer)]
            if mine:
                lock_or_revert(ctx, asset, mine, "the proposer's deposit")
        cid = self.next_id
        self.next_id = cid + 1
        self.terms_of[cid] = (
            proposer,
            parties,
            contract_space.to_data(),
            params,
            asset,
            deposits,
            observer,
            fee_payer,
            keeper_fee,
            start,
            end,
            deadline,
        )
        status = ACTIVE if all(accepted) else PROPOSED
        zeros = (0,) * n
        left = tuple(d if a else 0 for d, a in zip(deposits, accepted, strict=True))
        self.state_of[cid] = (status, accepted, left, zeros, zeros, start - 1)
        ctx.emit("Proposed", id=cid, proposer=proposer, parties=parties, params=params)
        if status == ACTIVE:
            ctx.emit("Activated", id=cid)
        return cid

    def _open(self, cid: object) -> tuple[Terms, State]:
        if type(cid) is not int:
            raise Revert(f"contract id must be an int, got {short(cid)}")
        terms = self.terms_of[cid]
        state = self.state_of[cid]
        if terms is None or state is None:
            raise Revert(f"no contract {cid}")
        return terms, state

    @public
    def accept(self, ctx: Context, cid: int) -> str:
        """A party accepts: its deposit is locked. Returns the status (``active`` once
        every party has accepted)."""
        terms, state = self._open(cid)
        parties = terms[1]
        who = ctx.sender
        if who not in parties:
            raise Revert(f"{who} is not a party to contract {cid}")
        if state[0] != PROPOSED:
            raise Revert(f"contract {cid} is {state[0]}: nothing to accept")
        if ctx.block_number > terms[11]:
            raise Revert(f"contract {cid}'s deadline block {terms[11]} has passed")
        i = parties.index(who)
        accepted, left = state[1], state[2]
        if accepted[i]:
            raise Revert(f"{who} has already accepted contract {cid}")
        deposit = terms[5][i]
        lock_or_revert(ctx, terms[4], deposit, f"the deposit of contract {cid}")
        accepted = (*accepted[:i], True, *accepted[i + 1 :])
        left = (*left[:i], deposit, *left[i + 1 :])
        status = ACTIVE if all(accepted) else PROPOSED
        self.state_of[cid] = (status, accepted, left, *state[3:])
        ctx.emit("Accepted", id=cid, party=who)
        if status == ACTIVE:
            ctx.emit("Activated", id=cid)
        return status

    @public
    def reject(self, ctx: Context, cid: int) -> None:
        """A party rejects a proposal (or withdraws its acceptance): the proposal is
        cancelled and every locked deposit refunded."""
        terms, state = self._open(cid)
        if ctx.sender not in terms[1]:
            raise Revert(f"{ctx.sender} is not a party to contract {cid}")
        if state[0] != PROPOSED:
            raise Revert(f"contract {cid} is {state[0]}: only a proposal can be rejected")
        self._finish(ctx, cid, terms, state, REJECTED, state[2])

    def _finish(
        self,
        ctx: Context,
        cid: int,
        terms: Terms,
        state: State,
        status: str,
        left: tuple[int, ...],
    ) -> None:
        """Refund every remainder and record the final ``status``."""
        parties, asset = terms[1], terms[4]
        ctx.use_gas(PARTY_GAS * len(parties))
        for who, amount in zip(parties, left, strict=True):
            if amount:
                ctx.unlock(who, asset, amount)
        self.state_of[cid] = (status, state[1], (0,) * len(parties), *state[3:])
        ctx.emit("Finished", id=cid, status=status, refunded=left)

    # -- settling ----------------------------------------------------------------------
    @public
    def settle(
        self, ctx: Context, cid: int, step: int, features: tuple[int, ...]
    ) -> tuple[tuple[int, ...], tuple[int, ...], str]:
        """The observer posts step ``step``'s features; returns ``(transfers, fees,
        status)``: each party's net transfer and keeper fee paid this step, and the
        contract's status after it."""
        if type(step) is not int:
            raise Revert(f"step must be an int, got {short(step)}")
        done, status = self._settle_rows(ctx, cid, (step,), (features,))
        if not done:  # the proposal expired
            zeros = (0,) * len(self._open(cid)[0][1])
            return zeros, zeros, status
        return done[0][0], done[0][1], status

    @public
    def settle_many(
        self, ctx: Context, cid: int, steps: tuple[int, ...], rows: tuple[tuple[int, ...], ...]
    ) -> tuple[tuple[tuple[tuple[int, ...], tuple[int, ...]], ...], str]:
        """The observer posts several steps at once (at most :data:`MAX_BATCH`; steps
        strictly increasing, one feature row each): the same as settling them one by
        one, in one transaction. Returns ``(((transfers, fees), ...), status)`` for the
        steps applied: all, or up to the one that exhausted a deposit."""
        if type(steps) is not tuple or not 1 <= len(steps) <= MAX_BATCH:
            raise Revert(f"steps must be a tuple of 1 to {MAX_BATCH} ints, got {short(steps)}")
        if type(rows) is not tuple or len(rows) != len(steps):
            raise Revert(f"rows must be a tuple of {len(steps)} feature tuples, one per step")
        return self._settle_rows(ctx, cid, steps, rows)

    def _settle_rows(
        self, ctx: Context, cid: int, steps: tuple[Any, ...], rows: tuple[Any, ...]
    ) -> tuple[tuple[tuple[tuple[int, ...], tuple[int, ...]], ...], str]:
        terms, state = self._open(cid)
        parties, observer = terms[1], terms[6]
        if ctx.sender != observer:
            raise Revert(f"only the observer {observer} may settle contract {cid}")
        status, last, start, end = state[0], state[5], terms[9], terms[10]
        if status not in OPEN_STATES:
            raise Revert(f"contract {cid} is {status}: nothing to settle")
        n = len(parties)
        ctx.use_gas((PARTY_GAS * n + PAIR_GAS * n * n) * len(steps))
        low = max(last + 1, start)
        for step in steps:
            if type(step) is not int or not low <= step <= end:
                raise Revert(
                    f"step must be an int in [{low}, {end}] (after the last settled step "
                    f"{last}, steps strictly increasing), got {short(step)}"
                )
            low = step + 1
        if status == PROPOSED:
            self._finish(ctx, cid, terms, state, EXPIRED, state[2])
            return (), EXPIRED
        space = require(ContractSpace.from_data, terms[2])
        batch = require(settle_steps, space, terms[3], rows, state[2], fee_shares(terms))
        asset = terms[4]
        for who, paid in zip(parties, batch.fees, strict=True):
            if paid:
                ctx.release(who, asset, paid, observer)
        for payer, receiver, amount in flows(batch.outflows, batch.inflows):
            if payer == receiver:
                ctx.unlock(parties[payer], asset, amount)
            else:
                ctx.release(parties[payer], asset, amount, parties[receiver])
        done = tuple((s.transfers, s.fees) for s in batch.steps)
        applied = steps[: len(done)]
        if len(done) == 1:
            ctx.emit("Settled", id=cid, step=applied[0], transfers=done[0][0], fees=done[0][1])
        else:  # one event per batch: the per-step results are the call's result
            net = tuple(i - o for i, o in zip(batch.inflows, batch.outflows, strict=True))
            ctx.emit("SettledMany", id=cid, steps=applied, transfers=net, fees=batch.fees)
        moved = tuple(
            a + i - o for a, i, o in zip(state[3], batch.inflows, batch.outflows, strict=True)
        )
        fees = tuple(a + b for a, b in zip(state[4], batch.fees, strict=True))
        after: State = (ACTIVE, state[1], batch.left, moved, fees, applied[-1])
        final = EXHAUSTED if batch.exhausted else ENDED if applied[-1] == end else ACTIVE
        if final == ACTIVE:
            self.state_of[cid] = after
        else:
            self._finish(ctx, cid, terms, after, final, batch.left)
        return done, final

    @public
    def close(self, ctx: Context, cid: int) -> str:
        """End an active contract (the observer, any time; anyone after the deadline
        block) or expire a proposal (anyone after the deadline); remainders refunded.
        Returns the final status."""
        terms, state = self._open(cid)
        status = state[0]
        if status not in OPEN_STATES:
            raise Revert(f"contract {cid} is already {status}")
        late = ctx.block_number > terms[11]
        if status == PROPOSED and not late:
            raise Revert(
                f"proposal {cid} can be closed only after its deadline block {terms[11]}: "
                "a party may reject it"
            )
        if status == ACTIVE and not late and ctx.sender != terms[6]:
            raise Revert(
                f"only the observer {terms[6]} may close contract {cid} before its "
                f"deadline block {terms[11]}"
            )
        final = EXPIRED if status == PROPOSED else ENDED
        self._finish(ctx, cid, terms, state, final, state[2])
        return final

    # -- views -------------------------------------------------------------------------
    @public
    def terms(self, ctx: Context, cid: int) -> Terms:
        """The contract's terms (:data:`Terms`)."""
        return self._open(cid)[0]

    @public
    def state(self, ctx: Context, cid: int) -> State:
        """The contract's state (:data:`State`)."""
        return self._open(cid)[1]

    @public
    def status(self, ctx: Context, cid: int) -> str:
        """``proposed``, ``active``, ``ended``, ``exhausted``, ``rejected`` or ``expired``."""
        return str(self._open(cid)[1][0])

    @public
    def deposits_left(self, ctx: Context, cid: int) -> tuple[int, ...]:
        """What is left of each party's locked deposit."""
        return tuple(self._open(cid)[1][2])

    @public
    def transferred(self, ctx: Context, cid: int) -> tuple[int, ...]:
        """Each party's net transfer so far (sums to 0)."""
        return tuple(self._open(cid)[1][3])

    @public
    def count(self, ctx: Context) -> int:
        """How many contracts have been proposed (ids ``0 .. count − 1``)."""
        return self.next_id
