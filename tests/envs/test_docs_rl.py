"""docs/rl.md's examples that need no extra library run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("pettingzoo")

DOC = Path(__file__).resolve().parents[2] / "docs" / "rl.md"


def _blocks() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)
    return [b for b in blocks if "ray" not in b and "supersuit" not in b and "sb3" not in b]


def _sb3_blocks() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)
    return [b for b in blocks if "accord.agents.learning.sb3" in b]


def test_the_random_episode_and_the_learner_examples_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    episode, learner = _blocks()
    exec(compile(episode, str(DOC), "exec"), {"__name__": "rl_doc_episode"})
    assert len(capsys.readouterr().out.strip()) == 64  # the state hash
    exec(compile(learner, str(DOC), "exec"), {"__name__": "rl_doc_learner"})
    policy, learned, always = capsys.readouterr().out.splitlines()
    assert eval(policy) == {(1, 0): 0, (1, 1): 1, (1, 2): 1, (1, 3): 1}
    assert eval(learned)["searcher_0"] > eval(always)["searcher_0"] > 0


def test_the_sb3_example_prints_what_its_comments_say(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("sb3_contrib")
    pytest.importorskip("supersuit")
    pytest.importorskip("torch")
    (block,) = _sb3_blocks()
    exec(compile(block, str(DOC), "exec"), {"__name__": "rl_doc_sb3"})
    printed = capsys.readouterr().out.splitlines()
    expected = [line[2:].split("  ")[0] for line in block.splitlines() if line.startswith("# ")]
    assert printed == expected
