"""The explorer's static route: its files and content types, its security headers, 404s,
no path out of the table, the rate limit, and static checks of the page's sources (no
inline script, no CDN, no HTML sinks). The page's behaviour in a browser is
``tests/node/test_explorer_browser.py``."""

from __future__ import annotations

import asyncio
import re
import tomllib
from collections.abc import Iterator
from fnmatch import fnmatch
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from accord.node import Node, create_app
from accord.node.explorer import ASSETS, content_security_policy
from tests.node.conftest import make_config, make_signers

ROOT = Path(__file__).resolve().parents[3]
STATIC = resources.files("accord.node.explorer") / "static"


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    opened = Node.open(make_config(tmp_path / "data", make_signers()))
    yield opened
    opened.close()


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node)) as c:
        yield c


def test_the_page_and_its_assets_with_their_types_and_headers(client: TestClient) -> None:
    page = client.get("/explorer")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.content == (STATIC / "index.html").read_bytes()
    for name, kind in ASSETS.items():
        answer = client.get(f"/explorer/{name}")
        assert answer.status_code == 200, name
        assert answer.headers["content-type"] == kind
        assert answer.content == (STATIC / name).read_bytes()
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
        policy = answer.headers["content-security-policy"]
        assert policy == content_security_policy("testserver")
    slash = client.get("/explorer/", follow_redirects=False)
    assert (slash.status_code, slash.headers["location"]) == (308, "/explorer")


def test_the_policy_allows_only_this_origin() -> None:
    policy = content_security_policy("127.0.0.1:8545")
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self' ws://127.0.0.1:8545 wss://127.0.0.1:8545"
    assert directives["frame-ancestors"] == "'none'" and directives["base-uri"] == "'none'"
    assert "unsafe" not in policy and "*" not in policy
    assert content_security_policy("[::1]:80").count("ws://[::1]:80") == 1
    # a Host header that would add directives or sources is not written into the policy
    for host in ("evil; script-src *", "a b", "x'", "h\r\nX: y", "", None, "a" * 300):
        assert content_security_policy(host) == content_security_policy(None), host
        assert "connect-src 'self';" in content_security_policy(host)


def _raw_get(app: Any, path: str) -> tuple[int, bytes]:
    """GET ``path`` exactly as given (no client normalises ``..`` away)."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8545),
    }
    asyncio.run(app(scope, receive, send))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body


@pytest.mark.parametrize(
    "path",
    [
        "/explorer/../../etc/passwd",
        "/explorer/../chain.db",
        "/explorer/%2e%2e/%2e%2e/etc/passwd",
        "/explorer/..%2f..%2fetc%2fpasswd",
        "/explorer/static/app.js",
        "/explorer//etc/passwd",
        "/explorer/app.js/",
        "/explorer/App.js",
        "/explorer/__init__.py",
        "/explorer/web.py",
        "/explorer/nope.js",
        "/explorer/\x00",
    ],
)
def test_nothing_outside_the_table_is_served(node: Node, path: str) -> None:
    status, body = _raw_get(create_app(node), path)
    assert status == 404, path
    assert b"root:" not in body and b"import" not in body


def test_the_page_counts_against_the_ip_rate_limit(tmp_path: Path) -> None:
    config = make_config(
        tmp_path / "data", make_signers(), limits={"ip_burst": 3, "ip_rate": 0.001}
    )
    node = Node.open(config)
    try:
        with TestClient(create_app(node)) as client:
            codes = [client.get("/explorer/app.js").status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
    finally:
        node.close()


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text = ""
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text += data.strip()


def test_the_sources_have_no_inline_script_no_cdn_and_no_html_sinks() -> None:
    parsed = _Tags()
    parsed.feed((STATIC / "index.html").read_text(encoding="utf-8"))
    scripts = [attrs for tag, attrs in parsed.tags if tag == "script"]
    assert scripts == [{"type": "module", "src": "/explorer/app.js"}] and parsed.script_text == ""
    for tag, attrs in parsed.tags:
        assert not any(name.startswith("on") or name == "style" for name in attrs), tag
        for name in ("src", "href"):
            target = attrs.get(name)
            assert target is None or target.startswith(("/explorer/", "#/")), target
    for name in ASSETS:
        text = (STATIC / name).read_text(encoding="utf-8")
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text), name  # no CDN
        assert "//cdn" not in text and "@import" not in text, name
    code = "".join(
        (STATIC / name).read_text(encoding="utf-8") for name in ASSETS if name.endswith(".js")
    )
    imported = set(re.findall(r"from '\./([a-z]+\.js)'", code))
    assert imported == {"json.js", "node.js", "dom.js", "pages.js"} <= set(ASSETS)
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "setTimeout('",
        'setTimeout("',
    ):
        assert sink not in code, sink


def test_a_wheel_would_carry_the_files() -> None:
    """pyproject's package data covers every served file (a non-editable install has
    them; an editable one reads the tree)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["accord.node.explorer"]
    for name in ASSETS:
        assert any(fnmatch(f"static/{name}", p) for p in patterns), name
        assert (ROOT / "accord/node/explorer/static" / name).is_file()
