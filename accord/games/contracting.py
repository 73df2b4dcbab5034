"""The driver every env and game uses to put formal contracts on a device.

Envs do not call :class:`~accord.contracts.formal_contract.FormalContract`'s methods
themselves: they go through :class:`Contracting`, so that the contract's interface can
change in one place. One driver per device deploys the contract once
(:meth:`Contracting.on` caches it per device), then:

* :meth:`Contracting.propose` and :meth:`Contracting.respond` (accept or reject): one
  block each, like any agent's transaction;
* :meth:`Contracting.settle`: one step's features, in one block, by the observer;
  returns a :class:`Settled` (transfers, keeper fees, status, gas used and the gas fee
  the observer paid). An env that has other transactions in the step's block sends
  :meth:`Contracting.settle_tx` with them and reads :meth:`Contracting.settled` from the
  receipt, so that settling adds no block of its own;
* :meth:`Contracting.close`, and the views :meth:`status`, :meth:`deposits_left`,
  :meth:`transferred`, :meth:`terms`.

A call the contract refuses raises :class:`ContractingError` with the contract's reason:
for an env that is a bug, not a move. See ``docs/contracts/formal_contract.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import index
from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

from accord.contracts.formal_contract import (
    ACTIVE,
    ENDED,
    EXHAUSTED,
    OPEN_STATES,
    FormalContract,
    State,
    Terms,
)
from accord.contracts.formal_contract_terms import MAX_BATCH, fee_shares
from accord.device import AgentDevice, Receipt, Transaction
from accord.mechanisms.contracting import (
    Book,
    ContractError,
    ContractSpace,
    Params,
    transfers,
)

__all__ = [
    "Contracting",
    "ContractingError",
    "Deferred",
    "Settled",
    "SettledMany",
    "settle_gas_limit",
]

_DRIVERS: WeakKeyDictionary[AgentDevice, Contracting] = WeakKeyDictionary()


class ContractingError(RuntimeError):
    """The device refused a contracting call (the message is the contract's reason)."""


class Settled(NamedTuple):
    """One settled step, as the observer's receipt reports it."""

    transfers: tuple[int, ...]
    """Net transfer per party (base units of the contract's asset; sums to 0)."""
    fees: tuple[int, ...]
    """Keeper fee each party paid to the observer this step."""
    status: str
    """The contract's status after the step (``active``, ``ended``, ``exhausted``,
    ``expired``)."""
    gas_used: int
    gas_fee: int
    """What the observer paid for the settlement's gas, in the fee asset."""


class SettledMany(NamedTuple):
    """Several steps settled in one transaction (:meth:`Contracting.settle_many`)."""

    steps: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]
    """``(transfers, fees)`` of each applied step (all, or up to the exhausting one)."""
    status: str
    gas_used: int
    gas_fee: int


def settle_gas_limit(parties: int, steps: int = 1) -> int:
    """A gas limit that covers a settlement of ``steps`` steps of a contract with
    ``parties`` parties (every party paying a fee and a transfer, and a final refund)."""
    return 150_000 + 45_000 * parties + (steps - 1) * (4_000 + 500 * parties + 50 * parties**2)


def _ints(name: str, values: Sequence[Any]) -> tuple[int, ...]:
    """Ints from ints or numpy integers (``operator.index``: floats and bools refused)."""
    out = []
    for v in values:
        if isinstance(v, bool):
            raise ContractingError(f"{name} must hold ints, got {v!r}")
        try:
            out.append(index(v))
        except TypeError:
            raise ContractingError(f"{name} must hold ints, got {v!r}") from None
    return tuple(out)


class _Known(NamedTuple):
    """What the driver keeps of a contract's terms (they never change)."""

    parties: int
    space: ContractSpace
    params: Params
    keeper_fee: int
    end: int
    start: int
    due: tuple[int, ...]
    """Each party's keeper fee share per settlement."""


