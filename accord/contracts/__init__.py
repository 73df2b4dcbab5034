"""Stateful contracts deployed on the device: thin shells over ``accord.mechanisms``.

Each contract is one module (its design note is ``docs/contracts/<name>.md``):
``escrow`` (+ ``escrow_demo``, ``vault``), ``staking``, ``challenge``, ``commit_reveal``,
``sealed_bid``, ``schelling``, ``amm`` (+ ``amm_flash``, a flash-swap borrower),
``router``, ``cow`` (+ ``cow_plan`` and ``cow_verify``, the settlement's pure parts),
``conditional_tokens``, ``futarchy``, ``emissions``, ``deepfund``,
``judgement_challenge``, ``arbitration_clause`` (``docs/arbitration.md``),
``negotiation`` (+ ``negotiation_offers``: offers as device commitments), ``mandate``
(principals' hard limits for delegates) and ``mediator`` (``docs/negotiation.md``);
``formal_contract`` (zero-sum transfer contracts in social dilemmas, settled each step
from locked deposits; ``docs/social-dilemmas.md``);
``commitment_race`` (two players race to bind an action; the first binds, simultaneous
ones cancel under the batch rule or a sealed window), ``extortion`` (a binding threat and
the target's pledge never to yield) and ``durable_sale`` (posted or committed price
paths: the Coase problem; all three in ``docs/commitment-races.md``);
``reorg_bounty`` (an escrowed reward for making a transaction not canonical, paid once
the horizon is final: ``docs/finality.md``);
``agents`` is a package: the ERC-8004 ("Trustless Agents") identity, reputation and
validation registries and the registration file's schema (``docs/contracts/erc8004.md``);
``args`` holds the argument checks they share. The genesis contract allowlist admits
this package by default (``Genesis.contract_modules``).

The court (``docs/arbitration.md``, "Court") is ``court`` with ``court_jurors`` (its
staking half) and ``court_books`` (its storage and settlement).
"""
