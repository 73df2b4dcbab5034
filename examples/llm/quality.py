"""What the model's answers were worth, per role: JSON, schema, situation check.

    python examples/llm/quality.py runs/llm-defi.SmolLM2-135M-Instruct-Q4_1-record

Reads every run's ``llm_transcript`` table and counts, per role, the answers, those that
were valid JSON fitting the schema (:class:`~accord.agents.llm.actions.Decision`), those
that also passed accord's situation check (status ``ok``: the pool exists and trades the
assets, the agent holds what it sells...), the decisions taken and those given up on
after the retries. A Markdown table; the most frequent situation errors follow it.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import duckdb
from pydantic import ValidationError

from accord.agents.llm.actions import Decision


def main(argv: list[str]) -> int:
    run_dir = Path(argv[0] if argv else "runs/llm-defi")
    files = sorted(run_dir.glob("**/llm_transcript*.parquet"))
    if not files:
        print(f"error: no llm_transcript table under {run_dir}", file=sys.stderr)
        return 1
    paths = ", ".join(f"'{f}'" for f in files)
    rows = duckdb.sql(
        f"SELECT role, status, error, answer, acted FROM read_parquet([{paths}])"
    ).fetchall()
    stats: dict[str, Counter[str]] = {}
    errors: Counter[str] = Counter()
    for role, status, error, answer, acted in rows:
        c = stats.setdefault(role, Counter())
        c["answers"] += 1
        try:
            Decision.model_validate_json(answer or "")
            c["schema_valid"] += 1
            if status == "invalid":
                errors[_kind(error)] += 1
        except ValidationError:
            pass
        c["situation_ok"] += status == "ok"
        c["acted"] += bool(acted)
    print("| role | answers | valid JSON fitting the schema | passed the situation check |")
    print("|---|---|---|---|")
    for role, c in sorted(stats.items()):
        n = c["answers"]
        print(
            f"| {role} | {n} | {c['schema_valid']} ({100 * c['schema_valid'] / n:.0f}%) | "
            f"{c['situation_ok']} ({100 * c['situation_ok'] / n:.0f}%) |"
        )
    print()
    for kind, count in errors.most_common(6):
        print(f"- {count} x {kind}")
    return 0


def _kind(error: str | None) -> str:
    """An error with its numbers and names blurred, to count kinds."""
    text = (error or "").split(":", 1)[-1].strip()
    for sep in ("'", "("):
        text = text.split(sep, 1)[0]
    return text.strip() or "(empty)"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
