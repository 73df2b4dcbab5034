"""The commitment language: builder, JSON/TOML round trips, schema errors naming the field."""

from __future__ import annotations

import json

import pytest

from accord.device.commitments import (
    MalformedCommitment,
    from_json,
    from_toml,
    json_schema,
    parse_commitment,
    to_json,
    to_toml,
)
from accord.device.commitments.build import (
    action_pattern,
    balance,
    block,
    call,
    commitment,
    exists,
    fires,
    transfer,
    view,
)
from accord.device.commitments.language import And, BalanceCmp, Commitment, Fires, Not
from accord.games.program_equilibrium import STANDARD_BOTS


def rich_commitment() -> Commitment:
    return commitment(
        "alice",
        "swap-if-offer",
        expiry=12,
        condition=(
            exists(
                action=action_pattern(
                    kind="call", method="swap", args=["D", None, None], rate=(2, 1, "<=", (1000, 1))
                )
            )
            & (block() >= 3)
            & ~(balance("alice", "A") < 500)
            & (view("pool", "spot_price", "D") <= (1000, 1))
        )
        | fires("bob/pay"),
        actions=[call("pool", "swap", "A", 500, 0, "alice", value={"A": 500})],
        otherwise=[transfer("A", "bob", 1)],
        requires={"D": 1},
        after=["bob/pay"],
        counterpart="bob/pay",
        bond=("A", 10),
    )


def test_builder_operators_build_the_expected_nodes() -> None:
    f = fires("bob/x") & ~(balance("bob", "A") >= 5)
    assert f == And(
        args=[
            Fires(ref="bob/x"),
            Not(arg=BalanceCmp(account="bob", asset="A", cmp=">=", value=5)),
        ]
    )


@pytest.mark.parametrize("make", [rich_commitment, *(lambda b=b: b for b in STANDARD_BOTS)])
def test_json_and_toml_round_trip(make: object) -> None:
    c = make()  # type: ignore[operator]
    assert from_json(to_json(c)) == c
    assert from_toml(to_toml(c)) == c
    assert json.loads(to_json(c)) == c.to_data()
    assert c.id == f"{c.owner}/{c.label}"


def test_canonical_json_is_sorted_and_compact() -> None:
    text = to_json(rich_commitment())
    assert " " not in text.replace('"alice"', "")
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))


def base(**extra: object) -> dict[str, object]:
    return {"owner": "alice", "label": "x", "expiry": 5, **extra}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            base(
                condition={"op": "balance", "account": "a", "asset": "X", "cmp": "=~", "value": 1}
            ),
            "condition.balance.cmp",
        ),
        (
            base(condition={"op": "and", "args": [{"op": "const", "value": True}, {"op": "nope"}]}),
            "condition.and.args[1]",
        ),
        (
            base(actions=[{"kind": "transfer", "asset": "A", "to": "b", "amount": 0}]),
            "actions[0].transfer.amount",
        ),
        (
            base(actions=[{"kind": "call", "to": "p", "method": "m", "colour": "red"}]),
            "actions[0].call.colour",
        ),
        (base(expiry=-1), "expiry"),
        ({"owner": "alice", "label": "x"}, "expiry"),
        (base(bond={"asset": "A", "amount": -3}), "bond.amount"),
        (
            base(
                condition={
                    "op": "view",
                    "contract": "p",
                    "method": "m",
                    "cmp": "<",
                    "value": [1, 0],
                }
            ),
            "condition.view.value",
        ),
    ],
)
def test_schema_errors_name_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(MalformedCommitment) as err:
        parse_commitment(data)
    assert err.value.field == field
    assert str(err.value).startswith(f"{field}: ")


def test_ids_must_be_unambiguous() -> None:
    with pytest.raises(MalformedCommitment, match="owner 'a/b' may not contain"):
        parse_commitment({"owner": "a/b", "label": "x", "expiry": 1})
    with pytest.raises(MalformedCommitment, match="its own counterpart"):
        parse_commitment({"owner": "a", "label": "x", "expiry": 1, "counterpart": "a/x"})


def test_malformed_documents_are_named() -> None:
    with pytest.raises(MalformedCommitment) as err:
        from_json("{not json")
    assert err.value.field == "json"
    with pytest.raises(MalformedCommitment) as err:
        from_toml("owner = ")
    assert err.value.field == "toml"


def test_json_schema_describes_every_node() -> None:
    schema = json_schema()
    assert schema["title"] == "Commitment"
    defs = set(schema["$defs"])
    assert {"Fires", "FiresAgainst", "Exists", "Provable", "ViewCmp", "Call", "Transfer"} <= defs
    assert schema["properties"]["condition"]["discriminator"]["propertyName"] == "op"


