"""The README's device example must run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accord.device import Device

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)


def test_readme_opens_with_the_two_commands() -> None:
    text = README.read_text()
    first_block = text.split("```")[1]
    assert "make demo" in first_block and "make test" in first_block
    assert text.index("make demo") < text.index("## ")


def test_readme_device_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = python_blocks(README.read_text())
    assert blocks, "README.md has no ```python block"
    namespace: dict[str, object] = {"__name__": "readme_example"}
    exec(compile(blocks[0], str(README), "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "insufficient balance: bob holds 0, needs 5"
    number, digest = printed[-1].split()
    assert number == "4" and len(digest) == 64
    device = namespace["device"]
    assert isinstance(device, Device)
    assert device.number == 4 and device.state_hash().hex() == digest


def test_readme_commitments_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = [b for b in python_blocks(README.read_text()) if "commitments" in b]
    assert blocks, "README.md has no commitments example"
    exec(compile(blocks[0], str(README), "exec"), {"__name__": "readme_commitments"})
    assert capsys.readouterr().out.splitlines() == [
        "4 300",
        "('alice/buy', 'bob/sell')",
        'owner = "bob"',
        "('C', 'C') ('D', 'C')",
    ]


def test_readme_primitives_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = [b for b in python_blocks(README.read_text()) if "SchellingOracle" in b]
    assert blocks, "README.md has no enforcement-primitives example"
    exec(compile(blocks[0], str(README), "exec"), {"__name__": "readme_primitives"})
    assert capsys.readouterr().out.splitlines() == [
        "escrow: success 1300",
        "slashed: 25",
        "challenge: refuted",
        "switch: value and salt do not open the commitment of ben",
        "auction: ('ben', 7)",
        "oracle: yes",
    ]


def test_readme_and_makefile_agree_on_how_long_the_demo_takes() -> None:
    makefile = (README.parent / "Makefile").read_text()
    said = re.findall(r"about (\d+) s on two idle cores", README.read_text())
    assert said, "the README no longer says how long make demo takes"
    assert re.findall(r"about (\d+) s on two idle cores", makefile) == said[:1]
    assert "accord run examples/defi-ordering.toml --workers 2" in makefile
