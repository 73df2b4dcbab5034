"""`accord intent compile`: English out, JSON last, reasons on failure."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from accord.cli import app

RECORDED = Path(__file__).resolve().parents[2] / "examples" / "llm" / "intents.jsonl"
runner = CliRunner()


def test_compile_prints_english_and_json_last() -> None:
    r = runner.invoke(
        app,
        [
            "intent",
            "compile",
            "sell 100 A for at least 150 B",
            "--json",
            "--pool",
            "A/B=0xp",
            "--owner",
            "alice",
            "--block",
            "3",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "pool 0xp quotes at least 150 B for 100 A" in r.output
    doc = json.loads(r.output.strip().splitlines()[-1])
    assert doc["owner"] == "alice" and doc["expiry"] == 13
    assert doc["actions"][0]["args"] == ["A", 100, 150, "alice", "B"]


def test_uncompilable_sentence_exits_1_with_the_reason() -> None:
    r = runner.invoke(app, ["intent", "compile", "swap 1.5 A for D", "--json"])
    assert r.exit_code == 1
    assert json.loads(r.output.strip().splitlines()[-1]) == {
        "error": "the amount 1.5 is not a whole number: amounts are whole base units, and the "
        "parser never rounds what you said"
    }


def test_llm_replay_from_the_recording() -> None:
    args = [
        "intent",
        "compile",
        "give carol 5 B if my A balance is above 100",
        "--json",
        "--llm",
        "--model",
        "accord-scripted-v1",
        "--cache",
        str(RECORDED),
    ]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "compiled by the LLM" in r.output
    doc = json.loads(r.output.strip().splitlines()[-1])
    assert doc["condition"] == {
        "op": "balance",
        "account": "$self",
        "asset": "A",
        "cmp": ">",
        "value": 100,
    }


def test_replay_miss_and_bad_pool_are_clear(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    r = runner.invoke(
        app, ["intent", "compile", "tell me a joke", "--llm", "--model", "m", "--cache", str(empty)]
    )
    assert r.exit_code == 1 and "is not in" in r.output and "replay: request" in r.output
    r = runner.invoke(app, ["intent", "compile", "swap 5 A for B", "--pool", "AB"])
    assert r.exit_code != 0 and "expected X/Y=ADDRESS" in r.output
