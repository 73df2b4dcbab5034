"""A small grammar in memory that renders to GBNF (llama.cpp's grammars) and to a regex.

:mod:`.schema` turns a request's JSON schema into this tree; :meth:`Grammar.gbnf` writes
it in the GBNF notation that llama.cpp's grammar-constrained sampler reads
(``grammars/README.md`` of llama.cpp: literals in double quotes, character classes in
brackets, ``|`` alternatives, ``{m,n}`` repetitions, ``name ::= ...`` rules), and
:meth:`Grammar.regex` writes the same language as a Python regular expression.

Why both: the schemas accord sends inline every ``$ref`` and bound their nesting, so
their language is regular, and the regex lets the tests check the grammar exactly (it
accepts ``json.dumps`` of a valid answer and refuses an out-of-bounds integer or a raw
newline in a string) without a model or llama.cpp installed. The one tree renders both,
so what the tests check is what the model is held to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

REPEAT_LIMIT = 1000
"""The largest finite bound of one repetition (llama.cpp's parser refuses much larger)."""


@dataclass(frozen=True, slots=True)
class Lit:
    """A literal string."""

    text: str


@dataclass(frozen=True, slots=True)
class Chars:
    """One character from inclusive code-point ``ranges`` (or, ``negated``, not from them)."""

    ranges: tuple[tuple[int, int], ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Seq:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Alt:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Rep:
    """``item`` repeated ``low`` to ``high`` times (``high=None``: no upper bound)."""

    item: Node
    low: int
    high: int | None


@dataclass(frozen=True, slots=True)
class Ref:
    """The rule called ``name`` in the grammar's ``rules``."""

    name: str


Node = Lit | Chars | Seq | Alt | Rep | Ref


def seq(*items: Node) -> Node:
    """A sequence, flattened, with adjacent literals merged (shorter grammars)."""
    out: list[Node] = []
    for item in items:
        parts = item.items if isinstance(item, Seq) else (item,)
        for part in parts:
            if isinstance(part, Lit) and out and isinstance(out[-1], Lit):
                out[-1] = Lit(out[-1].text + part.text)
            elif not (isinstance(part, Lit) and part.text == ""):
                out.append(part)
    return out[0] if len(out) == 1 else Seq(tuple(out))


def alt(*items: Node) -> Node:
    """An alternation (one item: that item; duplicates dropped, order kept)."""
    unique = tuple(dict.fromkeys(items))
    return unique[0] if len(unique) == 1 else Alt(unique)


def digits(low: int, high: int) -> Chars:
    """One decimal digit from ``low`` to ``high``."""
    return Chars(((ord("0") + low, ord("0") + high),))


@dataclass
class Grammar:
    """A root node and the named rules it (and they) refer to; no rule refers to itself."""

    root: Node
    rules: dict[str, Node] = field(default_factory=dict)

    def gbnf(self) -> str:
        """The grammar in llama.cpp's GBNF, ``root`` first."""
        lines = [f"root ::= {_gbnf(self.root)}"]
        lines += [f"{name} ::= {_gbnf(node)}" for name, node in self.rules.items()]
        return "\n".join(lines) + "\n"

    def regex(self) -> str:
        """The same language as a Python regular expression (for :func:`re.fullmatch`)."""
        return self._regex(self.root, ())

    def _regex(self, node: Node, stack: tuple[str, ...]) -> str:
        if isinstance(node, Lit):
            return _re_escape(node.text)
        if isinstance(node, Chars):
            return _re_class(node)
        if isinstance(node, Seq):
            return "".join(self._regex(i, stack) for i in node.items)
        if isinstance(node, Alt):
            return "(?:" + "|".join(self._regex(i, stack) for i in node.items) + ")"
        if isinstance(node, Rep):
            high = "" if node.high is None else str(node.high)
            return f"(?:{self._regex(node.item, stack)}){{{node.low},{high}}}"
        if node.name in stack:
            raise ValueError(f"rule {node.name} refers to itself")
        return self._regex(self.rules[node.name], (*stack, node.name))


def _gbnf(node: Node, nested: bool = False) -> str:
    if isinstance(node, Lit):
        return '"' + "".join(_gbnf_char(c, '"\\') for c in node.text) + '"'
    if isinstance(node, Chars):
        body = "".join(_gbnf_range(lo, hi) for lo, hi in node.ranges)
        return "[" + ("^" if node.negated else "") + body + "]"
    if isinstance(node, Ref):
        return node.name
    if isinstance(node, Rep):
        inner = _gbnf(node.item, nested=True)
        if isinstance(node.item, Seq | Alt):
            inner = f"({inner})"
        short = {(0, 1): "?", (0, None): "*", (1, None): "+"}.get((node.low, node.high))
        if short is not None:
            return inner + short
        if node.low == node.high:
            return f"{inner}{{{node.low}}}"
        high = "" if node.high is None else str(node.high)
        return f"{inner}{{{node.low},{high}}}"
    if isinstance(node, Seq):
        text = " ".join(_gbnf(i, nested=True) for i in node.items)
        return text
    text = " | ".join(_gbnf(i) for i in node.items)
    return f"({text})" if nested else text


def _gbnf_char(c: str, special: str) -> str:
    n = ord(c)
    if c in special:
        return "\\" + c
    if n < 0x20 or n == 0x7F:
        return f"\\x{n:02X}"
    if n > 0x7E:
        return f"\\u{n:04X}" if n <= 0xFFFF else f"\\U{n:08X}"
    return c


_CLASS_SPECIAL = "]\\-^["


def _gbnf_range(lo: int, hi: int) -> str:
    a = _gbnf_char(chr(lo), _CLASS_SPECIAL)
    return a if lo == hi else a + "-" + _gbnf_char(chr(hi), _CLASS_SPECIAL)


def _re_escape(text: str) -> str:
    return "".join(f"\\U{ord(c):08x}" if not c.isalnum() else c for c in text)


def _re_class(node: Chars) -> str:
    body = "".join(
        f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in node.ranges
    )
    return "[" + ("^" if node.negated else "") + body + "]"
