"""Record the LLM DeFi scenario (examples/llm-defi.toml) against an endpoint, then print its table.

    python examples/llm/record.py --stand-in
        re-records examples/llm/llm-defi.jsonl with the scripted stand-in (NOT a model)
    python examples/llm/record.py --base-url http://localhost:11434/v1 --model llama3.1:8b
        records against a real OpenAI-compatible endpoint (key: $ACCORD_LLM_API_KEY or
        $OPENAI_API_KEY) into examples/llm/llm-defi.<model>.jsonl, and writes a scenario
        that replays it offline (runs/llm-defi.<model>.toml)

The recording starts from an empty file, so it holds exactly this scenario's calls. It
is written beside the cache file and moved into place only when every run succeeded: an
unreachable endpoint or an HTTP error fails the runs (the scenario does not tolerate
endpoint errors), the script exits 1 naming the error, and an earlier recording is kept.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

import tomli_w

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "examples" / "llm-defi.toml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--stand-in", action="store_true", help="the scripted stand-in")
    who.add_argument("--base-url", help="an OpenAI-compatible endpoint, e.g. .../v1")
    parser.add_argument("--model", help="the model name (with --base-url)")
    parser.add_argument(
        "--scenario",
        type=Path,
        default=SCENARIO,
        help="the scenario to record (default examples/llm-defi.toml); one whose "
        "[params.llm] names a cache records into that file",
    )
    parser.add_argument("--out", type=Path, help="the cache file to write")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--runs", type=Path, default=ROOT / "runs", help="where runs go")
    args = parser.parse_args(argv)
    if args.base_url and not args.model:
        parser.error("--base-url needs --model")
    raw = tomllib.loads(args.scenario.read_text())
    llm = raw["params"]["llm"]
    if args.scenario.resolve() != SCENARIO.resolve() and not args.stand_in:
        cache = args.out or ROOT / llm["cache"]
        llm["base_url"], llm["model"] = args.base_url, args.model
        name = raw["name"]
    elif args.stand_in:
        cache = args.out or ROOT / "examples" / "llm" / "llm-defi.jsonl"
        name = "llm-defi"
    else:
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", args.model)
        cache = args.out or ROOT / "examples" / "llm" / f"llm-defi.{slug}.jsonl"
        llm["base_url"], llm["model"] = args.base_url, args.model
        name = f"llm-defi.{slug}"
    cache = Path(cache).resolve()
    if not cache.parent.is_dir():
        print(f"error: {cache.parent} is not a directory", file=sys.stderr)
        return 1
    partial = cache.with_name(cache.name + ".recording")
    partial.unlink(missing_ok=True)
    llm["cache"], llm["mode"] = str(partial), "record"
    raw["name"] = name + "-record"
    runs: Path = args.runs
    runs.mkdir(exist_ok=True)
    recording = runs / f"{name}-record.toml"
    recording.write_text(tomli_w.dumps(raw))
    llm["cache"], llm["mode"] = str(cache), "replay"
    raw["name"] = name
    replaying = runs / f"{name}.toml"
    replaying.write_text(tomli_w.dumps(raw))

    from accord.cli import app

    code: int | str | None = 0
    try:
        app(["run", str(recording), "--workers", str(args.workers), "--out", str(runs)])
    except SystemExit as exc:
        code = exc.code
    if code or not partial.is_file():
        partial.unlink(missing_ok=True)
        replaying.unlink(missing_ok=True)
        why = "runs failed" if code else "no call was recorded"
        kept = f"; {cache} is unchanged" if cache.exists() else ""
        print(f"error: recording {name} failed ({why}; see above){kept}", file=sys.stderr)
        return 1
    partial.replace(cache)
    print(f"recorded {cache}; replay offline with: accord run {replaying}", file=sys.stderr)
    from table import main as table

    table([str(runs / f"{name}-record")])
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main())
