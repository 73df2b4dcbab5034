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
=====================  =======  ==========================================================

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
