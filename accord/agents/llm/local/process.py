"""Start ``accord llm serve`` in a child process, for a test, a fixture or a script.

    from accord.agents.llm.local import local_server

    with local_server() as server:            # SmolLM2-135M-Instruct, a free port
        settings = LLMSettings(base_url=server.base_url, model=server.model, mode="live")

The server is the real command (``python -m accord.cli llm serve``) on 127.0.0.1 and a
free port; :func:`local_server` waits until ``/health`` answers (the model is loaded) and
stops the child when the block ends, whatever happens inside it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from accord.agents.llm.local.engine import SMOLLM2_ID, EngineError, default_model


@dataclass(frozen=True, slots=True)
class LocalServer:
    base_url: str  # e.g. http://127.0.0.1:40123/v1
    model: str
    pid: int


def local_stack_available() -> str | None:
    """``None`` if the model can be served here, else what is missing (one line)."""
    missing = [m for m in ("llama_cpp", "starlette", "uvicorn") if not importlib.util.find_spec(m)]
    if missing:
        return f"not installed: {', '.join(missing)} (pip install 'accord[llm-local]')"
    try:
        default_model()
    except EngineError as exc:
        return str(exc)
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def local_server(
    model: str | Path | None = None,
    *,
    model_id: str | None = None,
    context: int = 4096,
    threads: int | None = None,
    extra: Sequence[str] = (),
    startup_s: float = 120.0,
) -> Iterator[LocalServer]:
    """Run ``accord llm serve`` on a free loopback port while the block runs."""
    port = free_port()
    cmd = [sys.executable, "-m", "accord.cli", "llm", "serve", "--port", str(port)]
    cmd += ["--context", str(context)]
    if model is not None:
        cmd += ["--model", str(model)]
    if model_id is not None:
        cmd += ["--model-id", model_id]
    if threads is not None:
        cmd += ["--threads", str(threads)]
    cmd += list(extra)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        served = _wait(child, port, startup_s)
        yield LocalServer(f"http://127.0.0.1:{port}/v1", served, child.pid)
    finally:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if child.stderr is not None:
            child.stderr.close()


def _wait(child: subprocess.Popen[bytes], port: int, startup_s: float) -> str:
    deadline = time.monotonic() + startup_s
    while time.monotonic() < deadline:
        if child.poll() is not None:
            err = child.stderr.read().decode(errors="replace") if child.stderr else ""
            last = err.strip().splitlines()[-1] if err.strip() else "no message"
            raise RuntimeError(f"accord llm serve exited with {child.returncode}: {last}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                return str(json.loads(r.read())["model"])
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"accord llm serve did not answer within {startup_s:.0f} s")


__all__ = ["SMOLLM2_ID", "LocalServer", "free_port", "local_server", "local_stack_available"]
