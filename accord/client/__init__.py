"""Clients of an open node (``docs/node.md``): :class:`RemoteDevice` speaks the node's
JSON-RPC with the embedded :class:`~accord.device.Device`'s agent-facing API, so that
agents and games written against the device run against a node unchanged;
:func:`verify_receipt_proof` checks a node's receipt proof against a block hash the
caller trusts."""

from accord.client.proofs import InvalidProof, ProvenReceipt, verify_receipt_proof
from accord.client.remote import RemoteDevice
from accord.client.transport import RemoteError

__all__ = ["InvalidProof", "ProvenReceipt", "RemoteDevice", "RemoteError", "verify_receipt_proof"]
