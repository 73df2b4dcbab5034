"""Record/replay cache: canonical keys, misses that name the hash, damaged files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accord.agents.llm.cache import CacheError, CacheMiss, CallCache, read_meta, request_key
from accord.agents.llm.client import LLMClient
from accord.agents.llm.config import LLMSettings


def test_request_key_is_the_hash_of_canonical_json() -> None:
    a = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.0}
    b = {"temperature": 0.0, "messages": [{"content": "hi", "role": "user"}], "model": "m"}
    assert request_key(a) == request_key(b)
    assert request_key(a) != request_key({**a, "seed": 1})
    # the documented form: SHA-256 over sorted keys without spaces
    import hashlib

    text = '{"messages":[{"content":"hi","role":"user"}],"model":"m","temperature":0.0}'
    assert request_key(a) == hashlib.sha256(text.encode()).hexdigest()


def test_put_then_reload(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    cache = CallCache(path, {"producer": "p"})
    req = {"model": "m", "messages": []}
    cache.put(request_key(req), req, {"choices": []})
    again = CallCache(path)
    assert len(again) == 1 and again.get(request_key(req)) == {"choices": []}
    assert read_meta(path) == {"producer": "p"}


def test_replay_miss_names_the_request_hash(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    client = LLMClient(LLMSettings(model="m", cache=str(path), mode="replay"), environ={})
    request = client.request([{"role": "user", "content": "x"}], "s", {"type": "object"})
    with pytest.raises(CacheMiss) as err:
        client.chat("a", [{"role": "user", "content": "x"}], "s", {"type": "object"})
    assert request_key(request) in str(err.value)
    assert err.value.key == request_key(request)


def test_damaged_lines_are_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"accord_llm_cache": 1, "meta": {}}\nnot json\n')
    with pytest.raises(CacheError, match=r"bad.jsonl:2: not JSON"):
        CallCache(path)
    req = {"model": "m"}
    path.write_text(json.dumps({"key": "0" * 64, "request": req, "response": {}}) + "\n")
    with pytest.raises(CacheError, match=r":1: key 0+ is not the request's hash"):
        CallCache(path)


def test_one_file_never_mixes_producers(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    CallCache(path, {"producer": "stand-in"}).put(request_key({}), {}, {})
    with pytest.raises(CacheError, match="was recorded by 'stand-in'"):
        CallCache(path, {"producer": "llama"})
