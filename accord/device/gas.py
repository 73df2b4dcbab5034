"""The gas schedule: what each operation of a call costs.

The figures follow the EVM's where an analogue exists, so that gas limits and fees in a
scenario have familiar magnitudes:

=====================  =======  ==========================================================
operation              gas      EVM analogue (source)
=====================  =======  ==========================================================
``TX_BASE``            21,000   G_transaction, Yellow Paper appendix G
``DEPLOY``             32,000   G_create, Yellow Paper appendix G
``READ``                2,100   cold SLOAD, EIP-2929
``WRITE``               5,000   SSTORE reset, EIP-2200 / EIP-2929 (``SSTORE_RESET``)
``WRITE_NEW``          20,000   SSTORE set from zero, EIP-2200 (``SSTORE_SET``)
``LEDGER_OP``           9,000   CALL with value, G_callvalue (Yellow Paper)
``CALL``                2,600   cold account access, EIP-2929
``EVENT``                 750   LOG1: G_log + G_logtopic (375 + 375)
``BATCH_CALL``         21,000   a call settled in a batch pays the intrinsic cost
``VERIFY``              3,000   the ECRECOVER precompile, Yellow Paper appendix E
``STORAGE_BYTE_NEW``       68   G_txdatanonzero (Yellow Paper, pre-EIP-2028), per byte > 96
``STORAGE_BYTE``           16   G_txdatanonzero after EIP-2028, per byte > 96
``EVENT_BYTE``              8   G_logdata, Yellow Paper appendix G, per byte of event data
=====================  =======  ==========================================================

A storage write's base cost covers its first ``STORAGE_FREE_BYTES`` (96) bytes of key
and value (their canonical encodings, :func:`accord.device.storage.encoded_size`);
every byte beyond costs ``STORAGE_BYTE_NEW`` (slot was at its default) or
``STORAGE_BYTE`` (rewritten), so a 20 MB key costs ~1.4e9 gas and never fits a block.
An event costs ``EVENT`` plus ``EVENT_BYTE`` per byte of its name and encoded data.

A storage ``READ`` is charged whenever contract code reads a storage slot; a write is
``WRITE_NEW`` when the slot held its default and ``WRITE`` otherwise. Ledger operations
(transfer, lock, unlock, release, mint, burn) cost ``LEDGER_OP`` each, and a value sent
with a transaction costs one ``LEDGER_OP`` per asset. Contracts doing heavy math charge
for it explicitly with ``ctx.use_gas(n)``. Checking a signed message
(``ctx.verify_signature``) costs ``VERIFY``.
"""

from __future__ import annotations

TX_BASE = 21_000
DEPLOY = 32_000
READ = 2_100
WRITE = 5_000
WRITE_NEW = 20_000
LEDGER_OP = 9_000
CALL = 2_600
EVENT = 750
BATCH_CALL = TX_BASE
VERIFY = 3_000

# -- per-byte charges for data written (storage and logs) ------------------------------
STORAGE_FREE_BYTES = 96
"""Bytes of a storage write (its key's and its value's canonical encodings together)
that the base ``WRITE``/``WRITE_NEW`` covers: an EVM slot's 32-byte key and 32-byte value,
plus the encoding's type and length headers (5 bytes per atom)."""
STORAGE_BYTE_NEW = 68
"""Gas per byte beyond ``STORAGE_FREE_BYTES`` written to a slot that held its default:
the Yellow Paper's data price per non-zero byte, G_txdatanonzero = 68 (appendix G, before
EIP-2028 lowered calldata to 16): stored data pays four times what passing it costs.
(SSTORE's 20,000 per new 32-byte word would be 625 per byte; the device's state is a
simulation's, kept in memory and the event log, not a global chain's for ever, and at 68
a 20 MB key still needs 1.4·10⁹ gas, far beyond any block.)"""
STORAGE_BYTE = 16
"""Gas per byte beyond ``STORAGE_FREE_BYTES`` rewriting a slot: EIP-2028's calldata
price per non-zero byte (the bytes are written again, not added)."""
EVENT_BYTE = 8
"""Gas per byte of an event's name and encoded data: G_logdata (Yellow Paper,
appendix G), LOG's charge per byte of data."""
