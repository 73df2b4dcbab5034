"""What the device's parts ask of the device they belong to, without importing it.

:class:`~accord.device.device.Device` is put together from parts (submission, block
production, the executor and its batch rule, the one-call helpers): ``device.py`` imports
every part, so no part may import ``device.py`` back, not even for a type, or the package's
import graph has a cycle (``tests/test_import_cycles.py`` pins that it has none). The parts
name the device through this module instead:

- :class:`Host`: the little the executor uses of its device (its genesis and config, a
  contract by address, a signed message checked), as a structural type (PEP 544) that
  ``Device`` satisfies without naming it;
- :data:`BlockHook`: a callback run with the device after every sealed block.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from accord.device.block import Block
from accord.device.config import DeviceConfig, Genesis
from accord.device.contract import Contract


class Host(Protocol):
    """The device as its executor sees it."""

    @property
    def genesis(self) -> Genesis: ...

    @property
    def config(self) -> DeviceConfig: ...

    def contract_at(self, address: str) -> Contract: ...

    def verify_message(self, signer: str, message: bytes, signature: bytes) -> bool: ...


BlockHook = Callable[[Any, Block], None]
"""Run as ``hook(device, block)`` after every block the device seals; the first argument
is the :class:`~accord.device.device.Device` (``Any`` here because the device is defined
after its parts: ``Device.block_hooks`` gives hooks the precise type)."""
