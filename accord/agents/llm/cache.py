"""Record and replay of chat-completion calls: a JSONL file keyed by the request's hash.

Every request is reduced to its canonical form (model, messages, structured-output
schema or tools, temperature, seed, max_tokens: everything that decides the answer) and
hashed with SHA-256 over its canonical JSON (sorted keys, no spaces). The file is

* line 1: ``{"accord_llm_cache": 1, "meta": {...}}``: who produced the answers (the
  endpoint and model, and for the scripted stand-in a plain statement that it is not a
  foundation model);
* then one line per call: ``{"key", "request", "response"}``, where ``response`` is the
  endpoint's chat-completion object as JSON.

Modes (:data:`~accord.agents.llm.config.Mode`): ``replay`` answers only from the file
and raises :class:`CacheMiss` naming the request's hash when it is not there, so a
replayed run is exact and offline; ``record`` answers from the file when it can and
otherwise calls the endpoint and appends the answer; ``live`` always calls and never
writes. This is the VCR pattern of HTTP test suites (vcrpy's ``once``/``new_episodes``/
``none`` record modes), keyed on the request's content rather than its order.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

CACHE_VERSION = 1


class CacheMiss(LookupError):
    """A replayed request that the cache does not hold."""

    def __init__(self, key: str, path: Path | None) -> None:
        where = str(path) if path is not None else "no cache file"
        super().__init__(
            f"replay: request {key} is not in {where}; record it first "
            "(mode 'record' against an endpoint), or check that the scenario and the "
            "model name match the recording"
        )
        self.key = key


class CacheError(ValueError):
    """A cache file that cannot be used; the message names the file, line and reason."""


def canonical(data: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_key(request: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the request's canonical JSON."""
    return hashlib.sha256(canonical(dict(request)).encode()).hexdigest()


class CallCache:
    """The JSONL cache at ``path`` (``None``: in memory only, nothing persisted)."""

    def __init__(self, path: str | Path | None, meta: Mapping[str, Any] | None = None) -> None:
        self.path = None if path is None else Path(path)
        self.meta: dict[str, Any] = dict(meta or {})
        self.entries: dict[str, dict[str, Any]] = {}
        if self.path is not None and self.path.exists():
            self._load(self.path)

    def _load(self, path: Path) -> None:
        with path.open(encoding="utf-8") as f:
            for n, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise CacheError(f"{path}:{n}: not JSON ({exc.msg})") from None
                if not isinstance(row, dict):
                    raise CacheError(f"{path}:{n}: a line must be a JSON object")
                if n == 1 and "accord_llm_cache" in row:
                    if row["accord_llm_cache"] != CACHE_VERSION:
                        raise CacheError(
                            f"{path}:1: cache version {row['accord_llm_cache']!r}, "
                            f"expected {CACHE_VERSION}"
                        )
                    stored = row.get("meta", {})
                    self._check_meta(path, stored)
                    self.meta = {
                        **stored,
                        **{k: v for k, v in self.meta.items() if k not in stored},
                    }
                    continue
                missing = [k for k in ("key", "request", "response") if k not in row]
                if missing:
                    raise CacheError(f"{path}:{n}: missing {', '.join(missing)}")
                if request_key(row["request"]) != row["key"]:
                    raise CacheError(f"{path}:{n}: key {row['key']} is not the request's hash")
                self.entries[row["key"]] = row

    def _check_meta(self, path: Path, stored: Mapping[str, Any]) -> None:
        mine = self.meta.get("producer")
        theirs = stored.get("producer")
        if mine and theirs and mine != theirs:
            raise CacheError(
                f"{path} was recorded by {theirs!r}, not {mine!r}: record to another file "
                "so that one file never mixes producers"
            )

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, key: object) -> bool:
        return key in self.entries

    def get(self, key: str) -> dict[str, Any] | None:
        row = self.entries.get(key)
        return None if row is None else dict(row["response"])

    def put(self, key: str, request: Mapping[str, Any], response: Mapping[str, Any]) -> None:
        """Keep the answer, and append it to the file (created with its meta line)."""
        row = {"key": key, "request": dict(request), "response": dict(response)}
        self.entries[key] = row
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            fcntl.flock(f, fcntl.LOCK_EX)  # record runs may share one file across workers
            try:
                if f.tell() == 0:
                    head = {"accord_llm_cache": CACHE_VERSION, "meta": self.meta}
                    f.write(canonical(head) + "\n")
                f.write(canonical(row) + "\n")
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)


def read_meta(path: str | Path) -> dict[str, Any]:
    """The meta line of a cache file (empty if it has none)."""
    with Path(path).open(encoding="utf-8") as f:
        first = f.readline()
    try:
        row = json.loads(first) if first.strip() else {}
    except json.JSONDecodeError:
        return {}
    meta = row.get("meta", {}) if isinstance(row, dict) else {}
    return dict(meta) if isinstance(meta, dict) else {}
