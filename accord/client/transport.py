"""JSON-RPC 2.0 over HTTP for :class:`~accord.client.RemoteDevice` (``docs/node.md``).

One :class:`Transport` posts requests to a node through an :class:`httpx.Client` (a
Starlette ``TestClient`` is one, so the same client drives an in-process node in tests)
and turns every failure into one :class:`RemoteError` line: a JSON-RPC error keeps its
code, the refusing class (``data.error``, e.g. ``BadNonce``) and field; an HTTP refusal
(413, 415, 429, 401...) keeps its status as the code.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx

from accord.device.encoding import int_from_hex
from accord.device.errors import DeviceError


class RemoteError(DeviceError):
    """The node refused a request (or could not be reached), in one line.

    ``code`` is the JSON-RPC error code (or the HTTP status for a refusal before
    JSON-RPC), ``kind`` the device's error class that refused it (``"BadNonce"``), and
    ``field`` the field it named, when the node said.
    """

    def __init__(
        self, message: str, *, code: int, kind: str | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.kind = kind
        self.field = field


def from_json(data: Any) -> Any:
    """A result's Python value: arrays become tuples (the device's canonical values are
    tuples), ``{"$bytes": hex}`` bytes, ``{"$int": hex}`` an int, other objects dicts."""
    if isinstance(data, list):
        return tuple(from_json(x) for x in data)
    if isinstance(data, dict):
        if set(data) == {"$bytes"} and isinstance(data["$bytes"], str):
            return bytes.fromhex(data["$bytes"])
        if set(data) == {"$int"}:  # an int over JSON_INT_BITS (accord.node.wire)
            return int_from_hex(data["$int"], "result")
        return {k: from_json(v) for k, v in data.items()}
    return data


@contextlib.contextmanager
def answer(what: str) -> Iterator[None]:
    """Read a node's answer: whatever does not have the documented shape (a missing
    key, a float where an int belongs, bad hex) raises one :class:`RemoteError` line
    instead of a ``KeyError`` from deep inside, so a broken or hostile node cannot make
    the client fail obscurely or take a wrong value for a right one."""
    try:
        yield
    except RemoteError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, DeviceError) as exc:
        raise RemoteError(
            f"{what}: malformed answer from the node ({type(exc).__name__}: {_one_line(exc)})",
            code=-1,
        ) from None


def _one_line(text: object, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


class Transport:
    """Posts JSON-RPC requests (and admin calls) to one node."""

    def __init__(self, client: httpx.Client, *, admin_token: str | None = None) -> None:
        self.client = client
        self.admin_token = admin_token
        self._next_id = 0

    def _post(self, path: str, payload: Any, headers: dict[str, str]) -> Any:
        try:
            response = self.client.post(path, json=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise RemoteError(f"cannot reach the node: {_one_line(exc)}", code=-1) from None
        if response.status_code != 200:
            try:
                reason = response.json().get("error", response.text)
            except ValueError:
                reason = response.text
            raise RemoteError(
                f"{path}: HTTP {response.status_code}: {_one_line(reason)}",
                code=response.status_code,
            )
        try:
            return response.json()
        except ValueError:
            raise RemoteError(f"{path}: the node answered no JSON", code=-1) from None

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """``method``'s result; its error raises :class:`RemoteError`."""
        return self._rpc("/", {}, method, params)

    def admin_call(self, action: str, method: str, params: dict[str, Any]) -> Any:
        """A JSON-RPC request to ``POST /admin/<action>`` with the bearer token
        (``reorg``: ``accord_reorg``); its error raises :class:`RemoteError`."""
        return self._rpc(f"/admin/{action}", self._auth(action), method, params)

    def _auth(self, action: str) -> dict[str, str]:
        if self.admin_token is None:
            raise RemoteError(
                f"/admin/{action} needs the node's admin token (RemoteDevice(admin_token=...))",
                code=401,
            )
        return {"Authorization": f"Bearer {self.admin_token}"}

    def _rpc(
        self, path: str, headers: dict[str, str], method: str, params: dict[str, Any] | None
    ) -> Any:
        self._next_id += 1
        request: dict[str, Any] = {"jsonrpc": "2.0", "id": self._next_id, "method": method}
        if params is not None:
            request["params"] = params
        answer = self._post(path, request, headers)
        if not isinstance(answer, dict) or answer.get("id") != self._next_id:
            raise RemoteError(f"{method}: not an answer to this request", code=-1)
        error = answer.get("error")
        if error is not None:
            data = error.get("data") if isinstance(error, dict) else None
            data = data if isinstance(data, dict) else {}
            code = error.get("code", -1) if isinstance(error, dict) else -1
            message = error.get("message", error) if isinstance(error, dict) else error
            raise RemoteError(
                f"{method}: {_one_line(message)}",
                code=code if type(code) is int else -1,
                kind=data.get("error") if isinstance(data.get("error"), str) else None,
                field=data.get("field") if isinstance(data.get("field"), str) else None,
            )
        return answer.get("result")

    def admin(self, action: str) -> Any:
        """``POST /admin/<action>`` with the bearer token (``block``, ``snapshot``)."""
        return self._post(f"/admin/{action}", None, self._auth(action))
