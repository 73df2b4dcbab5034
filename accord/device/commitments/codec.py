"""Commitments in and out of JSON and TOML, with schema errors that name the field.

Both forms carry the same document (:meth:`Commitment.to_data`). TOML has no ``null``:
absent optional fields are left out (in both forms alike), and a ``null`` *inside an
array* (a wildcard argument of a pattern, a ``None`` call argument) is written as the
empty inline table ``{}``, which nothing else in the language can be. The JSON Schema of
the language is :func:`json_schema`.
"""

from __future__ import annotations

import json
import math
import tomllib
from typing import Any

import tomli_w
from pydantic import ValidationError

from accord.device.commitments.language import Commitment
from accord.device.errors import Rejected


class MalformedCommitment(Rejected):
    """A commitment document that does not fit the language; ``field`` is its path."""


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "commitment"


def parse_commitment(data: Any) -> Commitment:
    """Validate plain data as a :class:`Commitment`, or raise :class:`MalformedCommitment`.

    The error names the first offending field as a path, e.g.
    ``condition.and.args[1].balance.cmp`` (pydantic's location, with the tagged-union
    tags kept so the path says which kind of node was expected).
    """
    if isinstance(data, Commitment):
        return data
    try:
        return Commitment.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = _path(tuple(first["loc"]))
        raise MalformedCommitment(first["msg"], field=field) from None


MAX_INT_DIGITS = 4_300
"""The longest integer a document may hold, in decimal digits: CPython's default
``sys.get_int_max_str_digits()`` (the CVE-2020-10735 guard), fixed here so that what
a device accepts does not depend on the process's setting (``PYTHONINTMAXSTRDIGITS``)."""
_CHUNK = 600
"""Digits converted at a time: under 640, the least limit an interpreter may set."""


def _parse_int(digits: str) -> int | float:
    """A JSON integer. One longer than :data:`MAX_INT_DIGITS` is read as infinity, which
    no field of the language accepts, so the schema error names its field instead of
    ``json.loads`` raising; a shorter one is converted in chunks of :data:`_CHUNK`
    digits, so the interpreter's own limit never applies."""
    negative = digits.startswith("-")
    body = digits[1:] if negative else digits
    if len(body) > MAX_INT_DIGITS:
        return math.inf
    value = 0
    for start in range(0, len(body), _CHUNK):
        chunk = body[start : start + _CHUNK]
        value = value * 10 ** len(chunk) + int(chunk)
    return -value if negative else value


def from_json(text: str) -> Commitment:
    try:
        data = json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise MalformedCommitment(
            f"not JSON: {exc.msg} at line {exc.lineno}", field="json"
        ) from None
    return parse_commitment(data)


def to_json(commitment: Commitment) -> str:
    return commitment.to_json()


def _nulls_to_tables(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _nulls_to_tables(v) for k, v in data.items()}
    if isinstance(data, list):
        return [{} if v is None else _nulls_to_tables(v) for v in data]
    return data


def _tables_to_nulls(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _tables_to_nulls(v) for k, v in data.items()}
    if isinstance(data, list):
        return [None if v == {} else _tables_to_nulls(v) for v in data]
    return data


def from_toml(text: str) -> Commitment:
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError) as exc:  # (ValueError: a too long int)
        raise MalformedCommitment(f"not TOML: {exc}", field="toml") from None
    return parse_commitment(_tables_to_nulls(data))


def to_toml(commitment: Commitment) -> str:
    return tomli_w.dumps(_nulls_to_tables(commitment.to_data()))


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a commitment document (draft 2020-12, from pydantic)."""
    return Commitment.model_json_schema()
