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
``CALLDATA_NONZERO``       16   per non-zero byte of calldata, EIP-2028
``CALLDATA_ZERO``           4   per zero byte of calldata, EIP-2028 (G_txdatazero)
``STEP``                  100   per line a metered contract runs (below; no analogue)
``BEACON``                 20   BLOCKHASH, G_blockhash (Yellow Paper appendix G)
=====================  =======  ==========================================================

A storage write's base cost covers its first ``STORAGE_FREE_BYTES`` (96) bytes of key
and value (their canonical encodings, :func:`accord.device.storage.encoded_size`);
every byte beyond costs ``STORAGE_BYTE_NEW`` (slot was at its default) or
``STORAGE_BYTE`` (rewritten), so a 20 MB key costs ~1.4e9 gas and never fits a block.
An event costs ``EVENT`` plus ``EVENT_BYTE`` per byte of its name and encoded data.

**Intrinsic gas** (:func:`intrinsic_gas`). A transaction's intrinsic cost is
``TX_BASE + 16 × (non-zero bytes) + 4 × (zero bytes)`` of its *calldata*, as EIP-2028
prices an Ethereum transaction's data field (Yellow Paper appendix G, G_txdatanonzero
and G_txdatazero). The calldata is the canonical encoding
(:func:`accord.device.encoding.digest_bytes`, marshal version 0) of the tuple
``(method, args, value)``: what the call carries beyond the envelope that ``TX_BASE``
already covers (sender, nonce, target, gas and fee fields, all of bounded size).
One departure: the bytes inside a ``bytes`` argument (at any depth of nested tuples)
all pay the non-zero price, whatever their content. Such arguments are signatures, MACs,
random nonces and hashes, whose zero bytes are chance: an ed25519 signature from a fresh
key has about 1/256 of them, different in every run. With EIP-2028's discount the gas,
so the fees, the balances and the state hash, of the same scenario and seed would differ
between runs whenever an agent's signature is an argument (ERC-8004's
``setAgentWallet``, an x402 settlement). Structural zero bytes (the encoding's lengths
and small integers) keep the discount: they depend only on the call's shape. A
transaction's ``gas_limit`` must cover it (else ``GasLimitTooLow`` naming the intrinsic
gas); it is charged before the call runs, so a 20 MB argument costs about 320 M gas
and cannot be sent at all under a 30 M block gas limit.

**The step meter** (:mod:`accord.device.meter`). Contracts from the genesis's
``metered_modules`` run under a tracer that charges ``STEP`` gas for every line event
(each line CPython starts executing, loops included). A line of Python runs a handful
of bytecode instructions, each doing the work of a few EVM opcodes (3 gas each, the
Yellow Paper's G_verylow) plus interpretation overhead, and tracing it costs about a
microsecond: at 100 gas a line, a 30 M gas block runs at most 300,000 traced lines,
a few hundred milliseconds, which bounds a block's wall time. Python frames of metered
code nest at most ``MAX_FRAMES`` deep per call, so a metered recursion stops
deterministically long before CPython's own recursion limit (whose point depends on how
deep the host's stack already is).

**Call depth.** ``Context.call`` nests at most ``MAX_CALL_DEPTH`` calls; one more
reverts. The EVM's limit is 1024 (Yellow Paper §9.4, the call-depth check of
``CALL``); each nested call here takes at least two Python frames and CPython's default
recursion limit is 1000 frames, so the EVM's figure would be decided by a
``RecursionError`` at a depth that depends on the host's stack. 64 keeps the limit the
device's own, far from that.

A storage ``READ`` is charged whenever contract code reads a storage slot; a write is
``WRITE_NEW`` when the slot held its default and ``WRITE`` otherwise. Ledger operations
(transfer, lock, unlock, release, mint, burn) cost ``LEDGER_OP`` each, and a value sent
with a transaction costs one ``LEDGER_OP`` per asset. Contracts doing heavy math charge
for it explicitly with ``ctx.use_gas(n)``. Checking a signed message
(``ctx.verify_signature``) costs ``VERIFY``.
"""

from __future__ import annotations

from marshal import dumps as _dumps

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
CALLDATA_NONZERO = 16
CALLDATA_ZERO = 4
STEP = 100
BEACON = 20
"""``ctx.beacon(height)``: a read of the device's bounded beacon window (``BLOCKHASH``'s
cost; EIP-4399's ``PREVRANDAO`` costs 2 but reads only the current block's)."""
MAX_FRAMES = 200
MAX_CALL_DEPTH = 64


def intrinsic_gas(method: str, args: tuple[object, ...], value: tuple[object, ...]) -> int:
    """``TX_BASE`` plus EIP-2028's calldata cost of ``(method, args, value)`` (above).

    Fields ``marshal`` cannot encode (a malformed transaction that escaped admission)
    cost :data:`UNPAYABLE`, more than any block holds, so such a transaction is refused
    for its gas limit: the function never raises.
    """
    try:
        data = _dumps((method, args, value), 0)  # type: ignore[arg-type]
    except Exception:  # not canonical: a hostile field
        return UNPAYABLE
    return TX_BASE + CALLDATA_NONZERO * len(data) - _SAVED * (data.count(0) - _chance_zeros(args))


def _chance_zeros(args: tuple[object, ...]) -> int:
    """The zero bytes inside the ``bytes`` values of ``args`` (nested tuples included):
    priced as non-zero (module docstring), since their count is chance. ``args`` is
    canonical here (it encoded), so its nesting is bounded by the encoder's own limit."""
    zeros = 0
    stack: list[object] = [args]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is bytes or kind is bytearray:
            zeros += item.count(0)  # type: ignore[attr-defined]
        elif kind is tuple:
            stack.extend(item)  # type: ignore[arg-type]
    return zeros


UNPAYABLE = 1 << 62
"""The intrinsic gas of calldata that cannot be encoded: no gas limit covers it."""
_SAVED = CALLDATA_NONZERO - CALLDATA_ZERO
