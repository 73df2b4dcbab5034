"""Signing, including and reading at once: the device's development-chain helpers.

For scripts and tests, :meth:`Automine.call` and :meth:`Automine.deploy` sign a
transaction with the account's next nonce and a max fee that covers the base fee,
include it alone in a new block and return its receipt (one block per call, like a
development chain's automine); :meth:`Automine.view` runs a public method read-only;
:meth:`Automine.commit` posts a conditional commitment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from accord.device import gas as G
from accord.device.block import Block, Receipt
from accord.device.builder import Builder
from accord.device.commitments.language import Commitment
from accord.device.commitments.registry import (
    REGISTRY_ADDRESS,
    CommitmentRegistry,
)
from accord.device.commitments.resolver import VIEW_GAS
from accord.device.config import DeviceConfig
from accord.device.context import _entry_point
from accord.device.contract import NO_VALUE, Contract
from accord.device.encoding import canonical_args
from accord.device.errors import DeviceError, OutOfGas
from accord.device.ledger import Ledger
from accord.device.mempool import Item, Pending
from accord.device.transaction import DEFAULT_GAS_LIMIT, DEPLOY, Account, Transaction

if TYPE_CHECKING:
    from accord.device.execution import Executor


class Automine:
    """The device's one-call helpers (a part of :class:`~accord.device.device.Device`,
    which sets these attributes and provides the methods declared below)."""

    config: DeviceConfig
    ledger: Ledger
    executor: Executor
    builder: Builder
    registry: CommitmentRegistry
    base_fee: int

    if TYPE_CHECKING:

        @property
        def number(self) -> int: ...

        @property
        def now(self) -> int: ...

        def next_nonce(self, account: str) -> int: ...

        def contract_at(self, address: str) -> Contract: ...

        def verify(self, tx: Transaction) -> None: ...

        def submit(self, tx: Transaction, *, at: int | None = None) -> bytes: ...

        def _execute_block(
            self,
            number: int,
            timestamp: int,
            builder: str,
            items: Sequence[Item],
            *,
            strict: bool = False,
            drains: bool = False,
        ) -> Block: ...

    def default_max_fee(self, priority_fee: int = 0) -> int:
        if self.config.fee_market == "first_price":
            return max(1, priority_fee)
        return 2 * self.base_fee + priority_fee

    def sign(
        self,
        account: Account,
        to: str,
        method: str = "",
        *args: object,
        value: Mapping[str, int] | None = None,
        gas_limit: int | None = None,
        max_fee: int | None = None,
        priority_fee: int = 0,
        nonce: int | None = None,
    ) -> Transaction:
        """Sign with the account's next nonce and a max fee that covers the base fee.

        The default gas limit is ``DEFAULT_GAS_LIMIT`` plus the call's calldata cost
        (EIP-2028, :func:`accord.device.gas.intrinsic_gas`), at most the block gas
        limit, so that a call with large arguments keeps the same room for its work.
        """
        if gas_limit is None:
            gas_limit = DEFAULT_GAS_LIMIT
            try:
                sent = tuple(sorted((a, n) for a, n in (value or {}).items() if n))
                calldata = G.intrinsic_gas(method, canonical_args(args), sent) - G.TX_BASE
                gas_limit = min(DEFAULT_GAS_LIMIT + calldata, self.config.block_gas_limit)
            except Exception:  # not canonical: Account.sign names the field
                pass
        return account.sign(
            self.next_nonce(account.address) if nonce is None else nonce,
            to,
            method,
            *args,
            value=value,
            gas_limit=gas_limit,
            max_fee=self.default_max_fee(priority_fee) if max_fee is None else max_fee,
            priority_fee=priority_fee,
        )

    def commit(
        self,
        account: Account,
        commitment: Commitment | Mapping[str, Any] | str,
        *,
        at: int | None = None,
        priority_fee: int = 0,
    ) -> bytes:
        """Sign and submit a transaction posting ``commitment`` (a model, dict or JSON).

        The document is validated first: a malformed one raises
        :class:`~accord.device.commitments.MalformedCommitment` naming the field, and
        nothing is submitted. Returns the posting transaction's hash.
        """
        document, gas_limit = CommitmentRegistry.posting(
            commitment, account.address, self.number + 1
        )
        tx = self.sign(
            account,
            REGISTRY_ADDRESS,
            "post",
            document,
            gas_limit=gas_limit,
            priority_fee=priority_fee,
        )
        return self.submit(tx, at=at)

    def pending_commitments(self) -> list[Commitment]:
        """Every pending commitment, in posting order: anyone may inspect them."""
        return self.registry.pending()

    def execute(self, tx: Transaction) -> Receipt:
        """Include ``tx`` alone in a new block now and return its receipt.

        Raises the rejection (and builds no block) if ``tx`` is invalid.
        """
        self.verify(tx)
        number = self.number + 1
        timestamp = self.config.genesis_time_ms + number * self.config.block_time_ms
        entry = Pending(tx, timestamp, 0)
        block = self._execute_block(number, timestamp, self.builder.address, [entry], strict=True)
        return block.receipts[0]

    def call(
        self, account: Account, to: str, method: str = "", *args: object, **kwargs: Any
    ) -> Receipt:
        """Sign, include and return the receipt of one call (one block)."""
        return self.execute(self.sign(account, to, method, *args, **kwargs))

    def view(self, address: str, method: str, *args: object, sender: str = "") -> Any:
        """Run a public method read-only, as the EVM's STATICCALL would, and return its result.

        Nothing it writes survives (the journal is rolled back), no block is built, no
        fee is paid and no nonce moves: it is how agents and tests read views such as a
        pool's ``quote``. Gas is metered against :data:`VIEW_GAS` so a runaway view
        stops. A revert raises :class:`Revert`; an unknown contract or method raises
        :class:`UnknownContract` / :class:`UnknownMethod`.
        """
        ledger = self.ledger
        target = self.contract_at(address)
        fn = _entry_point(target, method)
        mark = ledger.mark()
        used, limit, events = ledger.gas_used, ledger.gas_limit, len(ledger.events)
        ledger.gas_used, ledger.gas_limit = 0, VIEW_GAS
        kit = self.executor.contexts
        ctx = kit.make(
            address, sender or address, sender or address, NO_VALUE, self.number, self.now
        )
        previous = kit.enter(ctx)
        try:
            meter = self.executor.meter  # a metered contract's view is metered too
            if meter.prefixes and meter.is_metered(type(target)):
                result = meter.call(fn, ctx, *canonical_args(args))
            else:
                result = fn(ctx, *canonical_args(args))
            if ledger.gas_used > VIEW_GAS:
                raise OutOfGas(ledger.gas_used, VIEW_GAS)
            return result
        finally:
            ledger.rollback(mark)
            del ledger.events[events:]
            ledger.gas_used, ledger.gas_limit = used, limit
            kit.leave(previous)

    def deploy(self, account: Account, cls: type[Contract], *args: object, **kwargs: Any) -> str:
        """Deploy a contract class (one block) and return its address.

        Raises :class:`DeviceError` with the revert reason if the constructor fails.
        """
        kwargs.setdefault("gas_limit", 2_000_000)
        receipt = self.call(account, DEPLOY, cls.class_path(), *args, **kwargs)
        if not receipt.ok or receipt.contract_address is None:
            raise DeviceError(f"deploying {cls.__name__} failed: {receipt.error}")
        return receipt.contract_address