class Contracting:
    """Formal contracts on one device, through one deployed :class:`FormalContract`."""

    def __init__(self, device: AgentDevice, address: str) -> None:
        self.device = device
        self.address = address
        self._known: dict[int, _Known] = {}
        self._live: set[int] = set()
        """Contracts seen active (stays true until this driver sees them end)."""
        self._final: dict[int, str] = {}
        """Contracts this driver saw end, with their final status."""

    @classmethod
    def on(cls, device: AgentDevice, deployer: str) -> Contracting:
        """The device's driver: deploys :class:`FormalContract` (as ``deployer``, one
        block) the first time it is asked for on ``device``."""
        driver = _DRIVERS.get(device)
        if driver is None:
            address = device.deploy(device.account(deployer), FormalContract)
            driver = _DRIVERS[device] = cls(device, address)
        return driver

    def _call(self, sender: str, method: str, *args: Any, gas_limit: int | None = None) -> Receipt:
        device = self.device
        receipt = device.call(
            device.account(sender), self.address, method, *args, gas_limit=gas_limit
        )
        if not receipt.ok:
            raise ContractingError(f"{method} by {sender} failed: {receipt.error}")
        return receipt

    # -- proposing and answering -------------------------------------------------------
    def propose(
        self,
        proposer: str,
        parties: Sequence[str],
        space: ContractSpace,
        params: Params,
        *,
        asset: str,
        deposits: int | Sequence[int],
        observer: str,
        end: int,
        start: int = 0,
        fee_payer: str = "",
        keeper_fee: int = 0,
        deadline: int | None = None,
    ) -> int:
        """Propose a contract (one block) and return its id. ``deposits`` is one amount
        for every party or one per party; ``deadline`` defaults to 10**9 blocks ahead.
        The proposer, if a party, and parties with deposit 0 accept at once."""
        names = tuple(parties)
        if isinstance(deposits, int) and not isinstance(deposits, bool):
            amounts = (deposits,) * len(names)
        else:
            amounts = _ints("deposits", deposits)  # type: ignore[arg-type]
        if deadline is None:
            deadline = self.device.number + 10**9
        receipt = self._call(
            proposer,
            "propose",
            names,
            space.to_data(),
            _ints("params", params),
            asset,
            amounts,
            observer,
            fee_payer,
            keeper_fee,
            start,
            end,
            deadline,
            gas_limit=150_000 + 60_000 * len(names),
        )
        return index(receipt.result)  # type: ignore[arg-type]

    def respond(self, party: str, cid: int, accept: bool) -> str:
        """``party`` accepts (locking its deposit) or rejects; returns the status."""
        if accept:
            return str(self._call(party, "accept", cid).result)
        self._call(party, "reject", cid, gas_limit=150_000 + 45_000 * self._count(cid))
        return self.status(cid)

    def _terms(self, cid: int) -> _Known:
        known = self._known.get(cid)
        if known is None:
            t = self.terms(cid)
            space = ContractSpace.from_data(t[2])
            known = self._known[cid] = _Known(
                len(t[1]), space, t[3], t[8], t[10], t[9], fee_shares(t)
            )
        return known

    def _count(self, cid: int) -> int:
        return self._terms(cid).parties

    # -- settling ----------------------------------------------------------------------
    def settle_tx(self, observer: str, cid: int, step: int, features: Sequence[Any]) -> Transaction:
        """The observer's signed settlement of step ``step`` (to send in a block of the
        env's own; read it with :meth:`settled`)."""
        device = self.device
        return device.sign(
            device.account(observer),
            self.address,
            "settle",
            cid,
            index(step),
            _ints("features", features),
            gas_limit=settle_gas_limit(self._count(cid)),
        )

    @staticmethod
    def settled(receipt: Receipt) -> Settled:
        """The :class:`Settled` of a settlement's receipt (a refused one raises)."""
        if not receipt.ok:
            raise ContractingError(f"settle failed: {receipt.error}")
        result: Any = receipt.result
        return Settled(result[0], result[1], result[2], receipt.gas_used, receipt.fee_paid)

    def settle(
        self,
        observer: str,
        cid: int,
        step: int,
        features: Sequence[Any],
        *,
        skip_idle: bool = True,
    ) -> Settled:
        """Settle step ``step`` now, in one block of its own.

        With ``skip_idle`` (the default), a step of an active contract whose transfers
        are all 0, with no keeper fee and before the contract's last step, is not sent at
        all (steps may have gaps: nothing would move, and no block is built); the
        result then says ``gas_used == 0``. Pass ``skip_idle=False`` to record every step.

        A contract this driver has seen end (exhausted, ended, expired, closed) is not
        settled again: the step moves nothing and the result carries the final status,
        so an env's loop can go on calling ``settle`` after its contract ran out.
        """
        final = self._final.get(cid)
        if final is not None:
            zeros = (0,) * self._count(cid)
            return Settled(zeros, zeros, final, 0, 0)
        if skip_idle:
            known = self._terms(cid)
            if not known.keeper_fee and step != known.end and self._active(cid):
                x = _ints("features", features)
                try:
                    net = transfers(known.space, known.params, x, known.parties)
                except ContractError as exc:
                    raise ContractingError(f"settle: {exc}") from None
                if not any(net):
                    zeros = (0,) * known.parties
                    return Settled(zeros, zeros, ACTIVE, 0, 0)
        tx = self.settle_tx(observer, cid, step, features)
        settled = self.settled(self.device.execute(tx))
        if settled.status != ACTIVE:
            self._live.discard(cid)
            self._final[cid] = settled.status
        return settled

    def _active(self, cid: int) -> bool:
        """Whether the contract is active (cached once it is; final states are final)."""
        if cid in self._live:
            return True
        if cid in self._final:
            return False
        status = self.status(cid)
        if status == ACTIVE:
            self._live.add(cid)
        return status == ACTIVE

    def settle_many(
        self, observer: str, cid: int, steps: Sequence[Any], rows: Sequence[Sequence[Any]]
    ) -> SettledMany:
        """Settle several steps (strictly increasing, one feature row each, at most
        :data:`~accord.contracts.formal_contract_terms.MAX_BATCH`) in one transaction
        and one block: the same transfers as settling them one by one."""
        steps_t = _ints("steps", steps)
        rows_t = tuple(_ints("features", row) for row in rows)
        n = self._count(cid)
        device = self.device
        tx = device.sign(
            device.account(observer),
            self.address,
            "settle_many",
            cid,
            steps_t,
            rows_t,
            gas_limit=settle_gas_limit(n, max(1, len(steps_t))),
        )
        receipt = device.execute(tx)
        if not receipt.ok:
            raise ContractingError(f"settle_many failed: {receipt.error}")
        result: Any = receipt.result
        if result[1] != ACTIVE:
            self._live.discard(cid)
            self._final[cid] = result[1]
        return SettledMany(result[0], result[1], receipt.gas_used, receipt.fee_paid)

    def deferred(self, observer: str, cid: int, batch: int = 64) -> Deferred:
        """Exact per-step settlement computed off-device, sent in batches
        (:class:`Deferred`)."""
        return Deferred(self, observer, cid, batch)

    def close(self, sender: str, cid: int) -> str:
        """End the contract (the observer; anyone after the deadline); returns the status."""
        gas = 150_000 + 45_000 * self._count(cid)
        status = str(self._call(sender, "close", cid, gas_limit=gas).result)
        self._live.discard(cid)
        self._final[cid] = status
        return status

    # -- views -------------------------------------------------------------------------
    def _view(self, method: str, *args: Any) -> Any:
        return self.device.view(self.address, method, *args)

    def terms(self, cid: int) -> Terms:
        """``(proposer, parties, space, params, asset, deposits, observer, fee_payer,
        keeper_fee, start, end, deadline)``."""
        return tuple(self._view("terms", cid))

    def state(self, cid: int) -> State:
        """``(status, accepted, left, transferred, fees, last_step)``."""
        return tuple(self._view("state", cid))

    def status(self, cid: int) -> str:
        return str(self._view("status", cid))

    def is_open(self, cid: int) -> bool:
        """Whether the contract is proposed or active (not final)."""
        return self.status(cid) in OPEN_STATES

    def deposits_left(self, cid: int) -> tuple[int, ...]:
        return tuple(self._view("deposits_left", cid))

    def transferred(self, cid: int) -> tuple[int, ...]:
        return tuple(self._view("transferred", cid))


