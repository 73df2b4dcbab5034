"""The headline experiment: how often LLM fishers keep the lake alive, with and without
device-enforced quota contracts (``docs/social-dilemmas.md``, "LLM fishers").

Runs ``accord.games.fishery_llm`` over ``--seeds`` seeds with ``negotiate`` false (GovSim's
setting: catch and talk) and true (the season opens with a contract proposal the device
enforces once all accept), and prints the survival rate of each with 95% Wilson and
Clopper-Pearson intervals (``scipy.stats.binomtest``), Fisher's exact test of the
difference, and the model's answer quality (schema-valid and refused shares). The last
line is one JSON object.

    python examples/llm/fishery_survival.py --seeds 100              # the stand-in, live
    python examples/llm/fishery_survival.py --seeds 30 --mode record \\
        --base-url http://127.0.0.1:8080/v1 --model smollm2-135m-instruct \\
        --cache examples/llm/fishery-survival.smollm2-135m.jsonl    # a real model
    python examples/llm/fishery_survival.py --seeds 30 --mode replay \\
        --model smollm2-135m-instruct \\
        --cache examples/llm/fishery-survival.smollm2-135m.jsonl    # replay it, offline
    python examples/llm/fishery_survival.py --scenario examples/fishery-llm.toml \\
        --mode record --cache examples/llm/fishery.jsonl            # re-make the shipped one

The stand-in is in-process and deterministic, so its figures are re-made live; a real
model's are recorded once and replayed exactly (each recording's first line names the
model that produced it).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from accord.agents.llm.client import LLMClient
from accord.agents.llm.config import SCRIPTED, LLMSettings
from accord.device.config import DeviceConfig
from accord.games.fishery_llm import Params, play, survival_summary
from accord.lab.runner import expand
from accord.lab.scenario import load_scenario


def runs(args: argparse.Namespace) -> list[tuple[Params, DeviceConfig, int]]:
    """``(params, device, seed)`` of every run: the scenario's (its grid and the lab's
    derived seeds) with ``--scenario``, else seeds ``first .. first + n - 1`` with and
    without contracts. Endpoint options given on the command line replace the
    scenario's."""
    given = {
        "base_url": args.base_url,
        "model": args.model,
        "mode": args.mode,
        "cache": args.cache,
        "temperature": args.temperature,
        "max_tokens": args.max_tokens,
    }
    update = {k: v for k, v in given.items() if v is not None}
    if args.scenario:
        out = []
        for spec in expand(load_scenario(args.scenario)):
            params = Params.model_validate(spec.params.model_dump())
            llm = params.llm.model_copy(update=update)
            out.append((params.model_copy(update={"llm": llm}), spec.device, spec.seed))
        return out
    llm = LLMSettings.model_validate(
        {"base_url": SCRIPTED, "mode": "live", "temperature": 0.7, "max_tokens": 96} | update
    )
    base = Params(llm=llm, quotas=tuple(args.quotas), penalties=tuple(args.penalties))
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    return [  # seed by seed, so that a run stopped early has both conditions alike
        (base.model_copy(update={"negotiate": neg}), DeviceConfig(signatures="mac"), seed)
        for seed in seeds
        for neg in (False, True)
    ]


def run(args: argparse.Namespace) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    model = ""
    out = open(args.rows, "a", encoding="utf-8") if args.rows else None  # noqa: SIM115
    for params, device, seed in runs(args):
        start = time.perf_counter()
        client = LLMClient(params.settings(seed))
        model = client.endpoint.model
        result = play(params, device, seed, client)
        m = dict(result.metrics)
        seconds = time.perf_counter() - start
        row = {"negotiate": params.negotiate, "seed": seed, "seconds": seconds, "model": model}
        rows.append(row | m | {"state_hash": result.state_hash})
        if out is not None:  # each run as it ends: a long live run may be stopped
            out.write(json.dumps(rows[-1], sort_keys=True) + "\n")
            out.flush()
        print(
            f"negotiate={params.negotiate!s:5} seed={seed} survived={m['survived']} "
            f"months={m['months_survived']:2} contract={m['contract_accepted']} "
            f"calls={m['llm_calls']} invalid={m['llm_invalid_answers']} "
            f"fallbacks={m['llm_fallbacks']} ({row['seconds']:.1f} s)",
            file=sys.stderr,
            flush=True,
        )
    if out is not None:
        out.close()
    return survival_summary(rows) | {"model": model}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", help="run this scenario's grid and seeds instead")
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--base-url", help="an OpenAI-compatible endpoint ('scripted': the stand-in)")
    ap.add_argument("--model")
    ap.add_argument("--mode", choices=("record", "replay", "live"))
    ap.add_argument("--cache", help="the JSONL recording to record to or replay")
    ap.add_argument("--temperature", type=float)
    ap.add_argument("--max-tokens", type=int)
    ap.add_argument("--quotas", type=int, nargs="+", default=[5, 10, 20])
    ap.add_argument("--penalties", type=int, nargs="+", default=[1, 3])
    ap.add_argument("--rows", help="append every run's metrics here as it ends (JSONL)")
    ap.add_argument("--summarize", help="only summarise the rows of this JSONL file")
    args = ap.parse_args()
    if args.summarize:
        with open(args.summarize, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        summary = survival_summary(rows) | {"model": rows[0]["model"] if rows else ""}
    else:
        summary = run(args)
    for line in summary["table"]:
        print(line)
    print(json.dumps({k: v for k, v in summary.items() if k != "table"}))


if __name__ == "__main__":
    main()
