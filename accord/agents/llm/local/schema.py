"""A request's JSON schema as a grammar the model is held to, or a one-line refusal.

What llama-cpp-python 0.3.36's own converter (``llama_grammar.SchemaConverter``) does
with the schemas accord sends, and what this module does instead:

* **integer bounds** (``minimum``, ``maximum``, ``exclusiveMinimum``,
  ``exclusiveMaximum``; pydantic's ``gt``/``ge``/``lt``/``le``): dropped there; kept
  here exactly (:mod:`.integers`);
* **strings**: its ``char`` rule ``[^"\\\\]`` lets raw newlines and other control
  characters into a string, which is not JSON (RFC 8259, section 7: U+0000..U+001F must
  be escaped); here a string character is any character but ``"``, ``\\`` and the
  controls, or an escape;
* **``$ref``**: inlined here before anything else (local ``#/$defs/...`` and
  ``#/definitions/...`` only; a recursive reference is refused), with the inlined size
  bounded so that a schema of references to references cannot blow up;
* **what it does not know**: a keyword that would constrain the answer and that the
  grammar cannot keep (``pattern``, ``format``, ``multipleOf``, ``not``, ``if``,
  ``uniqueItems``, bounds on a ``number`` ...) is refused with its path, never dropped
  in silence. Annotations (``title``, ``description``, ``default``, ``examples``,
  ``discriminator``) are ignored, as JSON Schema lets a validator do.

The grammar writes every property an object's schema lists, in the schema's order (an
optional one too: a subset of the schema's language, so every answer is valid and a
small model need not decide which fields to leave out), allows one optional space
between tokens (as llama.cpp's converter does, so that the model cannot run away in
whitespace), and no extra properties. ``oneOf`` is taken as ``anyOf``: accord's unions
are discriminated by a ``type`` constant, so their branches are disjoint. A schema that
allows any value (``{}``, ``true``, an object without ``properties``) gets JSON values
nested at most :data:`ANY_DEPTH` deep.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from accord.agents.llm.local.grammar import (
    REPEAT_LIMIT,
    Chars,
    Grammar,
    Lit,
    Node,
    Ref,
    Rep,
    alt,
    digits,
    seq,
)
from accord.agents.llm.local.integers import RangeError, integer_range

MAX_NODES = 4000
"""Schema nodes allowed after ``$ref`` inlining (a guard against exponential schemas)."""
MAX_DEPTH = 24
"""Nesting of schemas allowed."""
ANY_DEPTH = 3
"""How deep a value whose schema allows anything may nest."""

IGNORED = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "discriminator",
        "$defs",
        "definitions",
        "$schema",
        "$id",
        "$comment",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)
HANDLED = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "prefixItems",
        "minItems",
        "maxItems",
        "enum",
        "const",
        "anyOf",
        "oneOf",
        "allOf",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
    }
)
TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")

WS = Rep(Lit(" "), 0, 1)
_HEX = Chars(((ord("0"), ord("9")), (ord("a"), ord("f")), (ord("A"), ord("F"))))
_ESCAPED = Chars(tuple((ord(c), ord(c)) for c in '"\\/bfnrt'))
_PLAIN = Chars(((0x00, 0x1F), (ord('"'), ord('"')), (ord("\\"), ord("\\")), (0x7F, 0x7F)), True)
_NOT_D = Chars(
    (
        (ord("0"), ord("9")),
        (ord("a"), ord("c")),
        (ord("e"), ord("f")),
        (ord("A"), ord("C")),
        (ord("E"), ord("F")),
    )
)
_D = Chars(((ord("d"), ord("d")), (ord("D"), ord("D"))))
_UNICODE = seq(Lit("u"), alt(seq(_NOT_D, Rep(_HEX, 3, 3)), seq(_D, digits(0, 7), Rep(_HEX, 2, 2))))
STRING_CHAR = alt(_PLAIN, seq(Lit("\\"), alt(_ESCAPED, _UNICODE)))
"""One character of a JSON string: no quote, backslash or control unescaped (RFC 8259,
section 7), and no ``\\u`` escape of a surrogate (a lone one is not Unicode text)."""
_SIGN = Chars(((ord("+"), ord("+")), (ord("-"), ord("-"))))
_EXP = seq(
    Chars(((ord("e"), ord("e")), (ord("E"), ord("E")))), Rep(_SIGN, 0, 1), Rep(digits(0, 9), 1, 3)
)
NUMBER = seq(
    integer_range(None, None),
    Rep(seq(Lit("."), Rep(digits(0, 9), 1, 15)), 0, 1),
    Rep(_EXP, 0, 1),
)
"""A JSON number (at most 18 integer digits, 15 decimals and a 3-digit exponent)."""


class SchemaError(ValueError):
    """A schema the grammar cannot hold the model to; the message names the path."""


def inline_refs(schema: Any) -> Any:
    """``schema`` with every local ``$ref`` replaced by a copy of its target.

    Raises :class:`SchemaError` for a remote or unresolvable reference, a recursive one,
    or a result larger than :data:`MAX_NODES` nodes.
    """
    count = [0]

    def resolve(ref: Any, path: str) -> Any:
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise SchemaError(f"{path}: only local references (#/$defs/...) are supported")
        target: Any = schema
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, Mapping) or part not in target:
                raise SchemaError(f"{path}: $ref {ref!r} does not resolve")
            target = target[part]
        return target

    def visit(node: Any, path: str, stack: tuple[str, ...]) -> Any:
        count[0] += 1
        if count[0] > MAX_NODES:
            raise SchemaError(f"the schema has more than {MAX_NODES} nodes once $refs are inlined")
        if len(stack) > MAX_DEPTH or path.count("/") > 4 * MAX_DEPTH:
            raise SchemaError(f"{path}: the schema nests too deeply")
        if isinstance(node, list):
            return [visit(x, f"{path}/{i}", stack) for i, x in enumerate(node)]
        if not isinstance(node, Mapping):
            return copy.copy(node)
        if "$ref" in node:
            ref = node["$ref"]
            if ref in stack:
                raise SchemaError(f"{path}: recursive $ref {ref!r} is not supported")
            target = visit(resolve(ref, path), path, (*stack, ref))
            rest = {k: v for k, v in node.items() if k != "$ref" and k not in IGNORED}
            if rest:
                if not isinstance(target, dict):
                    raise SchemaError(f"{path}: $ref {ref!r} beside other keywords")
                return _merge(target, visit(rest, path, stack), path)
            return target
        return {
            k: visit(v, f"{path}/{k}", stack)
            for k, v in node.items()
            if k not in ("$defs", "definitions", "discriminator")  # mapping points into $defs
        }

    return visit(schema, "#", ())


_STRICTER: dict[str, Any] = {
    "minimum": max,
    "exclusiveMinimum": max,
    "minLength": max,
    "minItems": max,
    "maximum": min,
    "exclusiveMaximum": min,
    "maxLength": min,
    "maxItems": min,
}


def _merge(target: dict[str, Any], rest: dict[str, Any], path: str) -> dict[str, Any]:
    """A ``$ref``'s target and the keywords beside it (both apply): bounds take the
    stricter, annotations the sibling's; any other keyword set twice is refused."""
    out = dict(target)
    for key, value in rest.items():
        if key not in out or key in IGNORED or out[key] == value:
            out[key] = value
        elif key in _STRICTER and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in (out[key], value)
        ):
            out[key] = _STRICTER[key](out[key], value)
        else:
            raise SchemaError(f"{path}: {key!r} is set both beside a $ref and in its target")
    return out


