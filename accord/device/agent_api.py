"""The device as an agent (or a game) sees it: :class:`AgentDevice`.

An agent reads balances, nonces and contract views, signs with its account's handle,
submits, waits for a block and reads its receipts. That is all a game's *play* needs,
and it is the same whether the device is embedded in the process
(:class:`~accord.device.Device`) or served by an open node
(:class:`~accord.client.RemoteDevice`, ``docs/node.md``). :class:`AgentDevice` names
those methods as a :class:`typing.Protocol`, so play code typed against it runs on
either, and mypy checks that both satisfy it (``accord/client/remote.py``).

What is deliberately *not* here: genesis (assets, accounts and their public keys: a
game's setup, done by whoever creates the device or configures the node), the keyring,
the mempool's internals, block hooks and replay, which only an embedded device has.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from accord.device.block import Block, BlockHeader, Receipt
from accord.device.commitments.language import Commitment
from accord.device.commitments.resolver import Resolution
from accord.device.config import DeviceConfig
from accord.device.contract import Contract
from accord.device.logs import Log
from accord.device.transaction import Account, Bundle, Transaction

__all__ = ["AgentDevice"]


class AgentDevice(Protocol):
    """The agent-facing API of a commitment device (embedded or behind a node)."""

    config: DeviceConfig
    """The device's design (fee asset, fee market, block gas limit...)."""

    # -- reads ---------------------------------------------------------------------------
    @property
    def chain_id(self) -> int: ...

    @property
    def number(self) -> int:
        """The head block's number."""
        ...

    @property
    def now(self) -> int:
        """The head block's timestamp, in ms."""
        ...

    @property
    def head(self) -> BlockHeader: ...

    @property
    def base_fee(self) -> int: ...

    def balance(self, account: str, asset: str) -> int: ...

    def nonce(self, account: str) -> int:
        """The next nonce the ledger will accept from ``account``."""
        ...

    def next_nonce(self, account: str) -> int:
        """The nonce after ``account``'s pending transactions."""
        ...

    def public_key(self, name: str) -> bytes: ...

    def state_hash(self) -> bytes: ...

    def view(self, address: str, method: str, *args: object, sender: str = "") -> Any:
        """A contract view's result, read-only."""
        ...

    def pending_commitments(self) -> list[Commitment]: ...

    def receipt(self, tx_hash: bytes) -> Receipt:
        """The receipt of an included transaction (``KeyError`` until it is included)."""
        ...

    def supply(self, asset: str) -> int: ...

    def locked(self, owner: str, asset: str, holder: str) -> int: ...

    def latency(self, account: str) -> int: ...

    @property
    def accounts(self) -> list[str]:
        """Every account's name, sorted."""
        ...

    def logs(
        self,
        from_block: int = 0,
        to_block: int | None = None,
        *,
        address: str | None = None,
        name: str | None = None,
    ) -> list[Log]:
        """Events of kept blocks, by range, contract and name (:mod:`accord.device.logs`)."""
        ...

    @property
    def resolutions(self) -> Sequence[Resolution]:
        """What commitment resolution did in each recent block with pending commitments."""
        ...

    # -- keys and writes -----------------------------------------------------------------
    def account(self, name: str) -> Account:
        """The signing handle of an account whose key this side holds."""
        ...

    def default_max_fee(self, priority_fee: int = 0) -> int: ...

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
    ) -> Transaction: ...

    def submit(self, tx: Transaction, *, at: int | None = None) -> bytes: ...

    def submit_bundle(self, bundle: Bundle, *, sender: str, at: int | None = None) -> bytes: ...

    def commit(
        self,
        account: Account,
        commitment: Commitment | Mapping[str, Any] | str,
        *,
        at: int | None = None,
        priority_fee: int = 0,
    ) -> bytes: ...

    # -- blocks --------------------------------------------------------------------------
    def build_block(self) -> Block:
        """Seal the next block (embedded: the builder; a node: its admin endpoint)."""
        ...

    def execute(self, tx: Transaction) -> Receipt:
        """Include ``tx`` in a new block now and return its receipt."""
        ...

    def call(
        self, account: Account, to: str, method: str = "", *args: object, **kwargs: Any
    ) -> Receipt:
        """Sign, include and return the receipt of one call (one block)."""
        ...

    def deploy(
        self, account: Account, cls: type[Contract], *args: object, **kwargs: Any
    ) -> str: ...
