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


def test_the_running_a_node_example_is_a_valid_config() -> None:
    import tomllib

    from accord.node import parse_config

    text = DOC.read_text(encoding="utf-8")
    start = text.index("## Running a node")
    toml = re.findall(r"^```toml\n(.*?)^```", text[start:], flags=re.DOTALL | re.MULTILINE)[0]
    data = tomllib.loads(toml.replace("<alice's 64-hex ed25519 public key>", "ab" * 32))
    config = parse_config(data, source="docs/node.md")
    assert config.node.accounts.open == "closed" and config.node.accounts.max_accounts == 10_000
    assert config.node.agent_card is not None
    assert config.node.agent_card.skills[0].id == "quote"


def test_every_method_has_a_row_in_the_methods_table() -> None:
    """docs/node.md's table lists every JSON-RPC method the node answers, and no other."""
    from accord.node import METHODS

    text = DOC.read_text(encoding="utf-8")
    start = text.index("## Methods")
    table = text[start : text.index("\n\n**", start)]
    rows = re.findall(r"^\| `([A-Za-z_]+)` \|", table, flags=re.MULTILINE)
    assert sorted(rows) == sorted(METHODS)