class Deferred:
    """Settle every step exactly at once, and on the device every ``batch`` steps.

    :meth:`settle` computes a step's transfers and fees with the same pure functions
    the contract runs (:func:`~accord.mechanisms.contracting.settle_step` on a copy of
    the deposits), so an env gets its reward at once, without a block; the steps that
    move something are queued and sent in one ``settle_many`` transaction when the queue
    holds ``batch`` of them, when the contract ends (exhausted, or its last step) and
    on :meth:`flush` or :meth:`close`. The device then moves exactly what was returned,
    and :meth:`flush` checks that it did (a mismatch, e.g. someone closed the contract
    after its deadline meanwhile, raises :class:`ContractingError`).

    What it trades: until a batch lands, the money has moved only in the env's books;
    the deposits stay locked on the device, so what the batch moves is guaranteed, but
    a searcher sees the steps a batch at a time. Use :meth:`Contracting.settle` where
    each step must land in its own block (the MEV experiments).
    """

    def __init__(self, driver: Contracting, observer: str, cid: int, batch: int = 64) -> None:
        if type(batch) is not int or not 1 <= batch <= MAX_BATCH:
            raise ContractingError(f"batch must be an int in [1, {MAX_BATCH}], got {batch!r}")
        state = driver.state(cid)
        if state[0] != ACTIVE:
            raise ContractingError(f"contract {cid} is {state[0]}: only an active one defers")
        self.driver, self.observer, self.cid, self.batch = driver, observer, cid, batch
        self.known = known = driver._terms(cid)
        self.book = Book(known.space, known.params, state[2], known.due)
        """The deposits as the queued steps leave them."""
        self.last: int = state[5]
        self.status = ACTIVE
        self._steps: list[int] = []
        self._rows: list[tuple[int, ...]] = []
        self._expected: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
        self.gas_used = 0
        self.gas_fee = 0
        self.batches = 0

    def settle(self, step: int, features: Sequence[Any]) -> Settled:
        """Step ``step``'s exact transfers and fees (gas 0: it is paid per batch)."""
        known = self.known
        zeros = (0,) * known.parties
        if self.status != ACTIVE:
            return Settled(zeros, zeros, self.status, 0, 0)
        step = index(step)
        if not max(self.last + 1, known.start) <= step <= known.end:
            raise ContractingError(
                f"step must be in [{max(self.last + 1, known.start)}, {known.end}], got {step}"
            )
        x = _ints("features", features)
        try:
            done = self.book.step(x)
        except ContractError as exc:
            raise ContractingError(f"settle: {exc}") from None
        self.last = step
        final = EXHAUSTED if done.exhausted else ENDED if step == known.end else ACTIVE
        if any(done.transfers) or any(done.fees) or final != ACTIVE:
            self._steps.append(step)
            self._rows.append(x)
            self._expected.append((done.transfers, done.fees))
        self.status = final
        if final != ACTIVE or len(self._steps) >= self.batch:
            self.flush()
        return Settled(done.transfers, done.fees, final, 0, 0)

    def flush(self) -> None:
        """Send the queued steps in one transaction and check what the device moved."""
        if not self._steps:
            return
        sent = self.driver.settle_many(self.observer, self.cid, self._steps, self._rows)
        expected = tuple(self._expected)
        self._steps, self._rows, self._expected = [], [], []
        self.gas_used += sent.gas_used
        self.gas_fee += sent.gas_fee
        self.batches += 1
        if sent.steps != expected or sent.status != self.status:
            raise ContractingError(
                f"contract {self.cid}: the device settled {sent.steps} ({sent.status}), "
                f"not the deferred {expected} ({self.status})"
            )

    def close(self) -> str:
        """Flush, then end the contract if it is still active (the observer's close);
        returns the final status."""
        self.flush()
        if self.status == ACTIVE:
            self.status = self.driver.close(self.observer, self.cid)
        return self.status
