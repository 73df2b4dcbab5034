"""JSON schemas as grammars: every string the grammar allows is a valid answer, and what
the grammar cannot keep is refused with its path (never dropped)."""

from __future__ import annotations

import itertools
import json
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from accord.agents.arbitration.vocabulary import SCHEMA as RULING
from accord.agents.arbitration.vocabulary import RulingAnswer
from accord.agents.intent.llm import answer_schema
from accord.agents.llm.actions import Decision, decision_schema
from accord.agents.llm.local.schema import MAX_NODES, SchemaError, inline_refs, schema_grammar
from accord.agents.llm.negotiation import SCHEMA as MOVE
from accord.agents.llm.negotiation import Move
from tests.agents.llm.local.sampling import sample

SWAP = {
    "type": "swap",
    "pool": "0xabc",
    "asset_in": "A",
    "amount_in": 5,
    "asset_out": "B",
    "min_out": 0,
    "priority_fee": 0,
}
KIND_SETS = [k for n in (1, 2) for k in itertools.combinations(("swap", "bundle", "intent"), n)]


def _accepts(schema: object, value: object) -> bool:
    m = re.compile(schema_grammar(schema).regex())
    compact = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    spaced = json.dumps(value, separators=(", ", ": "), ensure_ascii=False)
    assert bool(m.fullmatch(compact)) == bool(m.fullmatch(spaced))
    return bool(m.fullmatch(compact))


@pytest.mark.parametrize(
    ("schema", "model"),
    [
        *[(decision_schema(k), Decision) for k in KIND_SETS],
        (RULING, RulingAnswer),
        (MOVE, Move),
    ],
)
def test_every_string_of_the_grammar_is_a_valid_answer(schema, model: type[BaseModel]):
    grammar = schema_grammar(schema)
    rng = np.random.default_rng(14)
    for _ in range(300):
        text = sample(grammar, rng)
        model.model_validate(json.loads(text))  # JSON, and fits the pydantic model
        assert re.fullmatch(grammar.regex(), text)


def test_valid_answers_are_in_the_grammar():
    schema = decision_schema(("swap", "bundle"))
    bundle = {"type": "bundle", "items": [SWAP, {"type": "pending", "tx": "deadbeef00"}]}
    assert _accepts(schema, {"actions": [], "note": ""})
    assert _accepts(schema, {"actions": [SWAP, bundle], "note": 'é " \\ \n escaped'})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount_in", 0),  # gt=0
        ("amount_in", -5),
        ("min_out", -1),  # ge=0
        ("priority_fee", 10**6 + 1),  # le=MAX_TIP
        ("amount_in", 1.5),
        ("amount_in", "5"),
        ("type", "transfer"),
        ("pool", None),
    ],
)
def test_integer_bounds_types_and_constants_are_kept(field, value):
    assert not _accepts(decision_schema(("swap",)), {"actions": [{**SWAP, field: value}]})


def test_a_raw_control_character_never_enters_a_string():
    """llama-cpp-python's own ``char`` rule ([^"\\\\]) lets a raw newline in: not JSON."""
    m = re.compile(schema_grammar({"type": "string"}).regex())
    assert m.fullmatch(json.dumps("a\nb")) and m.fullmatch('"a\\u0009b"')
    for raw in ("\n", "\r", "\t", "\x00", "\x1f", "\x7f"):
        assert not m.fullmatch(f'"a{raw}b"')


def test_lengths_counts_and_extra_properties():
    s = {"type": "string", "minLength": 2, "maxLength": 3}
    assert [_accepts(s, "a" * n) for n in range(5)] == [False, False, True, True, False]
    assert _accepts(s, "\\n\\") and not _accepts(s, "\\n\\\\")  # an escape is one character
    a = {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 2}
    assert [_accepts(a, [7] * n) for n in range(4)] == [False, True, True, False]
    o = {"type": "object", "properties": {"x": {"type": "integer"}}, "additionalProperties": False}
    assert _accepts(o, {"x": 1}) and not _accepts(o, {"x": 1, "y": 2})


