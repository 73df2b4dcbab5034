"""docs/node.md's key example runs and prints what the page says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "node.md"


def test_the_keys_example_prints_what_the_page_says(capsys: pytest.CaptureFixture[str]) -> None:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## Keys and accounts")
    part = text[start : text.index("\n## ", start + 1)]
    blocks = re.findall(r"^```python\n(.*?)^```", part, flags=re.DOTALL | re.MULTILINE)
    assert len(blocks) == 1
    exec(compile(blocks[0], f"{DOC}:keys", "exec"), {"__name__": "node_doc"})
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        "64",
        "['args', 'gas_limit', 'hash', 'max_fee', 'method', 'nonce', 'priority_fee', "
        "'sender', 'signature', 'to', 'value']",
    ]
    said = " ".join(part.split())
    assert f"prints `64` and `{printed[1]}`" in said


def test_the_opening_example_makes_the_params_the_page_shows() -> None:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## Opening accounts after genesis")
    part = text[start : text.index("\n## ", start + 1)]
    blocks = re.findall(r"^```python\n(.*?)^```", part, flags=re.DOTALL | re.MULTILINE)
    assert len(blocks) == 1
    scope: dict[str, object] = {"__name__": "node_doc"}
    exec(compile("from accord.node import Signer\n" + blocks[0], f"{DOC}:open", "exec"), scope)
    params = scope["params"]
    assert isinstance(params, dict) and params["name"] == "dave"
    assert [len(params[k]) for k in ("public_key", "signature")] == [64, 128]
