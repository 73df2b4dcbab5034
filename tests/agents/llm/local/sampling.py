"""Random strings of a grammar's language, to check that every one is a valid answer."""

from __future__ import annotations

import numpy as np

from accord.agents.llm.local.grammar import Alt, Chars, Grammar, Lit, Node, Ref, Rep, Seq

CANDIDATES = [chr(c) for c in range(0x00, 0x80)] + ["é", "€", "😀", "\u2028"]


def sample(grammar: Grammar, rng: np.random.Generator, extra: int = 3) -> str:
    """One string the grammar accepts (repetitions drawn up to ``extra`` past their low)."""
    out: list[str] = []
    _walk(grammar, grammar.root, rng, extra, out)
    return "".join(out)


def _walk(g: Grammar, node: Node, rng: np.random.Generator, extra: int, out: list[str]) -> None:
    if isinstance(node, Lit):
        out.append(node.text)
    elif isinstance(node, Chars):
        allowed = [c for c in CANDIDATES if _in(node, c) and c not in "]"]
        out.append(allowed[int(rng.integers(len(allowed)))])
    elif isinstance(node, Seq):
        for item in node.items:
            _walk(g, item, rng, extra, out)
    elif isinstance(node, Alt):
        _walk(g, node.items[int(rng.integers(len(node.items)))], rng, extra, out)
    elif isinstance(node, Rep):
        high = node.low + extra if node.high is None else min(node.high, node.low + extra)
        for _ in range(int(rng.integers(node.low, high + 1))):
            _walk(g, node.item, rng, extra, out)
    else:
        assert isinstance(node, Ref)
        _walk(g, g.rules[node.name], rng, extra, out)


def _in(node: Chars, c: str) -> bool:
    inside = any(lo <= ord(c) <= hi for lo, hi in node.ranges)
    return inside != node.negated
