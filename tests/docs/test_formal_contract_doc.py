"""docs/contracts/formal_contract.md: the driver's example runs and does what it says."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[2] / "docs" / "contracts" / "formal_contract.md"


def test_driver_example_runs() -> None:
    (block,) = re.findall(r"^```python\n(.*?)^```", DOC.read_text(), flags=re.DOTALL | re.M)
    scope: dict[str, Any] = {}
    exec(compile(block, str(DOC), "exec"), scope)
    s, device = scope["s"], scope["device"]
    assert (s.transfers, s.fees, s.status) == ((-30, 30), (0, 0), "active")
    assert s.gas_used > 21_000
    # closed: p0 paid 30 to p1, both deposits back
    assert device.balance("p0", "USD") == 970 and device.balance("p1", "USD") == 1_030
    assert scope["driver"].status(scope["cid"]) == "ended"