def test_refs_are_inlined_and_the_defs_dropped():
    schema = decision_schema(("swap", "bundle"))
    flat = inline_refs(schema)
    text = json.dumps(flat)
    assert "$ref" not in text and "$defs" not in text
    assert flat["properties"]["actions"]["items"]["oneOf"][0]["properties"]["amount_in"] == {
        "exclusiveMinimum": 0,
        "title": "Amount In",
        "type": "integer",
    }


def test_a_reference_with_siblings_keeps_both():
    schema = {
        "$defs": {"N": {"type": "integer", "maximum": 9}},
        "properties": {"n": {"$ref": "#/$defs/N", "minimum": 3}},
    }
    assert [_accepts(schema, {"n": n}) for n in (2, 3, 9, 10)] == [False, True, True, False]


@pytest.mark.parametrize(
    ("schema", "says"),
    [
        ({"type": "string", "pattern": "^a$"}, "'pattern' is not supported"),
        ({"type": "string", "format": "date-time"}, "'format' is not supported"),
        ({"type": "number", "minimum": 0}, "'minimum' is not supported for number"),
        ({"type": "integer", "multipleOf": 2}, "'multipleOf'"),
        ({"not": {"type": "string"}}, "'not'"),
        ({"type": "array", "uniqueItems": True}, "'uniqueItems'"),
        ({"type": "integer", "minimum": 5, "maximum": 4}, "no integer lies between 5 and 4"),
        ({"type": "integer", "minimum": float("nan")}, "finite number"),
        ({"type": "integer", "maximum": "9"}, "finite number"),
        ({"type": "potato"}, "unknown type 'potato'"),
        ({"enum": []}, "non-empty list"),
        ({"$ref": "https://example.com/s.json"}, "only local references"),
        ({"$ref": "#/$defs/Missing"}, "does not resolve"),
        ({"$defs": {"A": {"$ref": "#/$defs/A"}}, "$ref": "#/$defs/A"}, "recursive $ref"),
        ({"allOf": [{"type": "integer"}, {"minimum": 1}]}, "only a single schema"),
        ({"type": "string", "maxLength": 2, "minLength": 3}, "below minLength"),
        (False, "accepts nothing"),
        ([], "must be an object or a boolean"),
    ],
)
def test_what_the_grammar_cannot_keep_is_refused_by_path(schema, says):
    with pytest.raises(SchemaError, match=re.escape(says)):
        schema_grammar(schema)


def test_a_recursive_schema_is_refused_not_flattened():
    """The intent compiler's answer nests conditions recursively: no finite inlining."""
    with pytest.raises(SchemaError, match="recursive"):
        schema_grammar(answer_schema())


def test_references_that_double_at_each_level_are_refused_by_size():
    defs = {
        f"L{i}": {"type": "array", "prefixItems": [{"$ref": f"#/$defs/L{i + 1}"}] * 2}
        for i in range(20)
    }
    defs["L20"] = {"type": "integer"}
    with pytest.raises(SchemaError, match=f"more than {MAX_NODES} nodes"):
        schema_grammar({"$defs": defs, "$ref": "#/$defs/L0"})


json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**50), 10**50),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.sampled_from(["integer", "string", "object", "array", "#/$defs/A", "#", "number"]),
)
keys = st.sampled_from(
    [
        "type",
        "properties",
        "items",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "enum",
        "const",
        "anyOf",
        "oneOf",
        "allOf",
        "$ref",
        "$defs",
        "A",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "required",
        "additionalProperties",
        "prefixItems",
        "x",
        "pattern",
        "title",
    ]
)
hostile = st.recursive(
    json_leaf,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(hostile)
def test_any_schema_gives_a_grammar_or_a_schema_error(schema):
    try:
        grammar = schema_grammar(schema)
    except SchemaError as exc:
        assert "\n" not in str(exc)
        return
    re.compile(grammar.regex())
    assert grammar.gbnf().startswith("root ::= ")
