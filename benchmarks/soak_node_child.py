"""The client that ``soak_node.py`` kills with SIGKILL mid-stream, in its own process.

It sends batches of signed transfers (consecutive nonces, one JSON-RPC batch each, so
that a kill leaves no nonce gap behind an acknowledged one) until it is killed, and
appends each batch it sends, and each answer, to a file with one ``write`` a line: what
it was told survives its death. When the node dies under a batch it waits and sends the
same batch again (``docs/node.md``: "resend it").

Usage: ``python -m benchmarks.soak_node_child SPEC.json`` (written by the soak).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from accord.node.signing import Signer
from benchmarks.soak_node_load import Down, Rpc, settled_by_resend


def _line(fd: int, record: dict[str, Any]) -> None:
    os.write(fd, (json.dumps(record) + "\n").encode())


def child_main(spec_path: str) -> None:
    """Send batches of transfers until killed, appending every send and answer to the
    spec's ``out`` file (one ``write`` a line: what was written survives SIGKILL)."""
    spec = json.loads(Path(spec_path).read_text())
    signer = Signer(bytes.fromhex(spec["key"]), spec["name"], chain_id=spec["chain_id"])
    rpc = Rpc(spec["url"])
    fd = os.open(spec["out"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    rng = np.random.default_rng(spec["seed"])
    nonce = 0
    while True:
        txs = [
            signer.transfer(nonce + i, spec["to"], {"USD": int(rng.integers(1, 9))}, max_fee=5_000)
            for i in range(spec["batch"])
        ]
        body = [
            {
                "jsonrpc": "2.0",
                "id": i,
                "method": "accord_sendTransaction",
                "params": {"transaction": t},
            }
            for i, t in enumerate(txs)
        ]
        _line(fd, {"sent": [t["hash"] for t in txs]})
        resent = False
        while True:
            try:
                answers = rpc.post(body)
                break
            except Down:
                resent = True
                time.sleep(0.01)
        for answer in sorted(answers, key=lambda a: a["id"]):
            tx = txs[answer["id"]]
            if "result" in answer:
                _line(fd, {"ack": tx["hash"], "nonce": tx["nonce"]})
            elif resent and settled_by_resend(answer["error"]):
                _line(fd, {"resolved": tx["hash"], "nonce": tx["nonce"]})
            else:
                _line(fd, {"refused": tx["hash"], "error": answer["error"]})
        nonce += spec["batch"]
        time.sleep(spec["pause"])


if __name__ == "__main__":
    child_main(sys.argv[1])
