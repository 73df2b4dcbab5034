"""The agent wallet authorization of ERC-8004's Identity Registry (``setAgentWallet``).

The standard (ERC-8004 draft of 2026-01, "On-chain metadata") reserves the metadata key
``agentWallet``: the address where the agent is paid, the owner's at registration, and
changed only by ``setAgentWallet(agentId, newWallet, deadline, signature)`` with the
*new wallet's* signature, so nobody can point an agent's payments at an account that
did not agree. On Ethereum the signature is EIP-712 typed data ``AgentWalletSet(uint256
agentId, address newWallet, address owner, uint256 deadline)`` under the registry's
domain (chain id and contract address), and the reference registry refuses a deadline
more than 5 minutes ahead.

On the device the new wallet signs, with :meth:`accord.device.Account.sign_message`,

    ``wallet_message(registry, agentId, newWallet, owner, deadline, nonce)``

the canonical digest of those fields behind a domain string, the way
:func:`accord.device.permits.permit_message` builds a permit (EIP-712's role): the
registry's address plays ``verifyingContract`` and the message signature already binds
the chain id (``docs/device.md``, "Signed messages"), so an authorization for another
registry, agent, wallet, owner or device verifies nowhere else. Two differences from the
standard, both closing a replay:

* the ``deadline`` is a **block number** (the device's clock, as for permits), at most
  :data:`MAX_DEADLINE_BLOCKS` ahead: 25 blocks, 5 minutes at the default 12 s;
* the message carries the agent's **wallet nonce** (``getWalletNonce``), consumed by
  every successful ``setAgentWallet``: the reference binds none, so within its
  deadline an old authorization could set a wallet again after the owner changed it.
"""

from __future__ import annotations

from accord.device.encoding import digest_bytes

WALLET_DOMAIN = "accord.erc8004.AgentWalletSet.v1"
"""The first item of every wallet authorization (domain separation)."""
MAX_DEADLINE_BLOCKS = 25
"""How far ahead a deadline may lie, in blocks (the reference's 5 minutes, at 12 s)."""
WALLET_KEY = "agentWallet"
"""The reserved metadata key."""

__all__ = ["MAX_DEADLINE_BLOCKS", "WALLET_DOMAIN", "WALLET_KEY", "wallet_message"]


def wallet_message(
    registry: str, agent_id: int, new_wallet: str, owner: str, deadline: int, nonce: int
) -> bytes:
    """The bytes ``new_wallet`` signs to become agent ``agent_id``'s wallet."""
    return digest_bytes((WALLET_DOMAIN, registry, agent_id, new_wallet, owner, deadline, nonce))
