"""The journal's marker of an absent key, in a module of its own.

A write records the value it replaced, and :data:`MISSING` when the key held none, so
that a rollback deletes the key instead of restoring a value; the state hash's origins
use it the same way. The ledger, the compiled storage operations
(:mod:`accord.device.fast_storage`) and the write pricing
(:mod:`accord.device.storage_cost`) all compare against this one object; it lives here,
importing nothing, so that the storage modules need not import the ledger, which
imports them (``tests/test_import_cycles.py``).
"""

from __future__ import annotations

from typing import Any

MISSING: Any = object()
"""Journal marker: the key was absent before the write."""
