"""Re-record the LLM test fixtures with the scripted stand-in (not a model).

    .venv/bin/python tests/agents/llm/make_fixtures.py

The tests only replay these files; this script is how they were made.
"""

from __future__ import annotations

from pathlib import Path

from accord.agents.intent import compile_intent
from accord.agents.llm import LLMClient, LLMSettings
from accord.agents.llm.scripted import ScriptedPolicy, stand_in_http_client
from accord.device import DeviceConfig
from accord.games.llm_defi import Params, play

DATA = Path(__file__).parent / "data"

GIVE_UP = DATA / "trader-always-invalid.jsonl"
TOOLS = DATA / "intent-tools.jsonl"
GIVE_UP_PARAMS = {"blocks": 3, "need_every": 3}


def main() -> None:
    DATA.mkdir(exist_ok=True)
    for path in (GIVE_UP, TOOLS):
        path.unlink(missing_ok=True)
    settings = LLMSettings(base_url="scripted", mode="record", cache=str(GIVE_UP))
    client = LLMClient(
        settings, http_client=stand_in_http_client(ScriptedPolicy(always_invalid=True))
    )
    play(Params(**GIVE_UP_PARAMS, llm=settings), DeviceConfig(), 0, client=client)
    tools = LLMSettings(base_url="scripted", mode="record", cache=str(TOOLS), output="tools")
    compile_intent("pay bob 10 A once block 20 arrives", LLMClient(tools))


if __name__ == "__main__":
    main()
