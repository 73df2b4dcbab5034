"""The commitment device: a deterministic ledger with a mempool, ordering rules, fees and MEV.

Start with :class:`Device`, :class:`DeviceConfig` and :class:`Genesis`; write contracts
by subclassing :class:`Contract` with :class:`Var`/:class:`Map` storage and ``@public``
methods. See ``docs/device.md`` (and ``docs/security.md`` for what it guarantees).

``device`` puts the device together from its parts; no part imports it back (they name
it through ``host``). Modules, by what they do:

- **The design**: ``config`` (every switch, as data), ``genesis_hash``, ``keys`` (the
  keyring, outside the log), ``errors``.
- **Accounts and state**: ``ledger`` (balances, locks, nonces, a write journal),
  ``storage`` (contract storage), ``state`` (the state hash), ``encoding`` (canonical
  values), ``permits``.
- **Contracts**: ``contract`` (the base class, ``@public``), ``context`` (what a running
  call sees and may do), ``gas``, ``meter`` (the step meter).
- **Transactions in**: ``transaction``, ``submission``, ``admission`` (the gate),
  ``mempool``, ``automine`` (sign, include and read at once).
- **Blocks out**: ``production``, ``builder``, ``ordering``, ``fees``, ``block``,
  ``receipts_root`` (the header's commitment to its receipts) over ``merkle`` (RFC 6962
  trees and inclusion proofs), ``logs`` (events of kept blocks, filtered);
  ``execution`` (the executor) with ``block_loop``, ``validation``, ``settlement`` (the
  batch rule) and ``outcome``; ``collector`` (the garbage collector paused in hot loops).
- **The record**: ``store`` (the event log), ``replay``, ``recording`` (``--logs``),
  ``checkpoint`` (the whole state at a block, exported and restored, verified).
- **Agents' view**: ``agent_api`` (:class:`AgentDevice`, the agent-facing API an
  embedded device and a node's client share).
- **Checks**: ``checks`` (conformance checks for your own contracts and scenarios).
- :mod:`accord.device.commitments`: conditional commitments.
"""

from accord.device import accelerator, checks, fees, gas  # noqa: F401  (accelerator: first)
from accord.device.agent_api import AgentDevice
from accord.device.beacon import BEACON_WINDOW
from accord.device.block import Block, BlockHeader, Receipt, Skipped
from accord.device.builder import Builder, BuildRequest, HonestBuilder
from accord.device.config import AssetSpec, DeviceConfig, Genesis
from accord.device.contract import BatchCall, Context, Contract, Event, public
from accord.device.device import Device
from accord.device.errors import (
    BadNonce,
    BadSignature,
    BundleFailed,
    DeviceError,
    FeeTooLow,
    GasLimitTooLow,
    InsufficientFunds,
    InvalidValue,
    NotHolder,
    NotIssuer,
    OutOfGas,
    Rejected,
    Revert,
    UnknownAccount,
    UnknownAsset,
    UnknownContract,
    UnknownMethod,
)
from accord.device.forks import ForkRefused, Reorg
from accord.device.mempool import Pending, PendingBundle, SealedBundle, SealedTx
from accord.device.replay import ReplayMismatch, replay
from accord.device.storage import Map, Var
from accord.device.transaction import DEPLOY, Account, Bundle, Transaction

__all__ = [
    "BEACON_WINDOW",
    "DEPLOY",
    "Account",
    "AgentDevice",
    "AssetSpec",
    "BadNonce",
    "BadSignature",
    "BatchCall",
    "Block",
    "BlockHeader",
    "BuildRequest",
    "Builder",
    "Bundle",
    "BundleFailed",
    "Context",
    "Contract",
    "Device",
    "DeviceConfig",
    "DeviceError",
    "Event",
    "FeeTooLow",
    "ForkRefused",
    "GasLimitTooLow",
    "Genesis",
    "HonestBuilder",
    "InsufficientFunds",
    "InvalidValue",
    "Map",
    "NotHolder",
    "NotIssuer",
    "OutOfGas",
    "Pending",
    "PendingBundle",
    "Receipt",
    "Rejected",
    "Reorg",
    "ReplayMismatch",
    "Revert",
    "SealedBundle",
    "SealedTx",
    "Skipped",
    "Transaction",
    "UnknownAccount",
    "UnknownAsset",
    "UnknownContract",
    "UnknownMethod",
    "Var",
    "checks",
    "fees",
    "gas",
    "public",
    "replay",
]