def schema_grammar(schema: Any) -> Grammar:
    """The grammar of JSON texts that ``schema`` accepts (a subset, see the module doc)."""
    return _Converter().convert(inline_refs(schema))


class _Converter:
    def __init__(self) -> None:
        self.rules: dict[str, Node] = {}
        self.names: dict[str, str] = {}

    def convert(self, schema: Any) -> Grammar:
        root = self.value(schema, "#", 0)
        self.rules["string-char"] = STRING_CHAR
        return Grammar(root, self.rules)

    def shared(self, schema: Mapping[str, Any], node: Node, hint: str) -> Node:
        """Give a composite node its own rule, once per distinct (sub)schema."""
        key = json.dumps(schema, sort_keys=True, default=str)
        name = self.names.get(key)
        if name is None:
            base = re.sub(r"[^a-z0-9]+", "-", hint.lower()).strip("-") or "value"
            name = base
            n = 1
            while name in self.rules or name in ("root", "string-char"):
                n += 1
                name = f"{base}-{n}"
            self.names[key] = name
            self.rules[name] = node
        return Ref(name)

    def value(self, schema: Any, path: str, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise SchemaError(f"{path}: the schema nests too deeply")
        if schema is True:
            return self.any_value(ANY_DEPTH)
        if schema is False:
            raise SchemaError(f"{path}: the schema 'false' accepts nothing")
        if not isinstance(schema, Mapping):
            raise SchemaError(f"{path}: a schema must be an object or a boolean")
        for key in schema:
            if key not in HANDLED and key not in IGNORED:
                raise SchemaError(f"{path}: the keyword {key!r} is not supported")
        if "const" in schema:
            return _literal(schema["const"], path)
        if "enum" in schema:
            values = schema["enum"]
            if not isinstance(values, list) or not values:
                raise SchemaError(f"{path}/enum: must be a non-empty list")
            return alt(*(_literal(v, f"{path}/enum") for v in values))
        for union in ("anyOf", "oneOf"):
            if union in schema:
                branches = schema[union]
                if not isinstance(branches, list) or not branches:
                    raise SchemaError(f"{path}/{union}: must be a non-empty list")
                return alt(
                    *(
                        self.value(b, f"{path}/{union}/{i}", depth + 1)
                        for i, b in enumerate(branches)
                    )
                )
        if "allOf" in schema:
            parts = schema["allOf"]
            if not isinstance(parts, list) or len(parts) != 1:
                raise SchemaError(f"{path}/allOf: only a single schema is supported")
            return self.value(parts[0], f"{path}/allOf/0", depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            if not kind or not all(isinstance(k, str) for k in kind):
                raise SchemaError(f"{path}/type: must be a type name or a list of them")
            return alt(
                *(self.value({**schema, "type": k}, path, depth + 1) for k in dict.fromkeys(kind))
            )
        if kind is None:
            if "properties" in schema or "additionalProperties" in schema:
                kind = "object"
            elif "items" in schema or "prefixItems" in schema:
                kind = "array"
            else:
                self._only(schema, path, ())
                return self.any_value(ANY_DEPTH)
        if kind not in TYPES:
            raise SchemaError(f"{path}/type: unknown type {kind!r}")
        if kind == "object":
            return self.object(schema, path, depth)
        if kind == "array":
            return self.array(schema, path, depth)
        if kind == "string":
            self._only(schema, path, ("minLength", "maxLength"))
            low, high = _count(schema, "minLength", path), _count(schema, "maxLength", path)
            return self.string(low or 0, high, path)
        if kind == "integer":
            self._only(schema, path, ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"))
            try:
                return integer_range(*_int_bounds(schema, path))
            except RangeError as exc:
                raise SchemaError(f"{path}: {exc}") from None
        self._only(schema, path, ())
        if kind == "number":
            return NUMBER
        return alt(Lit("true"), Lit("false")) if kind == "boolean" else Lit("null")

    @staticmethod
    def _only(schema: Mapping[str, Any], path: str, allowed: tuple[str, ...]) -> None:
        structural = ("type", *allowed)
        for key in schema:
            if key not in structural and key not in IGNORED:
                what = schema.get("type", "this schema")
                raise SchemaError(f"{path}: the keyword {key!r} is not supported for {what}")

    def string(self, low: int, high: int | None, path: str) -> Node:
        if high is not None and high < low:
            raise SchemaError(f"{path}: maxLength {high} is below minLength {low}")
        if low > REPEAT_LIMIT:
            raise SchemaError(f"{path}: minLength above {REPEAT_LIMIT} is not supported")
        if high is not None and high > REPEAT_LIMIT:
            high = REPEAT_LIMIT  # a subset: every answer is still within the schema's bound
        return seq(Lit('"'), Rep(Ref("string-char"), low, high), Lit('"'))

    def object(self, schema: Mapping[str, Any], path: str, depth: int) -> Node:
        self._only(schema, path, ("properties", "required", "additionalProperties"))
        props = schema.get("properties")
        extra = schema.get("additionalProperties", True)
        if props is None:
            if isinstance(extra, Mapping):
                value = self.value(extra, f"{path}/additionalProperties", depth + 1)
                entry = seq(self.string(0, None, path), WS, Lit(":"), WS, value, WS)
                body = Rep(seq(entry, Rep(seq(Lit(","), WS, entry), 0, None)), 0, 1)
                return seq(Lit("{"), WS, body, Lit("}"))
            return self.any_object(ANY_DEPTH)
        if not isinstance(props, Mapping):
            raise SchemaError(f"{path}/properties: must be an object")
        required = schema.get("required", [])
        if not isinstance(required, list) or any(r not in props for r in required):
            raise SchemaError(f"{path}/required: names a property that is not in properties")
        parts: list[Node] = [Lit("{"), WS]
        for i, (name, sub) in enumerate(props.items()):
            if i:
                parts += [Lit(","), WS]
            parts += [Lit(json.dumps(name)), WS, Lit(":"), WS]
            parts += [self.value(sub, f"{path}/properties/{name}", depth + 1), WS]
        parts.append(Lit("}"))
        title = schema.get("title")
        hint = title if isinstance(title, str) else path.rsplit("/", 1)[-1]
        return self.shared(schema, seq(*parts), hint)

    def array(self, schema: Mapping[str, Any], path: str, depth: int) -> Node:
        self._only(schema, path, ("items", "prefixItems", "minItems", "maxItems"))
        low = _count(schema, "minItems", path) or 0
        high = _count(schema, "maxItems", path)
        if high is not None and high < low:
            raise SchemaError(f"{path}: maxItems {high} is below minItems {low}")
        if "prefixItems" in schema:
            prefix = schema["prefixItems"]
            if not isinstance(prefix, list) or schema.get("items", False) is not False:
                raise SchemaError(f"{path}: prefixItems only as a fixed tuple (items: false)")
            if low > len(prefix) or (high is not None and high < len(prefix)):
                raise SchemaError(f"{path}: prefixItems with min/maxItems beyond the tuple")
            items = [
                self.value(s, f"{path}/prefixItems/{i}", depth + 1) for i, s in enumerate(prefix)
            ]
            body: list[Node] = []
            for i, element in enumerate(items):
                body += [Lit(","), WS, element, WS] if i else [element, WS]
            return seq(Lit("["), WS, *body, Lit("]"))
        item = self.value(schema.get("items", True), f"{path}/items", depth + 1)
        if max(low, high or 0) > REPEAT_LIMIT:
            raise SchemaError(f"{path}: more than {REPEAT_LIMIT} items is not supported")
        return seq(Lit("["), WS, _separated(seq(item, WS), low, high), Lit("]"))

    def any_value(self, depth: int) -> Node:
        name = f"any-{depth}"
        if name not in self.rules:
            self.rules[name] = Lit("")  # reserved while built
            scalars = [self.string(0, None, "#"), NUMBER, Lit("true"), Lit("false"), Lit("null")]
            if depth > 0:
                item = seq(self.any_value(depth - 1), WS)
                scalars += [seq(Lit("["), WS, _separated(item, 0, None), Lit("]"))]
                scalars += [self.any_object(depth)]
            self.rules[name] = alt(*scalars)
        return Ref(name)

    def any_object(self, depth: int) -> Node:
        inner = self.any_value(depth - 1) if depth > 0 else alt(Lit("null"))
        entry = seq(self.string(0, None, "#"), WS, Lit(":"), WS, inner, WS)
        return seq(Lit("{"), WS, _separated(entry, 0, None), Lit("}"))


def _separated(item: Node, low: int, high: int | None) -> Node:
    """``low`` to ``high`` ``item``s separated by commas."""
    if high == 0:
        return Lit("")
    more = Rep(seq(Lit(","), WS, item), max(low - 1, 0), None if high is None else high - 1)
    return seq(item, more) if low else Rep(seq(item, more), 0, 1)


def _literal(value: Any, path: str) -> Node:
    try:
        return Lit(json.dumps(value, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError):
        raise SchemaError(f"{path}: a constant must be a JSON value") from None


def _count(schema: Mapping[str, Any], key: str, path: str) -> int | None:
    value = schema.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SchemaError(f"{path}/{key}: must be a non-negative integer")
    return value


def _int_bounds(schema: Mapping[str, Any], path: str) -> tuple[int | None, int | None]:
    """The inclusive integer bounds of an integer schema (float bounds rounded inwards)."""
    low: int | None = None
    high: int | None = None
    for key in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        if key not in schema:
            continue
        b = schema[key]
        if isinstance(b, bool) or not isinstance(b, int | float) or not math.isfinite(b):
            raise SchemaError(f"{path}/{key}: must be a finite number")
        if abs(b) >= 10**40:
            raise SchemaError(f"{path}/{key}: bound too large")
        if key == "minimum":
            v = math.ceil(b)
        elif key == "exclusiveMinimum":
            v = math.floor(b) + 1
        elif key == "maximum":
            v = math.floor(b)
        else:
            v = math.ceil(b) - 1
        if key.endswith("inimum"):
            low = v if low is None else max(low, v)
        else:
            high = v if high is None else min(high, v)
    return low, high
