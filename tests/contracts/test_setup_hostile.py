"""Every shipped contract's constructor under generated hostile arguments.

A deployment is a transaction like any other: its ``setup`` arguments are hostile until
checked. Each contract is deployed with arguments drawn per position from valid values
and junk (and, now and then, one argument too few or too many). Either it deploys, or
it reverts with a reason naming what is wrong; nothing but the deployer's own funds is
locked (the sealed-bid seller's item), and conservation holds
(:class:`~tests.contracts.hostile_args.Hostile`).
"""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from accord.contracts.amm import ConstantSumAMM, ProductAMM, WeightedAMM
from accord.contracts.challenge import ChallengeGame
from accord.contracts.commit_reveal import CommitReveal
from accord.contracts.commitment_race import CommitmentRace
from accord.contracts.deepfund import DeepFund
from accord.contracts.durable_sale import DurableGoodsSale
from accord.contracts.emissions import Emissions
from accord.contracts.escrow import Escrow
from accord.contracts.extortion import Extortion
from accord.contracts.judgement_challenge import JudgementJury
from accord.contracts.mandate import Mandates
from accord.contracts.mediator import Mediator
from accord.contracts.negotiation import Negotiation
from accord.contracts.reorg_bounty import ReorgBounty
from accord.contracts.router import Router
from accord.contracts.schelling import SchellingOracle
from accord.contracts.sealed_bid import SealedBidAuction
from accord.contracts.staking import Staking
from accord.contracts.vault import Vault
from accord.device import Contract
from tests.contracts.hostile_args import Hostile, amounts, hostile_device, mixed, names

ASSET = mixed(st.sampled_from(("USD", "TOK", "GOLD")))
SMALL = mixed(st.integers(1, 10))
BPS = mixed(st.integers(0, 10_000), st.just(10_001))
END = mixed(st.integers(3, 12))
TOKENS = mixed(st.just(("USD", "TOK")), st.just(("USD", "USD")), st.just(("USD", "TOK", "GOLD")))
WEIGHTS = mixed(st.just((1, 1)), st.just((3, 1)), st.just((0, 1)), st.just((1, 1, 1)))
SETUPS: dict[type[Contract], tuple[st.SearchStrategy[Any], ...]] = {
    Escrow: (),
    ReorgBounty: (),
    Vault: (),
    Mandates: (),
    Negotiation: (names(""),),
    ProductAMM: (ASSET, ASSET, BPS, mixed(st.just("LP"), st.just(""), st.just("USD"))),
    WeightedAMM: (TOKENS, WEIGHTS, BPS, mixed(st.just("LPW"))),
    ConstantSumAMM: (TOKENS, mixed(st.just((1, 2)), st.just(())), BPS),
    Staking: (
        ASSET,
        SMALL,
        mixed(st.just(("carol",)), st.just(()), st.just(("carol", "carol"))),
        names(),
        BPS,
        BPS,
        names(""),
    ),
    ChallengeGame: (
        ASSET,
        amounts(),
        SMALL,
        names(),
        SMALL,
        BPS,
        names(),
        mixed(st.just("")),
        mixed(st.just(0)),
    ),
    CommitReveal: (ASSET, amounts(), END, END, names(), mixed(st.booleans())),
    SealedBidAuction: (
        mixed(st.sampled_from(("first_price", "second_price"))),
        ASSET,
        amounts(100),
        ASSET,
        amounts(100),
        amounts(100),
        amounts(100),
        END,
        END,
        names(),
    ),
    SchellingOracle: (ASSET, names(), amounts(), amounts(), BPS, BPS, SMALL, SMALL),
    Emissions: (
        mixed(st.just("EMI"), st.just("USD")),
        amounts(),
        mixed(st.integers(1, 3)),
        names(),
    ),
    DeepFund: (
        ASSET,
        mixed(st.just(100)),
        mixed(st.just((("a", "bob"), ("b", "carol"))), st.just((("a", "bob"), ("a", "x")))),
        mixed(
            st.just((("a", "b", 50),)),
            st.just((("a", "b", 50), ("a", "b", 1))),
            st.just((("a", "b", 100), ("b", "a", 100))),
        ),
        names(""),
    ),
    Mediator: (
        mixed(
            st.just(("k_double_auction", (0, 100), (0, 100), 1, (1, 2))),
            st.just(("vcg", (0, 100), (0, 100), 1)),
            st.just(("nash", (((1, 0), (-1, 0)),), 10)),
            st.just(("second_best", (0, 100), (0, 50), 1)),
        ),
        mixed(st.just(("bob", "carol")), st.just(("bob", "bob")), st.just(("bob",))),
        mixed(st.just(("USD", "GOLD")), st.just(("USD",)), st.just(("USD", "USD"))),
        amounts(100),
        END,
        END,
        names(),
        mixed(st.just(0), st.just(100), st.just(99)),
    ),
    CommitmentRace: (
        mixed(
            st.just(("chicken", 5, 3, 1, 0, 0)),
            st.just(("chicken", 3, 3, 1, 0, 0)),
            st.just(("ultimatum", 0, 0, 0, 0, 100)),
            st.just(("ultimatum", 0, 0, 0, 0, -1)),
            st.just(("poker", 1, 2, 3, 4, 5)),
        ),
        ASSET,
        mixed(st.just(("bob", "carol")), st.just(("bob", "bob")), st.just(("alice", "bob"))),
        END,
        END,
        mixed(st.integers(3, 20)),
        mixed(st.booleans()),
    ),
    Extortion: (ASSET, names(), names(), amounts(1_000), amounts(1_000), amounts(1_000), END, END),
    DurableGoodsSale: (
        ASSET,
        ASSET,
        mixed(st.integers(1, 5)),
        mixed(st.integers(1, 3)),
        mixed(st.just(()), st.just((5, 4, 3)), st.just((5, 0)), st.just((5, -1, 2))),
    ),
    JudgementJury: (
        mixed(st.just(("carol", "bob")), st.just(("carol", "carol"))),
        mixed(st.integers(1, 3)),
        mixed(st.integers(10_000, 30_000)),
    ),
}


def deployment() -> st.SearchStrategy[tuple[type[Contract], tuple[Any, ...]]]:
    def args_of(cls: type[Contract]) -> st.SearchStrategy[tuple[type[Contract], tuple[Any, ...]]]:
        drawn = st.tuples(*SETUPS[cls]) if SETUPS[cls] else st.just(())
        cut = st.sampled_from((0,) * 8 + (-1, 1))
        return st.tuples(
            st.just(cls),
            st.builds(lambda a, c: a[:c] if c < 0 else (*a, *(("extra",) * c)), drawn, cut),
        )

    return st.sampled_from(sorted(SETUPS, key=lambda c: c.__name__)).flatmap(args_of)


@settings(max_examples=200, deadline=None)
@given(deployment())
@example((Router, ("not-a-pool",)))
@example((Router, (True,)))
@example((Staking, ("USD", 3, ("carol", 5))))
def test_constructors_under_hostile_arguments(
    drawn: tuple[type[Contract], tuple[Any, ...]],
) -> None:
    cls, args = drawn
    device = hostile_device()
    hostile = Hostile(device)
    receipt = hostile.send("alice", "", cls.class_path(), *args)
    if receipt is not None and receipt.ok:
        assert receipt.contract_address in device.contracts
