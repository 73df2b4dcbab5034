"""Pool files (``accord.lab.pools``): decimals in human units, converted exactly, and
hostile files refused in one line naming the field."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from accord.cli import app
from accord.lab.pools import (
    PoolFileError,
    load_pool_file,
    parse_pool_file,
    parse_prices,
    parse_swap,
)
from accord.mechanisms.cfmm import ConstantSumPool, ProductPool, WeightedPool
from accord.mechanisms.routing import Network, route_swap

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pools.json"
E18 = 10**18

PAPER = {
    "decimals": 18,
    "pools": [
        {
            "kind": "weighted",
            "tokens": ["A", "B", "C", "D"],
            "reserves": [4, 4, 4, 4],
            "weights": [0.4, 0.3, 0.2, 0.1],
        },
        {"kind": "product", "tokens": ["A", "B"], "reserves": [10, 1]},
    ],
}


def one_pool(reserves: list[object], **top: object) -> str:
    pool = {"kind": "product", "tokens": ["A", "B"], "reserves": reserves}
    return json.dumps({**top, "pools": [pool]})


def test_the_papers_example_routes_as_written_in_exact_base_units() -> None:
    parsed = parse_pool_file(json.dumps(PAPER))
    direct = Network.build(
        [
            WeightedPool((4 * E18,) * 4, (4, 3, 2, 1), 30, ("A", "B", "C", "D")),
            ProductPool((10 * E18, E18), 30, ("A", "B")),
        ]
    )
    assert parsed.network.pools == direct.pools and parsed.network.tokens == direct.tokens
    assert parsed.decimals == {"A": 18, "B": 18, "C": 18, "D": 18}
    token, amount = parse_swap("A:0.5", parsed.network, parsed.decimals)
    assert (token, amount) == ("A", E18 // 2)
    found = route_swap(parsed.network, "A", amount, "D")
    assert found.as_dict() == route_swap(direct, "A", E18 // 2, "D").as_dict()
    assert -E18 // 2 <= found.net_int[0] < 0 and found.net_int[3] > 0


def test_decimals_per_token_and_base_units_for_the_rest() -> None:
    text = one_pool([1.25, 7], decimals={"A": 2})
    parsed = parse_pool_file(text)
    assert parsed.network.pools[0].reserves == (125, 7)
    assert parsed.decimals == {"A": 2, "B": 0}
    assert parsed.human("A", 125) == "1.25" and parsed.human("B", 7) == "7"
    assert parsed.human("A", -1) == "-0.01" and parsed.human("A", 100) == "1"


@given(st.integers(1, 2**200), st.integers(0, 40))
def test_human_reserves_convert_exactly(units: int, decimals: int) -> None:
    """Whatever the digits, the base units are exactly what the decimal text says: the
    JSON number is read as its text, never as a float."""
    whole, frac = divmod(units, 10**decimals)
    text = f"{whole}.{frac:0{decimals}d}" if decimals else str(whole)
    parsed = parse_pool_file(
        json.dumps(
            {"decimals": decimals, "pools": [json.loads(one_pool([0, 5]))["pools"][0]]}
        ).replace("[0, 5]", f"[{text}, 5]")
    )
    assert parsed.network.pools[0].reserves == (units, 5 * 10**decimals)
    assert parsed.human("A", units).replace(",", "") == (
        text.rstrip("0").rstrip(".") if "." in text else text
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (one_pool([1, 2.5]), 'B has no decimals: it is written in base units (give "decimals"'),
        (one_pool([1.255, 2], decimals={"A": 2}), "reserves[0]: 1.255 has more than 2 decimals"),
        (one_pool([2**256, 2]), "reserves[0]: " + str(2**256) + " does not fit in 256 bits"),
        (one_pool([1e60, 2], decimals=18), "does not fit in 256 bits of base units"),
        (one_pool([1, 2]).replace("[1, 2]", "[1e99, 2]"), "1E+99 does not fit in 256 bits"),
        (one_pool([1, 2]).replace("[1, 2]", "[1e-999999999, 2]"), "more digits than any"),
        (one_pool([1, 2]).replace("[1, 2]", "[NaN, 2]"), "malformed JSON: NaN is not a number"),
        (one_pool([1, 2]).replace("[1, 2]", "[1, -Infinity]"), "-Infinity is not a number"),
        (one_pool([True, 2]), "reserves[0]: must be a number, got bool True"),
        (one_pool(["4", 2]), "reserves[0]: must be a number, got str '4'"),
        (one_pool([[4], 2]), "reserves[0]: must be a number, got list"),
        (one_pool([0, 2]), "must be positive"),
        (one_pool([4, 2], decimals=-1), "decimals: must be an int in [0, 77], got -1"),
        (one_pool([4, 2], decimals=78), "decimals: must be an int in [0, 77], got 78"),
        (one_pool([4, 2], decimals=1.5), "decimals: must be an int, or a map"),
        (one_pool([4, 2], decimals={"A": "6"}), "decimals: must be an int, or a map"),
        (one_pool([4, 2], decimals={"Z": 6}), "decimals.Z: no pool trades token 'Z'"),
        (one_pool([4, 2]).replace("]}]", '], "fee": 0.00301}]'), "not a whole number of basis"),
        (one_pool([4, 2]).replace("]}]", '], "fee": 1}]'), "fee must be a fraction in [0, 1)"),
        ("[" * 100_000, "malformed JSON"),
        (one_pool([4, 2]).replace("[4, 2]", "[" + "9" * 5000 + ", 2]"), "malformed JSON"),
        (
            json.dumps(
                {"pools": [{**PAPER["pools"][0], "weights": [0.4, 0.3, 0.2, 0]}]}  # type: ignore[dict-item]
            ),
            "weights[3]: must be positive, got 0",
        ),
    ],
)
def test_hostile_pool_files_are_refused_naming_the_field(text: str, message: str) -> None:
    with pytest.raises(PoolFileError) as caught:
        parse_pool_file(text, source="p.json")
    assert message in str(caught.value)
    assert str(caught.value).startswith("p.json: ")
    assert "\n" not in str(caught.value)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=4)
    | st.sampled_from(["A", "B", "product", "weighted", "constant_sum"]),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(
            st.sampled_from(["tokens", "pools", "decimals", "kind", "reserves", "weights", "fee"]),
            inner,
            max_size=6,
        )
    ),
    max_leaves=30,
)


@given(JSON)
def test_any_json_is_a_pool_file_or_one_error_line(raw: object) -> None:
    try:
        text = json.dumps(raw)
    except ValueError:
        return
    try:
        parsed = parse_pool_file(text, source="fuzz.json")
    except PoolFileError as exc:
        assert str(exc).startswith("fuzz.json: ") and "\n" not in str(exc)
    else:
        assert all(type(r) is int for p in parsed.network.pools for r in p.reserves)


def test_swap_amounts_follow_the_tokens_decimals() -> None:
    parsed = parse_pool_file(one_pool([4, 2], decimals={"A": 6}))
    net, dec = parsed.network, parsed.decimals
    assert parse_swap("A:1.5", net, dec) == ("A", 1_500_000)
    assert parse_swap("B:15", net, dec) == ("B", 15)
    with pytest.raises(PoolFileError, match=r"--swap: 1\.0000001 has more than 6 decimals"):
        parse_swap("A:1.0000001", net, dec)
    with pytest.raises(PoolFileError, match=r"amount '1\.5' is not an int"):
        parse_swap("B:1.5", net, dec)
    with pytest.raises(PoolFileError, match="--swap: NaN is not a finite number"):
        parse_swap("A:NaN", net, dec)
    with pytest.raises(PoolFileError, match="amount must be positive"):
        parse_swap("A:-0.5", net, dec)
    assert parse_prices("A=2,B=3", net, dec) == {"A": 2 / 10**6, "B": 3.0}


def test_the_shipped_example_routes_from_the_cli(tmp_path: Path) -> None:
    """``accord route examples/pools.json --swap A:100 --to D --json``, the README's line."""
    parsed = load_pool_file(EXAMPLE)
    assert parsed.network.pools[0] == WeightedPool(
        (4 * E18,) * 4, (4, 3, 2, 1), 30, ("A", "B", "C", "D")
    )
    assert isinstance(parsed.network.pools[-1], ConstantSumPool)
    result = CliRunner().invoke(
        app, ["route", str(EXAMPLE), "--swap", "A:100", "--to", "D", "--json"]
    )
    assert result.exit_code == 0, result.output
    line = json.loads(result.output.strip().splitlines()[-1])
    expected = route_swap(parsed.network, "A", 100 * E18, "D").as_dict()
    assert line == json.loads(json.dumps({**expected, "decimals": parsed.decimals}))
    assert -100 * E18 <= line["net"]["A"] < 0 and line["net"]["D"] > 0
    assert "swap up to 100 A for D" in result.output


def test_unreadable_pool_files(tmp_path: Path) -> None:
    (tmp_path / "latin1.json").write_bytes(b'{"pools": "\xe9"}')
    with pytest.raises(PoolFileError, match=r"latin1\.json: not UTF-8 text"):
        load_pool_file(tmp_path / "latin1.json")
    with pytest.raises(PoolFileError, match="is a directory, not a pool file"):
        load_pool_file(tmp_path)
    assert Decimal("0.1") * 10 == 1  # the exact arithmetic the parser relies on
