"""The devices a facilitator settles on: an embedded one, or one behind a node.

An x402 facilitator reads views, checks signatures, simulates the payee's settlement
and submits it. An embedded :class:`~accord.device.Device` does all of that in process
(its simulation is :func:`accord.device.dry_run.dry_run`). A device behind an open node
(``docs/node.md``; :class:`~accord.client.RemoteDevice` is one) is any
:class:`~accord.device.AgentDevice` that can also check an off-device signature
(``verify_message``) and dry-run a transaction (``simulate``, the node's
``accord_simulate``, the same dry run on the node's device). :data:`PaymentDevice` is
either; the facilitator takes it (``docs/x402.md``, "Against a node").
"""

from __future__ import annotations

from typing import Protocol, TypeAlias

from accord.device import AgentDevice, Device, Transaction

__all__ = ["NodeDevice", "PaymentDevice", "Simulated"]


class Simulated(Protocol):
    """A dry run's outcome as a node answers it: a receipt's status and error, or
    ``"rejected"`` with the refusal's reason (``error``) and ``field``."""

    @property
    def status(self) -> str: ...

    @property
    def error(self) -> str | None: ...

    @property
    def field(self) -> str | None: ...


class NodeDevice(AgentDevice, Protocol):
    """A device behind a node, as a facilitator needs it."""

    def verify_message(self, signer: str, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is ``signer``'s ``sign_message`` of ``message``."""
        ...

    def simulate(self, tx: Transaction) -> Simulated:
        """``tx`` run after the pending transactions in the next block, rolled back."""
        ...


PaymentDevice: TypeAlias = Device | NodeDevice
"""What :class:`~accord.x402.Facilitator` settles on."""
