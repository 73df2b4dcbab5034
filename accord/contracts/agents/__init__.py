"""ERC-8004 ("Trustless Agents") registries as device contracts.

The three registries of the ERC-8004 draft as of its January 2026 update
(``ethereum/ERCs``, ``ERCS/erc-8004.md`` at commit ``2395308a``), with the standard's
method, argument and event names (``docs/contracts/erc8004.md``):

* :class:`IdentityRegistry` (``identity``): agents as ERC-721 tokens with a URI,
  metadata and a signed ``agentWallet`` (:func:`wallet_message`, ``wallet``);
* :class:`ReputationRegistry` (``reputation``): clients' feedback, revocations,
  responses and summaries;
* :class:`ValidationRegistry` (``validation``): validation requests and 0..100
  responses;
* :class:`AgentRegistration` and :func:`parse_registration` (``registration``): the
  registration file's JSON, strict;
* ``limits``: the bounds on every string, byte string and list.

The summaries' math is :mod:`accord.mechanisms.agent_summaries`. The package sits
under ``accord.contracts``, which the genesis contract allowlist admits by default.
"""

from accord.contracts.agents.identity import IdentityRegistry
from accord.contracts.agents.registration import (
    REGISTRATION_TYPE,
    AgentRegistration,
    RegistrationError,
    RegistrationRef,
    Service,
    agent_registry,
    parse_registration,
    parse_registration_uri,
    to_data_uri,
)
from accord.contracts.agents.reputation import ReputationRegistry
from accord.contracts.agents.validation import ValidationRegistry
from accord.contracts.agents.wallet import MAX_DEADLINE_BLOCKS, WALLET_KEY, wallet_message

__all__ = [
    "MAX_DEADLINE_BLOCKS",
    "REGISTRATION_TYPE",
    "WALLET_KEY",
    "AgentRegistration",
    "IdentityRegistry",
    "RegistrationError",
    "RegistrationRef",
    "ReputationRegistry",
    "Service",
    "ValidationRegistry",
    "agent_registry",
    "parse_registration",
    "parse_registration_uri",
    "to_data_uri",
    "wallet_message",
]
