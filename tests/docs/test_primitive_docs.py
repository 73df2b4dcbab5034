"""The examples in docs/contracts/{escrow,staking,challenge}.md run and print what they say.

Each page has one ```python block followed by a ```text block holding its exact output.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "contracts"
PAGES = ("escrow", "staking", "challenge")


def example(page: str) -> tuple[str, str]:
    """The page's ```python block and the ```text block after it."""
    text = (DOCS / f"{page}.md").read_text()
    found = re.search(
        r"^```python\n(.*?)^```\n.*?^```text\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE
    )
    assert found, f"docs/contracts/{page}.md has no ```python block followed by ```text"
    return found.group(1), found.group(2)


@pytest.mark.parametrize("page", PAGES)
def test_example_prints_what_the_page_says(page: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, expected = example(page)
    namespace: dict[str, object] = {"__name__": f"docs_{page}"}
    exec(compile(code, str(DOCS / f"{page}.md"), "exec"), namespace)
    assert capsys.readouterr().out == expected


@pytest.mark.parametrize("page", PAGES)
def test_page_documents_every_public_method(page: str) -> None:
    from accord.contracts.challenge import ChallengeGame
    from accord.contracts.escrow import Escrow
    from accord.contracts.staking import Staking

    cls = {"escrow": Escrow, "staking": Staking, "challenge": ChallengeGame}[page]
    text = (DOCS / f"{page}.md").read_text()
    missing = sorted(m for m in cls._public if f"`{m}(" not in text and f"{m}(" not in text)
    assert not missing, f"docs/contracts/{page}.md does not mention {missing}"
