"""The examples in docs/contracts/{commit_reveal,sealed_bid,schelling}.md run and print
exactly what the pages say they print, and each page names every public method.

Each page has one ```python block followed by a ```text block holding its exact output.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accord.contracts.commit_reveal import CommitReveal
from accord.contracts.schelling import SchellingOracle
from accord.contracts.sealed_bid import SealedBidAuction
from accord.device import Contract, Device, checks

DOCS = Path(__file__).resolve().parents[2] / "docs" / "contracts"
PAGES: dict[str, type[Contract]] = {
    "commit_reveal": CommitReveal,
    "sealed_bid": SealedBidAuction,
    "schelling": SchellingOracle,
}


def example(page: str) -> tuple[str, str]:
    """The page's ```python block and the ```text block after it."""
    text = (DOCS / f"{page}.md").read_text()
    found = re.search(
        r"^```python\n(.*?)^```\n.*?^```text\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE
    )
    assert found, f"docs/contracts/{page}.md has no ```python block followed by ```text"
    return found.group(1), found.group(2)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_example_prints_what_the_page_says(page: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, expected = example(page)
    namespace: dict[str, object] = {"__name__": f"docs_{page}"}
    exec(compile(code, str(DOCS / f"{page}.md"), "exec"), namespace)
    assert capsys.readouterr().out == expected
    device = namespace["device"]
    assert isinstance(device, Device)
    checks.block_invariants(device)  # the example ends conserved
    assert not [r for b in device.blocks for r in b.receipts if r.status == "out_of_gas"]


@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_documents_every_public_method(page: str) -> None:
    text = (DOCS / f"{page}.md").read_text()
    missing = sorted(m for m in PAGES[page]._public if f"`{m}(" not in text)
    assert not missing, f"docs/contracts/{page}.md does not document {missing}"


def test_pages_define_the_commitment_the_code_computes() -> None:
    from accord.mechanisms.commit_reveal import MIN_SALT_BYTES, PERSON

    text = (DOCS / "commit_reveal.md").read_text()
    assert f'person=b"{PERSON.decode()}"' in text
    assert f"at least {MIN_SALT_BYTES} bytes" in text
