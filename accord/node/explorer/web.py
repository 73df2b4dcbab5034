"""The explorer's static page, served by the node at ``GET /explorer`` (``docs/node.md``).

The package's files (``static/``: ``index.html``, ``style.css``, an icon and the page's
ES modules ``app.js``, ``json.js``, ``node.js``, ``dom.js``, ``pages.js``), read once at
start and served by name from a fixed table: no path from a request reaches the file
system, so ``/explorer/../../etc/passwd`` is a 404 like any name not in the table.
Nothing is fetched from elsewhere (no CDN): the page works offline.

Every response carries a strict Content-Security-Policy (CSP Level 3,
https://www.w3.org/TR/CSP3/): scripts, styles and images from this origin only, no
inline script or style, ``connect-src`` this origin and its WebSocket, no frames, no
forms, no ``<base>``; and ``X-Content-Type-Options: nosniff``, ``Referrer-Policy:
no-referrer``. The page itself inserts on-chain data only as text (``textContent``,
``createTextNode``), never as HTML: every string on the chain comes from agents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import resources

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

ASSETS: dict[str, str] = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "json.js": "text/javascript; charset=utf-8",
    "node.js": "text/javascript; charset=utf-8",
    "dom.js": "text/javascript; charset=utf-8",
    "pages.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
"""The files served, by name, with their content types."""

_HOST = re.compile(
    r"\A[A-Za-z0-9.\-]{1,253}(:[0-9]{1,5})?\Z|\A\[[0-9A-Fa-f:.]{2,45}\](:[0-9]{1,5})?\Z"
)
"""A ``Host`` header that is a plain host (or bracketed IPv6) with an optional port: only
such a one is written into ``connect-src`` (anything else could add CSP directives)."""


def content_security_policy(host: str | None) -> str:
    """The page's policy; ``host`` (the request's ``Host``, when well formed) adds its
    ``ws://`` and ``wss://`` origins, which ``'self'`` does not match in every browser."""
    sockets = f" ws://{host} wss://{host}" if host and _HOST.match(host) else ""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"connect-src 'self'{sockets}; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


def _load() -> dict[str, bytes]:
    folder = resources.files("accord.node.explorer") / "static"
    return {name: (folder / name).read_bytes() for name in ASSETS}


def explorer_routes(allow: Callable[[str], bool]) -> list[BaseRoute]:
    """``GET /explorer`` (the page), ``/explorer/`` (redirected) and
    ``/explorer/<asset>``; ``allow(client_ip)`` is the node's per-IP rate limit."""
    files = _load()

    def send(request: Request, name: str) -> Response:
        host = request.client.host if request.client else "unknown"
        if not allow(host):
            return JSONResponse({"error": "rate limit: slow down"}, status_code=429)
        body = files.get(name)
        if body is None:
            return JSONResponse({"error": "no such explorer file"}, status_code=404)
        headers = {
            "Content-Security-Policy": content_security_policy(request.headers.get("host")),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
            "Cache-Control": "no-cache",
        }
        return Response(body, media_type=ASSETS[name], headers=headers)

    async def page(request: Request) -> Response:
        return send(request, "index.html")

    async def slash(request: Request) -> Response:
        return RedirectResponse("/explorer", status_code=308)

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        return send(request, name)

    return [
        Route("/explorer", page, methods=["GET"]),
        Route("/explorer/", slash, methods=["GET"]),
        Route("/explorer/{name:path}", asset, methods=["GET"]),
    ]
