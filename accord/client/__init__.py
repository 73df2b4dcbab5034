"""Clients of an open node (``docs/node.md``): :class:`RemoteDevice` speaks the node's
JSON-RPC with the embedded :class:`~accord.device.Device`'s agent-facing API, so that
agents and games written against the device run against a node unchanged."""

from accord.client.remote import RemoteDevice
from accord.client.transport import RemoteError

__all__ = ["RemoteDevice", "RemoteError"]