# -- argument values: only what the device can store and hash ---------------------------
HUGE = "9" * 5_000  # longer than Python parses (4,300 digits): the codec reads infinity
NOT_CANONICAL = ["1.5", "3.0e0", "1e999", "NaN", "Infinity", "-Infinity", HUGE, '{"a":1}']
"""JSON values an argument list may not hold at any depth: floats (finite or not), the
non-standard constants ``json.loads`` accepts, an integer too long to parse, objects."""


def _view_doc(args: str) -> str:
    atom = (
        f'{{"op":"view","contract":"registry","method":"count","args":{args},"cmp":">=","value":0}}'
    )
    return f'{{"owner":"bob","label":"x","expiry":9,"condition":{atom}}}'


def _call_doc(args: str) -> str:
    action = f'{{"kind":"call","to":"registry","method":"count","args":{args}}}'
    return f'{{"owner":"bob","label":"x","expiry":9,"actions":[{action}]}}'


def _pattern_doc(args: str) -> str:
    pattern = f'{{"action":{{"kind":"call","args":{args}}}}}'
    condition = f'{{"op":"exists","pattern":{pattern}}}'
    return f'{{"owner":"bob","label":"x","expiry":9,"condition":{condition}}}'


@pytest.mark.parametrize("value", NOT_CANONICAL)
@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize(
    ("make", "field"),
    [
        (_view_doc, "condition.view.args[0]"),
        (_call_doc, "actions[0].call.args[0]"),
        (_pattern_doc, "condition.exists.pattern.action.args[0]"),
    ],
)
def test_a_float_object_or_unparsable_int_inside_an_argument_list_is_refused(
    value: str, depth: int, make: object, field: str
) -> None:
    """Arguments nest lists (``JsonArg``); before, a nested list was ``list[Any]``, so
    ``[[1.5]]`` or ``[{"a": 1}]`` passed the schema (and halted the resolver, see
    ``test_resolution``), and an integer too long to parse, read as infinity, was stored
    as ``null``: a document other than the one signed."""
    args = "[" * depth + value + "]" * depth
    assert callable(make)
    with pytest.raises(MalformedCommitment) as info:
        from_json(make(args))
    assert info.value.field is not None and info.value.field.startswith(field), info.value.field
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "args", ['[[1, "a", true, null, [2, [false]]]]', "[[]]", '[[-7, ""]]', f"[[{'9' * 4_300}]]"]
)
def test_nested_canonical_arguments_round_trip_unchanged(args: str) -> None:
    for make in (_view_doc, _call_doc, _pattern_doc):
        c = from_json(make(args))
        assert from_json(c.to_json()) == c
        assert json.loads(c.to_json()) == json.loads(to_json(from_json(c.to_json())))
        stored = json.loads(c.to_json())
        assert json.dumps(stored, sort_keys=True) == json.dumps(
            json.loads(to_json(c)), sort_keys=True
        )
        assert args.replace(" ", "") in c.to_json()  # stored as signed, not rewritten


def test_a_nested_float_from_toml_is_refused_too() -> None:
    text = 'owner = "bob"\nlabel = "x"\nexpiry = 9\n[[actions]]\nkind = "call"\nto = "r"\n'
    text += 'method = "m"\nargs = [[1.5]]\n'
    with pytest.raises(MalformedCommitment) as info:
        from_toml(text)
    assert info.value.field is not None and info.value.field.startswith("actions[0].call.args[0]")
    dated = text.replace("[[1.5]]", "[[1979-05-27]]")  # a TOML date: not a JSON value
    with pytest.raises(MalformedCommitment):
        from_toml(dated)


@pytest.mark.parametrize("limit", [640, 0, 100_000])
def test_the_codec_reads_long_integers_the_same_under_any_interpreter_limit(limit: int) -> None:
    """Whether a posting is accepted must not depend on the process's
    ``sys.set_int_max_str_digits`` (``PYTHONINTMAXSTRDIGITS``): before the fix, the codec
    read the limit at run time, so a balance atom's 1,000-digit value was refused under
    a limit of 640 and a 5,000-digit one accepted under 0 (unlimited), where the default
    does the opposite: two devices replaying one log diverged."""
    import sys

    def document(digits: int) -> str:
        atom = f'{{"op":"balance","account":"bob","asset":"X","cmp":"<","value":{"9" * digits}}}'
        return f'{{"owner":"bob","label":"x","expiry":9,"condition":{atom}}}'

    default = sys.get_int_max_str_digits()
    accepted = from_json(document(1_000))
    with pytest.raises(MalformedCommitment) as refused:
        from_json(document(5_000))
    sys.set_int_max_str_digits(limit)
    try:
        assert from_json(document(1_000)) == accepted
        assert from_json(document(4_300)).condition.value == 10**4_300 - 1  # type: ignore[union-attr]
        with pytest.raises(MalformedCommitment) as again:
            from_json(document(5_000))
        assert again.value.field == refused.value.field == "condition.balance.value"
    finally:
        sys.set_int_max_str_digits(default)
