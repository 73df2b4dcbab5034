"""A run whose LLM endpoint fails is an error, not a silent empty run (issue 12).

Against a closed local port and a local OpenAI-compatible server that answers every
request with HTTP 500: the run is an error row in results.parquet naming the endpoint,
``accord run`` exits 1, and ``examples/llm/record.py`` exits 1 keeping an earlier
recording. A scenario with ``tolerate_endpoint_errors = true`` runs on and counts them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.lab.results import query

pytest.importorskip("openai")

ROOT = Path(__file__).resolve().parents[3]


class _Fails(BaseHTTPRequestHandler):
    """Every POST gets HTTP 500, with ``retry-after-ms: 1`` so the client's retries are quick."""

    calls = 0

    def do_POST(self) -> None:
        type(self).calls += 1
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = b'{"error": {"message": "boom", "type": "server_error"}}'
        self.send_response(500)
        self.send_header("content-type", "application/json")
        self.send_header("retry-after-ms", "1")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def failing_server() -> Iterator[str]:
    _Fails.calls = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Fails)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"  # nothing listens there any more


def scenario(tmp_path: Path, base_url: str, *, tolerate: bool = False) -> Path:
    path = tmp_path / "llm.toml"
    path.write_text(
        f"""
name = "llm-endpoint"
game = "llm_defi"
seed = 1
seeds = 1
[params]
blocks = 4
need_every = 2
[params.llm]
base_url = "{base_url}"
model = "m"
mode = "live"
max_retries = 0
timeout_s = 5
tolerate_endpoint_errors = {str(tolerate).lower()}
"""
    )
    return path


def test_an_unreachable_endpoint_fails_the_run(
    closed_port: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    error = failed_run(tmp_path, closed_port, monkeypatch)
    assert "APIConnectionError: Connection error" in error


def test_an_endpoint_answering_500_fails_the_run(
    failing_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    error = failed_run(tmp_path, failing_server, monkeypatch)
    assert "InternalServerError: Error code: 500" in error
    assert _Fails.calls == 3  # one call and the openai client's two retries, then no more


def failed_run(tmp_path: Path, base_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ACCORD_LLM_API_KEY", "test")
    path = scenario(tmp_path, base_url)
    result = CliRunner().invoke(app, ["run", str(path), "--workers", "1", "--out", str(tmp_path)])
    assert result.exit_code == 1, result.output
    rows = query(tmp_path / "llm-endpoint", "SELECT status, error FROM results")
    assert len(rows) == 1
    status, error = rows[0]["status"], rows[0]["error"]
    assert status == "error"
    assert error.startswith("EndpointFailure: ") and base_url in error
    assert "tolerate_endpoint_errors = true" in error
    assert "error: 1 of 1 runs failed" in " ".join(result.output.split())
    return str(error)


def test_a_scenario_may_tolerate_endpoint_errors(
    failing_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_LLM_API_KEY", "test")
    path = scenario(tmp_path, failing_server, tolerate=True)
    result = CliRunner().invoke(app, ["run", str(path), "--workers", "1", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = query(
        tmp_path / "llm-endpoint", "SELECT status, llm_endpoint_errors, filled FROM results"
    )
    assert rows == [
        {"status": "ok", "llm_endpoint_errors": 2, "filled": 0}
    ]  # a need every 2 blocks of 4, no answer for either
    assert _Fails.calls == 2 * 3


def test_record_script_exits_1_and_keeps_an_earlier_recording(
    failing_server: str, tmp_path: Path
) -> None:
    cache = tmp_path / "rec.jsonl"
    cache.write_text("an earlier recording\n")
    env = {**os.environ, "ACCORD_LLM_API_KEY": "test", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "llm" / "record.py"),
            "--base-url",
            failing_server,
            "--model",
            "m",
            "--out",
            str(cache),
            "--runs",
            str(tmp_path / "runs"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert (
        last == f"error: recording llm-defi.m failed (runs failed; see above); {cache} is unchanged"
    )
    assert "recorded" not in done.stderr
    assert cache.read_text() == "an earlier recording\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.jsonl", "runs"]
    assert not (tmp_path / "runs" / "llm-defi.m.toml").exists()  # no scenario to replay
