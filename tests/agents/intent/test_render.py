"""Commitments read back in plain English, exact amounts and all."""

from __future__ import annotations

from accord.agents.intent import IntentContext, compile_intent, render
from accord.device.commitments.build import (
    balance,
    block,
    commitment,
    final_excluded,
    final_included,
    fires,
    transfer,
)

CTX = IntentContext(
    owner="alice",
    block=5,
    patience=4,
    pools={"p1": ("A", "D"), "p2": ("A", "B")},
    router="r0",
    label="x",
)


def english(sentence: str) -> str:
    return compile_intent(sentence, context=CTX).english


def test_swap_warns_of_no_price_protection() -> None:
    text = english("swap 500 A for D")
    assert "swap 500 A for D on pool p1, accepting any amount (no price protection)" in text
    assert "stays open until block 9" in text


def test_limit_reads_its_condition_and_floor() -> None:
    text = english("sell 100 A for at least 150 B")
    assert "pool p2 quotes at least 150 B for 100 A" in text
    assert "accepting no less than 150" in text


def test_conditional_and_fallback() -> None:
    text = english(
        "if a swap D→A exists at rate ≤ 1000 A/D, swap 500 A→D, else route through the best path"
    )
    assert "swaps D on pool p1 at a rate (minimum out per unit in) of at most 1000" in text
    assert "right after the commitment its condition matched" in text
    assert "it will swap 500 A for D along the best path of router r0" in text


def test_flash_loan_reads_the_repayment_requirement() -> None:
    text = english("lend 1000 A to bob if he returns 1003 A in the same block")
    assert "bob has a pending commitment that pays at least 1003 A to you" in text
    assert "pay 1000 A to bob" in text
    assert "balance rises by at least 3" in text


def test_any_commitment_renders() -> None:
    c = commitment(
        "bob",
        "deal",
        expiry=12,
        condition=fires("alice/x") & (block() >= 10) & ~(balance("bob", "A") < 5),
        actions=[transfer("B", "alice", 7)],
        otherwise=[transfer("B", "carol", 1)],
        bond=("A", 3),
    )
    text = render(c)
    assert text.splitlines()[0] == "bob commits (id bob/deal):"
    assert (
        "commitment alice/x fires and the block number is at least 10 and "
        "not (you hold less than 5 A)"
    ) in text
    assert "it will pay 1 B to carol" in text and "bond of 3 A" in text


def test_finality_atoms_render() -> None:
    pay = bytes.fromhex("ab" * 32)
    c = commitment(
        "bob",
        "ship",
        expiry=30,
        condition=final_included(pay) | final_excluded(pay, 9),
        actions=[transfer("TOK", "alice", 3)],
    )
    text = render(c)
    assert (
        "(transaction abababababababab... is in a final block) or (the newest final block "
        "is at least 9 and not (transaction abababababababab... is in a final block "
        "numbered at most 9))"
    ) in text
