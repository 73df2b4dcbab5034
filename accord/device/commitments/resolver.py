"""Block-level resolution: which pending commitments fire, in which groups, and settling them.

At the end of every block (after its transactions and batch settlement), the device
resolves all pending commitments together (``docs/commitments.md`` has the full rules):

1. **Read.** State atoms read the state as the block's transactions left it; views run
   read-only (their writes are rolled back; a view that fails makes its atom false).
   Finality atoms read only final blocks: block ``N`` sees ``finalized`` as a call in
   it sees ``ctx.finalized``, ``max(0, N - 1 - finality_depth)``, and a transaction's
   inclusion only if its block is at most that (``docs/finality.md``).
2. **Solve.** :class:`~.modal.ModalSolver` decides which commitments fire, as one
   fixed point under the Löbian reading (always terminates), within the block's
   evaluation budget: the units its pending commitments paid for per block
   (:func:`.cost.block_budget`). Past it the solve stops and nothing fires this block
   (``Resolution.exhausted``); expiries still run.
3. **Group.** Firing commitments that refer to each other (``fires``/``exists`` of
   another's actual firing, or ``after``) form a group: connected components.
4. **Settle.** Groups settle one by one in posting order of their oldest member. Within
   a group, members run in ``after`` order (ties: posting order), each action as a call
   or transfer *by the owner*, each metered by its own gas limit (and, for a contract
   from ``Genesis.metered_modules``, by the step meter, as any call into it is). Then every member's
   ``requires`` is checked against the owner's balance change over the whole group. Any
   failure undoes the whole group (journal rollback): it settles like a bundle or not
   at all. A member whose own action failed has broken its promise: its bond is paid to
   the group's other owners and it is struck off; the rest stay pending.
5. **Expire.** Commitments whose expiry is this block and that did not fire run their
   ``otherwise`` actions (as a group of one) and leave; their bonds are returned.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from accord.device import gas as G
from accord.device.commitments.cost import COMMITMENT_VIEW_GAS, evaluation_units, measure
from accord.device.commitments.language import (
    REFS,
    SELF,
    Action,
    BalanceCmp,
    BlockCmp,
    Call,
    Commitment,
    FinalIncluded,
    Finalized,
    Pattern,
    ViewCmp,
)
from accord.device.commitments.library import LIBRARY
from accord.device.commitments.matching import action_matches, compare
from accord.device.commitments.modal import (
    EvaluationExhausted,
    ModalSolver,
    StateAtom,
    WorkBudget,
)
from accord.device.commitments.registry import REGISTRY_ADDRESS, CommitmentRegistry, parse_document
from accord.device.context import _entry_point
from accord.device.contract import NO_VALUE, Event
from accord.device.encoding import canonical
from accord.device.errors import InvalidValue

if TYPE_CHECKING:
    from accord.device.ledger import Ledger

UNMETERED = 1 << 62
VIEW_GAS = 1_000_000
"""Gas a read-only view may use (:meth:`Device.view`, off the device's blocks)."""
_FAILED = object()


@dataclass(frozen=True)
class GroupOutcome:
    """One atomically settled (or failed) group."""

    members: tuple[str, ...]
    ok: bool
    error: str | None = None
    culprit: str | None = None
    """The member whose own action failed (its bond was slashed), if any."""


@dataclass(frozen=True)
class Resolution:
    """What one block's resolution did."""

    number: int
    pending: int
    fired: tuple[str, ...]
    """Commitments whose condition held (before settlement)."""
    groups: tuple[GroupOutcome, ...]
    expired: tuple[GroupOutcome, ...]
    """Commitments that expired this block; ``ok`` says whether ``otherwise`` settled."""
    worlds: int
    exhausted: bool = False
    """The evaluation needed more than the block's budget: nothing fired (module doc)."""
    work: int = 0
    """Evaluation units spent (the budget is what the pending commitments paid for)."""

    @property
    def settled(self) -> tuple[str, ...]:
        """Commitments whose actions were applied this block."""
        return tuple(m for g in self.groups if g.ok for m in g.members)


class _Resolver:
    def __init__(self, device: Any, registry: CommitmentRegistry, number: int, ts: int) -> None:
        self.device = device
        self.registry = registry
        self.ledger: Ledger = device.ledger
        self.number, self.timestamp = number, ts
        self.finalized = max(0, number - 1 - device.config.finality_depth)
        """The newest final block, as ``ctx.finalized`` in this block: no fork that
        leaves a block ``number`` on the chain can replace it (``docs/finality.md``)."""
        raw = registry.__dict__["entries"]._data
        ordered = sorted(raw.items(), key=lambda kv: kv[1][0])
        self.seq = {cid: entry[0] for cid, entry in ordered}
        self.documents = {cid: entry[1] for cid, entry in ordered}
        self.programs = {cid: parse_document(doc) for cid, doc in self.documents.items()}
        # Indexes for pattern matching, so an `exists` costs its candidates, not a scan.
        self.by_owner: dict[str, list[str]] = {}
        self.by_method: dict[str, list[str]] = {}
        self.by_payee: dict[str, list[str]] = {}
        for cid, c in self.programs.items():
            self.by_owner.setdefault(c.owner, []).append(cid)
            for m in sorted({a.method for a in c.actions if isinstance(a, Call)}):
                self.by_method.setdefault(m, []).append(cid)
            for to in sorted({a.to for a in c.actions}):
                self.by_payee.setdefault(to, []).append(cid)
        self.views: dict[tuple[str, str, Any], object] = {}
        self.budget = WorkBudget(sum(_document_units(entry[1]) for _, entry in ordered))

    def compiled_size(self, cid: str) -> int:
        """A program's compiled-node bound, spent before the solver compiles it."""
        document = self.documents.get(cid)
        if document is not None:
            return _document_compiled(document)
        return _library_compiled(cid)

    def _call(self, target: object, fn: Callable[..., Any], ctx: Any, args: Any) -> Any:
        """``fn(ctx, *args)``, under the step meter if ``target``'s class is metered
        (``Genesis.metered_modules``): a commitment's view or action calls a metered
        contract exactly as a transaction does."""
        meter = self.device.executor.meter
        if meter.prefixes and meter.is_metered(type(target)):
            return meter.call(fn, ctx, *args)
        return fn(ctx, *args)

    # -- the solver's oracles -----------------------------------------------------------
    def state(self, atom: StateAtom, program: Commitment) -> bool:
        if isinstance(atom, BlockCmp):
            return compare(self.number, atom.cmp, atom.value)
        if isinstance(atom, BalanceCmp):
            account = program.owner if atom.account == SELF else atom.account
            return compare(self.ledger.balance(account, atom.asset), atom.cmp, atom.value)
        if isinstance(atom, Finalized):
            return compare(self.finalized, atom.cmp, atom.value)
        if isinstance(atom, FinalIncluded):
            # The seal records each included transaction's block; this block's own
            # transactions are not recorded yet (and are not final anyway).
            found = self.ledger.inclusions.get(atom.tx_hash)
            limit = self.finalized if atom.by is None else min(self.finalized, atom.by)
            return found is not None and found <= limit
        assert isinstance(atom, ViewCmp)
        return compare(self.view(atom), atom.cmp, atom.value)

    def view(self, atom: ViewCmp) -> object:
        try:
            args = canonical(atom.args)
        except InvalidValue:  # the schema refuses these; should one get past, it is false
            return _FAILED
        key = (atom.contract, atom.method, args)
        if key not in self.views:
            self.views[key] = self._run_view(atom.contract, atom.method, args)
        return self.views[key]

    def _run_view(self, address: str, method: str, args: Any) -> object:
        ledger = self.ledger
        mark = ledger.mark()
        used, limit = ledger.gas_used, ledger.gas_limit
        ledger.gas_used, ledger.gas_limit = 0, COMMITMENT_VIEW_GAS  # paid for at posting
        kit = self.device.executor.contexts
        previous = kit.active[0]
        try:
            target = self.device.contract_at(address)
            fn = _entry_point(target, method)
            ctx = kit.make(
                address, REGISTRY_ADDRESS, REGISTRY_ADDRESS, NO_VALUE, self.number, self.timestamp
            )
            kit.enter(ctx)
            result: object = self._call(target, fn, ctx, args)
            if ledger.gas_used > COMMITMENT_VIEW_GAS:
                result = _FAILED
        except KeyboardInterrupt:
            raise
        except BaseException:  # a failing view (revert, out of gas, anything) makes it false
            result = _FAILED
        finally:
            kit.leave(previous)
            ledger.rollback(mark)
            ledger.gas_used, ledger.gas_limit = used, limit
        return result

    def match(self, pattern: Pattern, self_id: str) -> list[str]:
        asker = self.programs[self_id].owner
        if pattern.id is not None:
            candidates = [pattern.id] if pattern.id in self.programs else []
        elif pattern.owner is not None:
            candidates = self.by_owner.get(pattern.owner, [])
        elif pattern.action is not None and pattern.action.to is not None:
            to = asker if pattern.action.to == SELF else pattern.action.to
            candidates = self.by_payee.get(to, [])
        elif pattern.action is not None and pattern.action.method is not None:
            candidates = self.by_method.get(pattern.action.method, [])
        else:
            candidates = list(self.programs)
        budget = self.budget
        budget.spend(len(candidates))  # the scan, before it
        out = []
        for cid in candidates:
            c = self.programs[cid]
            budget.spend(len(c.actions))
            if cid == self_id or (pattern.owner is not None and c.owner != pattern.owner):
                continue
            action = pattern.action
            if action is None or any(action_matches(action, a, asker) for a in c.actions):
                out.append(cid)
        return out

    # -- resolution ---------------------------------------------------------------------
    def run(self) -> Resolution:
        solver = ModalSolver(
            {**LIBRARY, **self.programs},  # the standard bots, for hypothetical queries
            binding={cid: c.counterpart for cid, c in self.programs.items()},
            state=self.state,
            matcher=self.match,
            budget=self.budget,
            sizes=self.compiled_size,
        )
        try:
            solution = solver.solve(solver.instance(cid) for cid in self.programs)
        except EvaluationExhausted:  # more work than was paid for: nothing fires
            return self._exhausted()
        fired = [cid for cid in self.programs if solution.fires[solver.instance(cid)]]
        fired_set = set(fired)
        parent = {cid: cid for cid in fired}

        def find(x: str) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        self.linked: dict[str, set[str]] = {}
        for cid in fired:
            # Only references to another commitment's *actual* firing link groups; a
            # hypothetical query (what X would do against Y) does not.
            refs = solution.references[solver.instance(cid)]
            linked = {x for x, _ in refs if solver.instance(x) in refs}
            self.linked[cid] = linked & fired_set
            linked.update(self.programs[cid].after)
            for other in sorted(linked & fired_set):
                a, b = sorted((find(cid), find(other)), key=self.seq.__getitem__)
                parent[b] = a
        groups: dict[str, list[str]] = {}
        for cid in fired:  # posting order, so each group's list is in posting order
            groups.setdefault(find(cid), []).append(cid)
        outcomes = [self.settle(members, slash=True) for members in groups.values()]
        gone = {m for g in outcomes if g.ok for m in g.members}
        gone.update(g.culprit for g in outcomes if g.culprit is not None)
        expired = []
        for cid, c in self.programs.items():
            if c.expiry == self.number and cid not in gone:
                expired.append(self.settle([cid], slash=False, otherwise=True))
        return Resolution(
            self.number,
            len(self.programs),
            tuple(fired),
            tuple(outcomes),
            tuple(expired),
            solution.worlds,
            work=self.budget.used,
        )

    def _exhausted(self) -> Resolution:
        """No commitment fires this block; those expiring now run ``otherwise``."""
        self.linked = {}
        expired = [
            self.settle([cid], slash=False, otherwise=True)
            for cid, c in self.programs.items()
            if c.expiry == self.number
        ]
        return Resolution(
            self.number,
            len(self.programs),
            (),
            (),
            tuple(expired),
            0,
            exhausted=True,
            work=self.budget.used,
        )

    def _order(self, members: list[str]) -> list[str] | None:
        """Members in ``after`` order, ties by posting order; ``None`` on a cycle."""
        inside = set(members)
        waits: dict[str, set[str]] = {}
        for m in members:
            after = set(self.programs[m].after)
            if REFS in after:  # after every member my condition refers to
                after |= self.linked.get(m, set())
            waits[m] = {a for a in after if a in inside and a != m}
        waiters: dict[str, list[str]] = {}  # who waits on m: each edge walked once
        for other in members:
            for m in waits[other]:
                waiters.setdefault(m, []).append(other)
        ready = [(self.seq[m], m) for m in members if not waits[m]]
        heapq.heapify(ready)
        out: list[str] = []
        while ready:
            _, m = heapq.heappop(ready)
            out.append(m)
            for other in waiters.get(m, ()):
                waits[other].discard(m)
                if not waits[other]:
                    heapq.heappush(ready, (self.seq[other], other))
        return out if len(out) == len(members) else None

    def settle(self, members: list[str], *, slash: bool, otherwise: bool = False) -> GroupOutcome:
        ledger = self.ledger
        order = self._order(members)
        if order is None:
            return GroupOutcome(tuple(members), False, "the members' `after` lists form a cycle")
        mark = ledger.mark()
        before = {
            (self.programs[m].owner, r.asset): ledger.balance(self.programs[m].owner, r.asset)
            for m in order
            for r in self.programs[m].requires
        }
        culprit: str | None = None
        error: str | None = None
        for m in order:
            c = self.programs[m]
            for i, action in enumerate(c.otherwise if otherwise else c.actions):
                error = self._act(c.owner, action)
                if error is not None:
                    culprit, error = m, f"{m} action {i}: {error}"
                    break
            if error is not None:
                break
        if error is None:
            for m in order:
                c = self.programs[m]
                for r in c.requires:
                    delta = ledger.balance(c.owner, r.asset) - before[(c.owner, r.asset)]
                    if delta < r.min_delta:
                        error = f"{m} requires {r.asset} to change by >= {r.min_delta}, got {delta}"
                        break
                if error is not None:
                    break
        if error is not None:
            ledger.rollback(mark)
            if slash and culprit is not None:
                self._slash(culprit, [m for m in order if m != culprit])
            elif otherwise:
                self._close(members[0])
            return GroupOutcome(tuple(order), False, error, culprit if slash else None)
        for m in order:
            self._close(m)
            ledger.events.append(_fired_event(m, otherwise))
        return GroupOutcome(tuple(order), True)

    def _act(self, owner: str, action: Action) -> str | None:
        """Run one action as ``owner``; return an error message, or ``None``."""
        ledger = self.ledger
        used, limit = ledger.gas_used, ledger.gas_limit
        ledger.gas_used = 0
        ledger.gas_limit = action.gas if isinstance(action, Call) else G.LEDGER_OP
        mark = ledger.mark()
        kit = self.device.executor.contexts
        previous = kit.active[0]
        try:
            ledger.use_gas(G.LEDGER_OP if not isinstance(action, Call) else G.CALL)
            if not isinstance(action, Call):
                ledger.transfer(action.asset, owner, action.to, action.amount)
                return None
            target = self.device.contract_at(action.to)
            fn = _entry_point(target, action.method)
            for asset, amount in sorted(action.value.items()):
                ledger.use_gas(G.LEDGER_OP)
                ledger.transfer(asset, owner, action.to, amount)
            value: Mapping[str, int] = (
                MappingProxyType(dict(action.value)) if action.value else NO_VALUE
            )
            ctx = kit.make(action.to, owner, owner, value, self.number, self.timestamp)
            kit.enter(ctx)
            self._call(target, fn, ctx, canonical(action.args))
            if ledger.gas_used > ledger.gas_limit:
                return f"out of gas ({ledger.gas_used} > {ledger.gas_limit})"
            return None
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # a revert, out of gas, a failed ledger op: it fails
            # (OutOfGas and resource exhaustion are BaseExceptions, not Exceptions.)
            ledger.rollback(mark)
            return f"{type(exc).__name__}: {exc}"
        finally:
            kit.leave(previous)
            ledger.gas_used, ledger.gas_limit = used, limit

    def _close(self, cid: str) -> None:
        """Remove a commitment and return its bond."""
        c = self.programs[cid]
        if c.bond is not None:
            self.ledger.unlock(c.bond.asset, c.owner, c.bond.amount, holder=REGISTRY_ADDRESS)
        self.registry.entries[cid] = None

    def _slash(self, culprit: str, others: list[str]) -> None:
        """Strike off ``culprit``; its bond goes to the other owners in equal shares."""
        c = self.programs[culprit]
        self.registry.entries[culprit] = None
        if c.bond is None:
            return
        payees = sorted({self.programs[m].owner for m in others} - {c.owner})
        if not payees:
            self.ledger.unlock(c.bond.asset, c.owner, c.bond.amount, holder=REGISTRY_ADDRESS)
            return
        share, rest = divmod(c.bond.amount, len(payees))
        for i, payee in enumerate(payees):
            amount = share + (rest if i == 0 else 0)
            if amount:
                self.ledger.release(c.bond.asset, c.owner, amount, payee, holder=REGISTRY_ADDRESS)


@lru_cache(maxsize=1 << 16)
def _document_units(document: str) -> int:
    """:func:`.cost.evaluation_units` of a stored document (documents are immutable)."""
    return evaluation_units(parse_document(document))


@lru_cache(maxsize=1 << 16)
def _document_compiled(document: str) -> int:
    return measure(parse_document(document)).compiled


@lru_cache(maxsize=256)
def _library_compiled(cid: str) -> int:
    program = LIBRARY.get(cid)
    return measure(program).compiled if program is not None else 1


def _fired_event(cid: str, otherwise: bool) -> Event:
    return Event(REGISTRY_ADDRESS, "Expired" if otherwise else "Fired", (("id", cid),))


def resolve_commitments(
    device: Any, registry: CommitmentRegistry, number: int, ts: int
) -> Resolution:
    """Resolve and settle every pending commitment of ``registry`` at block ``number``.

    Called while the block executes, so inside the block's pause of the cyclic garbage
    collector (:mod:`accord.device.collector`): compiling 10,000 commitments allocates
    tens of thousands of small containers, and automatic collections rescanning a large
    device heap were 40% of the benchmark's time.
    """
    return _Resolver(device, registry, number, ts).run()
