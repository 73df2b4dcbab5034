"""The commitment device: a deterministic ledger with a mempool, ordering rules, fees and MEV.

Start with :class:`Device`, :class:`DeviceConfig` and :class:`Genesis`; write contracts
by subclassing :class:`Contract` with :class:`Var`/:class:`Map` storage and ``@public``
methods. See ``docs/device.md``.
"""

from accord.device import checks, fees, gas
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
from accord.device.mempool import Pending, PendingBundle, SealedBundle, SealedTx
from accord.device.replay import ReplayMismatch, replay
from accord.device.storage import Map, Var
from accord.device.transaction import DEPLOY, Account, Bundle, Transaction

__all__ = [
    "DEPLOY",
    "Account",
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
